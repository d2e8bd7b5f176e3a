#!/usr/bin/env python
"""Latency and throughput of the project list page and the project API under concurrent clients;
with ``--targets``, of the target-sheet list page and API, and the time of importing and exporting
a 10,000-row target workbook; with ``--monitoring`` (in-process, no server), of opening a Q3
monitoring round for the latest year's 8,000 projects, recomputing all its lights against the same
computation in one SQL statement, and importing 50,000 treasury payment rows.

Starts gunicorn (production settings: DJANGO_DEBUG unset) on 127.0.0.1 against the PostgreSQL
database DATABASE_URL points at, logs each client in, then lets ``--concurrency`` threads fire
``--requests`` GETs at each target and reports p50 / p95 / max latency and requests per second
as a Markdown table, printed and appended to bench/results/<date>.md. Loopback only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/measure.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/measure.py --targets
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/measure.py --monitoring

Fill the database first with bench/generate.py. See bench/README.md for what each figure means.
"""

import argparse
import datetime
import http.client
import io
import itertools
import json
import math
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

ROOT = _django.ROOT
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
HTML_PAGE_SIZE, API_PAGE_SIZE = 25, 50  # projects.views.PAGE_SIZE, REST_FRAMEWORK["PAGE_SIZE"]


def parse_args():
    parser = argparse.ArgumentParser(description="测量项目库列表页和 API 的延迟与吞吐（gunicorn + PostgreSQL）。")
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn 工作进程数")
    parser.add_argument("--requests", type=int, default=500, help="每个目标的请求数")
    parser.add_argument("--concurrency", type=int, default=10, help="并发客户端（线程）数")
    parser.add_argument("--pages", type=int, default=20, help="轮流请求的页码个数（在第 1 页和最后一页之间均匀分布）")
    parser.add_argument("--warmup", type=int, default=20, help="每个目标正式计时前的预热请求数")
    parser.add_argument("--user", default="bench_office", help="登录用户（默认财政绩效管理科，看全市）")
    parser.add_argument("--password", default=os.environ.get("BENCH_PASSWORD", "Bench@2026"))
    parser.add_argument("--no-server", action="store_true", help="不启动 gunicorn，测量已在 --port 上运行的服务")
    parser.add_argument("--collectstatic", action="store_true", help="即使 static/ 未变也重新 collectstatic")
    parser.add_argument("--allow-sqlite", action="store_true")
    parser.add_argument(
        "--targets",
        action="store_true",
        help="测量绩效目标表列表页和 API（代替项目库），并测量 Excel 导入、导出（先运行 generate.py --targets）",
    )
    parser.add_argument("--excel-rows", type=int, default=10000, help="Excel 导入、导出的指标行数（每表 20 行）")
    parser.add_argument("--excel-repeat", type=int, default=3, help="Excel 导入、导出各重复几次")
    parser.add_argument("--no-excel", action="store_true", help="--targets 时不测量 Excel")
    parser.add_argument("--import-user", default="bench_import", help="导入用的填报人账号（generate.py 建在市级）")
    parser.add_argument(
        "--monitoring",
        action="store_true",
        help="进程内测量：开启三季度监控批次、重算全部预警（与单条 SQL 对照）、导入国库支付数据；不启动 gunicorn，"
        "在一个事务中执行后回滚（先运行 generate.py --targets）",
    )
    parser.add_argument("--payments", type=int, default=50000, help="--monitoring 时国库支付数据的行数")
    parser.add_argument("--monitoring-repeat", type=int, default=3, help="--monitoring 时 Python 与 SQL 重算各重复几次")
    return parser.parse_args()


# --- HTTP helpers (http.client, one connection per request: gunicorn's sync workers close it) ---


def request(port, method, path, headers=None, body=None, timeout=60):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def cookies_of(headers) -> dict[str, str]:
    jar = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def login(port, username, password) -> str:
    """A real login through the login page (CSRF token, django-axes); returns the session cookie."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    if status != 200:
        raise SystemExit(f"登录页返回 {status}")
    csrf_cookie = cookies_of(headers)["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    status, headers, _ = request(
        port,
        "POST",
        "/accounts/login/",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
        },
        form,
    )
    session = cookies_of(headers).get("sessionid")
    if status != 302 or not session:
        raise SystemExit(
            f"以 {username} 登录失败（HTTP {status}）：先运行 bench/generate.py，或检查 --user/--password。"
        )
    return f"sessionid={session}"


def api_token(port, username, password) -> str:
    body = json.dumps({"username": username, "password": password})
    status, _, data = request(port, "POST", "/api/v1/auth/token/", {"Content-Type": "application/json"}, body)
    if status != 200:
        raise SystemExit(f"获取令牌失败（HTTP {status}）：{data[:200]!r}")
    return json.loads(data)["token"]


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def row(self, concurrency: int) -> str:
        def ms(seconds: float) -> str:
            return f"{seconds * 1000:.0f}"

        errors = ", ".join(f"{code}×{n}" for code, n in sorted(self.errors.items())) or "0"
        return (
            f"| {self.name} | `{self.path}` | {len(self.latencies)} | {concurrency} | {errors} | "
            f"{ms(self.percentile(50))} | {ms(self.percentile(95))} | {ms(max(self.latencies))} | "
            f"{ms(statistics.fmean(self.latencies))} | {len(self.latencies) / self.wall:.1f} |"
        )


def spread(last_page: int, how_many: int) -> list[int]:
    """``how_many`` page numbers from 1 to ``last_page``, evenly spaced (deep pages cost OFFSET)."""
    if last_page <= how_many:
        return list(range(1, last_page + 1))
    return sorted({1 + round(i * (last_page - 1) / (how_many - 1)) for i in range(how_many)})


def run_target(port, name, path_for, headers_for, total, concurrency, warmup) -> Result:
    """``concurrency`` threads share ``total`` requests; client i sends ``headers_for(i)``."""
    result = Result(name, path_for(0).split("?")[0] + "?page=N")
    for i in range(warmup):
        request(port, "GET", path_for(i), headers_for(i % concurrency))
    counter, lock = itertools.count(), threading.Lock()

    def client(index):
        headers = headers_for(index)
        while (n := next(counter)) < total:
            started = time.perf_counter()
            status, _, body = request(port, "GET", path_for(n), headers)
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                if status != 200 or not body:
                    result.errors[status] = result.errors.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    return result


# --- The server ----------------------------------------------------------------------------


def port_in_use(port) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


def server_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env["DJANGO_ALLOWED_HOSTS"] = HOST
    # Production static files (manifest storage) need collectstatic; keep them apart from var/staticfiles.
    env.setdefault("DJANGO_STATIC_ROOT", str(ROOT / "var" / "bench-static"))
    return env


def collect_static(env: dict, force: bool = False):
    """Production pages need the static manifest. WhiteNoise compresses every file, which takes
    minutes on a busy machine, so this runs only when static/ changed since the last collection."""
    manifest = Path(env["DJANGO_STATIC_ROOT"]) / "staticfiles.json"
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if not force and manifest.exists() and manifest.stat().st_mtime >= newest:
        return
    print("collectstatic（首次或 static/ 有变动，需几分钟）……", flush=True)
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run([str(python), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def start_server(args, log_path: Path) -> subprocess.Popen:
    if port_in_use(args.port):
        raise SystemExit(f"端口 {args.port} 已被占用：换一个 --port，或用 --no-server 测量已运行的服务。")
    env = server_env()
    collect_static(env, force=args.collectstatic)
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", str(args.workers), "-b", f"{HOST}:{args.port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn 退出（{proc.returncode}），见 {log_path}")
        try:
            if request(args.port, "GET", "/accounts/login/", timeout=5)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"gunicorn 90 秒内未就绪，见 {log_path}")


def context(args, username) -> dict:
    """What the figures were measured on: data size, database, machine."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from projects.models import PreAssessment, Project
    from targets.choices import SheetStatus
    from targets.models import Indicator, TargetSheet

    user = get_user_model().objects.get(username=username)
    visible_sheets = TargetSheet.objects.visible_to(user)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "projects": Project.objects.count(),
        "visible": Project.objects.visible_to(user).count(),
        "preassessments": PreAssessment.objects.count(),
        "sheets": TargetSheet.objects.count(),
        "indicators": Indicator.objects.count(),
        "visible_sheets": visible_sheets.count(),  # the API lists every version
        "listed_sheets": visible_sheets.exclude(status=SheetStatus.SUPERSEDED).count(),  # the page hides superseded
        "years": sorted(set(Project.objects.values_list("fiscal_year__year", flat=True))),
        "role": user.role_label or "超级管理员",
        "db": f"{connection.vendor} {db_version}",
        "commit": commit or "?",
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "python": platform.python_version(),
    }


def report(args, info, results, started_at, excel=()) -> str:
    load = " / ".join(f"{x:.2f}" for x in info["load"])
    seen = (
        f"可见 {info['visible_sheets']:,} 张绩效目标表（列表页不含已被替代的版本：{info['listed_sheets']:,} 张）"
        if args.targets
        else f"可见 {info['visible']:,} 个项目"
    )
    lines = [
        f"## 基准测试 {started_at:%Y-%m-%d %H:%M}（北京时间，提交 {info['commit']}）",
        "",
        f"- 数据：项目 {info['projects']:,} 个（年度 {', '.join(map(str, info['years']))}），"
        f"事前评估 {info['preassessments']:,} 个，绩效目标表 {info['sheets']:,} 张、指标 {info['indicators']:,} 条；"
        f"登录用户 `{args.user}`（{info['role']}）{seen}",
        f"- 服务：gunicorn {args.workers} 个同步工作进程，DJANGO_DEBUG 未设置，{info['db']}，均在 127.0.0.1",
        f"- 负载：{args.concurrency} 个并发客户端（Python 线程，同机），每个目标 {args.requests} 次请求"
        f"（另预热 {args.warmup} 次），页码在 {args.pages} 个值间轮换",
        f"- 机器：{info['cpus']} 核 CPU，测量前 1/5/15 分钟负载 {load}；客户端与服务端、数据库同机，"
        "其他进程（如并行运行的测试）也在争用 CPU，数字偏保守",
        "",
        "| 目标 | 路径 | 请求数 | 并发 | 非 200 | p50 ms | p95 ms | max ms | 平均 ms | 请求/秒 |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
        *(r.row(args.concurrency) for r in results),
        "",
    ]
    if excel:
        lines += [
            "Excel（进程内直接调用 targets/excel.py，gunicorn 启动之前、无其他请求；导入在事务中执行后回滚，"
            "数据库不变）：",
            "",
            "| 操作 | 规模 | 次数 | 最短 s | 中位 s | 最长 s | 行/秒 | 文件 |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *(e.row() for e in excel),
            "",
        ]
    return "\n".join(lines)


# --- Excel import and export (in-process) ------------------------------------------------------


@dataclass
class ExcelResult:
    name: str
    scale: str
    rows: int
    size: int
    seconds: list[float] = field(default_factory=list)

    def row(self) -> str:
        median = statistics.median(self.seconds)
        return (
            f"| {self.name} | {self.scale} | {len(self.seconds)} | {min(self.seconds):.1f} | {median:.1f} | "
            f"{max(self.seconds):.1f} | {self.rows / median:,.0f} | {self.size / 1024 / 1024:.1f} MB |"
        )


def _latest_bench_year() -> int:
    from targets.models import TargetSheet

    latest = (
        TargetSheet.objects.filter(project__code__startswith="BENCH-")
        .order_by("-project__fiscal_year__year")
        .values_list("project__fiscal_year__year", flat=True)
        .first()
    )
    if latest is None:
        raise SystemExit("数据库中没有基准绩效目标表：先运行 bench/generate.py --targets。")
    return latest


def _import_workbook(sheets) -> tuple[bytes, int]:
    """The flat template filled for ``sheets`` as a unit would: every row's value changed a little."""
    import openpyxl

    from targets.choices import Comparator
    from targets.excel import FLAT_COLUMNS, FLAT_SHEET, GOAL_COLUMNS, GOALS_SHEET

    wb = openpyxl.Workbook(write_only=True)
    flat = wb.create_sheet(FLAT_SHEET)
    flat.append([c.header for c in FLAT_COLUMNS])
    goals = wb.create_sheet(GOALS_SHEET)
    goals.append([c.header for c in GOAL_COLUMNS])
    rows = 0
    for sheet in sheets:
        project = sheet.project
        year = project.fiscal_year.year
        goals.append([project.code, project.name, year, sheet.overall_goal + "（导入修改）", sheet.whole_period_goal])
        for row in sheet.indicators.all():
            quantitative = row.comparator != Comparator.QUALITATIVE
            value = row.target_value + 1 if quantitative and row.unit != "%" else row.target_value
            flat.append(
                [
                    project.code,
                    project.name,
                    project.fiscal_year.year,
                    row.get_period_display(),
                    row.get_level1_display(),
                    row.get_level2_display(),
                    row.name,
                    row.get_comparator_display(),
                    value if quantitative else row.target_text,
                    row.unit,
                    row.weight,
                    row.last_year_actual,
                    row.note,
                ]
            )
            rows += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), rows


def excel_figures(args) -> list[ExcelResult]:
    """Export ``--excel-rows`` rows as the performance office, and import as many (editable sheets
    of the latest bench year) as a clerk, ``--excel-repeat`` times each."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from targets.choices import EDITABLE_STATES
    from targets.excel import XLSX_MIME, export_sheets, import_target_workbook
    from targets.models import Indicator, TargetSheet

    User = get_user_model()
    office = User.objects.get(username=args.user)
    try:
        importer = User.objects.get(username=args.import_user)
    except User.DoesNotExist:
        raise SystemExit(f"没有导入账号 {args.import_user}：用 bench/generate.py 重新生成基准用户。") from None
    year, n_sheets = _latest_bench_year(), max(1, args.excel_rows // 20)
    bench = TargetSheet.objects.filter(project__code__startswith="BENCH-", project__fiscal_year__year=year)
    results = []

    visible = TargetSheet.objects.visible_to(office)
    ids = list(visible.filter(pk__in=bench.values("pk")).order_by("pk").values_list("pk", flat=True)[:n_sheets])
    chosen = visible.filter(pk__in=ids)
    rows = Indicator.objects.filter(sheet__in=ids).count()
    export = ExcelResult("导出绩效目标（筛选后的表及其指标）", f"{len(ids):,} 张表", rows, 0)
    for i in range(args.excel_repeat):
        print(f"  导出 {export.rows:,} 行（第 {i + 1} 次）……", flush=True)
        with transaction.atomic():
            started = time.perf_counter()
            data = export_sheets(chosen, user=office, filters={"bench": True})
            export.seconds.append(time.perf_counter() - started)
            transaction.set_rollback(True)  # the export's audit event
        export.size = len(data)
    results.append(export)

    editable = list(
        bench.filter(status__in=EDITABLE_STATES, is_current=True)
        .select_related("project__fiscal_year")
        .prefetch_related("indicators")
        .order_by("pk")[:n_sheets]
    )
    content, rows = _import_workbook(editable)
    imported = ExcelResult("导入绩效目标（平表模板，全部通过校验）", f"{len(editable):,} 张表", rows, len(content))
    for i in range(args.excel_repeat):
        print(f"  导入 {rows:,} 行（第 {i + 1} 次）……", flush=True)
        upload = SimpleUploadedFile("绩效目标导入_基准.xlsx", content, content_type=XLSX_MIME)
        with transaction.atomic():
            started = time.perf_counter()
            result = import_target_workbook(importer, upload)
            imported.seconds.append(time.perf_counter() - started)
            transaction.set_rollback(True)  # measure again on the same data; the bench database stays as generated
        if not result.ok or result.rows != rows:
            shown = "\n".join(f"    {e}" for e in result.errors[:10])
            raise SystemExit(f"导入失败（写入 {result.rows} 行，{len(result.errors)} 处错误）：\n{shown}")
    results.append(imported)
    return results


# --- Dual monitoring (in-process, --monitoring) ------------------------------------------------

# Deterministic pseudo-random numbers in [0, 1) from a row's id (Knuth's multiplicative hash), so
# the bulk fill is one UPDATE and gives the same figures on every run.
_U = "(((({id} + {salt}) * 2654435761) %% 1000003) / 1000003.0)"  # %% : the statements take parameters


def _fill_figures(round_id: int) -> tuple[int, int]:
    """Setup, not measured: random paid amounts and row figures written with one UPDATE each,
    bypassing save_report. Like a real round, most figures are on track — 80 % of the budgets paid
    60–90 %, 85 % of the rows near their pace (≥ at 62–115 % of the target, ≤ at 50–88 %, qualitative
    达成) — and the rest spread over every band: paid 5–105 %, rows at 10–160 % of the target (blue
    from 120 %), qualitative 部分达成 / 未达成 / not entered; 2 % of the paid amounts and 3 % of the
    values are missing."""
    from django.db import connection

    from monitoring.models import MonitoringReport, MonitoringRow
    from targets.models import Indicator

    report, row, indicator = MonitoringReport._meta.db_table, MonitoringRow._meta.db_table, Indicator._meta.db_table
    u = {n: _U.format(id="r.id", salt=n * 7919) for n in range(1, 6)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {report} r SET paid_to_date = CASE
                    WHEN {u[1]} < 0.02 THEN NULL
                    WHEN {u[3]} < 0.8 THEN round(r.budget_amount * (0.6 + 0.3 * {u[2]}), 2)
                    ELSE round(r.budget_amount * (0.05 + {u[2]}), 2) END
                WHERE r.round_id = %s""",
            [round_id],
        )
        reports = cursor.rowcount
        cursor.execute(
            f"""UPDATE {row} r SET
                    actual_value = CASE
                        WHEN i.comparator = 'qualitative' OR {u[1]} < 0.03 THEN NULL
                        WHEN {u[5]} >= 0.85 THEN round(i.target_value * (0.1 + 1.5 * {u[2]}), 4)
                        WHEN i.comparator = 'lte' THEN round(i.target_value * (0.5 + 0.38 * {u[2]}), 4)
                        ELSE round(i.target_value * (0.62 + 0.53 * {u[2]}), 4) END,
                    progress = CASE
                        WHEN i.comparator <> 'qualitative' THEN ''
                        WHEN {u[5]} < 0.85 THEN 'achieved'
                        ELSE (ARRAY['achieved', 'partly', 'not_achieved', ''])[1 + floor({u[3]} * 4)::int] END,
                    expected_year_end = CASE WHEN i.comparator = 'qualitative' THEN NULL ELSE i.target_value END,
                    outlook = (ARRAY['certain', 'likely', 'unlikely'])[1 + floor({u[4]} * 3)::int]
                FROM {indicator} i, {report} rep
                WHERE i.id = r.indicator_id AND rep.id = r.report_id AND rep.round_id = %s""",
            [round_id],
        )
        return reports, cursor.rowcount


def _snapshot(round_id: int, fields_of: dict):
    """Python's results kept in temporary tables (dropped at the end of the transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table, (db_table, fields, where) in fields_of.items():
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS SELECT id, {', '.join(fields)} FROM {db_table} x "
                f"WHERE {where}",
                [round_id],
            )


def _blank(round_id: int, fields_of: dict):
    """Clear what both computations write, so the SQL must write every value itself."""
    from django.db import connection

    blanks = {"light": "''", "budget_light": "''", "judgement": "''", "rules": "'{}'::jsonb"}
    with connection.cursor() as cursor:
        for db_table, fields, where in fields_of.values():
            sets = ", ".join(f"{f} = {blanks.get(f, 'NULL')}" for f in fields)
            cursor.execute(f"UPDATE {db_table} x SET {sets} WHERE {where}", [round_id])


def _mismatches(round_id: int, fields_of: dict) -> dict[str, int]:
    """Per table: rows where any field of the SQL result differs from Python's (NULL-safe)."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table, (db_table, fields, where) in fields_of.items():
            theirs = ", ".join(f"x.{f}" for f in fields)
            ours = ", ".join(f"p.{f}" for f in fields)
            cursor.execute(
                f"SELECT count(*) FROM {db_table} x JOIN {table} p ON p.id = x.id "
                f"WHERE {where} AND ({theirs}) IS DISTINCT FROM ({ours})",
                [round_id],
            )
            counts[table] = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM {table}")
            if cursor.fetchone()[0] != _count(db_table, where, round_id):
                counts[table] = -1  # a row missing from one side
    return counts


def _count(db_table: str, where: str, round_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {db_table} x WHERE {where}", [round_id])
        return cursor.fetchone()[0]


def _treasury_workbook(fiscal_year, n: int, seed: int = 20260930) -> tuple[bytes, int]:
    """The treasury's payment export for the year's bench projects: ``n`` payments, ~6 a project,
    January to November (the ones after September 30 do not count for Q3), in the template's columns."""
    import random

    import openpyxl

    from monitoring.treasury import COLUMNS, DATA_SHEET
    from projects.models import Project

    rng = random.Random(seed)
    projects = list(
        Project.objects.filter(fiscal_year=fiscal_year, code__startswith="BENCH-")
        .order_by("code")
        .values_list("code", "budget_amount")
    )
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET)
    ws.append([c.header for c in COLUMNS])
    first, days = datetime.date(fiscal_year.year, 1, 5), 330
    for i in range(n):
        code, budget = projects[i % len(projects)]
        amount = (budget * Decimal(str(rng.uniform(0.02, 0.16)))).quantize(Decimal("0.01"))
        pay_date = first + datetime.timedelta(days=rng.randrange(days))
        voucher, payee = f"GK{fiscal_year.year}{i + 1:08d}", f"基准供应商{rng.randrange(1, 400):03d}有限公司"
        ws.append([code, pay_date, amount, voucher, payee, "项目进度款"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), n


@dataclass
class Step:
    name: str
    scale: str
    seconds: list[float]
    measured: bool = True
    note: str = ""

    def row(self) -> str:
        median = statistics.median(self.seconds)
        spread = f"{min(self.seconds):.1f}–{max(self.seconds):.1f}" if len(self.seconds) > 1 else ""
        return (
            f"| {self.name} | {self.scale} | {len(self.seconds)} | {median:.1f} | {spread} | "
            f"{'计时' if self.measured else '准备（不计）'} | {self.note} |"
        )


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def monitoring_report(args, started_at) -> str:
    """Open a Q3 round, fill it, recompute every light in Python and in one SQL statement (checked
    equal), import the treasury export — all in one transaction rolled back at the end, so the bench
    database stays as generate.py left it and every run measures the same work."""
    import monitoring_sql
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from monitoring import services
    from monitoring import treasury as treasury_import
    from monitoring.choices import ImportStatus
    from monitoring.models import MonitoringReport, MonitoringRound, MonitoringRow, TreasuryPayment
    from projects.excel import XLSX_MIME
    from projects.models import FiscalYear
    from targets.choices import SheetStatus
    from targets.models import TargetSheet

    office = get_user_model().objects.get(username=args.user)
    fiscal_year = FiscalYear.objects.get(year=_latest_bench_year())
    if MonitoringRound.objects.filter(fiscal_year=fiscal_year, kind="quarter", number=3).exists():
        raise SystemExit(f"{fiscal_year.year} 年度已有三季度监控批次：换一个基准库，或先删除该批次。")
    steps, stored = [], None
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        db_version = cursor.fetchone()[0]
    load = os.getloadavg()
    try:
        with transaction.atomic():
            # Setup: the latest year is in budget season (52 % approved); monitoring runs on approved targets.
            sheets = TargetSheet.objects.filter(
                project__code__startswith="BENCH-", project__fiscal_year=fiscal_year, is_current=True
            ).exclude(status=SheetStatus.APPROVED)
            approved, seconds = _timed(sheets.update, status=SheetStatus.APPROVED, approved_at=timezone.now())
            steps.append(Step("批复其余绩效目标表（一条 UPDATE，绕过服务）", f"{approved:,} 张", [seconds], False))

            print("开启三季度监控批次……", flush=True)
            monitoring_round, seconds = _timed(services.open_round, office, fiscal_year, "quarter", 3, note="基准测试")
            reports = MonitoringReport.objects.filter(round=monitoring_round).count()
            rows = MonitoringRow.objects.filter(report__round=monitoring_round).count()
            steps.append(
                Step(
                    "(a) 开启三季度监控批次 `services.open_round`",
                    f"{reports:,} 张监控表、{rows:,} 条指标行",
                    [seconds],
                    note=f"{reports / seconds:,.0f} 张/秒，{rows / seconds:,.0f} 行/秒",
                )
            )
            (filled_reports, filled_rows), seconds = _timed(_fill_figures, monitoring_round.pk)
            with connection.cursor() as cursor:
                for model in (MonitoringReport, MonitoringRow):  # the planner has not seen the new rows yet
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
            steps.append(
                Step(
                    "(b) 填入随机的支付数和完成值（SQL UPDATE，绕过 save_report），ANALYZE",
                    f"{filled_reports:,} 张、{filled_rows:,} 行",
                    [seconds],
                    False,
                )
            )
            ids = list(MonitoringReport.objects.filter(round=monitoring_round).values_list("pk", flat=True))
            fields_of = {
                "bench_python_reports": (
                    MonitoringReport._meta.db_table,
                    monitoring_sql.REPORT_FIELDS,
                    "x.round_id = %s",
                ),
                "bench_python_rows": (
                    MonitoringRow._meta.db_table,
                    monitoring_sql.ROW_FIELDS,
                    f"x.report_id IN (SELECT id FROM {MonitoringReport._meta.db_table} WHERE round_id = %s)",
                ),
            }
            python, sql, mismatches = [], [], []
            for i in range(args.monitoring_repeat):
                print(f"重算全部预警：Python（第 {i + 1} 次）……", flush=True)
                _blank(monitoring_round.pk, fields_of)
                python.append(_timed(services.recompute_reports, ids)[1])
                _snapshot(monitoring_round.pk, fields_of)
                print(f"重算全部预警：单条 SQL（第 {i + 1} 次）……", flush=True)
                _blank(monitoring_round.pk, fields_of)
                updated, seconds = _timed(monitoring_sql.recompute, ids)
                if updated != len(ids):
                    raise SystemExit(f"SQL 只更新了 {updated} 张监控表（应为 {len(ids)} 张）。")
                sql.append(seconds)
                mismatches.append(_mismatches(monitoring_round.pk, fields_of))
            scale = f"{len(ids):,} 张、{rows:,} 行"
            ratio = statistics.median(python) / statistics.median(sql)
            steps.append(
                Step(
                    "(c) 重算全部预警 `services.recompute_reports(ids)`",
                    scale,
                    python,
                    note=f"{rows / statistics.median(python):,.0f} 行/秒",
                )
            )
            steps.append(
                Step(
                    "(d) 同一计算：一条 SQL（UPDATE … FROM，CTE 先更新指标行）",
                    scale,
                    sql,
                    note=f"{rows / statistics.median(sql):,.0f} 行/秒；Python ÷ SQL = {ratio:.1f}",
                )
            )
            lights = dict(
                MonitoringReport.objects.filter(round=monitoring_round).values_list("light").annotate(n=Count("pk"))
            )
            row_lights = dict(
                MonitoringRow.objects.filter(report__round=monitoring_round)
                .values_list("light")
                .annotate(n=Count("pk"))
            )

            print(f"生成 {args.payments:,} 行国库支付数据……", flush=True)
            (content, payments), seconds = _timed(_treasury_workbook, fiscal_year, args.payments)
            steps.append(
                Step(
                    "(e) 生成国库支付数据 Excel（openpyxl 只写模式）",
                    f"{payments:,} 行，{len(content) / 1024 / 1024:.1f} MB",
                    [seconds],
                    False,
                )
            )
            upload = SimpleUploadedFile("国库集中支付数据_基准.xlsx", content, content_type=XLSX_MIME)
            # start_import queues the task on commit; this transaction is rolled back, so nothing is queued.
            stored, seconds = _timed(treasury_import.start_import, office, fiscal_year, upload)
            steps.append(Step("(e) 上传并校验文件 `treasury.start_import`", f"{len(content):,} 字节", [seconds]))
            parts = {}

            def part(name, fn):
                def wrapper(*a, **kw):
                    result, seconds = _timed(fn, *a, **kw)
                    parts[name] = parts.get(name, 0) + seconds
                    return result

                return wrapper

            originals = (treasury_import._read_rows, services.refresh_paid_from_treasury, services.recompute_reports)
            treasury_import._read_rows = part("read", originals[0])
            services.refresh_paid_from_treasury = part("refresh", originals[1])
            services.recompute_reports = part("recompute", originals[2])
            try:
                print(f"导入 {payments:,} 行国库支付数据……", flush=True)
                done, seconds = _timed(treasury_import.run_import, stored)
            finally:
                treasury_import._read_rows, services.refresh_paid_from_treasury, services.recompute_reports = originals
            if done.status != ImportStatus.SUCCEEDED or done.created_count != payments:
                shown = "\n".join(f"    {e}" for e in (done.errors or [])[:10])
                raise SystemExit(f"国库支付数据导入失败：{done.message}\n{shown}")
            in_db = TreasuryPayment.objects.filter(source_import=done).count()
            write = seconds - parts.get("read", 0) - parts.get("refresh", 0)
            steps.append(
                Step(
                    "(e) 导入国库支付数据 `treasury.run_import`",
                    f"{payments:,} 行 → {in_db:,} 条支付记录，重算 {done.reports_updated:,} 张监控表",
                    [seconds],
                    note=(
                        f"{payments / seconds:,.0f} 行/秒；读取校验 {parts.get('read', 0):.1f} s，"
                        f"打开文件与写入支付记录 {write:.1f} s，刷新支付数并重算预警 {parts.get('refresh', 0):.1f} s"
                        f"（其中重算 {parts.get('recompute', 0):.1f} s）"
                    ),
                )
            )
            transaction.set_rollback(True)  # the bench database stays as generated
    finally:
        if stored is not None:
            stored.file.storage.delete(stored.file.name)
    return _monitoring_text(args, started_at, fiscal_year, steps, mismatches, lights, row_lights, db_version, load)


def _monitoring_text(args, started_at, fiscal_year, steps, mismatches, lights, row_lights, db_version, load) -> str:
    import monitoring_sql

    from monitoring.choices import Light

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()

    def spread(counts):
        return "，".join(f"{label} {counts.get(value, 0):,}" for value, label in [*Light.choices, ("", "未亮灯")])

    worst = {table: max(m[table] for m in mismatches) for table in mismatches[0]}
    verdict = (
        "全部一致"
        if not any(worst.values())
        else f"不一致：监控表 {worst['bench_python_reports']}，指标行 {worst['bench_python_rows']}（-1 = 行数不同）"
    )
    return "\n".join(
        [
            f"## 双监控基准测试 {started_at:%Y-%m-%d %H:%M}（北京时间，提交 {commit or '?'}）",
            "",
            f"- 数据：{fiscal_year.year} 年度基准项目的三季度监控（时间进度 75%）；预警 {spread(lights)}；"
            f"指标行 {spread(row_lights)}",
            f"- 校验：每次重算后逐字段比对 SQL 与 Python 的结果（监控表 {', '.join(monitoring_sql.REPORT_FIELDS)}；"
            f"指标行 {', '.join(monitoring_sql.ROW_FIELDS)}），{args.monitoring_repeat} 次均为：{verdict}",
            f"- 进程内直接调用服务函数，postgresql {db_version}，同机；全部在一个事务中执行后回滚（提交本身不计时）",
            f"- 机器：{os.cpu_count()} 核 CPU，与其他工作共用；测量前 1/5/15 分钟负载 "
            + " / ".join(f"{x:.2f}" for x in load),
            "",
            "| 步骤 | 规模 | 次数 | 中位 s | 范围 s | 类别 | 说明 |",
            "|---|---|---:|---:|---|---|---|",
            *(step.row() for step in steps),
            "",
        ]
    )


def main():
    args = parse_args()
    _django.setup(require_postgres=not args.allow_sqlite)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started_at = datetime.datetime.now()
    if args.monitoring:
        return write_results(monitoring_report(args, started_at), started_at)
    info = context(args, args.user)
    if not info["visible"]:
        raise SystemExit(f"{args.user} 看不到任何项目：先运行 bench/generate.py。")
    if args.targets and not info["visible_sheets"]:
        raise SystemExit(f"{args.user} 看不到任何绩效目标表：先运行 bench/generate.py --targets。")
    excel = []
    if args.targets and not args.no_excel:
        print(f"测量 Excel 导入、导出（{args.excel_rows:,} 行）……", flush=True)
        excel = excel_figures(args)
    proc = None if args.no_server else start_server(args, RESULTS / f"gunicorn-{started_at:%Y-%m-%d}.log")
    try:
        print(f"登录 {args.concurrency} 个会话并获取 API 令牌……", flush=True)
        sessions = [login(args.port, args.user, args.password) for _ in range(args.concurrency)]
        token = api_token(args.port, args.user, args.password)
        if args.targets:
            (html_name, html_path, html_rows), (api_name, api_path, api_rows) = (
                ("绩效目标表列表页（HTML）", "/targets/", info["listed_sheets"]),
                ("绩效目标表 API（JSON，含指标）", "/api/v1/target-sheets/", info["visible_sheets"]),
            )
        else:
            (html_name, html_path, html_rows), (api_name, api_path, api_rows) = (
                ("项目库列表页（HTML）", "/projects/", info["visible"]),
                ("项目 API（JSON）", "/api/v1/projects/", info["visible"]),
            )
        html_pages = spread(math.ceil(html_rows / HTML_PAGE_SIZE), args.pages)
        api_pages = spread(math.ceil(api_rows / API_PAGE_SIZE), args.pages)
        results = []
        for name, path_for, headers_for in (
            (
                html_name,
                lambda n: f"{html_path}?page={html_pages[n % len(html_pages)]}",
                lambda i: {"Cookie": sessions[i]},
            ),
            (
                api_name,
                lambda n: f"{api_path}?page={api_pages[n % len(api_pages)]}",
                lambda i: {"Authorization": f"Token {token}", "Accept": "application/json"},
            ),
        ):
            print(f"测量 {name}……", flush=True)
            results.append(
                run_target(args.port, name, path_for, headers_for, args.requests, args.concurrency, args.warmup)
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    write_results(report(args, info, results, started_at, excel), started_at)


def write_results(text: str, started_at: datetime.datetime):
    print()
    print(text)
    out = RESULTS / f"{started_at:%Y-%m-%d}.md"
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print(f"已写入 {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Latency and throughput of the project list page and the project API under concurrent clients;
with ``--targets``, of the target-sheet list page and API, and the time of importing and exporting
a 10,000-row target workbook.

Starts gunicorn (production settings: DJANGO_DEBUG unset) on 127.0.0.1 against the PostgreSQL
database DATABASE_URL points at, logs each client in, then lets ``--concurrency`` threads fire
``--requests`` GETs at each target and reports p50 / p95 / max latency and requests per second
as a Markdown table, printed and appended to bench/results/<date>.md. Loopback only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/measure.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/measure.py --targets

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


def main():
    args = parse_args()
    _django.setup(require_postgres=not args.allow_sqlite)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started_at = datetime.datetime.now()
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
    text = report(args, info, results, started_at, excel)
    print()
    print(text)
    out = RESULTS / f"{started_at:%Y-%m-%d}.md"
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print(f"已写入 {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""City-scale data for the benchmark (DESIGN §5): 120 departments, 600 units, 8,000 projects a
year × 3 years, with pre-assessments and their five dimension scores where a project needs one.

Written straight into the database DATABASE_URL points at with bulk_create, in batches — this is
data to measure with, not a lifecycle, so the services are bypassed (no review records, no audit
events). Everything it writes is marked ``BENCH-`` (organisation and project codes, ``bench_``
users), so ``--reset`` removes exactly that.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jxt_bench python bench/generate.py --scale 1 --years 1

With ``--targets``, every bench project also gets a target sheet of 20 indicator rows taken from
the indicator library (8,000 sheets × 20 rows a year, ~480k rows for 3 years), in the states a
city has in budget season; see bench/README.md.
"""

import argparse
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _django  # noqa: E402

PREFIX = "BENCH-"
BENCH_PASSWORD = "Bench@2026"  # bench-only accounts in a bench-only database
DEPARTMENTS, UNITS_PER_DEPARTMENT, PROJECTS_PER_YEAR = 120, 5, 8000

DEPARTMENT_NAMES = (
    "教育局", "卫生健康委员会", "交通运输局", "农业农村局", "人力资源和社会保障局", "生态环境局",
    "文化广电旅游局", "公安局", "民政局", "住房和城乡建设局", "水利局", "自然资源和规划局", "商务局",
    "科学技术局", "工业和信息化局", "应急管理局", "市场监督管理局", "体育局", "司法局", "林业局",
)  # fmt: skip
UNIT_NAMES = ("本级", "事业发展中心", "服务中心", "监测站", "执法支队")
PROJECT_WORDS = (
    "基础设施建设", "设备购置", "信息化建设", "运行维护", "专项补助", "能力提升", "政府购买服务",
    "改造提升", "应急保障", "人才培养", "监测评估", "示范工程", "综合治理", "公共服务", "安全生产",
)  # fmt: skip


def parse_args():
    parser = argparse.ArgumentParser(description="生成城市规模的基准测试数据（DESIGN §5）。")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="规模系数：1.0 = 120 个部门、600 个单位、每年 8000 个项目"
    )
    parser.add_argument("--years", type=int, default=3, help="生成的年度数（截至 --last-year），默认 3")
    parser.add_argument("--last-year", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=2000, help="每批写入的行数")
    parser.add_argument("--seed", type=int, default=20260101, help="随机种子（同一种子生成同样的数据）")
    parser.add_argument("--reset", action="store_true", help="先删除以前生成的 BENCH- 数据")
    parser.add_argument("--no-migrate", action="store_true", help="不先执行 migrate")
    parser.add_argument("--allow-sqlite", action="store_true", help="允许写入非 PostgreSQL 数据库")
    parser.add_argument(
        "--targets", action="store_true", help="同时为每个基准项目生成绩效目标表（每表 20 条指标，按年度跳过已有的）"
    )
    return parser.parse_args()


class Clock:
    def __init__(self):
        self.started = self.last = time.monotonic()

    def lap(self, what: str, rows: int | None = None):
        now = time.monotonic()
        rate = f"，{rows / (now - self.last):,.0f} 行/秒" if rows and now > self.last else ""
        print(f"  {what}：{now - self.last:.1f} 秒{rate}", flush=True)
        self.last = now

    def total(self) -> float:
        return time.monotonic() - self.started


def reset():
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from accounts.models import Organization
    from projects.models import Project
    from targets.models import ExpertReview, Indicator, TargetSheet

    with transaction.atomic():
        # Target sheets first (PROTECT on project); rows in one statement, adjustments before what they adjust.
        sheets = TargetSheet.objects.filter(project__code__startswith=PREFIX)
        Indicator.objects.filter(sheet__in=sheets.values("pk")).delete()  # no cascades: one DELETE
        ExpertReview.objects.filter(sheet__in=sheets.values("pk")).delete()
        sheets.filter(adjustment_of__isnull=False).delete()
        sheets.delete()
        deleted, _ = Project.objects.filter(code__startswith=PREFIX).delete()
        get_user_model().objects.filter(username__startswith="bench_").delete()
        # Children before parents (PROTECT on parent): deepest paths first.
        orgs = list(Organization.objects.filter(code__startswith=PREFIX).order_by("-path"))
        for depth in sorted({o.path.count(".") for o in orgs}, reverse=True):
            Organization.objects.filter(pk__in=[o.pk for o in orgs if o.path.count(".") == depth]).delete()
    print(f"已删除以前的基准数据（{deleted} 行，含级联）。")


def organizations(n_departments: int, batch: int):
    """The finance root, departments and units, reusing those that exist (keyed by code)."""
    from accounts.choices import OrganizationKind
    from accounts.models import Organization

    def ensure(rows: list[Organization]) -> dict[str, Organization]:
        existing = {o.code: o for o in Organization.objects.filter(code__in=[r.code for r in rows])}
        new = [r for r in rows if r.code not in existing]
        Organization.objects.bulk_create(new, batch_size=batch)
        for org in new:  # the materialised path needs the pk (Organization.save does this one by one)
            org.path = f"{org.parent.path if org.parent_id else ''}{org.pk:05d}."
        Organization.objects.bulk_update(new, ["path"], batch_size=batch)
        return existing | {o.code: o for o in new}

    root = ensure([Organization(code=f"{PREFIX}CZJ", name="基准市财政局", kind=OrganizationKind.FINANCE)])
    root = root[f"{PREFIX}CZJ"]
    departments = ensure(
        [
            Organization(
                code=f"{PREFIX}D{d:03d}",
                name=f"基准市{DEPARTMENT_NAMES[d % len(DEPARTMENT_NAMES)]}（{d:03d}）",
                kind=OrganizationKind.DEPARTMENT,
                parent=root,
            )
            for d in range(1, n_departments + 1)
        ]
    )
    unit_rows = []
    for dept in sorted(departments.values(), key=lambda o: o.code):
        for u in range(1, UNITS_PER_DEPARTMENT + 1):
            unit_rows.append(
                Organization(
                    code=f"{dept.code}U{u:02d}",
                    name=f"{dept.name}{UNIT_NAMES[(u - 1) % len(UNIT_NAMES)]}",
                    kind=OrganizationKind.UNIT,
                    parent=dept,
                )
            )
    units = ensure(unit_rows)
    return root, sorted(departments.values(), key=lambda o: o.code), sorted(units.values(), key=lambda o: o.code)


def users(root, departments, units):
    """bench_office (performance office: sees the whole city), bench_dept, bench_clerk, and
    bench_import: a 填报人 at the city level, so one workbook can carry 500 projects of many
    units for the import measurement (a real clerk's unit has a dozen)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.choices import Role

    password = make_password(BENCH_PASSWORD)
    for username, role, org in (
        ("bench_office", Role.PERFORMANCE_OFFICE, root),
        ("bench_dept", Role.DEPT_REVIEWER, departments[0]),
        ("bench_clerk", Role.UNIT_STAFF, units[0]),
        ("bench_import", Role.UNIT_STAFF, root),
    ):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"organization": org, "password": password, "last_name": "基准"}
        )
        if created:
            user.groups.add(Group.objects.get(name=role))


def fiscal_years(years: list[int]):
    from projects.models import FiscalYear

    result = {}
    for year in years:
        result[year], _ = FiscalYear.objects.get_or_create(year=year)
    if not FiscalYear.objects.filter(is_current=True).exists():
        FiscalYear.objects.filter(year=max(years)).update(is_current=True)
    return result


def _amount(rng: random.Random) -> Decimal:
    """10万–5000万, most projects small (log-uniform), in whole hundreds of yuan."""
    wan = 10 * (500 ** rng.random())
    return Decimal(int(wan * 100)) * 100


def projects_for_year(fiscal_year, units, n: int, rng: random.Random, batch: int, clock: Clock):
    from projects.choices import (
        BudgetType,
        Conclusion,
        Dimension,
        PreAssessmentMode,
        PreAssessmentStatus,
        ProjectKind,
        ProjectStatus,
    )
    from projects.models import DimensionScore, PreAssessment, Project

    year = fiscal_year.year
    if Project.objects.filter(fiscal_year=fiscal_year, code__startswith=PREFIX).exists():
        print(f"  {year}年度：已有基准项目，跳过（用 --reset 重新生成）")
        return 0
    budget_types = (
        [BudgetType.GENERAL_PUBLIC] * 85 + [BudgetType.GOVERNMENT_FUND] * 10 + [BudgetType.STATE_CAPITAL] * 2
    ) + [BudgetType.SOCIAL_INSURANCE] * 3
    kinds = [ProjectKind.PROJECT] * 50 + [k for k in ProjectKind.values if k != ProjectKind.PROJECT] * 5
    statuses = (
        [ProjectStatus.IN_LIBRARY] * 60 + [ProjectStatus.DRAFT] * 20 + [ProjectStatus.DEPT_REVIEW] * 12
    ) + [ProjectStatus.RETURNED] * 8
    threshold = fiscal_year.preassessment_threshold
    rows = []
    for i in range(1, n + 1):
        unit = units[i % len(units)]
        is_new, is_major = rng.random() < 0.4, rng.random() < 0.05
        years = 1 if rng.random() < 0.8 else rng.choice((2, 3))
        rows.append(
            Project(
                fiscal_year=fiscal_year,
                code=f"{PREFIX}{year}-{i:06d}",
                name=f"{unit.name}{rng.choice(PROJECT_WORDS)}项目{i:05d}",
                department_id=unit.parent_id,
                unit=unit,
                responsible_person="基准负责人",
                budget_amount=_amount(rng),
                funding_source="本级财政拨款",
                period_start=date(year, 1, 1),
                period_end=date(year + years - 1, 12, 31),
                budget_type=rng.choice(budget_types),
                kind=rng.choice(kinds),
                is_new=is_new,
                is_major=is_major,
                is_key=rng.random() < 0.03,
                status=rng.choice(statuses),
            )
        )
    Project.objects.bulk_create(rows, batch_size=batch)
    clock.lap(f"{year}年度项目 {len(rows):,} 个", len(rows))

    # A project that went forward and needs a pre-assessment has one concluded with support; the
    # others that need one are somewhere on the way.
    open_states = [s for s in PreAssessmentStatus.values if s != PreAssessmentStatus.CONCLUDED]
    pas = []
    for project in rows:
        if not (project.is_new and (project.is_major or project.budget_amount >= threshold)):
            continue
        if project.status == ProjectStatus.DRAFT:
            status = rng.choice(open_states + [PreAssessmentStatus.CONCLUDED])
            conclusion = Conclusion.REJECT if status == PreAssessmentStatus.CONCLUDED else ""
        else:
            status, conclusion = PreAssessmentStatus.CONCLUDED, rng.choice(
                [Conclusion.SUPPORT] * 3 + [Conclusion.SUPPORT_AFTER_ADJUSTMENT]
            )
        pas.append(
            PreAssessment(
                project=project,
                mode=rng.choice([PreAssessmentMode.SELF] * 8 + [PreAssessmentMode.EXPERTS] * 2),
                status=status,
                conclusion=conclusion,
                summary="基准数据",
            )
        )
    PreAssessment.objects.bulk_create(pas, batch_size=batch)
    scores = [
        DimensionScore(
            preassessment=pa,
            dimension=d,
            score=None if pa.status == PreAssessmentStatus.DRAFT else Decimal(rng.randint(24, 40)) / 2,
            opinion="" if pa.status == PreAssessmentStatus.DRAFT else "基准评估意见",
        )
        for pa in pas
        for d in Dimension.values
    ]
    DimensionScore.objects.bulk_create(scores, batch_size=batch)
    clock.lap(f"{year}年度事前评估 {len(pas):,} 个、维度得分 {len(scores):,} 条", len(pas) + len(scores))
    return len(rows)


# A sheet's 20 rows: the weights of each level 1's rows — 产出 50, 效益 30, 满意度 10.
TARGET_SHAPE = (("output", (4,) * 10 + (5, 5)), ("effect", (5,) * 6), ("satisfaction", (5, 5)))
# States of the latest year in budget season (earlier years: all approved), in percent.
TARGET_STATES = (
    ("approved", 52), ("draft", 14), ("dept_review", 10), ("finance_review", 8), ("office_review", 6),
    ("returned", 8), ("expert_review", 2),
)  # fmt: skip
ADJUSTED_PCT = 3  # of the latest year's approved sheets: an adjustment (version 2) in review


def _template_pools():
    """Confirmed library templates by level 1, loading the initial library if it is empty."""
    from targets.library_data import load_library
    from targets.models import IndicatorTemplate

    if not IndicatorTemplate.objects.exists():
        load_library()
    pools = {}
    for template in IndicatorTemplate.objects.confirmed().order_by("code"):
        pools.setdefault(template.level1, []).append(template)
    return pools


def _target_value(template, rng: random.Random):
    """(value, text) from the template's reference, or a plausible number where it has none."""
    if template.comparator == "qualitative":
        return None, template.suggested_value or "达到预期"
    try:
        return Decimal(template.suggested_value), ""
    except ArithmeticError:
        return Decimal(rng.randint(5, 500)), ""


def _rows_for(sheet, pools, rng: random.Random, continuing: bool) -> list:
    from targets.models import Indicator

    rows, position = [], 0
    for level1, weights in TARGET_SHAPE:
        for template, weight in zip(rng.sample(pools[level1], len(weights)), weights, strict=True):
            position += 1
            value, text = _target_value(template, rng)
            actual = None
            if continuing and value is not None and value > 0 and rng.random() < 0.5:
                factor = 1.3 if rng.random() < 0.02 else rng.uniform(0.9, 1.1)  # a few flagged 目标偏低
                actual = (value * Decimal(str(factor))).quantize(Decimal("0.01"))
            rows.append(
                Indicator(
                    sheet=sheet,
                    position=position,
                    level1=template.level1,
                    level2=template.level2,
                    name=template.name,
                    comparator=template.comparator,
                    target_value=value,
                    target_text=text,
                    unit=template.unit,
                    weight=Decimal(weight),
                    last_year_actual=actual,
                    template=template,
                )
            )
    return rows


def targets_for_year(fiscal_year, latest: bool, rng: random.Random, batch: int, clock: Clock) -> int:
    """A target sheet with 20 rows for every bench project of the year (none yet), bulk-created."""
    from django.db import transaction
    from django.utils import timezone

    from projects.models import Project
    from targets.models import Indicator, TargetSheet

    year = fiscal_year.year
    projects = Project.objects.filter(fiscal_year=fiscal_year, code__startswith=PREFIX)
    if TargetSheet.objects.filter(project__in=projects).exists():
        print(f"  {year}年度：已有基准绩效目标表，跳过（用 --reset 重新生成）")
        return 0
    pools = _template_pools()
    states = [state for state, pct in TARGET_STATES for _ in range(pct)] if latest else ["approved"]
    now = timezone.now()
    projects = list(projects.order_by("pk").only("pk", "is_key", "is_new", "period_start", "period_end", "name"))
    sheets, rows = 0, 0
    for start in range(0, len(projects), batch):
        chunk = projects[start : start + batch]
        with transaction.atomic():
            new = []
            for project in chunk:
                status = rng.choice(states)
                if status == "expert_review" and not project.is_key:
                    status = "office_review"  # only key projects go to experts
                multi_year = (project.period_end - project.period_start).days > 366
                new.append(
                    TargetSheet(
                        project=project,
                        status=status,
                        overall_goal=f"{year}年度完成{project.name}的各项产出任务，效益和满意度达到预期。",
                        whole_period_goal="实施期内全面完成建设任务，形成长效机制。" if multi_year else "",
                        approved_at=now if status == "approved" else None,
                        publish=status == "approved" and project.is_key,
                        created_at=now,
                        state_changed_at=now,
                    )
                )
            TargetSheet.objects.bulk_create(new, batch_size=batch)
            adjustments = []
            if latest:
                for sheet in new:
                    if sheet.status == "approved" and rng.random() < ADJUSTED_PCT / 100:
                        adjustments.append(
                            TargetSheet(
                                project_id=sheet.project_id,
                                version=2,
                                is_current=False,
                                status=rng.choice(("dept_review", "finance_review")),
                                overall_goal=sheet.overall_goal,
                                whole_period_goal=sheet.whole_period_goal,
                                adjustment_of=sheet,
                                adjustment_reason="基准数据：实施内容调整",
                                created_at=now,
                                state_changed_at=now,
                            )
                        )
                TargetSheet.objects.bulk_create(adjustments, batch_size=batch)
            by_project = {p.pk: p for p in chunk}
            indicators = [
                row
                for sheet in new + adjustments
                for row in _rows_for(sheet, pools, rng, continuing=not by_project[sheet.project_id].is_new)
            ]
            Indicator.objects.bulk_create(indicators, batch_size=batch)
        sheets += len(new) + len(adjustments)
        rows += len(indicators)
    clock.lap(f"{year}年度绩效目标表 {sheets:,} 张、指标 {rows:,} 条", sheets + rows)
    return sheets


def analyze():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main():
    args = parse_args()
    _django.setup(require_postgres=not args.allow_sqlite)
    from django.core.management import call_command
    from django.db import connection

    clock = Clock()
    if not args.no_migrate:
        call_command("migrate", "--noinput", verbosity=0)
        clock.lap("migrate")
    if args.reset:
        reset()
        clock.lap("删除旧数据")
    n_departments = max(1, round(DEPARTMENTS * args.scale))
    n_projects = max(1, round(PROJECTS_PER_YEAR * args.scale))
    years = list(range(args.last_year - args.years + 1, args.last_year + 1))
    print(
        f"数据库：{connection.vendor} {connection.settings_dict['NAME']}；规模 {args.scale}："
        f"{n_departments} 个部门、{n_departments * UNITS_PER_DEPARTMENT} 个单位、每年 {n_projects:,} 个项目 × "
        f"{len(years)} 年（{years[0]}–{years[-1]}）",
        flush=True,
    )
    root, departments, units = organizations(n_departments, args.batch)
    users(root, departments, units)
    clock.lap(f"组织 {1 + len(departments) + len(units)} 个与基准用户")
    rng = random.Random(args.seed)
    created = sheets = 0
    by_year = fiscal_years(years)
    for fiscal_year in by_year.values():
        created += projects_for_year(fiscal_year, units, n_projects, rng, args.batch, clock)
    if args.targets:
        target_rng = random.Random(args.seed + 1)  # the projects stay the same with or without targets
        for year, fiscal_year in by_year.items():
            sheets += targets_for_year(fiscal_year, year == years[-1], target_rng, args.batch, clock)
    analyze()
    clock.lap("ANALYZE")
    print(f"完成：新建项目 {created:,} 个、绩效目标表 {sheets:,} 张，共用时 {clock.total():.1f} 秒。")
    if not args.targets:
        print("绩效目标表（每项目 20 条指标）用 --targets 生成。")
    accounts = "bench_office / bench_dept / bench_clerk / bench_import"
    print(f"基准用户 {accounts}，密码 {BENCH_PASSWORD}（仅用于基准测试库）。")


if __name__ == "__main__":
    main()

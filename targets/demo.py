"""Targets of 示例市 for ``manage.py seed_demo`` (issue 3, deliverable 10).

Called by ``projects.demo.DemoCity.build`` once the projects exist. Loads the indicator library,
then gives projects a target sheet and moves each THROUGH the services
(``targets.services``, ``workflow.services.perform_transition``) by the person who would act, so
every state has its review records and audit events:

- 2025: every project in the library has an approved sheet (last year's targets);
- 2026: projects in the library are dealt a plan in turn — draft, at each review step, returned
  from each step, approved (some after a return), approved with an adjustment (version 2) in
  review or approved; key projects go to experts and, approved, carry the published snapshot;
  continuing projects carry last year's actuals, and some sheets are flagged 目标偏低;
- projects still at department review have a draft sheet; drafts, rejected and returned
  projects have none.

Rows come from the library: for each slot of the standard 50/30/10 table (the year's split) the
template of the project's field whose name shares most with the project's name, else a common one.

Idempotent: a project that already has a sheet is left as it is; the library is loaded by code.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from projects.choices import ProjectKind, ProjectStatus
from projects.demo import CURRENT_YEAR, PREVIOUS_YEAR
from projects.models import Project
from workflow.services import perform_transition

from . import library, services
from .choices import Comparator, IndicatorPeriod, IndustryField, Level1, Level2, TemplateStatus
from .library_data import load_library
from .models import IndicatorTemplate

FIELD_OF_DEPARTMENT = {
    "201": IndustryField.EDUCATION,
    "202": IndustryField.HEALTH,
    "203": IndustryField.TRANSPORT,
    "204": IndustryField.AGRICULTURE,
    "205": IndustryField.SOCIAL_SECURITY,
    "206": IndustryField.ENVIRONMENT,
    "207": IndustryField.CULTURE,
    "208": IndustryField.PUBLIC_SECURITY,
    "209": IndustryField.CIVIL_AFFAIRS,
    "210": IndustryField.HOUSING,
}

# The slots of a sheet: (level 2 or None for any effect kind, share of its level 1's weight).
OUTPUT_SLOTS = (
    (Level2.QUANTITY, 3),
    (Level2.QUANTITY, 2),
    (Level2.QUALITY, 2),
    (Level2.TIMELINESS, 2),
    (Level2.COST, 1),
)
EFFECT_SLOTS = ((None, 3), (None, 2), (Level2.SUSTAINABILITY, 1))
SATISFACTION_SLOTS = ((Level2.SERVICE_SATISFACTION, 1),)
EFFECT_KINDS = (Level2.ECONOMIC, Level2.SOCIAL, Level2.ECOLOGICAL)
# Where the field's own indicators matter most; elsewhere a common one unless a field one fits the name.
FIELD_FIRST = frozenset({Level2.QUANTITY, *EFFECT_KINDS, Level2.SERVICE_SATISFACTION})
# Two-character pieces of names too common to say a template fits a project.
GENERIC_BIGRAMS = frozenset({"示例", "例市", "市第", "建设", "项目", "服务", "管理", "工程", "数量", "实施", "中心"})
# The common quality / timeliness / cost rows that suit each kind of project.
_FUNDS = ("GX-ZL-04", "GX-SX-02", "GX-CB-01")
KIND_COMMON = {
    ProjectKind.PROJECT: ("GX-ZL-01", "GX-SX-01", "GX-CB-01"),
    ProjectKind.PROCUREMENT: ("GX-ZL-02", "GX-SX-04", "GX-CB-04"),
    ProjectKind.PURCHASED_SERVICE: ("GX-ZL-08", "GX-SX-01", "GX-CB-01"),
    ProjectKind.POLICY: ("GX-ZL-07", "GX-SX-03", "GX-CB-01"),
    ProjectKind.TRANSFER_PAYMENT: ("GX-ZL-04", "GX-SX-02", "GX-CB-01"),
    ProjectKind.SUBDISTRICT: ("GX-ZL-04", "GX-SX-01", "GX-CB-01"),
    ProjectKind.LOWER_GOVERNMENT: _FUNDS,
    ProjectKind.PPP: _FUNDS,
    ProjectKind.INVESTMENT_FUND: _FUNDS,
    ProjectKind.GOVERNMENT_DEBT: _FUNDS,
}

# Ranges for a value the library leaves to the project ("按实施方案确定"), by unit.
VALUE_RANGE = {
    "公里": (8, 120),
    "万亩": (1, 12),
    "万人": (1, 15),
    "万人次": (3, 60),
    "人次": (300, 6000),
    "人": (150, 4000),
    "户": (200, 3000),
    "平方米": (1500, 20000),
    "万平方米": (5, 60),
    "万元": (200, 3000),
    "万公斤": (50, 800),
    "万吨/日": (2, 10),
    "万吨/年": (1, 6),
    "吨": (100, 1500),
    "份": (500, 8000),
    "万头（只）": (20, 150),
}
DEFAULT_RANGE = (5, 60)

# Plans: the steps a sheet goes through (see _SheetRunner).
APPROVE = ("create", "submit", "dept", "finance", "office")
PLANS = {
    "none": (),
    "draft": ("create",),
    "draft_incomplete": ("create_incomplete",),
    "dept_review": ("create", "submit"),
    "finance_review": ("create", "submit", "dept"),
    "office_review": ("create", "submit", "dept", "finance"),
    "office_flagged": ("create_flagged", "submit", "dept", "finance"),
    "returned_dept": ("create", "submit", "return_dept"),
    "returned_finance": ("create", "submit", "dept", "return_finance"),
    "returned_office": ("create", "submit", "dept", "finance", "return_office"),
    "approved": APPROVE,
    "approved_after_return": ("create", "submit", "return_dept", "fix", "submit", "dept", "finance", "office"),
    "adjust_draft": (*APPROVE, "adjust"),
    "adjust_dept": (*APPROVE, "adjust", "submit"),
    "adjust_finance": (*APPROVE, "adjust", "submit", "dept"),
    "adjust_approved": (*APPROVE, "adjust", "submit", "dept", "finance", "office"),
    # key projects (重点项目): experts score before the office approves
    "key_office": ("create", "submit", "dept", "finance"),
    "key_experts": ("create", "submit", "dept", "finance", "experts"),
    "key_approved": ("create", "submit", "dept", "finance", "experts", "score", "office"),
    "key_adjust": ("create", "submit", "dept", "finance", "experts", "score", "office", "adjust", "submit", "dept"),
}
TURN = (
    "approved",
    "dept_review",
    "finance_review",
    "returned_dept",
    "office_review",
    "adjust_dept",
    "approved",
    "draft",
    "approved_after_return",
    "returned_finance",
    "adjust_finance",
    "office_flagged",
    "approved",
    "draft_incomplete",
    "adjust_approved",
    "returned_office",
    "none",
    "adjust_draft",
)
KEY_TURN = ("key_approved", "key_experts", "key_approved", "key_adjust", "key_office", "key_approved")
# The README's demo users see these (danwei: 第一中学; danwei2: 人民医院; bumen: 教育局).
NAMED_PLANS = {
    "示例市第一中学校园安保服务": "returned_dept",
    "示例市第二中学教师培训": "dept_review",
    "示例市实验小学课后服务政府购买服务": "adjust_dept",
    "学前教育生均公用经费补助": "approved",
    "公立医院综合改革补助": "office_flagged",
    "示例市智慧教育云平台建设": "key_approved",
    "示例市人民医院住院综合楼建设": "key_adjust",
    # approved, so danwei has monitoring reports (monitoring/demo.py)
    "示例市第一中学学生心理健康教育服务": "approved",
    "示例市第一中学图书馆图书资源更新": "approved",
}

RETURN_OPINIONS = {
    "dept": (
        "产出数量指标与项目实施方案不一致，请核实后修改。",
        "效益指标偏定性，请补充可量化的社会效益指标。",
        "产出数量指标明显低于上年实际完成水平，请按“跳一跳、够得着”的原则调增。",
    ),
    "finance": (
        "成本指标缺少测算依据，请补充单位成本测算说明后重新报送。",
        "绩效目标与预算资金规模不匹配，请结合预算安排调整产出指标值。",
    ),
    "office": (
        "年度总体目标表述笼统，请与产出、效益指标对应，写明可考核的结果。",
        "满意度指标未说明调查方式和样本量，请在备注中补充。",
    ),
}
APPROVE_OPINIONS = {
    "dept": "经审核，绩效目标与项目实施内容相符，指标量化可考核，同意报送财政部门。",
    "finance": "指标设置合理，与预算安排匹配，同意。",
    "office": "同意，与预算同步批复。",
}
ADJUSTMENT_REASONS = (
    "受上级补助资金下达额度调减影响，项目实施内容相应压减，申请调减产出数量指标。",
    "经主管部门批准优化实施方案，建设内容有所增加，申请相应调增产出数量指标。",
    "因政策补助标准调整，申请按新标准调整相关产出指标值。",
)
EXPERT_COMMENTS = (
    "绩效目标与项目建设内容匹配，产出指标量化充分；建议将满意度调查样本量写入备注。",
    "指标体系完整，效益指标可衡量；成本指标建议补充单位造价对比依据。",
    "总体目标清晰，年度目标与实施期目标衔接合理，同意按此批复。",
)


@dataclass
class TargetSummary:
    templates_created: int = 0
    sheets_created: int = 0
    transitions: int = 0


def seed_targets(city) -> TargetSummary:
    """Library, proposals and sheets of 示例市; ``city`` is the DemoCity that built the projects."""
    summary = TargetSummary()
    summary.templates_created = load_library().created
    _proposals(city)
    templates = list(IndicatorTemplate.objects.confirmed())
    projects = (
        Project.objects.filter(
            fiscal_year__year__in=(PREVIOUS_YEAR, CURRENT_YEAR),
            status__in=(ProjectStatus.IN_LIBRARY, ProjectStatus.DEPT_REVIEW),
        )
        .select_related("fiscal_year", "unit", "department")
        .order_by("fiscal_year__year", "code")
    )
    taken = set(
        Project.objects.filter(target_sheets__isnull=False).values_list("pk", flat=True)
    )  # idempotent: a project with a sheet is left alone
    turns = {"plain": 0, "key": 0}
    for project in projects:
        plan = _plan_for(project, turns)
        if project.pk in taken or not PLANS[plan]:
            continue
        runner = _SheetRunner(city, project, templates, plan)
        runner.run()
        summary.sheets_created += runner.sheets
        summary.transitions += runner.transitions
    return summary


def _plan_for(project, turns) -> str:
    """Dealt over every candidate (with a sheet already or not), so a re-run deals the same."""
    if project.status == ProjectStatus.DEPT_REVIEW:
        return "draft" if project.fiscal_year.year == CURRENT_YEAR else "none"
    if project.fiscal_year.year == PREVIOUS_YEAR:
        return "approved"
    if project.name in NAMED_PLANS:
        return NAMED_PLANS[project.name]
    kind, turn = ("key", KEY_TURN) if project.is_key else ("plain", TURN)
    plan = turn[turns[kind] % len(turn)]
    turns[kind] += 1
    return plan


def _proposals(city):
    """Departments propose templates of their field; the office confirms one and rejects one."""
    office = city.users["jixiao"]
    proposals = (
        (
            city.users["bumen"],
            {
                "name": "中小学研学实践活动参与学生人次",
                "level1": Level1.OUTPUT,
                "level2": Level2.QUANTITY,
                "field": IndustryField.EDUCATION,
                "comparator": Comparator.GTE,
                "unit": "人次",
                "suggested_value": "按研学实践计划确定",
                "data_source": "研学实践活动台账",
                "scoring_note": "按实际完成值÷目标值×该指标分值计分，最高不超过该指标分值。",
            },
            None,
        ),
        (
            city.users["danwei2"],
            {
                "name": "急性ST段抬高型心肌梗死患者进门至球囊扩张时间（D2B）",
                "level1": Level1.OUTPUT,
                "level2": Level2.TIMELINESS,
                "field": IndustryField.HEALTH,
                "comparator": Comparator.LTE,
                "unit": "分钟",
                "suggested_value": "90",
                "data_source": "胸痛中心数据填报平台",
                "scoring_note": "中位时间≤目标值的，得满分；每超出10分钟扣该指标分值的20%，扣完为止。",
            },
            ("confirm", "符合胸痛中心建设标准，纳入卫生健康领域指标库。"),
        ),
        (
            city.reviewers["203"],
            {
                "name": "公路养护车辆购置数量",
                "level1": Level1.OUTPUT,
                "level2": Level2.QUANTITY,
                "field": IndustryField.TRANSPORT,
                "comparator": Comparator.GTE,
                "unit": "辆",
                "suggested_value": "按采购计划确定",
                "data_source": "政府采购合同、车辆登记证书",
                "scoring_note": "按实际完成值÷目标值×该指标分值计分，最高不超过该指标分值。",
            },
            ("reject", "与共性指标“设备购置数量”重复，不予采纳，请直接选用共性指标。"),
        ),
    )
    for user, data, decision in proposals:
        department = user.organization.department
        if IndicatorTemplate.objects.filter(name=data["name"], proposed_by=department).exists():
            continue
        template = library.propose_template(user, data)
        if decision:
            action, opinion = decision
            (library.confirm_template if action == "confirm" else library.reject_template)(template, office, opinion)


# --- rows ------------------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} - GENERIC_BIGRAMS


def _split(total: int, shares: list[int]) -> list[int]:
    """Whole-number weights in proportion to ``shares`` summing exactly to ``total``."""
    weights = [total * s // sum(shares) for s in shares]
    weights[0] += total - sum(weights)
    return weights


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


class _RowPicker:
    """Chooses a sheet's rows from the library for one project (deterministic per project code)."""

    def __init__(self, project, templates, rng: random.Random):
        self.project, self.rng = project, rng
        field = FIELD_OF_DEPARTMENT.get(project.department.code, IndustryField.GENERAL)
        overall = project.kind == ProjectKind.DEPARTMENT_OVERALL
        self.words = _bigrams(project.name)
        suits_kind = KIND_COMMON.get(project.kind, ())
        self.candidates = []  # (template, bonus)
        for t in templates:
            if t.code.startswith("BM-"):
                if overall:
                    self.candidates.append((t, 10))
            elif t.field == field and t.status == TemplateStatus.CONFIRMED:
                self.candidates.append((t, 2))
            elif t.field == IndustryField.GENERAL:
                self.candidates.append((t, 4 if t.code in suits_kind else 0))
        self.used: set[int] = set()

    def pick(self, level2s) -> IndicatorTemplate:
        best, best_score = None, None
        for template, bonus in self.candidates:
            if template.level2 not in level2s or template.pk in self.used:
                continue
            overlap = len(self.words & _bigrams(template.name))
            if template.field != IndustryField.GENERAL and not overlap and not FIELD_FIRST.intersection(level2s):
                bonus = -1  # a field-specific quality/time/cost row only when it fits the project
            score = (overlap * 3 + bonus, self.rng.random())
            if best_score is None or score > best_score:
                best, best_score = template, score
        self.used.add(best.pk)
        return best

    def value(self, template) -> tuple[Decimal | None, str]:
        if template.comparator == Comparator.QUALITATIVE:
            return None, template.suggested_value
        try:
            return Decimal(template.suggested_value), ""
        except ArithmeticError:
            low, high = VALUE_RANGE.get(template.unit, DEFAULT_RANGE)
            raw = Decimal(str(self.rng.uniform(low, high)))
            return raw.quantize(Decimal("0.1") if high <= 20 else Decimal("1")), ""

    def rows(self, fiscal_year) -> list[dict]:
        rows = []
        for level1, slots, total in (
            (Level1.OUTPUT, OUTPUT_SLOTS, fiscal_year.weight_output),
            (Level1.EFFECT, EFFECT_SLOTS, fiscal_year.weight_effect),
            (Level1.SATISFACTION, SATISFACTION_SLOTS, fiscal_year.weight_satisfaction),
        ):
            if not total:
                continue
            weights = _split(total, [share for _, share in slots])
            for (level2, _), weight in zip(slots, weights, strict=True):
                template = self.pick((level2,) if level2 else EFFECT_KINDS)
                value, text = self.value(template)
                rows.append(
                    {
                        "level1": level1,
                        "level2": template.level2,
                        "name": template.name,
                        "comparator": template.comparator,
                        "target_value": "" if value is None else _number(value),
                        "target_text": text,
                        "unit": template.unit,
                        "weight": str(weight),
                        "template": template.pk,
                        "note": "满意度问卷调查，有效样本不少于100份" if level1 == Level1.SATISFACTION else "",
                    }
                )
        return rows


def _display(row: dict) -> str:
    if row["comparator"] == Comparator.QUALITATIVE:
        return f"{row['name']}{row['target_text']}"
    return f"{row['name']}{Comparator(row['comparator']).label}{row['target_value']}{row['unit']}"


def _last_year_actuals(rows: list[dict], rng: random.Random):
    """What a continuing project reached last year: near this year's target (never ≥ 20 % over)."""
    for row in rows:
        if row["comparator"] in (Comparator.GTE, Comparator.LTE) and row["target_value"]:
            target = Decimal(row["target_value"])
            actual = target * Decimal(str(rng.uniform(0.9, 1.08)))
            if row["unit"] == "%":
                actual = min(actual, Decimal("100"))
            step = Decimal("1") if target == target.to_integral_value() and target >= 10 else Decimal("0.1")
            row["last_year_actual"] = _number(actual.quantize(step))


def _flag_too_low(rows: list[dict]):
    """Last year's actual already beat one target by a third: the check flags it 目标偏低."""
    row = next(r for r in rows if r["level2"] == Level2.QUANTITY and r["target_value"])
    row["last_year_actual"] = _number((Decimal(row["target_value"]) * Decimal("1.35")).quantize(Decimal("1")))


def _scaled(rows: list[dict], index: int, factor: str) -> list[dict]:
    rows = [dict(r) for r in rows]
    value = Decimal(rows[index]["target_value"]) * Decimal(factor)
    rows[index]["target_value"] = _number(value.quantize(Decimal("0.1") if value < 20 else Decimal("1")))
    return rows


def _whole_period(rows: list[dict], years: int) -> list[dict]:
    """实施期指标 of a multi-year project: the year's table with quantities for the whole period."""
    whole = []
    for row in rows:
        row = {**row, "period": IndicatorPeriod.WHOLE, "last_year_actual": ""}
        if row["level2"] == Level2.QUANTITY and row["unit"] != "%" and row["target_value"]:
            row["target_value"] = _number(Decimal(row["target_value"]) * years)
        whole.append(row)
    return whole


# --- a sheet through its plan ----------------------------------------------------------------


class _SheetRunner:
    """Takes one project's sheet through the steps of its plan, each by the user who would do it."""

    TRANSITIONS = frozenset({"submit", "dept", "finance", "office", "return_dept", "return_finance", "return_office"})

    def __init__(self, city, project, templates, plan: str):
        self.city, self.project, self.plan = city, project, plan
        self.steps = PLANS[plan]
        self.clerk = city.clerks[project.unit.code]
        self.reviewer = city.reviewers[project.department.code]
        self.finance, self.office = city.users["caizheng"], city.users["jixiao"]
        self.rng = random.Random(f"targets:{project.fiscal_year.year}:{project.code}")
        self.picker = _RowPicker(project, templates, self.rng)
        self.sheet = None
        self.rows: list[dict] = []
        self.sheets = self.transitions = 0

    def run(self):
        for step in self.steps:
            getattr(self, f"step_{step}")()
            self.transitions += step in self.TRANSITIONS

    def _goals(self, rows: list[dict]) -> tuple[str, str]:
        project, year = self.project, self.project.fiscal_year.year
        year_rows = [r for r in rows if r.get("period", IndicatorPeriod.YEAR) == IndicatorPeriod.YEAR]
        outputs = [r for r in year_rows if r["level1"] == Level1.OUTPUT]
        effects = [r for r in year_rows if r["level1"] == Level1.EFFECT]
        satisfaction = [r for r in year_rows if r["level1"] == Level1.SATISFACTION]
        who = "" if project.name.startswith(project.unit.name) else project.unit.name
        overall = (
            f"{year}年度，{who}实施{project.name}，"
            f"完成{_display(outputs[0])}、{_display(outputs[1])}，{_display(outputs[2])}；"
            f"实现{_display(effects[0])}、{_display(effects[1])}"
            + (f"；{_display(satisfaction[0])}。" if satisfaction else "。")
        )
        whole = ""
        if project.is_multi_year:
            start, end = project.period_start.year, project.period_end.year
            first = _whole_period(outputs[:1], end - start + 1)[0]
            whole = (
                f"{start}—{end}年，全面完成{project.name}实施方案确定的各项任务，{_display(first)}；"
                f"{_display(effects[0])}，并形成长效运行机制。"
            )
        return overall, whole

    def _all_rows(self, rows: list[dict]) -> list[dict]:
        if not self.project.is_multi_year:
            return rows
        years = self.project.period_end.year - self.project.period_start.year + 1
        return rows + _whole_period(rows, years)

    def _save(self, rows: list[dict]):
        overall, whole = self._goals(rows)
        self.rows = rows
        result = services.save_sheet(
            self.sheet, self.clerk, overall_goal=overall, whole_period_goal=whole, rows=self._all_rows(rows)
        )
        self.sheet = result.sheet

    def _create(self, rows: list[dict], flagged: bool = False):
        self.sheet = services.create_sheet(self.project, self.clerk)
        self.sheets += 1
        if flagged or not self.project.is_new:
            _last_year_actuals(rows, self.rng)
        if flagged:
            _flag_too_low(rows)
        self._save(rows)

    def step_create(self):
        self._create(self.picker.rows(self.project.fiscal_year))

    def step_create_flagged(self):
        self._create(self.picker.rows(self.project.fiscal_year), flagged=True)

    def step_create_incomplete(self):
        """A draft still being written: no satisfaction row yet, so weights add up to 80."""
        rows = [r for r in self.picker.rows(self.project.fiscal_year) if r["level1"] != Level1.SATISFACTION]
        self._create(rows)

    def _transition(self, action, user, opinion=""):
        perform_transition(self.sheet, action, user, opinion)

    def step_submit(self):
        self._transition("submit", self.clerk)

    def step_dept(self):
        self._transition("approve", self.reviewer, APPROVE_OPINIONS["dept"])

    def step_finance(self):
        self._transition("approve", self.finance, APPROVE_OPINIONS["finance"])

    def step_office(self):
        self.sheet.refresh_from_db()
        self._transition("approve", self.office, APPROVE_OPINIONS["office"])

    def _return(self, step, user):
        opinions = RETURN_OPINIONS[step]
        self._transition("return", user, opinions[self.rng.randrange(len(opinions))])

    def step_return_dept(self):
        self._return("dept", self.reviewer)

    def step_return_finance(self):
        self._return("finance", self.finance)

    def step_return_office(self):
        self._return("office", self.office)

    def step_fix(self):
        """The clerk raises the first quantity after the department's return."""
        self._save(_scaled(self.rows, 0, "1.25"))

    def step_adjust(self):
        reason = ADJUSTMENT_REASONS[self.rng.randrange(len(ADJUSTMENT_REASONS))]
        approved = self.sheet
        approved.refresh_from_db()
        self.sheet = services.request_adjustment(approved, self.clerk, reason)
        self.sheets += 1
        self._save(_scaled(self.rows, 0, "1.2" if "调增" in reason else "0.8"))

    def _panel(self):
        department = self.project.department
        experts = (self.city.experts["陈立新"], self.city.experts["刘洋"])
        return [e for e in experts if e.user_id and e.is_active and not e.conflicts_with(department)]

    def step_experts(self):
        services.send_to_experts(self.sheet, self.office, self._panel(), "重点项目，送专家评审。")
        self.transitions += 1

    def step_score(self):
        for review in self.sheet.expert_reviews.select_related("expert__user").order_by("pk"):
            score = Decimal(self.rng.randrange(80, 95))
            comment = EXPERT_COMMENTS[self.rng.randrange(len(EXPERT_COMMENTS))]
            services.submit_expert_review(review, review.expert.user, score, comment)
        self.transitions += 1  # the last score moves the sheet back to the office


# --- what seed_demo prints ---------------------------------------------------------------------


def report_lines(summary: TargetSummary | None) -> list[str]:
    from django.db.models import Count

    from .checks import too_low_flag
    from .choices import SheetStatus, TemplateScope
    from .models import Indicator, TargetSheet

    lines = []
    if summary is not None:
        lines.append(
            f"本次新建：指标模板 {summary.templates_created} 条，绩效目标表 {summary.sheets_created} 张"
            f"（流转 {summary.transitions} 步）。"
        )
    confirmed = IndicatorTemplate.objects.confirmed()
    statuses = dict(IndicatorTemplate.objects.values_list("status").annotate(n=Count("pk")))
    lines.append(
        f"指标库：已确认 {confirmed.count()} 条（共性 {confirmed.filter(scope=TemplateScope.COMMON).count()}，"
        f"分行业分领域 {confirmed.filter(scope=TemplateScope.FIELD).count()}，"
        f"{confirmed.exclude(field=IndustryField.GENERAL).values('field').distinct().count()} 个行业领域），"
        f"待确认 {statuses.get(TemplateStatus.PROPOSED, 0)}，未采纳 {statuses.get(TemplateStatus.REJECTED, 0)}"
    )
    sheets = dict(TargetSheet.objects.values_list("status").annotate(n=Count("pk")))
    adjustments = TargetSheet.objects.filter(adjustment_of__isnull=False)
    with_actuals = Indicator.objects.exclude(last_year_actual=None).select_related("sheet__project__fiscal_year")
    flagged = {r.sheet_id for r in with_actuals if too_low_flag(r, r.sheet.project.fiscal_year.target_too_low_pct)}
    lines.append(
        f"绩效目标表：{TargetSheet.objects.count()} 张；"
        + "，".join(f"{label} {sheets.get(value, 0)}" for value, label in SheetStatus.choices)
        + f"；调整申请 {adjustments.count()} 张（审核中 "
        f"{adjustments.exclude(status__in=[SheetStatus.APPROVED, SheetStatus.DRAFT]).count()}）；"
        f"重点项目已公开 {TargetSheet.objects.filter(publish=True).count()} 张；目标偏低提示 {len(flagged)} 张"
    )
    return lines

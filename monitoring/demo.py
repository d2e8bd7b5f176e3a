"""Dual monitoring of 示例市 for ``manage.py seed_demo`` (issue 4, deliverable 10).

Called by ``projects.demo.DemoCity.build`` after the targets. The performance office (jixiao) opens
two rounds of 2026 through ``services.open_round`` — a report for every project whose target sheet
in force is approved:

- 第三季度, the mandatory round (due Oct 15, so past due on the demo's December date). Each report is
  dealt a plan: the unit's clerk fills it through ``services.save_report`` with figures drawn for
  a light profile — a red, yellow or green budget; red, yellow, blue or green rows of ≥, ≤ and
  qualitative indicators, with the cause, reason and measures each non-green light needs — and it
  moves through ``workflow.services.perform_transition`` by whoever acts at each step (department
  reviewer, the finance reviewer caizheng) to every state, returns from both steps included.
  Reports accepted with a rectification request carry it in every state, answered through
  ``services.answer_rectification``; the office suspends funds of two projects (one suspension
  lifted once the rectification was confirmed), stops one and recovers part of another's.
- 上半年, an optional half-year round: most units reported, with figures consistent with their Q3
  ones (paid and cumulative outputs smaller), and were accepted; the others never reported or left
  a draft; the office has closed the round.

The README's users: danwei (第一中学) has a Q3 draft with a red row still to explain and a report
her department returned; bumen has reports at department review and a rectification to answer;
caizheng has reports at finance review and a rectification answer to confirm.

Figures come from a generator seeded by the round and the project's code, and each drawn figure is
checked against the light rules (``lights``) before it is saved, so every run yields the same lights.

Idempotent: a round that exists is not opened again, and only untouched drafts (nothing filled, never
submitted) are worked on; the half-year round is filled only when it is still open.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q

from projects.demo import CURRENT_YEAR
from targets.choices import Comparator
from workflow.models import ReviewRecord
from workflow.services import perform_transition

from . import services
from .choices import (
    LIGHTS_NEEDING_REASON,
    CompletionOutlook,
    DeviationCause,
    FundingActionKind,
    Light,
    PeriodKind,
    QualitativeProgress,
)
from .choices import ReportStatus as S
from .lights import WarningRules, budget_light, fmt, indicator_light, judgement_of
from .models import FundingAction, MonitoringReport, MonitoringRound, MonitoringRow, Rectification

R, Y, B, G = Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN
QUALITATIVE_OF = {G: QualitativeProgress.ACHIEVED, Y: QualitativeProgress.PARTLY, R: QualitativeProgress.NOT_ACHIEVED}
Q3 = (PeriodKind.QUARTER, 3)
H1 = (PeriodKind.HALF_YEAR, 1)
HUNDRED = Decimal(100)

# Values that describe a level reached (a rate, a duration, a standard), not an amount that
# accumulates over the year: at the end of September they already stand near the target.
LEVEL_UNITS = frozenset(
    {"%", "‰", "年", "个月", "小时", "分钟", "次", "元/人·月", "元/生·年", "万元/公里", "万元/户", "万元/站·年",
     "元/吨", "微克/立方米"}
)  # fmt: skip
WHOLE_UNITS = frozenset({"人", "户", "个", "盏", "辆", "座", "条", "间", "场", "份", "台（套）", "件（套）", "起"})


@dataclass(frozen=True)
class Profile:
    """The lights a report's figures are drawn for: the budget's, and the rows that are not green
    by kind of indicator (every other row green). A kind the sheet lacks is skipped."""

    budget: str
    gte: tuple = ()
    lte: tuple = ()
    qualitative: tuple = ()


PROFILES = {
    "green": Profile(G),
    "blue": Profile(G, gte=(B,)),
    "yellow_budget": Profile(Y),
    "minor": Profile(G, gte=(Y,), qualitative=(Y,)),
    "lte_yellow": Profile(G, lte=(Y,)),
    "serious": Profile(R, gte=(R,), qualitative=(R,)),
    "red_row": Profile(Y, gte=(R,), lte=(R,)),
    "mixed": Profile(G, gte=(B, R), lte=(Y,), qualitative=(Y,)),
}

_REVIEW = ("fill", "submit", "dept_approve")
_RECTIFY = (*_REVIEW, "rectify")
# plan → (profile, steps); the steps are _ReportRunner.step_<name>.
PLANS = {
    "draft_empty": (None, ()),
    "draft_partial": ("minor", ("fill_partial",)),
    "draft_red": ("red_row", ("fill_unexplained",)),
    "dept_review": ("green", ("fill", "submit")),
    "dept_review_lte": ("lte_yellow", ("fill", "submit")),
    "returned_dept": ("yellow_budget", ("fill", "submit", "dept_return")),
    "returned_finance": ("blue", (*_REVIEW, "finance_return")),
    "finance_review": ("minor", _REVIEW),
    "finance_review_red": ("serious", _REVIEW),
    "finance_review_green": ("green", _REVIEW),
    "accepted": ("green", (*_REVIEW, "accept")),
    "accepted_blue": ("blue", (*_REVIEW, "accept")),
    "accepted_yellow": ("yellow_budget", (*_REVIEW, "accept")),
    "accepted_after_return": ("lte_yellow", ("fill", "submit", "dept_return", "fix", *_REVIEW[1:], "accept")),
    "rectify_issued": ("red_row", _RECTIFY),
    "rectify_submitted": ("serious", (*_RECTIFY, "answer", "answer_submit")),
    "rectify_sent_back": ("mixed", (*_RECTIFY, "suspend", "answer_weak", "answer_submit", "send_back")),
    "rectify_confirmed": ("serious", (*_RECTIFY, "suspend", "answer", "answer_submit", "confirm", "lift")),
    "rectify_stop": ("serious", (*_RECTIFY, "stop")),
    "rectify_recover": ("red_row", (*_RECTIFY, "answer", "answer_submit", "confirm", "recover")),
}
# Dealt in turn over the Q3 reports not named below (ordered by project code).
TURN = (
    "accepted",
    "finance_review",
    "rectify_submitted",
    "accepted_blue",
    "returned_finance",
    "draft_partial",
    "rectify_confirmed",
    "finance_review_red",
    "accepted_after_return",
    "rectify_sent_back",
    "dept_review",
    "accepted_yellow",
    "draft_empty",
    "rectify_stop",
    "finance_review_green",
    "accepted",
    "rectify_recover",
    "returned_dept",
    "rectify_issued",
    "accepted_blue",
    "finance_review",
    "dept_review_lte",
    "accepted",
    "draft_empty",
    "accepted_yellow",
    "rectify_submitted",
    "finance_review",
)
# What the README's users find (danwei: 第一中学; bumen: 教育局).
NAMED_PLANS = {
    "示例市第一中学学生心理健康教育服务": "draft_red",
    "示例市第一中学图书馆图书资源更新": "returned_dept",
    "示例市教育局部门整体支出": "dept_review",
    "学前教育生均公用经费补助": "dept_review_lte",
    "示例市智慧教育云平台建设": "rectify_issued",
}
# The half-year round, dealt in turn over its reports whose Q3 report was filled in full.
H1_TURN = ("accepted", "accepted", "unreported", "accepted", "draft", "accepted", "accepted")

# --- texts (as a unit, a reviewer, finance would write them) --------------------------------

C = DeviationCause
BUDGET_REASONS = {
    R: (
        (
            C.SYSTEM,
            "政府采购流程耗时较长，合同于8月下旬才签订，首期款尚未达到支付条件，支出进度明显滞后于序时进度。",
            "督促供应商加快履约，约定10月底前完成首期验收并支付；建立支出进度周调度机制，确保年底预算执行率不低于90%。",
        ),
        (
            C.FUNDING,
            "上级补助资金9月中旬才下达，本级配套资金拨付相应推迟，截至期末仅支付前期费用。",
            "资金已全部到位，按已签合同加快拨付；确实无法支出的部分及时申请调整预算。",
        ),
        (
            C.FACILITIES,
            "受汛期和施工场地移交滞后影响，7—8月停工，工程款未能按计划支付。",
            "已完成场地移交并增加施工班组，倒排工期、按月计量支付，确保年底前支付到位。",
        ),
    ),
    Y: (
        (
            C.SYSTEM,
            "服务费按季度考核后支付，第三季度服务费待考核结果确定后于10月支付，支出进度略低于序时进度。",
            "10月中旬完成考核并支付第三季度服务费，此后按月跟踪支出进度。",
        ),
        (
            C.STAFF,
            "项目财务人员岗位调整，部分报账手续办理延迟。",
            "已明确专人负责报账，10月底前完成已完工部分的结算支付。",
        ),
        (
            C.OTHER,
            "部分工程款待结算审核完成后支付，支出进度略低于序时进度。",
            "加快结算审核，11月底前支付到位，预计全年预算执行率可达95%以上。",
        ),
    ),
}
ROW_REASONS = {
    (Comparator.GTE, R): (
        (
            C.FACILITIES,
            "受施工条件和设备到货延迟影响，截至期末完成{actual}{unit}，明显低于序时进度。",
            "调整实施计划，增加作业力量，实行周调度、月通报，力争年底前完成年度目标。",
        ),
        (
            C.STAFF,
            "项目实施人员不足，截至期末完成{actual}{unit}，进度滞后。",
            "通过政府购买服务补充人员力量，按月分解剩余任务并跟踪落实。",
        ),
    ),
    (Comparator.GTE, Y): (
        (
            C.OTHER,
            "该项工作集中在第四季度实施，截至期末完成{actual}{unit}，略低于序时进度。",
            "按计划在第四季度集中推进，预计年底完成年度目标。",
        ),
        (
            C.SYSTEM,
            "实施方案调整后重新履行审批程序，截至期末完成{actual}{unit}。",
            "审批已完成，加快组织实施，每月报送进展。",
        ),
    ),
    (Comparator.GTE, B): (
        (
            C.OTHER,
            "年初按保守口径设定目标，实际需求高于预期，截至期末已完成{actual}{unit}，达到年度目标的{achieved}%。",
            "在年度绩效自评中如实说明，下一年度结合实际完成水平合理设定目标值。",
        ),
    ),
    (Comparator.LTE, R): (
        (
            C.FUNDING,
            "受原材料和人工价格上涨影响，截至期末为{actual}{unit}，超过目标值{target}{unit}。",
            "优化实施方案，严格执行支出标准，后续采购通过竞争方式压降成本。",
        ),
    ),
    (Comparator.LTE, Y): (
        (
            C.OTHER,
            "截至期末为{actual}{unit}，超出目标上限{target}{unit}，主要是部分环节执行标准偏高。",
            "加强过程管控，按月监测，确保全年不超过目标值。",
        ),
    ),
    (Comparator.QUALITATIVE, R): (
        (
            C.SYSTEM,
            "相关制度和工作机制尚未建立，“{target}”的目标尚未实现。",
            "制定工作方案，明确责任分工和时间节点，年底前完成。",
        ),
    ),
    (Comparator.QUALITATIVE, Y): (
        (
            C.SYSTEM,
            "相关工作已部分完成，尚未全面实现“{target}”。",
            "加快推进剩余工作，年底前全面完成。",
        ),
    ),
}
ACCIDENT_REASON = (
    C.OTHER,
    "期内发生{actual}{unit}，未实现“不超过{target}{unit}”的目标。",
    "全面排查安全隐患，落实安全生产责任制，加强日常巡查和作业人员培训。",
)
PROGRESS_NOTES = {
    QualitativeProgress.ACHIEVED: "截至期末，{target}，达到年度目标要求。",
    QualitativeProgress.PARTLY: "已完成部分工作，尚未全面实现“{target}”。",
    QualitativeProgress.NOT_ACHIEVED: "相关工作进展缓慢，尚未实现“{target}”。",
}
BUDGET_SUMMARY = {G: "支出进度符合序时要求", Y: "略低于序时进度", R: "明显滞后于序时进度"}
ROWS_SUMMARY = {
    G: "各项绩效指标完成情况符合序时进度，预计能够完成年度绩效目标。",
    Y: "个别指标与序时进度存在偏差，已分析原因并制定纠偏措施，预计年底基本完成年度目标。",
    R: "部分绩效指标严重滞后，已分析原因并制定纠偏措施，将加快实施进度，力争年底前完成主要目标。",
}
DEPT_RETURN_OPINIONS = (
    "预算执行偏差原因过于笼统，请结合合同签订和付款进度具体说明，并写明纠偏措施的时间节点。",
    "部分指标截至期末完成值与项目台账不一致，请核实后重新报送。",
)
FINANCE_RETURN_OPINIONS = (
    "蓝灯指标未说明年初目标设定偏低的原因，请补充说明后重新报送。",
    "支付数与国库集中支付数据不一致，请核对后重新填报。",
)
DEPT_APPROVE = "经审核，监控数据与项目台账一致，偏差原因分析到位，同意报送财政部门。"
FINANCE_ACCEPT = "监控情况属实，同意。"
FIX_NOTE = "（已按主管部门意见核实台账并细化：后续支出按月分解，责任落实到人。）"
RECTIFY_ISSUES = "预算执行和部分绩效指标明显滞后于序时进度，纠偏措施不够具体，存在年底无法完成绩效目标的风险。"
RECTIFY_REQUIREMENTS = (
    "1. 分析滞后原因，制定第四季度支出和实施计划；2. 滞后指标逐项明确责任人和完成时限；3. 报送整改情况并附相关凭证。"
)
ANSWER_MEASURES = (
    "1. 成立整改工作专班，明确责任人和完成时限；2. 加快合同履约和进度款支付，每周调度支出进度；"
    "3. 对滞后指标逐项制定赶进度计划，每月向主管部门报送进展。"
)
ANSWER_OUTCOME = (
    "截至11月底，已支付进度款 {paid} 万元，预算执行率提高到 {rate}%；滞后指标已按计划推进，相关凭证留存备查。"
)
WEAK_MEASURES = "加快项目实施进度。"
WEAK_OUTCOME = "正在整改。"
SEND_BACK_OPINION = "整改措施缺少时间节点和责任人，整改情况未说明支出进度变化，请补充后重新报送。"
CONFIRM_OPINION = "整改措施落实到位，支出进度明显加快，确认整改完成。"
FUNDING_REASONS = {
    "suspend": "三季度绩效监控预算执行严重滞后、产出指标红灯，暂缓拨付部分资金，待整改完成后视情况恢复。",
    "stop": "项目实施条件发生重大变化，年度绩效目标已无法实现，停止拨付剩余资金。",
    "recover": "项目预计年底形成结余，收回闲置资金统筹用于急需领域。",
}
LIFT_REASON = "整改已确认完成，支出进度恢复正常，解除暂缓拨款。"


@dataclass
class MonitoringSummary:
    rounds_created: int = 0
    reports_filled: int = 0
    transitions: int = 0
    funding_actions: int = 0


def seed_monitoring(city) -> MonitoringSummary:
    """The 2026 Q3 and H1 rounds of 示例市; ``city`` is the DemoCity that built the targets."""
    summary = MonitoringSummary()
    fiscal_year = city.years[CURRENT_YEAR]
    half_year = _round(city, summary, fiscal_year, H1, "上半年绩效监控（选做），各单位自愿报送。")
    third_quarter = _round(city, summary, fiscal_year, Q3, "第三季度绩效监控，全部项目须于季度结束后15日内报送。")
    turn = 0
    for report in _reports(third_quarter):
        plan = NAMED_PLANS.get(report.project.name)
        if plan is None:  # dealt over every report, untouched or not, so a re-run deals the same
            plan, turn = TURN[turn % len(TURN)], turn + 1
        if report.untouched:
            _ReportRunner(city, summary, report, plan).run()
    if half_year.is_open:
        _half_year(city, summary, half_year, third_quarter)
    return summary


def _round(city, summary, fiscal_year, period, note) -> MonitoringRound:
    kind, number = period
    existing = MonitoringRound.objects.filter(fiscal_year=fiscal_year, kind=kind, number=number).first()
    if existing is not None:
        return existing
    summary.rounds_created += 1
    return services.open_round(city.users["jixiao"], fiscal_year, kind, number, note=note)


def _reports(monitoring_round) -> list[MonitoringReport]:
    """The round's reports by project code, each marked ``untouched``: a draft nobody has filled."""
    reports = list(
        monitoring_round.reports.select_related("round__fiscal_year", "project__unit", "project__department").order_by(
            "project__code"
        )
    )
    filled = set(
        MonitoringRow.objects.filter(report__round=monitoring_round)
        .filter(Q(actual_value__isnull=False) | ~Q(progress="") | ~Q(outlook=""))
        .values_list("report_id", flat=True)
    )
    for report in reports:
        report.untouched = (
            report.status == S.DRAFT and report.paid_to_date is None and not report.summary and report.pk not in filled
        )
    return reports


# --- drawing figures for a light ------------------------------------------------------------


def _step(row, target: Decimal) -> Decimal:
    if row.indicator.unit in WHOLE_UNITS or target >= 100:
        return Decimal(1)
    return Decimal("0.1") if target >= 1 else Decimal("0.01")


def _q(value: float | Decimal, row, target: Decimal) -> Decimal:
    return Decimal(str(value)).quantize(_step(row, target))


def _is_level(row) -> bool:
    return row.indicator.unit in LEVEL_UNITS


class _Figures:
    """Draws a report's figures for a profile, checking each against the rules."""

    def __init__(self, report, rng: random.Random):
        self.report, self.rng = report, rng
        self.rules = WarningRules.of(report.round.fiscal_year)
        self.progress = report.time_progress
        self.p = float(report.time_progress / HUNDRED)

    def budget(self, aim: str) -> tuple[Decimal, str]:
        """(paid to date, its light): execution rate = time progress × the ratio the band wants."""
        low, high = {G: (86, 116), Y: (63, 77), R: (30, 52)}[aim]
        budget = self.report.budget_amount
        for _ in range(20):
            paid = (budget * Decimal(str(self.p * self.rng.uniform(low, high) / 100))).quantize(Decimal(1))
            light = budget_light(paid, budget, self.progress, self.rules)[1].light
            if light == aim:
                break
        return paid, light

    def light(self, row, actual=None, progress="") -> str:
        i = row.indicator
        return indicator_light(i.comparator, i.target_value, actual, self.progress, self.rules, progress).light

    def row(self, row, aim: str) -> dict:
        """A row's figures for the light ``aim``: actual, expected year end, outlook (and the light)."""
        indicator, rng, p = row.indicator, self.rng, self.p
        if indicator.comparator == Comparator.QUALITATIVE:
            progress = QUALITATIVE_OF[aim]
            outlook = {G: CompletionOutlook.CERTAIN, Y: CompletionOutlook.LIKELY, R: CompletionOutlook.UNLIKELY}[aim]
            note = PROGRESS_NOTES[progress].format(target=indicator.target_text or indicator.name)
            return {"progress": progress, "progress_note": note, "outlook": outlook, "light": aim}
        t = indicator.target_value
        tf = float(t)
        for _ in range(30):
            if indicator.comparator == Comparator.LTE:
                if t <= 0:
                    actual = Decimal(0) if aim == G else Decimal(rng.choice((1, 2)))
                    expected = actual
                else:
                    # a ceiling, not prorated: ≤ 120 % of it green, ≤ 140 % yellow, beyond red
                    low, high = {G: (0.72, 1.0), Y: (1.23, 1.37), R: (1.45, 1.7)}[aim]
                    actual = _q(tf * rng.uniform(low, high), row, t)
                    expected = _q(float(actual) * rng.uniform(0.98, 1.03), row, t)
            elif aim == B:
                actual = _q(tf * rng.uniform(1.24, 1.45), row, t)
                expected = _q(float(actual) * rng.uniform(1.1, 1.25), row, t)
            elif indicator.comparator == Comparator.EQ:  # a standard: met exactly
                actual = expected = t
            elif aim == G and _is_level(row):
                actual = _q(tf * rng.uniform(0.97, 1.04), row, t)
                if indicator.unit == "%" and t <= HUNDRED:
                    actual = min(actual, HUNDRED)
                expected = actual
            else:
                low, high = {G: (0.92, 1.18), Y: (0.64, 0.77), R: (0.36, 0.54)}[aim]
                actual = _q(tf * p * rng.uniform(low, high), row, t)
                year_end = {G: (1.0, 1.08), Y: (0.94, 1.0), R: (0.78, 0.92)}[aim]
                expected = _q(tf * rng.uniform(*year_end), row, t)
            light = self.light(row, actual)
            if light == aim:
                break
        outlook = {
            G: CompletionOutlook.CERTAIN,
            B: CompletionOutlook.CERTAIN,
            Y: CompletionOutlook.LIKELY,
            R: CompletionOutlook.UNLIKELY if rng.random() < 0.5 else CompletionOutlook.LIKELY,
        }[light]
        return {"actual_value": actual, "expected_year_end": expected, "outlook": outlook, "light": light}

    def aims(self, rows, profile: Profile) -> dict[int, str]:
        """Which rows are not green: for ≥ cumulative amounts first (a rate cannot be 120 % of itself)."""
        aims = {}
        gte = [r for r in rows if r.indicator.comparator == Comparator.GTE and (r.indicator.target_value or 0) > 0]
        gte.sort(key=lambda r: (_is_level(r), r.position))
        lte = [r for r in rows if r.indicator.comparator == Comparator.LTE]
        qualitative = [r for r in rows if r.indicator.comparator == Comparator.QUALITATIVE]
        for candidates, wanted in ((gte, profile.gte), (lte, profile.lte), (qualitative, profile.qualitative)):
            for light in wanted:
                # a target of 0 (≤ 0 起事故) is held or not: green or red, never yellow
                fits = [r for r in candidates if r.pk not in aims and (light != Y or r.indicator.target_value != 0)]
                if fits:
                    aims[fits[0].pk] = light
        return aims


def _reason(rng, row, light: str, item: dict) -> tuple[str, str, str]:
    indicator = row.indicator
    kind = Comparator.GTE if indicator.comparator == Comparator.EQ else indicator.comparator
    if kind == Comparator.LTE and light == R and (indicator.target_value or 0) <= 0:
        cause, reason, measures = ACCIDENT_REASON
    else:
        cause, reason, measures = rng.choice(ROW_REASONS[(kind, light)])
    actual = item.get("actual_value")
    achieved = (
        fmt((actual / indicator.target_value * HUNDRED).quantize(Decimal("0.01")))
        if actual is not None and indicator.target_value
        else ""
    )
    values = {
        "actual": fmt(actual),
        "unit": indicator.unit,
        "target": indicator.target_text if kind == Comparator.QUALITATIVE else fmt(indicator.target_value),
        "achieved": achieved,
    }
    return cause, f"{indicator.name}：{reason.format(**values)}", measures


def _report_data(rng, report, paid: Decimal, budget_light_: str, rows, items: dict, explain_red=True) -> dict:
    """save_report's data: the figures plus the cause, reason and measures of each lit deviation,
    and the summary when every row is filled."""
    data = {"paid_to_date": str(paid), "summary": "", "budget_cause": "", "budget_reason": "", "budget_measures": ""}
    if budget_light_ in BUDGET_REASONS:
        data["budget_cause"], data["budget_reason"], data["budget_measures"] = rng.choice(BUDGET_REASONS[budget_light_])
    out = []
    for row in rows:
        if row.pk not in items:
            continue
        item = dict(items[row.pk])
        light = item.pop("light")
        if light in LIGHTS_NEEDING_REASON and (explain_red or light != R):
            item["cause"], item["reason"], item["measures"] = _reason(rng, row, light, item)
        out.append({"id": row.pk, **{k: "" if v is None else str(v) for k, v in item.items()}})
    data["rows"] = out
    row_lights = [items[r.pk]["light"] if r.pk in items else "" for r in rows]
    if judgement_of([budget_light_, *row_lights]):
        rules = WarningRules.of(report.round.fiscal_year)
        execution = budget_light(paid, report.budget_amount, report.time_progress, rules)[0]
        worst_row = R if R in row_lights else Y if {Y, B} & set(row_lights) else G
        data["summary"] = (
            f"截至期末，预算执行率{fmt(execution)}%，{BUDGET_SUMMARY[budget_light_]}；{ROWS_SUMMARY[worst_row]}"
        )
    return data


# --- a Q3 report through its plan -----------------------------------------------------------


class _ReportRunner:
    """Takes one report through the steps of its plan, each by the person who would act."""

    def __init__(self, city, summary: MonitoringSummary, report: MonitoringReport, plan: str):
        self.summary, self.report = summary, report
        project = report.project
        self.clerk = city.clerks[project.unit.code]
        self.reviewer = city.reviewers[project.department.code]
        self.finance, self.office = city.users["caizheng"], city.users["jixiao"]
        profile, self.steps = PLANS[plan]
        self.profile = PROFILES.get(profile)
        self.rng = random.Random(f"monitoring:{report.round.kind}{report.round.number}:{project.code}")
        self.rectification: Rectification | None = None
        self.funding: FundingAction | None = None

    def run(self):
        for step in self.steps:
            getattr(self, f"step_{step}")()

    def _rows(self):
        return list(self.report.rows.select_related("indicator").order_by("position", "id"))

    def _fill(self, part: bool = False, explain_red: bool = True):
        figures, rows = _Figures(self.report, self.rng), self._rows()
        paid, light = figures.budget(self.profile.budget)
        aims = figures.aims(rows, self.profile)
        chosen = rows[: max(1, len(rows) // 2)] if part else rows
        items = {row.pk: figures.row(row, aims.get(row.pk, G)) for row in chosen}
        data = _report_data(self.rng, self.report, paid, light, rows, items, explain_red=explain_red)
        self.report = services.save_report(self.report, self.clerk, data)
        self.summary.reports_filled += 1

    def _move(self, obj, action, user, opinion="", **params):
        perform_transition(obj, action, user, opinion, **params)
        self.summary.transitions += 1

    def step_fill(self):
        self._fill()

    def step_fill_partial(self):
        self._fill(part=True)

    def step_fill_unexplained(self):
        """Everything entered, but the red rows' reasons not yet written: the clerk's next job."""
        self._fill(explain_red=False)

    def step_fix(self):
        """After the department's return the clerk writes the deviations out in detail."""
        data = {"summary": self.report.summary + FIX_NOTE}
        if self.report.budget_reason:
            data["budget_reason"] = self.report.budget_reason + FIX_NOTE
        rows = [
            {"id": row.pk, "reason": row.reason + FIX_NOTE}
            for row in self._rows()
            if row.light in LIGHTS_NEEDING_REASON
        ]
        self.report = services.save_report(self.report, self.clerk, {**data, "rows": rows})

    def step_submit(self):
        self._move(self.report, "submit", self.clerk)

    def step_dept_approve(self):
        self._move(self.report, "approve", self.reviewer, DEPT_APPROVE)

    def step_dept_return(self):
        self._move(self.report, "return", self.reviewer, self.rng.choice(DEPT_RETURN_OPINIONS))

    def step_finance_return(self):
        self._move(self.report, "return", self.finance, self.rng.choice(FINANCE_RETURN_OPINIONS))

    def step_accept(self):
        self._move(self.report, "accept", self.finance, FINANCE_ACCEPT)

    def step_rectify(self):
        self._move(self.report, "rectify", self.finance, RECTIFY_ISSUES, requirements=RECTIFY_REQUIREMENTS)
        self.rectification = Rectification.objects.get(
            content_type=ContentType.objects.get_for_model(MonitoringReport), object_id=self.report.pk
        )

    def _answer(self, measures: str, outcome: str):
        self.rectification = services.answer_rectification(
            self.rectification, self.clerk, measures=measures, outcome=outcome
        )

    def step_answer(self):
        budget = self.report.budget_amount
        paid = min(budget, (self.report.paid_to_date * Decimal("1.6")).quantize(Decimal(1)))
        rate = fmt((paid / budget * HUNDRED).quantize(Decimal("0.1")))
        self._answer(
            ANSWER_MEASURES, ANSWER_OUTCOME.format(paid=fmt((paid / 10000).quantize(Decimal("0.01"))), rate=rate)
        )

    def step_answer_weak(self):
        self._answer(WEAK_MEASURES, WEAK_OUTCOME)

    def step_answer_submit(self):
        self._move(self.rectification, "submit", self.clerk)

    def step_confirm(self):
        self._move(self.rectification, "confirm", self.finance, CONFIRM_OPINION)

    def step_send_back(self):
        self._move(self.rectification, "send_back", self.finance, SEND_BACK_OPINION)

    def _funding(self, kind: str, amount: Decimal):
        self.funding = services.record_funding_action(
            self.office, self.report.project, kind=kind, amount=amount.quantize(Decimal(1)),
            reason=FUNDING_REASONS[kind], report=self.report,
        )  # fmt: skip
        self.summary.funding_actions += 1

    def step_suspend(self):
        self._funding(FundingActionKind.SUSPEND, self.report.budget_amount * Decimal("0.3"))

    def step_stop(self):
        self._funding(FundingActionKind.STOP, self.report.budget_amount - self.report.paid_to_date)

    def step_recover(self):
        self._funding(FundingActionKind.RECOVER, self.report.budget_amount * Decimal("0.1"))

    def step_lift(self):
        services.lift_funding_action(self.funding, self.office, LIFT_REASON)


# --- the half-year round ---------------------------------------------------------------------


def _half_year(city, summary: MonitoringSummary, half_year: MonitoringRound, third_quarter: MonitoringRound):
    """Most units reported H1 and were accepted; their figures are their Q3 ones scaled back."""
    q3 = {
        r.project_id: r
        for r in third_quarter.reports.filter(paid_to_date__isnull=False).prefetch_related("rows__indicator")
    }
    turn = 0
    for report in _reports(half_year):
        earlier = q3.get(report.project_id)
        complete = earlier is not None and all(r.outlook for r in earlier.rows.all())
        if not complete:
            continue
        plan, turn = H1_TURN[turn % len(H1_TURN)], turn + 1
        if not report.untouched or plan == "unreported":
            continue
        runner = _ReportRunner(city, summary, report, "draft_empty")
        runner.report = services.save_report(report, runner.clerk, _half_year_data(runner.rng, report, earlier))
        summary.reports_filled += 1
        if plan == "accepted":
            for step in ("submit", "dept_approve", "accept"):
                getattr(runner, f"step_{step}")()
    services.close_round(half_year, city.users["jixiao"])


def _half_year_data(rng, report, q3_report) -> dict:
    figures = _Figures(report, rng)
    share = rng.uniform(0.55, 0.65)  # of the Q3 figure reached by the end of June
    paid = (q3_report.paid_to_date * Decimal(str(share))).quantize(Decimal(1))
    light = budget_light(paid, report.budget_amount, report.time_progress, figures.rules)[1].light
    earlier = {r.indicator_id: r for r in q3_report.rows.all()}
    rows = list(report.rows.select_related("indicator").order_by("position", "id"))
    items = {}
    for row in rows:
        before = earlier[row.indicator_id]
        if row.indicator.comparator == Comparator.QUALITATIVE:
            item = {"progress": before.progress, "progress_note": before.progress_note, "outlook": before.outlook}
            item["light"] = figures.light(row, progress=before.progress)
        else:
            actual, target = before.actual_value, row.indicator.target_value
            # What accumulates was smaller in June; the rule reads a ≤ indicator as accumulating too.
            if target and (row.indicator.comparator == Comparator.LTE or not _is_level(row)):
                actual = _q(float(actual) * share, row, target)
            item = {"actual_value": actual, "expected_year_end": before.expected_year_end, "outlook": before.outlook}
            item["light"] = figures.light(row, actual)
        items[row.pk] = item
    return _report_data(rng, report, paid, light, rows, items)


# --- what seed_demo prints ---------------------------------------------------------------------


def report_lines(summary: MonitoringSummary | None) -> list[str]:
    from .choices import FundingActionStatus, Judgement, RectificationStatus

    lines = []
    if summary is not None:
        lines.append(
            f"本次新建：监控批次 {summary.rounds_created} 个，填报监控表 {summary.reports_filled} 次"
            f"（流转 {summary.transitions} 步），资金处置 {summary.funding_actions} 项。"
        )
    for monitoring_round in MonitoringRound.objects.select_related("fiscal_year").order_by("-period_end"):
        reports = MonitoringReport.objects.filter(round=monitoring_round)
        statuses = dict(reports.values_list("status").annotate(n=Count("pk")))
        lights = dict(reports.values_list("light").annotate(n=Count("pk")))
        judgements = dict(reports.values_list("judgement").annotate(n=Count("pk")))
        lines.append(
            f"绩效监控·{monitoring_round}（{monitoring_round.get_status_display()}）：监控表 {reports.count()} 张；"
            + "，".join(f"{label} {statuses.get(value, 0)}" for value, label in S.choices)
            + "；预警 "
            + "，".join(f"{label} {lights.get(value, 0)}" for value, label in Light.choices)
            + "；"
            + "，".join(f"{label} {judgements.get(value, 0)}" for value, label in Judgement.choices)
        )
    rectifications = dict(Rectification.objects.values_list("status").annotate(n=Count("pk")))
    actions = dict(FundingAction.objects.values_list("kind").annotate(n=Count("pk")))
    lifted = FundingAction.objects.filter(status=FundingActionStatus.LIFTED).count()
    lines.append(
        f"整改：{sum(rectifications.values())} 项；"
        + "，".join(f"{label} {rectifications.get(value, 0)}" for value, label in RectificationStatus.choices)
        + f"；资金处置 {sum(actions.values())} 项："
        + "，".join(f"{label} {actions.get(value, 0)}" for value, label in FundingActionKind.choices)
        + f"（已解除 {lifted}）"
    )
    records = ReviewRecord.objects.filter(chain__in=("monitoring", "rectification")).count()
    lines.append(f"监控与整改审核记录：{records} 条")
    return lines

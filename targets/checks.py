"""The checks of a target sheet at save and submit (DESIGN §2.3, §2.8), each naming its row.

``check_sheet`` returns problems; ``blocking`` ones stop a submit, the others are flags shown to
the clerk and the reviewers (a target set too low).
"""

from dataclasses import dataclass
from decimal import Decimal

from .choices import LEVEL2_PARENT, Comparator, IndicatorPeriod, Level1

TOO_LOW_FLAG = "目标偏低"


@dataclass(frozen=True)
class Problem:
    message: str
    row: int | None = None  # 1-based position in the sheet's year table, None for the whole sheet
    blocking: bool = True

    def __str__(self):
        return self.message


def _row_label(position: int, name: str) -> str:
    return f"第{position}行「{name or '未命名'}」"


def check_rows(rows, fiscal_year) -> list[Problem]:
    """Problems of the indicator rows themselves (shape, values, weights)."""
    problems = []
    year_rows = [r for r in rows if r.period == IndicatorPeriod.YEAR]
    for position, row in enumerate(year_rows, start=1):
        label = _row_label(position, row.name)
        if not row.name.strip():
            problems.append(Problem(f"{label}：请填写三级指标名称。", position))
        if LEVEL2_PARENT.get(row.level2) != row.level1:
            problems.append(Problem(f"{label}：二级指标与一级指标不匹配。", position))
        if row.comparator == Comparator.QUALITATIVE:
            if not row.target_text.strip():
                problems.append(Problem(f"{label}：定性指标须填写指标值（如“达到”“显著提升”）。", position))
        else:
            if row.target_value is None:
                problems.append(Problem(f"{label}：定量指标须填写数值型指标值。", position))
            if not row.unit.strip():
                problems.append(Problem(f"{label}：定量指标须填写计量单位。", position))
        if row.weight is None or row.weight <= 0:
            problems.append(Problem(f"{label}：权重须大于 0。", position))
        flag = too_low_flag(row, fiscal_year.target_too_low_pct)
        if flag:
            problems.append(Problem(f"{label}：{flag}", position, blocking=False))
    return problems


def too_low_flag(row, pct: int) -> str:
    """DESIGN §2.8: a target that last year's actual already beat by ≥ pct % is set too low."""
    if row.last_year_actual is None or row.target_value is None or row.target_value == 0:
        return ""
    margin = Decimal(pct) / 100
    if row.comparator in (Comparator.GTE, Comparator.EQ) and row.last_year_actual >= row.target_value * (1 + margin):
        return f"{TOO_LOW_FLAG}：上年实际值 {row.last_year_actual.normalize():f} 已超过目标值 {pct}% 以上，请复核。"
    if row.comparator == Comparator.LTE and row.last_year_actual <= row.target_value * (1 - margin):
        return f"{TOO_LOW_FLAG}：上年实际值 {row.last_year_actual.normalize():f} 已优于目标值 {pct}% 以上，请复核。"
    return ""


def check_structure(rows, fiscal_year, serves_public: bool) -> list[Problem]:
    """Whole-sheet rules: the indicator kinds present and the weights (per-year split)."""
    year_rows = [r for r in rows if r.period == IndicatorPeriod.YEAR]
    problems = []
    present = {r.level1 for r in year_rows}
    if Level1.OUTPUT not in present:
        problems.append(Problem("至少需要 1 个产出指标。"))
    if Level1.EFFECT not in present:
        problems.append(Problem("至少需要 1 个效益指标。"))
    if serves_public and Level1.SATISFACTION not in present:
        problems.append(Problem("该项目面向社会公众提供服务，须设置满意度指标。"))
    split = {
        Level1.OUTPUT: fiscal_year.weight_output,
        Level1.EFFECT: fiscal_year.weight_effect,
        Level1.SATISFACTION: fiscal_year.weight_satisfaction,
    }
    if not serves_public and Level1.SATISFACTION not in present:
        # Not serving the public, no satisfaction indicator: its share goes to the effect indicators.
        split[Level1.EFFECT] += split.pop(Level1.SATISFACTION)
    expected_total = sum(split.values())
    total = sum((r.weight or Decimal("0") for r in year_rows), Decimal("0"))
    if total != expected_total:
        problems.append(Problem(f"指标权重合计应为 {expected_total}，当前为 {total.normalize():f}。"))
    for level1, expected in split.items():
        if level1 not in present and not expected:
            continue
        subtotal = sum((r.weight or Decimal("0") for r in year_rows if r.level1 == level1), Decimal("0"))
        if level1 in present and subtotal != expected:
            problems.append(
                Problem(f"{Level1(level1).label}权重合计应为 {expected}，当前为 {subtotal.normalize():f}。")
            )
    return problems


def check_sheet(sheet, rows=None) -> list[Problem]:
    """All problems of a sheet (rows default to its saved indicators)."""
    project = sheet.project
    rows = list(sheet.indicators.all()) if rows is None else rows
    problems = []
    if not sheet.overall_goal.strip():
        problems.append(Problem("请填写年度总体目标。"))
    if project.is_multi_year and not sheet.whole_period_goal.strip():
        problems.append(Problem("实施期超过一年的项目须填写实施期总目标。"))
    problems += check_structure(rows, project.fiscal_year, project.serves_public)
    problems += check_rows(rows, project.fiscal_year)
    ok, reason = project.preassessment_gate()
    if not ok:
        problems.append(Problem(reason))
    return problems


def blocking(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.blocking]

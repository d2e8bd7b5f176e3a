"""The warning lights of dual monitoring 双监控预警 (DESIGN §2.4), as pure functions of the data and
the year's rules — every result carries the numbers, the formula and the rule that produced it
(§2.8 explainable scores).

- time progress 时间进度: the elapsed share of the year at the period's end, by months (序时进度:
  the end of September is 9/12 = 75.00 %);
- budget: ``execution rate ÷ time progress × 100``;
- quantitative ≥ / = indicators: ``actual ÷ (annual target × time progress) × 100``; an actual of
  at least ``blue_at_pct`` % of the annual target is blue (target set too low);
- quantitative ≤ indicators (smaller is better) are the mirror, as §2.5 scores them, against the
  annual target itself: ``200 − actual ÷ annual target × 100`` (never below 0). A ≤ target is a
  ceiling that holds all year — a rate, a unit cost, a response time, PM2.5 — and prorating a
  ceiling by time progress would turn a value exactly at its limit yellow at Q3 and red at H1
  (spending pace is the budget light's). They have no blue: a small actual is the direction
  wanted, and a cumulative one (a total cost) is always small mid-year;
- the bands on that ratio: ``< red_below`` red, ``< yellow_below`` yellow, else green;
- qualitative: 达成 green, 部分达成 yellow, 未达成 red.

Every percentage is rounded half-up to 2 decimals and the next step uses the rounded value, so the
figures a reviewer sees reproduce the light exactly.
"""

import calendar
import datetime
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from targets.choices import Comparator

from .choices import LIGHT_SEVERITY, Judgement, Light, QualitativeProgress

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
# The largest ratio the report rows store (Decimal(9, 2)); a tiny target could exceed it.
RATIO_CAP = Decimal("9999999.99")

QUALITATIVE_LIGHTS = {
    QualitativeProgress.ACHIEVED: Light.GREEN,
    QualitativeProgress.PARTLY: Light.YELLOW,
    QualitativeProgress.NOT_ACHIEVED: Light.RED,
}


@dataclass(frozen=True)
class WarningRules:
    """The year's bands (FiscalYear.warn_*), kept on each report as the rule its lights came from."""

    red_below: int
    yellow_below: int
    blue_at_pct: int

    @classmethod
    def of(cls, fiscal_year) -> "WarningRules":
        return cls(fiscal_year.warn_red_below, fiscal_year.warn_yellow_below, fiscal_year.warn_blue_at_pct)

    @classmethod
    def from_dict(cls, data: dict) -> "WarningRules":
        return cls(int(data["red_below"]), int(data["yellow_below"]), int(data["blue_at_pct"]))

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def bands(self) -> str:
        red, yellow = self.red_below, self.yellow_below
        return f"低于 {red} 红灯，{red}（含）至 {yellow} 黄灯，{yellow} 及以上绿灯"

    @property
    def blue(self) -> str:
        return f"完成值达到年度目标的 {self.blue_at_pct}% 及以上为蓝灯（目标设置偏低）"


@dataclass(frozen=True)
class LightResult:
    light: str  # a Light, or "" while the inputs are missing
    ratio: Decimal | None = None  # the number the bands apply to
    achieved_pct: Decimal | None = None  # actual ÷ annual target × 100 (the blue test)
    formula: str = ""  # the computation with this row's numbers
    rule: str = ""  # the year's rule that decided


def rounded(value: Decimal) -> Decimal:
    return min(value, RATIO_CAP).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part ÷ whole × 100``, rounded half-up to 2 decimals; ``whole`` must be positive."""
    return rounded(Decimal(part) / Decimal(whole) * HUNDRED)


def fmt(value: Decimal | None) -> str:
    """A number as a person writes it: 75.00 → 75, 59.90 → 59.9, 1200000 → 1200000."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def time_progress(period_end: datetime.date) -> Decimal:
    """The elapsed share of the year at ``period_end``, by months: a month counts once it is over."""
    last_day = calendar.monthrange(period_end.year, period_end.month)[1]
    months = period_end.month if period_end.day == last_day else period_end.month - 1
    return rounded(Decimal(months) / Decimal(12) * HUNDRED)


def band(ratio: Decimal, rules: WarningRules) -> str:
    if ratio < rules.red_below:
        return Light.RED
    if ratio < rules.yellow_below:
        return Light.YELLOW
    return Light.GREEN


def budget_light(paid: Decimal, budget: Decimal, progress: Decimal, rules: WarningRules) -> tuple[Decimal, LightResult]:
    """(execution rate, its light): 预算执行率 ÷ 时间进度 × 100, on the year's bands."""
    execution = percent(paid, budget)
    if progress <= 0:  # a period that ends before any month is over: nothing is due yet
        return execution, LightResult(Light.GREEN, None, None, "时间进度为 0，尚无序时支出要求", rules.bands)
    ratio = percent(execution, progress)
    formula = f"预算执行率 {fmt(execution)}% ÷ 时间进度 {fmt(progress)}% × 100 = {fmt(ratio)}"
    return execution, LightResult(band(ratio, rules), ratio, None, formula, rules.bands)


def indicator_light(
    comparator: str,
    target: Decimal | None,
    actual: Decimal | None,
    progress: Decimal,
    rules: WarningRules,
    qualitative: str = "",
) -> LightResult:
    """The light of one indicator row; ``""`` until its progress has been entered."""
    if comparator == Comparator.QUALITATIVE:
        if qualitative not in QUALITATIVE_LIGHTS:
            return LightResult("")
        label = QualitativeProgress(qualitative).label
        return LightResult(
            QUALITATIVE_LIGHTS[qualitative], formula=f"定性指标：{label}", rule="达成绿灯，部分达成黄灯，未达成红灯"
        )
    if actual is None or target is None:
        return LightResult("")
    if target <= 0:  # "≥ 0", "≤ 0 起事故": nothing to prorate, the target holds or it does not
        held = actual <= target if comparator in (Comparator.LTE, Comparator.EQ) else actual >= target
        sign = "≥" if comparator == Comparator.GTE else "≤"
        return LightResult(
            Light.GREEN if held else Light.RED,
            formula=f"完成值 {fmt(actual)} {'' if held else '未'}满足 {sign} {fmt(target)}",
            rule="目标值不大于 0 时不按时间进度折算：满足绿灯，不满足红灯",
        )
    achieved = percent(actual, target)
    if comparator == Comparator.LTE:
        ratio = max(Decimal("0.00"), HUNDRED * 2 - achieved)
        return LightResult(
            band(ratio, rules),
            ratio,
            achieved,
            f"反向指标：200 − {fmt(actual)} ÷ 年度目标 {fmt(target)} × 100 = 200 − {fmt(achieved)} = {fmt(ratio)}",
            f"{rules.bands}；反向指标为全年上限，不按时间进度折算，不设蓝灯",
        )
    if progress <= 0:
        return LightResult(Light.GREEN, formula="时间进度为 0，尚无序时完成要求", rule=rules.bands)
    pace = percent(actual, target * progress / HUNDRED)
    base = f"{fmt(actual)} ÷（{fmt(target)} × {fmt(progress)}%）× 100"
    if achieved >= rules.blue_at_pct:
        formula = (
            f"完成值 {fmt(actual)} ÷ 年度目标 {fmt(target)} × 100 = {fmt(achieved)}%（序时比 {base} = {fmt(pace)}）"
        )
        return LightResult(Light.BLUE, pace, achieved, formula, rules.blue)
    return LightResult(band(pace, rules), pace, achieved, f"{base} = {fmt(pace)}", f"{rules.bands}；{rules.blue}")


def worst(lights) -> str:
    """The most serious light of several (red > yellow > blue > green); "" if none is lit."""
    lit = [light for light in lights if light]
    return min(lit, key=LIGHT_SEVERITY.__getitem__) if lit else ""


def judgement_of(lights: list[str]) -> str:
    """总体判断: any red is a serious deviation, any yellow or blue a minor one; "" while a light is
    still missing."""
    if not lights or any(not light for light in lights):
        return ""
    if Light.RED in lights:
        return Judgement.SERIOUS
    if Light.YELLOW in lights or Light.BLUE in lights:
        return Judgement.MINOR
    return Judgement.ON_TRACK

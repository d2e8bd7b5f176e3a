"""The warning lights of DESIGN §2.4, exactly by the rules, at each band edge (59.99 / 60 / 79.99 /
80 and 120 % of the annual target), for the budget, ≥, = and ≤ indicators and qualitative ones —
and a changed per-year rule changing the result. Time progress at the end of Q3 is 75 %; a ≤ target
is a ceiling, judged against itself (see monitoring/lights.py)."""

import datetime
from decimal import Decimal

import pytest

from monitoring.choices import Judgement, Light, QualitativeProgress
from monitoring.lights import WarningRules, budget_light, fmt, indicator_light, judgement_of, time_progress, worst
from targets.choices import Comparator

DEFAULT = WarningRules(red_below=60, yellow_below=80, blue_at_pct=120)
Q3 = Decimal("75.00")
D = Decimal


def test_time_progress_is_the_share_of_months_elapsed():
    assert time_progress(datetime.date(2026, 9, 30)) == D("75.00")
    assert time_progress(datetime.date(2026, 6, 30)) == D("50.00")
    assert time_progress(datetime.date(2026, 1, 31)) == D("8.33")
    assert time_progress(datetime.date(2026, 12, 31)) == D("100.00")
    assert time_progress(datetime.date(2026, 9, 29)) == D("66.67")  # September is not over yet


# --- budget: execution rate ÷ time progress × 100 --------------------------------------------------

# A 1,000,000 yuan budget at Q3: paid → (execution rate, ratio, light).
BUDGET_EDGES = [
    ("449925.00", "44.99", "59.99", Light.RED),  # 44.9925 % rounds to 44.99; 44.99 ÷ 75 = 59.99
    ("450000.00", "45.00", "60.00", Light.YELLOW),
    ("599925.00", "59.99", "79.99", Light.YELLOW),
    ("600000.00", "60.00", "80.00", Light.GREEN),
    ("0.00", "0.00", "0.00", Light.RED),
    ("1200000.00", "120.00", "160.00", Light.GREEN),  # the budget has no blue light
]


@pytest.mark.parametrize(("paid", "rate", "ratio", "light"), BUDGET_EDGES)
def test_budget_light_at_each_band_edge(paid, rate, ratio, light):
    execution, result = budget_light(D(paid), D("1000000.00"), Q3, DEFAULT)
    assert (execution, result.ratio, result.light) == (D(rate), D(ratio), light)
    assert result.formula == f"预算执行率 {fmt(D(rate))}% ÷ 时间进度 75% × 100 = {fmt(D(ratio))}"
    assert "低于 60 红灯" in result.rule and "80 及以上绿灯" in result.rule


def test_the_budget_formula_shows_the_numbers_that_decided():
    _, result = budget_light(D("450000"), D("1000000"), Q3, DEFAULT)
    assert result.formula == "预算执行率 45% ÷ 时间进度 75% × 100 = 60"


# --- quantitative ≥: actual ÷ (target × time progress) × 100; ≥ 120 % of the annual target is blue ---

# Target 100 at Q3 (75 expected by now): actual → (ratio, achieved %, light).
GTE_EDGES = [
    ("44.9925", "59.99", "44.99", Light.RED),
    ("45", "60.00", "45.00", Light.YELLOW),
    ("59.9925", "79.99", "59.99", Light.YELLOW),
    ("60", "80.00", "60.00", Light.GREEN),
    ("119.99", "159.99", "119.99", Light.GREEN),  # just under 120 % of the annual target
    ("120", "160.00", "120.00", Light.BLUE),  # 120 % of the annual target: set too low
    ("0", "0.00", "0.00", Light.RED),
]


@pytest.mark.parametrize(("actual", "ratio", "achieved", "light"), GTE_EDGES)
def test_a_positive_indicator_at_each_band_edge(actual, ratio, achieved, light):
    result = indicator_light(Comparator.GTE, D("100"), D(actual), Q3, DEFAULT)
    assert (result.ratio, result.achieved_pct, result.light) == (D(ratio), D(achieved), light)


@pytest.mark.parametrize(("actual", "ratio", "achieved", "light"), GTE_EDGES)
def test_an_equal_indicator_is_scored_as_a_positive_one(actual, ratio, achieved, light):
    result = indicator_light(Comparator.EQ, D("100"), D(actual), Q3, DEFAULT)
    assert (result.ratio, result.light) == (D(ratio), light)


def test_the_positive_formula_names_target_time_progress_and_the_blue_rule():
    result = indicator_light(Comparator.GTE, D("20"), D("12"), Q3, DEFAULT)
    assert result.formula == "12 ÷（20 × 75%）× 100 = 80"
    assert result.light == Light.GREEN and "120% 及以上为蓝灯" in result.rule
    blue = indicator_light(Comparator.GTE, D("20"), D("24"), Q3, DEFAULT)
    assert blue.light == Light.BLUE and "= 120%" in blue.formula and "目标设置偏低" in blue.rule


# --- quantitative ≤: the mirror against the annual ceiling, 200 − actual ÷ target × 100; no blue -------

# Target ≤ 100 (a ceiling, not prorated): actual → (ratio, light).
LTE_EDGES = [
    ("140.01", "59.99", Light.RED),  # 40.01 % over the ceiling
    ("140", "60.00", Light.YELLOW),
    ("120.01", "79.99", Light.YELLOW),
    ("120", "80.00", Light.GREEN),
    ("100", "100.00", Light.GREEN),  # exactly at the ceiling
    ("0", "200.00", Light.GREEN),  # far under the ceiling is the direction wanted: not blue
    ("250", "0.00", Light.RED),  # never below 0
]


@pytest.mark.parametrize(("actual", "ratio", "light"), LTE_EDGES)
def test_a_reverse_indicator_at_each_band_edge(actual, ratio, light):
    result = indicator_light(Comparator.LTE, D("100"), D(actual), Q3, DEFAULT)
    assert (result.ratio, result.light) == (D(ratio), light)
    assert result.formula.startswith("反向指标：200 − ") and "不按时间进度折算，不设蓝灯" in result.rule


@pytest.mark.parametrize("progress", ["25.00", "50.00", "75.00", "100.00"])
def test_a_ceiling_held_is_green_whatever_the_time_of_year(progress):
    """PM2.5 ≤ 35, a response time ≤ 30 minutes: a level at its limit has met its target in March as
    in December (prorating it would make it red by mid-year)."""
    assert indicator_light(Comparator.LTE, D("35"), D("35"), D(progress), DEFAULT).light == Light.GREEN
    assert indicator_light(Comparator.LTE, D("35"), D("50"), D(progress), DEFAULT).light == Light.RED


def test_the_reverse_formula_names_the_ceiling():
    result = indicator_light(Comparator.LTE, D("5000"), D("6300"), Q3, DEFAULT)
    assert result.formula == "反向指标：200 − 6300 ÷ 年度目标 5000 × 100 = 200 − 126 = 74"
    assert result.light == Light.YELLOW


def test_a_zero_target_is_met_or_not_without_time_progress():
    assert indicator_light(Comparator.LTE, D("0"), D("0"), Q3, DEFAULT).light == Light.GREEN
    assert indicator_light(Comparator.LTE, D("0"), D("1"), Q3, DEFAULT).light == Light.RED  # "≤ 0 起事故"
    assert indicator_light(Comparator.EQ, D("0"), D("1"), Q3, DEFAULT).light == Light.RED
    assert indicator_light(Comparator.GTE, D("0"), D("0"), Q3, DEFAULT).light == Light.GREEN


# --- qualitative ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "light"),
    [
        (QualitativeProgress.ACHIEVED, Light.GREEN),
        (QualitativeProgress.PARTLY, Light.YELLOW),
        (QualitativeProgress.NOT_ACHIEVED, Light.RED),
        ("", ""),  # not filled yet: no light
    ],
)
def test_a_qualitative_indicator_is_lit_by_its_grade(progress, light):
    assert indicator_light(Comparator.QUALITATIVE, None, None, Q3, DEFAULT, progress).light == light


def test_a_quantitative_row_without_its_actual_has_no_light_yet():
    assert indicator_light(Comparator.GTE, D("100"), None, Q3, DEFAULT).light == ""


# --- the year's rules are data ----------------------------------------------------------------------


def test_a_changed_rule_of_the_year_changes_the_light():
    stricter = WarningRules(red_below=70, yellow_below=90, blue_at_pct=110)
    # Budget ratio 65: yellow by the defaults, red once the year's red band starts at 70.
    assert budget_light(D("487500"), D("1000000"), Q3, DEFAULT)[1].light == Light.YELLOW
    assert budget_light(D("487500"), D("1000000"), Q3, stricter)[1].light == Light.RED
    # Ratio 85: green by the defaults, yellow below 90.
    assert indicator_light(Comparator.GTE, D("100"), D("63.75"), Q3, DEFAULT).light == Light.GREEN
    assert indicator_light(Comparator.GTE, D("100"), D("63.75"), Q3, stricter).light == Light.YELLOW
    # 115 % of the annual target: green by the defaults, blue once the year says 110 %.
    assert indicator_light(Comparator.GTE, D("100"), D("115"), Q3, DEFAULT).light == Light.GREEN
    assert indicator_light(Comparator.GTE, D("100"), D("115"), Q3, stricter).light == Light.BLUE
    assert "110% 及以上为蓝灯" in indicator_light(Comparator.GTE, D("100"), D("1"), Q3, stricter).rule


def test_the_overall_light_is_the_most_serious_and_the_judgement_follows():
    assert worst([Light.GREEN, Light.BLUE, Light.YELLOW]) == Light.YELLOW
    assert worst([Light.GREEN, Light.BLUE]) == Light.BLUE
    assert worst(["", Light.GREEN]) == Light.GREEN
    assert judgement_of([Light.GREEN, Light.RED]) == Judgement.SERIOUS
    assert judgement_of([Light.GREEN, Light.BLUE]) == Judgement.MINOR
    assert judgement_of([Light.GREEN, Light.GREEN]) == Judgement.ON_TRACK
    assert judgement_of([Light.GREEN, ""]) == ""  # a row not yet filled: no judgement yet

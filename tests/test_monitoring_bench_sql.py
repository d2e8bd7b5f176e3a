"""The benchmark's one-statement SQL reference (bench/monitoring_sql.py) computes exactly what
``monitoring.services.recompute_reports`` computes — on the band edges (59.99 / 60 / 79.99 / 80),
half-up rounding ties, 120 % of the target, ≤ mirrored, targets of 0, qualitative rows, missing
figures, the ratio cap, a report without rows, a zero time progress and a year's own bands.
PostgreSQL only: the statement is PostgreSQL's."""

import importlib.util
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from monitoring import services
from monitoring.choices import Judgement, Light
from monitoring.models import MonitoringReport, MonitoringRow
from targets.choices import Comparator, Level1, Level2

from . import factories as f

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the bench's reference statement is PostgreSQL SQL (set DATABASE_URL)"
)

_spec = importlib.util.spec_from_file_location("monitoring_sql", settings.BASE_DIR / "bench" / "monitoring_sql.py")
monitoring_sql = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(monitoring_sql)

D = Decimal


def _row(name, comparator, target):
    return {
        "level1": Level1.OUTPUT,
        "level2": Level2.QUANTITY,
        "name": name,
        "comparator": comparator,
        "target_value": None if target is None else D(target),
        "target_text": "建立健全" if comparator == Comparator.QUALITATIVE else "",
        "unit": "" if comparator == Comparator.QUALITATIVE else "个",
        "weight": D(10),
    }


ROWS = [
    _row("≥100", Comparator.GTE, "100"),
    _row("≤100", Comparator.LTE, "100"),
    _row("=100", Comparator.EQ, "100"),
    _row("定性", Comparator.QUALITATIVE, None),
    _row("≤0", Comparator.LTE, "0"),
    _row("≥0", Comparator.GTE, "0"),
    _row("≥0.0001", Comparator.GTE, "0.0001"),
    # With a target of 8 (6 expected by Q3) a 4-decimal actual can land exactly on a rounding tie.
    _row("≥8", Comparator.GTE, "8"),
    _row("≤8", Comparator.LTE, "8"),
]
# Per report (budget 1,000,000 yuan): paid, then each row's actual (or qualitative progress), in
# ROWS' order. At Q3 (75 %): ≥ 44.9925 → 59.99 red, 45 → 60 yellow, 59.9925 → 79.99, 60 → 80 green,
# 120 → blue; ≤ (a ceiling) 140.01 → 200 − 140.01 = 59.99, 140 → 60, 120.01 → 79.99, 120 → 80. Ties rounded
# half-up: ≥8 3.5997 → 59.995 → 60.00 yellow; 9.5997 → 119.99625 % of the target → 120.00, blue;
# ≤8 11.2004 → 140.005 % of the ceiling → 140.01 → 59.99 red; paid 449,850 → 44.985 % → 44.99 (not to even).
CASES = [
    ("449925", ["44.9925", "140.01", "120", "achieved", "0", "0", "99999999999999.9999", "3.5997", "11.2004"]),
    ("450000", ["45", "140", "90", "partly", "1", "5", "0.0001", "4.7997", "7.1997"]),
    ("599925", ["59.9925", "120.01", "0", "not_achieved", "0", None, None, "3.5991", None]),
    ("600000", ["60", "120", "45", "", None, "0", "0.00012", "9.6", "0"]),
    (None, ["120", "300", None, "achieved", "0.0001", "1", "0.00009", None, "16"]),
    ("0", ["119.99", "0", "200", "partly", "0", "0", "0.0001", "9.5997", "12"]),
    ("1200000", [None, None, "59.99", "", "2", "0", "0.0001", "0", "8"]),
    ("449850", ["0", "45", "44.9925", "not_achieved", "0", "3", "0.0001", "6", "6"]),
    ("449950", ["12", "104", "89", "achieved", "0", "0", "1", "3.6", "8.4"]),
    ("700000", ["80", "100", "80", "achieved", "0", "0", "0.0001", "6", "8"]),  # every light green: on track
]


def _fill(report, paid, values):
    MonitoringReport.objects.filter(pk=report.pk).update(paid_to_date=None if paid is None else D(paid))
    for row in report.rows.select_related("indicator").order_by("position"):
        value = values[row.position - 1]
        if row.indicator.comparator == Comparator.QUALITATIVE:
            MonitoringRow.objects.filter(pk=row.pk).update(progress=value)
        else:
            MonitoringRow.objects.filter(pk=row.pk).update(actual_value=None if value is None else D(value))


def _results(ids):
    reports = {
        r["pk"]: r for r in MonitoringReport.objects.filter(pk__in=ids).values("pk", *monitoring_sql.REPORT_FIELDS)
    }
    rows = {r["pk"]: r for r in MonitoringRow.objects.filter(report__in=ids).values("pk", *monitoring_sql.ROW_FIELDS)}
    return reports, rows


def _blank(ids):
    MonitoringReport.objects.filter(pk__in=ids).update(
        execution_rate=None, budget_ratio=None, budget_light="", light="x", judgement="x", rules={}
    )
    MonitoringRow.objects.filter(report__in=ids).update(light="x", ratio=D("-1"), achieved_pct=D("-1"))


@pytest.fixture
def reports(city):
    """The cases at Q3 and H1 of 2026 (default bands) and at Q3 of 2025 under bands of its own; a
    report without rows in each round; one report at 0 % time progress."""
    last_year = f.FiscalYearFactory(
        year=2025, is_current=False, warn_red_below=55, warn_yellow_below=85, warn_blue_at_pct=130
    )
    for fiscal_year, periods in ((city.year, (("quarter", 3), ("half_year", 1))), (last_year, (("quarter", 3),))):
        for _ in range(len(CASES)):
            project = f.ProjectFactory(fiscal_year=fiscal_year, unit=city.unit_a1, budget_amount=D("1000000"))
            f.approved_sheet(project, rows=ROWS)
        empty = f.ProjectFactory(fiscal_year=fiscal_year, unit=city.unit_a1, budget_amount=D("1000000"))
        f.approved_sheet(empty, rows=[])
        for kind, number in periods:
            monitoring_round = services.open_round(city.office, fiscal_year, kind, number)
            with_rows = monitoring_round.reports.exclude(project=empty).order_by("project__code")
            for report, (paid, values) in zip(with_rows, CASES, strict=True):
                _fill(report, paid, values)
            MonitoringReport.objects.filter(round=monitoring_round, project=empty).update(paid_to_date=D("500000"))
    # A period ending before any month is over has no time progress (lights.time_progress → 0).
    h1 = MonitoringReport.objects.filter(round__kind="half_year").order_by("project__code").first()
    MonitoringReport.objects.filter(pk=h1.pk).update(time_progress=0)
    return list(MonitoringReport.objects.values_list("pk", flat=True))


def test_the_sql_statement_equals_the_python_rules_on_every_field(reports):
    services.recompute_reports(reports)
    python_reports, python_rows = _results(reports)
    _blank(reports)
    assert monitoring_sql.recompute(reports) == len(reports)
    sql_reports, sql_rows = _results(reports)
    assert sql_reports == python_reports
    assert sql_rows == python_rows


def test_the_cases_reach_every_light_and_judgement(reports):
    services.recompute_reports(reports)
    reports_qs = MonitoringReport.objects.filter(pk__in=reports)
    rows = MonitoringRow.objects.filter(report__in=reports)
    assert set(reports_qs.values_list("budget_light", flat=True)) == {Light.RED, Light.YELLOW, Light.GREEN, ""}
    assert set(rows.values_list("light", flat=True)) == {*Light.values, ""}
    assert set(reports_qs.values_list("judgement", flat=True)) == {*Judgement.values, ""}
    q3 = rows.filter(report__round__fiscal_year__year=2026, report__round__kind="quarter")
    gte = dict(q3.filter(indicator__name="≥100").values_list("actual_value", "ratio"))
    assert gte[D("44.9925")] == D("59.99") and gte[D("45")] == D("60.00")
    lte = dict(q3.filter(indicator__name="≤100").values_list("actual_value", "ratio"))
    assert lte[D("140.01")] == D("59.99") and lte[D("140")] == D("60.00") and lte[D("120.01")] == D("79.99")
    assert lte[D("120")] == D("80.00")
    ties = {
        (r.indicator.name, r.actual_value): r
        for r in q3.filter(indicator__name__endswith="8").select_related("indicator")
    }
    assert (ties["≥8", D("3.5997")].ratio, ties["≥8", D("3.5997")].light) == (D("60.00"), Light.YELLOW)
    assert (ties["≥8", D("9.5997")].achieved_pct, ties["≥8", D("9.5997")].light) == (D("120.00"), Light.BLUE)
    assert (ties["≤8", D("11.2004")].ratio, ties["≤8", D("11.2004")].light) == (D("59.99"), Light.RED)
    assert q3.filter(indicator__name="≥0.0001", ratio=D("9999999.99"), light=Light.BLUE).exists()
    assert reports_qs.get(paid_to_date=D("449850"), round=q3.first().report.round).execution_rate == D("44.99")
    # the 2025 bands (55 / 85 / 130): 59.99 is yellow there, 120 % of the target not yet blue
    last_year = rows.filter(report__round__fiscal_year__year=2025, indicator__name="≥100")
    assert last_year.get(actual_value=D("44.9925")).light == Light.YELLOW
    assert last_year.get(actual_value=D("120")).light == Light.GREEN

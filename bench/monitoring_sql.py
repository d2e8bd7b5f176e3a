"""The warning lights of dual monitoring computed in ONE PostgreSQL statement — the reference the
benchmark compares ``monitoring.services.recompute_reports`` with (bench/README.md).

It is the same computation as ``monitoring/lights.py`` and ``services.compute_lights``, written as
CASE expressions: a data-modifying CTE updates the rows (ratio, achieved_pct, light) and hands their
lights to the outer UPDATE of the reports (execution rate, budget ratio, budget light, overall light,
judgement, rule values). The rules it must reproduce exactly:

- every percentage ``x ÷ y × 100`` is capped at 9,999,999.99 and rounded half-up to 2 decimals, and
  the next step uses the rounded value (PostgreSQL's ``round(numeric, 2)`` rounds half away from
  zero, the same for these non-negative numbers); the dividend is cast to 20 decimals so the
  quotient carries ≥ 20 decimals before rounding, as Python's 28-digit Decimal does;
- budget: execution = paid ÷ budget; ratio = execution ÷ time progress; bands on the ratio;
- ≥ and =: pace = actual ÷ (target × time progress); blue when actual ÷ target ≥ blue_at_pct,
  else bands on the pace; a time progress ≤ 0: green, no ratio;
- ≤ (a ceiling, not prorated): bands on max(0, 200 − actual ÷ target), never blue;
- a target ≤ 0: green if held (≤ and = : actual ≤ target; ≥ : actual ≥ target), else red;
- qualitative: 达成 green, 部分达成 yellow, 未达成 red;
- missing inputs: no light; the report's light is the worst lit one (red > yellow > blue > green);
  its judgement is empty unless it has rows and every light is lit.

The bands are the fiscal year's ``warn_*`` columns. Not part of the product: bench/ only (the test
tests/test_monitoring_bench_sql.py keeps it equal to the Python rules on the band edges).
"""

CAP = "9999999.99"


def _pct(part: str, whole: str) -> str:
    """``part ÷ whole × 100`` as lights.percent does: capped, rounded half-up to 2 decimals."""
    return f"round(least(CAST({part} AS numeric(60, 20)) * 100 / {whole}, {CAP}), 2)"


def _band(ratio: str, red: str, yellow: str) -> str:
    return f"CASE WHEN {ratio} < {red} THEN 'red' WHEN {ratio} < {yellow} THEN 'yellow' ELSE 'green' END"


def statement() -> str:
    """The UPDATE of every report whose id is in the array ``%(ids)s``, and of its rows."""
    from monitoring.models import MonitoringReport, MonitoringRound, MonitoringRow
    from projects.models import FiscalYear
    from targets.models import Indicator

    report, row = MonitoringReport._meta.db_table, MonitoringRow._meta.db_table
    rnd, year, indicator = MonitoringRound._meta.db_table, FiscalYear._meta.db_table, Indicator._meta.db_table
    # pace = actual ÷ (target × progress ÷ 100) × 100, as one division: actual × 10000 ÷ (target × progress)
    pace = f"round(least(CAST(a AS numeric(60, 20)) * 10000 / (t * p), {CAP}), 2)"
    measured = "cmp <> 'qualitative' AND a IS NOT NULL AND t IS NOT NULL AND t > 0"
    prorated = f"{measured} AND cmp <> 'lte' AND p > 0"
    return f"""
WITH figures AS (
    SELECT r.id, r.report_id, i.comparator AS cmp, i.target_value AS t, r.actual_value AS a, r.progress AS q,
           rep.time_progress AS p, fy.warn_red_below AS red, fy.warn_yellow_below AS yellow,
           fy.warn_blue_at_pct AS blue
    FROM {row} r
    JOIN {indicator} i ON i.id = r.indicator_id
    JOIN {report} rep ON rep.id = r.report_id
    JOIN {rnd} ro ON ro.id = rep.round_id
    JOIN {year} fy ON fy.id = ro.fiscal_year_id
    WHERE r.report_id = ANY(%(ids)s)
),
paced AS (
    SELECT f.*,
           CASE WHEN {prorated} THEN {pace} END AS pace,
           CASE WHEN {measured} AND (cmp = 'lte' OR p > 0) THEN {_pct("a", "t")} END AS achieved
    FROM figures f
),
lit AS (
    SELECT id, report_id, achieved,
           -- greatest() skips NULLs: a row without a pace must stay without a ratio
           CASE WHEN achieved IS NOT NULL AND cmp = 'lte' THEN greatest(0.00, 200 - achieved) ELSE pace END AS ratio,
           CASE
               WHEN cmp = 'qualitative' THEN
                   CASE q WHEN 'achieved' THEN 'green' WHEN 'partly' THEN 'yellow'
                          WHEN 'not_achieved' THEN 'red' ELSE '' END
               WHEN a IS NULL OR t IS NULL THEN ''
               WHEN t <= 0 THEN
                   CASE WHEN (cmp IN ('lte', 'eq') AND a <= t) OR (cmp NOT IN ('lte', 'eq') AND a >= t)
                        THEN 'green' ELSE 'red' END
               WHEN cmp = 'lte' THEN {_band("greatest(0.00, 200 - achieved)", "red", "yellow")}
               WHEN p <= 0 THEN 'green'
               WHEN achieved >= blue THEN 'blue'
               ELSE {_band("pace", "red", "yellow")}
           END AS light
    FROM paced
),
rows_done AS (
    UPDATE {row} r SET light = lit.light, ratio = lit.ratio, achieved_pct = lit.achieved
    FROM lit WHERE r.id = lit.id
    RETURNING r.report_id, r.light
),
row_lights AS (
    SELECT report_id, bool_or(light = '') AS missing, bool_or(light = 'red') AS red,
           bool_or(light = 'yellow') AS yellow, bool_or(light = 'blue') AS blue, bool_or(light = 'green') AS green
    FROM rows_done GROUP BY report_id
),
executed AS (
    SELECT rep.id, rep.time_progress AS p, fy.warn_red_below AS red, fy.warn_yellow_below AS yellow,
           fy.warn_blue_at_pct AS blue,
           CASE WHEN rep.paid_to_date IS NOT NULL THEN {_pct("rep.paid_to_date", "rep.budget_amount")} END AS execution
    FROM {report} rep
    JOIN {rnd} ro ON ro.id = rep.round_id
    JOIN {year} fy ON fy.id = ro.fiscal_year_id
    WHERE rep.id = ANY(%(ids)s)
),
budget AS (
    SELECT e.*, CASE WHEN execution IS NOT NULL AND p > 0 THEN {_pct("execution", "p")} END AS ratio
    FROM executed e
),
budget_lit AS (
    SELECT b.*,
           CASE WHEN execution IS NULL THEN '' WHEN p <= 0 THEN 'green'
                ELSE {_band("ratio", "red", "yellow")} END AS light
    FROM budget b
)
UPDATE {report} rep SET
    execution_rate = b.execution,
    budget_ratio = b.ratio,
    budget_light = b.light,
    light = CASE
        WHEN b.light = 'red' OR coalesce(rl.red, false) THEN 'red'
        WHEN b.light = 'yellow' OR coalesce(rl.yellow, false) THEN 'yellow'
        WHEN coalesce(rl.blue, false) THEN 'blue'
        WHEN b.light = 'green' OR coalesce(rl.green, false) THEN 'green'
        ELSE '' END,
    judgement = CASE
        WHEN rl.report_id IS NULL OR b.light = '' OR rl.missing THEN ''
        WHEN b.light = 'red' OR rl.red THEN 'serious'
        WHEN b.light = 'yellow' OR rl.yellow OR rl.blue THEN 'minor'
        ELSE 'on_track' END,
    rules = jsonb_build_object('red_below', b.red, 'yellow_below', b.yellow, 'blue_at_pct', b.blue),
    lights_at = now()
FROM budget_lit b
LEFT JOIN row_lights rl ON rl.report_id = b.id
WHERE rep.id = b.id
"""


def recompute(report_ids) -> int:
    """Run the statement for ``report_ids``; returns how many reports it updated."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement(), {"ids": list(report_ids)})
        return cursor.rowcount


# Fields both computations write, compared one by one (lights_at differs by construction).
REPORT_FIELDS = ("execution_rate", "budget_ratio", "budget_light", "light", "judgement", "rules")
ROW_FIELDS = ("light", "ratio", "achieved_pct")

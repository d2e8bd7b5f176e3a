"""The round overview for finance (issue 4, deliverable 7): counts by light and department and the
execution-vs-time-progress figures of the chart, each one aggregate query over an already scoped
and filtered queryset of reports — the page's query count does not grow with its rows."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from .choices import EDITABLE_REPORT_STATES, Light, ReportStatus
from .lights import WarningRules, band, percent
from .models import MonitoringRow

LIGHTS = tuple(Light.values)


def _light_counts(prefix: str = "") -> dict:
    name = f"{prefix}light"
    return {light: Count("pk", filter=Q(**{name: light})) for light in LIGHTS} | {
        "unlit": Count("pk", filter=Q(**{name: ""}))
    }


@dataclass
class Totals:
    reports: int = 0
    submitted: int = 0
    by_light: dict = field(default_factory=dict)  # overall light → count ("unlit": not yet computed)
    by_status: dict = field(default_factory=dict)
    budget_by_light: dict = field(default_factory=dict)
    rows_by_light: dict = field(default_factory=dict)


def totals(reports) -> Totals:
    """Counts of the reports by overall light, budget light and status, and of their indicator rows
    by light. Three queries."""
    overall = reports.aggregate(
        reports=Count("pk"),
        submitted=Count("pk", filter=~Q(status__in=EDITABLE_REPORT_STATES)),
        **{f"status_{status}": Count("pk", filter=Q(status=status)) for status in ReportStatus.values},
        **_light_counts(),
    )
    budget = reports.aggregate(**_light_counts("budget_"))
    rows = MonitoringRow.objects.filter(report__in=reports.values("pk")).aggregate(**_light_counts())
    return Totals(
        reports=overall["reports"],
        submitted=overall["submitted"],
        by_light={key: overall[key] for key in (*LIGHTS, "unlit")},
        by_status={status: overall[f"status_{status}"] for status in ReportStatus.values},
        budget_by_light=budget,
        rows_by_light=rows,
    )


@dataclass
class DepartmentLine:
    department_id: int
    name: str
    reports: int
    submitted: int
    by_light: dict
    budget: Decimal  # of the reports whose paid-to-date is known
    paid: Decimal
    execution_rate: Decimal | None
    ratio: Decimal | None
    light: str  # the department's execution against time progress, on the year's bands


def department_lines(reports, progress: Decimal, rules: WarningRules) -> list[DepartmentLine]:
    """One line per department: counts by light, and its amount-weighted execution rate against the
    time progress (its budget light). One query."""
    known = Q(paid_to_date__isnull=False)
    rows = (
        reports.values("project__department_id", "project__department__name", "project__department__code")
        .annotate(
            reports=Count("pk"),
            submitted=Count("pk", filter=~Q(status__in=EDITABLE_REPORT_STATES)),
            budget=Sum("budget_amount", filter=known),
            paid=Sum("paid_to_date", filter=known),
            **_light_counts(),
        )
        .order_by("project__department__code")
    )
    lines = []
    for row in rows:
        budget, paid = row["budget"] or Decimal("0"), row["paid"] or Decimal("0")
        rate = percent(paid, budget) if budget > 0 else None
        ratio = percent(rate, progress) if rate is not None and progress > 0 else None
        lines.append(
            DepartmentLine(
                department_id=row["project__department_id"],
                name=row["project__department__name"],
                reports=row["reports"],
                submitted=row["submitted"],
                by_light={key: row[key] for key in (*LIGHTS, "unlit")},
                budget=budget,
                paid=paid,
                execution_rate=rate,
                ratio=ratio,
                light=band(ratio, rules) if ratio is not None else "",
            )
        )
    return lines


def chart_data(lines: list[DepartmentLine], progress: Decimal) -> dict:
    """What static/js/monitoring.js draws: execution rate by department against time progress."""
    return {
        "departments": [line.name for line in lines],
        "execution": [float(line.execution_rate) if line.execution_rate is not None else None for line in lines],
        "lights": [line.light for line in lines],
        "time_progress": float(progress),
    }

"""Display helpers of the monitoring pages: light badges, status colours, the project card."""

from django import template

from monitoring.choices import Light, RectificationStatus, ReportStatus
from monitoring.lights import fmt
from monitoring.models import FundingAction, MonitoringReport
from monitoring.permissions import can_manage_funding

register = template.Library()

LIGHT_COLOURS = {Light.RED: "danger", Light.YELLOW: "warning", Light.BLUE: "primary", Light.GREEN: "success"}
_REPORT_COLOURS = {
    ReportStatus.DRAFT: "secondary",
    ReportStatus.DEPT_REVIEW: "warning",
    ReportStatus.FINANCE_REVIEW: "info",
    ReportStatus.RETURNED: "danger",
    ReportStatus.ACCEPTED: "success",
    ReportStatus.ACCEPTED_RECTIFY: "warning",
}
_RECTIFICATION_COLOURS = {
    RectificationStatus.ISSUED: "warning",
    RectificationStatus.SUBMITTED: "info",
    RectificationStatus.SENT_BACK: "danger",
    RectificationStatus.CONFIRMED: "success",
}


@register.filter
def light_colour(light: str) -> str:
    return LIGHT_COLOURS.get(light, "light")


@register.inclusion_tag("monitoring/_light.html")
def light_badge(light: str, title: str = ""):
    """A coloured dot and the light's name; "未计算" while its inputs are missing."""
    return {
        "light": light,
        "label": Light(light).label if light in Light.values else "未计算",
        "colour": light_colour(light),
        "title": title,
    }


@register.filter
def report_colour(status: str) -> str:
    return _REPORT_COLOURS.get(status, "secondary")


@register.filter
def report_status_label(status: str) -> str:
    return ReportStatus(status).label if status in ReportStatus.values else status


@register.filter
def rectification_colour(status: str) -> str:
    return _RECTIFICATION_COLOURS.get(status, "secondary")


@register.filter
def pct(value) -> str:
    """A percentage as people write it: 75.00 → "75%", None → "—"."""
    return "—" if value is None else f"{fmt(value)}%"


@register.filter
def number(value, unit: str = "") -> str:
    """A figure with its unit (20间, 92%), or "—" when not entered."""
    return f"{fmt(value)}{unit}" if value not in (None, "") else "—"


@register.inclusion_tag("monitoring/_project_card.html", takes_context=True)
def project_monitoring_card(context, project):
    """双监控 on the project page: its monitoring reports and funding actions the user may see
    (two queries), and the funding-action button for the performance office."""
    user = context["request"].user
    reports = list(
        MonitoringReport.objects.visible_to(user)
        .filter(project=project)
        .select_related("round")
        .order_by("-round__period_end")[:4]
    )
    actions = list(FundingAction.objects.visible_to(user).filter(project=project).order_by("-recorded_at"))
    return {
        "project": project,
        "reports": reports,
        "actions": actions,
        "can_fund": can_manage_funding(user)[0],
    }

"""Display helpers of the target pages, and the targets card on the project page."""

from decimal import Decimal

from django import template

from targets.choices import SheetStatus
from targets.forms import number_text
from targets.models import TargetSheet
from targets.services import can_write_targets

register = template.Library()

_SHEET_COLOURS = {
    SheetStatus.DRAFT: "secondary",
    SheetStatus.DEPT_REVIEW: "warning",
    SheetStatus.FINANCE_REVIEW: "info",
    SheetStatus.OFFICE_REVIEW: "primary",
    SheetStatus.EXPERT_REVIEW: "primary",
    SheetStatus.RETURNED: "danger",
    SheetStatus.APPROVED: "success",
    SheetStatus.SUPERSEDED: "light",
}


@register.filter
def sheet_colour(status: str) -> str:
    return _SHEET_COLOURS.get(status, "secondary")


@register.filter
def num(value) -> str:
    """A Decimal without trailing zeros: 30.00 → 30, 92.50 → 92.5."""
    if value in (None, ""):
        return ""
    return number_text(value if isinstance(value, Decimal) else Decimal(str(value)))


@register.inclusion_tag("targets/_project_card.html", takes_context=True)
def project_targets_card(context, project):
    """绩效目标 on the project page: the newest version the user may see (one query), or a create
    button for the project's own clerk."""
    user = context["request"].user
    # The newest two versions: an adjustment under way and the version in force before it.
    sheets = list(
        TargetSheet.objects.visible_to(user)
        .filter(project=project)
        .order_by("-version")
        .only("pk", "version", "status", "is_current", "publish", "project_id")[:2]
    )
    newest = sheets[0] if sheets else None
    in_force = next((s for s in sheets[1:] if s.is_current), None)
    return {
        "project": project,
        "sheet": newest,
        "in_force": in_force,
        "can_create": newest is None and can_write_targets(user, project)[0],
        "csrf_token": context.get("csrf_token"),
    }

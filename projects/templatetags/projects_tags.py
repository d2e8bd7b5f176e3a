"""Display helpers of the project pages: money in 万元, status colours."""

from decimal import Decimal

from django import template

register = template.Library()

WAN = Decimal("10000")

# Bootstrap colour of a status badge, by state value (shared by projects and pre-assessments).
_STATUS_COLOURS = {
    "draft": "secondary",
    "dept_review": "warning",
    "finance_review": "info",
    "returned": "danger",
    "in_library": "success",
    "concluded": "success",
}


@register.filter
def wan(amount) -> str:
    """Yuan → 万元 with two decimals and thousands separators: 6000000 → "600.00"."""
    if amount in (None, ""):
        return ""
    return f"{(Decimal(amount) / WAN).quantize(Decimal('0.01')):,}"


@register.filter
def yuan(amount) -> str:
    if amount in (None, ""):
        return ""
    return f"{Decimal(amount):,.2f}"


@register.filter
def status_colour(state: str) -> str:
    return _STATUS_COLOURS.get(state, "secondary")


_CONCLUSION_COLOURS = {"support": "success", "support_after_adjustment": "primary", "reject": "danger"}


@register.filter
def conclusion_colour(conclusion: str) -> str:
    return _CONCLUSION_COLOURS.get(conclusion, "secondary")


_WEEKDAYS = "一二三四五六日"


@register.filter
def weekday_cn(day) -> str:
    """星期一…星期日, whatever language the browser asked for."""
    return f"星期{_WEEKDAYS[day.weekday()]}" if day else ""

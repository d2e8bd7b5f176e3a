"""“我的待办” of dual monitoring (workflow.inbox registry): reports to fill, returned or waiting at a
review step, and rectifications to answer or confirm. One aggregate query per model and provider."""

from django.db.models import Count, Q
from django.urls import reverse

from accounts.choices import Role
from workflow.inbox import InboxItem, InboxKind, register

from .choices import RectificationStatus, ReportStatus, RoundStatus
from .models import MonitoringReport, Rectification


def _reports_url(status: str) -> str:
    return f"{reverse('monitoring:report_list')}?status={status}"


def _rectifications_url(status: str = "") -> str:
    url = reverse("monitoring:rectification_list")
    return f"{url}?status={status}" if status else f"{url}?open=true"


@register
def monitoring_items(user) -> list[InboxItem]:
    items = []
    reports = MonitoringReport.objects.visible_to(user)
    if user.has_role(Role.UNIT_STAFF):
        counts = reports.filter(round__status=RoundStatus.OPEN).aggregate(
            draft=Count("pk", filter=Q(status=ReportStatus.DRAFT)),
            returned=Count("pk", filter=Q(status=ReportStatus.RETURNED)),
        )
        items += [
            InboxItem(InboxKind.TO_FILL, "绩效监控表待填报", counts["draft"], _reports_url(ReportStatus.DRAFT)),
            InboxItem(InboxKind.RETURNED, "绩效监控表被退回", counts["returned"], _reports_url(ReportStatus.RETURNED)),
        ]
    for role, status in (
        (Role.DEPT_REVIEWER, ReportStatus.DEPT_REVIEW),
        (Role.FINANCE_REVIEWER, ReportStatus.FINANCE_REVIEW),
    ):
        if user.has_role(role):
            count = reports.filter(status=status).count()
            items.append(InboxItem(InboxKind.TO_REVIEW, "绩效监控表待审核", count, _reports_url(status)))
    rectifications = Rectification.objects.visible_to(user)
    if user.has_role(Role.UNIT_STAFF, Role.DEPT_REVIEWER):
        count = rectifications.open().count()
        items.append(InboxItem(InboxKind.TO_FILL, "整改待报送", count, _rectifications_url()))
    if user.has_role(Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE):
        count = rectifications.filter(status=RectificationStatus.SUBMITTED, confirmer_role__in=user.roles).count()
        items.append(
            InboxItem(InboxKind.TO_REVIEW, "整改待确认", count, _rectifications_url(RectificationStatus.SUBMITTED))
        )
    return items

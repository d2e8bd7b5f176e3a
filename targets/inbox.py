"""“我的待办” of target sheets (workflow.inbox registry): one aggregate query per provider, each
item linking to the sheet list filtered to exactly the counted rows."""

from django.db.models import Count, Q
from django.urls import reverse

from accounts.choices import Role
from workflow.inbox import InboxItem, InboxKind, register

from .choices import SheetStatus
from .models import TargetSheet

# The step each reviewer role handles, with its dashboard label.
REVIEW_STEPS = (
    (Role.DEPT_REVIEWER, SheetStatus.DEPT_REVIEW, "绩效目标待审核"),
    (Role.FINANCE_REVIEWER, SheetStatus.FINANCE_REVIEW, "绩效目标待审核"),
    (Role.PERFORMANCE_OFFICE, SheetStatus.OFFICE_REVIEW, "绩效目标待批复"),
    (Role.EXPERT, SheetStatus.EXPERT_REVIEW, "绩效目标待专家评审"),
)


def _url(status: str) -> str:
    return f"{reverse('targets:sheet_list')}?status={status}"


@register
def target_items(user) -> list[InboxItem]:
    wanted = {}  # status → (kind, label)
    if user.has_role(Role.UNIT_STAFF):
        wanted[SheetStatus.DRAFT] = (InboxKind.TO_FILL, "绩效目标待填报")
        wanted[SheetStatus.RETURNED] = (InboxKind.RETURNED, "绩效目标被退回")
    for role, status, label in REVIEW_STEPS:
        if user.has_role(role):
            wanted[status] = (InboxKind.TO_REVIEW, label)
    if not wanted:
        return []
    counts = TargetSheet.objects.visible_to(user).aggregate(
        **{status: Count("pk", filter=Q(status=status), distinct=True) for status in wanted}
    )
    return [InboxItem(kind, label, counts[status], _url(status)) for status, (kind, label) in wanted.items()]

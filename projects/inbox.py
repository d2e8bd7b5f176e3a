"""“我的待办” of the project library and pre-assessments (workflow.inbox registry).

One aggregate query per model and provider, whatever the number of rows; each item links to the
filtered list that shows exactly those rows.
"""

from django.db.models import Count, Q
from django.urls import reverse

from accounts.choices import Role
from workflow.inbox import InboxItem, InboxKind, register

from .choices import PreAssessmentMode, PreAssessmentStatus, ProjectStatus
from .models import PreAssessment, Project

PROJECTS = "projects:project_list"
PREASSESSMENTS = "projects:preassessment_list"


def _url(list_name: str, status: str) -> str:
    return f"{reverse(list_name)}?status={status}"


def _to_fill_and_returned(queryset, list_name: str, what: str) -> list[InboxItem]:
    """Drafts (待填报) and returned rows (被退回) of ``queryset``, counted in one query. Projects and
    pre-assessments name these two states alike ("draft", "returned")."""
    draft, returned = ProjectStatus.DRAFT, ProjectStatus.RETURNED
    counts = queryset.aggregate(
        draft=Count("pk", filter=Q(status=draft), distinct=True),
        returned=Count("pk", filter=Q(status=returned), distinct=True),
    )
    return [
        InboxItem(InboxKind.TO_FILL, f"{what}待填报", counts["draft"], _url(list_name, draft)),
        InboxItem(InboxKind.RETURNED, f"{what}被退回", counts["returned"], _url(list_name, returned)),
    ]


def _to_review(queryset, list_name: str, status: str, label: str) -> InboxItem:
    count = queryset.filter(status=status).count()
    return InboxItem(InboxKind.TO_REVIEW, label, count, _url(list_name, status))


@register
def unit_staff_items(user) -> list[InboxItem]:
    if not user.has_role(Role.UNIT_STAFF):
        return []
    own_assessments = PreAssessment.objects.visible_to(user).filter(mode=PreAssessmentMode.SELF)
    return [
        *_to_fill_and_returned(Project.objects.visible_to(user), PROJECTS, "项目"),
        *_to_fill_and_returned(own_assessments, PREASSESSMENTS, "事前绩效评估"),
    ]


@register
def dept_reviewer_items(user) -> list[InboxItem]:
    if not user.has_role(Role.DEPT_REVIEWER):
        return []
    projects, assessments = Project.objects.visible_to(user), PreAssessment.objects.visible_to(user)
    return [
        _to_review(projects, PROJECTS, ProjectStatus.DEPT_REVIEW, "项目待审核"),
        _to_review(assessments, PREASSESSMENTS, PreAssessmentStatus.DEPT_REVIEW, "事前绩效评估待审核"),
    ]


@register
def performance_office_items(user) -> list[InboxItem]:
    if not user.has_role(Role.PERFORMANCE_OFFICE):
        return []
    queryset = PreAssessment.objects.visible_to(user)
    return [_to_review(queryset, PREASSESSMENTS, PreAssessmentStatus.FINANCE_REVIEW, "事前绩效评估待出具结论")]


@register
def assigned_items(user) -> list[InboxItem]:
    """Agencies and experts: the commissioned assessments they still have to fill."""
    if not user.has_role(Role.AGENCY_EVALUATOR, Role.EXPERT):
        return []
    return _to_fill_and_returned(PreAssessment.objects.visible_to(user), PREASSESSMENTS, "受托事前绩效评估")

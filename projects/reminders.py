"""Pre-assessment deadlines for the daily reminder run (DESIGN §2.2, §2.7).

A pre-assessment waiting at a review step is due ``FiscalYear.preassessment_review_days`` Chinese
working days after it arrived there (its ``state_changed_at`` as an Asia/Shanghai date):
department review → the department's reviewers; finance review → the performance office, who
concludes. One that was returned is due back by the same rule from the return: to its unit's
clerks, or to the agency / experts it was commissioned to.

Queries per run, whatever the number of pre-assessments: the candidates (with project and year),
the people to remind, the experts of returned expert reviews (only if any), and the calendar
table once for the whole date range.
"""

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Expert
from notifications.reminders import Deadline, DeadlineKind, register_deadline_source

from .calendar import WorkingCalendar
from .choices import PreAssessmentMode, PreAssessmentStatus
from .models import PreAssessment

REVIEWER_ROLE = {
    PreAssessmentStatus.DEPT_REVIEW: Role.DEPT_REVIEWER,
    PreAssessmentStatus.FINANCE_REVIEW: Role.PERFORMANCE_OFFICE,
}


def _arrival(pa: PreAssessment) -> datetime.date:
    return timezone.localtime(pa.state_changed_at, timezone.get_default_timezone()).date()


def _recipient_org(pa: PreAssessment) -> int | None:
    """The organisation whose people must act (None: the performance office, city-wide)."""
    if pa.status == PreAssessmentStatus.DEPT_REVIEW:
        return pa.project.department_id
    if pa.status == PreAssessmentStatus.RETURNED and pa.mode == PreAssessmentMode.SELF:
        return pa.project.unit_id
    if pa.status == PreAssessmentStatus.RETURNED and pa.mode == PreAssessmentMode.AGENCY and pa.agency_id:
        return pa.agency.organization_id
    return None


def _role(pa: PreAssessment) -> str:
    if pa.status in REVIEWER_ROLE:
        return REVIEWER_ROLE[pa.status]
    return Role.AGENCY_EVALUATOR if pa.mode == PreAssessmentMode.AGENCY else Role.UNIT_STAFF


def _people(candidates: list[PreAssessment]) -> dict[tuple[str, int | None], list]:
    """Active users by (role, organisation id) — one query over the role memberships.

    The performance office is keyed with organisation None: it acts for the whole city.
    """
    Membership = get_user_model().groups.through
    org_ids = {org for pa in candidates if (org := _recipient_org(pa)) is not None}
    wanted = Q(
        group__name__in=[Role.DEPT_REVIEWER, Role.UNIT_STAFF, Role.AGENCY_EVALUATOR], user__organization_id__in=org_ids
    )
    if any(pa.status == PreAssessmentStatus.FINANCE_REVIEW for pa in candidates):
        wanted |= Q(group__name=Role.PERFORMANCE_OFFICE)
    people = defaultdict(list)
    for membership in Membership.objects.filter(wanted, user__is_active=True).select_related("user", "group"):
        role, user = membership.group.name, membership.user
        org = None if role == Role.PERFORMANCE_OFFICE else user.organization_id
        people[(role, org)].append(user)
    return people


@register_deadline_source
def preassessment_deadlines(today: datetime.date) -> list[Deadline]:
    candidates = list(
        PreAssessment.objects.filter(
            status__in=[
                PreAssessmentStatus.DEPT_REVIEW,
                PreAssessmentStatus.FINANCE_REVIEW,
                PreAssessmentStatus.RETURNED,
            ]
        )
        .select_related("project__fiscal_year", "agency")
        .order_by("pk")
    )
    if not candidates:
        return []
    expert_reviews = [
        pa for pa in candidates if pa.status == PreAssessmentStatus.RETURNED and pa.mode == PreAssessmentMode.EXPERTS
    ]
    if expert_reviews:
        prefetch_related_objects(expert_reviews, Prefetch("experts", queryset=Expert.objects.select_related("user")))
    arrivals = {pa.pk: _arrival(pa) for pa in candidates}
    longest = max(pa.project.fiscal_year.preassessment_review_days for pa in candidates)
    calendar = WorkingCalendar.for_deadlines(arrivals.values(), longest)
    people = _people(candidates)

    deadlines = []
    for pa in candidates:
        due = calendar.add_working_days(arrivals[pa.pk], pa.project.fiscal_year.preassessment_review_days)
        if pa.status == PreAssessmentStatus.RETURNED:
            kind, title = DeadlineKind.SUBMISSION, f"事前绩效评估退回修改：{pa.project.name}"
        else:
            kind, title = DeadlineKind.REVIEW, f"事前绩效评估待审核：{pa.project.name}"
        if pa.status == PreAssessmentStatus.RETURNED and pa.mode == PreAssessmentMode.EXPERTS:
            recipients = [e.user for e in pa.experts.all() if e.user_id]
        else:
            recipients = people.get((_role(pa), _recipient_org(pa)), [])
        deadlines.append(
            Deadline(
                obj=pa,
                due_date=due.date,
                recipients=recipients,
                title=title,
                url=pa.get_absolute_url(),
                kind=kind,
                warning=due.warning,
            )
        )
    return deadlines

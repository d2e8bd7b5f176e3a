"""Target-sheet deadlines for the daily reminder run (DESIGN §2.3, §2.7; issue 3, deliverable 7).

Submission 报送 — to the clerks of the project's unit:
- a sheet still being written (draft, version 1) and a project in the library with no sheet yet
  are due by the year's ``FiscalYear.target_submission_deadline`` (no deadline set: nothing due);
- a returned sheet is due back by that deadline, or — returned late in the round — by
  ``target_review_days`` working days after the return, whichever is later, so a late return
  still leaves the unit as long to fix as reviewers get to review;
- a draft adjustment 调整申请 has no deadline: the unit chose to change an approved sheet.

Review 审核 — a sheet waiting at a review step is due ``FiscalYear.target_review_days`` (7) Chinese
working days after it arrived (``state_changed_at`` as an Asia/Shanghai date): department review →
the department's reviewers; finance review → the finance business office; performance-office
review → the performance office; expert review → the assigned experts who have not yet scored.

Queries per run, whatever the number of sheets: the sheets (with project and year), the projects
without a sheet, the role memberships, the calendar table (two), and the pending experts (only
if a sheet is at expert review).
"""

import datetime
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from notifications.reminders import Deadline, DeadlineKind, people_by_role, register_deadline_source
from projects.calendar import WorkingCalendar
from projects.choices import ProjectStatus
from projects.models import Project

from .choices import SheetStatus
from .models import ExpertReview, TargetSheet

REVIEWER_ROLE = {
    SheetStatus.DEPT_REVIEW: Role.DEPT_REVIEWER,
    SheetStatus.FINANCE_REVIEW: Role.FINANCE_REVIEWER,
    SheetStatus.OFFICE_REVIEW: Role.PERFORMANCE_OFFICE,
}


def _arrival(sheet: TargetSheet) -> datetime.date:
    return timezone.localtime(sheet.state_changed_at, timezone.get_default_timezone()).date()


def _title(prefix: str, sheet: TargetSheet) -> str:
    suffix = f"（调整申请·第{sheet.version}版）" if sheet.adjustment_of_id else ""
    return f"{prefix}：{sheet.project.name}{suffix}"


def _calendar(sheets: list[TargetSheet]) -> WorkingCalendar | None:
    """The calendar table once for every due date counted from these sheets' arrivals."""
    if not sheets:
        return None
    longest = max(s.project.fiscal_year.target_review_days for s in sheets)
    return WorkingCalendar.for_deadlines((_arrival(s) for s in sheets), longest)


@register_deadline_source
def target_submission_deadlines(today: datetime.date) -> list[Deadline]:
    first_drafts = Q(
        status=SheetStatus.DRAFT,
        adjustment_of__isnull=True,
        project__fiscal_year__target_submission_deadline__isnull=False,
    )
    sheets = list(
        TargetSheet.objects.filter(first_drafts | Q(status=SheetStatus.RETURNED))
        .select_related("project__fiscal_year")
        .order_by("pk")
    )
    unstarted = list(
        Project.objects.filter(
            status=ProjectStatus.IN_LIBRARY,
            fiscal_year__target_submission_deadline__isnull=False,
            target_sheets__isnull=True,
        )
        .select_related("fiscal_year")
        .order_by("pk")
    )
    calendar = _calendar([s for s in sheets if s.status == SheetStatus.RETURNED])
    units = {s.project.unit_id for s in sheets} | {p.unit_id for p in unstarted}
    people = people_by_role({(Role.UNIT_STAFF, unit) for unit in units})

    deadlines = []
    for sheet in sheets:
        year = sheet.project.fiscal_year
        year_deadline = None if sheet.adjustment_of_id else year.target_submission_deadline
        warning = ""
        if sheet.status == SheetStatus.RETURNED:
            back_by = calendar.add_working_days(_arrival(sheet), year.target_review_days)
            due, warning = max(filter(None, (year_deadline, back_by.date))), back_by.warning
            title = _title("绩效目标退回修改", sheet)
        else:
            due, title = year_deadline, _title("绩效目标填报", sheet)
        deadlines.append(
            Deadline(
                obj=sheet,
                due_date=due,
                recipients=people.get((Role.UNIT_STAFF, sheet.project.unit_id), []),
                title=title,
                url=sheet.get_absolute_url(),
                kind=DeadlineKind.SUBMISSION,
                warning=warning,
            )
        )
    for project in unstarted:
        deadlines.append(
            Deadline(
                obj=project,
                due_date=project.fiscal_year.target_submission_deadline,
                recipients=people.get((Role.UNIT_STAFF, project.unit_id), []),
                title=f"绩效目标填报：{project.name}",
                url=reverse("targets:sheet_create", args=[project.pk]),
                kind=DeadlineKind.SUBMISSION,
            )
        )
    return deadlines


def _pending_experts(sheets: list[TargetSheet]) -> dict[int, list]:
    """Users of the experts who have not scored yet, by sheet id (one query, only if needed)."""
    at_experts = [s.pk for s in sheets if s.status == SheetStatus.EXPERT_REVIEW]
    if not at_experts:
        return {}
    pending = defaultdict(list)
    reviews = ExpertReview.objects.pending().filter(
        sheet_id__in=at_experts, expert__user__isnull=False, expert__user__is_active=True
    )
    for review in reviews.select_related("expert__user").order_by("pk"):
        pending[review.sheet_id].append(review.expert.user)
    return pending


@register_deadline_source
def target_review_deadlines(today: datetime.date) -> list[Deadline]:
    sheets = list(
        TargetSheet.objects.filter(status__in=[*REVIEWER_ROLE, SheetStatus.EXPERT_REVIEW])
        .select_related("project__fiscal_year")
        .order_by("pk")
    )
    if not sheets:
        return []
    calendar = _calendar(sheets)
    people = people_by_role(
        {
            (REVIEWER_ROLE[s.status], s.project.department_id if s.status == SheetStatus.DEPT_REVIEW else None)
            for s in sheets
            if s.status in REVIEWER_ROLE
        }
    )
    experts = _pending_experts(sheets)

    deadlines = []
    for sheet in sheets:
        due = calendar.add_working_days(_arrival(sheet), sheet.project.fiscal_year.target_review_days)
        if sheet.status == SheetStatus.EXPERT_REVIEW:
            recipients, title = experts.get(sheet.pk, []), _title("绩效目标专家评审", sheet)
        else:
            org = sheet.project.department_id if sheet.status == SheetStatus.DEPT_REVIEW else None
            recipients, title = people.get((REVIEWER_ROLE[sheet.status], org), []), _title("绩效目标待审核", sheet)
        deadlines.append(
            Deadline(
                obj=sheet,
                due_date=due.date,
                recipients=recipients,
                title=title,
                url=sheet.get_absolute_url(),
                kind=DeadlineKind.REVIEW,
                warning=due.warning,
            )
        )
    return deadlines

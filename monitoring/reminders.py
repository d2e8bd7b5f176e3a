"""Monitoring deadlines for the daily reminder run (DESIGN §2.4, §2.7; issue 4, deliverable 8).

Submission 报送 — to the clerks of the project's unit: a report being filled (draft) is due by its
round's due date (Q3: 15 days after the quarter, Oct 15). A returned report is due back by then, or
— returned late — ``monitoring_review_days`` working days after the return, whichever is later.

Review 审核 — a report at department review is due by the round's due date (the department
forwards it to finance within the round, seeds/004 五), or ``monitoring_review_days`` working days
after it arrived if it arrived after that date; at finance review it is due
``monitoring_review_days`` (7) Chinese working days after it arrived (seeds/004 五、绩效跟踪:
市财政部门于 7 个工作日内审核).

Rectification 整改 — an open rectification is due on its ``due_date`` (7 working days from the
request) to the unit's clerks and the department's reviewers; an answered one awaits the finance
role that asked, within ``monitoring_review_days`` working days of the answer.

Queries per run, whatever the number of reports: the reports, the rectifications, the role
memberships, the calendar table (two).
"""

import datetime

from django.utils import timezone

from accounts.choices import Role
from notifications.reminders import Deadline, DeadlineKind, people_by_role, register_deadline_source
from projects.calendar import WorkingCalendar

from .choices import RectificationStatus, ReportStatus, RoundStatus
from .models import MonitoringReport, Rectification

REVIEWER = {ReportStatus.DEPT_REVIEW: Role.DEPT_REVIEWER, ReportStatus.FINANCE_REVIEW: Role.FINANCE_REVIEWER}
WAITING = (ReportStatus.DRAFT, ReportStatus.RETURNED, *REVIEWER)


def _arrival(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def report_due(report: MonitoringReport, calendar: WorkingCalendar) -> tuple[datetime.date, str]:
    """(due date, calendar warning) of the step a report waits at."""
    days = report.round.fiscal_year.monitoring_review_days
    if report.status == ReportStatus.DRAFT:
        return report.round.due_date, ""
    arrived = _arrival(report.state_changed_at)
    counted = calendar.add_working_days(arrived, days)
    if report.status == ReportStatus.FINANCE_REVIEW:
        return counted.date, counted.warning
    if report.status == ReportStatus.DEPT_REVIEW and arrived <= report.round.due_date:
        return report.round.due_date, ""  # the department forwards it within the round
    return max(report.round.due_date, counted.date), counted.warning


@register_deadline_source
def monitoring_report_deadlines(today: datetime.date) -> list[Deadline]:
    reports = list(
        MonitoringReport.objects.filter(status__in=WAITING, round__status=RoundStatus.OPEN)
        .select_related("round__fiscal_year", "project")
        .order_by("pk")
    )
    if not reports:
        return []
    longest = max(r.round.fiscal_year.monitoring_review_days for r in reports)
    calendar = WorkingCalendar.for_deadlines((_arrival(r.state_changed_at) for r in reports), longest)

    def who(report):
        if report.status == ReportStatus.DEPT_REVIEW:
            return (Role.DEPT_REVIEWER, report.project.department_id)
        if report.status == ReportStatus.FINANCE_REVIEW:
            return (Role.FINANCE_REVIEWER, None)
        return (Role.UNIT_STAFF, report.project.unit_id)

    people = people_by_role({who(r) for r in reports})
    deadlines = []
    for report in reports:
        due, warning = report_due(report, calendar)
        reviewing = report.status in REVIEWER
        prefix = (
            "绩效监控待审核"
            if reviewing
            else ("绩效监控退回修改" if report.status == ReportStatus.RETURNED else "绩效监控填报")
        )
        deadlines.append(
            Deadline(
                obj=report,
                due_date=due,
                recipients=people.get(who(report), []),
                title=f"{prefix}：{report.project.name}（{report.round.period_label}）",
                url=report.get_absolute_url(),
                kind=DeadlineKind.REVIEW if reviewing else DeadlineKind.SUBMISSION,
                warning=warning,
            )
        )
    return deadlines


@register_deadline_source
def rectification_deadlines(today: datetime.date) -> list[Deadline]:
    rectifications = list(
        Rectification.objects.exclude(status=RectificationStatus.CONFIRMED)
        .select_related("project__fiscal_year")
        .order_by("pk")
    )
    if not rectifications:
        return []
    answered = [r for r in rectifications if r.status == RectificationStatus.SUBMITTED]
    calendar = None
    if answered:
        longest = max(r.project.fiscal_year.monitoring_review_days for r in answered)
        calendar = WorkingCalendar.for_deadlines((_arrival(r.state_changed_at) for r in answered), longest)
    wanted = set()
    for r in rectifications:
        if r.status == RectificationStatus.SUBMITTED:
            wanted.add((r.confirmer_role, None))
        else:
            wanted |= {(Role.UNIT_STAFF, r.project.unit_id), (Role.DEPT_REVIEWER, r.project.department_id)}
    people = people_by_role(wanted)
    deadlines = []
    for r in rectifications:
        if r.status == RectificationStatus.SUBMITTED:
            due = calendar.add_working_days(_arrival(r.state_changed_at), r.project.fiscal_year.monitoring_review_days)
            recipients, title, kind = people.get((r.confirmer_role, None), []), "整改情况待确认", DeadlineKind.REVIEW
            due_date, warning = due.date, due.warning
        else:
            recipients = people.get((Role.UNIT_STAFF, r.project.unit_id), []) + people.get(
                (Role.DEPT_REVIEWER, r.project.department_id), []
            )
            title, kind, due_date, warning = "整改", DeadlineKind.RECTIFICATION, r.due_date, r.due_warning
        deadlines.append(
            Deadline(
                obj=r,
                due_date=due_date,
                recipients=recipients,
                title=f"{title}：{r.project.name}",
                url=r.get_absolute_url(),
                kind=kind,
                warning=warning,
            )
        )
    return deadlines

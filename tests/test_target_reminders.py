"""Target-sheet deadlines in the daily reminder run (issue 3, deliverable 7): submission by the
year's deadline to the unit's clerks, each review step within 7 working days of arrival to that
step's reviewers — 7/3/1 days before and overdue, each once, nobody else."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from notifications.hub import Message
from notifications.models import Notice
from notifications.reminders import deadline_sources
from notifications.tasks import send_deadline_reminders
from projects.choices import ProjectStatus
from targets import services
from targets.choices import SheetStatus
from targets.models import ExpertReview, TargetSheet
from targets.reminders import target_review_deadlines, target_submission_deadlines

from . import factories as f

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Arrived on 2025-09-30; 7 working days later (国庆 + 调休 Saturday 10-11) is 10-16.
ARRIVED = datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
DUE = D(2025, 10, 16)
SUBMISSION_DEADLINE = D(2025, 12, 15)


@pytest.fixture
def year(city):
    city.year.target_submission_deadline = SUBMISSION_DEADLINE
    city.year.save()
    return city.year


def sheet_at(city, status, arrived=ARRIVED, unit=None, **fields):
    project = f.ProjectFactory(fiscal_year=city.year, unit=unit or city.unit_a1, status=ProjectStatus.IN_LIBRARY)
    sheet = f.TargetSheetFactory(project=project, rows=True, **fields)
    TargetSheet.objects.filter(pk=sheet.pk).update(status=status, state_changed_at=arrived)
    sheet.refresh_from_db()
    return sheet


def titles(user):
    return [n.title for n in Notice.objects.filter(recipient=user).order_by("id")]


def run_on(*days):
    return [send_deadline_reminders(today=day) for day in days]


def everyone(city):
    return {
        "clerk": city.clerk,
        "clerk_a2": city.clerk_a2,
        "reviewer": city.reviewer,
        "other_clerk": city.other_clerk,
        "other_reviewer": city.other_reviewer,
        "finance": city.finance,
        "office": city.office,
        "expert": city.expert_user,
        "evaluator": city.evaluator,
        "auditor": city.auditor,
    }


def only(city, *names):
    """Everyone not named has no notice at all."""
    for name, user in everyone(city).items():
        if name not in names:
            assert titles(user) == [], name


# --- review steps -------------------------------------------------------------------------


def test_department_review_reminds_its_reviewer_at_7_3_1_days_and_overdue_once_each(city, year):
    sheet = sheet_at(city, SheetStatus.DEPT_REVIEW)
    name = sheet.project.name
    # every day from a week before to a week after, twice a day
    day = DUE - datetime.timedelta(days=9)
    while day <= DUE + datetime.timedelta(days=7):
        run_on(day, day)
        day += datetime.timedelta(days=1)
    assert titles(city.reviewer) == [
        f"绩效目标待审核：{name}：还剩7天",
        f"绩效目标待审核：{name}：还剩3天",
        f"绩效目标待审核：{name}：还剩1天",
        f"绩效目标待审核：{name}：已逾期1天",
    ]
    notices = list(Notice.objects.filter(recipient=city.reviewer).order_by("id"))
    assert [n.message for n in notices] == [Message.DUE_SOON] * 3 + [Message.OVERDUE]
    assert notices[0].dedupe_key == f"review:targets.targetsheet:{sheet.pk}:2025-10-16:7"
    assert notices[0].url == sheet.get_absolute_url()
    assert "审核期限：2025年10月16日" in notices[0].body
    only(city, "reviewer")  # other department's reviewer, finance, office, clerks: nothing


def test_the_other_departments_sheet_goes_to_its_own_reviewer(city, year):
    sheet_at(city, SheetStatus.DEPT_REVIEW)
    other = sheet_at(city, SheetStatus.DEPT_REVIEW, unit=city.unit_b1)
    run_on(D(2025, 10, 13))
    assert titles(city.other_reviewer) == [f"绩效目标待审核：{other.project.name}：还剩3天"]
    assert len(titles(city.reviewer)) == 1
    only(city, "reviewer", "other_reviewer")


def test_finance_review_goes_to_the_finance_business_office(city, year):
    sheet = sheet_at(city, SheetStatus.FINANCE_REVIEW)
    run_on(D(2025, 10, 15))
    assert titles(city.finance) == [f"绩效目标待审核：{sheet.project.name}：还剩1天"]
    only(city, "finance")


def test_performance_office_review_goes_to_the_performance_office(city, year):
    sheet = sheet_at(city, SheetStatus.OFFICE_REVIEW)
    run_on(D(2025, 10, 17))
    assert titles(city.office) == [f"绩效目标待审核：{sheet.project.name}：已逾期1天"]
    only(city, "office")


def test_expert_review_goes_to_the_experts_who_have_not_scored(city, year):
    sheet = sheet_at(city, SheetStatus.EXPERT_REVIEW)
    scored_user = f.UserFactory(organization=city.finance_org, role=Role.EXPERT)
    scored = f.ExpertFactory(user=scored_user, own_department=None)
    ExpertReview.objects.create(sheet=sheet, expert=city.expert)
    ExpertReview.objects.create(sheet=sheet, expert=scored, score=88, comment="合理", submitted_at=ARRIVED)
    run_on(D(2025, 10, 9))
    assert titles(city.expert_user) == [f"绩效目标专家评审：{sheet.project.name}：还剩7天"]
    assert titles(scored_user) == []
    only(city, "expert")


def test_review_days_are_the_years_rule(city, year):
    year.target_review_days = 3
    year.save()
    sheet_at(city, SheetStatus.FINANCE_REVIEW)  # 3 working days after 09-30: 10-09, 10-10, 10-11 (调休)
    (deadline,) = target_review_deadlines(D(2025, 10, 1))
    assert deadline.due_date == D(2025, 10, 11)


def test_an_adjustment_in_review_says_so(city, year):
    approved = sheet_at(city, SheetStatus.APPROVED)
    adjustment = f.TargetSheetFactory(project=approved.project, version=2, is_current=False, adjustment_of=approved)
    TargetSheet.objects.filter(pk=adjustment.pk).update(status=SheetStatus.DEPT_REVIEW, state_changed_at=ARRIVED)
    run_on(D(2025, 10, 9))
    assert titles(city.reviewer) == [f"绩效目标待审核：{approved.project.name}（调整申请·第2版）：还剩7天"]


# --- submission -----------------------------------------------------------------------------


def test_a_draft_is_due_by_the_years_deadline_from_its_units_clerks_only(city, year):
    sheet = sheet_at(city, SheetStatus.DRAFT)
    name = sheet.project.name
    days = (D(2025, 12, 1), D(2025, 12, 8), D(2025, 12, 8), D(2025, 12, 12), D(2025, 12, 14), D(2025, 12, 16))
    run_on(*days, D(2026, 1, 5))
    assert titles(city.clerk) == [
        f"绩效目标填报：{name}：还剩7天",
        f"绩效目标填报：{name}：还剩3天",
        f"绩效目标填报：{name}：还剩1天",
        f"绩效目标填报：{name}：已逾期1天",
    ]
    (notice,) = Notice.objects.filter(recipient=city.clerk, message=Message.OVERDUE)
    assert notice.dedupe_key == f"submission:targets.targetsheet:{sheet.pk}:2025-12-15:overdue"
    assert "报送期限：2025年12月15日" in notice.body
    only(city, "clerk")  # the clerk of the other unit of the same department gets nothing


def test_no_deadline_set_means_no_submission_reminder(city):
    sheet_at(city, SheetStatus.DRAFT)
    assert target_submission_deadlines(D(2025, 12, 14)) == []


def test_a_returned_sheet_is_due_by_the_years_deadline_or_7_working_days_after_a_late_return(city, year):
    early = sheet_at(city, SheetStatus.RETURNED)  # returned 09-30: the year's deadline is later
    late = sheet_at(city, SheetStatus.RETURNED, arrived=datetime.datetime(2025, 12, 12, 9, tzinfo=SHANGHAI))
    due = {d.obj.pk: d for d in target_submission_deadlines(D(2025, 12, 12))}
    assert due[early.pk].due_date == SUBMISSION_DEADLINE
    assert due[late.pk].due_date == D(2025, 12, 23)  # 7 working days after Friday 12-12
    assert due[late.pk].title == f"绩效目标退回修改：{late.project.name}"
    run_on(D(2025, 12, 16))
    assert titles(city.clerk) == [
        f"绩效目标退回修改：{early.project.name}：已逾期1天",
        f"绩效目标退回修改：{late.project.name}：还剩7天",
    ]
    only(city, "clerk")


def test_a_draft_adjustment_has_no_deadline_and_a_returned_one_is_due_7_working_days_after(city, year):
    approved = sheet_at(city, SheetStatus.APPROVED)
    services.request_adjustment(approved, city.clerk, "资金调减")
    assert target_submission_deadlines(D(2026, 6, 1)) == []
    TargetSheet.objects.filter(adjustment_of=approved).update(status=SheetStatus.RETURNED, state_changed_at=ARRIVED)
    (deadline,) = target_submission_deadlines(D(2025, 10, 9))
    assert deadline.due_date == DUE  # not the year's deadline, which is for version 1


def test_a_project_in_the_library_without_a_sheet_is_due_from_its_clerks(city, year):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2, status=ProjectStatus.IN_LIBRARY)
    f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2)  # a draft project: not yet
    sheet_at(city, SheetStatus.APPROVED, unit=city.unit_a2)  # has its sheet
    run_on(D(2025, 12, 12))
    (notice,) = Notice.objects.filter(recipient=city.clerk_a2)
    assert notice.title == f"绩效目标填报：{project.name}：还剩3天"
    assert notice.url == f"/targets/new/{project.pk}/"
    assert notice.dedupe_key == f"submission:projects.project:{project.pk}:2025-12-15:3"
    only(city, "clerk_a2")


def test_approved_and_superseded_sheets_have_no_deadline(city, year):
    sheet_at(city, SheetStatus.APPROVED)
    sheet_at(city, SheetStatus.SUPERSEDED)
    assert target_submission_deadlines(D(2025, 12, 14)) == []
    assert target_review_deadlines(D(2025, 12, 14)) == []


# --- the run itself -------------------------------------------------------------------------


def test_running_twice_a_day_creates_each_notice_once(city, year):
    for status in (SheetStatus.DEPT_REVIEW, SheetStatus.FINANCE_REVIEW, SheetStatus.OFFICE_REVIEW):
        sheet_at(city, status)
    first, second = run_on(D(2025, 10, 9), D(2025, 10, 9))
    assert first["notices"] == Notice.objects.count() == 3
    assert second["notices"] == 0 and second["reminded"] == 0


def test_inactive_users_are_not_reminded(city, year):
    gone = f.UserFactory(organization=city.dept_a, role=Role.DEPT_REVIEWER, is_active=False)
    sheet_at(city, SheetStatus.DEPT_REVIEW)
    run_on(D(2025, 10, 9))
    assert titles(gone) == [] and len(titles(city.reviewer)) == 1


def _queries(source, day):
    with CaptureQueriesContext(connection) as ctx:
        deadlines = source(day)
        for d in deadlines:
            list(d.recipients)
    return len(ctx.captured_queries), len(deadlines)


def test_the_sources_cost_the_same_queries_for_few_and_many_sheets(city, year):
    def add(n, status, unit):
        for _ in range(n):
            sheet_at(city, status, unit=unit)

    add(1, SheetStatus.DEPT_REVIEW, city.unit_a1)
    add(1, SheetStatus.EXPERT_REVIEW, city.unit_a1)
    add(1, SheetStatus.RETURNED, city.unit_a1)
    few_review, n1 = _queries(target_review_deadlines, D(2025, 10, 9))
    few_submission, m1 = _queries(target_submission_deadlines, D(2025, 10, 9))
    for unit in (city.unit_a2, city.unit_b1):
        add(3, SheetStatus.DEPT_REVIEW, unit)
        add(2, SheetStatus.FINANCE_REVIEW, unit)
        add(2, SheetStatus.EXPERT_REVIEW, unit)
        add(3, SheetStatus.RETURNED, unit)
        add(2, SheetStatus.DRAFT, unit)
    many_review, n2 = _queries(target_review_deadlines, D(2025, 10, 9))
    many_submission, m2 = _queries(target_submission_deadlines, D(2025, 10, 9))
    assert (n1, m1, n2, m2) == (2, 1, 16, 11)
    # review: sheets, memberships, pending experts, calendar exceptions, complete years
    assert few_review == many_review == 5
    # submission: sheets, projects without a sheet, memberships, calendar exceptions, complete years
    assert few_submission == many_submission == 5


def test_django_start_up_registers_both_target_sources():
    names = deadline_sources()
    assert "targets.reminders.target_submission_deadlines" in names
    assert "targets.reminders.target_review_deadlines" in names

"""The daily deadline reminders (DESIGN §2.7): due in 7/3/1 days and overdue, to the people who
must act, each notice once however often the task runs."""

import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from notifications import reminders
from notifications.hub import Message
from notifications.models import Notice
from notifications.reminders import Deadline, DeadlineKind, bucket_for, register_deadline_source, send_reminders
from notifications.tasks import send_deadline_reminders
from projects.choices import PreAssessmentMode, PreAssessmentStatus
from projects.models import PreAssessment
from projects.reminders import preassessment_deadlines

from . import factories as f

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Arrived at the review step on 2025-09-30; 7 working days later (国庆 + 调休 Saturday) is 10-16.
ARRIVED = datetime.datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
DUE = D(2025, 10, 16)


def at_step(project, status=PreAssessmentStatus.DEPT_REVIEW, arrived=ARRIVED, **fields):
    pa = f.PreAssessmentFactory(project=project, dimensions=True, **fields)
    PreAssessment.objects.filter(pk=pa.pk).update(status=status, state_changed_at=arrived)
    pa.refresh_from_db()
    return pa


def notices_of(user):
    return list(Notice.objects.filter(recipient=user).order_by("id"))


def run_on(day):
    return send_deadline_reminders(today=day)


def test_buckets_count_calendar_days_to_the_due_date():
    assert [bucket_for(DUE, DUE - datetime.timedelta(days=n)) for n in (8, 7, 5, 3, 2, 1, 0, -1)] == [
        None,
        "7",
        "7",
        "3",
        "3",
        "1",
        "1",
        "overdue",
    ]


def test_department_review_due_in_7_3_1_days_notifies_its_reviewer_once_each(city, project):
    pa = at_step(project)
    for day in (D(2025, 10, 9), D(2025, 10, 9), D(2025, 10, 10), D(2025, 10, 13), D(2025, 10, 15), D(2025, 10, 15)):
        run_on(day)
    got = notices_of(city.reviewer)
    assert [n.title for n in got] == [
        f"事前绩效评估待审核：{project.name}：还剩7天",
        f"事前绩效评估待审核：{project.name}：还剩3天",
        f"事前绩效评估待审核：{project.name}：还剩1天",
    ]
    assert {n.message for n in got} == {Message.DUE_SOON}
    assert got[0].dedupe_key == f"review:projects.preassessment:{pa.pk}:2025-10-16:7"
    assert got[0].url == pa.get_absolute_url()
    assert "审核期限：2025年10月16日" in got[0].body
    # Nobody else acts on a department review.
    for other in (city.other_reviewer, city.clerk, city.clerk_a2, city.finance, city.office, city.auditor):
        assert notices_of(other) == []


def test_nothing_is_said_before_the_last_seven_days(city, project):
    at_step(project)
    summary = run_on(D(2025, 10, 8))
    assert summary["deadlines"] == 1 and summary["notices"] == 0
    assert not Notice.objects.exists()


def test_overdue_is_notified_once_per_object_and_due_date(city, project):
    pa = at_step(project)
    first = run_on(D(2025, 10, 17))
    again = run_on(D(2025, 10, 20))
    assert first["overdue"] == 1 and again["notices"] == 0
    (notice,) = notices_of(city.reviewer)
    assert notice.message == Message.OVERDUE and notice.title.endswith("已逾期1天")
    assert notice.dedupe_key == f"review:projects.preassessment:{pa.pk}:2025-10-16:overdue"


def test_running_the_task_twice_creates_each_notice_once(city, project):
    at_step(project)
    at_step(f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2), status=PreAssessmentStatus.FINANCE_REVIEW)
    first = run_on(D(2025, 10, 9))
    count = Notice.objects.count()
    second = run_on(D(2025, 10, 9))
    assert first["notices"] == count == 2  # the department reviewer, the performance office
    assert second["notices"] == 0 and second["reminded"] == 0 and second["deadlines"] == 2
    assert Notice.objects.count() == count


def test_finance_review_is_due_from_the_performance_office(city, project):
    at_step(project, status=PreAssessmentStatus.FINANCE_REVIEW)
    run_on(D(2025, 10, 13))
    assert [n.title for n in notices_of(city.office)] == [f"事前绩效评估待审核：{project.name}：还剩3天"]
    assert notices_of(city.reviewer) == [] and notices_of(city.finance) == []


def test_a_returned_assessment_is_due_back_from_its_own_units_clerks(city, project):
    pa = at_step(project, status=PreAssessmentStatus.RETURNED)
    run_on(D(2025, 10, 15))
    (notice,) = notices_of(city.clerk)
    assert notice.title == f"事前绩效评估退回修改：{project.name}：还剩1天"
    assert notice.dedupe_key == f"submission:projects.preassessment:{pa.pk}:2025-10-16:1"
    assert "报送期限" in notice.body
    assert notices_of(city.clerk_a2) == [] and notices_of(city.reviewer) == []


def test_a_returned_commissioned_assessment_is_due_back_from_the_agency_or_experts(city, project):
    at_step(project, status=PreAssessmentStatus.RETURNED, mode=PreAssessmentMode.AGENCY, agency=city.agency)
    expert_project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2)
    by_experts = at_step(expert_project, status=PreAssessmentStatus.RETURNED, mode=PreAssessmentMode.EXPERTS)
    by_experts.experts.add(city.expert)
    run_on(D(2025, 10, 9))
    assert [n.title for n in notices_of(city.evaluator)] == [f"事前绩效评估退回修改：{project.name}：还剩7天"]
    assert [n.title for n in notices_of(city.expert_user)] == [f"事前绩效评估退回修改：{expert_project.name}：还剩7天"]
    assert notices_of(city.clerk) == [] and notices_of(city.clerk_a2) == []


def test_a_resubmission_starts_a_new_series_of_reminders(city, project):
    pa = at_step(project)
    run_on(D(2025, 10, 17))  # overdue
    PreAssessment.objects.filter(pk=pa.pk).update(state_changed_at=datetime.datetime(2025, 11, 3, 9, tzinfo=SHANGHAI))
    run_on(D(2025, 11, 5))  # due 11-12: 7 days left
    assert [n.message for n in notices_of(city.reviewer)] == [Message.OVERDUE, Message.DUE_SOON]


def test_review_days_are_the_fiscal_years_rule(city, project):
    city.year.preassessment_review_days = 3
    city.year.save()
    at_step(project)  # 3 working days after 09-30: 10-09, 10-10, 10-11 (调休)
    assert preassessment_deadlines(D(2025, 10, 1))[0].due_date == D(2025, 10, 11)


def test_arrival_is_counted_as_a_shanghai_date(city, project):
    # 17:00 UTC on 10-09 is already 01:00 on 10-10 in Shanghai: 7 working days from 10-10 is 10-20.
    at_step(project, arrived=datetime.datetime(2025, 10, 9, 17, 0, tzinfo=datetime.UTC))
    assert preassessment_deadlines(D(2025, 10, 10))[0].due_date == D(2025, 10, 20)


def test_a_deadline_in_a_year_without_holiday_data_carries_the_warning(city, project):
    at_step(project, arrived=datetime.datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    (deadline,) = preassessment_deadlines(D(2027, 3, 5))
    assert deadline.due_date == D(2027, 3, 10)
    run_on(D(2027, 3, 5))
    (notice,) = notices_of(city.reviewer)
    assert "2027年的法定节假日尚未录入" in notice.body


def test_closed_and_draft_assessments_have_no_deadline(city, project):
    at_step(project, status=PreAssessmentStatus.CONCLUDED)
    at_step(f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a2), status=PreAssessmentStatus.DRAFT)
    assert preassessment_deadlines(D(2025, 10, 15)) == []


def test_inactive_reviewers_and_other_roles_of_the_department_are_not_reminded(city, project):
    gone = f.UserFactory(organization=city.dept_a, role=Role.DEPT_REVIEWER, is_active=False)
    clerk_at_dept = f.UserFactory(organization=city.dept_a, role=Role.UNIT_STAFF)
    at_step(project)
    run_on(D(2025, 10, 9))
    assert notices_of(gone) == [] and notices_of(clerk_at_dept) == []
    assert len(notices_of(city.reviewer)) == 1


def _source_queries(day):
    with CaptureQueriesContext(connection) as ctx:
        deadlines = preassessment_deadlines(day)
        for d in deadlines:
            list(d.recipients)
    return len(ctx.captured_queries), deadlines


def test_the_source_costs_the_same_queries_for_2_and_12_assessments(city):
    def add(n, status):
        for _ in range(n):
            at_step(f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1), status=status)

    add(1, PreAssessmentStatus.DEPT_REVIEW)
    add(1, PreAssessmentStatus.FINANCE_REVIEW)
    few, deadlines = _source_queries(D(2025, 10, 9))
    assert len(deadlines) == 2
    add(5, PreAssessmentStatus.DEPT_REVIEW)
    add(5, PreAssessmentStatus.RETURNED)
    many, deadlines = _source_queries(D(2025, 10, 9))
    assert len(deadlines) == 12
    # candidates, role memberships, calendar exceptions, complete years (+ URL reversing: none)
    assert few == many == 4


def test_a_second_run_with_nothing_new_only_reads(city, project):
    at_step(project)
    run_on(D(2025, 10, 9))
    with CaptureQueriesContext(connection) as ctx:
        run_on(D(2025, 10, 9))
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in ctx.captured_queries)


def test_one_failing_source_does_not_silence_the_others(city, project, monkeypatch):
    monkeypatch.setattr(reminders, "_sources", dict(reminders._sources))

    @register_deadline_source
    def broken(today):
        raise RuntimeError("a stage is broken")

    at_step(project)
    summary = run_on(D(2025, 10, 9))
    assert summary["failed_sources"] == 1 and summary["notices"] == 1


def test_sources_register_once_and_any_stage_can_add_one(city, monkeypatch):
    monkeypatch.setattr(reminders, "_sources", {})
    target = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_b1)

    def rectification_deadlines(today):
        return [
            Deadline(
                obj=target,
                due_date=today - datetime.timedelta(days=2),
                recipients=[city.other_clerk],
                title="整改报告",
                url=target.get_absolute_url(),
                kind=DeadlineKind.RECTIFICATION,
            )
        ]

    register_deadline_source(rectification_deadlines)
    register_deadline_source(rectification_deadlines)
    assert len(reminders.deadline_sources()) == 1
    summary = send_reminders(D(2026, 5, 6))
    assert summary == {
        "sources": 1,
        "failed_sources": 0,
        "deadlines": 1,
        "reminded": 1,
        "due_soon": 0,
        "overdue": 1,
        "notices": 1,
    }
    (notice,) = notices_of(city.other_clerk)
    assert notice.dedupe_key == f"rectification:projects.project:{target.pk}:2026-05-04:overdue"
    assert notice.title == "整改报告：已逾期2天" and "整改期限：2026年5月4日" in notice.body


def test_the_task_takes_an_iso_date_and_defaults_to_today_in_shanghai(city, project):
    at_step(project)
    assert run_on("2025-10-09")["notices"] == 1
    summary = send_deadline_reminders()
    assert summary["deadlines"] == 1
    assert summary["overdue"] == (bucket_for(DUE, timezone.localdate()) == "overdue")


def test_reminders_are_emailed_through_the_task(
    city, project, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        at_step(project)
        with django_capture_on_commit_callbacks(execute=True):
            run_on(D(2025, 10, 15))
    finally:
        app.conf.task_always_eager = eager
    (mail,) = mailoutbox
    assert mail.to == [city.reviewer.email]
    assert mail.subject == f"【绩效通】事前绩效评估待审核：{project.name}：还剩1天"
    assert Notice.objects.get(recipient=city.reviewer).emailed_at is not None


def test_django_start_up_registers_the_pre_assessment_source():
    # In a fresh process (as in the worker), nothing but app loading imports projects.reminders.
    import subprocess
    import sys

    from django.conf import settings

    code = "from notifications.reminders import deadline_sources; print(sorted(deadline_sources()))"
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "projects.reminders.preassessment_deadlines" in out

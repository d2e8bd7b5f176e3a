"""Monitoring deadlines (issue 4, deliverable 8) in Chinese working days from the calendar table:
across the 2026 National Day holiday (Oct 1–7) and its 调休 Saturday (Oct 10 is a working day);
registered with the daily reminder task, which sends each reminder once; and “我的待办”."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring import services
from monitoring.choices import RectificationStatus, ReportStatus
from monitoring.models import MonitoringReport, Rectification
from monitoring.reminders import monitoring_report_deadlines, rectification_deadlines
from notifications.models import Notice
from notifications.reminders import send_reminders
from projects.calendar import add_working_days
from workflow.inbox import inbox_for
from workflow.services import perform_transition

from . import factories as f

D = datetime.date


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.fixture
def report(city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, name="校舍改造工程")
    return f.open_q3(city, project).reports.get()


def arrive(report, status, day):
    MonitoringReport.objects.filter(pk=report.pk).update(status=status, state_changed_at=at(day))
    report.refresh_from_db()
    return report


OCTOBER_1 = D(2026, 10, 1)


def deadline_of(source, obj, today=OCTOBER_1):
    return next(d for d in source(today) if d.obj == obj)


def test_the_calendar_knows_the_2026_national_day_and_its_make_up_saturday(city):
    assert add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)  # Oct 1–7 off
    assert add_working_days(D(2026, 10, 9), 1).date == D(2026, 10, 10)  # 调休: Saturday worked


def test_finance_review_is_due_seven_working_days_after_arrival_across_national_day(city, report):
    # Arrived on Wed Sep 30: Oct 8, 9, 10 (Sat, 调休), 12, 13, 14, 15 → Thu Oct 15.
    # Counting Mon–Fri only would say Oct 9; ignoring the 调休 Saturday would say Oct 16.
    arrive(report, ReportStatus.FINANCE_REVIEW, D(2026, 9, 30))
    deadline = deadline_of(monitoring_report_deadlines, report)
    assert deadline.due_date == D(2026, 10, 15) and deadline.warning == ""
    assert deadline.recipients == [city.finance] and deadline.title == "绩效监控待审核：校舍改造工程（第三季度）"


def test_a_report_being_filled_is_due_fifteen_days_after_the_quarter(city, report):
    deadline = deadline_of(monitoring_report_deadlines, report)
    assert deadline.due_date == D(2026, 10, 15) and deadline.recipients == [city.clerk]


def test_a_late_return_leaves_the_unit_seven_working_days(city, report):
    arrive(report, ReportStatus.RETURNED, D(2026, 10, 14))
    assert deadline_of(monitoring_report_deadlines, report).due_date == D(2026, 10, 23)
    arrive(report, ReportStatus.RETURNED, D(2026, 9, 29))  # early: the round's due date holds
    assert deadline_of(monitoring_report_deadlines, report).due_date == D(2026, 10, 15)


def test_department_review_goes_to_the_departments_reviewers_within_the_round(city, report):
    arrive(report, ReportStatus.DEPT_REVIEW, D(2026, 10, 9))
    deadline = deadline_of(monitoring_report_deadlines, report)
    assert deadline.recipients == [city.reviewer] and deadline.due_date == D(2026, 10, 15)
    arrive(report, ReportStatus.DEPT_REVIEW, D(2026, 10, 16))  # after the round's due date
    assert deadline_of(monitoring_report_deadlines, report).due_date == D(2026, 10, 27)


def rectification_issued_on(city, report, day, monkeypatch) -> Rectification:
    monkeypatch.setattr(services, "_today", lambda: day)
    services.save_report(report, city.clerk, f.filled(report))
    report.refresh_from_db()
    for action, user, opinion in (
        ("submit", city.clerk, ""),
        ("approve", city.reviewer, ""),
        ("rectify", city.finance, "资金支付进度偏慢"),
    ):
        perform_transition(report, action, user, opinion)
    return Rectification.objects.get()


def test_a_rectification_is_due_seven_working_days_later_counting_the_make_up_saturday(city, report, monkeypatch):
    # Issued Fri Oct 9: Oct 10 (Sat, 调休), 12, 13, 14, 15, 16, 19 → Mon Oct 19.
    rectification = rectification_issued_on(city, report, D(2026, 10, 9), monkeypatch)
    assert rectification.due_date == D(2026, 10, 19) and rectification.due_rule == "7个工作日"
    deadline = deadline_of(rectification_deadlines, rectification)
    assert set(deadline.recipients) == {city.clerk, city.reviewer} and deadline.kind == "rectification"


def test_a_rectification_issued_before_national_day_skips_the_holiday(city, report, monkeypatch):
    # Issued Tue Sep 29: Sep 30, Oct 8, 9, 10 (Sat, 调休), 12, 13, 14 → Wed Oct 14.
    assert rectification_issued_on(city, report, D(2026, 9, 29), monkeypatch).due_date == D(2026, 10, 14)


def test_sending_a_rectification_back_gives_the_time_again(city, report, monkeypatch):
    rectification = rectification_issued_on(city, report, D(2026, 10, 9), monkeypatch)
    rectification = services.answer_rectification(rectification, city.clerk, measures="加快支付", outcome="已支付")
    perform_transition(rectification, "submit", city.clerk)
    monkeypatch.setattr(services, "_today", lambda: D(2026, 10, 20))
    rectification.refresh_from_db()
    perform_transition(rectification, "send_back", city.finance, "佐证材料不足")
    rectification.refresh_from_db()
    assert rectification.status == RectificationStatus.SENT_BACK and rectification.due_date == D(2026, 10, 29)


def test_a_year_without_holidays_is_flagged_not_guessed(city, report, monkeypatch):
    from projects.models import CalendarYear

    CalendarYear.objects.filter(year=2026).update(complete=False)
    rectification = rectification_issued_on(city, report, D(2026, 10, 9), monkeypatch)
    assert "2026年的法定节假日尚未录入工作日历" in rectification.due_warning


def test_the_daily_run_reminds_each_deadline_once(city, report):
    arrive(report, ReportStatus.FINANCE_REVIEW, D(2026, 9, 30))
    first = send_reminders(D(2026, 10, 13))  # 2 days left: the "3" reminder
    second = send_reminders(D(2026, 10, 13))
    notice = Notice.objects.get(recipient=city.finance)
    assert notice.title == "绩效监控待审核：校舍改造工程（第三季度）：还剩2天"
    assert first["notices"] >= 1 and second["notices"] == 0
    send_reminders(D(2026, 10, 16))
    assert Notice.objects.filter(recipient=city.finance, title__contains="已逾期1天").exists()


def test_the_sources_cost_a_fixed_number_of_queries(city):
    def queries(n):
        projects = [f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1) for _ in range(n)]
        if n == 2:
            f.open_q3(city, *projects)
        else:
            for project in projects:
                f.approved_sheet(project)
            services.create_reports(MonitoringReport.objects.first().round)
        MonitoringReport.objects.filter(pk__in=MonitoringReport.objects.order_by("pk").values("pk")[:1]).update(
            status=ReportStatus.FINANCE_REVIEW
        )
        with CaptureQueriesContext(connection) as captured:
            monitoring_report_deadlines(D(2026, 10, 1))
            rectification_deadlines(D(2026, 10, 1))
        return len(captured)

    assert queries(2) == queries(20)


def test_inbox_counts_for_each_role(city, report):
    def items(user):
        return {item.label: item.count for item in inbox_for(user)}

    assert items(city.clerk)["绩效监控表待填报"] == 1
    assert "绩效监控表待审核" not in items(city.reviewer)
    services.save_report(report, city.clerk, f.filled(report))
    report.refresh_from_db()
    perform_transition(report, "submit", city.clerk)
    assert items(city.reviewer)["绩效监控表待审核"] == 1 and "绩效监控表待填报" not in items(city.clerk)
    assert "绩效监控表待审核" not in items(city.other_reviewer)
    perform_transition(report, "approve", city.reviewer)
    perform_transition(report, "rectify", city.finance, "进度滞后")
    assert items(city.clerk)["整改待报送"] == 1 and items(city.reviewer)["整改待报送"] == 1
    rectification = services.answer_rectification(
        Rectification.objects.get(), city.clerk, measures="措施", outcome="情况"
    )
    perform_transition(rectification, "submit", city.clerk)
    assert items(city.finance)["整改待确认"] == 1 and "整改待确认" not in items(city.office)


def test_opening_a_round_tells_each_units_clerks_once(city, django_capture_on_commit_callbacks, settings):
    from monitoring.tasks import notify_round_opened

    settings.CELERY_TASK_ALWAYS_EAGER = True
    projects = [
        f.ProjectFactory(fiscal_year=city.year, unit=unit) for unit in (city.unit_a1, city.unit_a1, city.unit_b1)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_round = f.open_q3(city, *projects)
    (notice,) = Notice.objects.filter(recipient=city.clerk)
    assert notice.title == "2026年第三季度绩效监控：本单位有 2 张绩效监控表待填报"
    assert notice.url == f"/monitoring/reports/?round={monitoring_round.pk}"
    assert "2026年10月15日 前填报" in notice.body
    assert Notice.objects.filter(recipient=city.other_clerk, title__contains="有 1 张").count() == 1
    assert not Notice.objects.filter(recipient__in=[city.clerk_a2, city.reviewer]).exists()  # no reports of theirs
    assert notify_round_opened(monitoring_round.pk) == 0  # a second run sends nothing

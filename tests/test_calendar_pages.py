"""Fiscal-year rules and the working-day calendar pages: the performance office edits (audited,
before/after), everyone else reads, anonymous is sent to log in."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import CalendarDay, CalendarYear, FiscalYear
from workflow.errors import TransitionForbidden
from workflow.models import AuditEvent

from . import factories as f
from .test_preassessment_pages import page_text
from .test_project_pages import ROLES, assert_answer, get

READ_EXPECTED = dict.fromkeys(ROLES, 200) | {"anonymous": "login"}
EDIT_EXPECTED = dict.fromkeys(ROLES, 403) | {"office": 200, "anonymous": "login"}


def client_of(client_for, city, role):
    return client_for(None if role == "anonymous" else city.users()[role])


# --- fiscal years -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_fiscal_year_list(client_for, city, role):
    response = get(client_for, city, role, reverse("projects:fiscalyear_list"))
    assert_answer(response, READ_EXPECTED[role])
    if response.status_code == 200:
        text = page_text(response)
        assert "2026年度" in text and "500.00" in text  # the threshold in 万元
        assert ("修改规则" in text) == (role == "office")


@pytest.mark.parametrize("role", ROLES)
def test_fiscal_year_edit(client_for, city, role):
    response = get(client_for, city, role, city.year.get_absolute_url())
    assert_answer(response, EDIT_EXPECTED[role])
    if response.status_code == 403:
        assert "预算年度规则由财政绩效管理科维护" in page_text(response)


def test_a_missing_year_is_404(client_for, city):
    assert client_for(city.office).get(reverse("projects:fiscalyear_edit", args=[9999])).status_code == 404


def _year_form_data(year: FiscalYear, **overrides) -> dict:
    data = {}
    for name in services.FISCAL_YEAR_RULE_FIELDS:
        value = getattr(year, name)
        data[name] = "" if value is None else str(value)
    data.update(overrides)
    return data


def test_office_changes_a_rule_and_the_audit_keeps_before_and_after(client_for, city):
    data = _year_form_data(city.year, preassessment_threshold="3000000", project_submission_deadline="2026-03-31")
    data["is_current"] = "on"
    response = client_for(city.office).post(city.year.get_absolute_url(), data, follow=True)
    assert "已保存2026年度的规则" in page_text(response)
    city.year.refresh_from_db()
    assert city.year.preassessment_threshold == Decimal("3000000")
    assert city.year.project_submission_deadline == datetime.date(2026, 3, 31)
    event = AuditEvent.objects.filter(kind="update", object_type="projects.fiscalyear").latest("id")
    assert event.before["preassessment_threshold"] == "5000000.00"
    assert event.after["preassessment_threshold"] == "3000000.00"


def test_the_threshold_rule_changes_what_needs_a_preassessment(client_for, city):
    project = f.ProjectFactory(fiscal_year=city.year, unit=city.unit_a1, is_new=True, budget_amount=Decimal("4000000"))
    assert "按2026年度规则，本项目无需开展" in page_text(client_for(city.clerk).get(project.get_absolute_url()))
    data = _year_form_data(city.year, preassessment_threshold="3000000")
    client_for(city.office).post(city.year.get_absolute_url(), data)
    assert "须开展" in page_text(client_for(city.clerk).get(project.get_absolute_url()))


def test_bad_rule_input_is_a_form_error(client_for, city):
    data = _year_form_data(city.year, weight_output="-5", preassessment_threshold="很多")
    response = client_for(city.office).post(city.year.get_absolute_url(), data)
    assert response.status_code == 200
    text = page_text(response)
    assert "输入一个数字" in text and "大于或等于0" in text
    city.year.refresh_from_db()
    assert city.year.weight_output == 50


def test_making_another_year_current_moves_the_flag(client_for, city):
    office = client_for(city.office)
    response = office.post(reverse("projects:fiscalyear_list"), {"year": "2027"}, follow=True)
    assert "已新增2027年度" in page_text(response)
    new_year = FiscalYear.objects.get(year=2027)
    assert new_year.preassessment_threshold == Decimal("5000000") and not new_year.is_current
    office.post(new_year.get_absolute_url(), _year_form_data(new_year) | {"is_current": "on"})
    assert list(FiscalYear.objects.filter(is_current=True).values_list("year", flat=True)) == [2027]
    response = office.post(reverse("projects:fiscalyear_list"), {"year": "2027"})
    assert "2027年度已存在" in page_text(response)


def test_only_the_office_creates_a_year(client_for, city):
    response = client_for(city.finance).post(reverse("projects:fiscalyear_list"), {"year": "2027"})
    assert response.status_code == 403
    assert not FiscalYear.objects.filter(year=2027).exists()
    with pytest.raises(TransitionForbidden):
        services.update_fiscal_year(city.year, city.finance, {"weight_output": 40})


# --- calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_calendar_page(client_for, city, role):
    response = get(client_for, city, role, reverse("projects:calendar") + "?year=2025")
    assert_answer(response, READ_EXPECTED[role])
    if response.status_code == 200:
        text = page_text(response)
        assert "2025-10-01" in text and "国庆节" in text  # seeded from chinese-calendar
        assert ("从 chinese-calendar 同步" in text) == (role == "office")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url_name, data",
    [
        ("projects:calendar_day", {"date": "2027-10-01", "is_workday": "0", "name": "国庆节"}),
        ("projects:calendar_year", {"year": "2027", "complete": "1"}),
        ("projects:calendar_sync", {}),
    ],
)
def test_calendar_writes(client_for, city, role, url_name, data):
    response = client_of(client_for, city, role).post(reverse(url_name), data)
    if role == "office":
        assert response.status_code == 302
    elif role == "anonymous":
        assert_answer(response, "login")
    else:
        assert response.status_code == 403 and "工作日历由财政绩效管理科维护" in page_text(response)
    if url_name == "projects:calendar_day":
        assert CalendarDay.objects.filter(date="2027-10-01").exists() == (role == "office")
    if url_name == "projects:calendar_year":
        assert CalendarYear.objects.filter(year=2027, complete=True).exists() == (role == "office")


def test_a_year_without_holidays_warns_until_it_is_entered(client_for, city):
    today = timezone.localdate()
    CalendarYear.objects.filter(year__gte=today.year).delete()
    text = page_text(client_for(city.clerk).get(reverse("projects:calendar")))
    assert f"{today.year}年未录入法定节假日" in text and f"{today.year + 1}年未录入法定节假日" in text
    services.mark_calendar_year_complete(city.office, today.year + 1)
    text = page_text(client_for(city.clerk).get(reverse("projects:calendar")))
    assert f"{today.year + 1}年未录入法定节假日" not in text


def test_office_enters_a_holiday_and_a_make_up_day_and_the_calculator_uses_them(client_for, city):
    office = client_for(city.office)
    calc = {"start": "2027-09-30", "days": "3"}
    text = page_text(office.get(reverse("projects:calendar"), calc))
    assert "2027-10-05" in text and "2027年的法定节假日尚未录入" in text  # Mon–Fri only: 10-01, 10-04, 10-05
    office.post(reverse("projects:calendar_day"), {"date": "2027-10-01", "is_workday": "0", "name": "国庆节"})
    office.post(reverse("projects:calendar_day"), {"date": "2027-10-04", "is_workday": "0", "name": "国庆节"})
    office.post(reverse("projects:calendar_day"), {"date": "2027-10-09", "is_workday": "1", "name": "国庆节调休上班"})
    office.post(reverse("projects:calendar_year"), {"year": "2027", "complete": "1"})
    text = page_text(office.get(reverse("projects:calendar"), calc))
    assert "第 3 个工作日是 2027-10-07" in text and "2027年的法定节假日尚未录入" not in text  # 10-05, 10-06, 10-07
    assert AuditEvent.objects.filter(object_type="projects.calendarday", kind="create").count() == 3
    # Setting a day back to the Monday–Friday rule removes the exception.
    response = office.post(reverse("projects:calendar_day"), {"date": "2027-10-04", "is_workday": "1"}, follow=True)
    assert "按常规作息" in page_text(response)
    assert not CalendarDay.objects.filter(date="2027-10-04").exists()
    assert AuditEvent.objects.filter(object_type="projects.calendarday", kind="delete").count() == 1


def test_the_calculator_answers_the_national_day_example(client_for, city):
    text = page_text(client_for(city.auditor).get(reverse("projects:calendar"), {"start": "2025-09-30", "days": "7"}))
    assert "第 7 个工作日是 2025-10-16" in text


def test_bad_calendar_input_is_a_form_error(client_for, city):
    office = client_for(city.office)
    response = office.post(reverse("projects:calendar_day"), {"date": "2027-02-30", "is_workday": "0"})
    assert response.status_code == 200 and "有效的日期" in page_text(response)
    response = office.get(reverse("projects:calendar"), {"start": "昨天", "days": "-1"})
    assert response.status_code == 200 and "有效的日期" in page_text(response)
    assert office.get(reverse("projects:calendar"), {"year": "abc"}).status_code == 200


def test_sync_from_chinese_calendar_restores_a_deleted_holiday(client_for, city):
    CalendarDay.objects.filter(date="2025-10-01").delete()
    response = client_for(city.office).post(reverse("projects:calendar_sync"), follow=True)
    assert "已从 chinese-calendar 同步" in page_text(response)
    assert CalendarDay.objects.get(date="2025-10-01").is_workday is False
    assert AuditEvent.objects.filter(kind="import", object_type="projects.calendarday").exists()

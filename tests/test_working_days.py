"""Chinese working days from the calendar table (DESIGN §2.4): holidays, 调休 make-up days, and
years without holiday data that warn instead of failing."""

import datetime

import pytest

from projects.calendar import WorkingCalendar, add_working_days, is_workday, working_days_between

D = datetime.date

pytestmark = pytest.mark.django_db


def test_seven_working_days_after_national_day_eve_count_the_make_up_saturday():
    # 10-01..10-08 are 国庆/中秋 holidays; Saturday 10-11 is a 调休 working day:
    # 10-09, 10-10, 10-11, 10-13, 10-14, 10-15, 10-16.
    result = add_working_days(D(2025, 9, 30), 7)
    assert result.date == D(2025, 10, 16)
    assert result.missing_years == () and result.warning == ""
    assert is_workday(D(2025, 10, 11)) and not is_workday(D(2025, 10, 3))


def test_spring_festival_2024_and_its_make_up_sunday():
    # 02-10..02-17 are holidays; Sunday 02-18 is a 调休 working day.
    assert add_working_days(D(2024, 2, 7), 5).date == D(2024, 2, 20)  # 8, 9, 18, 19, 20
    assert is_workday(D(2024, 2, 18)) and not is_workday(D(2024, 2, 14))


def test_a_year_without_holiday_data_counts_monday_to_friday_and_warns():
    result = add_working_days(D(2027, 3, 1), 5)  # Monday; 2027 has no entered holidays
    assert result.date == D(2027, 3, 8)
    assert result.missing_years == (2027,)
    assert "2027" in result.warning and "补录" in result.warning


def test_a_deadline_running_into_an_unknown_year_warns_about_that_year_only():
    result = add_working_days(D(2026, 12, 28), 5)
    assert result.missing_years == (2027,)
    assert "2026" not in result.warning


def test_zero_days_is_the_start_and_negative_is_refused():
    assert add_working_days(D(2025, 10, 3), 0).date == D(2025, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(D(2025, 10, 3), -1)


def test_working_days_between_counts_after_start_up_to_end():
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 16)) == 7
    assert working_days_between(D(2025, 10, 16), D(2025, 9, 30)) == -7
    assert working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0  # the whole holiday
    assert working_days_between(D(2025, 10, 16), D(2025, 10, 16)) == 0


@pytest.mark.parametrize(
    "start, days",
    [(D(2025, 9, 30), 7), (D(2024, 2, 7), 5), (D(2025, 12, 25), 10), (D(2026, 12, 28), 5), (D(2025, 1, 20), 60)],
)
def test_the_loaded_calendar_answers_exactly_like_the_module_functions(start, days):
    calendar = WorkingCalendar.load(D(2024, 1, 1), D(2024, 1, 31))  # deliberately elsewhere: it loads more
    assert calendar.add_working_days(start, days) == add_working_days(start, days)
    end = add_working_days(start, days).date
    assert calendar.working_days_between(start, end) == working_days_between(start, end) == days
    assert calendar.working_days_between(end, start) == -days


def test_the_loaded_calendar_costs_two_queries_for_any_number_of_deadlines(django_assert_num_queries):
    with django_assert_num_queries(2):  # the exceptions in the range, the complete years
        calendar = WorkingCalendar.load(D(2025, 1, 1), D(2025, 12, 31))
    with django_assert_num_queries(0):
        dates = [calendar.add_working_days(D(2025, 9, 1) + datetime.timedelta(days=i), 7).date for i in range(30)]
    assert dates[29] == D(2025, 10, 16)  # 09-30 + 7

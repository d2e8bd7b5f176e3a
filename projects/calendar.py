"""Chinese working days, from the system's own calendar table (DESIGN §2.4).

A day is a working day when it is Monday–Friday and not a holiday, or when it is a 调休
weekend day entered as a working day. Years without entered holiday data are not guessed
silently: ``add_working_days`` still counts Monday–Friday there and reports the year in
``WorkingDayResult.missing_years`` so callers show a warning.
"""

import datetime
from dataclasses import dataclass, field

from .models import CalendarDay, CalendarYear


@dataclass(frozen=True)
class WorkingDayResult:
    date: datetime.date
    missing_years: tuple[int, ...] = field(default=())

    @property
    def warning(self) -> str:
        if not self.missing_years:
            return ""
        years = "、".join(str(y) for y in self.missing_years)
        return f"{years}年的法定节假日尚未录入工作日历，期限按周一至周五估算，请绩效管理科补录。"


def _exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def _known_years(years: set[int]) -> set[int]:
    return set(CalendarYear.objects.filter(year__in=years, complete=True).values_list("year", flat=True))


def add_working_days(start: datetime.date, days: int) -> WorkingDayResult:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    Two queries whatever ``days`` is: the exceptions in a window wide enough to hold the
    answer (holidays never remove more than ~ half of a month's days) and the known years.
    """
    return WorkingCalendar(start, start + _window(days)).add_working_days(start, days)


def is_workday(day: datetime.date) -> bool:
    return WorkingCalendar(day, day).is_workday(day)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    return WorkingCalendar(min(start, end), max(start, end)).working_days_between(start, end)


def _window(days: int) -> datetime.timedelta:
    return datetime.timedelta(days=days * 2 + 30)


def _by_rule(day: datetime.date, exceptions: dict[datetime.date, bool]) -> bool:
    """Monday–Friday, unless the table says otherwise (holiday or 调休 working weekend)."""
    return exceptions.get(day, day.weekday() < 5)


def seed_from_chinese_calendar(first_year: int, last_year: int, day_model=CalendarDay, year_model=CalendarYear) -> int:
    """Fill the table from the `chinese-calendar` package for the years it knows. Idempotent.

    The models can be passed in so the data migration can use its historical ones.
    """
    import chinese_calendar

    created = 0
    for year in range(first_year, last_year + 1):
        day = datetime.date(year, 1, 1)
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            continue  # the package has no data for this year
        while day.year == year:
            workday = chinese_calendar.is_workday(day)
            if workday != (day.weekday() < 5):
                on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
                name = _HOLIDAY_NAMES.get(holiday_name, holiday_name or "")
                name = f"{name}调休上班" if workday else name
                _, was_created = day_model.objects.update_or_create(
                    date=day, defaults={"is_workday": workday, "name": name[:60]}
                )
                created += was_created
            day += datetime.timedelta(days=1)
        year_model.objects.update_or_create(
            year=year, defaults={"complete": True, "source": "chinese-calendar"}
        )
    return created


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


class WorkingCalendar:
    """The calendar table for a date range, loaded once, for callers that count many deadlines
    (the daily reminder run): two queries up front instead of two per ``add_working_days`` call.

    Answers exactly what the module functions answer; a date outside the loaded range loads
    that stretch too (two more queries) rather than guessing.
    """

    def __init__(self, start: datetime.date, end: datetime.date):
        self.start, self.end = start, start - datetime.timedelta(days=1)  # empty until covered
        self._exceptions: dict[datetime.date, bool] = {}
        self._known_years: set[int] = set()
        self._cover(start, end)

    @classmethod
    def load(cls, start: datetime.date, end: datetime.date) -> "WorkingCalendar":
        return cls(start, end)

    @classmethod
    def for_deadlines(cls, starts, days: int) -> "WorkingCalendar":
        """The table for every due date ``days`` working days (at most) after one of ``starts`` —
        what a reminder source needs, loaded once (two queries)."""
        starts = list(starts)
        return cls(min(starts), max(starts) + _window(days))

    def _load(self, first: datetime.date, last: datetime.date) -> None:
        if first <= last:
            self._exceptions.update(_exceptions(first, last))
            self._known_years |= _known_years(set(range(first.year, last.year + 1)))

    def _cover(self, first: datetime.date, last: datetime.date) -> None:
        one_day = datetime.timedelta(days=1)
        if first < self.start:
            self._load(first, min(last, self.start - one_day))
            self.start = first
        if last > self.end:
            self._load(max(first, self.end + one_day), last)
            self.end = last

    def is_workday(self, day: datetime.date) -> bool:
        self._cover(day, day)
        return _by_rule(day, self._exceptions)

    def add_working_days(self, start: datetime.date, days: int) -> WorkingDayResult:
        """Same answer as the module's ``add_working_days``, from the loaded table."""
        if days < 0:
            raise ValueError("days must be >= 0")
        self._cover(start, start + _window(days))
        current, counted = start, 0
        while counted < days:
            current += datetime.timedelta(days=1)
            if self.is_workday(current):
                counted += 1
        years = set(range(start.year, current.year + 1))
        return WorkingDayResult(date=current, missing_years=tuple(sorted(years - self._known_years)))

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Same answer as the module's ``working_days_between``, from the loaded table."""
        if end < start:
            return -self.working_days_between(end, start)
        self._cover(start, end)
        span = (end - start).days
        return sum(1 for offset in range(1, span + 1) if self.is_workday(start + datetime.timedelta(days=offset)))

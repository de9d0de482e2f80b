"""Working-day calendar: statutory holidays, adjusted working days (调休) and due dates.

The State Council publishes each year's schedule only in November of the year before, so
the calendar knows exactly the years that have a file under ``config/calendar/``. For any
other year it falls back to Monday–Friday and marks every due date that depended on that
guess as provisional, so that nobody mistakes a guess for a promise made to a citizen.

This module is pure: it takes already-parsed documents (dicts as loaded from the YAML
files) and never reads files, so the web app, the CLI and the tests share one behaviour.
"""

import datetime as dt
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, Self

__all__ = [
    "DueDate",
    "TimeLimit",
    "WorkCalendar",
    "check_calendar_document",
    "missing_calendar_years",
]

_ONE_DAY = dt.timedelta(days=1)
_WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
# The schema already demands this shape; repeating it keeps date.fromisoformat from
# accepting the extra ISO forms it knows (20260230, 2026-W07-1) when a document is checked
# on its own.
_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class DueDate:
    """A computed due date; provisional when it relied on a year without a calendar file."""

    on: dt.date
    provisional: bool


class TimeLimit(Protocol):
    """Anything shaped like a matter's time limit (e.g. the catalog model or a plain object)."""

    @property
    def amount(self) -> int | None: ...

    @property
    def unit(self) -> str: ...


class WorkCalendar:
    """An immutable set of working-day rules built from the yearly calendar documents."""

    __slots__ = ("_holidays", "_adjusted", "_years")

    _holidays: Mapping[dt.date, str]
    _adjusted: frozenset[dt.date]
    _years: frozenset[int]

    def __init__(
        self,
        holidays: Mapping[dt.date, str],
        adjusted_workdays: Iterable[dt.date],
        years: Iterable[int],
    ) -> None:
        """Build a calendar from expanded holiday days, adjusted working days and covered years."""
        adjusted = frozenset(adjusted_workdays)
        clash = adjusted.intersection(holidays)
        if clash:
            raise ValueError(f"both holiday and adjusted workday: {sorted(clash)}")
        object.__setattr__(self, "_holidays", MappingProxyType(dict(holidays)))
        object.__setattr__(self, "_adjusted", adjusted)
        object.__setattr__(self, "_years", frozenset(years))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkCalendar is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("WorkCalendar is immutable")

    def __repr__(self) -> str:
        return f"WorkCalendar(years={sorted(self._years)})"

    @classmethod
    def from_documents(cls, docs: Iterable[Mapping[str, Any]]) -> Self:
        """Build a calendar from schema-valid calendar documents, one per year."""
        holidays: dict[dt.date, str] = {}
        adjusted: set[dt.date] = set()
        years: set[int] = set()
        for doc in docs:
            year = doc["year"]
            if year in years:
                raise ValueError(f"two calendar documents for {year}")
            years.add(year)
            for holiday in doc["holidays"]:
                name = holiday["name"]
                for day in _days(_strict_date(holiday["from"]), _strict_date(holiday["to"])):
                    # 元旦 may start on 30 or 31 December and so appear in two files; the same
                    # day under two different names would mean one of the files is wrong.
                    if holidays.setdefault(day, name) != name:
                        raise ValueError(f"{day} is both {holidays[day]} and {name}")
            adjusted.update(_strict_date(item["date"]) for item in doc["adjusted_workdays"])
        return cls(holidays, adjusted, years)

    @property
    def years(self) -> frozenset[int]:
        """The years that have a calendar document."""
        return self._years

    def is_covered(self, day: dt.date) -> bool:
        """Whether the year of ``day`` has a calendar document."""
        return _plain(day).year in self._years

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; Monday–Friday for years without a document."""
        day = _plain(day)
        # A listed day counts even in an uncovered year: the 2027 notice may well list
        # 2026-12-31 as part of 元旦, and that is better than the Monday–Friday guess.
        if day in self._holidays:
            return False
        if day in self._adjusted:
            return True
        return day.weekday() < 5

    def holiday_name(self, day: dt.date) -> str | None:
        """The name of the holiday ``day`` belongs to, or None if it is not in a holiday."""
        return self._holidays.get(_plain(day))

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1).on

    def add_working_days(self, start: dt.date, n: int) -> DueDate:
        """The ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
        start = _plain(start)
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day, provisional = start, False
        while n:
            day += _ONE_DAY
            provisional = provisional or not self.is_covered(day)
            if self.is_workday(day):
                n -= 1
        return DueDate(day, provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """The number of working days in (start, end]; 0 when ``end`` is not after ``start``."""
        start, end = _plain(start), _plain(end)
        if end <= start:
            return 0
        # Monday–Friday by arithmetic, then the listed days inside the range corrected one by
        # one: a few dozen a year, so a case overdue for years costs no more than one due today.
        days = (end - start).days
        count = days // 7 * 5 + sum(1 for k in range(1, days % 7 + 1)
                                    if (start + dt.timedelta(days=k)).weekday() < 5)
        count -= sum(1 for day in self._holidays if start < day <= end and day.weekday() < 5)
        count += sum(1 for day in self._adjusted
                     if start < day <= end and day.weekday() >= 5 and day not in self._holidays)
        return count

    def due_date(self, start: dt.date, limit: TimeLimit | None) -> DueDate | None:
        """The last day of ``limit`` counted from ``start``, or None when there is no limit."""
        if limit is None:
            return None
        start = _plain(start)
        unit, amount = limit.unit, limit.amount
        if unit == "on_the_spot":
            # 即办: finished at the counter, so no day of the calendar is consulted.
            return DueDate(start, False)
        if unit not in ("working_days", "natural_days", "months"):
            raise ValueError(f"unknown time limit unit: {unit!r}")
        if amount is None or amount < 0:
            raise ValueError(f"a {unit} limit needs a non-negative amount, got {amount!r}")
        if unit == "working_days":
            return self.add_working_days(start, amount)
        if unit == "natural_days":
            end = start + dt.timedelta(days=amount)
        else:
            end = _add_months(start, amount)
        # Periods counted in days or months do not stop for holidays, but one whose last day
        # is a holiday or rest day ends on the next working day instead (民法典第二百零三条;
        # the procedure laws say the same), so a citizen never loses a day to a closed office.
        return self._roll_forward(end)

    def _roll_forward(self, day: dt.date) -> DueDate:
        provisional = not self.is_covered(day)
        while not self.is_workday(day):
            day += _ONE_DAY
            provisional = provisional or not self.is_covered(day)
        return DueDate(day, provisional)


def check_calendar_document(doc: Mapping[str, Any], file_year: int) -> list[tuple[str, str]]:
    """Find the mistakes a schema cannot see in one calendar document, as (pointer, 说明) pairs."""
    problems: list[tuple[str, str]] = []
    year = doc["year"]
    if year != file_year:
        problems.append(("/year", f"年份 {year} 与文件名中的年份 {file_year} 不一致"))
    # A schedule may reach into the neighbouring years (元旦 starting on 31 December), never
    # further; anything beyond that is a typo in the year.
    first, last = dt.date(year - 1, 1, 1), dt.date(year + 1, 12, 31)

    def parse(pointer: str, value: object) -> dt.date | None:
        day = _loose_date(value)
        if day is None:
            problems.append((pointer, f"“{value}”不是有效的日期"))
        elif not first <= day <= last:
            problems.append((pointer, f"日期 {day} 超出了 {year - 1} 年至 {year + 1} 年的范围"))
            return None
        return day

    holiday_days: dict[dt.date, str] = {}
    for i, holiday in enumerate(doc.get("holidays", [])):
        start = parse(f"/holidays/{i}/from", holiday["from"])
        end = parse(f"/holidays/{i}/to", holiday["to"])
        if start is None or end is None:
            continue
        if start > end:
            problems.append((f"/holidays/{i}/to", f"结束日期 {end} 早于开始日期 {start}"))
            continue
        for day in _days(start, end):
            holiday_days.setdefault(day, holiday["name"])

    for i, item in enumerate(doc.get("adjusted_workdays", [])):
        pointer = f"/adjusted_workdays/{i}/date"
        day = parse(pointer, item["date"])
        if day is None:
            continue
        if day.weekday() < 5:
            problems.append(
                (pointer, f"{day} 是{_WEEKDAY_NAMES[day.weekday()]}，调休上班日应当是周六或周日")
            )
        if day in holiday_days:
            problems.append(
                (pointer, f"{day} 既在放假日期（{holiday_days[day]}）中，又被列为调休上班日")
            )
    return problems


def missing_calendar_years(years: Iterable[int], today: dt.date) -> list[int]:
    """This year and next year, whichever of them has no calendar document."""
    known = set(years)
    return [year for year in (today.year, today.year + 1) if year not in known]


def _plain(day: dt.date) -> dt.date:
    # datetime is a subclass of date but never equals one, so it would silently miss every
    # listed holiday; refuse it instead of guessing which day a timestamp belongs to.
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
    return day


def _loose_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not _DATE_SHAPE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _strict_date(value: object) -> dt.date:
    day = _loose_date(value)
    if day is None:
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}")
    return day


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))

"""The working-day calendar: shipped schedules, due dates and document checks."""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import chinese_calendar
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from daiban.catalog.calendar import (
    DueDate,
    WorkCalendar,
    check_calendar_document,
    missing_calendar_years,
)

ROOT = Path(__file__).resolve().parent.parent
CALENDAR_DIR = ROOT / "config" / "calendar"
SHIPPED_YEARS = (2025, 2026)

# chinesecalendar names holidays in English; the schedules name them in Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


@dataclass(frozen=True)
class Limit:
    amount: int | None
    unit: str


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def load_document(year: int) -> dict:
    with (CALENDAR_DIR / f"{year}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def all_days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def holiday(name: str, first: str, last: str) -> dict:
    return {"name": name, "from": first, "to": last}


def workday(date: str, for_: str) -> dict:
    return {"date": date, "for": for_}


def document(year: int = 2026, holidays=(), adjusted=()) -> dict:
    return {
        "year": year,
        "source": "测试用通知",
        "holidays": list(holidays),
        "adjusted_workdays": list(adjusted),
    }


def pointers(problems: list[tuple[str, str]]) -> list[str]:
    return [pointer for pointer, _ in problems]


@pytest.fixture(scope="module")
def shipped() -> WorkCalendar:
    return WorkCalendar.from_documents(
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(CALENDAR_DIR.glob("*.yaml"))
    )


# --- the shipped files ------------------------------------------------------------------


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_shipped_file_is_schema_valid_and_passes_the_checks(year):
    schemas = {
        name: json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
        for name in ("calendar.schema.json", "common.schema.json")
    }
    registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    validator = Draft202012Validator(
        schemas["calendar.schema.json"],
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    doc = load_document(year)

    assert [error.message for error in validator.iter_errors(doc)] == []
    assert check_calendar_document(doc, year) == []


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_every_day_agrees_with_chinesecalendar(shipped, year):
    disagreements = [
        day for day in all_days(year) if shipped.is_workday(day) != chinese_calendar.is_workday(day)
    ]

    assert disagreements == []


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_holiday_names_agree_with_chinesecalendar(shipped, year):
    for day in all_days(year):
        on_holiday, english = chinese_calendar.get_holiday_detail(day)
        if on_holiday and english is not None:
            # Combined holidays (国庆节、中秋节) name both festivals.
            assert HOLIDAY_NAMES_ZH[english] in (shipped.holiday_name(day) or ""), day
        else:
            assert shipped.holiday_name(day) is None, day


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_adjusted_workdays_make_up_for_the_holiday_chinesecalendar_names(year):
    for item in load_document(year)["adjusted_workdays"]:
        on_holiday, english = chinese_calendar.get_holiday_detail(d(item["date"]))
        assert not on_holiday
        assert HOLIDAY_NAMES_ZH[english] in item["for"], item


def test_shipped_calendar_covers_2025_and_2026(shipped):
    assert shipped.years == frozenset(SHIPPED_YEARS)
    assert shipped.is_covered(d("2026-12-31"))
    assert not shipped.is_covered(d("2027-01-01"))


# --- single days ------------------------------------------------------------------------


def test_days_of_the_2026_spring_festival(shipped):
    assert shipped.is_workday(d("2026-02-14"))  # Saturday, 调休上班
    assert shipped.holiday_name(d("2026-02-14")) is None
    assert not shipped.is_workday(d("2026-02-16"))  # Monday inside the holiday
    assert shipped.holiday_name(d("2026-02-18")) == "春节"
    assert shipped.is_workday(d("2026-02-24"))


def test_combined_holiday_keeps_its_combined_name(shipped):
    assert shipped.holiday_name(d("2025-10-06")) == "国庆节、中秋节"


def test_uncovered_year_assumes_monday_to_friday(shipped):
    assert shipped.is_workday(d("2027-01-01"))  # a Friday; surely 元旦, but nobody has said so
    assert not shipped.is_workday(d("2027-01-02"))  # a Saturday


def test_next_working_day_skips_the_national_day_holiday(shipped):
    assert shipped.next_working_day(d("2026-09-30")) == d("2026-10-08")
    assert shipped.next_working_day(d("2026-10-09")) == d("2026-10-10")  # 调休 Saturday


def test_a_datetime_is_refused_rather_than_compared_wrongly(shipped):
    with pytest.raises(TypeError):
        shipped.is_workday(dt.datetime(2026, 2, 16, 9, 30))


# --- due dates --------------------------------------------------------------------------


def test_five_working_days_across_the_2026_spring_festival(shipped):
    # Accepted Thu 02-12: Fri 02-13 (1), Sat 02-14 调休 (2), 02-15..02-23 off,
    # Tue 02-24 (3), Wed 02-25 (4), Thu 02-26 (5).
    due = shipped.due_date(d("2026-02-12"), Limit(5, "working_days"))

    assert due == DueDate(on=d("2026-02-26"), provisional=False)
    assert shipped.working_days_between(d("2026-02-12"), d("2026-02-26")) == 5


def test_five_working_days_across_national_day_2026(shipped):
    # Accepted Mon 09-28: 09-29 (1), 09-30 (2), 10-01..10-07 off, Thu 10-08 (3),
    # Fri 10-09 (4), Sat 10-10 调休 (5).
    due = shipped.due_date(d("2026-09-28"), Limit(5, "working_days"))

    assert due == DueDate(on=d("2026-10-10"), provisional=False)
    assert shipped.working_days_between(d("2026-09-30"), d("2026-10-10")) == 3


def test_working_days_count_the_september_20_makeup_sunday_and_skip_mid_autumn(shipped):
    # Accepted Fri 09-18: Sun 09-20 调休 (1), 09-21..09-24 (2-5), 09-25..09-27 中秋节,
    # Mon 09-28 (6).
    due = shipped.add_working_days(d("2026-09-18"), 6)

    assert due == DueDate(on=d("2026-09-28"), provisional=False)


def test_zero_working_days_is_the_start_itself(shipped):
    assert shipped.add_working_days(d("2026-02-15"), 0) == DueDate(d("2026-02-15"), False)


def test_negative_working_days_are_refused(shipped):
    with pytest.raises(ValueError):
        shipped.add_working_days(d("2026-03-02"), -1)


def test_natural_days_ending_in_a_holiday_move_to_the_next_working_day(shipped):
    # 09-20 + 11 days = 10-01, the first day of National Day; the office reopens 10-08.
    assert shipped.due_date(d("2026-09-20"), Limit(11, "natural_days")) == DueDate(
        d("2026-10-08"), False
    )
    # 02-12 + 3 days = Sun 02-15, first day of the Spring Festival holiday.
    assert shipped.due_date(d("2026-02-12"), Limit(3, "natural_days")) == DueDate(
        d("2026-02-24"), False
    )


def test_natural_days_ending_on_a_plain_weekend_move_to_monday(shipped):
    # Mon 2026-03-02 + 5 days = Sat 03-07.
    assert shipped.due_date(d("2026-03-02"), Limit(5, "natural_days")).on == d("2026-03-09")


def test_natural_days_ending_on_a_working_day_stay(shipped):
    # 2026-02-04 + 10 days = Sat 02-14, a 调休 working day.
    assert shipped.due_date(d("2026-02-04"), Limit(10, "natural_days")).on == d("2026-02-14")


def test_one_month_from_january_31_clamps_to_the_end_of_february(shipped):
    # 2026-02-28 is a Saturday but a 调休 working day, so it stays.
    assert shipped.due_date(d("2026-01-31"), Limit(1, "months")) == DueDate(d("2026-02-28"), False)
    # 2025-02-28 is an ordinary Friday.
    assert shipped.due_date(d("2025-01-31"), Limit(1, "months")).on == d("2025-02-28")


def test_months_ending_on_a_weekend_move_to_the_next_working_day(shipped):
    # 2026-03-31 + 2 months = Sun 05-31 → Mon 06-01.
    assert shipped.due_date(d("2026-03-31"), Limit(2, "months")).on == d("2026-06-01")
    # 2025-12-31 + 12 months = Thu 2026-12-31, across the year boundary.
    assert shipped.due_date(d("2025-12-31"), Limit(12, "months")).on == d("2026-12-31")


def test_on_the_spot_is_the_day_of_acceptance(shipped):
    due = shipped.due_date(d("2026-02-14"), Limit(None, "on_the_spot"))

    assert due == DueDate(d("2026-02-14"), False)


def test_no_limit_has_no_due_date(shipped):
    assert shipped.due_date(d("2026-02-14"), None) is None


def test_unknown_unit_is_refused(shipped):
    with pytest.raises(ValueError):
        shipped.due_date(d("2026-02-14"), Limit(3, "fortnights"))


def test_due_date_running_into_2027_is_provisional_and_monday_to_friday(shipped):
    # Accepted Mon 2026-12-28: 12-29 (1), 12-30 (2), 12-31 (3), Fri 2027-01-01 (4, assumed),
    # Mon 01-04 (5).
    due = shipped.due_date(d("2026-12-28"), Limit(5, "working_days"))

    assert due == DueDate(on=d("2027-01-04"), provisional=True)


def test_due_date_inside_2026_is_not_provisional(shipped):
    due = shipped.due_date(d("2026-12-21"), Limit(5, "working_days"))

    assert due == DueDate(on=d("2026-12-28"), provisional=False)


def test_natural_days_landing_in_2027_are_provisional(shipped):
    due = shipped.due_date(d("2026-12-20"), Limit(15, "natural_days"))

    assert due == DueDate(on=d("2027-01-04"), provisional=True)


# --- building calendars -----------------------------------------------------------------


def test_two_documents_for_one_year_are_refused():
    with pytest.raises(ValueError):
        WorkCalendar.from_documents([document(2026), document(2026)])


def test_calendar_cannot_be_changed():
    calendar = WorkCalendar.from_documents([document(2026)])

    with pytest.raises(AttributeError):
        calendar._years = frozenset({2027})  # type: ignore[misc]
    assert calendar.years == frozenset({2026})


def test_a_day_listed_by_a_neighbouring_year_counts_even_though_that_year_is_uncovered():
    doc = document(
        2027,
        holidays=[holiday("元旦", "2026-12-31", "2027-01-02")],
        adjusted=[workday("2027-01-03", "元旦")],
    )
    calendar = WorkCalendar.from_documents([doc])

    assert not calendar.is_workday(d("2026-12-31"))
    assert calendar.holiday_name(d("2026-12-31")) == "元旦"
    assert calendar.add_working_days(d("2026-12-30"), 1) == DueDate(d("2027-01-03"), True)


# --- check_calendar_document ------------------------------------------------------------


def test_year_differing_from_the_file_name():
    problems = check_calendar_document(document(2026), 2027)

    assert pointers(problems) == ["/year"]
    assert "2027" in problems[0][1]


def test_holiday_ending_before_it_starts():
    doc = document(
        holidays=[
            holiday("元旦", "2026-01-01", "2026-01-03"),
            holiday("春节", "2026-02-15", "2026-02-23"),
            holiday("清明节", "2026-04-04", "2026-04-06"),
            holiday("劳动节", "2026-05-05", "2026-05-01"),
        ]
    )

    problems = check_calendar_document(doc, 2026)

    assert pointers(problems) == ["/holidays/3/to"]
    assert "早于" in problems[0][1]


def test_adjusted_workday_on_a_weekday():
    doc = document(adjusted=[workday("2026-02-16", "春节")])  # a Monday

    problems = check_calendar_document(doc, 2026)

    assert pointers(problems) == ["/adjusted_workdays/0/date"]
    assert "星期一" in problems[0][1]


def test_day_both_holiday_and_adjusted_workday():
    doc = document(
        holidays=[holiday("春节", "2026-02-15", "2026-02-23")],
        adjusted=[workday("2026-02-14", "春节"), workday("2026-02-22", "春节")],
    )

    problems = check_calendar_document(doc, 2026)

    assert pointers(problems) == ["/adjusted_workdays/1/date"]
    assert "春节" in problems[0][1]


def test_dates_outside_the_neighbouring_years():
    doc = document(
        holidays=[holiday("元旦", "2024-12-31", "2026-01-02")],
        adjusted=[workday("2028-01-08", "元旦")],
    )

    problems = check_calendar_document(doc, 2026)

    assert pointers(problems) == ["/holidays/0/from", "/adjusted_workdays/0/date"]
    assert all("超出" in message for _, message in problems)


def test_spill_into_the_previous_year_is_allowed():
    doc = document(2027, holidays=[holiday("元旦", "2026-12-31", "2027-01-02")])

    assert check_calendar_document(doc, 2027) == []


def test_impossible_date_is_reported_not_raised():
    doc = document(
        holidays=[holiday("春节", "2026-02-15", "2026-02-30")],
        adjusted=[workday("2026-13-01", "春节")],
    )

    problems = check_calendar_document(doc, 2026)

    assert pointers(problems) == ["/holidays/0/to", "/adjusted_workdays/0/date"]
    assert "2026-02-30" in problems[0][1]
    assert "不是有效的日期" in problems[1][1]


def test_from_documents_refuses_an_impossible_date():
    with pytest.raises(ValueError):
        WorkCalendar.from_documents(
            [document(holidays=[holiday("春节", "2026-02-15", "2026-02-30")])]
        )


# --- missing_calendar_years -------------------------------------------------------------


def test_late_in_2026_the_2027_file_is_missing(shipped):
    assert missing_calendar_years(shipped.years, dt.date(2026, 11, 28)) == [2027]


def test_in_2025_nothing_is_missing(shipped):
    assert missing_calendar_years(shipped.years, dt.date(2025, 6, 1)) == []


def test_in_2027_both_years_are_missing(shipped):
    assert missing_calendar_years(shipped.years, dt.date(2027, 1, 5)) == [2027, 2028]


def test_working_days_between_agrees_with_counting_day_by_day(shipped):
    import random

    rng = random.Random(11)
    for _ in range(400):
        start = dt.date(2024, 6, 1) + dt.timedelta(days=rng.randint(0, 1100))
        end = start + dt.timedelta(days=rng.randint(-5, 800))
        by_day = sum(1 for k in range(1, (end - start).days + 1)
                     if shipped.is_workday(start + dt.timedelta(days=k)))
        assert shipped.working_days_between(start, end) == by_day, (start, end)

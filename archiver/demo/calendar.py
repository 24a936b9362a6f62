"""The demo school's calendar for 2025/2026: quarters and half-years, holidays, school days.

Dates follow the single school calendar recommended for 2025/2026 and the Russian production calendar
(public holidays and their transfers), so the demo journal has the gaps a teacher expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class PeriodSpec:
    id: str
    kind: str
    number: int
    name: str
    start: date
    end: date


YEAR_ID = "2025-2026"
YEAR_START = date(2025, 9, 1)
YEAR_END = date(2026, 8, 31)
LAST_LESSON_DAY = date(2026, 5, 26)

PERIODS = (
    PeriodSpec("q1", "quarter", 1, "I четверть", date(2025, 9, 1), date(2025, 10, 24)),
    PeriodSpec("q2", "quarter", 2, "II четверть", date(2025, 11, 5), date(2025, 12, 28)),
    PeriodSpec("q3", "quarter", 3, "III четверть", date(2026, 1, 12), date(2026, 3, 20)),
    PeriodSpec("q4", "quarter", 4, "IV четверть", date(2026, 3, 30), LAST_LESSON_DAY),
    PeriodSpec("h1", "half_year", 1, "I полугодие", date(2025, 9, 1), date(2025, 12, 28)),
    PeriodSpec("h2", "half_year", 2, "II полугодие", date(2026, 1, 12), LAST_LESSON_DAY),
    PeriodSpec("year", "year", 1, "Год", date(2025, 9, 1), LAST_LESSON_DAY),
)

QUARTERS = ("q1", "q2", "q3", "q4")
HALF_YEARS = ("h1", "h2")

# Public holidays and transferred days off that fall inside the terms (Mon–Fri).
PUBLIC_HOLIDAYS = frozenset(
    {date(2025, 12, 31), date(2026, 2, 23), date(2026, 3, 9), date(2026, 5, 1), date(2026, 5, 11)}
)
# The additional week of holidays for first-graders in February.
FIRST_GRADE_HOLIDAYS = (date(2026, 2, 16), date(2026, 2, 22))

# When the export is taken: after the year's final marks, before the archive deadline of 30 June.
EXPORTED_AT = "2026-06-20T12:00:00+03:00"


def school_days(grade: int) -> list[date]:
    """Every day with lessons for the grade: Monday to Friday inside the quarters, less holidays."""
    days: list[date] = []
    for period in PERIODS:
        if period.kind != "quarter":
            continue
        day = period.start
        while day <= period.end:
            if day.weekday() < 5 and day not in PUBLIC_HOLIDAYS and not _first_grade_break(grade, day):
                days.append(day)
            day += timedelta(days=1)
    return days


def _first_grade_break(grade: int, day: date) -> bool:
    return grade == 1 and FIRST_GRADE_HOLIDAYS[0] <= day <= FIRST_GRADE_HOLIDAYS[1]


def period_spec(ident: str) -> PeriodSpec:
    return next(p for p in PERIODS if p.id == ident)

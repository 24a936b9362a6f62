"""Synthetic recorded responses of the journal platforms, built from the demo school with the field names
the public clients read (../shared/PLATFORMS.md): the fixtures of the importers' tests, the replay server's
responses and the import benchmark's input. No real person's data: every name comes from the demo generator.

Each recorder writes the demo export's classes in one platform's shape and returns what the platform's data
should show once imported: the expected journal cells, keyed by (class, course title, student, date)."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Numbers:
    """Platform ids for the demo's string ids: large numbers, as the platforms' 64-bit ids are."""

    base: int = 1_000_000_000_000_000_000
    given: dict[str, int] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __call__(self, key: str) -> int:
        if key not in self.given:
            self.given[key] = self.base + next(self.counter)
        return self.given[key]


def ten_point(value: str, salt: int) -> str:
    """A 5-point mark written on the 10-point scale: one of the two that map back to it (9 or 10 for 5)."""
    return str(int(value) * 2 - salt % 2)


@dataclass
class Expected:
    """What the journal pages must show once the recorded data is imported: cell text by (class, course
    title, student «Фамилия Имя», lesson date, the lesson's place among the course's lessons that day)."""

    marks: dict[tuple[str, str, str, date, int], list[str]] = field(default_factory=dict)
    absences: dict[tuple[str, str, str, date, int], str] = field(default_factory=dict)
    results: dict[tuple[str, str, str, str], str] = field(default_factory=dict)  # … column label («II», «год»)

    def result(self, klass: str, course: str, student: str, label: str, text: str) -> None:
        self.results[(klass, course, student, label)] = text

    def journal(self, klass: str) -> dict[tuple[str, str, date | str, int], str]:
        """One class's cells as `tests.journalcells.read` gives them: (course, student, date or label, order)."""
        out: dict[tuple[str, str, date | str, int], str] = {
            (course, student, day, order): text
            for (name, course, student, day, order), text in self.cells.items()
            if name == klass
        }
        out.update({(c, s, label, 0): t for (name, c, s, label), t in self.results.items() if name == klass})
        return out

    def mark(self, key: tuple[str, str, str, date, int], text: str) -> None:
        self.marks.setdefault(key, []).append(text)

    def absence(self, key: tuple[str, str, str, date, int], code: str) -> None:
        self.absences[key] = code

    @property
    def cells(self) -> dict[tuple[str, str, str, date, int], str]:
        """A cell shows the absence code first, then the marks in the order given, joined by «/»."""
        keys = set(self.marks) | set(self.absences)
        return {
            key: "/".join(([self.absences[key]] if key in self.absences else []) + self.marks.get(key, []))
            for key in keys
        }


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def result_label(period: dict[str, Any] | None, final_kind: str | None = None) -> str:
    """The journal's column label of a period's or a final mark."""
    if final_kind is not None:
        return {"exam": "экз.", "final": "итог"}[final_kind]
    assert period is not None
    roman = ROMAN[period["number"]]
    return {"quarter": roman, "trimester": f"{roman} тр", "half_year": f"{roman} п/г"}.get(period["kind"], "год")


def lesson_order(lessons: list[dict[str, Any]]) -> dict[str, int]:
    """Each held lesson's place among the course's held lessons of its day (0 for the first)."""
    order: dict[str, int] = {}
    seen: dict[str, int] = {}
    for lesson in sorted(lessons, key=lambda l: (l["date"], l["number"])):
        if lesson.get("cancelled"):
            continue
        order[lesson["id"]] = seen.get(lesson["date"], 0)
        seen[lesson["date"]] = order[lesson["id"]] + 1
    return order


def months(start: date, end: date) -> Iterator[tuple[date, date]]:
    """The calendar months from start to end, as (first day, last day)."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = calendar.monthrange(year, month)[1]
        yield date(year, month, 1), date(year, month, last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def class_name(klass: dict[str, Any]) -> str:
    return f"{klass['grade']}{klass['letter']}"


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}

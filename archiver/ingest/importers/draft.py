"""What every platform importer shares: the school's card, mark scales, and the export document it builds.

No platform gives everything the legally required documents print: Дневник.ру has no director, none has
the students' enrolment dates or the curriculum's planned hours, and МЭШ has no time zone. What a platform
lacks comes from `card.json` in the source directory, written by the school (`archiver import --help`
shows its form); what neither gives is an error naming what to add, never an invented value.
"""

from __future__ import annotations

import calendar
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from archiver.ingest.importers.saved import At, Saved, day_field, ident, integer, obj, text
from archiver.workers import workers

SCHEMA_VERSION = "1.1"
MIN_YEAR, MAX_YEAR = 1990, 2200  # the years an academic year of a platform's data may lie in
CARD = "card.json"

PASS_WORDS = {"зч": "зач", "зач": "зач", "зачёт": "зач", "зачет": "зач", "з": "зач", "+": "зач"}
FAIL_WORDS = {"нз": "незач", "незач": "незач", "незачёт": "незач", "незачет": "незач", "н/з": "незач", "-": "незач"}
RESULT_WORDS = {"н/а": "н/а", "на": "н/а", "осв": "осв", "осв.": "осв", "освоб": "осв", "освобождён": "осв"}
_POINTS = re.compile(r"(\d{1,3})([+-]?)")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
PERIOD_NAMES = {"quarter": "четверть", "trimester": "триместр", "half_year": "полугодие"}


def scale_of(points: int) -> str:
    """The scale a platform's maximum mark names: 5, 10 or 100."""
    return "10" if points == 10 else "100" if points == 100 else "5"


def five_point(raw: str, scale: str) -> str | None:
    """The 5-point value of a mark written on a scale; None when it is not a mark there.

    A 10-point mark maps to half of it, rounded up (10 and 9 give 5, 8 and 7 give 4, …); a 100-point
    mark maps by the bands 85, 65, 45, 25 (the archive's rule where a platform gives no 5-point value;
    МЭШ does, and its own value is kept). A plus or a minus («4-») leaves the mark itself."""
    word = raw.strip().lower()
    if word in PASS_WORDS:
        return PASS_WORDS[word]
    if word in FAIL_WORDS:
        return FAIL_WORDS[word]
    found = _POINTS.fullmatch(word)
    if not found:
        return None
    value = int(found[1])
    if scale == "5":
        return str(value) if 1 <= value <= 5 else None
    if scale == "10":
        return str(math.ceil(value / 2)) if 1 <= value <= 10 else None
    if scale == "100":
        if not 0 <= value <= 100:
            return None
        return next(str(mark) for mark, floor in ((5, 85), (4, 65), (3, 45), (2, 25), (1, 0)) if value >= floor)
    return None


def result_value(raw: str, scale: str) -> str | None:
    """A period, exam or final mark's value: a mark, or «н/а» (not assessed), «осв» (exempt)."""
    word = raw.strip().lower()
    return RESULT_WORDS.get(word) or five_point(word, scale)


def months_of(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months from start to end, as (first day, last day): how fetches split a year."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append((date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def split_name(full: str, at: At) -> dict[str, str]:
    """«Иванова Мария Петровна» as last, first and middle name."""
    parts = full.split()
    if len(parts) < 2:
        at.fail(f"{full!r} is not a full name (a last name and a first name at least)")
    names = {"last_name": parts[0], "first_name": parts[1]}
    if len(parts) > 2:
        names["middle_name"] = " ".join(parts[2:])
    return names


@dataclass
class Card:
    """What the school adds to a platform's data (card.json), each part optional."""

    school: dict[str, Any] = field(default_factory=dict)
    year: tuple[date, date] | None = None
    enrolment: dict[str, tuple[date | None, date | None]] = field(default_factory=dict)
    planned_hours: dict[str, int] = field(default_factory=dict)
    homeroom: dict[str, str] = field(default_factory=dict)
    absence_reasons: dict[str, str] = field(default_factory=dict)  # a platform's reason id → н, б, у, оп


def read_card(saved: Saved) -> Card:
    """card.json of the source directory, or an empty card when there is none."""
    card = Card()
    if not saved.exists(CARD):
        return card
    data, at = saved.json(CARD)
    record = obj(data, at)
    known = {"school", "academic_year", "students", "planned_hours", "homeroom_teachers", "absence_reasons"}
    for key in record:
        if key not in known:
            (at / key).fail(f"unknown field; a card has {', '.join(sorted(known))}")
    if "school" in record:
        card.school = obj(record["school"], at / "school")
        director = card.school.get("director")
        if director is not None:
            obj(director, at / "school" / "director")
            text(director, "last_name", at / "school" / "director")
            text(director, "first_name", at / "school" / "director")
    if "academic_year" in record:
        year = obj(record["academic_year"], at / "academic_year")
        start = day_field(year, "start", at / "academic_year")
        end = day_field(year, "end", at / "academic_year")
        assert start is not None and end is not None
        card.year = (start, end)
    students = obj(record.get("students", {}), at / "students")
    for key, value in students.items():
        where = at / "students" / key
        stay = obj(value, where)
        card.enrolment[ident(key, where)] = (
            day_field(stay, "enrolled", where, optional=True),
            day_field(stay, "left", where, optional=True),
        )
    hours = obj(record.get("planned_hours", {}), at / "planned_hours")
    for key in hours:
        count = integer(hours, key, at / "planned_hours")
        assert count is not None
        card.planned_hours[key] = count
    homerooms = obj(record.get("homeroom_teachers", {}), at / "homeroom_teachers")
    for key, value in homerooms.items():
        card.homeroom[key] = ident(value, at / "homeroom_teachers" / key)
    reasons = obj(record.get("absence_reasons", {}), at / "absence_reasons")
    for key, value in reasons.items():
        if value not in ("н", "б", "у", "оп"):
            (at / "absence_reasons" / key).fail(f"{value!r} is not an absence code (н, б, у, оп)")
        card.absence_reasons[key] = value
    return card


RESULT_ONLY = ("зач", "незач", "осв", "н/а")


@dataclass
class CourseDraft:
    """A course as an importer gathers it: lessons, marks and results by the platform's ids."""

    id: str
    subject: str
    teacher: str = ""
    subgroup: str | None = None  # the subgroup's name, when the course is taught to one
    members: set[str] = field(default_factory=set)  # a subgroup's students
    lessons: dict[str, dict[str, Any]] = field(default_factory=dict)
    marks: list[dict[str, Any]] = field(default_factory=list)
    absences: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    period_marks: list[dict[str, Any]] = field(default_factory=list)
    final_marks: list[dict[str, Any]] = field(default_factory=list)
    scales: Counter[str] = field(default_factory=Counter)  # of the marks given on a points scale

    def absence(self, student: str, lesson: str, reason: str) -> None:
        """An absence from a lesson; a second one for the same student and lesson is the first's repeat."""
        self.absences.setdefault((student, lesson), {"student": student, "lesson": lesson, "reason": reason})

    def mark(self, mark: dict[str, Any]) -> None:
        self.marks.append(mark)
        if mark.get("scale") not in (None, "pass_fail"):
            self.scales[mark["scale"]] += 1

    def record(self, periods: list[str], planned_hours: int | None = None) -> dict[str, Any]:
        """The export's course: graded with marks, pass/fail (only зач/незач given) or not at all (nothing
        given); on the scale most of its marks are on; taught to the whole class or to its subgroup."""
        lessons = sorted(self.lessons.values(), key=lambda item: (item["date"], item["number"]))
        values = [m.get("value") for m in self.marks] + [m["value"] for m in self.period_marks + self.final_marks]
        graded = any(values)
        pass_fail = graded and all(v in RESULT_ONLY or v is None for v in values)
        grading = "pass_fail" if pass_fail else "marks" if graded else "none"
        record: dict[str, Any] = {
            "id": self.id,
            "subject": self.subject,
            "teacher": self.teacher,
            "grading": grading,
            "periods": periods if grading != "none" else [],
            "planned_hours": len(lessons) if planned_hours is None else planned_hours,
        }
        if grading == "marks" and self.scales:
            scale = self.scales.most_common(1)[0][0]
            if scale != "5":
                record["scale"] = scale
        if self.subgroup is not None:
            record["subgroup"] = {"name": self.subgroup, "students": sorted(self.members)}
        record.update(lessons=lessons, marks=self.marks, absences=list(self.absences.values()),
                      period_marks=self.period_marks, final_marks=self.final_marks)  # fmt: skip
        return record


@dataclass(frozen=True)
class PeriodSpan:
    kind: str  # quarter, trimester, half_year
    start: date
    end: date
    name: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.start:%Y%m%d}"


class Draft:
    """An export document assembled from a platform's records: periods, directories and classes."""

    def __init__(self, platform: str, system: str, card: Card) -> None:
        self.platform = platform
        self.system = system
        self.card = card
        self.periods: dict[str, PeriodSpan] = {}
        self.work_types: dict[str, dict[str, Any]] = {}
        self.teachers: dict[str, dict[str, Any]] = {}
        self.subjects: dict[str, dict[str, Any]] = {}
        self.classes: list[dict[str, Any]] = []
        self.school_id: str | None = None
        self._codes: set[str] = set()
        self._suffixes: dict[str, int] = {}

    def period(self, span: PeriodSpan) -> str:
        self.periods.setdefault(span.id, span)
        return span.id

    def work_type(self, ident_: str, code: str, title: str, weight: float) -> str:
        if ident_ in self.work_types:
            return ident_
        code = "".join(code.split())[:6] or ident_[:6]
        base = code
        while code in self._codes:  # two types with one abbreviation: the next gets a number
            suffix = self._suffixes.get(base, 2)
            self._suffixes[base] = suffix + 1
            code = f"{base[: max(1, 6 - len(str(suffix)))]}{suffix}"
        self._codes.add(code)
        self.work_types[ident_] = {"id": ident_, "code": code, "title": title, "weight": weight}
        return ident_

    def teacher(self, ident_: str, names: dict[str, str]) -> str:
        self.teachers.setdefault(ident_, {"id": ident_, **names})
        return ident_

    def subject(self, ident_: str, name: str) -> str:
        self.subjects.setdefault(ident_, {"id": ident_, "name": name})
        return ident_

    def enrolment(self, student: str) -> dict[str, Any]:
        """The card's dates of the student's stay; without them, the year's first day (set by `document`)."""
        enrolled, left = self.card.enrolment.get(student, (None, None))
        stay: dict[str, Any] = {}
        if enrolled is not None:
            stay["enrolled"] = enrolled.isoformat()
        if left is not None:
            stay["left"] = left.isoformat()
        return stay

    def course(self, course: CourseDraft, periods: list[str]) -> dict[str, Any]:
        """A course's record, with the card's planned hours (else the lessons the platform's timetable
        holds for the year)."""
        return course.record(periods, self.card.planned_hours.get(course.id))

    def year(self, at: At) -> tuple[date, date]:
        if self.card.year:
            return self.card.year
        spans = list(self.periods.values())
        if not spans:
            at.fail("no reporting periods in the saved responses, and no academic_year in card.json")
        start = min(p.start for p in spans)
        end = max(p.end for p in spans)
        if not (start.year >= MIN_YEAR and end.year <= MAX_YEAR and (end - start).days <= 366):
            at.fail(f"the reporting periods run from {start.isoformat()} to {end.isoformat()}: not one academic year")
        # The academic year runs from 1 September to 31 August of the next year, whatever the periods say.
        first = start.year if start.month >= 8 else start.year - 1
        return date(first, 9, 1) if start >= date(first, 9, 1) else start, max(end, date(first + 1, 8, 31))

    def school(self, found: dict[str, Any], at: At) -> dict[str, Any]:
        """The school's block: the card's fields over what the platform gave."""
        school = {**found, **{k: v for k, v in self.card.school.items() if v is not None}}
        for key in ("name", "director"):
            if not school.get(key):
                what = "director's name" if key == "director" else "school's full name"
                at.fail(f'the {what} is not in the saved responses; give it in {CARD} ("school": {{"{key}": …}})')
        school.setdefault("id", self.school_id or "school")
        return school

    def registries(self) -> tuple[dict[str, Any], ...]:
        """What reading a class adds to the school's lists: periods, work types, teachers, subjects."""
        return self.periods, self.work_types, self.teachers, self.subjects

    def merge(self, registries: tuple[dict[str, Any], ...]) -> None:
        for mine, theirs in zip(self.registries(), registries, strict=True):
            for key, value in theirs.items():
                mine.setdefault(key, value)

    def document(self, school: dict[str, Any], at: At, exported_at: str | None = None) -> dict[str, Any]:
        start, end = self.year(at)
        for klass in self.classes:
            for student in klass["students"]:
                student.setdefault("enrolled", start.isoformat())
        periods = []
        numbers: Counter[str] = Counter()
        for span in sorted(self.periods.values(), key=lambda p: (p.start, p.kind)):
            numbers[span.kind] += 1
            number = numbers[span.kind]
            name = span.name or f"{ROMAN.get(number, number)} {PERIOD_NAMES[span.kind]}"
            periods.append({"id": span.id, "kind": span.kind, "number": number, "name": name,
                            "start": span.start.isoformat(), "end": span.end.isoformat()})  # fmt: skip
        periods.append({"id": "year", "kind": "year", "number": 1, "name": "Год",
                        "start": start.isoformat(), "end": end.isoformat()})  # fmt: skip
        source: dict[str, Any] = {"system": self.system, "platform": self.platform}
        if exported_at:
            source["exported_at"] = exported_at
        if self.school_id:
            source["school_id"] = self.school_id
        return {
            "schema_version": SCHEMA_VERSION,
            "source": source,
            "school": self.school(school, at),
            "academic_year": {
                "id": f"{start.year}-{start.year + 1}",
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
            "periods": periods,
            "work_types": sorted(self.work_types.values(), key=lambda w: w["code"]),
            "teachers": sorted(self.teachers.values(), key=lambda t: t["id"]),
            "subjects": sorted(self.subjects.values(), key=lambda s: s["name"]),
            "classes": self.classes,
        }


class ClassReader(Protocol):
    draft: Draft

    def read_class(self, name: str) -> dict[str, Any]: ...


_READER: ClassReader | None = None  # a worker's reader, inherited from the process that forked it


def _use(reader: ClassReader) -> None:
    global _READER
    _READER = reader


def _read_one(name: str) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    assert _READER is not None
    return _READER.read_class(name), _READER.draft.registries()


def read_classes(reader: ClassReader, names: list[str], count: int | None = None) -> None:
    """Read each class (a directory of the source) on every core: a class needs nothing of another's.
    The classes go into the draft in the order of `names`, and what each added to the school's lists too."""
    with workers(min(count or os.cpu_count() or 1, len(names)) or 1, _use, (reader,)) as pool:
        done = list(pool.map(_read_one, names))
    for record, registries in done:
        reader.draft.classes.append(record)
        reader.draft.merge(registries)


def usual_weights(pairs: list[tuple[str, float]]) -> dict[str, float]:
    """Each work type's most common weight among its marks: the weight its legend states."""
    by_type: dict[str, Counter[float]] = {}
    for work_type, weight in pairs:
        by_type.setdefault(work_type, Counter())[weight] += 1
    return {key: counts.most_common(1)[0][0] for key, counts in by_type.items()}


def class_name_parts(name: str, at: At) -> tuple[int, str]:
    """«7А», «7-А», «10 Б» as (7, "А")."""
    found = re.fullmatch(r"\s*(\d{1,2})\s*[-–]?\s*([А-ЯЁа-яёA-Za-z]{1,3})\b.*", name)
    if not found or not 1 <= int(found[1]) <= 11:
        at.fail(f"{name!r} is not a class name such as «7А»")
    return int(found[1]), found[2].upper()

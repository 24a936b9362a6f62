"""Layer two: what the export means. Runs on a document that already matches the schema.

Checks identifiers (unknown, duplicate), dates (real, inside the academic year), enrolment (a mark or an
absence only for a student who was in the class, or the subgroup, that day), lessons (a mark only on a
held lesson of the same course), values (allowed by the course's grading) and periods (a period mark only
for a period the course is graded for), and the names the documents print (no invisible characters, no
two classes that look alike: `archiver.ingest.validation.names`). Every problem is collected, each with its JSON
path.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archiver.ingest.problems import PathPart, Problem, document_position, json_path, show
from archiver.ingest.validation.names import check_names

Path = tuple[PathPart, ...]

# Values each grading allows, for current marks and for period, exam and final marks.
CURRENT_VALUES = {
    "marks": ("5", "4", "3", "2", "1"),
    "pass_fail": ("зач", "незач"),
    "none": (),
}
RESULT_VALUES = {
    "marks": ("5", "4", "3", "2", "1", "осв", "н/а"),
    "pass_fail": ("зач", "незач", "осв", "н/а"),
    "none": (),
}
GRADING_NAMES = {"marks": "a course marked 5 to 1", "pass_fail": "a pass/fail course", "none": "an ungraded course"}
# How a mark is written on each scale (`raw`, verbatim from the platform): a 5- or 10-point mark may carry
# a plus or a minus («4-»); a pass/fail mark is any short word («зч», «зачёт»), its meaning in `value`.
RAW_FORMS = {
    "5": re.compile(r"[1-5][+-]?"),
    "10": re.compile(r"(10|[1-9])[+-]?"),
    "100": re.compile(r"100|[1-9]?[0-9]"),
}
SCALE_NAMES = {"5": "the 5-point scale", "10": "the 10-point scale", "100": "the 100-point scale"}
# Limits of a period's number by kind: four quarters, three trimesters, two half-years, one year.
PERIOD_NUMBERS = {"quarter": 4, "trimester": 3, "half_year": 2, "year": 1}


@dataclass
class _Student:
    path: Path
    class_id: str
    class_name: str
    enrolled: date | None
    left: date | None


@dataclass
class _Lesson:
    course_id: str
    class_name: str
    subject: str
    day: date | None
    cancelled: bool


@dataclass
class _Period:
    kind: str
    start: date | None
    end: date | None


@dataclass
class _Checker:
    problems: list[tuple[Path, str]] = field(default_factory=list)
    year_start: date | None = None
    year_end: date | None = None
    periods: dict[str, _Period] = field(default_factory=dict)
    work_types: set[str] = field(default_factory=set)
    teachers: set[str] = field(default_factory=set)
    subjects: dict[str, str] = field(default_factory=dict)
    students: dict[str, _Student] = field(default_factory=dict)
    lessons: dict[str, _Lesson] = field(default_factory=dict)
    course_ids: dict[str, Path] = field(default_factory=dict)
    student_paths: dict[str, Path] = field(default_factory=dict)

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def day(self, path: Path, text: str) -> date | None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.add(path, f"{show(text)} is not a real calendar date")
            return None

    def unique(self, items: Iterable[tuple[Path, str]], what: str, seen: dict[str, Path] | None = None) -> None:
        """Report every identifier that repeats one seen earlier (in this list or in `seen`)."""
        first = {} if seen is None else seen
        for path, ident in items:
            if ident in first:
                self.add(path, f"duplicate {what} id {show(ident)} (first at {json_path(first[ident])})")
            else:
                first[ident] = path

    def in_year(self, path: Path, day: date | None, what: str) -> None:
        if day is None or self.year_start is None or self.year_end is None:
            return
        if not self.year_start <= day <= self.year_end:
            self.add(
                path,
                f"{what} {day.isoformat()} is outside the academic year "
                f"({self.year_start.isoformat()} – {self.year_end.isoformat()})",
            )


def check_semantics(document: dict[str, Any]) -> tuple[Problem, ...]:
    """Every problem of meaning in a schema-valid export, in document order."""
    checker = _Checker()
    _check_timezone(checker, document["school"].get("timezone"))
    _check_year(checker, document)
    _check_periods(checker, document["periods"])
    _check_directories(checker, document)
    _check_classes(checker, document["classes"])
    checker.problems.extend(check_names(document))
    ordered = sorted(checker.problems, key=lambda problem: document_position(document, problem[0]))
    return tuple(Problem(json_path(path), message) for path, message in ordered)


def _check_timezone(checker: _Checker, name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        checker.add(("school", "timezone"), f"{show(name)} is not a time zone this machine knows (IANA name)")


def _check_year(checker: _Checker, document: dict[str, Any]) -> None:
    year = document["academic_year"]
    base: Path = ("academic_year",)
    start = checker.day(base + ("start",), year["start"])
    end = checker.day(base + ("end",), year["end"])
    first, second = (int(part) for part in year["id"].split("-"))
    if second != first + 1:
        checker.add(base + ("id",), f"{show(year['id'])} must name two consecutive years, e.g. '2025-2026'")
    if start and end:
        if start >= end:
            checker.add(base + ("end",), f"the year ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        elif start.year != first:
            checker.add(base + ("start",), f"the year {show(year['id'])} cannot start on {start.isoformat()}")
        elif (end - start).days > 366:
            checker.add(base + ("end",), "an academic year lasts at most a year")
        checker.year_start, checker.year_end = start, end


def _check_periods(checker: _Checker, periods: list[dict[str, Any]]) -> None:
    checker.unique(((("periods", i, "id"), p["id"]) for i, p in enumerate(periods)), "period")
    by_kind: dict[str, list[tuple[int, date, date]]] = {}
    for index, period in enumerate(periods):
        base: Path = ("periods", index)
        start = checker.day(base + ("start",), period["start"])
        end = checker.day(base + ("end",), period["end"])
        checker.in_year(base + ("start",), start, "the period's start")
        checker.in_year(base + ("end",), end, "the period's end")
        if start and end:
            if start > end:
                checker.add(
                    base + ("end",), f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
                )
            else:
                by_kind.setdefault(period["kind"], []).append((index, start, end))
        checker.periods.setdefault(period["id"], _Period(period["kind"], start, end))
    if len(by_kind.get("year", [])) > 1:
        for index, _, _ in by_kind["year"][1:]:
            checker.add(("periods", index, "kind"), "there is more than one period of kind 'year'")
    numbers: dict[tuple[str, int], int] = {}
    for index, period in enumerate(periods):
        key = (period["kind"], period["number"])
        if period["number"] > PERIOD_NUMBERS[period["kind"]]:
            checker.add(
                ("periods", index, "number"),
                f"a {period['kind'].replace('_', '-')} is numbered 1 to {PERIOD_NUMBERS[period['kind']]}",
            )
        if key in numbers:
            checker.add(
                ("periods", index, "number"),
                f"{period['kind']} number {period['number']} is already periods[{numbers[key]}]",
            )
        numbers.setdefault(key, index)
    for spans in by_kind.values():
        spans.sort(key=lambda span: span[1])
        for (prev_index, _, prev_end), (index, start, _) in itertools.pairwise(spans):
            if start <= prev_end:
                checker.add(("periods", index, "start"), f"the period overlaps periods[{prev_index}]")


def _check_directories(checker: _Checker, document: dict[str, Any]) -> None:
    work_types = document["work_types"]
    checker.unique(((("work_types", i, "id"), w["id"]) for i, w in enumerate(work_types)), "work type")
    checker.unique(((("work_types", i, "code"), w["code"]) for i, w in enumerate(work_types)), "work type code")
    checker.work_types = {w["id"] for w in work_types}
    teachers = document["teachers"]
    checker.unique(((("teachers", i, "id"), t["id"]) for i, t in enumerate(teachers)), "teacher")
    checker.teachers = {t["id"] for t in teachers}
    subjects = document["subjects"]
    checker.unique(((("subjects", i, "id"), s["id"]) for i, s in enumerate(subjects)), "subject")
    checker.subjects = {s["id"]: s["name"] for s in subjects}


def _check_classes(checker: _Checker, classes: list[dict[str, Any]]) -> None:
    checker.unique(((("classes", i, "id"), c["id"]) for i, c in enumerate(classes)), "class")
    names: dict[str, int] = {}
    for index, klass in enumerate(classes):
        name = f"{klass['grade']}{klass['letter']}"
        if name in names:
            checker.add(("classes", index, "letter"), f"class {name} is already classes[{names[name]}]")
        names.setdefault(name, index)
        _check_class_people(checker, index, klass, name)
    # Lessons are indexed for the whole school first, so that a mark pointing at a lesson of another
    # class's course is told apart from a mark pointing at no lesson at all.
    for index, klass in enumerate(classes):
        for course_index, course in enumerate(klass["courses"]):
            _index_lessons(checker, ("classes", index, "courses", course_index), course, klass)
    for index, klass in enumerate(classes):
        for course_index, course in enumerate(klass["courses"]):
            _check_course_records(checker, ("classes", index, "courses", course_index), course, klass)


def _class_name(klass: dict[str, Any]) -> str:
    return f"{klass['grade']}{klass['letter']}"


def _check_class_people(checker: _Checker, index: int, klass: dict[str, Any], name: str) -> None:
    base: Path = ("classes", index)
    if klass["homeroom_teacher"] not in checker.teachers:
        checker.add(base + ("homeroom_teacher",), f"unknown teacher {show(klass['homeroom_teacher'])}")
    for student_index, student in enumerate(klass["students"]):
        path = base + ("students", student_index)
        checker.unique([(path + ("id",), student["id"])], "student", checker.student_paths)
        enrolled = checker.day(path + ("enrolled",), student["enrolled"])
        left = checker.day(path + ("left",), student["left"]) if student.get("left") else None
        if enrolled and checker.year_end and enrolled > checker.year_end:
            checker.add(path + ("enrolled",), f"enrolled on {enrolled.isoformat()}, after the academic year ended")
        if left and checker.year_start and left < checker.year_start:
            checker.add(path + ("left",), f"left on {left.isoformat()}, before the academic year began")
        if enrolled and left and left < enrolled:
            checker.add(path + ("left",), f"left ({left.isoformat()}) before enrolling ({enrolled.isoformat()})")
        checker.students.setdefault(student["id"], _Student(path, klass["id"], name, enrolled, left))


def _index_lessons(checker: _Checker, base: Path, course: dict[str, Any], klass: dict[str, Any]) -> None:
    checker.unique([(base + ("id",), course["id"])], "course", checker.course_ids)
    subject = checker.subjects.get(course["subject"], course["subject"])
    slots: dict[tuple[str, int], int] = {}
    for lesson_index, lesson in enumerate(course["lessons"]):
        path = base + ("lessons", lesson_index)
        if lesson["id"] in checker.lessons:
            other = checker.lessons[lesson["id"]]
            checker.add(
                path + ("id",),
                f"duplicate lesson id {show(lesson['id'])} (also a lesson of {other.subject}, {other.class_name})",
            )
            continue
        day = checker.day(path + ("date",), lesson["date"])
        checker.in_year(path + ("date",), day, "the lesson date")
        slot = (lesson["date"], lesson["number"])
        if slot in slots:
            checker.add(
                path + ("number",),
                f"lesson {lesson['number']} on {lesson['date']} is already lessons[{slots[slot]}] of this course",
            )
        slots.setdefault(slot, lesson_index)
        teacher = lesson.get("teacher")
        if teacher is not None and teacher not in checker.teachers:
            checker.add(path + ("teacher",), f"unknown teacher {show(teacher)}")
        if lesson.get("replacement"):
            if teacher is None:
                checker.add(path + ("replacement",), "a replacement lesson must name the teacher who gave it")
            elif teacher == course["teacher"]:
                checker.add(
                    path + ("teacher",), "a replacement lesson must be given by another teacher than the course's"
                )
        checker.lessons[lesson["id"]] = _Lesson(
            course["id"], _class_name(klass), subject, day, bool(lesson.get("cancelled"))
        )


def _check_course_records(checker: _Checker, base: Path, course: dict[str, Any], klass: dict[str, Any]) -> None:
    if course["subject"] not in checker.subjects:
        checker.add(base + ("subject",), f"unknown subject {show(course['subject'])}")
    if course["teacher"] not in checker.teachers:
        checker.add(base + ("teacher",), f"unknown teacher {show(course['teacher'])}")
    grading = course["grading"]
    course_periods = _check_course_periods(checker, base, course)
    members, spans = _check_subgroup(checker, base, course, klass)
    check_student = _StudentCheck(checker, klass, members, spans)
    scale = course.get("scale", "5")
    if scale != "5" and grading != "marks":
        checker.add(base + ("scale",), f"only a course marked with marks has a {scale}-point scale")

    current = CURRENT_VALUES[grading]
    for index, mark in enumerate(course["marks"]):
        path = base + ("marks", index)
        day = _check_lesson_ref(checker, path, mark["lesson"], course["id"], "a mark")
        check_student(path, mark["student"], day)
        if "value" not in mark:
            if not mark.get("point"):
                checker.add(path + ("value",), "missing (a mark has a value unless it is a «точка», point: true)")
        elif mark["value"] not in current:
            checker.add(path + ("value",), _value_problem(mark["value"], grading, current))
        _check_raw(checker, path, mark, grading, scale, ())
        if "point_date" in mark:
            if not mark.get("point"):
                checker.add(path + ("point_date",), "a date by which to clear a debt is given only with point: true")
            checker.day(path + ("point_date",), mark["point_date"])
        work_type = mark.get("work_type")
        if work_type is not None and work_type not in checker.work_types:
            checker.add(path + ("work_type",), f"unknown work type {show(work_type)}")

    absent: dict[tuple[str, str], int] = {}
    for index, absence in enumerate(course["absences"]):
        path = base + ("absences", index)
        day = _check_lesson_ref(checker, path, absence["lesson"], course["id"], "an absence")
        check_student(path, absence["student"], day)
        key = (absence["student"], absence["lesson"])
        if key in absent:
            checker.add(path, f"the student's absence from this lesson is already absences[{absent[key]}]")
        absent.setdefault(key, index)

    results = RESULT_VALUES[grading]
    given: dict[tuple[str, str], int] = {}
    for index, mark in enumerate(course["period_marks"]):
        path = base + ("period_marks", index)
        period = checker.periods.get(mark["period"])
        if period is None:
            checker.add(path + ("period",), f"unknown period {show(mark['period'])}")
        elif mark["period"] not in course_periods:
            listed = ", ".join(course["periods"]) or "none"
            checker.add(
                path + ("period",),
                f"the course is not graded for period {show(mark['period'])} (its periods: {listed})",
            )
        check_student(path, mark["student"], None, period)
        if mark["value"] not in results:
            checker.add(path + ("value",), _value_problem(mark["value"], grading, results))
        _check_raw(checker, path, mark, grading, scale, results)
        key = (mark["student"], mark["period"])
        if key in given:
            checker.add(path, f"the student already has a mark for this period at period_marks[{given[key]}]")
        given.setdefault(key, index)

    finals: dict[tuple[str, str], int] = {}
    for index, mark in enumerate(course.get("final_marks", [])):
        path = base + ("final_marks", index)
        check_student(path, mark["student"], None)
        if mark["value"] not in results:
            checker.add(path + ("value",), _value_problem(mark["value"], grading, results))
        _check_raw(checker, path, mark, grading, scale, results)
        key = (mark["student"], mark["kind"])
        if key in finals:
            checker.add(path, f"the student already has a {mark['kind']} mark at final_marks[{finals[key]}]")
        finals.setdefault(key, index)


def _check_course_periods(checker: _Checker, base: Path, course: dict[str, Any]) -> set[str]:
    listed: set[str] = set()
    for index, ident in enumerate(course["periods"]):
        path = base + ("periods", index)
        if ident not in checker.periods:
            checker.add(path, f"unknown period {show(ident)}")
        elif ident in listed:
            checker.add(path, f"period {show(ident)} is listed twice")
        listed.add(ident)
    if course["grading"] == "none" and course["periods"]:
        checker.add(base + ("periods",), "an ungraded course (grading 'none') has no reporting periods")
    return listed


def _check_raw(
    checker: _Checker, path: Path, mark: dict[str, Any], grading: str, course_scale: str, words: tuple[str, ...]
) -> None:
    """A mark's verbatim value against its scale, and its scale against the course's.

    `words` are the results a period or final mark may be written as on any scale («осв», «н/а»)."""
    scale = mark.get("scale")
    expected = "pass_fail" if grading == "pass_fail" else course_scale
    if scale is not None and scale != expected and not (grading == "marks" and scale == "pass_fail"):
        wanted = "pass/fail" if expected == "pass_fail" else f"{expected}-point"
        checker.add(path + ("scale",), f"a mark on scale {show(scale)} in a course marked {wanted}")
        return
    raw = mark.get("raw")
    if raw is None or raw in words:
        return
    form = RAW_FORMS.get(scale or expected)
    if form is not None and not form.fullmatch(raw):
        checker.add(path + ("raw",), f"{show(raw)} is not a mark on {SCALE_NAMES[scale or expected]}")


def _check_subgroup(
    checker: _Checker, base: Path, course: dict[str, Any], klass: dict[str, Any]
) -> tuple[set[str] | None, dict[str, list[tuple[date | None, date | None]]]]:
    subgroup = course.get("subgroup")
    spans: dict[str, list[tuple[date | None, date | None]]] = {}
    if subgroup is None:
        return None, spans
    members: set[str] = set()
    for index, ident in enumerate(subgroup["students"]):
        path = base + ("subgroup", "students", index)
        student = checker.students.get(ident)
        if student is None:
            checker.add(path, f"unknown student {show(ident)}")
        elif student.class_id != klass["id"]:
            checker.add(path, f"student {show(ident)} is in class {student.class_name}, not {_class_name(klass)}")
        elif ident in members:
            checker.add(path, f"student {show(ident)} is listed twice")
        members.add(ident)
    for index, membership in enumerate(subgroup.get("memberships", [])):
        path = base + ("subgroup", "memberships", index)
        if membership["student"] not in members:
            checker.add(path + ("student",), f"student {show(membership['student'])} is not in the subgroup's students")
            continue
        start = checker.day(path + ("from",), membership["from"]) if "from" in membership else None
        end = checker.day(path + ("to",), membership["to"]) if "to" in membership else None
        if start and end and end < start:
            checker.add(
                path + ("to",), f"the membership ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
        spans.setdefault(membership["student"], []).append((start, end))
    return members, spans


def _check_lesson_ref(checker: _Checker, path: Path, ident: str, course_id: str, what: str) -> date | None:
    lesson = checker.lessons.get(ident)
    if lesson is None:
        checker.add(path + ("lesson",), f"unknown lesson {show(ident)}")
        return None
    if lesson.course_id != course_id:
        checker.add(
            path + ("lesson",),
            f"lesson {show(ident)} belongs to another course ({lesson.subject}, {lesson.class_name}, "
            f"course {show(lesson.course_id)})",
        )
        return None
    if lesson.cancelled:
        checker.add(path + ("lesson",), f"{what} on lesson {show(ident)}, which was cancelled")
    return lesson.day


@dataclass
class _StudentCheck:
    """Checks that a record's student belongs to the class (and subgroup) when the record applies."""

    checker: _Checker
    klass: dict[str, Any]
    members: set[str] | None
    spans: dict[str, list[tuple[date | None, date | None]]] = field(default_factory=dict)

    def __call__(self, path: Path, ident: str, day: date | None, period: _Period | None = None) -> None:
        student = self.checker.students.get(ident)
        where = path + ("student",)
        if student is None:
            self.checker.add(where, f"unknown student {show(ident)}")
            return
        if student.class_id != self.klass["id"]:
            self.checker.add(
                where, f"student {show(ident)} is in class {student.class_name}, not {_class_name(self.klass)}"
            )
            return
        if self.members is not None and ident not in self.members:
            self.checker.add(where, f"student {show(ident)} is not in this course's subgroup")
            return
        spans = self.spans.get(ident)
        if day is not None and spans and not any((a is None or a <= day) and (b is None or day <= b) for a, b in spans):
            self.checker.add(where, f"student {show(ident)} was not in this course's subgroup on {day.isoformat()}")
            return
        if day is not None and not _enrolled_on(student, day):
            self.checker.add(
                where, f"student {show(ident)} was not in the class on {day.isoformat()} ({_stay(student)})"
            )
        if period is not None and period.start and period.end and not _enrolled_during(student, period):
            self.checker.add(
                where,
                f"student {show(ident)} was not in the class during the period "
                f"{period.start.isoformat()} – {period.end.isoformat()} ({_stay(student)})",
            )


def _enrolled_on(student: _Student, day: date) -> bool:
    if student.enrolled and day < student.enrolled:
        return False
    return not (student.left and day > student.left)


def _enrolled_during(student: _Student, period: _Period) -> bool:
    assert period.start and period.end
    if student.enrolled and student.enrolled > period.end:
        return False
    return not (student.left and student.left < period.start)


def _stay(student: _Student) -> str:
    since = f"enrolled {student.enrolled.isoformat()}" if student.enrolled else "enrolled"
    return f"{since}, left {student.left.isoformat()}" if student.left else since


def _value_problem(value: str, grading: str, allowed: tuple[str, ...]) -> str:
    if not allowed:
        return f"{show(value)}: {GRADING_NAMES[grading]} takes no marks"
    return f"{show(value)} is not allowed for {GRADING_NAMES[grading]} (allowed: {', '.join(allowed)})"

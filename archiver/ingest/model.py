"""The journal domain: frozen values built from a validated export document.

References between records are resolved here once (a course holds its `Subject` and `Teacher`, a lesson
its teacher), so that the document stage never looks anything up by id again. Marks, absences and
period marks keep ids: they are many, and the documents index them per course.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

PeriodKind = Literal["quarter", "trimester", "half_year", "year"]
Grading = Literal["marks", "pass_fail", "none"]
AbsenceReason = Literal["н", "б", "у", "оп"]
Scale = Literal["5", "10", "100", "pass_fail"]
LATE = "оп"  # lateness: recorded with the absences, but the student was at the lesson
FinalKind = Literal["exam", "final"]


@dataclass(frozen=True, slots=True)
class Person:
    last_name: str
    first_name: str
    middle_name: str | None = None

    @property
    def full_name(self) -> str:
        """«Иванов Иван Иванович»."""
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        """«Иванов И. И.», as signatures and journal headers print it."""
        initials = " ".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}"


@dataclass(frozen=True, slots=True)
class Teacher(Person):
    id: str = ""
    position: str | None = None


@dataclass(frozen=True, slots=True)
class Director(Person):
    position: str = "Директор"


@dataclass(frozen=True, slots=True)
class School:
    id: str
    name: str
    short_name: str
    address: str | None
    director: Director
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class AcademicYear:
    id: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Period:
    id: str
    kind: PeriodKind
    number: int
    name: str
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class WorkType:
    id: str
    code: str
    title: str
    weight: float


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    name: str
    short_name: str


@dataclass(frozen=True, slots=True)
class Student(Person):
    id: str = ""
    sex: Literal["m", "f"] | None = None
    enrolled: date = date.min
    left: date | None = None

    def enrolled_on(self, day: date) -> bool:
        return self.enrolled <= day and (self.left is None or day <= self.left)

    def enrolled_during(self, start: date, end: date) -> bool:
        return self.enrolled <= end and (self.left is None or self.left >= start)

    def joined_after(self, year_start: date) -> bool:
        """Whether the student came to the class after the academic year began («прибыл(а)»)."""
        return self.enrolled > year_start


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    date: date
    number: int
    teacher: Teacher
    topic: str = ""
    homework: str = ""
    replacement: bool = False
    cancelled: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Mark:
    """A current mark: `value` on the 5-point scale (or зач/незач), `raw` as the platform wrote it."""

    student_id: str
    lesson_id: str
    value: str | None  # None only for a «точка» that carries no mark yet
    work_type_id: str | None = None
    raw: str | None = None
    scale: Scale | None = None
    weight: float | None = None  # the mark's own weight, when the platform gives one per mark
    counts: bool = True  # False when the mark does not count in the average
    point: bool = False  # a «точка»: the student owes this work
    point_date: date | None = None

    @property
    def shown(self) -> str:
        """What the journal's cell shows for the mark itself: the verbatim value, else the normalised one."""
        return self.raw or self.value or ""


@dataclass(frozen=True, slots=True)
class Absence:
    student_id: str
    lesson_id: str
    reason: AbsenceReason


@dataclass(frozen=True, slots=True)
class PeriodMark:
    student_id: str
    period_id: str
    value: str
    raw: str | None = None
    scale: Scale | None = None

    @property
    def shown(self) -> str:
        return self.raw or self.value


@dataclass(frozen=True, slots=True)
class FinalMark:
    student_id: str
    kind: FinalKind
    value: str
    raw: str | None = None
    scale: Scale | None = None

    @property
    def shown(self) -> str:
        return self.raw or self.value


@dataclass(frozen=True, slots=True)
class Membership:
    """Days a student was in a subgroup: from `start` to `end` inclusive (open where None)."""

    student_id: str
    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Subgroup:
    name: str
    student_ids: tuple[str, ...]
    memberships: tuple[Membership, ...] = ()

    def member_on(self, student_id: str, day: date) -> bool:
        """Whether the student was in the subgroup that day (a student without spans: all year)."""
        if student_id not in self.student_ids:
            return False
        spans = [m for m in self.memberships if m.student_id == student_id]
        return not spans or any(m.covers(day) for m in spans)


@dataclass(frozen=True, slots=True)
class Course:
    id: str
    subject: Subject
    teacher: Teacher
    grading: Grading
    periods: tuple[Period, ...]
    planned_hours: int
    hours_per_week: float | None
    subgroup: Subgroup | None
    lessons: tuple[Lesson, ...]
    marks: tuple[Mark, ...]
    absences: tuple[Absence, ...]
    period_marks: tuple[PeriodMark, ...]
    final_marks: tuple[FinalMark, ...]
    scale: Literal["5", "10", "100"] = "5"

    @property
    def title(self) -> str:
        """«Английский язык (1 подгруппа)» or just the subject's name."""
        return f"{self.subject.name} ({self.subgroup.name})" if self.subgroup else self.subject.name


@dataclass(frozen=True, slots=True)
class SchoolClass:
    id: str
    grade: int
    letter: str
    profile: str | None
    homeroom_teacher: Teacher
    students: tuple[Student, ...]
    courses: tuple[Course, ...]

    @property
    def name(self) -> str:
        """«5А»."""
        return f"{self.grade}{self.letter}"

    def course_students(self, course: Course) -> tuple[Student, ...]:
        """The students a course is taught to: the whole class, or its subgroup."""
        if course.subgroup is None:
            return self.students
        members = set(course.subgroup.student_ids)
        return tuple(s for s in self.students if s.id in members)


@dataclass(frozen=True, slots=True)
class JournalExport:
    schema_version: str
    source_system: str | None
    exported_at: datetime | None
    school: School
    academic_year: AcademicYear
    periods: tuple[Period, ...]
    work_types: tuple[WorkType, ...]
    teachers: tuple[Teacher, ...]
    subjects: tuple[Subject, ...]
    classes: tuple[SchoolClass, ...]
    source_platform: str | None = None  # sgo, dnevnik, mesh: the export's ids are that platform's
    source_school_id: str | None = None

    def period(self, ident: str) -> Period:
        return next(p for p in self.periods if p.id == ident)

    def school_class(self, name: str) -> SchoolClass | None:
        """The class named like «5А» (letter case and a space or dash between are forgiven)."""
        wanted = name.replace(" ", "").replace("-", "").upper()
        return next((c for c in self.classes if c.name.upper() == wanted), None)

    @property
    def work_types_by_id(self) -> Mapping[str, WorkType]:
        return MappingProxyType({w.id: w for w in self.work_types})


def build_export(document: dict[str, Any]) -> JournalExport:
    """The domain model of an export that has passed validation (see archiver.ingest.validation)."""
    teachers = tuple(_teacher(t) for t in document["teachers"])
    teacher_by_id = {t.id: t for t in teachers}
    subjects = tuple(Subject(s["id"], s["name"], s.get("short_name", s["name"])) for s in document["subjects"])
    subject_by_id = {s.id: s for s in subjects}
    periods = tuple(
        Period(p["id"], p["kind"], p["number"], p["name"], _day(p["start"]), _day(p["end"]))
        for p in document["periods"]
    )
    period_by_id = {p.id: p for p in periods}
    school = document["school"]
    director = school["director"]
    source = document.get("source") or {}
    year = document["academic_year"]
    return JournalExport(
        schema_version=document["schema_version"],
        source_system=source.get("system"),
        exported_at=datetime.fromisoformat(source["exported_at"]) if source.get("exported_at") else None,
        school=School(
            id=school["id"],
            name=school["name"],
            short_name=school.get("short_name", school["name"]),
            address=school.get("address"),
            director=Director(
                director["last_name"],
                director["first_name"],
                director.get("middle_name"),
                director.get("position", "Директор"),
            ),
            timezone=school.get("timezone"),
        ),
        academic_year=AcademicYear(year["id"], _day(year["start"]), _day(year["end"])),
        periods=periods,
        work_types=tuple(WorkType(w["id"], w["code"], w["title"], float(w["weight"])) for w in document["work_types"]),
        teachers=teachers,
        subjects=subjects,
        classes=tuple(_school_class(c, teacher_by_id, subject_by_id, period_by_id) for c in document["classes"]),
        source_platform=source.get("platform"),
        source_school_id=source.get("school_id"),
    )


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _teacher(record: dict[str, Any]) -> Teacher:
    return Teacher(
        record["last_name"], record["first_name"], record.get("middle_name"), record["id"], record.get("position")
    )


def _school_class(
    record: dict[str, Any],
    teachers: dict[str, Teacher],
    subjects: dict[str, Subject],
    periods: dict[str, Period],
) -> SchoolClass:
    students = tuple(
        Student(
            s["last_name"],
            s["first_name"],
            s.get("middle_name"),
            s["id"],
            s.get("sex"),
            _day(s["enrolled"]),
            _day(s["left"]) if s.get("left") else None,
        )
        for s in record["students"]
    )
    return SchoolClass(
        id=record["id"],
        grade=record["grade"],
        letter=record["letter"],
        profile=record.get("profile"),
        homeroom_teacher=teachers[record["homeroom_teacher"]],
        students=students,
        courses=tuple(_course(c, teachers, subjects, periods) for c in record["courses"]),
    )


def _course(
    record: dict[str, Any],
    teachers: dict[str, Teacher],
    subjects: dict[str, Subject],
    periods: dict[str, Period],
) -> Course:
    teacher = teachers[record["teacher"]]
    subgroup = record.get("subgroup")
    return Course(
        id=record["id"],
        subject=subjects[record["subject"]],
        teacher=teacher,
        grading=record["grading"],
        periods=tuple(periods[p] for p in record["periods"]),
        planned_hours=record["planned_hours"],
        hours_per_week=record.get("hours_per_week"),
        subgroup=_subgroup(subgroup) if subgroup else None,
        scale=record.get("scale", "5"),
        lessons=tuple(
            Lesson(
                id=lesson["id"],
                date=_day(lesson["date"]),
                number=lesson["number"],
                teacher=teachers[lesson["teacher"]] if lesson.get("teacher") else teacher,
                topic=lesson.get("topic", ""),
                homework=lesson.get("homework", ""),
                replacement=lesson.get("replacement", False),
                cancelled=lesson.get("cancelled", False),
                note=lesson.get("note"),
            )
            for lesson in record["lessons"]
        ),
        marks=tuple(_mark(m) for m in record["marks"]),
        absences=tuple(Absence(a["student"], a["lesson"], a["reason"]) for a in record["absences"]),
        period_marks=tuple(
            PeriodMark(m["student"], m["period"], m["value"], m.get("raw"), m.get("scale"))
            for m in record["period_marks"]
        ),
        final_marks=tuple(
            FinalMark(m["student"], m["kind"], m["value"], m.get("raw"), m.get("scale"))
            for m in record.get("final_marks", [])
        ),
    )


def _subgroup(record: dict[str, Any]) -> Subgroup:
    memberships = tuple(
        Membership(m["student"], _day(m["from"]) if m.get("from") else None, _day(m["to"]) if m.get("to") else None)
        for m in record.get("memberships", [])
    )
    return Subgroup(record["name"], tuple(record["students"]), memberships)


def _mark(record: dict[str, Any]) -> Mark:
    return Mark(
        student_id=record["student"],
        lesson_id=record["lesson"],
        value=record.get("value"),
        work_type_id=record.get("work_type"),
        raw=record.get("raw"),
        scale=record.get("scale"),
        weight=float(record["weight"]) if record.get("weight") is not None else None,
        counts=record.get("counts", True),
        point=record.get("point", False),
        point_date=_day(record["point_date"]) if record.get("point_date") else None,
    )

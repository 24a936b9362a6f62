"""МЭШ, regional «Моя школа» and ЭПОС.Школа (one code base): the teacher routes' JSON, class by class.

The source directory (each file one response, verbatim; a paged route's pages are files of one folder,
read in name order; `archiver fetch --from mesh` writes it):

    card.json                                   the school's additions (optional; see draft.py)
    fetch.json                                  what was fetched and when (optional)
    school.json                                 GET /api/family/mobile/v1/school_info (optional: name, principal)
    teacher-profiles/*.json                     GET /api/ej/core/teacher/v1/teacher_profiles (names, homerooms)
    control-forms/*.json                        GET /api/ej/core/teacher/v1/control_forms (kinds of work; optional)
    classes/{unit}/class-unit.json              GET /api/ej/core/teacher/v1/class_units/{unit}
    classes/{unit}/student-profiles/*.json      GET …/student_profiles?class_unit_ids=&with_groups=true
                                                &with_final_marks=true
    classes/{unit}/groups/*.json                GET /api/ej/plan/teacher/v1/groups?class_unit_ids=
                                                &with_teacher_loads=true
    classes/{unit}/attestation-periods/*.json   GET …/attestation_periods_schedules/{id}
    classes/{unit}/schedule-items/*.json        GET /api/ej/plan/teacher/v1/schedule_items?class_unit_id=&from=&to=
    classes/{unit}/marks/*.json                 GET /api/ej/core/teacher/v1/marks?group_ids=
                                                &with_non_numeric_entries=true
    classes/{unit}/attendances/*.json           GET /api/ej/core/teacher/v1/attendances?group_ids=&start_at=&stop_at=

A mark carries its value on the 5-, 10- and 100-point scales (`values[].grade`); the 5-point one is the
export's value, the text the teacher gave (`name`) its verbatim value. With `with_non_numeric_entries`
the marks list also holds attendance codes («н», «б», «уп», «оп»); they become absences. The attendance
route's reason ids have no public table: each row is an absence «н» unless card.json maps its
`absence_reason_id` (`"absence_reasons": {"2": "б"}`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver.ingest.importers.draft import (
    Card,
    CourseDraft,
    Draft,
    PeriodSpan,
    class_name_parts,
    five_point,
    read_card,
    read_classes,
    result_value,
    split_name,
    usual_weights,
)
from archiver.ingest.importers.saved import (
    At,
    Saved,
    arr,
    day,
    day_field,
    each,
    flag,
    has,
    id_field,
    integer,
    number,
    obj,
    text,
)
from archiver.ingest.limits import InputLimits

SCALES = {"five": "5", "ten": "10", "hundred": "100"}
CODES = {"н": "н", "б": "б", "уп": "у", "у": "у", "оп": "оп"}
PERIOD_KINDS = (("четверт", "quarter"), ("триместр", "trimester"), ("полугод", "half_year"), ("семестр", "half_year"))
SEX = {"male": "m", "female": "f", "m": "m", "f": "f"}


@dataclass
class _Group(CourseDraft):
    periods: dict[str, str] = field(default_factory=dict)  # attestation period id → the export's period id


class MeshImporter:
    """Reads a directory of saved МЭШ / «Моя школа» teacher-route responses."""

    name = "mesh"
    description = "МЭШ, «Моя школа», ЭПОС.Школа: a directory of saved teacher-route responses"

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]:
        saved = Saved(path, limits, "МЭШ")
        return _Reader(saved, read_card(saved)).document()


class _Reader:
    def __init__(self, saved: Saved, card: Card) -> None:
        self.saved = saved
        self.draft = Draft("mesh", "МЭШ / «Моя школа»", card)
        self.names: dict[str, dict[str, str]] = {}  # teacher profile id → names
        self.homerooms: dict[str, str] = {}  # class unit → teacher profile id
        self.forms: dict[str, tuple[str, str, float]] = {}  # control form id → (code, title, weight)
        self._seen: dict[str, dict[str, Any]] = {}  # each schedule item as first read

    def document(self) -> dict[str, Any]:
        found = self._school()
        self._teachers()
        self._forms()
        read_classes(self, self.saved.directories("classes"))
        if not self.draft.classes:
            At(str(self.saved.root / "classes")).fail("no class directory (classes/{unit}/)")
        marks = [m for k in self.draft.classes for c in k["courses"] for m in c["marks"]]
        usual = usual_weights([(m["work_type"], m["weight"]) for m in marks if "work_type" in m and "weight" in m])
        used = {m.get("work_type") for m in marks}
        for ident_, (code, title, weight) in self.forms.items():
            if ident_ in used:
                self.draft.work_type(ident_, code, title, weight or usual.get(ident_, 1.0))
        for mark in marks:  # a mark keeps its own weight only where its kind of work has another
            work_type = self.draft.work_types.get(mark.get("work_type", ""))
            if "weight" in mark and (mark["weight"] == (work_type["weight"] if work_type else 1.0)):
                mark.pop("weight")
        fetched = None
        if self.saved.exists("fetch.json"):
            data, at = self.saved.json("fetch.json")
            fetched = text(obj(data, at), "fetched_at", at, optional=True)
        return self.draft.document(found, At(str(self.saved.root)), fetched)

    def read_class(self, unit: str) -> dict[str, Any]:
        return self._class(unit)

    def _school(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if not self.saved.exists("school.json"):
            return found
        data, at = self.saved.json("school.json")
        record = obj(data, at)
        self.draft.school_id = id_field(record, "id", at, optional=True)
        name = text(record, "name", at, optional=True)
        if name:
            found["name"] = name
        short = text(record, "short_name", at, optional=True)
        if short:
            found["short_name"] = short
        principal = text(record, "principal", at, optional=True)
        if principal:
            found["director"] = split_name(principal, at / "principal")
        address = record.get("address")
        if isinstance(address, dict):
            line = text(address, "address", at / "address", optional=True)
            if line:
                found["address"] = line
        return found

    def _teachers(self) -> None:
        pages = self._pages("teacher-profiles")
        if not pages:
            At(str(self.saved.root / "teacher-profiles")).fail("no saved teacher profiles (teacher-profiles/*.json)")
        for record, where in pages:
            ident_ = id_field(record, "id", where)
            assert ident_ is not None
            if record.get("last_name"):
                names = {"last_name": text(record, "last_name", where), "first_name": text(record, "first_name", where)}
                middle = text(record, "middle_name", where, optional=True)
                if middle:
                    names["middle_name"] = middle
                self.names[ident_] = names  # type: ignore[assignment]
            else:
                self.names[ident_] = split_name(text(record, "name", where) or "", where / "name")
            for unit in arr(record.get("managed_class_unit_ids") or [], where / "managed_class_unit_ids"):
                self.homerooms[str(unit)] = ident_

    def _forms(self) -> None:
        for record, where in self._pages("control-forms"):
            ident_ = id_field(record, "id", where)
            title = text(record, "name", where)
            assert ident_ is not None and title is not None
            code = text(record, "short_name", where, optional=True) or title[:6]
            self.forms[ident_] = (code, title, number(record, "weight", where, optional=True) or 0.0)

    def _teacher(self, ident_: str, at: At) -> str:
        if ident_ not in self.names:
            at.fail(f"teacher {ident_} is not among the saved teacher profiles")
        return self.draft.teacher(ident_, self.names[ident_])

    def _pages(self, folder: str) -> list[tuple[dict[str, Any], At]]:
        """The records of a paged route: every page file's array, in name order."""
        out: list[tuple[dict[str, Any], At]] = []
        for relative in self.saved.files(folder, ".json"):
            data, at = self.saved.json(relative)
            out.extend(each(data, at))
        return out

    def _class(self, unit: str) -> dict[str, Any]:
        base = f"classes/{unit}"
        data, at = self.saved.json(f"{base}/class-unit.json")
        record = obj(data, at)
        found_id = id_field(record, "id", at)
        if found_id != unit:
            (at / "id").fail(f"the class unit is {found_id}, but its directory is {base}")
        name = text(record, "name", at)
        assert name is not None
        grade, letter = class_name_parts(name, at / "name")
        periods = self._periods(base)
        courses = self._groups(base, periods)
        students = self._students(base, courses)
        lessons = self._lessons(base, courses)
        self._marks(base, students, lessons)
        self._attendance(base, students, lessons)
        if unit in self.homerooms:
            homeroom = self._teacher(self.homerooms[unit], at)
        elif unit in self.draft.card.homeroom:
            homeroom = self._teacher(self.draft.card.homeroom[unit], at)
        else:
            at.fail("the class's homeroom teacher is unknown: no teacher profile manages this class unit")
        return {
            "id": unit,
            "grade": grade,
            "letter": letter,
            "homeroom_teacher": homeroom,
            "students": [{**s, **self.draft.enrolment(s["id"])} for s in students.values()],
            "courses": [
                self.draft.course(c, sorted(set(c.periods.values())) + ["year"])
                for c in sorted(courses.values(), key=lambda c: c.id)
            ],
        }

    def _periods(self, base: str) -> dict[str, dict[str, str]]:
        """Each attestation schedule's periods: schedule id → (period id → the export's period id)."""
        schedules: dict[str, dict[str, str]] = {}
        for relative in self.saved.files(f"{base}/attestation-periods", ".json"):
            data, at = self.saved.json(relative)
            record = obj(data, at)
            schedule = id_field(record, "id", at)
            assert schedule is not None
            periods = schedules.setdefault(schedule, {})
            for period, where in each(has(record, "periods", at), at / "periods"):
                ident_ = id_field(period, "id", where)
                name = text(period, "name", where)
                assert ident_ is not None and name is not None
                kind = next((k for stem, k in PERIOD_KINDS if stem in name.lower()), None)
                if kind is None:
                    (where / "name").fail(f"{name!r} is not a quarter, trimester or half-year")
                start = day_field(period, "begin_date", where)
                end = day_field(period, "end_date", where)
                assert start is not None and end is not None
                periods[ident_] = self.draft.period(PeriodSpan(kind, start, end, _period_name(name, kind)))
        return schedules

    def _groups(self, base: str, schedules: dict[str, dict[str, str]]) -> dict[str, _Group]:
        courses = {}
        for record, where in self._pages(f"{base}/groups"):
            ident_ = id_field(record, "id", where)
            subject = id_field(record, "subject_id", where)
            subject_name = text(record, "subject_name", where)
            assert ident_ is not None and subject is not None and subject_name is not None
            self.draft.subject(subject, subject_name)
            teachers = list(each(record.get("teachers") or [], where / "teachers"))
            if not teachers:
                (where / "teachers").fail("a group without its teacher (fetch with with_teacher_loads=true)")
            teacher_record, teacher_at = teachers[0]
            teacher_id = id_field(teacher_record, "id", teacher_at)
            assert teacher_id is not None
            if teacher_id not in self.names:
                self.names[teacher_id] = {
                    "last_name": text(teacher_record, "last_name", teacher_at) or "",
                    "first_name": text(teacher_record, "first_name", teacher_at) or "",
                }
                middle = text(teacher_record, "middle_name", teacher_at, optional=True)
                if middle:
                    self.names[teacher_id]["middle_name"] = middle
            teacher = self._teacher(teacher_id, teacher_at)
            schedule = id_field(record, "attestation_periods_schedule_id", where, optional=True)
            if schedule is not None and schedule not in schedules:
                (where / "attestation_periods_schedule_id").fail(
                    f"attestation schedule {schedule} is not saved ({base}/attestation-periods/)"
                )
            subgroup = text(record, "name", where) if flag(record, "is_subgroup", where) else None
            courses[ident_] = _Group(ident_, subject, teacher, subgroup, periods=schedules.get(schedule or "", {}))
        return courses

    def _students(self, base: str, courses: dict[str, _Group]) -> dict[str, dict[str, Any]]:
        students: dict[str, dict[str, Any]] = {}
        finals: list[tuple[str, dict[str, Any], At]] = []
        for record, where in self._pages(f"{base}/student-profiles"):
            ident_ = id_field(record, "id", where)
            assert ident_ is not None
            student: dict[str, Any] = {"id": ident_, "last_name": text(record, "last_name", where),
                                       "first_name": text(record, "first_name", where)}  # fmt: skip
            middle = text(record, "middle_name", where, optional=True)
            if middle:
                student["middle_name"] = middle
            sex = str(record.get("sex") or "").lower()
            if sex in SEX:
                student["sex"] = SEX[sex]
            students[ident_] = student
            for group, group_at in each(record.get("groups") or [], where / "groups"):
                group_id = id_field(group, "id", group_at)
                if group_id in courses:
                    courses[group_id].members.add(ident_)
            finals.extend(
                (ident_, mark, mark_at)
                for mark, mark_at in each(record.get("final_marks") or [], where / "final_marks")
            )
        for course in courses.values():
            if course.subgroup is None:
                course.members = set(students)
        for owner, final, final_at in finals:
            self._final(owner, final, final_at, courses)
        return students

    def _final(self, student: str, record: dict[str, Any], at: At, courses: dict[str, _Group]) -> None:
        subject = id_field(record, "subject_id", at)
        course = next((c for c in courses.values() if c.subject == subject and student in c.members), None)
        if course is None:
            (at / "subject_id").fail(f"the student has no group of subject {subject}")
        raw = _final_value(record, at)
        if raw is None:
            return  # a final mark row without a value (no_mark)
        value = result_value(raw, "5")
        if value is None:
            (at / "value").fail(f"{raw!r} is not a period or final mark")
        entry: dict[str, Any] = {"student": student, "value": value}
        if raw != value:
            entry["raw"] = raw
        if record.get("mark_type") == "attestation":
            course.final_marks.append({**entry, "kind": "final"})
        elif record.get("mark_type") == "exam" or flag(record, "is_exam", at):
            course.final_marks.append({**entry, "kind": "exam"})
        elif flag(record, "is_year_mark", at) or flag(record, "year_mark", at):
            course.period_marks.append({**entry, "period": "year"})
        else:
            period = id_field(record, "attestation_period_id", at)
            if period not in course.periods:
                (at / "attestation_period_id").fail(f"period {period} is not in the group's attestation schedule")
            course.period_marks.append({**entry, "period": course.periods[period or ""]})

    def _lessons(self, base: str, courses: dict[str, _Group]) -> dict[str, tuple[_Group, At]]:
        lessons: dict[str, tuple[_Group, At]] = {}
        for record, where in self._pages(f"{base}/schedule-items"):
            ident_ = id_field(record, "id", where)
            group = id_field(record, "group_id", where)
            assert ident_ is not None and group is not None
            if ident_ in lessons:
                if record != self._seen[ident_]:
                    where.fail(f"schedule item {ident_} was saved twice, differently (also at {lessons[ident_][1]})")
                continue  # a lesson on two overlapping pages, the same
            if group not in courses:
                (where / "group_id").fail(f"group {group} is not among the class's groups")
            course = courses[group]
            when = record.get("date") if record.get("date") is not None else has(record, "iso_date_time", where)
            lesson_day = day(when, where / ("date" if record.get("date") is not None else "iso_date_time"))
            number_ = integer(record, "study_ordinal", where)
            assert number_ is not None
            lesson: dict[str, Any] = {"id": ident_, "date": lesson_day.isoformat(), "number": number_}
            topic = text(record, "topic_name", where, optional=True) or text(
                record, "lesson_name", where, optional=True
            )
            if topic:
                lesson["topic"] = topic
            teacher = id_field(record, "teacher_id", where, optional=True)
            if teacher is not None and teacher != course.teacher:
                lesson["teacher"] = self._teacher(teacher, where / "teacher_id")
                if flag(record, "replaced", where):
                    lesson["replacement"] = True
            if flag(record, "cancelled", where):
                lesson["cancelled"] = True
            course.lessons[ident_] = lesson
            lessons[ident_] = (course, where)
            self._seen[ident_] = record
        return lessons

    def _marks(self, base: str, students: dict[str, Any], lessons: dict[str, tuple[_Group, At]]) -> None:
        for record, where in self._pages(f"{base}/marks"):
            student = id_field(record, "student_profile_id", where)
            lesson = id_field(record, "schedule_lesson_id", where)
            assert student is not None and lesson is not None
            if lesson not in lessons:
                (where / "schedule_lesson_id").fail(f"unknown lesson {lesson} (not in {base}/schedule-items/)")
            course, _ = lessons[lesson]
            if student not in students:
                (where / "student_profile_id").fail(f"student {student} is not in the class")
            if student not in course.members:
                (where / "student_profile_id").fail(f"student {student} is not in group {course.id}")
            name = text(record, "name", where, optional=True) or text(record, "value", where)
            assert name is not None
            if name.lower() in CODES:  # an attendance code among the marks (with_non_numeric_entries)
                course.absence(student, lesson, CODES[name.lower()])
                continue
            mark: dict[str, Any] = {"student": student, "lesson": lesson, **_value(record, name, where)}
            form = id_field(record, "control_form_id", where, optional=True)
            if form is not None:
                if form not in self.forms:
                    (where / "control_form_id").fail(f"unknown control form {form} (not in control-forms/)")
                mark["work_type"] = form
            weight = number(record, "weight", where, optional=True)
            if weight:
                mark["weight"] = weight
            if flag(record, "is_point", where):
                mark["point"] = True
                due = day_field(record, "point_date", where, optional=True)
                if due:
                    mark["point_date"] = due.isoformat()
            course.mark(mark)

    def _attendance(self, base: str, students: dict[str, Any], lessons: dict[str, tuple[_Group, At]]) -> None:
        for record, where in self._pages(f"{base}/attendances"):
            student = id_field(record, "student_profile_id", where)
            lesson = id_field(record, "schedule_lesson_id", where)
            assert student is not None and lesson is not None
            if lesson not in lessons:
                (where / "schedule_lesson_id").fail(f"unknown lesson {lesson} (not in {base}/schedule-items/)")
            if student not in students:
                (where / "student_profile_id").fail(f"student {student} is not in the class")
            reason = id_field(record, "absence_reason_id", where, optional=True)
            code = self.draft.card.absence_reasons.get(reason or "", "н")
            lessons[lesson][0].absence(student, lesson, code)


def _period_name(name: str, kind: str) -> str:
    return name[:1].upper() + name[1:]


def _value(record: dict[str, Any], name: str, at: At) -> dict[str, Any]:
    """A mark's 5-point value and verbatim text from `values[0].grade` (five, ten, hundred), else its name."""
    values = arr(record.get("values") or [], at / "values")
    if values:
        first = obj(values[0], at / "values" / 0)
        grade = obj(has(first, "grade", at / "values" / 0), at / "values" / 0 / "grade")
        system = text(first, "grade_system_type", at / "values" / 0, optional=True) or "five"
        if system not in SCALES:
            (at / "values" / 0 / "grade_system_type").fail(f"{system!r} is not a grade system this importer knows")
        five = number(grade, "five", at / "values" / 0 / "grade", optional=True)
        if five is None or not 1 <= five <= 5:
            (at / "values" / 0 / "grade" / "five").fail("a mark's 5-point value must be from 1 to 5")
        return {"value": str(int(five + 0.5)), "raw": name, "scale": SCALES[system]}
    value = five_point(name, "5")
    if value is None:
        (at / "name").fail(f"{name!r} is not a mark (and the mark has no values[].grade)")
    out: dict[str, Any] = {"value": value}
    if name != value:
        out.update(raw=name, scale="pass_fail" if value in ("зач", "незач") else "5")
    return out


def _final_value(record: dict[str, Any], at: At) -> str | None:
    """A final mark's value, wherever a server version puts it: value (a string or {parsedValue}), mark,
    manual_value."""
    for key in ("manual_value", "value", "mark"):
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("parsedValue", value.get("value"))
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or abs(value) > 1000:
                (at / key).fail(f"{value!r} is not a mark")
            return str(int(value))
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None:
            (at / key).fail(f"expected a mark, got {value!r}")
    return None

"""Дневник.ру: the class-level partner API v2, from the responses `archiver fetch --from dnevnik` saved.

The source directory (each file one response, verbatim; `archiver fetch` writes it, and a school can
write it by hand from the same routes):

    card.json                                        the school's additions (optional; see draft.py)
    fetch.json                                       what was fetched and when (optional)
    school.json                                      GET /v2/schools/{school}
    work-types.json                                  GET /v2/work-types/{school}
    persons/{person}.json                            GET /v2/persons/{person}: the teachers lessons name
    groups/{group}/edu-group.json                    GET /v2/edu-groups/{group}: a class or a subgroup
    groups/{group}/persons.json                      GET /v2/edu-groups/{group}/persons?includeArchive=true
    groups/{group}/reporting-periods.json            GET /v2/edu-groups/{group}/reporting-periods
    groups/{group}/classteacher.json                 GET /v2/edu-groups/{group}/classteacher (optional)
    groups/{group}/lessons/{from}_{to}.json          GET /v2/edu-groups/{group}/lessons/{from}/{to}
    groups/{group}/marks/{from}_{to}.json            GET /v2/edu-groups/{group}/marks/{from}/{to}
    groups/{group}/lesson-log-entries/{from}_{to}.json   GET /v2/lesson-log-entries/group/{group}?from=&to=
    groups/{group}/final-marks/{person}.json         GET /v2/persons/{person}/edu-groups/{group}/allfinalmarks

Field names are those the public clients read (../shared/PLATFORMS.md; the note of issue #16 says which
are seen and which inferred). Ids are 64-bit numbers with `*_str` twins: the twins are read, so ids stay
exact, and they become the export's ids.
"""

from __future__ import annotations

from collections import Counter
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
)
from archiver.ingest.importers.saved import (
    At,
    Saved,
    arr,
    day_field,
    each,
    flag,
    has,
    id_field,
    ident,
    integer,
    number,
    obj,
    text,
)
from archiver.ingest.limits import InputLimits

PERIOD_KINDS = {"Quarter": "quarter", "Trimester": "trimester", "HalfYear": "half_year", "Semester": "half_year"}
MARK_SCALES = {"mark5": "5", "mark10": "10", "mark100": "100", "markpass": "pass_fail", "pass": "pass_fail"}
ATTENDANCE = {"Absent": "н", "Ill": "б", "Pass": "у", "Late": "оп", "Attend": None}
CANCELLED = {"Canceled", "Cancelled", "NotConducted"}
SEX = {"Male": "m", "Female": "f"}


@dataclass
class _Course(CourseDraft):
    group: str = ""  # the edu-group its lessons name: the class, or one of its subgroups
    teachers: Counter[str] = field(default_factory=Counter)  # who gave its lessons


class DnevnikImporter:
    """Reads a directory of saved Дневник.ру API v2 responses."""

    name = "dnevnik"
    description = "Дневник.ру: a directory of saved partner API v2 responses (archiver fetch --from dnevnik)"

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]:
        saved = Saved(path, limits, "Дневник.ру")
        return _Reader(saved, read_card(saved)).document()


class _Reader:
    def __init__(self, saved: Saved, card: Card) -> None:
        self.saved = saved
        self.draft = Draft("dnevnik", "Дневник.ру", card)
        self.persons: dict[str, dict[str, str]] = {}
        self.groups: dict[str, tuple[dict[str, Any], At]] = {}
        self._seen: dict[str, dict[str, Any]] = {}  # each lesson's record as first read

    def document(self) -> dict[str, Any]:
        school_data, school_at = self.saved.json("school.json")
        school = obj(school_data, school_at)
        self.draft.school_id = id_field(school, "id", school_at)
        found: dict[str, Any] = {"name": text(school, "fullName", school_at, optional=True)
                                 or text(school, "name", school_at)}  # fmt: skip
        short = text(school, "name", school_at, optional=True)
        if short:
            found["short_name"] = short
        offset = integer(school, "timeZone", school_at, optional=True)
        if offset is not None and -12 <= offset <= 14:
            found["timezone"] = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        self._work_types()
        self._persons()
        self.groups = self._groups()
        classes = [g for g, (record, at) in self.groups.items() if text(record, "type", at) == "Group"]
        read_classes(self, classes)
        if not self.draft.classes:
            raise_at = At(str(self.saved.root / "groups"))
            raise_at.fail("no class (an edu-group of type Group) among the saved groups")
        fetched = self._fetched_at()
        return self.draft.document(found, school_at, fetched)

    def read_class(self, group: str) -> dict[str, Any]:
        record, at = self.groups[group]
        subgroups = {g: r for g, (r, a) in self.groups.items() if group in _parents(r, a)}
        return self._class(group, record, at, subgroups)

    def _fetched_at(self) -> str | None:
        if not self.saved.exists("fetch.json"):
            return None
        data, at = self.saved.json("fetch.json")
        return text(obj(data, at), "fetched_at", at, optional=True)

    def _work_types(self) -> None:
        data, at = self.saved.json("work-types.json")
        for record, where in each(data, at):
            ident_ = id_field(record, "id", where)
            assert ident_ is not None
            title = text(record, "title", where)
            assert title is not None
            weight = number(record, "weight", where, optional=True) or 1.0
            code = text(record, "abbr", where, optional=True) or title[:6]
            self.draft.work_type(ident_, code, title, weight)

    def _persons(self) -> None:
        for relative in self.saved.files("persons", ".json"):
            data, at = self.saved.json(relative)
            record = obj(data, at)
            ident_ = id_field(record, "id", at)
            assert ident_ is not None
            if relative != f"persons/{ident_}.json":
                (at / "id").fail(f"the person is {ident_}, but the file is {relative}")
            self.persons[ident_] = _names(record, at)

    def _groups(self) -> dict[str, tuple[dict[str, Any], At]]:
        groups = {}
        for name in self.saved.directories("groups"):
            data, at = self.saved.json(f"groups/{name}/edu-group.json")
            record = obj(data, at)
            ident_ = id_field(record, "id", at)
            assert ident_ is not None
            if ident_ != name:
                (at / "id").fail(f"the group is {ident_}, but its directory is groups/{name}")
            kind = text(record, "type", at)
            if kind not in ("Group", "Subgroup"):
                (at / "type").fail(f"{kind!r} is not a group type this importer knows (Group, Subgroup)")
            groups[ident_] = (record, at)
        return groups

    def _students(self, group: str) -> dict[str, dict[str, Any]]:
        data, at = self.saved.json(f"groups/{group}/persons.json")
        students = {}
        for record, where in each(data, at):
            ident_ = id_field(record, "id", where)
            assert ident_ is not None
            student: dict[str, Any] = {"id": ident_, **_names(record, where)}
            sex = record.get("sex")
            if isinstance(sex, str) and sex in SEX:  # anything else: not stated
                student["sex"] = SEX[sex]
            students[ident_] = student
        return students

    def _periods(self, group: str) -> dict[tuple[str, int], str]:
        """The class's reporting periods, as (type, number) → the export's period id."""
        data, at = self.saved.json(f"groups/{group}/reporting-periods.json")
        found = {}
        for record, where in each(data, at):
            kind = text(record, "type", where)
            assert kind is not None
            if kind not in PERIOD_KINDS:
                (where / "type").fail(f"{kind!r} is not a period type this importer knows ({', '.join(PERIOD_KINDS)})")
            start = day_field(record, "start", where)
            end = day_field(record, "finish", where)
            assert start is not None and end is not None
            number_ = integer(record, "number", where)
            assert number_ is not None
            name = text(record, "name", where, optional=True)
            found[(kind, number_)] = self.draft.period(PeriodSpan(PERIOD_KINDS[kind], start, end, name))
        return found

    def _class(
        self, group: str, record: dict[str, Any], at: At, subgroups: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        name = text(record, "name", at)
        assert name is not None
        grade, letter = class_name_parts(name, at / "name")
        parallel = integer(record, "parallel", at, optional=True)
        if parallel is not None and parallel != grade:
            (at / "parallel").fail(f"the class {name!r} is in grade {grade}, not {parallel}")
        students = self._students(group)
        members = {sub: self._students(sub) for sub in subgroups}
        for sub, people in members.items():
            for person in people:
                if person not in students:
                    At(str(self.saved.root / f"groups/{sub}/persons.json")).fail(
                        f"person {person} of subgroup {sub} is not a student of its class {name}"
                    )
        periods = self._periods(group)
        courses, lessons = self._lessons(group, {group, *subgroups})
        self._marks(group, students, members, courses, lessons)
        self._attendance(group, students, lessons)
        self._finals(group, students, members, courses, periods)
        class_record: dict[str, Any] = {
            "id": group,
            "grade": grade,
            "letter": letter,
            "homeroom_teacher": self._homeroom(group, at),
            "students": [{**s, **self.draft.enrolment(s["id"])} for s in students.values()],
            "courses": [
                self._course(course, subgroups, members, sorted(set(periods.values())) + ["year"])
                for course in sorted(courses.values(), key=lambda c: c.id)
            ],
        }
        return class_record

    def _homeroom(self, group: str, at: At) -> str:
        relative = f"groups/{group}/classteacher.json"
        if self.saved.exists(relative):
            data, where = self.saved.json(relative)
            record = obj(data, where)
            ident_ = id_field(record, "id", where)
            assert ident_ is not None
            return self.draft.teacher(ident_, _names(record, where))
        if group in self.draft.card.homeroom:
            return self._teacher(self.draft.card.homeroom[group], at)
        at.fail(f"the class's homeroom teacher is unknown: save {relative}, or name the teacher in card.json")

    def _teacher(self, person: str, at: At) -> str:
        if person not in self.persons:
            at.fail(f"teacher {person} is not among the saved persons (persons/{person}.json)")
        return self.draft.teacher(person, self.persons[person])

    def _lessons(self, group: str, groups: set[str]) -> tuple[dict[str, _Course], dict[str, tuple[_Course, At]]]:
        courses: dict[str, _Course] = {}
        lessons: dict[str, tuple[_Course, At]] = {}
        for relative in self.saved.files(f"groups/{group}/lessons", ".json"):
            data, at = self.saved.json(relative)
            for record, where in each(data, at):
                ident_ = id_field(record, "id", where)
                assert ident_ is not None
                if ident_ in lessons:
                    if record != self._seen[ident_]:
                        where.fail(f"lesson {ident_} was saved twice, differently (also at {lessons[ident_][1]})")
                    continue  # a lesson in two overlapping date ranges, the same
                owner = id_field(record, "group", where)
                if owner not in groups:
                    (where / "group").fail(f"group {owner} is neither the class {group} nor one of its subgroups")
                subject_record = obj(has(record, "subject", where), where / "subject")
                subject = id_field(subject_record, "id", where / "subject")
                subject_name = text(subject_record, "name", where / "subject")
                assert subject is not None and subject_name is not None and owner is not None
                self.draft.subject(subject, subject_name)
                key = f"{owner}-{subject}"
                course = courses.setdefault(key, _Course(key, subject, group=owner))
                key_ = "teachers_str" if record.get("teachers_str") is not None else "teachers"
                teachers = [
                    ident(t, where / key_, index) for index, t in enumerate(arr(record.get(key_) or [], where / key_))
                ]
                teacher = self._teacher(teachers[0], where / key_) if teachers else None
                if teacher:
                    course.teachers[teacher] += 1
                lesson_day = day_field(record, "date", where)
                number_ = integer(record, "number", where)
                assert lesson_day is not None and number_ is not None
                lesson: dict[str, Any] = {"id": ident_, "date": lesson_day.isoformat(), "number": number_}
                topic = text(record, "title", where, optional=True)
                if topic:
                    lesson["topic"] = topic
                homework = [
                    text(work, "text", work_at, optional=True)
                    for work, work_at in each(record.get("works") or [], where / "works")
                    if work.get("type") == "Homework"
                ]
                if any(homework):
                    lesson["homework"] = "; ".join(h for h in homework if h)
                if text(record, "status", where, optional=True) in CANCELLED:
                    lesson["cancelled"] = True
                if teacher:
                    lesson["_teacher"] = teacher
                course.lessons[ident_] = lesson
                lessons[ident_] = (course, where)
                self._seen[ident_] = record
        return courses, lessons

    def _marks(
        self,
        group: str,
        students: dict[str, dict[str, Any]],
        members: dict[str, dict[str, dict[str, Any]]],
        courses: dict[str, _Course],
        lessons: dict[str, tuple[_Course, At]],
    ) -> None:
        for relative in self.saved.files(f"groups/{group}/marks", ".json"):
            data, at = self.saved.json(relative)
            for record, where in each(data, at):
                lesson = id_field(record, "lesson", where, optional=True)
                if lesson is None:
                    continue  # a period or final mark: read from final-marks/, which says which period
                if lesson not in lessons:
                    (where / "lesson").fail(f"unknown lesson {lesson} (not in groups/{group}/lessons/)")
                course, _ = lessons[lesson]
                person = id_field(record, "person", where)
                assert person is not None
                _check_member(person, course, students, members, where / "person")
                mark = self._mark(record, where)
                course.mark({**mark, "student": person, "lesson": lesson})

    def _mark(self, record: dict[str, Any], where: At) -> dict[str, Any]:
        kind = text(record, "type", where, optional=True) or "mark5"
        if kind not in MARK_SCALES:
            (where / "type").fail(f"{kind!r} is not a mark type this importer knows ({', '.join(MARK_SCALES)})")
        raw = text(record, "value", where)
        assert raw is not None
        value = five_point(raw, MARK_SCALES[kind])
        if value is None:
            (where / "value").fail(f"{raw!r} is not a mark of type {kind}")
        scale = "pass_fail" if value in ("зач", "незач") else MARK_SCALES[kind]
        mark: dict[str, Any] = {"value": value, "raw": raw, "scale": scale}
        work_type = id_field(record, "workType", where, optional=True)
        if work_type is not None:
            if work_type not in self.draft.work_types:
                (where / "workType").fail(f"unknown work type {work_type} (not in work-types.json)")
            mark["work_type"] = work_type
        if not flag(record, "use_avg_calc", where, default=True):
            mark["counts"] = False
        return mark

    def _attendance(
        self, group: str, students: dict[str, dict[str, Any]], lessons: dict[str, tuple[_Course, At]]
    ) -> None:
        for relative in self.saved.files(f"groups/{group}/lesson-log-entries", ".json"):
            data, at = self.saved.json(relative)
            for record, where in each(data, at):
                status = text(record, "status", where)
                if status not in ATTENDANCE:
                    (where / "status").fail(f"{status!r} is not a status this importer knows ({', '.join(ATTENDANCE)})")
                code = ATTENDANCE[status]
                lesson = id_field(record, "lesson", where)
                person = id_field(record, "person", where)
                assert lesson is not None and person is not None
                if lesson not in lessons:
                    (where / "lesson").fail(f"unknown lesson {lesson} (not in groups/{group}/lessons/)")
                if person not in students:
                    (where / "person").fail(f"person {person} is not a student of the class")
                if code is None:
                    continue
                lessons[lesson][0].absence(person, lesson, code)

    def _finals(
        self,
        group: str,
        students: dict[str, dict[str, Any]],
        members: dict[str, dict[str, dict[str, Any]]],
        courses: dict[str, _Course],
        periods: dict[tuple[str, int], str],
    ) -> None:
        for relative in self.saved.files(f"groups/{group}/final-marks", ".json"):
            data, at = self.saved.json(relative)
            record = obj(data, at)
            works = {}
            for work, work_at in each(has(record, "works", at), at / "works"):
                works[id_field(work, "id", work_at)] = (work, work_at)
            for mark, where in each(has(record, "marks", at), at / "marks"):
                person = id_field(mark, "person", where)
                work_id = id_field(mark, "work", where)
                assert person is not None
                if person not in students:
                    (where / "person").fail(f"person {person} is not a student of the class")
                if work_id not in works:
                    (where / "work").fail(f"unknown work {work_id} (not in this file's works)")
                work, work_at = works[work_id]
                subject = id_field(work, "subjectId", work_at)
                course = _course_of(person, subject, courses, members, group)
                if course is None:
                    (work_at / "subjectId").fail(f"the class has no lessons of subject {subject} for person {person}")
                kind = text(work, "type", work_at)
                raw = text(mark, "value", where)
                assert raw is not None
                scale = MARK_SCALES.get(text(mark, "type", where, optional=True) or "mark5", "5")
                value = _result(raw, scale, where)
                entry: dict[str, Any] = {"student": person, "value": value}
                if raw != value:
                    entry.update(raw=raw, scale="pass_fail" if value in ("зач", "незач") else scale)
                if kind == "PeriodMark":
                    key = (text(work, "periodType", work_at), integer(work, "periodNumber", work_at))
                    if key not in periods:
                        (work_at / "periodNumber").fail(
                            f"no reporting period {key[0]} number {key[1]} in groups/{group}/reporting-periods.json"
                        )
                    course.period_marks.append({**entry, "period": periods[key]})
                elif kind == "PeriodFinalMark":
                    course.period_marks.append({**entry, "period": "year"})
                elif kind == "Exam":
                    course.final_marks.append({**entry, "kind": "exam"})
                else:
                    (work_at / "type").fail(f"{kind!r} is not a final work type this importer knows "
                                            "(PeriodMark, PeriodFinalMark, Exam)")  # fmt: skip

    def _course(
        self,
        course: _Course,
        subgroups: dict[str, dict[str, Any]],
        members: dict[str, dict[str, dict[str, Any]]],
        periods: list[str],
    ) -> dict[str, Any]:
        if not course.teachers:
            At(str(self.saved.root / f"groups/{course.group}")).fail(
                f"no lesson of course {course.id} names its teacher (teachers)"
            )
        course.teacher = course.teachers.most_common(1)[0][0]
        for lesson in course.lessons.values():
            given_by = lesson.pop("_teacher", course.teacher)
            if given_by != course.teacher:
                lesson["teacher"] = given_by
        if course.group in subgroups:
            course.subgroup = subgroups[course.group].get("name") or course.group
            course.members = set(members[course.group])
        return self.draft.course(course, periods)


def _names(record: dict[str, Any], at: At) -> dict[str, str]:
    names = {"last_name": text(record, "lastName", at), "first_name": text(record, "firstName", at)}
    middle = text(record, "middleName", at, optional=True)
    if middle:
        names["middle_name"] = middle
    return names  # type: ignore[return-value]


def _parents(record: dict[str, Any], at: At) -> list[str]:
    twins = record.get("parentIds_str")
    values = twins if twins is not None else record.get("parentIds") or []
    if not isinstance(values, list):
        (at / "parentIds").fail("expected an array of group ids")
    return [str(v) for v in values]


def _check_member(
    person: str,
    course: _Course,
    students: dict[str, dict[str, Any]],
    members: dict[str, dict[str, dict[str, Any]]],
    at: At,
) -> None:
    if person not in students:
        at.fail(f"person {person} is not a student of the class")
    if course.group in members and person not in members[course.group]:
        at.fail(f"person {person} is not in subgroup {course.group}, whose lesson this is")


def _course_of(
    person: str, subject: str | None, courses: dict[str, _Course], members: dict[str, Any], group: str
) -> _Course | None:
    """The course of a subject that teaches the person: the person's subgroup's, else the class's."""
    for course in courses.values():
        if course.subject == subject and course.group in members and person in members[course.group]:
            return course
    return courses.get(f"{group}-{subject}")


def _result(raw: str, scale: str, at: At) -> str:
    value = result_value(raw, scale)
    if value is None:
        (at / "value").fail(f"{raw!r} is not a period or final mark")
    return value

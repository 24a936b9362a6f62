"""The domain model written back as an export document (the inverse of `model.build_export`).

Each PDF/A-3 volume embeds the data it was rendered from in this form, so the archive carries its own
machine-readable source, valid against the same schema as the export it came from.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

from archiver.ingest.model import Course, JournalExport, Person, SchoolClass


def export_document(export: JournalExport) -> dict[str, Any]:
    document: dict[str, Any] = {"schema_version": export.schema_version}
    if export.source_system:
        source: dict[str, Any] = {"system": export.source_system}
        if export.exported_at:
            source["exported_at"] = export.exported_at.isoformat()
        if export.source_platform:
            source["platform"] = export.source_platform
        if export.source_school_id:
            source["school_id"] = export.source_school_id
        document["source"] = source
    school = export.school
    document["school"] = _drop_none(
        {
            "id": school.id,
            "name": school.name,
            "short_name": school.short_name,
            "address": school.address,
            "director": {**_person(school.director), "position": school.director.position},
            "timezone": school.timezone,
        }
    )
    year = export.academic_year
    document["academic_year"] = {"id": year.id, "start": year.start.isoformat(), "end": year.end.isoformat()}
    document["periods"] = [
        {"id": p.id, "kind": p.kind, "number": p.number, "name": p.name, "start": _d(p.start), "end": _d(p.end)}
        for p in export.periods
    ]
    document["work_types"] = [
        {"id": w.id, "code": w.code, "title": w.title, "weight": _number(w.weight)} for w in export.work_types
    ]
    document["teachers"] = [_drop_none({"id": t.id, **_person(t), "position": t.position}) for t in export.teachers]
    document["subjects"] = [{"id": s.id, "name": s.name, "short_name": s.short_name} for s in export.subjects]
    document["classes"] = [_class(klass) for klass in export.classes]
    return document


def document_bytes(export: JournalExport) -> bytes:
    """The export as compact UTF-8 JSON: the same model always gives the same bytes."""
    return json.dumps(export_document(export), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def class_subset(export: JournalExport, klass: SchoolClass, until: date | None = None) -> JournalExport:
    """The export restricted to one class, and to lessons and periods up to `until` when given."""
    if until is not None:
        klass = replace(klass, courses=tuple(_until(course, until) for course in klass.courses))
    return replace(export, classes=(klass,))


def summary_subset(export: JournalExport, klass: SchoolClass) -> JournalExport:
    """One class with its period, exam and final marks, without the lessons (what its summary sheet shows):
    a class's summary case holds no other class's students."""
    courses = tuple(replace(c, lessons=(), marks=(), absences=()) for c in klass.courses)
    return replace(export, classes=(replace(klass, courses=courses),))


def _until(course: Course, until: date) -> Course:
    lessons = tuple(lesson for lesson in course.lessons if lesson.date <= until)
    kept = {lesson.id for lesson in lessons}
    periods = {p.id for p in course.periods if p.end <= until}
    return replace(
        course,
        lessons=lessons,
        marks=tuple(m for m in course.marks if m.lesson_id in kept),
        absences=tuple(a for a in course.absences if a.lesson_id in kept),
        period_marks=tuple(m for m in course.period_marks if m.period_id in periods),
        final_marks=(),
    )


def _class(klass: SchoolClass) -> dict[str, Any]:
    record: dict[str, Any] = {"id": klass.id, "grade": klass.grade, "letter": klass.letter}
    if klass.profile:
        record["profile"] = klass.profile
    record["homeroom_teacher"] = klass.homeroom_teacher.id
    record["students"] = [
        _drop_none(
            {
                "id": s.id,
                **_person(s),
                "sex": s.sex,
                "enrolled": _d(s.enrolled),
                "left": _d(s.left) if s.left else None,
            }
        )
        for s in klass.students
    ]
    record["courses"] = [_course(course) for course in klass.courses]
    return record


def _course(course: Course) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": course.id,
        "subject": course.subject.id,
        "teacher": course.teacher.id,
        "grading": course.grading,
        "periods": [p.id for p in course.periods],
    }
    if course.scale != "5":
        record["scale"] = course.scale
    if course.hours_per_week is not None:
        record["hours_per_week"] = _number(course.hours_per_week)
    record["planned_hours"] = course.planned_hours
    if course.subgroup:
        record["subgroup"] = {"name": course.subgroup.name, "students": list(course.subgroup.student_ids)}
        if course.subgroup.memberships:
            record["subgroup"]["memberships"] = [
                _drop_none(
                    {
                        "student": m.student_id,
                        "from": _d(m.start) if m.start else None,
                        "to": _d(m.end) if m.end else None,
                    }
                )
                for m in course.subgroup.memberships
            ]
    lessons = []
    for lesson in course.lessons:
        item: dict[str, Any] = {"id": lesson.id, "date": _d(lesson.date), "number": lesson.number}
        if lesson.topic:
            item["topic"] = lesson.topic
        if lesson.homework:
            item["homework"] = lesson.homework
        if lesson.teacher.id != course.teacher.id:
            item["teacher"] = lesson.teacher.id
        if lesson.replacement:
            item["replacement"] = True
        if lesson.cancelled:
            item["cancelled"] = True
        if lesson.note:
            item["note"] = lesson.note
        lessons.append(item)
    record["lessons"] = lessons
    record["marks"] = [
        _drop_none(
            {
                "student": m.student_id,
                "lesson": m.lesson_id,
                "value": m.value,
                "work_type": m.work_type_id,
                "raw": m.raw,
                "scale": m.scale,
                "weight": _number(m.weight) if m.weight is not None else None,
                "counts": None if m.counts else False,
                "point": True if m.point else None,
                "point_date": _d(m.point_date) if m.point_date else None,
            }
        )
        for m in course.marks
    ]
    record["absences"] = [{"student": a.student_id, "lesson": a.lesson_id, "reason": a.reason} for a in course.absences]
    record["period_marks"] = [
        _drop_none({"student": m.student_id, "period": m.period_id, "value": m.value, "raw": m.raw, "scale": m.scale})
        for m in course.period_marks
    ]
    record["final_marks"] = [
        _drop_none({"student": m.student_id, "kind": m.kind, "value": m.value, "raw": m.raw, "scale": m.scale})
        for m in course.final_marks
    ]
    return record


def _person(person: Person) -> dict[str, Any]:
    return _drop_none(
        {"last_name": person.last_name, "first_name": person.first_name, "middle_name": person.middle_name}
    )


def _drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None}


def _d(day: date) -> str:
    return day.isoformat()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value

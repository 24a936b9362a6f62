"""Counts that describe an export at a glance (for `validate`, and later for status reports)."""

from __future__ import annotations

from typing import Any

from archiver.ingest.model import JournalExport


def export_summary(export: JournalExport) -> dict[str, Any]:
    courses = [course for klass in export.classes for course in klass.courses]
    return {
        "school": export.school.short_name,
        "academic_year": export.academic_year.id,
        "classes": len(export.classes),
        "students": sum(len(klass.students) for klass in export.classes),
        "teachers": len(export.teachers),
        "courses": len(courses),
        "lessons": sum(len(course.lessons) for course in courses),
        "marks": sum(len(course.marks) for course in courses),
        "absences": sum(len(course.absences) for course in courses),
        "period_marks": sum(len(course.period_marks) for course in courses),
    }

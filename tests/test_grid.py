"""The grid sheets read back as a reader finds things (pdfplumber): no glyph on a rule and nothing outside
the table on any grid sheet of the demo school; exam and final marks, the work-type key, the class teacher
and the absence totals where a deputy director looks for them; every character of the longest data the
schema allows on the page."""

from __future__ import annotations

import copy
import io
from collections import Counter
from dataclasses import replace
from typing import Any

import pdfplumber
import pytest

from archiver.demo.generator import generate
from archiver.documents.attendance import ClassAttendance
from archiver.documents.journal import CourseJournal
from archiver.documents.summary import class_summary
from archiver.documents.volumes import Part, class_year_volume
from archiver.ingest.model import JournalExport, SchoolClass, build_export
from archiver.ingest.validation import validate_document
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import variant
from archiver.rendering.volume import render_part, render_volume
from archiver.workers import workers
from tests import gridcheck
from tests.pdfcheck import page_texts

DEMO_STUDENTS = 120  # `archiver demo`'s school


@pytest.fixture(scope="module")
def demo() -> JournalExport:
    return build_export(generate(DEMO_STUDENTS, 1))


def _grid_parts(export: JournalExport, klass: SchoolClass) -> list[tuple[str, Part]]:
    """A class's sheets that hold grids: each course's grid sheets, the attendance sheet, the summary sheet."""
    parts = []
    for part in class_year_volume(export, klass).parts:
        content = part.content
        if isinstance(content, CourseJournal):
            content = replace(content, pages=tuple(p for p in content.pages if p.kind == "grid"))
        parts.append((f"{klass.name}: {part.title}", replace(part, content=content)))
    parts.append((f"{klass.name}: сводная ведомость", Part("Сводная", "summary.html", class_summary(export, klass))))
    return parts


@pytest.fixture(scope="module")
def grid_sheets(demo: JournalExport) -> dict[str, bytes]:
    """Every grid sheet of the demo school, rendered as a reader gets them (PDF/A-3b)."""
    jobs = [job for klass in demo.classes for job in _grid_parts(demo, klass)]
    with workers(2) as pool:
        futures = [(name, pool.submit(render_part, part, 2, "", variant("3b"))) for name, part in jobs]
        return {name: future.result() for name, future in futures}


def _tables(pdf: bytes) -> list[tuple[int, gridcheck.Table]]:
    return [(number, table) for number, page in enumerate(gridcheck.pages(pdf), 1) for table in gridcheck.tables(page)]


@pytest.mark.slow
def test_no_glyph_touches_a_rule_and_nothing_lies_outside_the_table(grid_sheets: dict[str, bytes]) -> None:
    checked = 0
    found: list[str] = []
    with workers(2) as pool:
        results = [(name, pool.submit(gridcheck.check, pdf)) for name, pdf in grid_sheets.items()]
        for name, future in results:
            grids = future.result()
            assert grids, f"{name}: no grid found"
            for number, chars, problems in grids:
                assert chars, f"{name}, sheet {number}: an empty grid"
                found += [f"{name}, sheet {number}: {problem}" for problem in problems]
                checked += chars
    assert not found, f"{len(found)} characters on rules, e.g.\n" + "\n".join(found[:20])
    assert checked > 50_000  # every sheet's cells, labels and names were looked at


def test_the_check_sees_a_glyph_on_a_rule(demo: JournalExport) -> None:
    """The checker itself: a grid whose columns are made too narrow for their labels is caught."""
    klass = demo.classes[0]
    name, part = next(job for job in _grid_parts(demo, klass) if "пропущенных" in job[0])
    assert isinstance(part.content, ClassAttendance)
    page = part.content.pages[0]
    narrow = [replace(c, width=4.0) for c in page.grid.columns]
    squeezed = replace(page, grid=replace(page.grid, columns=tuple(narrow)))
    pdf = render_part(replace(part, content=replace(part.content, pages=(squeezed,))), 2, "", variant("3b"))
    problems = [p for _, table in _tables(pdf) for p in gridcheck.problems(table)]
    assert any("on the rule" in p for p in problems), name


def _class(export: JournalExport, grade: int) -> SchoolClass:
    return next(k for k in export.classes if k.grade == grade)


@pytest.mark.parametrize("grade", [9, 11])
def test_exam_and_final_marks_are_in_the_class_volume(demo: JournalExport, grade: int) -> None:
    klass = _class(demo, grade)
    course = next(c for c in klass.courses if {m.kind for m in c.final_marks} == {"exam", "final"})
    student = next(s for s in klass.course_students(course) if any(m.student_id == s.id for m in course.final_marks))
    expected = {m.kind: m.value for m in course.final_marks if m.student_id == student.id}
    name = f"{klass.name}: {course.title} (учитель {course.teacher.short_name})"
    part = dict(_grid_parts(demo, klass))[name]
    pdf = render_part(part, 2, "", variant("3b"))
    last = _tables(pdf)[-1][1]
    row = f"{student.last_name} {student.first_name}"
    if "exam" in expected:
        assert gridcheck.cell(last, row, "экз.") == expected["exam"], name
    assert gridcheck.cell(last, row, "итог", occurrence=-1) == expected["final"], name


def test_work_type_key_lists_every_work_type_used(demo: JournalExport, grid_sheets: dict[str, bytes]) -> None:
    klass = _class(demo, 9)
    by_id = demo.work_types_by_id
    for course in klass.courses:
        used = {by_id[m.work_type_id] for m in course.marks if m.work_type_id}
        pdf = grid_sheets[f"{klass.name}: {course.title} (учитель {course.teacher.short_name})"]
        text = " ".join(" ".join(page.split()) for page in page_texts(pdf))
        for work_type in used:
            assert f"{work_type.code} — {work_type.title}" in text, (course.title, work_type)


def test_class_teacher_is_named_on_the_title_and_every_grid_sheet(demo: JournalExport) -> None:
    klass = _class(demo, 5)
    volume = class_year_volume(demo, klass)
    title = html_to_pdf(render_html("title.html", title=volume.title_sheet, first_sheet=1, running_head="",
                                    document_title="т"), variant("3b"))  # fmt: skip
    (page,) = gridcheck.pages(title)
    assert f"Классный руководитель: {klass.homeroom_teacher.full_name}" in page.extract_text()
    part = next(p for p in volume.parts if isinstance(p.content, CourseJournal))
    for sheet in gridcheck.pages(render_part(part, 2, "", variant("3b"))):
        assert f"классный руководитель: {klass.homeroom_teacher.short_name}" in " ".join(sheet.extract_text().split())


def test_absence_totals_equal_the_exports_absences(demo: JournalExport, grid_sheets: dict[str, bytes]) -> None:
    klass = _class(demo, 9)
    held = {lesson.id for course in klass.courses for lesson in course.lessons if not lesson.cancelled}
    missed = Counter(a.student_id for c in klass.courses for a in c.absences if a.lesson_id in held)
    ill = Counter(a.student_id for c in klass.courses for a in c.absences if a.lesson_id in held and a.reason == "б")
    tables = [table for _, table in _tables(grid_sheets[f"{klass.name}: Сведения о пропущенных уроках"])]
    for student in klass.students:
        table = next(t for t in tables if any(student.full_name in " ".join(w.text for w in line)
                                              for line in gridcheck.lines(t)))  # fmt: skip
        assert gridcheck.cell(table, student.full_name, "всего", occurrence=-1) == str(missed[student.id])
        assert gridcheck.cell(table, student.full_name, "бол.", occurrence=-1) == str(ill[student.id])
        periods = [gridcheck.cell(table, student.full_name, "всего", occurrence=i) for i in range(4)]
        assert sum(int(n) for n in periods) == missed[student.id]  # the quarters cover every lesson
    totals = gridcheck.cell(tables[-1], "Всего по классу", "всего", occurrence=-1)
    assert totals == str(sum(missed[s.id] for s in klass.students))


# -- nothing is cut ----------------------------------------------------------------------------------


def _longest(small_school: dict[str, Any]) -> dict[str, Any]:
    """The small school with the longest names, topics and homework the schema allows."""
    doc = copy.deepcopy(small_school)
    student = doc["classes"][0]["students"][0]
    student["last_name"] = "Длиннофамильная-" + "Щ" * 44  # 60 characters, one word
    student["first_name"] = "Имя" * 20
    student["middle_name"] = "Отчествович" * 5 + "Отчес"
    lessons = doc["classes"][0]["courses"][0]["lessons"]
    lessons[0]["topic"] = "Ж" * 2000  # no space to break at
    lessons[1]["homework"] = "https://example.org/" + "очень-длинный-адрес/" * 60 + "x" * 80
    lessons[2]["topic"] = "Тема урока, " * 166
    assert validate_document(doc) == ()
    return doc


def test_every_character_of_the_longest_data_is_on_the_page(small_school: dict[str, Any]) -> None:
    doc = _longest(small_school)
    export = build_export(doc)
    rendered = render_volume(class_year_volume(export, export.classes[0]), variant("3b"))
    with pdfplumber.open(io.BytesIO(rendered.pdf)) as pdf:
        pages = list(pdf.pages)
        topics = "".join(gridcheck.column_text(p, "Тема") for p in pages if _has(p, "Тема"))
        homework = "".join(gridcheck.column_text(p, "Домашнее") for p in pages if _has(p, "Домашнее"))
        names = "".join(gridcheck.column_text(p, "№,") for p in pages if _has(p, "№,"))
    lessons = doc["classes"][0]["courses"][0]["lessons"]
    for text, where in (
        (lessons[0]["topic"], topics),
        (lessons[2]["topic"], topics),
        (lessons[1]["homework"], homework),
    ):
        assert "".join(text.split()) in where
    student = doc["classes"][0]["students"][0]
    assert f"{student['last_name']}{student['first_name']}" in names
    assert f"{student['last_name']}{student['first_name']}{student['middle_name']}" in names  # attendance sheet


def _has(page: Any, word: str) -> bool:
    return any(w["text"] == word for w in page.extract_words())

"""The class's attendance sheet: lessons each student missed in each period, and of them for illness.

Counted over every course of the class from the export's absences (н, б, у all count as missed; б is
illness; оп, lateness, is not a missed lesson), by the date of the lesson; a period archive counts the
lessons up to its cut-off date and shows the periods that have ended by then. Planned like every grid
(archiver.documents.grid).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from archiver.documents.grid import (
    FULL_NAMES,
    LINE,
    MM,
    SAFETY,
    SHEET_HEIGHT,
    Grid,
    GridColumn,
    GridGroup,
    GridRow,
    column_width,
    group_lines,
    head_height,
    name_lines,
    note_height,
    rows_by_sheet,
    students_grid,
)
from archiver.ingest.model import LATE, JournalExport, SchoolClass

COLUMN_MIN = 10 * MM
TOTAL = "всего"
ILLNESS = "по бол."
LEGEND = (
    "Число уроков, пропущенных обучающимся по всем предметам: всего (отметки «н», «б», «у» в журнале) "
    "и из них по болезни («б»)."
)


@dataclass(frozen=True)
class AttendancePage:
    head: str
    grid: Grid
    kind: str = "attendance"


@dataclass(frozen=True)
class ClassAttendance:
    class_name: str
    pages: tuple[AttendancePage, ...]
    legend: str = LEGEND

    @property
    def sheet_count(self) -> int:
        return len(self.pages)


def class_attendance(export: JournalExport, klass: SchoolClass, until: date | None = None) -> ClassAttendance:
    """Missed lessons per student per period (and for the year, or up to `until`)."""
    periods = sorted(
        {
            p
            for course in klass.courses
            for p in course.periods
            if p.kind != "year" and (until is None or p.end <= until)
        },
        key=lambda p: (p.start, p.end),
    )
    lessons = {lesson.id: lesson for course in klass.courses for lesson in course.lessons}
    missed: Counter[tuple[str, str]] = Counter()  # (student, period id or "") → lessons
    ill: Counter[tuple[str, str]] = Counter()
    for course in klass.courses:
        for absence in course.absences:
            lesson = lessons.get(absence.lesson_id)
            if (
                absence.reason == LATE
                or lesson is None
                or lesson.cancelled
                or (until is not None and lesson.date > until)
            ):
                continue
            for key in ["", *(p.id for p in periods if p.contains(lesson.date))]:
                missed[(absence.student_id, key)] += 1
                if absence.reason == "б":
                    ill[(absence.student_id, key)] += 1
    students = sorted(klass.students, key=lambda s: (s.last_name, s.first_name, s.middle_name or ""))
    keys = [p.id for p in periods] + [""]
    cells = [tuple(str(counter[(s.id, key)]) for key in keys for counter in (missed, ill)) for s in students]
    totals = tuple(str(sum(int(row[i]) for row in cells)) for i in range(2 * len(keys)))
    columns: list[GridColumn] = []
    for index, label in enumerate(label for _ in keys for label in (TOTAL, ILLNESS)):
        columns.append(GridColumn(label, column_width(label, [totals[index]], COLUMN_MIN)))
    titles = [p.name for p in periods] + [_total_title(until)]
    groups = tuple(
        GridGroup(group_lines(title, columns[2 * i].width + columns[2 * i + 1].width), 2)
        for i, title in enumerate(titles)
    )
    teacher = klass.homeroom_teacher.full_name
    head = f"{klass.name} класс · сведения о пропущенных уроках · классный руководитель: {teacher}"
    header = (max(len(g.lines) for g in groups) + 1) * LINE
    room = SHEET_HEIGHT - SAFETY - head_height(head) - note_height([LEGEND]) - header
    every = [
        *(
            GridRow(name_lines(n, s.full_name, "", FULL_NAMES), c)
            for n, (s, c) in enumerate(zip(students, cells, strict=True), 1)
        ),
        GridRow(("Всего по классу",), totals),
    ]
    pages = [
        AttendancePage(head, students_grid("Период", groups, columns, rows)) for rows in rows_by_sheet(every, room)
    ]
    return ClassAttendance(klass.name, tuple(pages))


def _total_title(until: date | None) -> str:
    return "за учебный год" if until is None else f"всего на {until:%d.%m.%Y}"

"""What goes on a course's journal pages: the marks-and-attendance grid and the lesson log.

Like the paper journal's spread, each grid page (students × up to `COLUMNS_PER_PAGE` lesson dates, with
the period mark right after each period's last lesson) is followed by the log page of the same lessons
(date, lesson number, topic, homework, substitute teacher). Pagination is decided here, from the data,
so every sheet is planned before anything is rendered; the renderer checks the plan against the PDF.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from archiver.documents.grid import CELL_WIDTH, mono_line
from archiver.ingest.model import Course, JournalExport, Lesson, Period, SchoolClass, Student

COLUMNS_PER_PAGE = 25
ROWS_PER_PAGE = 32
LOG_LINES_PER_PAGE = 52
TOPIC_CHARS_PER_LINE = 52  # conservative for the topic column in PT Sans Narrow 8 pt
HOMEWORK_CHARS_PER_LINE = 34
OUTSIDE_ENROLMENT = "–"

MONTHS = (
    "", "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
PERIOD_LABELS = {"quarter": "{n}ч", "trimester": "{n}т", "half_year": "{n}п", "year": "год"}


@dataclass(frozen=True)
class Column:
    """One grid column: a held lesson, or the marks of a period that ends there."""

    label: str  # day of month, or «2ч», «год»
    code: str  # work type code(s) of the lesson's marks, e.g. «КР»
    month: str  # the month's name, or «итог» for a period column
    lesson_id: str | None = None
    period_id: str | None = None


@dataclass(frozen=True)
class GridRow:
    number: int
    name: str
    note: str  # «приб. 10.11», «выб. 20.12»
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Footnote:
    mark: str  # «*1»
    text: str


@dataclass(frozen=True)
class GridPage:
    columns: tuple[Column, ...]
    months: tuple[tuple[str, int], ...]  # (month, how many columns) left to right
    rows: tuple[GridRow, ...]
    footnotes: tuple[Footnote, ...]
    kind: str = "grid"

    def line(self, cells: tuple[str, ...]) -> str:
        return mono_line(cells)

    @property
    def groups(self) -> tuple[tuple[str, int], ...]:
        return self.months

    @property
    def strong(self) -> frozenset[int]:
        """Columns drawn with heavy lines on both sides: the period marks."""
        return frozenset(i for i, column in enumerate(self.columns) if column.period_id)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(column.label for column in self.columns)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(column.code for column in self.columns)


@dataclass(frozen=True)
class LogRow:
    number: int | None  # ordinal of the held lesson in the course; None when cancelled
    day: str  # «12.09»
    lesson_number: int
    topic: str
    homework: str
    teacher_note: str  # «замена: Волкова Е. И.»
    cancelled: bool
    cancel_note: str


@dataclass(frozen=True)
class LogPage:
    rows: tuple[LogRow, ...]
    kind: str = "log"


@dataclass(frozen=True)
class Hours:
    planned: int
    held: int
    as_of: date | None  # None at the year's end; the cut-off date of a quarter archive otherwise

    @property
    def missed(self) -> int:
        return max(0, self.planned - self.held)


@dataclass(frozen=True)
class CourseJournal:
    """All the pages of one course in a volume."""

    class_name: str
    title: str  # «Математика», «Английский язык (1 подгруппа)»
    teacher: str  # full name
    pages: tuple[GridPage | LogPage, ...]
    hours: Hours

    @property
    def sheet_count(self) -> int:
        return len(self.pages)


def course_journal(
    export: JournalExport, klass: SchoolClass, course: Course, until: date | None = None
) -> CourseJournal:
    """The journal pages of a course, with lessons up to `until` (inclusive) when given."""
    lessons = sorted(
        (lesson for lesson in course.lessons if until is None or lesson.date <= until),
        key=lambda lesson: (lesson.date, lesson.number),
    )
    held = [lesson for lesson in lessons if not lesson.cancelled]
    periods = [p for p in course.periods if until is None or p.end <= until]
    columns = _columns(course, held, periods, export)
    students = sorted(klass.course_students(course), key=lambda s: (s.last_name, s.first_name, s.middle_name or ""))
    cells = _cells(course, students, columns, {lesson.id: lesson for lesson in held})
    log_rows = _log_rows(lessons)

    pages: list[GridPage | LogPage] = []
    for start in range(0, max(len(columns), 1), COLUMNS_PER_PAGE):
        chunk = columns[start : start + COLUMNS_PER_PAGE]
        for row_start in range(0, max(len(students), 1), ROWS_PER_PAGE):
            pages.append(_grid_page(chunk, students[row_start : row_start + ROWS_PER_PAGE], cells, start, row_start,
                                    export.academic_year.start))  # fmt: skip
        chunk_days = [c for c in chunk if c.lesson_id]
        first = chunk_days[0].lesson_id if chunk_days else None
        last = chunk_days[-1].lesson_id if chunk_days else None
        rows = _rows_between(log_rows, first, last, is_last_chunk=start + COLUMNS_PER_PAGE >= len(columns))
        pages.extend(_log_pages([row for _, row in rows]))
    hours = Hours(planned=course.planned_hours, held=len(held), as_of=until)
    return CourseJournal(klass.name, course.title, course.teacher.full_name, tuple(pages), hours)


def _columns(course: Course, held: list[Lesson], periods: list[Period], export: JournalExport) -> list[Column]:
    codes: dict[str, list[str]] = defaultdict(list)
    work_types = export.work_types_by_id
    for mark in course.marks:
        if mark.work_type_id and mark.work_type_id in work_types:
            code = work_types[mark.work_type_id].code
            if code not in codes[mark.lesson_id]:
                codes[mark.lesson_id].append(code)
    # A period's column goes after its last lesson (periods of finer kinds first, the year last).
    closing: dict[str | None, list[Period]] = defaultdict(list)
    order = {"quarter": 0, "trimester": 0, "half_year": 1, "year": 2}
    for period in sorted(periods, key=lambda p: (p.end, order[p.kind])):
        inside = [lesson for lesson in held if period.contains(lesson.date)]
        closing[inside[-1].id if inside else None].append(period)
    columns: list[Column] = []
    for lesson in held:
        lesson_codes = codes.get(lesson.id, [])
        code = lesson_codes[0] if len(lesson_codes) == 1 else ("/".join(lesson_codes) if lesson_codes else "")
        columns.append(Column(f"{lesson.date.day}", code[:CELL_WIDTH], MONTHS[lesson.date.month], lesson_id=lesson.id))
        for period in closing.get(lesson.id, []):
            columns.append(_period_column(period))
    for period in closing.get(None, []):
        columns.append(_period_column(period))
    return columns


def _period_column(period: Period) -> Column:
    label = PERIOD_LABELS[period.kind].format(n=period.number)
    return Column(label, "", "итог", period_id=period.id)


def _cells(
    course: Course, students: list[Student], columns: list[Column], lessons: dict[str, Lesson]
) -> dict[tuple[str, int], str]:
    """The text of every (student, column) cell that has one."""
    by_lesson: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mark in course.marks:
        by_lesson[(mark.student_id, mark.lesson_id)].append(mark.value)
    absent = {(a.student_id, a.lesson_id): a.reason for a in course.absences}
    by_period = {(m.student_id, m.period_id): m.value for m in course.period_marks}
    out: dict[tuple[str, int], str] = {}
    for student in students:
        for index, column in enumerate(columns):
            if column.lesson_id is not None:
                lesson = lessons[column.lesson_id]
                if not student.enrolled_on(lesson.date):
                    out[(student.id, index)] = OUTSIDE_ENROLMENT
                    continue
                values = by_lesson.get((student.id, column.lesson_id))
                reason = absent.get((student.id, column.lesson_id))
                parts = ([reason] if reason else []) + (values or [])
                if parts:
                    out[(student.id, index)] = _join(parts)
            elif column.period_id is not None:
                value = by_period.get((student.id, column.period_id))
                if value:
                    out[(student.id, index)] = value
    return out


def _join(parts: list[str]) -> str:
    if all(len(p) == 1 for p in parts):
        return "".join(parts) if len(parts) > 2 else "/".join(parts)
    return "/".join(parts)


def _grid_page(
    columns: list[Column],
    students: list[Student],
    cells: dict[tuple[str, int], str],
    column_offset: int,
    row_offset: int,
    year_start: date,
) -> GridPage:
    months: list[tuple[str, int]] = []
    for column in columns:
        if months and months[-1][0] == column.month:
            months[-1] = (column.month, months[-1][1] + 1)
        else:
            months.append((column.month, 1))
    footnotes: list[Footnote] = []
    rows: list[GridRow] = []
    for number, student in enumerate(students, start=row_offset + 1):
        texts: list[str] = []
        for index, column in enumerate(columns, start=column_offset):
            text = cells.get((student.id, index), "")
            if len(text) > CELL_WIDTH:  # too wide for the cell: a footnote keeps every mark readable
                mark = f"*{len(footnotes) + 1}"
                when = column.label if column.period_id else f"{column.label} {column.month}"
                footnotes.append(Footnote(mark, f"{student.last_name} {student.first_name}, {when}: {text}"))
                text = mark[:CELL_WIDTH]
            texts.append(text)
        rows.append(GridRow(number, _grid_name(student), _stay_note(student, year_start), tuple(texts)))
    return GridPage(tuple(columns), tuple(months), tuple(rows), tuple(footnotes))


def _grid_name(student: Student) -> str:
    name = f"{student.last_name} {student.first_name}"
    return name if len(name) <= 34 else f"{student.last_name} {student.first_name[0]}."


def _stay_note(student: Student, year_start: date) -> str:
    notes = []
    if student.joined_after(year_start):
        notes.append(f"приб. {student.enrolled:%d.%m}")
    if student.left is not None:
        notes.append(f"выб. {student.left:%d.%m}")
    return ", ".join(notes)


def _log_rows(lessons: list[Lesson]) -> list[tuple[Lesson, LogRow]]:
    rows: list[tuple[Lesson, LogRow]] = []
    number = 0
    for lesson in lessons:
        if not lesson.cancelled:
            number += 1
        note = f"замена: {lesson.teacher.short_name}" if lesson.replacement else ""
        rows.append(
            (
                lesson,
                LogRow(
                    number=None if lesson.cancelled else number,
                    day=f"{lesson.date:%d.%m}",
                    lesson_number=lesson.number,
                    topic=lesson.topic,
                    homework=lesson.homework,
                    teacher_note=note,
                    cancelled=lesson.cancelled,
                    cancel_note=(lesson.note or "урок не проведён") if lesson.cancelled else "",
                ),
            )
        )
    return rows


def _rows_between(
    rows: list[tuple[Lesson, LogRow]], first: str | None, last: str | None, *, is_last_chunk: bool
) -> list[tuple[Lesson, LogRow]]:
    """The log rows that belong with a grid chunk: its lessons, and cancelled lessons among or before them."""
    if first is None:
        return rows if is_last_chunk else []
    ids = [lesson.id for lesson, _ in rows]
    start = ids.index(first)
    while start > 0 and rows[start - 1][1].cancelled:
        start -= 1
    end = len(rows) if is_last_chunk else ids.index(last) + 1 if last else len(rows)
    return rows[start:end]


def log_row_lines(row: LogRow) -> int:
    """How many printed lines a log row takes, estimated conservatively from its text."""
    topic = row.cancel_note + " " + row.topic if row.cancelled else row.topic
    lines = max(
        1,
        _lines(topic, TOPIC_CHARS_PER_LINE),
        _lines(row.homework, HOMEWORK_CHARS_PER_LINE),
    )
    return lines + (1 if row.teacher_note else 0)


def _lines(text: str, width: int) -> int:
    return sum(max(1, math.ceil(len(part) / width)) for part in text.split("\n")) if text else 0


def _log_pages(rows: list[LogRow]) -> list[LogPage]:
    pages: list[LogPage] = []
    current: list[LogRow] = []
    used = 0
    for row in rows:
        lines = log_row_lines(row)
        if current and used + lines > LOG_LINES_PER_PAGE:
            pages.append(LogPage(tuple(current)))
            current, used = [], 0
        current.append(row)
        used += lines
    if current or not pages:
        pages.append(LogPage(tuple(current)))
    return pages

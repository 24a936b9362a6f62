"""What goes on a course's journal pages: the marks-and-attendance grid and the lesson log.

Like the paper journal's spread, each grid sheet (students × as many lesson dates as the landscape sheet
holds, with the period mark right after each period's last lesson, then the year, exam and final marks)
is followed by the log sheets of the same lessons (date, lesson number, topic, homework, substitute
teacher). Pagination is decided here, from the data and the fonts' metrics (archiver.documents.grid), so
every sheet is planned before anything is rendered; the renderer checks the plan against the PDF.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from archiver.documents.dates import MONTHS_GENITIVE
from archiver.documents.grid import (
    CELL_PT,
    LABEL_PT,
    LESSON_WIDTH,
    LINE,
    MM,
    SAFETY,
    SHEET_HEIGHT,
    SHEET_WIDTH,
    Footnote,
    Grid,
    GridColumn,
    GridGroup,
    GridRow,
    chunk_by_width,
    column_width,
    fits,
    group_lines,
    head_height,
    name_lines,
    note_height,
)
from archiver.documents.measure import width, wrap
from archiver.ingest.model import (
    LATE,
    Course,
    FinalKind,
    JournalExport,
    Lesson,
    Mark,
    Period,
    SchoolClass,
    Student,
    WorkType,
)

NAME_WIDTH = 50 * MM
OUTSIDE_ENROLMENT = "–"
ABSENCE_LEGEND = (
    "н — отсутствовал(а) без уважительной причины, б — по болезни, у — по уважительной причине; "
    "– — не обучался(ась) в классе."
)
LATE_LEGEND = "оп — опоздал(а) на урок"
POINT = "•"  # a «точка»: the work is owed
SCALE_NAMES = {"10": "10-балльная шкала", "100": "100-балльная шкала"}

MONTHS = (
    "", "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
SHORT_MONTHS = ("", "янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
RESULTS = "итог"  # the group over period, year, exam and final columns


def period_label(period: Period) -> str:
    """«I»…«IV» for quarters, «I тр»…«III тр», «I п/г», «II п/г», «год»."""
    roman = ROMAN.get(period.number, str(period.number))
    return {"quarter": roman, "trimester": f"{roman} тр", "half_year": f"{roman} п/г"}.get(period.kind, "год")


@dataclass(frozen=True)
class Column:
    """One grid column: a held lesson, the marks of a period that ends there, or exam/final marks."""

    label: str  # day of month, or «II», «год», «экз.», «итог»
    code: str  # work type code(s) of the lesson's marks, e.g. «КР»
    month: int  # the lesson's month; 0 for a results column
    lesson_id: str | None = None
    period_id: str | None = None
    final_kind: FinalKind | None = None
    day: date | None = None


@dataclass(frozen=True)
class GridPage:
    head: str
    grid: Grid
    notes: tuple[str, ...]  # the work-type key and the absence key
    kind: str = "grid"


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
    head: str
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
    columns = _columns(course, held, periods, export, finals=until is None)
    students = sorted(klass.course_students(course), key=lambda s: (s.last_name, s.first_name, s.middle_name or ""))
    cells = _cells(course, students, columns, {lesson.id: lesson for lesson in held}, export.work_types_by_id)
    log_rows = _log_rows(lessons)
    head = f"{klass.name} класс · {course.title} · учитель: {course.teacher.full_name}"
    head += f" · классный руководитель: {klass.homeroom_teacher.short_name}"
    if course.scale in SCALE_NAMES:
        head += f" · отметки: {SCALE_NAMES[course.scale]}"
    work_types = {w.code: w.title + (f" (вес {_number(w.weight)})" if w.weight != 1 else "") for w in export.work_types}
    legend = _legend(course, export.work_types_by_id)

    widths = [LESSON_WIDTH if c.lesson_id else column_width(c.label, [cells.get((s.id, i), "") for s in students])
              for i, c in enumerate(columns)]  # fmt: skip
    pages: list[GridPage | LogPage] = []
    chunks = _balanced(chunk_by_width(widths, SHEET_WIDTH - NAME_WIDTH), columns)
    for number, (start, end) in enumerate(chunks):
        pages.extend(_grid_pages(head, columns, widths, start, end, students, cells, work_types,
                                 export.academic_year.start, legend))  # fmt: skip
        chunk_days = [c for c in columns[start:end] if c.lesson_id]
        first = chunk_days[0].lesson_id if chunk_days else None
        last = chunk_days[-1].lesson_id if chunk_days else None
        rows = _rows_between(log_rows, first, last, is_last_chunk=number == len(chunks) - 1)
        pages.extend(_log_pages(head, [row for _, row in rows]))
    hours = Hours(planned=course.planned_hours, held=len(held), as_of=until)
    return CourseJournal(klass.name, course.title, course.teacher.full_name, tuple(pages), hours)


def _balanced(chunks: list[tuple[int, int]], columns: list[Column]) -> list[tuple[int, int]]:
    """Chunks filled from the left; a last sheet that would hold only results takes the last lessons along."""
    if len(chunks) < 2:
        return chunks
    start, end = chunks[-1]
    if any(c.lesson_id for c in columns[start:end]):
        return chunks
    previous_start, _ = chunks[-2]
    moved = max(previous_start + 1, start - 5)
    return [*chunks[:-2], (previous_start, moved), (moved, end)]


def _columns(
    course: Course, held: list[Lesson], periods: list[Period], export: JournalExport, *, finals: bool
) -> list[Column]:
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
        code = "/".join(codes.get(lesson.id, []))
        columns.append(Column(f"{lesson.date.day}", code, lesson.date.month, lesson_id=lesson.id, day=lesson.date))
        for period in closing.get(lesson.id, []):
            columns.append(Column(period_label(period), "", 0, period_id=period.id))
    for period in closing.get(None, []):
        columns.append(Column(period_label(period), "", 0, period_id=period.id))
    if finals:
        kinds = {mark.kind for mark in course.final_marks}
        if "exam" in kinds:
            columns.append(Column("экз.", "", 0, final_kind="exam"))
        if "final" in kinds:
            columns.append(Column("итог", "", 0, final_kind="final"))
    return columns


def mark_text(mark: Mark, work_types: Mapping[str, WorkType]) -> str:
    """A current mark as its cell shows it: «4-», «8», «5×2» (its own weight), «(5)» (not in the average),
    «•» or «2•» (a «точка»)."""
    text = mark.shown
    if mark.point:
        text += POINT
    work_type = work_types.get(mark.work_type_id or "")
    if mark.weight is not None and mark.weight != 1 and (work_type is None or work_type.weight != mark.weight):
        text += f"×{_number(mark.weight)}"
    return text if mark.counts else f"({text})"


def _number(value: float) -> str:
    """«2», «1,5»."""
    return f"{value:g}".replace(".", ",")


def _legend(course: Course, work_types: Mapping[str, WorkType]) -> str:
    """The key to the marks' signs and the lateness code, for what the course's journal actually holds."""
    parts = []
    weighted = next((text for m in course.marks if "×" in (text := mark_text(m, work_types))), None)
    if weighted:
        weight = weighted.strip("()").split("×")[1]
        parts.append(f"{weighted.strip('()')} — отметка с весом {weight} (её собственным, не вида работы)")
    if any(not m.counts for m in course.marks):
        parts.append("(5) — отметка не учитывается в среднем балле")
    if any(m.point for m in course.marks):
        parts.append(f"{POINT} — «точка»: работа не сдана, задолженность")
    if any(a.reason == LATE for a in course.absences):
        parts.append(LATE_LEGEND)
    return "; ".join(parts) + "." if parts else ""


def _cells(
    course: Course,
    students: list[Student],
    columns: list[Column],
    lessons: dict[str, Lesson],
    work_types: Mapping[str, WorkType],
) -> dict[tuple[str, int], str]:
    """The text of every (student, column) cell that has one."""
    by_lesson: dict[tuple[str, str], list[str]] = defaultdict(list)
    for mark in course.marks:
        by_lesson[(mark.student_id, mark.lesson_id)].append(mark_text(mark, work_types))
    absent = {(a.student_id, a.lesson_id): a.reason for a in course.absences}
    by_period = {(m.student_id, m.period_id): m.shown for m in course.period_marks}
    by_final = {(m.student_id, m.kind): m.shown for m in course.final_marks}
    subgroup = course.subgroup
    out: dict[tuple[str, int], str] = {}
    for student in students:
        for index, column in enumerate(columns):
            value: str | None = None
            if column.lesson_id is not None:
                lesson = lessons[column.lesson_id]
                if not student.enrolled_on(lesson.date) or (
                    subgroup is not None and not subgroup.member_on(student.id, lesson.date)
                ):
                    value = OUTSIDE_ENROLMENT
                else:
                    reason = absent.get((student.id, column.lesson_id))
                    parts = ([reason] if reason else []) + by_lesson.get((student.id, column.lesson_id), [])
                    value = "/".join(parts) if parts else None
            elif column.period_id is not None:
                value = by_period.get((student.id, column.period_id))
            elif column.final_kind is not None:
                value = by_final.get((student.id, column.final_kind))
            if value:
                out[(student.id, index)] = value
    return out


def _grid_pages(
    head: str,
    columns: list[Column],
    widths: list[float],
    start: int,
    end: int,
    students: list[Student],
    cells: dict[tuple[str, int], str],
    work_types: dict[str, str],
    year_start: date,
    legend: str,
) -> list[GridPage]:
    """The grid sheets of columns [start, end): as many students on each as it holds, with their footnotes."""
    chunk = columns[start:end]
    chunk_widths = widths[start:end]
    groups = _month_groups(chunk, chunk_widths)
    code_notes: list[tuple[int, str]] = []  # (column, codes) too wide for the work-type row
    grid_columns = []
    for offset, (column, column_width_) in enumerate(zip(chunk, chunk_widths, strict=True)):
        code = column.code
        if code and not fits(code, column_width_, LABEL_PT):
            code_notes.append((offset, code))
        grid_columns.append(GridColumn(column.label, column_width_, code, strong=column.lesson_id is None))
    used = sorted({code for c in chunk for code in c.code.split("/") if code})
    key = "; ".join(f"{code} — {work_types[code]}" for code in used if code in work_types)
    notes = (f"Виды работ: {key}." if key else "", ABSENCE_LEGEND, legend)
    header_lines = max(len(g.lines) for g in groups) + 2
    fixed = head_height(head) + header_lines * LINE + note_height(notes) + SAFETY

    pages: list[GridPage] = []
    index = 0
    while True:
        footnotes: list[Footnote] = []
        columns_now = list(grid_columns)
        for offset, code in code_notes:  # the work-type row's footnotes are on every sheet of the chunk
            mark = f"*{len(footnotes) + 1}"
            footnotes.append(Footnote(mark, f"{_when(chunk[offset])}, виды работ: {code}"))
            columns_now[offset] = GridColumn(chunk[offset].label, chunk_widths[offset], mark, strong=False)
        rows: list[GridRow] = []
        used_height = 0.0
        while index < len(students):
            student = students[index]
            row_notes: list[Footnote] = []
            texts: list[str] = []
            for offset, column in enumerate(chunk):
                text = cells.get((student.id, start + offset), "")
                if text and not fits(text, chunk_widths[offset]):
                    mark = f"*{len(footnotes) + len(row_notes) + 1}"
                    row_notes.append(
                        Footnote(mark, f"{student.last_name} {student.first_name}, {_when(column)}: {text}")
                    )
                    text = mark
                texts.append(text)
            row = GridRow(name_lines(index + 1, f"{student.last_name} {student.first_name}",
                                     _stay_note(student, year_start), NAME_WIDTH), tuple(texts))  # fmt: skip
            height = row.lines * LINE + note_height([_footnote_text(footnotes + row_notes)])
            if rows and fixed + used_height + height > SHEET_HEIGHT:
                break
            rows.append(row)
            footnotes.extend(row_notes)
            used_height += row.lines * LINE
            index += 1
        grid = Grid("Месяц", groups, "№, фамилия, имя обучающегося", NAME_WIDTH, tuple(columns_now), "Вид работы",
                    tuple(rows), tuple(footnotes))  # fmt: skip
        pages.append(GridPage(head, grid, notes))
        if index >= len(students):
            return pages


def _footnote_text(footnotes: list[Footnote]) -> str:
    return "; ".join(f"{f.mark} {f.text}" for f in footnotes)


def _when(column: Column) -> str:
    if column.day is not None:
        return f"{column.day.day} {MONTHS_GENITIVE[column.day.month]}"
    return column.label


def _month_groups(columns: list[Column], widths: list[float]) -> tuple[GridGroup, ...]:
    spans: list[tuple[int, float, int]] = []  # (month, width, span)
    for column, column_width_ in zip(columns, widths, strict=True):
        if spans and spans[-1][0] == column.month:
            month, total, span = spans[-1]
            spans[-1] = (month, total + column_width_, span + 1)
        else:
            spans.append((column.month, column_width_, 1))
    groups = []
    for month, total, span in spans:
        label = MONTHS[month] if month else RESULTS
        if month and width(label, LABEL_PT) + 3.2 > total:
            label = SHORT_MONTHS[month]
        groups.append(GridGroup(group_lines(label, total), span))
    return tuple(groups)


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


# The log sheet's columns in mm (landscape: 277 mm across); cells have 0.8 mm of padding on each side.
LOG_COLUMNS_MM = (8, 12, 9, 118, 90, 40)
LOG_LINE = 10.0  # pt, the log's line height
LOG_ROW_EXTRA = 0.8 * MM + 0.4  # a row's vertical padding and rule
LOG_HEADER = LOG_LINE + LOG_ROW_EXTRA + 1.0
LOG_CLOSING = 4 * LOG_LINE + 10 * MM  # hours and the teacher's signature line after the last row


def log_row_lines(row: LogRow) -> int:
    """How many printed lines a log row takes, measured with the font's metrics."""
    topic = f"{row.cancel_note}. {row.topic}" if row.cancelled else row.topic
    return max(
        _lines(topic, LOG_COLUMNS_MM[3]),
        _lines(row.homework, LOG_COLUMNS_MM[4]),
        _lines(row.teacher_note, LOG_COLUMNS_MM[5]),
        1,
    )


def _lines(text: str, column_mm: float) -> int:
    return len(wrap(text, (column_mm - 1.6) * MM - 1, CELL_PT)) if text else 0


def _log_pages(head: str, rows: list[LogRow]) -> list[LogPage]:
    """Rows on sheets; the last sheet keeps room for the hours and the signature line."""
    room = SHEET_HEIGHT - SAFETY - head_height(head) - LOG_HEADER
    heights = [log_row_lines(row) * LOG_LINE + LOG_ROW_EXTRA for row in rows]
    pages: list[LogPage] = []
    current: list[LogRow] = []
    used = 0.0
    for index, (row, height) in enumerate(zip(rows, heights, strict=True)):
        if current and used + height > room:
            pages.append(LogPage(head, tuple(current)))
            current, used = [], 0.0
        current.append(row)
        used += height
        if index == len(rows) - 1 and used + LOG_CLOSING > room and len(current) > 1:
            pages.append(LogPage(head, tuple(current[:-1])))  # the closing lines go with the last row
            current, used = [row], height
    if current or not pages:
        pages.append(LogPage(head, tuple(current)))
    return pages

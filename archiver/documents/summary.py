"""What goes on a class's summary sheet of final grades (сводная ведомость итоговых оценок).

Students × subjects, with each subject's period, year, exam and final marks, then a page of statistics
per subject and for the class.

Statistics, as Russian schools compute them (the «Сетевой город» formulas):
    N            = students of the class with a mark in the subject, less those with «осв»
                   (students who left during the year have no year mark and are not counted);
    успеваемость = (students with 5, 4, 3 or «зач») × 100 / N      — «н/а», 2 and «незач» fail;
    качество     = (students with 5 or 4) × 100 / N;
and for the class as a whole, over the students counted in at least one subject:
    успеваемость = students with no 2, «незач» or «н/а» in any subject × 100 / N;
    качество     = students with only 5, 4, «зач» or «осв» (at least one 5 or 4) × 100 / N.
The mark used is the final mark where the grade has final marks (9th and 11th grades), else the year mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from archiver.documents.dates import short_date
from archiver.documents.grid import (
    FULL_NAMES,
    LINE,
    SAFETY,
    SHEET_HEIGHT,
    SHEET_WIDTH,
    Grid,
    GridColumn,
    GridGroup,
    GridRow,
    chunk_by_width,
    column_width,
    group_lines,
    head_height,
    name_lines,
    note_height,
    rows_by_sheet,
    students_grid,
)
from archiver.documents.journal import period_label
from archiver.ingest.model import Course, JournalExport, SchoolClass, Student

LEGEND = (
    "I–IV — четверти, I–II п/г — полугодия, I–III тр — триместры, год — годовая, экз. — экзаменационная, "
    "итог — итоговая отметка; осв — освобождён(а), н/а — не аттестован(а)."
)
PASSING = {"5", "4", "3", "зач"}
GOOD = {"5", "4"}
FAILING = {"2", "1", "незач", "н/а"}
FORMULA = (
    "Успеваемость = число обучающихся с отметками «5», «4», «3» («зачтено») × 100 % / N; "
    "качество = число обучающихся с отметками «5» и «4» × 100 % / N; "
    "N — число обучающихся, имеющих отметку по предмету, без освобождённых («осв»). "
    "По классу: успевают обучающиеся без «2», «незач» и «н/а» по всем предметам; "
    "качество — обучающиеся только с «5» и «4». Используются итоговые отметки, при их отсутствии — годовые."
)


@dataclass(frozen=True)
class SummaryPage:
    grid: Grid
    kind: str = "summary"


@dataclass(frozen=True)
class SubjectStats:
    title: str
    counts: dict[str, int]  # «5», «4», «3», «2», «н/а», «осв», «зач», «незач»
    base: int  # N
    passing: int
    good: int

    @property
    def success_pct(self) -> str:
        return _pct(self.passing, self.base)

    @property
    def quality_pct(self) -> str:
        return _pct(self.good, self.base)


@dataclass(frozen=True)
class StatsPage:
    subjects: tuple[SubjectStats, ...]
    overall: SubjectStats
    homeroom_teacher: str
    director_position: str
    director: str
    graded: bool
    date_line: str  # «20.06.2026»: the date the sheet is drawn up
    kind: str = "stats"


@dataclass(frozen=True)
class ClassSummary:
    class_name: str
    pages: tuple[SummaryPage | StatsPage, ...]
    formula: str = FORMULA
    legend: str = LEGEND

    @property
    def head(self) -> str:
        return f"Сводная ведомость итоговых оценок обучающихся {self.class_name} класса"

    @property
    def sheet_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True)
class _Subject:
    title: str
    courses: tuple[Course, ...]
    period_ids: tuple[str, ...]
    labels: tuple[str, ...]
    has_exam: bool
    has_final: bool
    year_id: str | None


def class_summary(export: JournalExport, klass: SchoolClass, dated: date | None = None) -> ClassSummary:
    """The summary sheet of a class: grid pages, then the statistics page, dated `dated` (default: the
    export's date, else the academic year's end)."""
    subjects = _subjects(export, klass)
    students = sorted(klass.students, key=lambda s: (s.last_name, s.first_name, s.middle_name or ""))
    all_cells = [_cells(student, subjects) for student in students]
    head = f"Сводная ведомость итоговых оценок обучающихся {klass.name} класса"
    legend = LEGEND + _scales_note(subjects)
    fixed = head_height(head) + note_height([legend]) + SAFETY
    # Each subject's columns are as wide as their widest label or mark; a subject is never split.
    blocks: list[tuple[_Subject, list[GridColumn]]] = []
    offset = 0
    for subject in subjects:
        columns = []
        for label in subject.labels:
            values = [cells[offset] for cells in all_cells]
            columns.append(GridColumn(label, column_width(label, values)))
            offset += 1
        blocks.append((subject, columns))
    chunks = chunk_by_width([sum(c.width for c in cols) for _, cols in blocks], SHEET_WIDTH - FULL_NAMES)
    pages: list[SummaryPage | StatsPage] = []
    first_column = 0
    for start, end in chunks:
        chosen = blocks[start:end]
        columns = [c for _, cols in chosen for c in cols]
        groups = tuple(GridGroup(group_lines(s.title, sum(c.width for c in cols)), len(cols)) for s, cols in chosen)
        header = (max((len(g.lines) for g in groups), default=1) + 1) * LINE
        rows = [
            GridRow(
                name_lines(number, student.full_name, _stay(student, export.academic_year.start), FULL_NAMES),
                cells[first_column : first_column + len(columns)],
            )
            for number, (student, cells) in enumerate(zip(students, all_cells, strict=True), start=1)
        ]
        first_column += len(columns)
        room = SHEET_HEIGHT - fixed - header
        pages += [SummaryPage(students_grid("Предмет", groups, columns, sheet)) for sheet in rows_by_sheet(rows, room)]
    stats = [_subject_stats(s, students) for s in subjects]
    director = export.school.director
    pages.append(
        StatsPage(
            subjects=tuple(stats),
            overall=_class_stats(subjects, students),
            homeroom_teacher=klass.homeroom_teacher.short_name,
            director_position=director.position,
            director=director.short_name,
            graded=bool(subjects),
            date_line=short_date(dated or _date_of(export)),
        )
    )
    return ClassSummary(klass.name, tuple(pages), legend=legend)


SCALE_WORDS = {"10": "10-балльной", "100": "100-балльной"}


def _scales_note(subjects: list[_Subject]) -> str:
    """« Отметки по 10-балльной шкале: …; статистика — по пятибалльной.» for subjects not marked 5 to 1."""
    by_scale: dict[str, list[str]] = {}
    for subject in subjects:
        scales = {c.scale for c in subject.courses if c.scale != "5"}
        for scale in sorted(scales):
            by_scale.setdefault(scale, []).append(subject.title)
    if not by_scale:
        return ""
    marked = [s.title for s in subjects if any(c.grading == "marks" for c in s.courses)]
    named = "; ".join(
        f"по {SCALE_WORDS[scale]} шкале" + ("" if titles == marked else f": {', '.join(titles)}")
        for scale, titles in by_scale.items()
    )
    return f" Отметки {named}; статистика успеваемости — по пятибалльной шкале."


def _date_of(export: JournalExport) -> date:
    return export.exported_at.date() if export.exported_at is not None else export.academic_year.end


def _subjects(export: JournalExport, klass: SchoolClass) -> list[_Subject]:
    """Graded subjects in curriculum order; a subject taught in subgroups is one block."""
    by_subject: dict[str, list[Course]] = {}
    for course in klass.courses:
        if course.grading != "none":
            by_subject.setdefault(course.subject.id, []).append(course)
    out: list[_Subject] = []
    for courses in by_subject.values():
        periods = sorted({p for c in courses for p in c.periods}, key=lambda p: (p.kind == "year", p.start, p.end))
        has_exam = any(m.kind == "exam" for c in courses for m in c.final_marks)
        has_final = any(m.kind == "final" for c in courses for m in c.final_marks)
        labels = [period_label(p) for p in periods]
        labels += ["экз."] * has_exam + ["итог"] * has_final
        out.append(
            _Subject(
                courses[0].subject.short_name,
                tuple(courses),
                tuple(p.id for p in periods),
                tuple(labels),
                has_exam,
                has_final,
                next((p.id for p in periods if p.kind == "year"), None),
            )
        )
    return out


def _marks_of(student: Student, subject: _Subject, *, shown: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """The student's period and final marks: normalised (for the statistics), or as written (`shown`)."""
    periods: dict[str, str] = {}
    finals: dict[str, str] = {}
    for course in subject.courses:
        for mark in course.period_marks:
            if mark.student_id == student.id:
                periods[mark.period_id] = mark.shown if shown else mark.value
        for final in course.final_marks:
            if final.student_id == student.id:
                finals[final.kind] = final.shown if shown else final.value
    return periods, finals


def _cells(student: Student, subjects: list[_Subject]) -> tuple[str, ...]:
    cells: list[str] = []
    for subject in subjects:
        periods, finals = _marks_of(student, subject, shown=True)
        cells += [periods.get(ident, "") for ident in subject.period_ids]
        if subject.has_exam:
            cells.append(finals.get("exam", ""))
        if subject.has_final:
            cells.append(finals.get("final", ""))
    return tuple(cells)


def _result(student: Student, subject: _Subject) -> str | None:
    """The mark the statistics use: the final mark, else the year mark."""
    periods, finals = _marks_of(student, subject)
    if subject.has_final:
        return finals.get("final")
    return periods.get(subject.year_id) if subject.year_id else None


def _subject_stats(subject: _Subject, students: list[Student]) -> SubjectStats:
    results = [_result(s, subject) for s in students]
    return _stats(subject.title, [r for r in results if r])


def _stats(title: str, results: list[str]) -> SubjectStats:
    counts = {key: 0 for key in ("5", "4", "3", "2", "н/а", "осв", "зач", "незач")}
    for value in results:
        key = "2" if value == "1" else value
        counts[key] = counts.get(key, 0) + 1
    base = len(results) - counts["осв"]
    passing = sum(1 for r in results if r in PASSING)
    good = sum(1 for r in results if r in GOOD)
    return SubjectStats(title, counts, base, passing, good)


def _class_stats(subjects: list[_Subject], students: list[Student]) -> SubjectStats:
    base = passing = good = 0
    for student in students:
        results = [r for r in (_result(student, s) for s in subjects) if r]
        graded = [r for r in results if r != "осв"]
        if not graded:
            continue
        base += 1
        if not any(r in FAILING for r in graded):
            passing += 1
            if all(r in GOOD or r == "зач" for r in graded) and any(r in GOOD for r in graded):
                good += 1
    return SubjectStats("По классу", {}, base, passing, good)


def _pct(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{part * 100 / whole:.1f}".replace(".", ",")


def _stay(student: Student, year_start: date) -> str:
    """«выбыла 20.12.2025», «прибыл 10.11.2025»: the student's sex when the export gives it."""
    ending = {"m": "", "f": "а"}.get(student.sex or "", "(а)")
    if student.left is not None:
        return f"выбыл{ending} {student.left:%d.%m.%Y}"
    if student.joined_after(year_start):
        return f"прибыл{ending} {student.enrolled:%d.%m.%Y}"
    return ""

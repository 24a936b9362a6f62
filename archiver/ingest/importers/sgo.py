"""«Сетевой город. Образование» (ИРТех): the `/webapi` responses as the public clients see them, and the two
report pages a school can save from its web pages.

The source directory (each JSON file one response, verbatim; each HTML file a saved report page):

    card.json                                        the school's additions (optional; see draft.py)
    fetch.json                                       what was saved and when (optional)
    school-card.json                                 GET /webapi/schools/{school}/card (optional)
    assignment-types.json                            GET /webapi/grade/assignment/types?all=false
    terms.json                                       GET /webapi/terms: [{id, termName, startDate, endDate}]
    subjects.json                                    GET /webapi/subjects: [{id, name, shortName}]
    classes/{class}/class.json                       GET /webapi/classes/{class}?expand=chiefs
    classes/{class}/students.json                    GET /webapi/grade/studentList?classId={class}
    classes/{class}/subjectgroups.json               GET /webapi/subjectgroups?classId={class}
    classes/{class}/subjectgroups/{sg}.json          GET /webapi/grade/studentList?sgid={sg}
    classes/{class}/diary/{student}/{week}.json      GET /webapi/student/diary?studentId=&yearId=&weekStart=&weekEnd=
    classes/{class}/reports/totalmarks.html          «Сводная ведомость успеваемости» (table-print-num)
    classes/{class}/reports/studenttotal-{student}.html  «Отчёт об успеваемости и посещаемости ученика»

The diary gives lessons (classmeetingId, day, number, subjectName) and each assignment with its type,
weight and the student's mark (`dutyMark`: a «точка»); the totals report gives the period, year, exam and
final marks; the student report gives the absence codes by date and subject (Н, НП, ОТ, Б, УП, ОП). Lesson
topics are not in the diary: the names of a lesson's class-work assignments stand for them.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

from archiver.errors import BadInputError
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
from archiver.ingest.importers.html_tables import Table, tables
from archiver.ingest.importers.saved import (
    At,
    Saved,
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

HOMEWORK_TYPE = "ДЗ"
ABSENCES = {"Н": "н", "НП": "н", "ОТ": "н", "Б": "б", "УП": "у", "ОП": "оп", "ОСВ": None}
TERM_KINDS = (("четверт", "quarter"), ("триместр", "trimester"), ("полугод", "half_year"), ("семестр", "half_year"))
RESULT_ROWS = {"годовая": ("year", None), "год": ("year", None), "экзамен": (None, "exam"), "итоговая": (None, "final")}
MONTHS = {"январь": 1, "февраль": 2, "март": 3, "апрель": 4, "май": 5, "июнь": 6, "июль": 7, "август": 8,
          "сентябрь": 9, "октябрь": 10, "ноябрь": 11, "декабрь": 12}  # fmt: skip
_POINT = {".", "·", "•"}


class SgoImporter:
    """Reads a directory of saved «Сетевой город. Образование» responses and report pages."""

    name = "sgo"
    description = "«Сетевой город. Образование»: saved /webapi responses and report pages"

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]:
        saved = Saved(path, limits, "«Сетевой город»")
        return _Reader(saved, read_card(saved)).document()


class _Reader:
    def __init__(self, saved: Saved, card: Card) -> None:
        self.saved = saved
        self.draft = Draft("sgo", "«Сетевой город. Образование»", card)
        self.types: dict[str, tuple[str, str]] = {}  # typeId → (abbr, name)
        self.terms: dict[str, str] = {}  # term name (lower case) → period id
        self.subject_names: dict[str, str] = {}  # subject id → name
        self.subject_short: dict[str, str] = {}  # short name (lower case) → subject id

    def document(self) -> dict[str, Any]:
        found = self._school()
        self._types()
        self._terms()
        self._subjects()
        read_classes(self, self.saved.directories("classes"))
        if not self.draft.classes:
            At(str(self.saved.root / "classes")).fail("no class directory (classes/{id}/)")
        marks = self._all_marks()
        weights = usual_weights([(m["work_type"], m.get("weight", 1.0)) for m in marks if "work_type" in m])
        for ident_, (abbr, title) in self.types.items():
            if ident_ in weights:
                self.draft.work_type(ident_, abbr, title, weights.get(ident_, 1.0))
        for mark in marks:  # a mark keeps its own weight only where it is not its type's usual one
            if "work_type" in mark and mark.get("weight") == weights.get(mark["work_type"]):
                mark.pop("weight")
        fetched = None
        if self.saved.exists("fetch.json"):
            data, at = self.saved.json("fetch.json")
            fetched = text(obj(data, at), "fetched_at", at, optional=True)
        return self.draft.document(found, At(str(self.saved.root)), fetched)

    def read_class(self, folder: str) -> dict[str, Any]:
        return self._class(folder)

    def _all_marks(self) -> list[dict[str, Any]]:
        return [m for k in self.draft.classes for c in k["courses"] for m in c["marks"]]

    def _school(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if not self.saved.exists("school-card.json"):
            return found
        data, at = self.saved.json("school-card.json")
        card = obj(data, at)
        common = obj(card.get("commonInfo") or {}, at / "commonInfo")
        name = text(common, "fullSchoolName", at / "commonInfo", optional=True)
        short = text(common, "schoolName", at / "commonInfo", optional=True)
        if name:
            found["name"] = name
        if short:
            found["short_name"] = short
        management = obj(card.get("managementInfo") or {}, at / "managementInfo")
        director = text(management, "director", at / "managementInfo", optional=True)
        if director:
            found["director"] = split_name(director, at / "managementInfo" / "director")
        contact = obj(card.get("contactInfo") or {}, at / "contactInfo")
        address = text(contact, "postAddress", at / "contactInfo", optional=True)
        if address:
            found["address"] = address
        return found

    def _types(self) -> None:
        data, at = self.saved.json("assignment-types.json")
        for record, where in each(data, at):
            ident_ = id_field(record, "id", where)
            name = text(record, "name", where)
            assert ident_ is not None and name is not None
            self.types[ident_] = (text(record, "abbr", where, optional=True) or name[:6], name)

    def _terms(self) -> None:
        data, at = self.saved.json("terms.json")
        for record, where in each(data, at):
            name = text(record, "termName", where, optional=True) or text(record, "name", where)
            assert name is not None
            kind = next((k for stem, k in TERM_KINDS if stem in name.lower()), None)
            if kind is None:
                (where / "termName").fail(f"{name!r} is not a quarter, trimester or half-year")
            start = day_field(record, "startDate", where)
            end = day_field(record, "endDate", where)
            assert start is not None and end is not None
            self.terms[name.lower()] = self.draft.period(PeriodSpan(kind, start, end, _term_name(name, kind)))

    def _subjects(self) -> None:
        data, at = self.saved.json("subjects.json")
        for record, where in each(data, at):
            ident_ = id_field(record, "id", where)
            name = text(record, "name", where)
            assert ident_ is not None and name is not None
            self.subject_names[ident_] = name
            self.subject_short[(text(record, "shortName", where, optional=True) or name).lower()] = ident_
            self.subject_short.setdefault(name.lower(), ident_)

    def _class(self, folder: str) -> dict[str, Any]:
        base = f"classes/{folder}"
        data, at = self.saved.json(f"{base}/class.json")
        record = obj(data, at)
        class_id = id_field(record, "id", at)
        if class_id != folder:
            (at / "id").fail(f"the class is {class_id}, but its directory is {base}")
        name = text(record, "name", at)
        assert name is not None and class_id is not None
        grade, letter = class_name_parts(name, at / "name")
        chiefs = list(each(record.get("chiefs") or [], at / "chiefs"))
        students = self._students(f"{base}/students.json")
        courses = self._courses(base, students)
        by_meeting = self._diaries(base, students, courses)
        self._attendance(base, students, courses)
        self._totals(base, students, courses)
        if chiefs:
            chief, chief_at = chiefs[0]
            homeroom = self.draft.teacher(
                id_field(chief, "id", chief_at) or "",
                split_name(text(chief, "name", chief_at) or "", chief_at / "name"),
            )
        elif class_id in self.draft.card.homeroom:
            homeroom = self.draft.card.homeroom[class_id]
        else:
            at.fail(f"the class's homeroom teacher is unknown: save {base}/class.json with ?expand=chiefs")
        del by_meeting
        periods = sorted(set(self.terms.values())) + ["year"]
        return {
            "id": class_id,
            "grade": grade,
            "letter": letter,
            "homeroom_teacher": homeroom,
            "students": [{**s, **self.draft.enrolment(s["id"])} for s in students.values()],
            "courses": [self.draft.course(c, periods) for c in sorted(courses.values(), key=lambda c: c.id)],
        }

    def _students(self, relative: str) -> dict[str, dict[str, Any]]:
        data, at = self.saved.json(relative)
        students = {}
        for record, where in each(data, at):
            ident_ = id_field(record, "id", where)
            full = text(record, "fullName", where)
            assert ident_ is not None and full is not None
            students[ident_] = {"id": ident_, **split_name(full, where / "fullName")}
        return students

    def _courses(self, base: str, students: dict[str, dict[str, Any]]) -> dict[str, CourseDraft]:
        data, at = self.saved.json(f"{base}/subjectgroups.json")
        groups = list(each(data, at))
        per_subject = Counter(
            id_field(obj(has(g, "subject", w), w / "subject"), "id", w / "subject") for g, w in groups
        )
        courses = {}
        for record, where in groups:
            ident_ = id_field(record, "id", where)
            subject_record = obj(has(record, "subject", where), where / "subject")
            subject = id_field(subject_record, "id", where / "subject")
            subject_name = text(subject_record, "name", where / "subject")
            assert ident_ is not None and subject is not None and subject_name is not None
            self.draft.subject(subject, subject_name)
            teachers = list(each(has(record, "teachers", where), where / "teachers"))
            if not teachers:
                (where / "teachers").fail("a subject group without its teacher")
            teacher_record, teacher_at = teachers[0]
            teacher = self.draft.teacher(
                id_field(teacher_record, "id", teacher_at) or "",
                split_name(text(teacher_record, "name", teacher_at) or "", teacher_at / "name"),
            )
            members = (
                set(self._students(f"{base}/subjectgroups/{ident_}.json"))
                if per_subject[subject] > 1
                else set(students)
            )
            for member in members:
                if member not in students:
                    At(str(self.saved.root / f"{base}/subjectgroups/{ident_}.json")).fail(
                        f"student {member} is not in the class's student list"
                    )
            name = text(record, "name", where)
            assert name is not None
            subgroup = None
            if per_subject[subject] > 1:
                subgroup = name.rsplit("/", 1)[-1].strip() if "/" in name else name
            courses[ident_] = CourseDraft(ident_, subject, teacher, subgroup, members)
        return courses

    def _course_for(self, subject_name: str, student: str, courses: dict[str, CourseDraft], at: At) -> CourseDraft:
        name = subject_name.rsplit("/", 1)[-1].strip().lower()
        found = [c for c in courses.values() if self.draft.subjects[c.subject]["name"].lower() == name]
        if not found:
            at.fail(f"subject {subject_name!r} has no subject group in subjectgroups.json")
        mine = [c for c in found if student in c.members]
        if not mine:
            at.fail(f"student {student} is in no subject group of {subject_name!r}")
        return mine[0]

    def _diaries(
        self, base: str, students: dict[str, dict[str, Any]], courses: dict[str, CourseDraft]
    ) -> dict[str, CourseDraft]:
        by_meeting: dict[str, CourseDraft] = {}
        for student in self.saved.directories(f"{base}/diary"):
            if student not in students:
                At(str(self.saved.root / f"{base}/diary/{student}")).fail(f"student {student} is not in students.json")
            for relative in self.saved.files(f"{base}/diary/{student}", ".json"):
                data, at = self.saved.json(relative)
                week = obj(data, at)
                for day, day_at in each(week.get("weekDays") or [], at / "weekDays"):
                    for lesson, where in each(day.get("lessons") or [], day_at / "lessons"):
                        self._lesson(lesson, where, student, courses, by_meeting)
        return by_meeting

    def _lesson(
        self,
        record: dict[str, Any],
        where: At,
        student: str,
        courses: dict[str, CourseDraft],
        by_meeting: dict[str, CourseDraft],
    ) -> None:
        meeting = id_field(record, "classmeetingId", where)
        assert meeting is not None
        subject_name = text(record, "subjectName", where)
        assert subject_name is not None
        course = by_meeting.get(meeting) or self._course_for(subject_name, student, courses, where / "subjectName")
        if student not in course.members:
            (where / "subjectName").fail(f"student {student} has a lesson of a subject group he or she is not in")
        by_meeting[meeting] = course
        lesson = course.lessons.get(meeting)
        assignments = list(each(record.get("assignments") or [], where / "assignments"))
        if lesson is None:
            day = day_field(record, "day", where)
            number_ = integer(record, "number", where)
            assert day is not None and number_ is not None
            lesson = {"id": meeting, "date": day.isoformat(), "number": number_}
            homework: list[str] = []
            topics: list[str] = []
            for assignment, a_at in assignments:
                name = text(assignment, "assignmentName", a_at, optional=True)
                type_id = id_field(assignment, "typeId", a_at)
                if type_id not in self.types:
                    (a_at / "typeId").fail(f"unknown assignment type {type_id} (not in assignment-types.json)")
                if not name:
                    continue
                is_homework = self.types[type_id][0] == HOMEWORK_TYPE
                issued_here = id_field(assignment, "classMeetingId", a_at, optional=True) in (None, meeting)
                (homework if is_homework else topics if issued_here else []).append(name)
            if topics:
                lesson["topic"] = "; ".join(dict.fromkeys(topics))
            if homework:
                lesson["homework"] = "; ".join(dict.fromkeys(homework))
            course.lessons[meeting] = lesson
        for assignment, a_at in assignments:
            type_id = id_field(assignment, "typeId", a_at)
            if type_id not in self.types:
                (a_at / "typeId").fail(f"unknown assignment type {type_id} (not in assignment-types.json)")
            mark = assignment.get("mark")
            if mark is None:
                continue
            mark_at = a_at / "mark"
            mark = obj(mark, mark_at)
            owner = id_field(mark, "studentId", mark_at)
            if owner != student:
                (mark_at / "studentId").fail(f"a mark of student {owner} in the diary of student {student}")
            value = mark.get("mark")
            point = flag(mark, "dutyMark", mark_at)
            if value is None and not point:
                continue
            entry: dict[str, Any] = {"student": student, "lesson": meeting}
            if value is not None:
                normal = (
                    five_point(str(value), "5")
                    if isinstance(value, int | str) and not isinstance(value, bool)
                    else None
                )
                if normal is None:
                    (mark_at / "mark").fail(f"{value!r} is not a mark from 1 to 5, nor a pass or a fail")
                entry["value"] = normal
                if str(value).strip() != normal:
                    entry.update(raw=str(value).strip(), scale="pass_fail" if normal in ("зач", "незач") else "5")
            if point:
                entry["point"] = True
                due = day_field(assignment, "dueDate", a_at, optional=True)
                if due:
                    entry["point_date"] = due.isoformat()
            entry["work_type"] = id_field(assignment, "typeId", a_at)
            weight = number(assignment, "weight", a_at, optional=True)
            if weight:
                entry["weight"] = weight
            course.mark(entry)

    def _attendance(self, base: str, students: dict[str, dict[str, Any]], courses: dict[str, CourseDraft]) -> None:
        by_day: dict[str, dict[str, list[str]]] = {}  # course → lesson date → its lessons that day
        for course in courses.values():
            for lesson in course.lessons.values():
                by_day.setdefault(course.id, {}).setdefault(lesson["date"], []).append(lesson["id"])
        for student in students:
            relative = f"{base}/reports/studenttotal-{student}.html"
            if not self.saved.exists(relative):
                continue
            html, at = self.saved.text(relative)
            _check_whole(html, at)
            named = _sheet_name(html)
            if named is not None and named != _full(students[student]):
                at.fail(f"the report is of {named!r}, not of student {student} ({_full(students[student])})")
            table = _report_table(html, at, "table-print", "Предмет")
            grid = table.grid()
            first_year = self.draft.year(at)[0].year
            dates = _dates(grid, at, first_year)
            for r, row in enumerate(grid[2:], start=2):
                if not row or row[0] is None or not row[0].text:
                    continue
                course = self._course_for(row[0].text, student, courses, at.cell(r + 1, 1))
                lessons_by_day = by_day.get(course.id, {})
                for column, day in dates.items():
                    cell = row[column] if column < len(row) else None
                    if cell is None:
                        continue
                    for token in cell.text.split():
                        if token.isdigit() or token in _POINT or five_point(token, "5") is not None:
                            continue  # marks are read from the diary, with their assignments
                        code = token.upper()
                        if code not in ABSENCES:
                            (at.cell(r + 1, column + 1)).fail(
                                f"{token!r} is not an absence code this importer knows ({', '.join(ABSENCES)})"
                            )
                        if ABSENCES[code] is None:
                            continue
                        held = lessons_by_day.get(day.isoformat())
                        if not held:
                            (at.cell(r + 1, column + 1)).fail(
                                f"an absence on {day.isoformat()}, when the diary has no lesson of {row[0].text!r}"
                            )
                        reason = ABSENCES[code]
                        assert reason is not None
                        for lesson_id in held:
                            course.absence(student, lesson_id, reason)

    def _totals(self, base: str, students: dict[str, dict[str, Any]], courses: dict[str, CourseDraft]) -> None:
        relative = f"{base}/reports/totalmarks.html"
        if not self.saved.exists(relative):
            return
        html, at = self.saved.text(relative)
        _check_whole(html, at)
        table = _report_table(html, at, "table-print-num", "Ф.И.О.")
        grid = table.grid()
        header = [c.text if c else "" for c in grid[0]]
        subject_columns: dict[int, str] = {}
        for column, label in enumerate(header):
            if column < 3 or not label or label.startswith("Решение"):
                continue
            subject = self.subject_short.get(label.lower())
            if subject is None:
                at.cell(1, column + 1).fail(f"subject {label!r} is not in subjects.json (shortName)")
            subject_columns[column] = subject
        by_name = {_full(s): ident_ for ident_, s in students.items()}
        for r, row in enumerate(grid[1:], start=1):
            if len(row) < 3 or row[1] is None or row[2] is None:
                at.cell(r + 1).fail(f"a row of {len(row)} cells: not a student's row (number, name, term, marks)")
            student = by_name.get(" ".join(row[1].text.split()))
            if student is None:
                at.cell(r + 1, 2).fail(f"{row[1].text!r} is not a student of the class (students.json)")
            label = row[2].text.lower()
            period, kind = RESULT_ROWS.get(label, (self.terms.get(label), None))
            if period is None and kind is None:
                at.cell(r + 1, 3).fail(
                    f"{row[2].text!r} is not a term (terms.json), «Годовая», «Экзамен» or «Итоговая»"
                )
            for column, subject in subject_columns.items():
                cell = row[column] if column < len(row) else None
                raw = cell.text if cell else ""
                if not raw:
                    continue
                value = result_value(raw, "5")
                if value is None:
                    (at.cell(r + 1, column + 1)).fail(f"{raw!r} is not a period or final mark")
                course = next((c for c in courses.values() if c.subject == subject and student in c.members), None)
                if course is None:
                    (at.cell(r + 1, column + 1)).fail(f"the student has no subject group of {header[column]!r}")
                entry: dict[str, Any] = {"student": student, "value": value}
                if raw != value:
                    entry["raw"] = raw
                if kind is None:
                    course.period_marks.append({**entry, "period": period})
                else:
                    course.final_marks.append({**entry, "kind": kind})


def _term_name(name: str, kind: str) -> str:
    return name[:1].upper() + name[1:]


def _full(student: dict[str, Any]) -> str:
    return " ".join(p for p in (student["last_name"], student["first_name"], student.get("middle_name")) if p)


def _check_whole(html: str, at: At) -> None:
    """A saved page ends with </html>: one cut short would lose its last rows without a word."""
    if "</html>" not in html[-4096:].lower():
        at.fail("the page ends before </html> (is the file truncated?)")


def _sheet_name(html: str) -> str | None:
    """The student a «studenttotal» report is of (its «Ученик:» line), when it names one."""
    found = re.search(r'data-sheet-name="([^"]*)"', html)
    return " ".join(unescape(found[1]).split()) if found else None


def _report_table(html: str, at: At, css: str, first_header: str) -> Table:
    """The report's data table: the table of class `css` whose first header cell starts with `first_header`."""
    try:
        found = tables(html)
    except ValueError as exc:
        raise BadInputError(f"{at}: {exc}") from None
    for table in found:
        if css in table.classes and table.rows and table.rows[0] and table.rows[0][0].text.startswith(first_header):
            return table
    for table in found:
        grid = table.grid()
        if css in table.classes and grid and any(c and c.text.startswith(first_header) for c in grid[0]):
            return table
    at.fail(f"not the expected report: no table.{css} whose header starts with «{first_header}»")


def _dates(grid: list[list[Any]], at: At, first_year: int) -> dict[int, date]:
    """Column → lesson date, from the month row (colspan) and the day row of a studenttotal report."""
    if len(grid) < 2:
        at.fail("not the expected report: the table has no day row under its month row")
    out: dict[int, date] = {}
    for column, cell in enumerate(grid[0]):
        if cell is None or cell.text.lower() not in MONTHS:
            continue
        month = MONTHS[cell.text.lower()]
        below = grid[1][column] if column < len(grid[1]) else None
        if below is None or not re.fullmatch(r"\d{1,2}", below.text):
            at.cell(2, column + 1).fail("expected the day of the month under the month")
        year = first_year if month >= 8 else first_year + 1
        try:
            out[column] = date(year, month, int(below.text))
        except ValueError:
            at.cell(2, column + 1).fail(f"{below.text} {cell.text} is not a calendar date")
    if not out:
        at.fail("not the expected report: no month columns («Сентябрь», …) in its header")
    return out

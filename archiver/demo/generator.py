"""A realistic, deterministic school year for demos, tests and benchmarks (`archiver demo-data`).

Everything is drawn from one `random.Random(seed)` and only ordered containers are iterated, so the same
seed and size give the same bytes in any process. Period marks are computed from the current marks by the
rule in `period_value` (weighted mean, half rounded up), year marks from the period marks, and final marks
from the year and exam marks, as a Russian school computes them.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from archiver.demo import calendar as cal
from archiver.demo.curriculum import (
    CURRICULUM,
    ELECTIVE_EXAMS_9,
    EXAM_SUBJECTS,
    HOMEWORK,
    MAX_LESSONS_PER_DAY,
    SPLIT_MIN_STUDENTS,
    SPLIT_SUBJECTS,
    SUBJECTS,
    SubjectInfo,
)
from archiver.demo.names import NameMaker
from archiver.demo.programme import programme_topics

SCHEMA_VERSION = "1.0"
CLASS_SIZE = 25
MAX_TEACHER_LOAD = 27
LETTERS = (("А", "a"), ("Б", "b"), ("В", "v"), ("Г", "g"), ("Д", "d"), ("Е", "e"))
GRADE_WEIGHT = {grade: (0.55 if grade >= 10 else 1.0) for grade in range(1, 12)}
# With fewer classes than grades, the grades that show the most variety come first.
GRADE_PREFERENCE = (5, 9, 2, 7, 11, 4, 8, 10, 3, 6, 1)

WORK_TYPES = (
    ("wt-u", "У", "Устный ответ", 1),
    ("wt-rnu", "РНУ", "Работа на уроке", 1),
    ("wt-dz", "ДЗ", "Домашнее задание", 1),
    ("wt-sr", "СР", "Самостоятельная работа", 1.5),
    ("wt-t", "Т", "Тест", 1.5),
    ("wt-kr", "КР", "Контрольная работа", 2),
    ("wt-d", "Д", "Диктант", 2),
    ("wt-soch", "СОЧ", "Сочинение", 2),
    ("wt-pr", "ПР", "Практическая работа", 1.5),
    ("wt-lr", "ЛР", "Лабораторная работа", 1.5),
)
WEIGHTS = {ident: float(weight) for ident, _, _, weight in WORK_TYPES}
ACTIVITY_SUBJECTS = {"pe", "art", "music", "tech"}  # marked for work in class, no tests
CANCEL_REASONS = ("карантин", "актированный день", "перенос по приказу директора")


@dataclass
class _Student:
    id: str
    last: str
    first: str
    middle: str
    sex: str
    enrolled: date
    left: date | None
    ability: float
    exempt_pe: bool = False

    def present_on(self, day: date) -> bool:
        return self.enrolled <= day and (self.left is None or day <= self.left)


@dataclass
class _Teacher:
    id: str
    last: str
    first: str
    middle: str
    position: str
    load: int = 0


@dataclass
class _Course:
    id: str
    subject: SubjectInfo
    hours: int
    teacher: _Teacher
    students: list[_Student]
    subgroup: str | None
    grading: str
    periods: list[str]
    lessons: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class _Class:
    id: str
    grade: int
    letter: str
    students: list[_Student]
    courses: list[_Course] = field(default_factory=list)
    homeroom: _Teacher | None = None


def generate(students: int = 1000, seed: int = 1) -> dict[str, Any]:
    """A whole school year as an export document (schemas/journal-export.schema.json)."""
    if students < 1:
        raise ValueError("a school needs at least one student")
    return _School(students, seed).build()


def document_json(document: dict[str, Any]) -> bytes:
    """The export as compact UTF-8 JSON (the same document always gives the same bytes)."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_document(document: dict[str, Any], path: Path) -> None:
    path.write_bytes(document_json(document))


def round_half_up(value: float) -> int:
    """Russian school rounding: 4.5 → 5, 4.49 → 4."""
    return math.floor(value + 0.5 + 1e-9)


def period_value(marks: Sequence[tuple[str, float]], grading: str) -> str | None:
    """The period mark that current marks (value, weight) give, or None when there are none."""
    if not marks:
        return None
    if grading == "pass_fail":
        passed = sum(1 for value, _ in marks if value == "зач")
        return "зач" if passed * 2 >= len(marks) else "незач"
    total = sum(weight for _, weight in marks)
    mean = sum(int(value) * weight for value, weight in marks) / total
    return str(round_half_up(mean))


def year_value(period_values: Sequence[str], grading: str) -> str | None:
    """The year mark from the period marks (numeric ones averaged, half rounded up)."""
    if not period_values:
        return None
    if grading == "pass_fail":
        graded = [v for v in period_values if v in ("зач", "незач")]
        if not graded:
            return "н/а"
        return "зач" if graded[-1] == "зач" else "незач"
    numeric = [int(v) for v in period_values if v.isdigit()]
    if not numeric:
        return "н/а"
    return str(round_half_up(sum(numeric) / len(numeric)))


class _School:
    def __init__(self, students: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = NameMaker(self.rng)
        self.total_students = students
        self.teachers: list[_Teacher] = []
        self.classes: list[_Class] = []
        self.lesson_counter = 0
        self.student_counter = 0

    # -- people and classes -------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        rng = self.rng
        number = rng.randint(2, 45)
        director_sex = rng.choice("mff")
        d_last, d_first, d_middle = self.names.person(director_sex, adult=True)
        self._make_classes()
        for klass in self.classes:
            self._make_courses(klass)
        self._assign_homerooms()
        for klass in self.classes:
            self._make_year(klass)
        return {
            "schema_version": SCHEMA_VERSION,
            "source": {"system": "archiver demo-data (synthetic school)", "exported_at": cal.EXPORTED_AT},
            "school": {
                "id": f"school-{number}",
                "name": "Муниципальное автономное общеобразовательное учреждение "
                f"«Средняя общеобразовательная школа № {number}»",
                "short_name": f"МАОУ СОШ № {number}",
                "address": f"603{number:03d}, г. Приволжск, ул. Школьная, д. {number}",
                "director": {
                    "last_name": d_last,
                    "first_name": d_first,
                    "middle_name": d_middle,
                    "position": "Директор",
                },
            },
            "academic_year": {"id": cal.YEAR_ID, "start": cal.YEAR_START.isoformat(), "end": cal.YEAR_END.isoformat()},
            "periods": [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "number": p.number,
                    "name": p.name,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                }
                for p in cal.PERIODS
            ],
            "work_types": [
                {"id": ident, "code": code, "title": title, "weight": weight}
                for ident, code, title, weight in WORK_TYPES
            ],
            "teachers": [
                {
                    "id": t.id,
                    "last_name": t.last,
                    "first_name": t.first,
                    "middle_name": t.middle,
                    "position": t.position,
                }
                for t in self.teachers
            ],
            "subjects": [
                {"id": s.id, "name": s.name, "short_name": s.short_name}
                for s in SUBJECTS.values()
                if any(c.subject.id == s.id for k in self.classes for c in k.courses)
            ],
            "classes": [self._class_record(klass) for klass in self.classes],
        }

    def _make_classes(self) -> None:
        rng = self.rng
        count = max(1, round(self.total_students / CLASS_SIZE))
        per_grade = _allocate(count)
        sizes = [self.total_students // count + (1 if i < self.total_students % count else 0) for i in range(count)]
        for _ in range(count * 2):  # vary sizes a little, keeping the total
            a, b = rng.randrange(count), rng.randrange(count)
            if a != b and sizes[a] > max(2, CLASS_SIZE - 5) and sizes[b] < CLASS_SIZE + 5:
                sizes[a] -= 1
                sizes[b] += 1
        index = 0
        for grade in range(1, 12):
            for letter_index in range(per_grade.get(grade, 0)):
                letter, latin = LETTERS[letter_index]
                klass = _Class(f"k{grade:02d}{latin}", grade, letter, [])
                klass.students = [self._student(grade) for _ in range(sizes[index])]
                klass.students.sort(key=lambda s: (s.last, s.first, s.middle))
                self.classes.append(klass)
                index += 1

    def _student(self, grade: int) -> _Student:
        rng = self.rng
        self.student_counter += 1
        sex = rng.choice("mf")
        last, first, middle = self.names.person(sex)
        enrolled = date(cal.YEAR_START.year - grade + 1, 9, 1)
        left: date | None = None
        roll = rng.random()
        if roll < 0.015:  # joined during the year
            enrolled = rng.choice(cal.school_days(grade)[30:140])
        elif roll < 0.03:  # left during the year
            left = rng.choice(cal.school_days(grade)[35:150])
        ability = min(4.95, max(2.6, rng.gauss(3.95, 0.55)))
        return _Student(
            f"s{self.student_counter:05d}",
            last,
            first,
            middle,
            sex,
            enrolled,
            left,
            ability,
            exempt_pe=rng.random() < 0.015,
        )

    def _teacher(self, position: str) -> _Teacher:
        sex = "f" if self.rng.random() < 0.85 else "m"
        last, first, middle = self.names.person(sex, adult=True)
        teacher = _Teacher(f"t{len(self.teachers) + 1:03d}", last, first, middle, position)
        self.teachers.append(teacher)
        return teacher

    def _teacher_for(self, position: str, hours: int) -> _Teacher:
        for teacher in self.teachers:
            if teacher.position == position and teacher.load + hours <= MAX_TEACHER_LOAD:
                teacher.load += hours
                return teacher
        teacher = self._teacher(position)
        teacher.load = hours
        return teacher

    def _make_courses(self, klass: _Class) -> None:
        primary_teacher = self._teacher("Учитель начальных классов") if klass.grade <= 4 else None
        if primary_teacher:
            klass.homeroom = primary_teacher
        split = len(klass.students) >= SPLIT_MIN_STUDENTS
        for subject_id, hours in CURRICULUM[klass.grade]:
            subject = SUBJECTS[subject_id]
            grading = "none" if klass.grade == 1 else subject.grading
            if grading == "none":
                periods: list[str] = []
            elif klass.grade >= 10:
                periods = [*cal.HALF_YEARS, "year"]
            else:
                periods = [*cal.QUARTERS, "year"]
            groups: list[tuple[str | None, list[_Student]]] = [(None, klass.students)]
            if split and subject_id in SPLIT_SUBJECTS and klass.grade >= SPLIT_SUBJECTS[subject_id]:
                half = (len(klass.students) + 1) // 2
                groups = [("1 подгруппа", klass.students[:half]), ("2 подгруппа", klass.students[half:])]
            for number, (subgroup, members) in enumerate(groups, start=1):
                if primary_teacher and subject.position == "Учитель начальных классов":
                    teacher = primary_teacher
                else:
                    teacher = self._teacher_for(subject.position, hours)
                suffix = f"-{number}" if subgroup else ""
                klass.courses.append(
                    _Course(
                        f"{klass.id}-{subject_id}{suffix}", subject, hours, teacher, members, subgroup, grading, periods
                    )
                )

    def _assign_homerooms(self) -> None:
        taken = {k.homeroom.id for k in self.classes if k.homeroom}
        for klass in self.classes:
            if klass.homeroom:
                continue
            for course in klass.courses:
                if course.teacher.id not in taken:
                    klass.homeroom = course.teacher
                    break
            else:
                klass.homeroom = klass.courses[0].teacher
            taken.add(klass.homeroom.id)

    # -- the year of one class ---------------------------------------------------------------------

    def _make_year(self, klass: _Class) -> None:
        timetable = self._timetable(klass)
        days = cal.school_days(klass.grade)
        by_subject: dict[str, list[_Course]] = {}
        for course in klass.courses:
            by_subject.setdefault(course.subject.id, []).append(course)
        dates: dict[str, list[tuple[date, int]]] = {c.id: [] for c in klass.courses}
        for day in days:
            for number, subject_id in timetable[day.weekday()]:
                for course in by_subject[subject_id]:
                    dates[course.id].append((day, number))
        ill = {s.id: self._illness(days) for s in klass.students}
        for course in klass.courses:
            self._lessons(course, dates[course.id], klass.grade)
            self._records(course, ill)

    def _timetable(self, klass: _Class) -> list[list[tuple[int, str]]]:
        """Weekly timetable: for each weekday, (lesson number, subject id)."""
        rng = self.rng
        days: list[list[str]] = [[] for _ in range(5)]
        limit = MAX_LESSONS_PER_DAY[klass.grade]
        items = sorted(CURRICULUM[klass.grade], key=lambda item: -item[1])
        for subject_id, hours in items:
            for _ in range(hours):
                candidates = [d for d in range(5) if len(days[d]) < limit + (1 if d == 0 else 0)]
                if not candidates:
                    candidates = list(range(5))
                day = min(candidates, key=lambda d: (days[d].count(subject_id), len(days[d]), rng.random()))
                days[day].append(subject_id)
        timetable = []
        for subjects in days:
            rng.shuffle(subjects)
            timetable.append([(number, subject) for number, subject in enumerate(subjects, start=1)])
        return timetable

    def _illness(self, days: list[date]) -> set[date]:
        rng = self.rng
        sick: set[date] = set()
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 2, 3))):
            start = rng.randrange(len(days))
            sick.update(days[start : start + rng.randint(3, 8)])
        return sick

    def _lessons(self, course: _Course, slots: list[tuple[date, int]], grade: int) -> None:
        rng = self.rng
        subject = course.subject
        topics = _topics_for_grade(subject, grade)
        per_topic = max(1, math.ceil(len(slots) / len(topics)))
        control_every = {1: 16, 2: 12, 3: 14, 4: 16}.get(course.hours, 18)
        graded_tests = course.grading == "marks" and subject.id not in ACTIVITY_SUBJECTS
        tests = labs = 0
        for index, (day, number) in enumerate(slots):
            self.lesson_counter += 1
            topic = topics[min(index // per_topic, len(topics) - 1)]
            lesson: dict[str, Any] = {"id": f"L{self.lesson_counter:06d}", "date": day.isoformat(), "number": number}
            kind = "ordinary"
            if graded_tests and index % control_every == control_every - 1:
                tests += 1
                kind = "test"
                if subject.id == "rus" and tests % 2:
                    lesson["topic"] = f"Контрольный диктант № {tests} по теме «{topic}»"
                elif subject.id == "lit" and tests % 2:
                    lesson["topic"] = f"Классное сочинение по теме «{topic}»"
                else:
                    lesson["topic"] = f"Контрольная работа № {tests} по теме «{topic}»"
            elif graded_tests and subject.labs and index % 7 == 3:
                labs += 1
                kind = "lab"
                work = "Лабораторная работа" if subject.id in ("phys", "chem", "bio") else "Практическая работа"
                lesson["topic"] = f"{work} № {labs}. {topic}"
            else:
                lesson["topic"] = topic
            homework = self._homework(subject, index // per_topic + 1, index)
            if homework:
                lesson["homework"] = homework
            roll = rng.random()
            if roll < 0.004:
                lesson["cancelled"] = True
                lesson["note"] = f"Урок отменён: {rng.choice(CANCEL_REASONS)}"
                lesson.pop("homework", None)
                kind = "cancelled"
            elif roll < 0.024:
                substitute = self._substitute(course.teacher)
                if substitute is not None:
                    lesson["teacher"] = substitute.id
                    lesson["replacement"] = True
            lesson["_kind"] = kind
            lesson["_day"] = day
            course.lessons.append(lesson)

    def _homework(self, subject: SubjectInfo, paragraph: int, index: int) -> str:
        """Homework that moves through the textbook as the year goes on."""
        rng = self.rng
        template = rng.choice(HOMEWORK[subject.homework])
        page = 6 + index * 2 + rng.randint(0, 2)
        exercise = 3 + index * 3
        return template.format(
            p=paragraph,
            n=exercise,
            m=exercise + rng.randint(1, 3),
            k=exercise + rng.randint(4, 6),
            q=rng.randint(1, 12),
            page=page,
            page2=page + rng.randint(2, 6),
        )

    def _substitute(self, teacher: _Teacher) -> _Teacher | None:
        same = [t for t in self.teachers if t.position == teacher.position and t.id != teacher.id]
        pool = same or [t for t in self.teachers if t.id != teacher.id]
        return self.rng.choice(pool) if pool else None

    def _records(self, course: _Course, ill: dict[str, set[date]]) -> None:
        """Marks and absences lesson by lesson, then the period, year and final marks they give."""
        rng = self.rng
        subject = course.subject
        marks: list[dict[str, Any]] = []
        absences: list[dict[str, Any]] = []
        graded = course.grading != "none"
        exempt = subject.id == "pe"
        offset = {s.id: rng.gauss(0, 0.3) for s in course.students}
        lessons_per_quarter = max(1.0, 8.5 * course.hours)
        oral_rate = min(0.9, 3.5 / lessons_per_quarter)  # about 3-4 oral marks a student a quarter
        earned: dict[str, list[tuple[date, str, float]]] = {s.id: [] for s in course.students}
        for lesson in course.lessons:
            if lesson["_kind"] == "cancelled":
                continue
            day: date = lesson["_day"]
            present = []
            for student in course.students:
                if not student.present_on(day):
                    continue
                if day in ill[student.id]:
                    absences.append({"student": student.id, "lesson": lesson["id"], "reason": "б"})
                    continue
                roll = rng.random()
                if roll < 0.006:
                    absences.append({"student": student.id, "lesson": lesson["id"], "reason": "н"})
                elif roll < 0.011:
                    absences.append({"student": student.id, "lesson": lesson["id"], "reason": "у"})
                elif not (exempt and student.exempt_pe):
                    present.append(student)
            if not graded or not present:
                continue
            if lesson["_kind"] in ("test", "lab"):
                work = _test_work_type(subject.id, lesson["topic"], lesson["_kind"])
                chosen = present
            elif subject.id not in ACTIVITY_SUBJECTS and rng.random() < 0.08:
                work, chosen = ("wt-sr" if rng.random() < 0.6 else "wt-t"), present
            else:
                work = "wt-rnu" if subject.id in ACTIVITY_SUBJECTS else rng.choice(("wt-u", "wt-u", "wt-u", "wt-dz"))
                chosen = [s for s in present if rng.random() < oral_rate]
            for student in chosen:
                value = self._mark(course.grading, student.ability + offset[student.id], work)
                marks.append({"student": student.id, "lesson": lesson["id"], "value": value, "work_type": work})
                earned[student.id].append((day, value, WEIGHTS[work]))
        for lesson in course.lessons:
            del lesson["_kind"], lesson["_day"]
        course.records = {"marks": marks, "absences": absences, **self._results(course, earned, offset)}

    def _mark(self, grading: str, level: float, work: str) -> str:
        rng = self.rng
        if grading == "pass_fail":
            return "зач" if rng.random() < 0.97 else "незач"
        spread = 0.85 if WEIGHTS[work] > 1 else 0.7
        return str(min(5, max(2, round_half_up(rng.gauss(level, spread)))))

    def _results(
        self, course: _Course, earned: dict[str, list[tuple[date, str, float]]], offset: dict[str, float]
    ) -> dict[str, list[dict[str, Any]]]:
        period_marks: list[dict[str, Any]] = []
        final_marks: list[dict[str, Any]] = []
        if course.grading == "none":
            return {"period_marks": period_marks, "final_marks": final_marks}
        exempt = course.subject.id == "pe"
        for student in course.students:
            values: list[str] = []
            for ident in course.periods:
                if ident == "year":
                    continue
                spec = cal.period_spec(ident)
                if not _counts_for_period(student, spec):
                    continue
                in_period = [(v, w) for d, v, w in earned[student.id] if spec.start <= d <= spec.end]
                value = "осв" if exempt and student.exempt_pe else period_value(in_period, course.grading) or "н/а"
                values.append(value)
                period_marks.append({"student": student.id, "period": ident, "value": value})
            if student.left is not None or not values:
                continue  # left during the year: no year mark
            year = "осв" if exempt and student.exempt_pe else year_value(values, course.grading)
            assert year is not None
            period_marks.append({"student": student.id, "period": "year", "value": year})
            final_marks.extend(self._finals(course, student, year, offset[student.id]))
        return {"period_marks": period_marks, "final_marks": final_marks}

    def _finals(self, course: _Course, student: _Student, year: str, offset: float) -> list[dict[str, Any]]:
        grade = int(course.id[1:3])
        if grade not in (9, 11):
            return []
        subject_id = course.subject.id
        out: list[dict[str, Any]] = []
        final = year
        if year.isdigit() and _takes_exam(student, subject_id, grade):
            exam = min(5, max(2, round_half_up(self.rng.gauss(student.ability + offset, 0.7))))
            out.append({"student": student.id, "kind": "exam", "value": str(exam)})
            if grade == 9:  # ОГЭ: the mean of the year and exam marks; ЕГЭ does not change the final mark
                final = str(round_half_up((int(year) + exam) / 2))
        out.append({"student": student.id, "kind": "final", "value": final})
        return out

    def _class_record(self, klass: _Class) -> dict[str, Any]:
        assert klass.homeroom is not None
        return {
            "id": klass.id,
            "grade": klass.grade,
            "letter": klass.letter,
            "homeroom_teacher": klass.homeroom.id,
            "students": [_student_record(s) for s in klass.students],
            "courses": [_course_record(c) for c in klass.courses],
        }


def _allocate(count: int) -> dict[int, int]:
    """How many classes each grade gets (largest remainder over the grade weights)."""
    if count < len(GRADE_PREFERENCE):
        return {grade: 1 for grade in GRADE_PREFERENCE[:count]}
    total = sum(GRADE_WEIGHT.values())
    shares = {grade: count * weight / total for grade, weight in GRADE_WEIGHT.items()}
    result = {grade: max(1, int(share)) for grade, share in shares.items()}
    order = sorted(shares, key=lambda g: (-(shares[g] - int(shares[g])), GRADE_PREFERENCE.index(g)))
    i = 0
    while sum(result.values()) < count:
        result[order[i % len(order)]] += 1
        i += 1
    while sum(result.values()) > count:
        grade = max(result, key=lambda g: (result[g], g))
        result[grade] -= 1
    return {grade: min(n, len(LETTERS)) for grade, n in result.items()}


def _topics_for_grade(subject: SubjectInfo, grade: int) -> tuple[str, ...]:
    """The grade's programme where it has one (archiver.demo.programme); else the subject's topics entered
    at a grade-dependent place, so parallel grades differ; the closing «Итоговое …» topic stays last."""
    own = programme_topics(subject.id, grade)
    if own is not None:
        return own
    topics = list(subject.topics)
    closing = [topics.pop()] if topics[-1].startswith("Итогов") else []
    shift = (grade * 3) % len(topics)
    return tuple(topics[shift:] + topics[:shift] + closing)


def _counts_for_period(student: _Student, spec: cal.PeriodSpec) -> bool:
    """A student is graded for a period when in the class for at least half of it and still there at its end."""
    if student.left is not None and student.left < spec.end:
        return False
    start = max(student.enrolled, spec.start)
    return (spec.end - start).days * 2 >= (spec.end - spec.start).days


def _takes_exam(student: _Student, subject_id: str, grade: int) -> bool:
    if subject_id in EXAM_SUBJECTS:
        return True
    if grade != 9:
        return False
    # Two elective subjects per student, fixed by the student's id so that every course agrees.
    chooser = random.Random(student.id)
    return subject_id in chooser.sample(ELECTIVE_EXAMS_9, 2)


def _test_work_type(subject_id: str, topic: str, kind: str) -> str:
    if kind == "lab":
        return "wt-lr" if topic.startswith("Лабораторная") else "wt-pr"
    if topic.startswith("Контрольный диктант"):
        return "wt-d"
    if topic.startswith("Классное сочинение"):
        return "wt-soch"
    return "wt-kr"


def _student_record(student: _Student) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": student.id,
        "last_name": student.last,
        "first_name": student.first,
        "middle_name": student.middle,
        "sex": student.sex,
        "enrolled": student.enrolled.isoformat(),
    }
    if student.left:
        record["left"] = student.left.isoformat()
    return record


def _course_record(course: _Course) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": course.id,
        "subject": course.subject.id,
        "teacher": course.teacher.id,
        "grading": course.grading,
        "periods": course.periods,
        "hours_per_week": course.hours,
        "planned_hours": course.hours * (33 if course.id.startswith("k01") else 34),
    }
    if course.subgroup:
        record["subgroup"] = {"name": course.subgroup, "students": [s.id for s in course.students]}
    record["lessons"] = course.lessons
    record.update(course.records)
    return record

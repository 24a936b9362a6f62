"""The demo school: deterministic to the byte, valid, and realistic where a deputy director would look."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from archiver.demo import calendar as cal
from archiver.demo.curriculum import CURRICULUM
from archiver.demo.generator import generate, period_value, round_half_up, write_document, year_value
from archiver.ingest.validation import validate_document

Doc = dict[str, Any]


def _digest_in_new_process(students: int, seed: int, hash_seed: str) -> str:
    code = (
        "import hashlib, json, sys; from archiver.demo.generator import generate; "
        f"d = generate({students}, {seed}); "
        "sys.stdout.write(hashlib.sha256(json.dumps(d, ensure_ascii=False, separators=(',', ':')).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_document(generate(150, 42), first)
    write_document(generate(150, 42), second)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.slow  # two new interpreters
def test_same_seed_gives_the_same_bytes_in_other_processes(tmp_path: Path) -> None:
    """The same bytes in other processes too, whatever their string hashing (sets must not leak into the
    output)."""
    first = tmp_path / "a.json"
    write_document(generate(150, 42), first)
    expected = hashlib.sha256(first.read_bytes().rstrip(b"\n")).hexdigest()
    assert _digest_in_new_process(150, 42, "1") == expected
    assert _digest_in_new_process(150, 42, "987") == expected


def test_another_seed_gives_another_school() -> None:
    assert generate(150, 1)["classes"][0]["students"] != generate(150, 2)["classes"][0]["students"]


def test_small_and_odd_sizes_are_valid() -> None:
    for students in (1, 7, 30, 260):
        doc = generate(students, 5)
        assert sum(len(c["students"]) for c in doc["classes"]) == students
        assert validate_document(doc) == (), students


def test_thousand_students_are_about_forty_classes_of_twenty_five(demo_school: Doc) -> None:
    classes = demo_school["classes"]
    assert sum(len(c["students"]) for c in classes) == 1000
    assert 38 <= len(classes) <= 42
    assert {c["grade"] for c in classes} == set(range(1, 12))
    assert all(20 <= len(c["students"]) <= 30 for c in classes)
    assert validate_document(demo_school) == ()


def test_every_class_has_every_subject_of_its_grade(demo_school: Doc) -> None:
    for klass in demo_school["classes"]:
        subjects = Counter(course["subject"] for course in klass["courses"])
        expected = {subject for subject, _ in CURRICULUM[klass["grade"]]}
        assert set(subjects) == expected, klass["id"]
        hours = {course["subject"]: course["hours_per_week"] for course in klass["courses"]}
        assert hours == dict(CURRICULUM[klass["grade"]]), klass["id"]
        for course in klass["courses"]:
            assert course["lessons"], course["id"]


def test_english_is_taught_in_subgroups_that_split_the_class(demo_school: Doc) -> None:
    klass = next(c for c in demo_school["classes"] if c["grade"] == 7)
    groups = [c for c in klass["courses"] if c["subject"] == "eng"]
    assert [g["subgroup"]["name"] for g in groups] == ["1 подгруппа", "2 подгруппа"]
    members = [s for g in groups for s in g["subgroup"]["students"]]
    assert sorted(members) == sorted(s["id"] for s in klass["students"])


def test_names_are_russian_and_of_one_gender(demo_school: Doc) -> None:
    people = [s for c in demo_school["classes"] for s in c["students"]]
    assert len({(p["last_name"], p["first_name"], p["middle_name"]) for p in people}) == len(people)
    for person in people:
        if person["sex"] == "f":
            assert person["middle_name"].endswith(("вна", "чна")), person
        else:
            assert person["middle_name"].endswith(("вич", "ич")), person
            assert not person["last_name"].endswith(("ова", "ева", "ина", "ская")), person
    assert Counter(p["sex"] for p in people)["f"] > 400


def test_lessons_follow_the_calendar(demo_school: Doc) -> None:
    holidays = set(cal.PUBLIC_HOLIDAYS)
    for klass in demo_school["classes"]:
        days = {l["date"] for course in klass["courses"] for l in course["lessons"]}
        for text in days:
            day = date.fromisoformat(text)
            assert day.weekday() < 5 and day not in holidays, (klass["id"], text)
            assert any(p.start <= day <= p.end for p in cal.PERIODS if p.kind == "quarter"), text
        # no lessons in the autumn holidays, and first-graders rest a week in February
        assert not any("2025-10-27" <= d <= "2025-11-04" for d in days)
        if klass["grade"] == 1:
            assert not any("2026-02-16" <= d <= "2026-02-22" for d in days)


def test_the_journal_has_what_a_real_one_has(demo_school: Doc) -> None:
    lessons = [l for c in demo_school["classes"] for course in c["courses"] for l in course["lessons"]]
    assert sum(1 for l in lessons if l.get("replacement")) > 100
    assert sum(1 for l in lessons if l.get("cancelled")) > 20
    assert sum(1 for l in lessons if l["topic"].startswith("Контрольная работа")) > 500
    assert sum(1 for l in lessons if l.get("homework")) > len(lessons) / 2
    courses = [course for c in demo_school["classes"] for course in c["courses"]]
    reasons = Counter(a["reason"] for course in courses for a in course["absences"])
    assert set(reasons) == {"н", "б", "у"} and reasons["б"] > reasons["н"]
    values = Counter(m["value"] for course in courses for m in course["marks"])
    total = sum(values[v] for v in "5432")
    assert 0.25 < values["4"] / total < 0.5 and 0.15 < values["5"] / total < 0.4 and values["2"] / total < 0.12
    work_types = Counter(m["work_type"] for course in courses for m in course["marks"])
    assert {"wt-u", "wt-kr", "wt-sr", "wt-lr", "wt-d"} <= set(work_types)
    students = [s for c in demo_school["classes"] for s in c["students"]]
    assert 5 <= sum(1 for s in students if s["enrolled"] > "2025-09-01") <= 40
    assert 5 <= sum(1 for s in students if "left" in s) <= 40


def test_grade_one_is_not_marked(demo_school: Doc) -> None:
    for klass in demo_school["classes"]:
        if klass["grade"] == 1:
            for course in klass["courses"]:
                assert course["grading"] == "none" and not course["marks"] and not course["period_marks"]


def test_period_and_year_marks_follow_from_the_current_marks(demo_school: Doc) -> None:
    weights = {w["id"]: w["weight"] for w in demo_school["work_types"]}
    periods = {p["id"]: p for p in demo_school["periods"]}
    checked = 0
    for klass in demo_school["classes"]:
        for course in klass["courses"]:
            lesson_day = {l["id"]: l["date"] for l in course["lessons"]}
            earned: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
            for mark in course["marks"]:
                earned[mark["student"]].append((lesson_day[mark["lesson"]], mark["value"], weights[mark["work_type"]]))
            by_student: dict[str, dict[str, str]] = defaultdict(dict)
            for pm in course["period_marks"]:
                by_student[pm["student"]][pm["period"]] = pm["value"]
            for student, marks in by_student.items():
                for ident, value in marks.items():
                    if ident == "year" or value == "осв":
                        continue
                    p = periods[ident]
                    in_period = [(v, w) for d, v, w in earned[student] if p["start"] <= d <= p["end"]]
                    assert value == (period_value(in_period, course["grading"]) or "н/а"), (course["id"], student)
                    checked += 1
                if "year" in marks and marks["year"] != "осв":
                    parts = [v for i, v in marks.items() if i != "year"]
                    assert marks["year"] == year_value(parts, course["grading"]), (course["id"], student)
    assert checked > 40000


def test_exam_marks_only_in_grades_nine_and_eleven(demo_school: Doc) -> None:
    for klass in demo_school["classes"]:
        exams = [m for course in klass["courses"] for m in course.get("final_marks", []) if m["kind"] == "exam"]
        finals = [m for course in klass["courses"] for m in course.get("final_marks", []) if m["kind"] == "final"]
        if klass["grade"] in (9, 11):
            assert exams and finals, klass["id"]
            per_student = Counter(m["student"] for m in exams)
            assert set(per_student.values()) <= ({4} if klass["grade"] == 9 else {2}), klass["id"]
        else:
            assert not exams and not finals, klass["id"]


def test_ninth_grade_final_mark_is_the_mean_of_year_and_exam(demo_school: Doc) -> None:
    klass = next(c for c in demo_school["classes"] if c["grade"] == 9)
    for course in klass["courses"]:
        year = {m["student"]: m["value"] for m in course["period_marks"] if m["period"] == "year"}
        exam = {m["student"]: m["value"] for m in course.get("final_marks", []) if m["kind"] == "exam"}
        for m in course.get("final_marks", []):
            if m["kind"] == "final" and m["student"] in exam:
                assert m["value"] == str(round_half_up((int(year[m["student"]]) + int(exam[m["student"]])) / 2))


def test_rounding_is_the_school_rule() -> None:
    assert [round_half_up(x) for x in (4.5, 4.49, 3.5, 2.5, 2.4999)] == [5, 4, 4, 3, 2]
    assert period_value([("5", 1), ("4", 1)], "marks") == "5"
    assert period_value([("5", 1), ("3", 2)], "marks") == "4"  # 11/3 = 3.67
    assert period_value([], "marks") is None
    assert year_value(["4", "н/а", "5", "5"], "marks") == "5"  # 14/3


def test_topics_follow_the_programme_of_each_grade_and_the_journal_is_in_russian() -> None:
    """Seed 002 §3.6: the journal is kept in Russian, foreign-language lessons included; literature and
    history follow their grade's programme (no «Муму» in the 11th grade)."""
    from archiver.demo.programme import PROGRAMME

    document = generate(students=120, seed=1)
    by_grade: dict[tuple[str, int], set[str]] = {}
    for klass in document["classes"]:
        for course in klass["courses"]:
            topics = {lesson["topic"] for lesson in course["lessons"]}
            by_grade.setdefault((course["subject"], klass["grade"]), set()).update(topics)
            if course["subject"] == "eng":
                for lesson in course["lessons"]:
                    for text in (lesson["topic"], lesson.get("homework", "")):
                        assert not text or any("а" <= ch.lower() <= "я" for ch in text), text
    for (subject, grade), topics in by_grade.items():
        programme = PROGRAMME.get((subject, grade))
        if programme is None:
            continue
        for topic in topics:
            assert any(t in topic for t in programme), (subject, grade, topic)
    assert not any("Муму" in t for t in by_grade[("lit", 11)])
    assert any("Мастер и Маргарита" in t for t in by_grade[("lit", 11)])
    assert not by_grade[("hist", 5)] & by_grade[("hist", 11)]
    control = [t for t in by_grade[("hist", 9)] if t.startswith("Контрольная работа № ")]
    assert control and all("«" in t for t in control)  # «Контрольная работа № N по теме «…»»

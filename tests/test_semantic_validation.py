"""Layer two: exports of the right shape whose meaning is wrong, each reported at its JSON path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from archiver.demo.generator import generate
from archiver.ingest.validation import check_schema, check_semantics, validate_document

Doc = dict[str, Any]


def _math(doc: Doc) -> Doc:
    return doc["classes"][0]["courses"][0]


def _eng(doc: Doc) -> Doc:
    return doc["classes"][0]["courses"][1]


def _second_class(doc: Doc) -> None:
    """Add class 5Б with its own student s-b1, who then appears in 5А's math marks."""
    doc["classes"].append(
        {
            "id": "c-5b",
            "grade": 5,
            "letter": "Б",
            "homeroom_teacher": "t-eng",
            "students": [{"id": "s-b1", "last_name": "Яковлев", "first_name": "Иван", "enrolled": "2020-09-01"}],
            "courses": [],
        }
    )
    _math(doc)["marks"][0]["student"] = "s-b1"


M = "classes[0].courses[0]"
E = "classes[0].courses[1]"

CASES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    (
        "unknown student",
        lambda d: _math(d)["marks"][3].update(student="s-991"),
        f"{M}.marks[3].student",
        "unknown student 's-991'",
    ),
    (
        "duplicate student id",
        lambda d: d["classes"][0]["students"][1].update(id="s-1"),
        "classes[0].students[1].id",
        "duplicate student id 's-1' (first at classes[0].students[0].id)",
    ),
    (
        "duplicate teacher id",
        lambda d: d["teachers"][2].update(id="t-math"),
        "teachers[2].id",
        "duplicate teacher id 't-math'",
    ),
    (
        "duplicate lesson id",
        lambda d: _eng(d)["lessons"][0].update(id="l-2"),
        f"{E}.lessons[0].id",
        "duplicate lesson id 'l-2'",
    ),
    ("unknown teacher of a course", lambda d: _math(d).update(teacher="t-x"), f"{M}.teacher", "unknown teacher 't-x'"),
    ("unknown subject", lambda d: _eng(d).update(subject="fr"), f"{E}.subject", "unknown subject 'fr'"),
    (
        "unknown homeroom teacher",
        lambda d: d["classes"][0].update(homeroom_teacher="t-0"),
        "classes[0].homeroom_teacher",
        "unknown teacher 't-0'",
    ),
    (
        "mark on a lesson of another course",
        lambda d: _math(d)["marks"][0].update(lesson="l-e1"),
        f"{M}.marks[0].lesson",
        "lesson 'l-e1' belongs to another course (Иностранный язык (английский), 5А",
    ),
    (
        "unknown lesson",
        lambda d: _math(d)["absences"][1].update(lesson="l-77"),
        f"{M}.absences[1].lesson",
        "unknown lesson 'l-77'",
    ),
    (
        "lesson outside the year",
        lambda d: _math(d)["lessons"][5].update(date="2026-09-15"),
        f"{M}.lessons[5].date",
        "2026-09-15 is outside the academic year (2025-09-01 – 2026-08-31)",
    ),
    (
        "impossible date",
        lambda d: _math(d)["lessons"][5].update(date="2026-02-30"),
        f"{M}.lessons[5].date",
        "'2026-02-30' is not a real calendar date",
    ),
    (
        "mark before the student joined",
        lambda d: _math(d)["marks"][3].update(lesson="l-1"),
        f"{M}.marks[3].student",
        "student 's-3' was not in the class on 2025-09-01 (enrolled 2025-11-10)",
    ),
    (
        "absence after the student left",
        lambda d: _math(d)["absences"].append({"student": "s-4", "lesson": "l-5", "reason": "н"}),
        f"{M}.absences[2].student",
        "was not in the class on 2026-02-03 (enrolled 2020-09-01, left 2025-12-20)",
    ),
    ("student of another class", _second_class, f"{M}.marks[0].student", "student 's-b1' is in class 5Б, not 5А"),
    (
        "student outside the subgroup",
        lambda d: _eng(d)["marks"][0].update(student="s-4"),
        f"{E}.marks[0].student",
        "student 's-4' is not in this course's subgroup",
    ),
    (
        "mark on a cancelled lesson",
        lambda d: _math(d)["marks"][5].update(lesson="l-4"),
        f"{M}.marks[5].lesson",
        "a mark on lesson 'l-4', which was cancelled",
    ),
    (
        "pass mark in a marked course",
        lambda d: _math(d)["marks"][0].update(value="зач"),
        f"{M}.marks[0].value",
        "'зач' is not allowed for a course marked 5 to 1 (allowed: 5, 4, 3, 2, 1)",
    ),
    (
        "number in a pass/fail course",
        lambda d: _eng(d).update(grading="pass_fail"),
        f"{E}.marks[0].value",
        "'5' is not allowed for a pass/fail course",
    ),
    (
        "unknown work type",
        lambda d: _math(d)["marks"][0].update(work_type="wt-x"),
        f"{M}.marks[0].work_type",
        "unknown work type 'wt-x'",
    ),
    (
        "period the course does not have",
        lambda d: _math(d).update(periods=["q2", "q3", "q4", "year"]),
        f"{M}.period_marks[0].period",
        "the course is not graded for period 'q1' (its periods: q2, q3, q4, year)",
    ),
    (
        "unknown period",
        lambda d: _eng(d)["period_marks"][0].update(period="h9"),
        f"{E}.period_marks[0].period",
        "unknown period 'h9'",
    ),
    (
        "period mark before joining",
        lambda d: _math(d)["period_marks"][3].update(period="q1"),
        f"{M}.period_marks[3].student",
        "was not in the class during the period 2025-09-01 – 2025-10-24",
    ),
    (
        "duplicate period mark",
        lambda d: _math(d)["period_marks"].append({"student": "s-1", "period": "q1", "value": "5"}),
        f"{M}.period_marks[5]",
        "already has a mark for this period at period_marks[0]",
    ),
    (
        "duplicate absence",
        lambda d: _math(d)["absences"].append({"student": "s-2", "lesson": "l-1", "reason": "у"}),
        f"{M}.absences[2]",
        "already absences[0]",
    ),
    (
        "overlapping quarters",
        lambda d: d["periods"][1].update(start="2025-10-20"),
        "periods[1].start",
        "the period overlaps periods[0]",
    ),
    (
        "period ends before it starts",
        lambda d: d["periods"][0].update(end="2025-08-31"),
        "periods[0].end",
        "ends (2025-08-31) before it starts (2025-09-01)",
    ),
    (
        "years not consecutive",
        lambda d: d["academic_year"].update(id="2025-2027"),
        "academic_year.id",
        "must name two consecutive years",
    ),
    (
        "replacement by the course's own teacher",
        lambda d: _math(d)["lessons"][2].update(teacher="t-math"),
        f"{M}.lessons[2].teacher",
        "must be given by another teacher",
    ),
    (
        "two lessons in one slot",
        lambda d: _math(d)["lessons"][1].update(date="2025-09-01", number=1),
        f"{M}.lessons[1].number",
        "lesson 1 on 2025-09-01 is already lessons[0] of this course",
    ),
    (
        "marks in an ungraded course",
        lambda d: _eng(d).update(grading="none", periods=[]),
        f"{E}.marks[0].value",
        "an ungraded course takes no marks",
    ),
    (
        "left before joining",
        lambda d: d["classes"][0]["students"][2].update(left="2025-11-01"),
        "classes[0].students[2].left",
        "left (2025-11-01) before enrolling (2025-11-10)",
    ),
    (
        "duplicate class",
        lambda d: d["classes"].append(dict(copy.deepcopy(d["classes"][0]), id="c-x", students=[], courses=[])),
        "classes[1].letter",
        "class 5А is already classes[0]",
    ),
    # Schema 1.1: what the platforms' data brings.
    (
        "raw not on its scale",
        lambda d: _math(d)["marks"][0].update(raw="7", scale="5"),
        f"{M}.marks[0].raw",
        "'7' is not a mark on the 5-point scale",
    ),
    (
        "raw not on the course's 10-point scale",
        lambda d: _math(d).update(scale="10", marks=[dict(_math(d)["marks"][0], raw="11"), *_math(d)["marks"][1:]]),
        f"{M}.marks[0].raw",
        "'11' is not a mark on the 10-point scale",
    ),
    (
        "a mark's scale unlike the course's",
        lambda d: _math(d)["marks"][0].update(raw="80", scale="100"),
        f"{M}.marks[0].scale",
        "a mark on scale '100' in a course marked 5-point",
    ),
    (
        "no value and no «точка»",
        lambda d: _math(d)["marks"][0].pop("value"),
        f"{M}.marks[0].value",
        "a mark has a value unless it is a «точка»",
    ),
    (
        "a debt's date without the debt",
        lambda d: _math(d)["marks"][0].update(point_date="2025-09-20"),
        f"{M}.marks[0].point_date",
        "given only with point: true",
    ),
    (
        "a 10-point pass/fail course",
        lambda d: _math(d).update(grading="pass_fail", scale="10", marks=[], period_marks=[]),
        f"{M}.scale",
        "only a course marked with marks has a 10-point scale",
    ),
    (
        "membership of a stranger",
        lambda d: _eng(d)["subgroup"].update(memberships=[{"student": "s-3", "from": "2025-09-01"}]),
        f"{E}.subgroup.memberships[0].student",
        "student 's-3' is not in the subgroup's students",
    ),
    (
        "membership ends before it starts",
        lambda d: _eng(d)["subgroup"].update(
            memberships=[{"student": "s-2", "from": "2025-10-01", "to": "2025-09-01"}]
        ),
        f"{E}.subgroup.memberships[0].to",
        "the membership ends (2025-09-01) before it starts (2025-10-01)",
    ),
    (
        "a mark outside the subgroup membership",
        lambda d: _eng(d)["subgroup"].update(memberships=[{"student": "s-2", "from": "2025-10-01"}]),
        f"{E}.marks[0].student",
        "student 's-2' was not in this course's subgroup on 2025-09-03",
    ),
    (
        "unknown time zone",
        lambda d: d["school"].update(timezone="Mars/Olympus"),
        "school.timezone",
        "'Mars/Olympus' is not a time zone this machine knows",
    ),
    (
        "a fourth trimester",
        lambda d: d["periods"][0].update(kind="trimester", number=4),
        "periods[0].number",
        "a trimester is numbered 1 to 3",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_of_meaning_is_reported_at_its_path(
    small_school: Doc, mutate: Callable[[Doc], None], path: str, message: str
) -> None:
    mutate(small_school)
    assert check_schema(small_school) == (), "the case must be schema-valid"
    problems = check_semantics(small_school)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"expected {path}: …{message}…, got {[str(p) for p in problems]}"


def test_platform_fields_of_schema_1_1_are_valid_where_they_make_sense(small_school: Doc) -> None:
    """A 10-point course with verbatim marks, weights, a «точка» without a mark, lateness, membership dates
    and a time zone: valid, and older exports (1.0, none of it) stay valid."""
    small_school["schema_version"] = "1.1"
    small_school["school"]["timezone"] = "Asia/Yekaterinburg"
    math = _math(small_school)
    math["scale"] = "10"
    math["marks"][0].update(raw="9", scale="10", weight=2, counts=False)
    math["marks"].append({"student": "s-1", "lesson": math["marks"][0]["lesson"], "point": True,
                          "point_date": "2025-09-30"})  # fmt: skip
    math["absences"].append({"student": "s-1", "lesson": math["marks"][0]["lesson"], "reason": "оп"})
    math["period_marks"][0].update(raw="8", scale="10")
    _eng(small_school)["subgroup"]["memberships"] = [{"student": "s-2", "from": "2025-09-01", "to": "2025-12-31"}]
    assert validate_document(small_school) == ()


def test_the_small_school_is_valid(small_school: Doc) -> None:
    assert validate_document(small_school) == ()


def test_every_problem_is_collected_in_document_order(small_school: Doc) -> None:
    _math(small_school)["marks"][3]["student"] = "s-991"
    _math(small_school)["marks"][0]["lesson"] = "l-e1"
    _eng(small_school)["subject"] = "fr"
    small_school["periods"][0]["end"] = "2025-08-31"  # before its start, and before the year
    paths = [p.path for p in check_semantics(small_school)]
    assert paths == [
        "periods[0].end",
        "periods[0].end",
        f"{M}.marks[0].lesson",
        f"{M}.marks[3].student",
        f"{E}.subject",
    ]


def test_message_names_the_place_as_in_the_design() -> None:
    """The example of DESIGN.md, reproduced on a generated school."""
    doc = generate(students=120, seed=3)
    doc["classes"][3]["courses"][1]["marks"][17]["student"] = "s-991"
    (problem,) = validate_document(doc)
    assert str(problem) == "classes[3].courses[1].marks[17].student: unknown student 's-991'"


def test_schema_problems_come_first_and_alone(small_school: Doc) -> None:
    """Meaning is checked only on a document of the right shape."""
    _math(small_school)["marks"][3]["student"] = "s-991"  # a problem of meaning
    small_school["classes"][0]["grade"] = "5"  # a problem of shape
    assert [p.path for p in validate_document(small_school)] == ["classes[0].grade"]

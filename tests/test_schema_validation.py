"""Layer one: exports that break the JSON Schema, each reported at its JSON path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from archiver.ingest.validation import check_schema, validate_document

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = _parts(path)
        node: Any = doc
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _parts(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.replace("[", ".").replace("]", "").split(".")]


MARK = "classes[0].courses[0].marks[3]"

CASES: list[tuple[str, Mutation, str, str]] = [
    ("missing field", _delete("school.name"), "school.name", "missing (a required field)"),
    ("unknown field", _set("school.motto", "x"), "school.motto", "unknown field"),
    ("wrong type", _set("classes[0].grade", "5"), "classes[0].grade", "expected an integer, got a string"),
    ("grade out of range", _set("classes[0].grade", 12), "classes[0].grade", "must be at most 11"),
    ("schema version", _set("schema_version", "2.0"), "schema_version", "this archive reads version 1"),
    ("path in an id", _set(f"{MARK}.student", "../../etc/passwd"), f"{MARK}.student", "must be an identifier"),
    ("mark value", _set(f"{MARK}.value", "6"), f"{MARK}.value", "'6' is not allowed here"),
    (
        "absence reason",
        _set("classes[0].courses[0].absences[0].reason", "x"),
        "classes[0].courses[0].absences[0].reason",
        "expected one of: н, б, у",
    ),
    (
        "newline in a name",
        _set("classes[0].students[1].last_name", "Бел\nова"),
        "classes[0].students[1].last_name",
        "control character (U+000A) at position 3",
    ),
    ("NUL in a name", _set("teachers[0].first_name", "Ан\x00на"), "teachers[0].first_name", "U+0000"),
    (
        "escape sequence in a topic",
        _set("classes[0].courses[0].lessons[0].topic", "\x1b[31mred"),
        "classes[0].courses[0].lessons[0].topic",
        "U+001B",
    ),
    ("empty name", _set("school.director.first_name", ""), "school.director.first_name", "must not be empty"),
    (
        "name too long",
        _set("classes[0].students[0].first_name", "Я" * 61),
        "classes[0].students[0].first_name",
        "61 characters long; at most 60",
    ),
    ("date form", _set("academic_year.start", "01.09.2025"), "academic_year.start", "YYYY-MM-DD"),
    ("null date", _set("periods[0].end", None), "periods[0].end", "expected a string, got null"),
    ("no periods", _set("periods", []), "periods", "has 0 items; at least 1"),
    ("top level is an array", lambda doc: None, "", ""),  # replaced below
    ("class letter", _set("classes[0].letter", "а/б"), "classes[0].letter", "class letter"),
    ("weight", _set("work_types[0].weight", 0), "work_types[0].weight", "greater than 0"),
    (
        "boolean as string",
        _set("classes[0].courses[0].lessons[3].cancelled", "yes"),
        "classes[0].courses[0].lessons[3].cancelled",
        "expected true or false",
    ),
]
CASES = [case for case in CASES if case[0] != "top level is an array"]


@pytest.mark.parametrize(("mutate", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schema_error_is_reported_at_its_path(
    small_school: dict[str, Any], mutate: Mutation, path: str, message: str
) -> None:
    mutate(small_school)
    problems = check_schema(small_school)
    assert [p.path for p in problems] == [path], problems
    assert message in problems[0].message


def test_every_schema_error_is_reported_in_document_order(small_school: dict[str, Any]) -> None:
    _set("classes[0].grade", 0)(small_school)
    _set(f"{MARK}.student", "a b")(small_school)
    _delete("classes[0].courses[1].marks[0].lesson")(small_school)
    _set("periods[2].kind", "season")(small_school)
    _set("extra", 1)(small_school)
    problems = check_schema(small_school)
    assert [p.path for p in problems] == [
        "periods[2].kind",
        "classes[0].grade",
        f"{MARK}.student",
        "classes[0].courses[1].marks[0].lesson",
        "extra",
    ]


def test_html_and_quotes_in_names_are_valid_text(small_school: dict[str, Any]) -> None:
    """Names are data, not markup: the renderer escapes them; validation must not reject real names."""
    student = small_school["classes"][0]["students"][0]
    student["last_name"] = '<img src="http://127.0.0.1:9/x">'
    student["first_name"] = 'Д\'Артаньян "../../etc"'
    assert validate_document(small_school) == ()


def test_top_level_must_be_an_object() -> None:
    problems = check_schema([1, 2])
    assert [(p.path, p.message) for p in problems] == [("", "expected an object, got an array")]


def test_messages_never_echo_control_characters(small_school: dict[str, Any]) -> None:
    small_school["school"]["name"] = "Школа\x1b]0;owned\x07"
    (problem,) = check_schema(small_school)
    assert "\x1b" not in problem.message and "\x07" not in problem.message
    assert "\\u001b" in problem.message


def test_a_problem_inside_a_list_that_is_itself_too_long_is_reported_with_it(small_school: dict[str, Any]) -> None:
    """Both at `work_types` (too many items) and at `work_types[3].weight`: ordered, never compared as int
    against text (found by fuzzing: it was a TypeError)."""
    template = small_school["work_types"][0]
    small_school["work_types"] = [dict(template, id=f"wt-{i}", code=f"C{i}") for i in range(201)]
    small_school["work_types"][3]["weight"] = -1
    paths = [p.path for p in check_schema(small_school)]
    assert paths == ["work_types", "work_types[3].weight"]

"""Values in an export that parse as JSON but that no later step can use: a lone UTF-16 surrogate written
as a JSON escape (in a value or a key), and an integer literal longer than Python converts. Each is bad
input (exit 2) named by file and JSON path, never a traceback, and nothing is written; a valid surrogate
pair is one ordinary character and stays valid."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import InvalidExportError
from archiver.ingest.importers import read_document
from archiver.ingest.importers.json_export import parse_json
from archiver.ingest.problems import Problem
from archiver.ingest.validation import validate_document
from tests.clirun import run_cli

SMALL = Path(__file__).parent / "data" / "small_school.json"

_SCHOOL: dict[str, Any] = json.loads(SMALL.read_text(encoding="utf-8"))
_BIG = "@@big-integer@@"
EMOJI = "\U0001f600"


def _school() -> dict[str, Any]:
    return copy.deepcopy(_SCHOOL)


def _export(document: Any) -> str:
    """JSON text as an export would have it: `json.dumps` writes each surrogate as a `\\uXXXX` escape, a
    lone one alone and a character beyond the BMP as a pair; a string `_BIG` becomes a 5,000-digit integer."""
    return json.dumps(document).replace(json.dumps(_BIG), "7" * 5000)


def _surrogate_in_value() -> str:
    doc = _school()
    doc["classes"][0]["students"][1]["last_name"] = "Бел\ud800ова"
    return _export(doc)


def _surrogate_in_key() -> str:
    doc = _school()
    student = doc["classes"][0]["students"][1]
    student["last\udc00name"] = student.pop("last_name")
    return _export(doc)


def _long_integer() -> str:
    doc = _school()
    doc["classes"][0]["grade"] = _BIG
    return _export(doc)


HOSTILE = {
    "surrogate-in-value": (
        _surrogate_in_value,
        "classes[0].students[1].last_name: lone surrogate \\ud800 is not valid text",
    ),
    "surrogate-in-key": (
        _surrogate_in_key,
        "classes[0].students[1]['last\\udc00name']: lone surrogate \\udc00 in this key is not valid text",
    ),
    "5000-digit-integer": (_long_integer, "classes[0].grade: integer with 5000 digits is too long"),
}
COMMANDS = {
    "validate": lambda path, out: ["validate", str(path)],
    "render": lambda path, out: ["render", str(path), "--class", "5А", "-o", str(out)],
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.json"
    path.write_text(text, encoding="ascii")
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_value_is_a_clear_error(tmp_path: Path, case: str, command: str) -> None:
    make, expect = HOSTILE[case]
    path = _write(tmp_path, make())
    out = tmp_path / "volume.pdf"
    result = run_cli(*COMMANDS[command](path, out))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert f"archiver: {path}: 1 problem found" in result.stderr
    assert f"  {expect}\n" in result.stderr, result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"], "nothing written, no temporary file"


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_value_in_json_mode(tmp_path: Path, case: str) -> None:
    """JSON on stdout (the test process's streams, unlike a console's stderr, refuse a surrogate outright)."""
    make, expect = HOSTILE[case]
    path = _write(tmp_path, make())
    result = run_cli("--json", "validate", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid-export" and error["message"] == f"{path}: 1 problem found"
    where, message = expect.split(": ", 1)
    assert error["problems"] == [{"path": where, "message": message}]


def test_render_in_json_mode_reports_a_lone_surrogate(tmp_path: Path) -> None:
    path = _write(tmp_path, _surrogate_in_key())
    out = tmp_path / "volume.pdf"
    result = run_cli("--json", "render", str(path), "--class", "5А", "-o", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["error"]["problems"][0]["path"] == "classes[0].students[1]['last\\udc00name']"
    assert not out.exists()


def test_a_surrogate_pair_is_an_ordinary_character(tmp_path: Path) -> None:
    doc = _school()
    doc["classes"][0]["students"][1]["last_name"] = f"Белова {EMOJI}"
    doc["classes"][0]["courses"][0]["lessons"][0]["topic"] = f"Натуральные числа {EMOJI}"
    text = _export(doc)
    assert "\\ud83d\\ude00" in text
    path = _write(tmp_path, text)
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "volume.pdf"
    result = run_cli("render", str(path), "--class", "5А", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    parsed = read_document(path)
    assert parsed["classes"][0]["students"][1]["last_name"] == f"Белова {EMOJI}"


@pytest.mark.parametrize(
    ("literal", "parsed"),
    [
        ('"\\ud83d\\ude00"', EMOJI),
        ('"\\uD83D\\uDE00"', EMOJI),
        ('"\\\\ud800"', "\\ud800"),  # an escaped backslash: the six characters as text, no surrogate
        ('"\\ud7ff\\ue000"', "\ud7ff\ue000"),  # either side of the surrogate range
    ],
)
def test_text_that_only_looks_like_a_surrogate_is_accepted(literal: str, parsed: str) -> None:
    assert parse_json(f'{{"k": [{literal}]}}'.encode(), "x.json") == {"k": [parsed]}


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidExportError) as caught:
        parse_json(text.encode(), "x.json")
    assert caught.value.source == "x.json"
    return [str(problem) for problem in caught.value.problems]


def test_every_lone_surrogate_and_long_integer_is_placed() -> None:
    text = (
        '{"a": ["ok", "\\udfff", {"b": "x\\ud83d"}], "c\\ud800": {"\\udc00": "\\ude00\\ud83d"},'
        f' "n": [1, -{"9" * 5000}, {"1" * 4400}], "d": 1, "d": NaN}}'
    )
    assert _problems(text) == [
        "['c\\ud800']: lone surrogate \\ud800 in this key is not valid text",
        "['c\\ud800']['\\udc00']: lone surrogate \\udc00 in this key is not valid text",
        "['c\\ud800']['\\udc00']: lone surrogate \\ude00 is not valid text",
        "a[1]: lone surrogate \\udfff is not valid text",
        "a[2].b: lone surrogate \\ud83d is not valid text",
        "d: NaN is not a JSON number",
        "d: this key appears more than once in its object",
        "n[1]: integer with 5000 digits is too long",
        "n[2]: integer with 4400 digits is too long",
    ]


def test_integer_limit_is_pythons() -> None:
    limit = sys.get_int_max_str_digits()
    if limit == 0:
        pytest.skip("integer digit limit disabled (PYTHONINTMAXSTRDIGITS=0)")
    assert parse_json(f"[{'7' * limit}]".encode(), "x.json") == [int("7" * limit)]
    assert _problems(f"[{'7' * (limit + 1)}]") == [f"[0]: integer with {limit + 1} digits is too long"]


def test_validation_places_a_lone_surrogate_from_any_adapter() -> None:
    """Another adapter builds its document without `parse_json`: the schema layer still places the value."""
    doc = _school()
    doc["classes"][0]["courses"][0]["lessons"][0]["topic"] = "\ud800"
    student = doc["classes"][0]["students"][1]
    student["first\udc00name"] = student.pop("first_name")
    assert validate_document(doc) == (
        Problem("classes[0].students[1]['first\\udc00name']", "lone surrogate \\udc00 in this key is not valid text"),
        Problem("classes[0].courses[0].lessons[0].topic", "lone surrogate \\ud800 is not valid text"),
    )

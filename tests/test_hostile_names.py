"""Hostile text in an export: a lone surrogate or an overlong integer anywhere, invisible format characters
(bidirectional overrides, isolates, embeddings, marks, zero-width characters) in a name the documents print,
and two classes whose names look alike («5A», Latin A, beside «5А», Cyrillic А). Each is bad input (exit
2) named by its JSON path, reported with every other problem, never a traceback, and nothing is written;
real names with hyphens, apostrophes, Ё and guillemets stay valid."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.ingest.problems import show
from archiver.ingest.validation import validate_document
from archiver.ingest.validation.names import invisible_character, mixed_scripts, skeleton
from tests.clirun import Ran, run_cli
from tests.sites import copy_archive

Doc = dict[str, Any]
WriteJson = Callable[[Any, str], Path]

BIDI = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)]
OTHER_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\ufeff", "\u061c", "\U000e0041", "\u2028"]


def _student(doc: Doc) -> Doc:
    return doc["classes"][0]["students"][1]


def _validate(path: Path) -> Ran:
    return run_cli("validate", str(path))


def _render(path: Path, out: Path) -> Ran:
    return run_cli("render", str(path), "--class", "5А", "-o", str(out))


def _refused(result: Ran, *lines: str) -> None:
    """Exit 2, no traceback, and each line among the problems reported."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    for line in lines:
        assert f"  {line}\n" in result.stderr, result.stderr


def _problem_paths(result: Ran) -> list[str]:
    return [line.strip().split(": ", 1)[0] for line in result.stderr.splitlines() if line.startswith("  ")]


# --- values no later step can use ------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["first_name", "middle_name"])
def test_lone_surrogate_in_a_student_name(tmp_path: Path, small_school: Doc, field: str) -> None:
    _student(small_school)[field] = "Мар\ud800ия"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(small_school), encoding="ascii")  # the surrogate as its escape, \ud800
    assert "\\ud800" in path.read_text(encoding="ascii")
    expected = f"classes[0].students[1].{field}: lone surrogate \\ud800 is not valid text"
    out = tmp_path / "volume.pdf"
    for result in (_validate(path), _render(path, out)):
        _refused(result, expected)
    assert not out.exists()


@pytest.mark.parametrize(
    ("place", "path"),
    [
        (lambda d: d["classes"][0]["courses"][0]["marks"][0], "classes[0].courses[0].marks[0].value"),
        (lambda d: d["classes"][0]["courses"][0]["lessons"][2], "classes[0].courses[0].lessons[2].number"),
        (lambda d: d["periods"][1], "periods[1].number"),
    ],
)
def test_overlong_integer_is_placed(tmp_path: Path, small_school: Doc, place: Callable[[Doc], Doc], path: str) -> None:
    key = path.rsplit(".", 1)[1]
    place(small_school)[key] = "@@big@@"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(small_school).replace('"@@big@@"', "4" * 5000), encoding="ascii")
    out = tmp_path / "volume.pdf"
    for result in (_validate(export), _render(export, out)):
        _refused(result, f"{path}: integer with 5000 digits is too long")
    assert not out.exists()


def test_overlong_integer_in_json_mode(tmp_path: Path, small_school: Doc) -> None:
    small_school["classes"][0]["courses"][0]["marks"][0]["value"] = "@@big@@"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(small_school).replace('"@@big@@"', "-" + "4" * 5000), encoding="ascii")
    result = run_cli("--json", "validate", str(export))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert json.loads(result.stdout)["error"]["problems"] == [
        {"path": "classes[0].courses[0].marks[0].value", "message": "integer with 5000 digits is too long"}
    ]


# --- invisible characters in names ----------------------------------------------------------------------


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


@pytest.mark.parametrize("char", BIDI, ids=_code)
def test_bidi_control_in_a_student_name(write_json: WriteJson, small_school: Doc, char: str) -> None:
    _student(small_school)["last_name"] = f"Бел{char}ова"
    result = _validate(write_json(small_school, "export.json"))
    _refused(result)
    assert _problem_paths(result) == ["classes[0].students[1].last_name"]
    assert f"({_code(char)} " in result.stderr and "at position 3" in result.stderr
    assert char not in result.stderr, "the character itself is escaped, never printed"


@pytest.mark.parametrize("char", BIDI, ids=_code)
def test_bidi_control_in_the_school_name(write_json: WriteJson, small_school: Doc, char: str) -> None:
    small_school["school"]["name"] = f"Средняя школа {char}№ 2"
    result = _validate(write_json(small_school, "export.json"))
    _refused(result)
    assert _problem_paths(result) == ["school.name"]
    assert f"({_code(char)} " in result.stderr and char not in result.stderr


@pytest.mark.parametrize("char", BIDI, ids=_code)
def test_bidi_control_in_a_class_name(tmp_path: Path, write_json: WriteJson, small_school: Doc, char: str) -> None:
    small_school["classes"][0]["letter"] = f"{char}А"
    path = write_json(small_school, "export.json")
    out = tmp_path / "volume.pdf"
    for result in (_validate(path), _render(path, out)):
        _refused(result)
        assert _problem_paths(result) == ["classes[0].letter"]
        assert f"'\\u{ord(char):04x}А'" in result.stderr and char not in result.stderr
    assert not out.exists()


NAMES: dict[str, tuple[Callable[[Doc, str], None], str]] = {
    "director": (lambda d, v: d["school"]["director"].update(middle_name=v), "school.director.middle_name"),
    "short school name": (lambda d, v: d["school"].update(short_name=v), "school.short_name"),
    "teacher": (lambda d, v: d["teachers"][1].update(first_name=v), "teachers[1].first_name"),
    "teacher's position": (lambda d, v: d["teachers"][0].update(position=v), "teachers[0].position"),
    "subject": (lambda d, v: d["subjects"][0].update(name=v), "subjects[0].name"),
    "subject short name": (lambda d, v: d["subjects"][0].update(short_name=v), "subjects[0].short_name"),
    "period": (lambda d, v: d["periods"][1].update(name=v), "periods[1].name"),
    "work type": (lambda d, v: d["work_types"][1].update(title=v), "work_types[1].title"),
    "work type code": (lambda d, v: d["work_types"][1].update(code=v.replace(" ", "")[:6]), "work_types[1].code"),
    "profile": (lambda d, v: d["classes"][0].update(profile=v), "classes[0].profile"),
    "subgroup": (
        lambda d, v: d["classes"][0]["courses"][1]["subgroup"].update(name=v),
        "classes[0].courses[1].subgroup.name",
    ),
    "student": (lambda d, v: d["classes"][0]["students"][3].update(first_name=v), "classes[0].students[3].first_name"),
}


@pytest.mark.parametrize("char", ["\u202e", *OTHER_INVISIBLE], ids=_code)
@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_printed_name_refuses_invisible_characters(small_school: Doc, name: str, char: str) -> None:
    put, path = NAMES[name]
    put(small_school, f"Ан{char}на")
    problems = validate_document(small_school)
    assert [p.path for p in problems] == [path], problems
    # Named by its code; or, where the schema's pattern already refuses it (U+FEFF is a space to JSON
    # Schema's \\s, so not in a work type code), shown escaped in the value.
    assert _code(char) in problems[0].message or show(char)[1:-1] in problems[0].message


def test_every_invisible_name_is_reported_together(write_json: WriteJson, small_school: Doc) -> None:
    """One run names every place, with the other problems of meaning, in document order."""
    small_school["school"]["name"] = "\u2067Школа\u2069"
    small_school["teachers"][0]["last_name"] = "Кузнецова\u200f"
    _student(small_school)["first_name"] = "Мария\u202c"
    small_school["classes"][0]["courses"][0]["marks"][3]["student"] = "s-991"
    result = _validate(write_json(small_school, "export.json"))
    _refused(result, "classes[0].courses[0].marks[3].student: unknown student 's-991'")
    assert "4 problems found" in result.stderr
    assert _problem_paths(result) == [
        "school.name",
        "teachers[0].last_name",
        "classes[0].students[1].first_name",
        "classes[0].courses[0].marks[3].student",
    ]
    assert (
        "  school.name: '\\u2067Школа\\u2069' contains an invisible formatting character "
        "(U+2067 RIGHT-TO-LEFT ISOLATE) at position 0; a name may hold only visible characters\n"
    ) in result.stderr


def test_invisible_character_is_named_in_json_mode(write_json: WriteJson, small_school: Doc) -> None:
    _student(small_school)["last_name"] = "\u202eавоелеБ"
    result = run_cli("--json", "validate", str(write_json(small_school, "export.json")))
    assert result.returncode == 2, result.stderr
    (problem,) = json.loads(result.stdout)["error"]["problems"]
    assert problem["path"] == "classes[0].students[1].last_name"
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in problem["message"]


def test_free_text_is_not_a_name(small_school: Doc) -> None:
    """A lesson topic may quote text in another direction; it is not a name and is left as written."""
    small_school["classes"][0]["courses"][0]["lessons"][0]["topic"] = "Слово \u2067שלום\u2069 на иврите"
    assert validate_document(small_school) == ()


def test_show_escapes_invisible_characters() -> None:
    assert show("a\u202eb\u200bc\u00add\U000e0041") == "'a\\u202eb\\u200bc\\u00add\\U000e0041'"
    assert show("№\u00a02") == "'№\u00a02'"  # a no-break space is visible as a space


# --- class names that look alike --------------------------------------------------------------------------


def _add_class(doc: Doc, ident: str, grade: int, letter: str) -> None:
    doc["classes"].append(
        {"id": ident, "grade": grade, "letter": letter, "homeroom_teacher": "t-eng", "students": [], "courses": []}
    )


# Latin capitals and the Cyrillic capitals they print as.
DOUBLES = list(zip("ABEKMHOPCTXY", "АВЕКМНОРСТХУ", strict=True))


@pytest.mark.parametrize(("latin", "cyrillic"), DOUBLES)
def test_latin_and_cyrillic_look_alike_classes_are_refused(
    write_json: WriteJson, small_school: Doc, latin: str, cyrillic: str
) -> None:
    small_school["classes"][0]["letter"] = cyrillic
    _add_class(small_school, "c-5x", 5, latin)
    result = _validate(write_json(small_school, "export.json"))
    _refused(
        result,
        f"classes[1].letter: class '5{latin}' (Latin {latin}) looks the same as class '5{cyrillic}' "
        f"(Cyrillic {cyrillic}) at classes[0] but is spelt with other letters; two classes must not look alike",
    )
    assert _problem_paths(result) == ["classes[1].letter"]


def test_look_alike_class_is_refused_either_way_round(tmp_path: Path, write_json: WriteJson, small_school: Doc) -> None:
    small_school["classes"][0]["letter"] = "A"  # Latin
    _add_class(small_school, "c-5a-cyr", 5, "А")  # Cyrillic
    path = write_json(small_school, "export.json")
    out = tmp_path / "volume.pdf"
    for result in (_validate(path), _render(path, out)):
        _refused(
            result,
            "classes[1].letter: class '5А' (Cyrillic А) looks the same as class '5A' (Latin A) at classes[0] "
            "but is spelt with other letters; two classes must not look alike",
        )
    assert not out.exists()


def test_digit_that_looks_like_a_letter(small_school: Doc) -> None:
    small_school["classes"][0]["letter"] = "О"  # Cyrillic О
    _add_class(small_school, "c-50", 5, "0")  # the digit zero
    problems = validate_document(small_school)
    assert [p.path for p in problems] == ["classes[1].letter"]
    assert "class '50' looks the same as class '5О' (Cyrillic О) at classes[0]" in problems[0].message


def test_class_letter_mixing_scripts_is_refused(small_school: Doc) -> None:
    _add_class(small_school, "c-6ab", 6, "АB")  # Cyrillic А, Latin B
    problems = validate_document(small_school)
    assert [str(p) for p in problems] == [
        "classes[1].letter: class '6АB' mixes Latin and Cyrillic letters (Latin B, Cyrillic А); "
        "write a class letter in one alphabet"
    ]


def test_distinct_classes_stay_valid(small_school: Doc) -> None:
    """Other grades, other letters, and a Latin letter with no Cyrillic double in the school are no
    look-alikes."""
    others = [("c-5b", 5, "Б"), ("c-6a", 6, "А"), ("c-10b", 10, "Б"), ("c-11a", 11, "А"), ("c-7d", 7, "D")]
    others += [("c-8a", 8, "A"), ("c-5-1", 5, "1")]
    for ident, grade, letter in others:
        _add_class(small_school, ident, grade, letter)
    assert validate_document(small_school) == ()


def test_skeleton() -> None:
    assert skeleton("5A") == skeleton("5А") == skeleton("5а") == "5а"
    assert skeleton("10Б") == "1об"  # the 0 reads as О: «10Б» and «1ОБ» look alike
    assert skeleton("5Б") != skeleton("5В")
    assert skeleton("7D") == "7d"
    assert mixed_scripts("АB") == ("B", "А")
    assert mixed_scripts("АБ") is None and mixed_scripts("AB") is None and mixed_scripts("1А") is None


# --- real names stay valid --------------------------------------------------------------------------------


def test_real_names_pass(tmp_path: Path, write_json: WriteJson, small_school: Doc) -> None:
    _student(small_school).update(last_name="Ёлкина", first_name="Анна-Мария")
    small_school["classes"][0]["students"][0].update(last_name="О'Нил", first_name="Шон")
    small_school["classes"][0]["students"][2].update(last_name="Д’Артаньян", middle_name="Ибн Хаттаб")
    small_school["classes"][0]["profile"] = "11 «А» (технологический)"
    small_school["school"]["short_name"] = "МАОУ «СШ\u00a0№\u00a02»"  # no-break spaces
    small_school["teachers"][1].update(last_name="Смит-Петрова", first_name="Jane")
    _add_class(small_school, "c-10b", 10, "Б")
    _add_class(small_school, "c-11a", 11, "А")
    path = write_json(small_school, "export.json")
    result = _validate(path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "volume.pdf"
    result = _render(path, out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_demo_school_passes(demo_school: Doc) -> None:
    assert validate_document(demo_school) == ()


def test_name_checks_are_quiet_on_printable_text() -> None:
    assert invisible_character("Ёлкина Анна-Мария") is None
    assert invisible_character("«Средняя школа\u00a0№\u00a02»") is None
    assert invisible_character("Анна\u200d") is not None


# --- nothing written when refused -------------------------------------------------------------------------


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_archive_year_writes_nothing_for_hostile_names(
    tmp_path: Path, write_json: WriteJson, small_school: Doc, initialized: Path
) -> None:
    directory = copy_archive(initialized, tmp_path / "archive")
    config = directory / "archiver.toml"
    _student(small_school)["last_name"] = "\u202eавоелеБ"
    _add_class(small_school, "c-5a-latin", 5, "A")
    export = write_json(small_school, "export.json")
    repositories = _files(directory / "repositories")

    result = run_cli("archive", "year", str(export), config=config, user="admin")
    _refused(result)
    assert _problem_paths(result) == ["classes[0].students[1].last_name", "classes[1].letter"]
    assert _files(directory / "repositories") == repositories, "no object, version or staging file"
    with sqlite3.connect(directory / "catalog.sqlite") as connection:
        assert connection.execute("SELECT count(*) FROM cases WHERE kind != 'audit'").fetchone() == (0,)
        copies = "SELECT count(*) FROM copies JOIN case_versions v ON v.id = version_id WHERE v.case_id = ?"
        assert connection.execute(copies, ("school-2~2025-2026~c-5a~journal",)).fetchone() == (0,)

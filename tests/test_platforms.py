"""Journal platforms' data in: a whole class's year recorded in each platform's shape (tests.recorded), imported,
validated, archived, and read back from the stored volume cell by cell; and every kind of malformed input
refused with exit 2, the file and the place named, nothing written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.demo.generator import generate
from tests import journalcells
from tests.clirun import run_cli
from tests.recorded import Expected
from tests.recorded import dnevnik as dnevnik_recorder
from tests.sites import copy_archive
from tests.test_archive import Site


def _one_class(name: str) -> dict[str, Any]:
    """The demo school (40 students, classes 5А and 9А) with one class only: a whole class and year."""
    document = generate(40)
    document["classes"] = [k for k in document["classes"] if f"{k['grade']}{k['letter']}" == name]
    return document


@pytest.fixture(scope="module")
def dnevnik_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    """9А on Дневник.ру, marked on the 10-point scale, with its two pairs of subgroups."""
    source = tmp_path_factory.mktemp("dnevnik") / "saved"
    expected = dnevnik_recorder.record(_one_class("9А"), source, ten_point_classes=("9А",))
    return source, expected


@pytest.fixture
def site(tmp_path: Path, initialized: Path) -> Site:
    """The session's initialized archive, copied, on SQLite: what is tested here is the import (the catalog
    is the same code as every other archive run's, tested on PostgreSQL elsewhere)."""
    directory = copy_archive(initialized, tmp_path / "archive")
    return Site(directory, f"sqlite:///{directory / 'catalog.sqlite'}")


def _journal(site: Site, cases: list[dict[str, Any]], tmp_path: Path) -> bytes:
    case = next(c["case_id"] for c in cases if c["case_id"].endswith("~journal"))
    site.ok("get", case, "--document", "volume.pdf", "-o", str(tmp_path / "got"), user="auditor")
    return (tmp_path / "got" / "volume.pdf").read_bytes()


def test_dnevnik_year_imported_and_archived_shows_every_mark_cell_by_cell(
    site: Site, dnevnik_source: tuple[Path, Expected], tmp_path: Path
) -> None:
    source, expected = dnevnik_source
    export = tmp_path / "export.json"
    imported = site.ok("import", "--from", "dnevnik", str(source), "-o", str(export))
    assert imported["summary"]["classes"] == 1 and imported["summary"]["students"] == 20
    site.ok("validate", str(export))
    document = json.loads(export.read_text(encoding="utf-8"))
    assert document["schema_version"] == "1.1" and document["source"]["platform"] == "dnevnik"
    persons = json.loads(next((source / "groups").glob("*/persons.json")).read_text(encoding="utf-8"))
    assert {s["id"] for s in document["classes"][0]["students"]} >= {p["id_str"] for p in persons}  # 64-bit, exact
    courses = document["classes"][0]["courses"]
    assert {c.get("scale") for c in courses if c["grading"] == "marks"} == {"10"}
    assert sum(1 for c in courses if "subgroup" in c) == 4

    archived = site.ok("import", "--from", "dnevnik", str(source), "--archive", "year")
    pdf = _journal(site, archived["cases"], tmp_path)
    cells = journalcells.read(pdf, 2025)
    assert {k: v for k, v in cells.items() if v != "–"} == expected.journal("9А")
    text = " ".join(" ".join(journalcells.texts(pdf)).split())
    assert "отметки: 10-балльная шкала" in text
    assert "КР — Контрольная работа (вес 2)" in text  # a work type's weight, in the legend
    assert "(5) — отметка не учитывается в среднем балле" in text and "оп — опоздал(а) на урок" in text
    assert "(1 подгруппа)" in text


Mutation = Callable[[Path], str]  # changes the saved source; returns the file and place the error must name


def _edit_json(relative: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(source.glob(relative))
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return edit


def _truncate(relative: str) -> Callable[[Path], None]:
    def edit(source: Path) -> None:
        path = next(source.glob(relative))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return edit


DNEVNIK_BROKEN: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("missing field", _edit_json("groups/*/persons.json", lambda d: d[0].pop("lastName")),
     "persons.json", "[0].lastName: missing"),
    ("wrong type", _edit_json("groups/*/marks/2025-09-01_2025-09-30.json", lambda d: d[0].update(value=5)),
     "marks/2025-09-01_2025-09-30.json", "[0].value: expected a string, got 5"),
    ("unknown lesson", _edit_json("groups/*/marks/2025-10-01_2025-10-31.json",
                                  lambda d: d[1].update(lesson=77, lesson_str="77")),
     "marks/2025-10-01_2025-10-31.json", "[1].lesson: unknown lesson 77"),
    ("truncated file", _truncate("groups/*/lessons/2025-11-01_2025-11-30.json"),
     "lessons/2025-11-01_2025-11-30.json", "(is the file truncated?)"),
    ("unknown status", _edit_json("groups/*/lesson-log-entries/2025-09-01_2025-09-30.json",
                                  lambda d: d[0].update(status="Teleported")),
     "lesson-log-entries/2025-09-01_2025-09-30.json", "[0].status: 'Teleported' is not a status"),
    ("not a mark", _edit_json("groups/*/marks/2026-03-01_2026-03-31.json", lambda d: d[2].update(value="11")),
     "marks/2026-03-01_2026-03-31.json", "[2].value: '11' is not a mark of type mark10"),
    ("stranger", _edit_json("groups/*/marks/2026-04-01_2026-04-30.json",
                            lambda d: d[0].update(person=5, person_str="5")),
     "marks/2026-04-01_2026-04-30.json", "[0].person: person 5 is not a student of the class"),
    ("missing response", lambda source: next(source.glob("groups/*/reporting-periods.json")).unlink(),
     "reporting-periods.json", "is missing"),
    ("null id", _edit_json("work-types.json", lambda d: d.append({"title": "x", "id": None})),
     "work-types.json", "[10].id: expected an id"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "file", "place"), [c[1:] for c in DNEVNIK_BROKEN], ids=[c[0] for c in DNEVNIK_BROKEN]
)
def test_malformed_dnevnik_data_exits_2_naming_file_and_place(
    dnevnik_source: tuple[Path, Expected], tmp_path: Path, mutate: Callable[[Path], None], file: str, place: str
) -> None:
    source = tmp_path / "saved"
    shutil.copytree(dnevnik_source[0], source)
    mutate(source)
    output = tmp_path / "export.json"
    ran = run_cli("import", "--from", "dnevnik", str(source), "-o", str(output))
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert file in ran.stderr and place in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    assert not output.exists()

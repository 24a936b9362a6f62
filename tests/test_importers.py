"""The import-adapter interface: a platform's own format goes through the same validation as ours."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.errors import BadInputError, InvalidExportError
from archiver.ingest import importers
from archiver.ingest.importers import InputLimits, load_export, read_document

SMALL = Path(__file__).parent / "data" / "small_school.json"


class WrappedImporter:
    """A stand-in platform whose export wraps our document in an envelope: {"payload": {...}}."""

    name = "wrapped"
    description = "test-only envelope format"

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        if "payload" not in envelope:
            raise BadInputError(f"{path}: no payload in the envelope")
        payload: dict[str, Any] = envelope["payload"]
        return payload


@pytest.fixture
def wrapped() -> Iterator[WrappedImporter]:
    importer = WrappedImporter()
    importers.register(importer)
    yield importer
    del importers.IMPORTERS[importer.name]


def test_json_is_the_first_adapter() -> None:
    assert "json" in importers.IMPORTERS
    export = load_export(SMALL)
    assert export.school.short_name == "МАОУ СШ № 2"
    (klass,) = export.classes
    assert klass.name == "5А" and [c.title for c in klass.courses] == [
        "Математика",
        "Иностранный язык (английский) (1 подгруппа)",
    ]
    assert [s.full_name for s in klass.course_students(klass.courses[1])] == [
        "Андреев Пётр Ильич",
        "Белова Мария Олеговна",
    ]


def test_another_adapter_plugs_in_and_meets_the_same_validation(tmp_path: Path, wrapped: WrappedImporter) -> None:
    document = json.loads(SMALL.read_text(encoding="utf-8"))
    good = tmp_path / "good.wrapped"
    good.write_text(json.dumps({"payload": document}), encoding="utf-8")
    assert read_document(good, format="wrapped") == document

    document["classes"][0]["courses"][0]["marks"][0]["student"] = "s-991"
    bad = tmp_path / "bad.wrapped"
    bad.write_text(json.dumps({"payload": document}), encoding="utf-8")
    with pytest.raises(InvalidExportError) as caught:
        read_document(bad, format="wrapped")
    assert [str(p) for p in caught.value.problems] == [
        "classes[0].courses[0].marks[0].student: unknown student 's-991'"
    ]


def test_unknown_format_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="unknown export format 'eljur'; known formats: dnevnik, json"):
        read_document(SMALL, format="eljur")


def test_registering_a_name_twice_is_refused(wrapped: WrappedImporter) -> None:
    with pytest.raises(ValueError, match="already registered"):
        importers.register(WrappedImporter())

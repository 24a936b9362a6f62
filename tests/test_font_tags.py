"""Subset tags (ISO 32000-1 §9.6.4): in every volume one tag names one embedded program, signature marks included.

WeasyPrint tags a subset from the font description alone, so each separately rendered part of a volume
(and the signature mark) tags its own subset of a face with the same letters; the join retags every subset
from its program. The checks read the files with pikepdf (qpdf), not with the pypdf the join is written in.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from archiver.demo.generator import generate
from archiver.documents.volumes import Volume, class_period_volume, class_summary_volume, class_year_volume
from archiver.ingest.model import JournalExport, build_export
from archiver.rendering import pdfa as pdfa_module
from archiver.rendering.fonts import _free_tag, subset_tag
from archiver.rendering.pdfa import DocumentInfo, join, variant
from archiver.rendering.volume import render_part, render_volume
from archiver.workers import workers
from tests.fonttags import TAG, tag_problems, tagged_fonts

SMALL = Path(__file__).parent / "data" / "small_school.json"
INFO = DocumentInfo("test-volume", "Тест", "Школа", datetime(2026, 6, 1, tzinfo=UTC), "tests")


def every_volume(export: JournalExport) -> dict[str, Volume]:
    """Every kind of volume the archive makes: per class the year, each period, and the summary sheet."""
    volumes: dict[str, Volume] = {}
    for klass in export.classes:
        volumes[f"{klass.id} summary"] = class_summary_volume(export, klass)
        volumes[f"{klass.id} year"] = class_year_volume(export, klass)
        for period in export.periods:
            volumes[f"{klass.id} {period.id}"] = class_period_volume(export, klass, period)
    return volumes


# -- the rule ---------------------------------------------------------------------------------------------


def test_tags_are_six_capitals_from_the_program() -> None:
    digest = "ab" * 32
    assert TAG.match(subset_tag(digest)) and subset_tag(digest) == subset_tag(digest)
    assert subset_tag(digest) != subset_tag("cd" * 32)
    assert TAG.match(subset_tag(digest, 1)) and subset_tag(digest, 1) != subset_tag(digest)


def test_a_tag_taken_by_another_program_is_not_given_again() -> None:
    owner = {subset_tag("ab" * 32): "cd" * 32}  # as if another program's digest had given the same letters
    assert _free_tag("ab" * 32, owner) == subset_tag("ab" * 32, 1)
    assert _free_tag("ab" * 32, owner) == subset_tag("ab" * 32, 1)  # and the same program keeps it
    assert _free_tag("ef" * 32, owner) == subset_tag("ef" * 32)  # a free tag is the first one


# -- volumes of the small school ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_export() -> JournalExport:
    return build_export(json.loads(SMALL.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def small_parts(small_export: JournalExport) -> list[bytes]:
    volume = class_year_volume(small_export, small_export.classes[0])
    pdfs, sheet = [], 1
    for part in volume.parts:
        pdfs.append(render_part(part, sheet, volume.running_head, variant("3b")))
        sheet += len(PdfReader(io.BytesIO(pdfs[-1])).pages)
    return pdfs


def test_parts_tag_their_different_subsets_alike(small_parts: list[bytes]) -> None:
    """What the join has to undo: WeasyPrint's tags name the face, not the subset."""
    by_tag: dict[str, set[str]] = {}
    for part in small_parts:
        for font in tagged_fonts(part):
            by_tag.setdefault(font.names[0].split("+")[0], set()).add(font.program)
    assert any(len(programs) > 1 for programs in by_tag.values()), by_tag


def test_subsets_left_unmerged_get_tags_of_their_own(small_parts: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """Faces the merge cannot unify (as in the demo school, see below) keep a subset per part: distinct tags."""
    monkeypatch.setattr(pdfa_module, "merge_font_subsets", lambda writer: 0)
    joined = join(small_parts, INFO, variant("3b"))
    fonts = tagged_fonts(joined)
    assert len({f.program for f in fonts}) > len({f.names[0].split("+", 1)[1] for f in fonts})  # unmerged
    assert tag_problems(joined) == []
    assert joined == join(small_parts, INFO, variant("3b"))  # the tags are deterministic


@pytest.mark.parametrize("pdfa", ["1b", "3b"])
def test_every_kind_of_small_school_volume(small_export: JournalExport, pdfa: str) -> None:
    for kind, volume in every_volume(small_export).items():
        pdf = render_volume(volume, variant(pdfa)).pdf
        assert tagged_fonts(pdf), kind
        assert tag_problems(pdf) == [], kind


# -- the signed archive: the director's mark is a PDF of its own, drawn by the signature widget ------------------


def _stored_volumes(archive: Path) -> dict[str, bytes]:
    """Every version of every volume.pdf in the repositories (the inventories at the OCFL object roots)."""
    found: dict[str, bytes] = {}
    for inventory_path in sorted((archive / "repositories").glob("*/**/inventory.json")):
        if not (inventory_path.parent / "v1").is_dir():
            continue  # a version's copy of the inventory
        inventory = json.loads(inventory_path.read_bytes())
        for version, state in inventory["versions"].items():
            for digest, paths in state["state"].items():
                if any(path.endswith("volume.pdf") for path in paths):
                    stored = inventory_path.parent / inventory["manifest"][digest][0]
                    found[f"{inventory_path.parent.relative_to(archive)} {version}"] = stored.read_bytes()
    return found


def test_every_volume_of_the_signed_archive(archived: Path) -> None:
    volumes = _stored_volumes(archived)
    assert volumes, "the archive should hold volumes"
    marks = 0
    for name, pdf in volumes.items():
        assert tag_problems(pdf) == [], name
        fonts = tagged_fonts(pdf)
        in_mark = [f for f in fonts if "appearance" in f.where]
        marks += bool(in_mark)
        # the mark and the pages draw faces of one family with subsets of their own: never under one tag
        document = {f.names[0]: f.program for f in fonts if "appearance" not in f.where}
        for font in in_mark:
            assert document.get(font.names[0], font.program) == font.program, (name, font)
    assert marks, "the signed volumes should carry the director's mark"


# -- the demo school, where the merge leaves several subsets of a face ---------------------------------------------


@pytest.mark.slow  # 11 volumes of `archiver demo`'s school
def test_every_kind_of_demo_volume() -> None:
    """Every class's year and summary volumes of the demo school, and the II quarter copy of one: one tag,
    one program; and each face embedded once, now that the merge accepts composites naming their parts
    by other ids."""
    export = build_export(generate(120, 1))
    volumes = {
        name: volume
        for name, volume in every_volume(export).items()
        if name.endswith((" year", " summary")) or name == "k11a q2"
    }
    with workers(2) as pool:
        for kind, volume in volumes.items():
            pdf = render_volume(volume, variant("3b"), pool).pdf
            assert tag_problems(pdf) == [], kind
            fonts = tagged_fonts(pdf)
            assert len({f.program for f in fonts}) == len({f.names[0].split("+", 1)[1] for f in fonts}), kind


def test_the_checker_sees_one_tag_over_two_programs(small_parts: list[bytes]) -> None:
    """tag_problems itself: pages joined without the retag break the rule, and it says so."""
    out = io.BytesIO()
    with pikepdf.new() as doc:
        for part in small_parts:
            with pikepdf.open(io.BytesIO(part)) as source:
                doc.pages.extend(source.pages)
        doc.save(out)
    problems = tag_problems(out.getvalue())
    assert problems and all("different programs" in p for p in problems), problems

"""The parts of a volume share one embedded font per face, and every page still looks and reads as rendered."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import ImageChops
from pypdf import PdfReader

from archiver.documents.volumes import class_year_volume
from archiver.ingest.model import build_export
from archiver.rendering.fonts import _merge_programs, _read_widths
from archiver.rendering.pdfa import DocumentInfo, join, variant
from archiver.rendering.volume import render_part
from tests.pdfcheck import resolve
from tests.test_visual import _png

SMALL = Path(__file__).parent / "data" / "small_school.json"
INFO = DocumentInfo("test-volume", "Тест", "Школа", datetime(2026, 6, 1, tzinfo=UTC), "tests")


@pytest.fixture(scope="module")
def parts() -> list[bytes]:
    export = build_export(json.loads(SMALL.read_text(encoding="utf-8")))
    volume = class_year_volume(export, export.classes[0])
    pdfs, sheet = [], 1
    for part in volume.parts:
        pdfs.append(render_part(part, sheet, volume.running_head, variant("3b")))
        sheet += len(PdfReader(io.BytesIO(pdfs[-1])).pages)
    assert len(pdfs) >= 2
    return pdfs


def _fonts(pdf: bytes) -> dict[str, set[int]]:
    """BaseFont (without the subset tag) -> the font objects pages refer to under it."""
    found: dict[str, set[int]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in resolve(page["/Resources"])["/Font"].values():
            found.setdefault(str(ref.get_object()["/BaseFont"]).split("+")[-1], set()).add(ref.idnum)
    return found


def test_each_face_is_embedded_once(parts: list[bytes]) -> None:
    separately = sum(len(_fonts(part)) for part in parts)
    joined = join(parts, INFO, variant("3b"))
    fonts = _fonts(joined)
    assert separately > len(fonts), "the parts should share faces for this test to mean anything"
    assert all(len(objects) == 1 for objects in fonts.values()), fonts
    assert len(joined) < sum(len(part) for part in parts)


def test_pages_read_as_their_parts(parts: list[bytes]) -> None:
    joined = join(parts, INFO, variant("3b"))
    pages = PdfReader(io.BytesIO(joined)).pages
    index = 0
    for number, part in enumerate(parts):
        for page_no, page in enumerate(PdfReader(io.BytesIO(part)).pages, start=1):
            index += 1
            assert pages[index - 1].extract_text() == page.extract_text(), f"part {number} page {page_no}"
    assert index == len(pages)


@pytest.mark.external  # poppler's pdftoppm
def test_pages_look_as_their_parts(parts: list[bytes], tmp_path: Path) -> None:
    joined = join(parts, INFO, variant("3b"))
    index = 0
    for number, part in enumerate(parts):
        for page_no in range(1, len(PdfReader(io.BytesIO(part)).pages) + 1):
            index += 1
            before = _png(part, page_no, tmp_path / f"part{number}-{page_no}.png")
            after = _png(joined, index, tmp_path / f"joined-{index}.png")
            assert ImageChops.difference(before, after).getbbox() is None, f"part {number} page {page_no} changed"


def test_faces_that_draw_an_id_differently_are_not_merged(parts: list[bytes]) -> None:
    reader = PdfReader(io.BytesIO(parts[0]))
    programs: dict[str, tuple[bytes, set[int]]] = {}
    for ref in resolve(reader.pages[0]["/Resources"])["/Font"].values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
        gids = set(_read_widths(descendant["/W"]))
        programs[str(font["/BaseFont"]).split("+")[-1]] = (program, gids)
    (a, a_gids), (b, b_gids) = list(programs.values())[:2]
    overlap = {g for g in a_gids & b_gids if g > 0}
    assert overlap, "two faces of one page share no glyph id"
    assert _merge_programs([a, b], [a_gids, b_gids]) is None
    # the same face twice merges, keeping every glyph id in place
    merged = _merge_programs([a, a], [a_gids, a_gids])
    assert merged is not None
    assert TTFont(io.BytesIO(merged)).getGlyphOrder() == TTFont(io.BytesIO(a)).getGlyphOrder()

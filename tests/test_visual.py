"""Visual check: pages rendered to PNG (pdftoppm) against reviewed reference images.

Set ARCHIVER_UPDATE_GOLDEN=1 to write new references; look at them before committing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from archiver.documents.volumes import class_summary_volume, class_year_volume
from archiver.ingest.model import build_export
from archiver.rendering.pdfa import variant
from archiver.rendering.volume import render_volume

GOLDEN = Path(__file__).parent / "data" / "golden"
SMALL = Path(__file__).parent / "data" / "small_school.json"
DPI = 80
TOLERANCE = 0.0005  # share of pixels that may differ (antialiasing of another poppler build)

pytestmark = pytest.mark.external  # poppler's pdftoppm


def _png(pdf: bytes, page: int, out: Path) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("pdftoppm is not installed: run ./install.sh (Debian poppler-utils)")
    source = out.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-png", "-singlefile",
                    str(source), str(out.with_suffix(""))], check=True, timeout=120)  # fmt: skip
    return Image.open(out).convert("RGB")


@pytest.mark.parametrize(
    ("name", "volume", "page"),
    [
        ("title", "class", 1),
        ("journal-grid", "class", 2),
        ("journal-log", "class", 3),
        ("attendance", "class", 6),
        ("summary-grid", "summary", 2),
        ("summary-stats", "summary", 3),
    ],
)
def test_page_looks_as_reviewed(tmp_path: Path, name: str, volume: str, page: int) -> None:
    export = build_export(json.loads(SMALL.read_text(encoding="utf-8")))
    klass = export.classes[0]
    built = class_year_volume(export, klass) if volume == "class" else class_summary_volume(export, klass)
    pdf = render_volume(built, variant("3b")).pdf
    actual = _png(pdf, page, tmp_path / f"{name}.png")
    reference = GOLDEN / f"{name}.png"
    if os.environ.get("ARCHIVER_UPDATE_GOLDEN") == "1":
        actual.save(reference)
        pytest.skip(f"wrote {reference}")
    expected = Image.open(reference).convert("RGB")
    assert actual.size == expected.size, f"{name}: page size changed"
    diff = ImageChops.difference(actual, expected)
    changed = sum(1 for value in diff.convert("L").point(lambda v: 255 if v > 16 else 0).tobytes() if value)
    share = changed / (actual.size[0] * actual.size[1])
    if share > TOLERANCE:
        diff.point(lambda v: 255 if v > 48 else 0).save(tmp_path / f"{name}-diff.png")
        pytest.fail(f"{name}: {share:.2%} of pixels differ; see {tmp_path}/{name}.png and {name}-diff.png")

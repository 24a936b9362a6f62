"""Reading rendered PDFs back in tests: text runs with positions, PDF/A identification, fonts, attachments."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

JAVA_DIR = Path("/usr/share/java")
PREFLIGHT_JARS = ("preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation", "jaxb-api")


@dataclass(frozen=True)
class Run:
    x: float
    y: float
    text: str


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def runs(pdf: bytes, page: int) -> list[Run]:
    """Every text run of a page with the position where it starts."""
    found: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            found.append(Run(round(tm[4] * cm[0] + cm[4], 1), round(tm[5] * cm[3] + cm[5], 1), text.rstrip("\n")))

    reader(pdf).pages[page].extract_text(visitor_text=visit)
    return found


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in reader(pdf).pages]


def sheet_numbers(pdf: bytes) -> list[int | None]:
    """The «Лист N» printed on each page (None where there is none, as on the title sheet)."""
    numbers: list[int | None] = []
    for text in page_texts(pdf):
        match = re.search(r"Лист (\d+)", text)
        numbers.append(int(match.group(1)) if match else None)
    return numbers


def xmp_text(pdf: bytes) -> str:
    metadata = resolve(reader(pdf).root_object["/Metadata"])
    return bytes(metadata.get_data()).decode("utf-8")


def fonts_without_embedding(pdf: bytes) -> list[str]:
    """Names of fonts used on any page whose program is not embedded."""
    missing: list[str] = []
    for page in reader(pdf).pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources else None
        for font in fonts.get_object().values() if fonts else []:
            font = font.get_object()
            if font.get("/Subtype") == "/Type3":
                continue  # glyphs are drawn by the document itself
            descriptor_owner = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else DictionaryObject()
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    return missing


def resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def preflight(path: Path) -> subprocess.CompletedProcess[str]:
    """Apache PDFBox Preflight, the PDF/A-1b validator (Debian's libpdfbox2-java)."""
    java = shutil.which("java")
    classpath = ":".join(str(JAVA_DIR / f"{jar}.jar") for jar in PREFLIGHT_JARS)
    if java is None or not (JAVA_DIR / "preflight.jar").exists():
        raise RuntimeError("PDFBox Preflight is not installed: run ./install.sh (Debian packages)")
    return subprocess.run(
        [java, "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", str(path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "JAVA_TOOL_OPTIONS": "-Xmx512m"},
    )  # fmt: skip

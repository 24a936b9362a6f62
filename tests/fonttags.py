"""Subset tags read back with pikepdf (qpdf): one tag names one embedded program, and it is six letters A–Z."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf

TAGGED = re.compile(r"^([^+]*)\+(.+)$")
TAG = re.compile(r"^[A-Z]{6}$")
FONT_FILES = ("/FontFile2", "/FontFile3", "/FontFile")


@dataclass(frozen=True)
class TaggedFont:
    where: str  # the first place it was met, e.g. "page 3" or "page 1 annotation 1 appearance"
    names: tuple[str, ...]  # /BaseFont, CIDFont /BaseFont, /FontName, as written
    program: str  # SHA-256 of the decoded embedded program


def tagged_fonts(pdf: bytes) -> list[TaggedFont]:
    """Every font object with a subset-tagged name, reached from any page: its resources, the form XObjects
    they draw, and the appearance streams of its annotations (a signature's widget)."""
    found: list[TaggedFont] = []
    seen: set[tuple[int, int]] = set()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, start=1):
            places: list[tuple[str, pikepdf.Object]] = [(f"page {number}", page.obj)]
            for index, annot in enumerate(page.obj.get("/Annots", pikepdf.Array()), start=1):
                for state in annot.get("/AP", pikepdf.Dictionary()).values():
                    streams = [state] if isinstance(state, pikepdf.Stream) else list(state.values())
                    places += [(f"page {number} annotation {index} appearance", s) for s in streams]
            for where, holder in places:
                for font in _fonts(holder):
                    if font.objgen in seen and font.objgen != (0, 0):
                        continue
                    seen.add(font.objgen)
                    described = _described(font, where)
                    if described is not None:
                        found.append(described)
    return found


def tag_problems(pdf: bytes) -> list[str]:
    """Every breach of «one tag ↔ one program, six letters A–Z, one tag per font object»; empty when none."""
    problems: list[str] = []
    programs: dict[str, set[str]] = {}
    tags: dict[str, set[str]] = {}
    for font in tagged_fonts(pdf):
        matches = [TAGGED.match(name) for name in font.names]
        found = {match.group(1) for match in matches if match is not None}
        if len(found) != 1 or None in matches:
            problems.append(f"{font.where}: the names of one font disagree: {font.names}")
        for tag in found:
            if not TAG.match(tag):
                problems.append(f"{font.where}: {tag!r} is not six letters A–Z")
            programs.setdefault(tag, set()).add(font.program)
            tags.setdefault(font.program, set()).add(tag)
    problems += [f"{tag}: {len(p)} different programs" for tag, p in sorted(programs.items()) if len(p) > 1]
    problems += [f"program {p[:12]}: tagged {sorted(t)}" for p, t in sorted(tags.items()) if len(t) > 1]
    return problems


def _fonts(holder: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """Fonts in a page's or form's resources and, recursively, in the forms it draws."""
    stack, visited = [holder], set()
    while stack:
        item = stack.pop()
        if item.objgen != (0, 0):
            if item.objgen in visited:
                continue
            visited.add(item.objgen)
        resources = item.get("/Resources", pikepdf.Dictionary())
        yield from resources.get("/Font", pikepdf.Dictionary()).values()
        for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
            if xobject.get("/Subtype") == "/Form":
                stack.append(xobject)


def _described(font: pikepdf.Object, where: str) -> TaggedFont | None:
    inner = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
    names = [str(font.get("/BaseFont", ""))]
    if inner is not font:
        names.append(str(inner.get("/BaseFont", "")))
    descriptor = inner.get("/FontDescriptor")
    if descriptor is None:
        return None  # a standard font, nothing embedded
    names.append(str(descriptor.get("/FontName", "")))
    names = [name.lstrip("/") for name in names]
    if not any(TAGGED.match(name) for name in names):
        return None
    program = next((descriptor[key] for key in FONT_FILES if key in descriptor), None)
    digest = hashlib.sha256(program.read_bytes()).hexdigest() if program is not None else "not embedded"
    return TaggedFont(where, tuple(names), digest)

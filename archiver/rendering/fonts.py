"""One embedded font per face in a joined volume, instead of one per rendered part.

Each part of a volume is rendered on its own, so each part embeds its own subset of every font it uses:
a 19-page volume of six parts carried 31 subsets of 7 faces. Every signature validator walks every
object of the signed revision to check what changed after signing, so the copies cost time at each
validation for 25 years (and bytes in two repositories). WeasyPrint subsets TrueType fonts keeping the
glyph ids, and draws text with Identity-H codes that are those ids, so the subsets of one face can be
merged — glyph outlines, widths, the text map — into one font that every page then refers to; the page
contents do not change.

A group is merged only when it is safe to: Type0 fonts over TrueType programs with Identity encodings,
the same face (name, units per em), and no glyph id drawn or mapped differently by two members. Anything
else is left as rendered, but for its subset tag.

Subset tags (ISO 32000-1 §9.6.4: distinct subsets, distinct tags) are then derived from the embedded
program itself. WeasyPrint derives a tag from the Pango font description (family, weight, style), so every
separately rendered part — and the signature mark — tags its own, different subset of a face with the same
six letters; and the merge does not always succeed (WeasyPrint's second subsetting pass renumbers the
components of composite glyphs such as «й» that lie past the last glyph drawn, so two subsets may draw one
glyph id with different component ids). A tag from the program's digest is the same for the same program
and, bar a clash that is detected and resolved, different for different ones; it is deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, TTLibError
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

_TAG = re.compile(r"^/[A-Z]{6}\+")
_FONT_FILES = ("/FontFile2", "/FontFile3", "/FontFile")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]{1,8})>\s*<([0-9A-Fa-f]*)>")
_FIXED_PITCH = 1


@dataclass(frozen=True)
class _Member:
    """What one part's subset of a face holds."""

    widths: dict[int, float]
    to_unicode: dict[int, bytes]  # glyph id -> UTF-16BE hex digits
    program: bytes


def merge_font_subsets(writer: PdfWriter) -> int:
    """Point every page at one merged font per face; returns how many font objects were replaced."""
    resources = list(_resource_dicts(writer))
    groups: dict[tuple[str, ...], list[IndirectObject]] = {}
    for res in resources:
        for ref in _font_refs(res):
            key = _face_key(ref)
            if key is not None and ref not in groups.setdefault(key, []):
                groups[key].append(ref)
    replaced: dict[tuple[int, int], IndirectObject] = {}
    for refs in groups.values():
        if len(refs) < 2:
            continue
        merged = _merge(writer, refs)
        if merged is not None:
            replaced.update({(ref.idnum, ref.generation): merged for ref in refs})
    if not replaced:
        return 0
    for res in resources:
        fonts = _dict(res["/Font"])
        for name, ref in list(fonts.items()):
            if isinstance(ref, IndirectObject) and (ref.idnum, ref.generation) in replaced:
                fonts[NameObject(name)] = replaced[(ref.idnum, ref.generation)]
    # The replaced fonts are now unreferenced; pypdf drops one level of unreferenced objects per pass,
    # and a font is four deep (font -> CID font, text map -> descriptor -> program, CID set).
    for _ in range(4):
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    return len(replaced)


def retag_subsets(writer: PdfWriter) -> int:
    """Give every embedded subset a tag derived from its program; returns how many fonts were retagged.

    The tag goes into the font's /BaseFont, its CID font's /BaseFont and the descriptor's /FontName (the
    text maps and CID sets of WeasyPrint's fonts do not carry the name). Resource names stay as they are:
    the page contents refer to those, not to tags.
    """
    owner: dict[str, str] = {}  # tag -> the digest of the program it names
    digests: dict[int, str] = {}  # id of a program stream -> its digest, each program hashed once
    done: set[tuple[int, int]] = set()
    retagged = 0
    for res in _resource_dicts(writer):
        for ref in _font_refs(res):
            if (ref.idnum, ref.generation) in done:
                continue
            done.add((ref.idnum, ref.generation))
            named = _named_parts(ref)
            if named is None:
                continue
            dicts, program = named
            digest = digests.get(id(program))
            if digest is None:
                digest = digests[id(program)] = hashlib.sha256(program.get_data()).hexdigest()
            tag = _free_tag(digest, owner)
            for dictionary, key in dicts:
                name = str(dictionary[key])
                if name[7:8] != "+" or name[1:7] == tag:
                    continue
                dictionary[NameObject(key)] = NameObject(f"/{tag}+{name[8:]}")
                retagged += 1
    return retagged


def subset_tag(digest: str, attempt: int = 0) -> str:
    """Six letters A–Z from a program's SHA-256 (hex); the next attempt when the tag names another program."""
    seed = bytes.fromhex(digest) if attempt == 0 else hashlib.sha256(f"{digest}/{attempt}".encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in seed[:6])


def _free_tag(digest: str, owner: dict[str, str]) -> str:
    attempt = 0
    while owner.setdefault(subset_tag(digest, attempt), digest) != digest:
        attempt += 1
    return subset_tag(digest, attempt)


def _named_parts(ref: IndirectObject) -> tuple[list[tuple[DictionaryObject, str]], StreamObject] | None:
    """The dictionaries that carry a subset font's name (with the key), and its program; None if not embedded."""
    try:
        font = _dict(ref)
        dicts = [(font, "/BaseFont")]
        inner = _descendant(font) if font.get("/Subtype") == "/Type0" else font
        if inner is not font:
            dicts.append((inner, "/BaseFont"))
        descriptor = _dict(inner["/FontDescriptor"])
        dicts.append((descriptor, "/FontName"))
        program = next(descriptor[key].get_object() for key in _FONT_FILES if key in descriptor)
    except (KeyError, IndexError, ValueError, StopIteration):
        return None
    if not isinstance(program, StreamObject) or not _TAG.match(str(font.get("/BaseFont", ""))):
        return None
    return [(d, k) for d, k in dicts if k in d], program


def _resource_dicts(writer: PdfWriter) -> Iterator[DictionaryObject]:
    """Resource dictionaries with fonts: of every page and of the form XObjects they draw."""
    seen: set[int] = set()
    stack: list[PdfObject | None] = [page.get("/Resources") for page in writer.pages]
    while stack:
        item = stack.pop(0)
        res = item.get_object() if item is not None else None
        if not isinstance(res, DictionaryObject) or id(res) in seen:
            continue
        seen.add(id(res))
        if isinstance(res.get("/Font"), (DictionaryObject, IndirectObject)):
            yield res
        xobjects = res.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        for xobject in xobjects.values() if isinstance(xobjects, DictionaryObject) else ():
            form = xobject.get_object()
            if isinstance(form, DictionaryObject) and form.get("/Subtype") == "/Form":
                stack.append(form.get("/Resources"))


def _font_refs(res: DictionaryObject) -> Iterator[IndirectObject]:
    fonts = res["/Font"].get_object()
    for ref in fonts.values() if isinstance(fonts, DictionaryObject) else ():
        if isinstance(ref, IndirectObject):
            yield ref


def _face_key(ref: IndirectObject) -> tuple[str, ...] | None:
    """What identifies a mergeable face, or None when this font is not of the kind merged here."""
    try:
        font = _dict(ref)
        if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H" or "/ToUnicode" not in font:
            return None
        descendant = _descendant(font)
        if descendant.get("/Subtype") != "/CIDFontType2" or descendant.get("/CIDToGIDMap") != "/Identity":
            return None
        descriptor = _dict(descendant["/FontDescriptor"])
        if "/FontFile2" not in descriptor:
            return None
    except (KeyError, IndexError, ValueError):
        return None
    fixed = ("/FontFamily", "/ItalicAngle", "/Ascent", "/Descent", "/StemV", "/StemH")
    return (_TAG.sub("/", str(font["/BaseFont"])), *(repr(descriptor.get(k)) for k in fixed))


def _merge(writer: PdfWriter, refs: list[IndirectObject]) -> IndirectObject | None:
    members = [_member(ref) for ref in refs]
    if any(m is None for m in members):
        return None
    found = [m for m in members if m is not None]
    widths: dict[int, float] = {}
    to_unicode: dict[int, bytes] = {}
    for member in found:
        for gid, width in member.widths.items():
            if widths.setdefault(gid, width) != width:
                return None
        for gid, text in member.to_unicode.items():
            to_unicode.setdefault(gid, text)  # one glyph drawn for two texts: the first, as WeasyPrint does
    program = _merge_programs([m.program for m in found], [set(m.widths) for m in found])
    if program is None:
        return None
    return _write_font(writer, refs[0], program, widths, to_unicode)


def _member(ref: IndirectObject) -> _Member | None:
    try:
        font = _dict(ref)
        descendant = _descendant(font)
        widths = _read_widths(descendant.get("/W", ArrayObject()))
        to_unicode = _read_to_unicode(_stream_data(font["/ToUnicode"]))
        program = _stream_data(_dict(descendant["/FontDescriptor"])["/FontFile2"])
    except (ValueError, TypeError, KeyError, IndexError, zlib.error):
        return None
    if to_unicode is None:
        return None
    return _Member(widths, to_unicode, program)


def _dict(obj: PdfObject | None) -> DictionaryObject:
    resolved = obj.get_object() if obj is not None else None
    if not isinstance(resolved, DictionaryObject):
        raise ValueError(f"not a dictionary: {obj!r}")
    return resolved


def _descendant(font: DictionaryObject) -> DictionaryObject:
    descendants = font["/DescendantFonts"].get_object()
    if not isinstance(descendants, ArrayObject) or len(descendants) != 1:
        raise ValueError("a Type0 font has one descendant font")
    return _dict(descendants[0])


def _array(obj: PdfObject | None) -> ArrayObject:
    resolved = obj.get_object() if obj is not None else None
    if not isinstance(resolved, ArrayObject):
        raise ValueError(f"not an array: {obj!r}")
    return resolved


def _number_of(obj: PdfObject | None) -> float:
    resolved = obj.get_object() if obj is not None else None
    if not isinstance(resolved, (NumberObject, FloatObject)):
        raise ValueError(f"not a number: {obj!r}")
    return float(resolved)


def _stream_data(obj: PdfObject) -> bytes:
    stream = obj.get_object()
    if not isinstance(stream, StreamObject):
        raise ValueError(f"not a stream: {obj!r}")
    return stream.get_data()


def _read_widths(array: PdfObject) -> dict[int, float]:
    """The /W array: `c [w1 w2 ...]` and `c_first c_last w` entries."""
    widths: dict[int, float] = {}
    items = [item.get_object() for item in _array(array)]
    i = 0
    while i < len(items):
        first, run = int(_number_of(items[i])), items[i + 1]
        if isinstance(run, ArrayObject):
            for offset, width in enumerate(run):
                widths[first + offset] = _number_of(width)
            i += 2
        else:
            for gid in range(first, int(_number_of(run)) + 1):
                widths[gid] = _number_of(items[i + 2])
            i += 3
    return widths


def _read_to_unicode(cmap: bytes) -> dict[int, bytes] | None:
    """WeasyPrint's ToUnicode map (bfchar entries only); None for anything else (ranges), not merged."""
    if b"beginbfrange" in cmap:
        return None
    mapping: dict[int, bytes] = {}
    for section in _BFCHAR.findall(cmap):
        for gid, text in _PAIR.findall(section):
            mapping.setdefault(int(gid, 16), text.lower())
    return mapping


def _merge_programs(programs: list[bytes], used: list[set[int]]) -> bytes | None:
    """One TrueType program with the glyphs every member draws (ids kept); None if members disagree."""
    try:
        fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False) for p in programs]
        readers = {id(f): TTFont(io.BytesIO(p)) for f, p in zip(fonts, programs, strict=True)}
        return _merged_program(fonts, used, readers)
    except (TTLibError, AssertionError, ValueError, KeyError, IndexError, struct.error):
        return None  # a program fontTools cannot read is left as it was rendered


def _merged_program(fonts: list[TTFont], used: list[set[int]], readers: dict[int, TTFont]) -> bytes | None:
    """`readers`: a second copy of each font, by id() of the first, read for outlines only (reading a
    glyph's outline expands it, and the merged program keeps glyphs in their binary form)."""
    if len({f["head"].unitsPerEm for f in fonts}) != 1 or any("glyf" not in f for f in fonts):
        return None
    base = max(fonts, key=lambda f: len(f.getGlyphOrder()))  # the first of the largest: ids fit in it
    base_order = base.getGlyphOrder()
    base_glyphs, base_hmtx = base["glyf"].glyphs, base["hmtx"]
    copied: dict[int, tuple[Any, ...] | None] = {}  # ids filled in the base: what they draw
    for font, gids in zip(fonts, used, strict=True):
        if font is base:
            continue
        order = font.getGlyphOrder()
        glyf, hmtx, reader = font["glyf"], font["hmtx"], readers[id(font)]
        for gid in sorted(gids):
            if gid >= len(order) or gid >= len(base_order):
                return None
            glyph, mine = glyf.glyphs[order[gid]], base_glyphs[base_order[gid]]
            glyph.trim()
            mine.trim()
            if gid in copied:
                if _outline(order[gid], reader) != copied[gid]:
                    return None  # two members draw this id differently: not the same face
                continue
            if _raw(mine):
                if _raw(mine) != _raw(glyph) and _outline(base_order[gid], readers[id(base)]) != _outline(
                    order[gid], reader
                ):
                    return None  # the same id drawn differently: not the same face
                continue  # the same drawing (a composite may name its parts by other, subset-local ids)
            # A glyph the base lacks moves over; a composite is decomposed on the way, because its parts
            # are named by ids that are only this subset's (WeasyPrint renumbers them past the last glyph
            # drawn), and in the base those ids may hold other glyphs.
            base_glyphs[base_order[gid]] = _decomposed(order[gid], reader) if _components(glyph, font) else glyph
            base_hmtx[base_order[gid]] = hmtx[order[gid]]
            copied[gid] = _outline(order[gid], reader)
    out = io.BytesIO()
    base.save(out, reorderTables=True)
    return out.getvalue()


def _decomposed(name: str, font: TTFont) -> Any:
    """A composite glyph as one simple glyph of the same outline (its parts drawn in place)."""
    recording = DecomposingRecordingPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(recording)
    pen = TTGlyphPen(None)
    recording.replay(pen)
    return pen.glyph()


def _outline(name: str, font: TTFont) -> tuple[Any, ...] | None:
    """What a glyph draws, composites resolved through their own font: points, contour ends, flags.

    WeasyPrint's second subsetting pass renumbers the parts of a composite glyph (й is и and a breve)
    that lie past the last glyph drawn, so two subsets can hold the same й naming its breve by different
    ids; the merged font keeps the base subset's й with its own breve, which draws the same.
    """
    try:
        table = font["glyf"]
        coordinates, ends, flags = table[name].getCoordinates(table)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return (tuple(coordinates), tuple(ends), bytes(flags))


def _raw(glyph: Any) -> bytes:
    data: bytes = getattr(glyph, "data", b"")
    return data


def _components(glyph: Any, font: TTFont) -> list[int]:
    """The glyph ids a composite glyph is built of (read from a copy: the glyph itself stays binary)."""
    if len(_raw(glyph)) < 2 or struct.unpack(">h", _raw(glyph)[:2])[0] >= 0:
        return []
    expanded = copy.deepcopy(glyph)
    expanded.expand(font["glyf"])
    return [font.getGlyphID(component.glyphName) for component in expanded.components]


def _write_font(
    writer: PdfWriter, first: IndirectObject, program: bytes, widths: dict[int, float], to_unicode: dict[int, bytes]
) -> IndirectObject:
    """The merged Type0 font, its CID font, descriptor, program and maps, modelled on the first member."""
    font = _dict(first)
    descendant = _descendant(font)
    descriptor = _dict(descendant["/FontDescriptor"])

    font_file = _stream(program, {"/Length1": NumberObject(len(program))})
    new_descriptor = DictionaryObject({NameObject(k): v for k, v in descriptor.items()})
    new_descriptor[NameObject("/FontFile2")] = writer._add_object(font_file)
    bbox = _array(descriptor["/FontBBox"])
    new_descriptor[NameObject("/FontBBox")] = ArrayObject(
        [bbox[0], bbox[1], _number(max(widths.values(), default=0)), bbox[3]]
    )
    flags = int(_number_of(descriptor["/Flags"])) & ~_FIXED_PITCH
    if len(widths) > 1 and len(set(widths.values())) == 1:
        flags |= _FIXED_PITCH
    new_descriptor[NameObject("/Flags")] = NumberObject(flags)
    if "/CIDSet" in descriptor:  # PDF/A-1: which CIDs the subset holds
        bits = bytearray((max(widths) + 8) // 8)
        for gid in widths:
            bits[gid // 8] |= 0x80 >> (gid % 8)
        new_descriptor[NameObject("/CIDSet")] = writer._add_object(_stream(bytes(bits), {}))

    new_descendant = DictionaryObject({NameObject(k): v for k, v in descendant.items()})
    new_descendant[NameObject("/W")] = _widths_array(widths)
    new_descendant[NameObject("/FontDescriptor")] = writer._add_object(new_descriptor)

    new_font = DictionaryObject({NameObject(k): v for k, v in font.items()})
    new_font[NameObject("/DescendantFonts")] = ArrayObject([writer._add_object(new_descendant)])
    new_font[NameObject("/ToUnicode")] = writer._add_object(_stream(_to_unicode_cmap(to_unicode), {}))
    return writer._add_object(new_font)


def _stream(data: bytes, entries: dict[str, NumberObject]) -> StreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update({NameObject(k): v for k, v in entries.items()})
    return stream.flate_encode()


def _number(value: float) -> NumberObject | FloatObject:
    return NumberObject(int(value)) if float(value).is_integer() else FloatObject(value)


def _widths_array(widths: dict[int, float]) -> ArrayObject:
    """`c [w1 w2 ...]` runs of consecutive glyph ids, as WeasyPrint writes them."""
    array = ArrayObject()
    run: ArrayObject | None = None
    for gid in sorted(widths):
        if run is None or gid - 1 not in widths:
            run = ArrayObject()
            array.extend([NumberObject(gid), run])
        run.append(_number(widths[gid]))
    return array


def _to_unicode_cmap(mapping: dict[int, bytes]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(b"<%04x> <%s>" % (gid, text) for gid, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)

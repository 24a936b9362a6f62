"""Grid pages read back with pdfplumber, as a reader finds things: rules, characters, and the cell where a
row and a column meet. Nothing here knows how the archiver planned the page."""

from __future__ import annotations

import io
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pdfplumber

Char = dict[str, Any]


@dataclass(frozen=True)
class Band:
    """A vertical rule, or one side of a frame: x0..x1 across, top..bottom down the page."""

    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Table:
    """A framed grid on a page: its outer box, its vertical rules (the frame's sides included), its text."""

    x0: float
    x1: float
    top: float
    bottom: float
    rules: tuple[Band, ...]
    chars: tuple[Char, ...]


def pages(pdf: bytes) -> Iterator[Any]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        yield from document.pages


def tables(page: Any) -> list[Table]:
    """The framed grids of a page: filled rectangles wider than 100 pt are frames; thin tall ones are rules."""
    frames = [r for r in page.rects if r["width"] > 100 and r["height"] > 20]
    thin = [r for r in page.rects if r["width"] < 2 and r["height"] > 3]
    found: list[Table] = []
    for frame in frames:
        if any(other is not frame and _inside(frame, other) for other in frames):
            continue  # the inner edge of an even-odd frame: the outer one stands for it
        inner = [r for r in frames if r is not frame and _inside(r, frame)]
        bands = [Band(frame["x0"], max([frame["x0"] + 0.01, *(r["x0"] for r in inner)]), frame["top"], frame["bottom"]),
                 Band(min([frame["x1"] - 0.01, *(r["x1"] for r in inner)]), frame["x1"], frame["top"], frame["bottom"])]  # fmt: skip
        bands += [Band(r["x0"], r["x1"], r["top"], r["bottom"]) for r in thin if _inside(r, frame, slack=1)]
        chars = tuple(c for c in page.chars if frame["top"] <= (c["top"] + c["bottom"]) / 2 <= frame["bottom"])
        found.append(Table(frame["x0"], frame["x1"], frame["top"], frame["bottom"], tuple(bands), chars))
    return found


def _inside(inner: dict[str, Any], outer: dict[str, Any], slack: float = 0.0) -> bool:
    return (
        inner["x0"] >= outer["x0"] - slack
        and inner["x1"] <= outer["x1"] + slack
        and inner["top"] >= outer["top"] - slack
        and inner["bottom"] <= outer["bottom"] + slack
    )


def problems(table: Table) -> list[str]:
    """Every character whose box touches or crosses a vertical rule, or lies outside the frame."""
    found = []
    bands = sorted(table.rules, key=lambda b: b.x0)
    starts = [b.x0 for b in bands]
    widest = max((b.x1 - b.x0 for b in bands), default=0.0)
    for char in table.chars:
        if char["text"].isspace():
            continue
        where = f"{char['text']!r} at x {char['x0']:.1f}–{char['x1']:.1f}, y {char['top']:.1f}"
        if char["x0"] < table.x0 or char["x1"] > table.x1:
            found.append(f"{where}: outside the table ({table.x0:.1f}–{table.x1:.1f})")
            continue
        for band in bands[bisect_left(starts, char["x0"] - widest) : bisect_right(starts, char["x1"])]:
            if (
                band.top < char["bottom"]
                and char["top"] < band.bottom
                and band.x0 < char["x1"]
                and char["x0"] < band.x1
            ):
                found.append(f"{where}: on the rule at x {band.x0:.1f}–{band.x1:.1f}")
                break
    return found


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    middle: float


def lines(table: Table) -> list[list[Word]]:
    """The table's text as lines (top to bottom) of words (left to right); a gap over 1 pt ends a word."""
    by_line: dict[int, list[Char]] = {}
    for char in table.chars:
        by_line.setdefault(round((char["top"] + char["bottom"]) / 2), []).append(char)
    out = []
    for key in sorted(by_line):
        words: list[Word] = []
        for char in sorted(by_line[key], key=lambda c: c["x0"]):
            if char["text"].isspace():
                continue
            if words and char["x0"] - words[-1].x1 <= 1.0:
                last = words[-1]
                words[-1] = Word(last.text + char["text"], last.x0, char["x1"], last.middle)
            else:
                words.append(Word(char["text"], char["x0"], char["x1"], (char["top"] + char["bottom"]) / 2))
        out.append(words)
    return out


def between_rules(table: Table, word: Word) -> tuple[float, float]:
    """The x range between the vertical rules on either side of a word."""
    crossing = [b for b in table.rules if b.top <= word.middle <= b.bottom]
    return max(b.x1 for b in crossing if b.x1 <= word.x0 + 0.01), min(b.x0 for b in crossing if b.x0 >= word.x1 - 0.01)


def cell(table: Table, row_name: str, label: str, header: str = "№,", occurrence: int = 0) -> str:
    """The text where the row whose name holds `row_name` meets the column labelled `label` in the header
    row that starts with `header` (the first such column from the left, or the `occurrence`-th)."""
    all_lines = lines(table)
    head = next(line for line in all_lines if line and line[0].text == header)
    left, right = between_rules(table, [w for w in head[1:] if w.text == label][occurrence])
    names_right = between_rules(table, head[0])[1]
    words = [w for line in all_lines for w in line]
    for line in all_lines:
        name = " ".join(w.text for w in line if w.x1 <= names_right)
        if row_name in name:
            middle = line[0].middle
            return " ".join(w.text for w in words if abs(w.middle - middle) < 3 and left <= w.x0 and w.x1 <= right)
    raise LookupError(f"no row {row_name!r}")


def check(pdf: bytes) -> list[tuple[int, int, list[str]]]:
    """Every framed grid of a PDF: (sheet, characters looked at, problems); picklable for worker processes."""
    return [
        (number, len(table.chars), problems(table))
        for number, page in enumerate(pages(pdf), 1)
        for table in tables(page)
    ]


def column_text(page: Any, header: str) -> str:
    """The text of a ruled table's column under the header word `header`, top to bottom, without spaces
    and line ends: the rules nearest the header word on either side bound it."""
    word = next(w for w in page.extract_words() if w["text"] == header)
    middle = (word["top"] + word["bottom"]) / 2
    edges = [e for e in page.edges if e["orientation"] == "v" and e["top"] <= middle <= e["bottom"]]
    left = max(e["x0"] for e in edges if e["x0"] <= word["x0"])
    right = min(e["x0"] for e in edges if e["x0"] >= word["x1"])
    text = page.crop((left, word["bottom"], right, page.height)).extract_text()
    return "".join(text.split())

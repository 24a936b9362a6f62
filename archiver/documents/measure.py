"""How wide a text is in the house fonts, and where it wraps.

The documents plan every sheet before anything is rendered: which columns and rows fit a grid page, which
cell needs a footnote, how many lines a name or a lesson topic takes. They measure with the fonts' own
advance widths (read once per process with fontTools, which WeasyPrint already depends on), so a value the
plan says fits does fit: no glyph of a grid cell reaches a column rule. Kerning only makes a run narrower;
a character the font lacks is counted as one em, wider than any fallback glyph.
"""

from __future__ import annotations

from functools import cache

from fontTools.ttLib import TTFont

from archiver.resources import data_dir

FACES = {
    "narrow": "PTN57F.ttf",
    "narrow-bold": "PTN77F.ttf",
    "sans": "PTS55F.ttf",
    "sans-bold": "PTS75F.ttf",
    "serif": "PTF55F.ttf",
}


@cache
def _advances(face: str) -> tuple[dict[int, float], float]:
    """Advance widths in em by code point, and the width of a character the font lacks."""
    font = TTFont(data_dir("templates") / "fonts" / FACES[face], lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    font.close()
    return widths, 1.0


def width(text: str, size: float, face: str = "narrow") -> float:
    """The width of `text` in points, set in `face` at `size` points."""
    widths, missing = _advances(face)
    return sum(widths.get(ord(char), missing) for char in text) * size


def wrap(text: str, limit: float, size: float, face: str = "narrow") -> tuple[str, ...]:
    """`text` broken into lines no wider than `limit` points: at spaces, else inside a word.

    Every character but the spaces at the breaks is kept, in order; an empty text is one empty line.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if width(candidate, size, face) <= limit:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for char in word:  # a word wider than the line: broken where it must be
                if line and width(line + char, size, face) > limit:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line)
    return tuple(lines)

"""A journal volume's grid sheets read back as a teacher reads them: for each course, student and lesson
date, the text of the cell (a footnote mark «*7» replaced by the footnote's value), and the period and final
marks. Only what is printed is used: the head line names the class and course, the month row and the day
row date each column, the name column names the student. Nothing here knows how the archiver planned it.

PDFium reads the pages (pdfplumber, which the layout tests use, takes half a second per grid sheet; a year's
volume has fifty of them), with its loose character boxes: the font's height, as pdfplumber's are."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from tests import gridcheck

MONTHS = {"январь": 1, "февраль": 2, "март": 3, "апрель": 4, "май": 5, "июнь": 6, "июль": 7, "август": 8,
          "сентябрь": 9, "октябрь": 10, "ноябрь": 11, "декабрь": 12, "янв": 1, "фев": 2, "мар": 3, "апр": 4,
          "июн": 6, "июл": 7, "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12}  # fmt: skip
RESULTS = {"I", "II", "III", "IV", "год", "экз.", "итог", "I тр", "II тр", "III тр", "I п/г", "II п/г"}
_FOOTNOTE = re.compile(r"\*(\d+) (.*?)(?=; \*\d+ |$)", re.S)
_ROW = re.compile(r"^\d+\.(.*)$")

Key = tuple[str, str, date | str, int]  # (course title, «Фамилия Имя», lesson date or result label, order)


def read(pdf: bytes, first_year: int) -> dict[Key, str]:
    """Every non-empty cell of every grid sheet; dates in September–December are in `first_year`."""
    out: dict[Key, str] = {}
    chunks: dict[str, list[list[date | str]]] = {}  # course → the column dates of each chunk seen
    document = pdfium.PdfDocument(pdf)
    for index in range(len(document)):
        page = document[index]
        text, grids = _page(page)
        if len(grids) != 1 or "Вид работы" not in text:
            continue
        head = next(line for line in text.splitlines() if " класс · " in line)
        course = head.split(" · ")[1]
        notes = _footnotes(text)
        columns, rows = _matrix(grids[0], first_year)
        seen = chunks.setdefault(course, [])
        if not seen or seen[-1] != columns:
            seen.append(columns)
        before = [c for chunk in seen[:-1] for c in chunk]
        for name, cells in rows:
            counts: dict[date | str, int] = {}
            for column, cell in zip(columns, cells, strict=True):
                order = before.count(column) + counts.get(column, 0)
                counts[column] = counts.get(column, 0) + 1
                if cell:
                    out[(course, name, column, order)] = notes.get(cell, cell)
    return out


def texts(pdf: bytes) -> list[str]:
    """Each page's text, as PDFium extracts it."""
    document = pdfium.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range().replace("\r", "") for i in range(len(document))]


def _page(page: Any) -> tuple[str, list[gridcheck.Table]]:
    """A page's text and its framed grids (gridcheck.Table: frame, vertical rules, characters)."""
    height = page.get_height()
    textpage = page.get_textpage()
    text = textpage.get_text_range().replace("\r", "")
    chars = []
    for i in range(textpage.count_chars()):
        code = pdfium_raw.FPDFText_GetUnicode(textpage.raw, i)
        if code in (0, 10, 13, 32, 0xFFFE):
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        chars.append({"text": chr(code), "x0": left, "x1": right, "top": height - top, "bottom": height - bottom})
    boxes = []
    for item in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_PATH]):
        left, bottom, right, top = item.get_bounds()
        boxes.append((left, height - top, right, height - bottom))
    frames = [b for b in boxes if b[2] - b[0] > 100 and b[3] - b[1] > 20]
    tables = []
    for x0, top_, x1, bottom_ in frames:
        if any(f != (x0, top_, x1, bottom_) and f[0] <= x0 and x1 <= f[2] and f[1] <= top_ and bottom_ <= f[3]
               for f in frames):  # fmt: skip
            continue
        rules = [gridcheck.Band(x0, x0 + 0.5, top_, bottom_), gridcheck.Band(x1 - 0.5, x1, top_, bottom_)]
        rules += [gridcheck.Band(b[0], b[2], b[1], b[3]) for b in boxes
                  if b[2] - b[0] < 2 and b[3] - b[1] > 3 and x0 - 1 <= b[0] and b[2] <= x1 + 1]  # fmt: skip
        inside = tuple(c for c in chars if top_ <= (c["top"] + c["bottom"]) / 2 <= bottom_)
        tables.append(gridcheck.Table(x0, x1, top_, bottom_, tuple(rules), inside))
    return text, tables


def _footnotes(text: str) -> dict[str, str]:
    """«*7» → «5/10» from «*7 Денисова Арина, 6 октября: 5/10»; work-type notes are not cells."""
    flat = " ".join(text.split("\n"))
    for legend in ("Виды работ: ", "н — отсутствовал"):  # the paragraphs after the footnotes
        flat = flat.split(legend, 1)[0]
    return {f"*{n}": body.rsplit(": ", 1)[1].strip() for n, body in _FOOTNOTE.findall(flat) if ": " in body}


def _matrix(table: gridcheck.Table, first_year: int) -> tuple[list[date | str], list[tuple[str, list[str]]]]:
    lines = _lines(table)
    rules = _merged([(b.x0 + b.x1) / 2 for b in table.rules])
    top_rules = _merged([(b.x0 + b.x1) / 2 for b in table.rules if b.top - table.top < 2])
    name_right = rules[1]
    columns = list(itertools.pairwise(rules[1:]))

    def column_of(word: gridcheck.Word) -> int | None:
        middle = (word.x0 + word.x1) / 2
        return next((i for i, (left, right) in enumerate(columns) if left < middle < right), None)

    groups = lines[0]
    labels = lines[1]
    months: list[int] = []
    for left, right in columns:
        bounds = [x for x in top_rules if x <= left + 0.5], [x for x in top_rules if x >= right - 0.5]
        span = (max(bounds[0]), min(bounds[1]))
        words = [w.text for w in groups if span[0] < (w.x0 + w.x1) / 2 < span[1]]
        months.append(MONTHS.get(" ".join(words), 0))
    label_text: list[list[str]] = [[] for _ in columns]
    for word in labels:
        index = column_of(word)
        if index is not None:
            label_text[index].append(word.text)
    keys: list[date | str] = []
    for month, parts in zip(months, label_text, strict=True):
        label = " ".join(parts)
        if month:
            keys.append(date(first_year if month >= 9 else first_year + 1, month, int(label)))
        else:
            assert label in RESULTS, label
            keys.append(label)
    rows: list[tuple[str, list[str]]] = []
    for line in lines[3:]:
        name_words = [w.text for w in line if w.x1 <= name_right]
        number = _ROW.match(name_words[0]) if name_words else None
        if number is None:
            continue  # the second line of a long name
        name = " ".join(([number[1]] if number[1] else []) + name_words[1:])
        name = " ".join(name.split()[:2])
        cells: list[list[str]] = [[] for _ in columns]
        for word in line:
            index = column_of(word)
            if index is not None and word.x0 > name_right:
                cells[index].append(word.text)
        rows.append((name, [" ".join(c) for c in cells]))
    return keys, rows


def _lines(table: gridcheck.Table) -> list[list[gridcheck.Word]]:
    """`gridcheck.lines`, with lines whose middles are within 2 pt taken as one (the name column and the
    cells are separate text runs whose middles may round apart)."""
    merged: list[list[gridcheck.Word]] = []
    for line in gridcheck.lines(table):
        if merged and abs(merged[-1][0].middle - line[0].middle) < 2:
            merged[-1] = sorted(merged[-1] + line, key=lambda w: w.x0)
        else:
            merged.append(line)
    return merged


def _merged(xs: list[float]) -> list[float]:
    """Rule positions, those closer than a point taken as one (a rule may be drawn as two rectangles)."""
    out: list[float] = []
    for x in sorted(xs):
        if not out or x - out[-1] > 1.0:
            out.append(x)
    return out


def expected_key(course: str, student: str, column: Any, order: int) -> Key:
    return (course, student, column, order)

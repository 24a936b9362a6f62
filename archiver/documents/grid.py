"""The grid sheets shared by the journal, the attendance sheet and the summary sheet: planned to the point.

A grid is a name column and columns of cells under one or two header rows, on a landscape A4 sheet whose
top edge is stitched (30 mm are left free there). Everything on it is placed by the plan, in points:
every column is wide enough for its widest value (a lesson's column has a fixed width, and a value too
wide for it is replaced by a footnote mark, the value printed under the grid), a name too long for its
column is wrapped onto more lines and its row is taller, and rows go on a sheet only while the sheet has
room for them and for their footnotes. The renderer draws what the plan says;
nothing is left for the layout engine to squeeze or cut. The cells are one text run, a line per row, each
value placed in its column by spaces (`place`): a few boxes per sheet instead of one per cell, which
keeps a dense sheet as fast to render as the monospaced rows it replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archiver.documents.measure import width, wrap

MM = 72 / 25.4
SHEET_WIDTH = 277 * MM  # landscape A4 less 10 mm on the left and right
SHEET_HEIGHT = 170 * MM  # less 30 mm at the stitched top edge and 10 mm at the bottom
CELL_PT = 8.0  # names and cells: PT Sans Narrow 8 pt
LABEL_PT = 7.0  # column and group labels
NOTE_PT = 7.0  # legends and footnotes under the grid: PT Sans 7 pt
NOTE_LINE = 8.75
HEAD_PT = 10.0  # the sheet's heading: PT Sans 10 pt
HEAD_LINE = 13.0
LINE = 4.4 * MM  # one text line of a row
PAD = 1.6  # the least room between a glyph and a rule, on each side
LESSON_WIDTH = 5.5 * MM  # a lesson's column
MIN_WIDTH = 5.5 * MM
SAFETY = 6 * MM  # what the plan keeps free on every sheet against rounding in the layout engine


@dataclass(frozen=True)
class GridColumn:
    label: str  # «15», «II», «год», «экз.», «итог», «всего»
    width: float
    code: str = ""  # the work-type row of a journal grid
    strong: bool = False  # heavy rules on both sides (period marks)


@dataclass(frozen=True)
class GridGroup:
    """A label over several columns: a month, a subject, a period."""

    lines: tuple[str, ...]
    span: int


@dataclass(frozen=True)
class GridRow:
    name: tuple[str, ...]  # the printed lines of «12. Иванова Мария»
    cells: tuple[str, ...]

    @property
    def lines(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class Footnote:
    mark: str  # «*1»
    text: str


@dataclass(frozen=True)
class Rule:
    x: float
    top: float
    strong: bool


@dataclass(frozen=True)
class CellLine:
    """One printed line of the cells: the values placed by spaces, each centred in its column."""

    text: str
    label: bool  # a header line, set at LABEL_PT


@dataclass(frozen=True)
class Grid:
    group_title: str  # «Месяц», «Предмет»
    groups: tuple[GridGroup, ...]
    name_title: str
    name_width: float
    columns: tuple[GridColumn, ...]
    code_title: str | None  # «Вид работы» on a journal grid
    rows: tuple[GridRow, ...]
    footnotes: tuple[Footnote, ...] = ()
    heavy_groups: bool = False  # group boundaries drawn heavy (subjects, periods); a journal's months are not

    @property
    def line(self) -> float:
        return LINE

    @property
    def group_lines(self) -> int:
        return max((len(g.lines) for g in self.groups), default=1)

    @property
    def header_lines(self) -> int:
        return self.group_lines + 1 + (1 if self.code_title is not None else 0)

    @property
    def width(self) -> float:
        return self.name_width + sum(c.width for c in self.columns)

    @property
    def height(self) -> float:
        return (self.header_lines + sum(r.lines for r in self.rows)) * LINE

    @property
    def label_top(self) -> float:
        return self.group_lines * LINE

    def column_x(self) -> list[float]:
        xs = [self.name_width]
        for column in self.columns:
            xs.append(xs[-1] + column.width)
        return xs

    def rules(self) -> tuple[Rule, ...]:
        """The vertical rules: group boundaries run through the group row, the others start below it."""
        xs = self.column_x()
        bounds = {0}
        start = 0
        for group in self.groups:
            start += group.span
            bounds.add(start)
        strong = {i for i, c in enumerate(self.columns) if c.strong} | {
            i + 1 for i, c in enumerate(self.columns) if c.strong
        }
        if self.heavy_groups:
            strong |= bounds
        return tuple(Rule(x, 0 if i in bounds else self.label_top, i in strong) for i, x in enumerate(xs))

    def hlines(self) -> tuple[float, ...]:
        """The y of each horizontal rule below the group row (the top and bottom edges are the frame)."""
        ys = [self.group_lines * LINE, (self.group_lines + 1) * LINE]
        if self.code_title is not None:
            ys.append(ys[-1] + LINE)
        for row in self.rows[:-1]:
            ys.append(ys[-1] + row.lines * LINE)
        return tuple(ys)

    def group_boxes(self) -> tuple[tuple[float, float, GridGroup], ...]:
        xs = self.column_x()
        boxes = []
        start = 0
        for group in self.groups:
            boxes.append((xs[start], xs[start + group.span] - xs[start], group))
            start += group.span
        return tuple(boxes)

    def cell_lines(self) -> tuple[CellLine, ...]:
        """Every line of cells from the label row down (empty lines pad taller rows): one text run."""
        widths = [c.width for c in self.columns]
        out = [CellLine(place([c.label for c in self.columns], widths, LABEL_PT), True)]
        if self.code_title is not None:
            out.append(CellLine(place([c.code for c in self.columns], widths, LABEL_PT), True))
        for row in self.rows:
            out.append(CellLine(place(row.cells, widths, CELL_PT), False))
            out.extend([CellLine("", False)] * (row.lines - 1))
        return tuple(out)

    def name_run(self) -> tuple[str, ...]:
        return tuple(line for row in self.rows for line in row.name)


def fits(text: str, column_width: float, size: float = CELL_PT) -> bool:
    return width(text, size) + 2 * PAD <= column_width


def place(values: Sequence[str], widths: Sequence[float], size: float) -> str:
    """Values as one line of text, each centred in its column by the spaces before it.

    A space is about 1.7 pt wide, so a value sits within 0.85 pt of its column's centre; the renderer
    sets the line without kerning, so the widths add up exactly as measured here. Every value must fit
    its column with `PAD` to spare (`fits`): the spaces never push it onto a rule.
    """
    space = width(" ", size)
    text, at, column_left = "", 0.0, 0.0
    for value, column_width in zip(values, widths, strict=True):
        if value:
            value_width = width(value, size)
            count = round((column_left + (column_width - value_width) / 2 - at) / space)
            while at + count * space < column_left + PAD / 2:
                count += 1  # never closer than half the padding to the left rule
            while count > 0 and at + count * space + value_width > column_left + column_width - PAD / 2:
                count -= 1  # nor to the right one
            count = max(count, 0)
            text += " " * count + value
            at += count * space + value_width
        column_left += column_width
    return text.rstrip()


def column_width(label: str, values: Sequence[str], minimum: float = MIN_WIDTH) -> float:
    """The width of a column that holds its label and every value with room on both sides."""
    widest = max([width(label, LABEL_PT), *(width(v, CELL_PT) for v in values)])
    return max(minimum, widest + 2 * PAD)


def name_lines(number: int, name: str, note: str, name_width: float) -> tuple[str, ...]:
    text = f"{number}. {name}" + (f" ({note})" if note else "")
    return wrap(text, name_width - 2 * PAD, CELL_PT)


def group_lines(label: str, span_width: float) -> tuple[str, ...]:
    return wrap(label, span_width - 2 * PAD, LABEL_PT)


def note_height(texts: Sequence[str]) -> float:
    """The height of paragraphs printed under a grid across the sheet."""
    shown = [text for text in texts if text]
    lines = sum(len(wrap(text, SHEET_WIDTH - 4, NOTE_PT, "sans")) for text in shown)
    return lines * NOTE_LINE + 2 * MM * len(shown)


def head_height(text: str) -> float:
    return len(wrap(text, SHEET_WIDTH - 4, HEAD_PT + 1, "sans-bold")) * HEAD_LINE + 2 * MM


STUDENTS = "№, фамилия, имя, отчество обучающегося"
FULL_NAMES = 68 * MM  # the name column where students are named in full (summary, attendance)


def students_grid(group_title: str, groups: tuple[GridGroup, ...], columns: Sequence[GridColumn],
                  rows: Sequence[GridRow]) -> Grid:  # fmt: skip
    """A grid of students by full name under grouped columns (subjects, periods), groups ruled heavy."""
    return Grid(group_title, groups, STUDENTS, FULL_NAMES, tuple(columns), None, tuple(rows), heavy_groups=True)


def rows_by_sheet(rows: Sequence[GridRow], room: float) -> list[tuple[GridRow, ...]]:
    """Rows on sheets, as many as `room` points hold on each (at least one per sheet, one sheet at least)."""
    sheets: list[tuple[GridRow, ...]] = []
    current: list[GridRow] = []
    used = 0.0
    for row in rows:
        if current and used + row.lines * LINE > room:
            sheets.append(tuple(current))
            current, used = [], 0.0
        current.append(row)
        used += row.lines * LINE
    sheets.append(tuple(current))
    return sheets


def chunk_by_width(widths: Sequence[float], available: float) -> list[tuple[int, int]]:
    """Consecutive columns, as many as fit each sheet: [(start, end)], at least one per sheet."""
    chunks: list[tuple[int, int]] = []
    start, used = 0, 0.0
    for index, column in enumerate(widths):
        if index > start and used + column > available:
            chunks.append((start, index))
            start, used = index, 0.0
        used += column
    if start < len(widths) or not chunks:
        chunks.append((start, len(widths)))
    return chunks

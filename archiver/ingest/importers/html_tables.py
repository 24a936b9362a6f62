"""The tables of a saved report page, as a grid of cell texts: rowspan and colspan spread over the cells they
cover, so that a cell's row and column are where a reader sees them.

Report pages of Russian journal platforms are old-style HTML (unclosed tags, `&nbsp;` padding, `<br>`
inside header cells); the standard library's tolerant parser reads them, and nothing is executed or
fetched. A page is untrusted input: the table count and size are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_CELLS = 2_000_000  # a class's year report has ~100 000 cells
MAX_SPAN = 1000


@dataclass
class Cell:
    text: str
    header: bool
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Table:
    classes: tuple[str, ...]
    rows: list[list[Cell]] = field(default_factory=list)

    def grid(self) -> list[list[Cell | None]]:
        """The rows with every spanned cell repeated where it spans (None where nothing is)."""
        out: list[list[Cell | None]] = []
        pending: dict[tuple[int, int], Cell] = {}
        for r, row in enumerate(self.rows):
            line: list[Cell | None] = []
            column = 0
            for cell in row:
                while (r, column) in pending:
                    line.append(pending.pop((r, column)))
                    column += 1
                for dc in range(cell.colspan):
                    line.append(cell)
                    for dr in range(1, cell.rowspan):
                        pending[(r + dr, column + dc)] = cell
                column += cell.colspan
            while (r, column) in pending:
                line.append(pending.pop((r, column)))
                column += 1
            out.append(line)
        return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.stack: list[Table] = []
        self.cell: Cell | None = None
        self.parts: list[str] = []
        self.cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table":
            table = Table(tuple(values.get("class", "").split()))
            self.tables.append(table)
            self.stack.append(table)
        elif not self.stack:
            return
        elif tag == "tr":
            self._close_cell()
            self.stack[-1].rows.append([])
        elif tag in ("td", "th"):
            self._close_cell()
            if not self.stack[-1].rows:
                self.stack[-1].rows.append([])
            self.cell = Cell("", tag == "th", _span(values.get("colspan")), _span(values.get("rowspan")))
            self.parts = []
            self.cells += self.cell.colspan * self.cell.rowspan
            if self.cells > MAX_CELLS:
                raise ValueError("the page has more table cells than any journal report")
        elif tag == "br" and self.cell is not None:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag == "table" and self.stack:
            self._close_cell()
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.parts.append(data)

    def _close_cell(self) -> None:
        if self.cell is not None and self.stack:
            self.cell.text = " ".join("".join(self.parts).replace("\xa0", " ").split())
            self.stack[-1].rows[-1].append(self.cell)
        self.cell = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(MAX_SPAN, int(value or "1")))
    except ValueError:
        return 1


def tables(html: str) -> list[Table]:
    """Every table of the page, outer before inner, in document order (ValueError when absurdly large)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.tables

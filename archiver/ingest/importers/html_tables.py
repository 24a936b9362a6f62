"""The tables of a saved report page, as a grid of cell texts: rowspan and colspan spread over the cells they
cover, so that a cell's row and column are where a reader sees them.

Report pages of Russian journal platforms are old-style HTML (unclosed tags, `&nbsp;` padding, `<br>`
inside header cells); lxml's libxml2 parser reads them (the standard library's took 75 s over a 1,000-student
school's reports, lxml takes a few), and nothing is executed or fetched. A page is untrusted input: the
table size is bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.etree
import lxml.html

MAX_CELLS = 200_000  # a class's report for the year has a few thousand cells
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


def tables(html: str) -> list[Table]:
    """Every table of the page, outer before inner, in document order (ValueError when absurdly large or
    not HTML at all)."""
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ValueError(f"not an HTML page ({exc})") from None
    for br in root.iter("br"):  # a line break inside a cell separates words
        br.tail = " " + (br.tail or "")
    found: list[Table] = []
    cells = 0
    for element in root.iter("table"):
        table = Table(tuple((element.get("class") or "").split()))
        for row in element.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
            line = []
            for cell in row.xpath("./td|./th"):
                colspan, rowspan = _span(cell.get("colspan")), _span(cell.get("rowspan"))
                cells += colspan * rowspan
                if cells > MAX_CELLS:
                    raise ValueError("the page has more table cells than any journal report")
                text = " ".join(cell.text_content().replace("\xa0", " ").split())
                line.append(Cell(text, cell.tag == "th", colspan, rowspan))
            table.rows.append(line)
        found.append(table)
    return found


# libxml2's HTML parser: it reads the broken markup of old report pages, fetches nothing from the network.
_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)


def _span(value: str | None) -> int:
    try:
        return max(1, min(MAX_SPAN, int(value or "1")))
    except ValueError:
        return 1

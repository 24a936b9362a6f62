"""The grid convention shared by journal and summary pages: cells are text in a monospaced font.

A grid row is one text run, each cell centred in `CELL_WIDTH` characters, and the column lines are drawn
once per page. WeasyPrint lays out a handful of boxes per row instead of one per cell, which is what makes
a dense page render several times faster than a table.
"""

from __future__ import annotations

from collections.abc import Sequence

CELL_WIDTH = 3  # characters of the monospaced grid font


def mono_line(cells: Sequence[str]) -> str:
    """A row's cells as one monospaced run, each centred in its column."""
    return "".join(cell.center(CELL_WIDTH) for cell in cells)

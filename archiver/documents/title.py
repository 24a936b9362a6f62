"""The title sheet of a bound volume: what it holds, sheet ranges and counts read back from the PDF."""

from __future__ import annotations

from dataclasses import dataclass

from archiver.documents.numerals import sheets_phrase

# The director's signature place on the title sheet, in mm from the page's lower-left corner:
# (left, bottom, width, height). The template draws it; the signer puts the visible signature there.
SIGNATURE_BOX_MM = (105.0, 24.0, 82.0, 30.0)
PAGE_MARGIN_LEFT_MM = 30.0  # the stitched edge (templates/archive.css)
PAGE_MARGIN_BOTTOM_MM = 10.0
PAGE_MARGIN_TOP_MM = 14.0


@dataclass(frozen=True)
class ContentsEntry:
    title: str
    first_sheet: int
    sheets: int

    @property
    def last_sheet(self) -> int:
        return self.first_sheet + self.sheets - 1

    @property
    def sheet_range(self) -> str:
        return str(self.first_sheet) if self.sheets == 1 else f"{self.first_sheet}–{self.last_sheet}"


@dataclass(frozen=True)
class TitleSheet:
    school_name: str
    school_short_name: str
    address: str | None
    volume_kind: str  # «КЛАССНЫЙ ЖУРНАЛ», «СВОДНЫЕ ВЕДОМОСТИ ИТОГОВЫХ ОЦЕНОК»
    volume_title: str  # «5 «А» класса», «обучающихся 1–11 классов»
    period_line: str  # «2025/2026 учебный год», «по состоянию на окончание II четверти 2025/2026 учебного года»
    retention_line: str  # «Срок хранения: 5 лет»
    title_sheets: int
    contents: tuple[ContentsEntry, ...]
    director_position: str
    director_name: str  # «О. П. Смирнова»
    date_line: str  # «20.06.2026»
    class_teacher: str | None = None  # a class's volume: «Классный руководитель: …»

    @property
    def total_sheets(self) -> int:
        return self.title_sheets + sum(entry.sheets for entry in self.contents)

    @property
    def certification(self) -> str:
        """«В томе пронумеровано и прошито 142 (сто сорок два) листа»."""
        return f"В томе пронумеровано и прошито {sheets_phrase(self.total_sheets)}"

    @property
    def signature_place_css(self) -> str:
        """`position: fixed` places against the page area, inside the margins."""
        left, bottom, width, height = SIGNATURE_BOX_MM
        return (
            f"left: {left - PAGE_MARGIN_LEFT_MM}mm; bottom: {bottom - PAGE_MARGIN_BOTTOM_MM}mm; "
            f"width: {width}mm; height: {height}mm"
        )

    @property
    def dense(self) -> bool:
        """Many parts (a school's 40 classes): a tighter layout keeps the title on one sheet."""
        return len(self.contents) > 14

    @property
    def crowded(self) -> bool:
        """More than the dense layout holds above the closing lines: the smallest legible table."""
        return len(self.contents) > 26


def contents(titles_and_counts: list[tuple[str, int]], first_sheet: int) -> tuple[ContentsEntry, ...]:
    """Entries numbered on from `first_sheet`, in order."""
    entries: list[ContentsEntry] = []
    sheet = first_sheet
    for title, count in titles_and_counts:
        entries.append(ContentsEntry(title, sheet, count))
        sheet += count
    return tuple(entries)

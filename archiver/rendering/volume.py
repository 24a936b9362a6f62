"""Render a volume: its parts in parallel worker processes, then the title sheet with the real counts,
then one PDF/A file.

Each part is rendered on its own (bounded memory) starting at the sheet number the plan gives it. The
page count of every rendered part is read back from its PDF; if it differs from the plan (a lesson topic
longer than estimated, say), the parts after it are rendered again with the right numbers, so the sheet
numbers printed on the pages and the counts on the title sheet always agree with the file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from archiver.documents.title import contents
from archiver.documents.volumes import Part, Volume
from archiver.errors import ArchiverError
from archiver.ingest.serialize import document_bytes
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import DocumentInfo, PdfaVariant, SourceAttachment, join, page_count
from archiver.workers import Inline

CREATOR_TOOL = "journal-archiver"
SOURCE_DESCRIPTION = "Данные электронного журнала, по которым сформирован документ (JSON)"
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RenderedPart:
    title: str
    first_sheet: int
    sheets: int


@dataclass(frozen=True)
class RenderedVolume:
    volume_id: str
    pdf: bytes
    title_sheets: int
    parts: tuple[RenderedPart, ...]
    variant: str

    @property
    def total_sheets(self) -> int:
        return self.title_sheets + sum(part.sheets for part in self.parts)


def render_part(part: Part, first_sheet: int, running_head: str, pdfa: PdfaVariant) -> bytes:
    """One part of a volume as PDF/A, its sheets numbered from `first_sheet` (runs in a worker)."""
    html = render_html(
        part.template,
        content=part.content,
        journal=part.content,
        summary=part.content,
        attendance=part.content,
        first_sheet=first_sheet,
        running_head=running_head,
        document_title=part.title,
    )
    return html_to_pdf(html, pdfa)


def render_volume(
    volume: Volume, pdfa: PdfaVariant, executor: Executor | None = None, progress: Progress | None = None
) -> RenderedVolume:
    """The whole volume as one PDF/A file, sheet numbers and title counts taken from the rendered parts."""
    executor = executor or Inline()
    title_sheets = 1
    planned = [part.planned_sheets for part in volume.parts]
    pdfs: list[bytes | None] = [None] * len(volume.parts)
    firsts: list[int] = [0] * len(volume.parts)
    while True:
        starts = _starts(title_sheets, planned)
        todo = [i for i in range(len(volume.parts)) if pdfs[i] is None or firsts[i] != starts[i]]
        futures = {i: executor.submit(render_part, volume.parts[i], starts[i], volume.running_head, pdfa) for i in todo}
        for i in todo:
            pdfs[i] = futures[i].result()
            firsts[i] = starts[i]
            if progress:
                progress(1)
        counts = [page_count(pdf) for pdf in pdfs if pdf is not None]
        if counts != planned:
            planned = counts  # a part came out longer or shorter than planned: renumber what follows
            continue
        entries = contents([(p.title, n) for p, n in zip(volume.parts, counts, strict=True)], title_sheets + 1)
        title = replace(volume.title_sheet, title_sheets=title_sheets, contents=entries,
                        date_line=f"{volume.created:%d.%m.%Y}")  # fmt: skip
        title_html = render_html("title.html", title=title, first_sheet=1, running_head="", document_title=volume.title)
        title_pdf = html_to_pdf(title_html, pdfa)
        actual = page_count(title_pdf)
        if actual != title_sheets:
            title_sheets = actual
            continue
        break
    attachment = None
    if pdfa.attachments:
        attachment = SourceAttachment(volume.source_name, document_bytes(volume.source), SOURCE_DESCRIPTION)
    info = DocumentInfo(volume.id, volume.title, volume.title_sheet.school_name, volume.created, CREATOR_TOOL)
    parts_pdf = [pdf for pdf in pdfs if pdf is not None]
    pdf = join([title_pdf, *parts_pdf], info, pdfa, attachment)
    rendered_parts = tuple(RenderedPart(e.title, e.first_sheet, e.sheets) for e in entries)
    result = RenderedVolume(volume.id, pdf, title_sheets, rendered_parts, pdfa.name)
    if page_count(pdf) != result.total_sheets:
        raise ArchiverError(f"{volume.id}: the joined PDF has {page_count(pdf)} pages, not {result.total_sheets}")
    return result


def _starts(title_sheets: int, counts: Sequence[int]) -> list[int]:
    starts: list[int] = []
    sheet = title_sheets + 1
    for count in counts:
        starts.append(sheet)
        sheet += count
    return starts

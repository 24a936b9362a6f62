"""Render a volume: its parts in parallel worker processes, then the title sheet with the real counts,
then one PDF/A file.

Each part is rendered on its own (bounded memory) starting at the sheet number the plan gives it. The
page count of every rendered part is read back from its PDF; if it differs from the plan (a lesson topic
longer than estimated, say), the parts after it are rendered again with the right numbers, so the sheet
numbers printed on the pages and the counts on the title sheet always agree with the file.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from archiver.documents.title import contents
from archiver.documents.volumes import Part, Volume
from archiver.errors import ArchiverError
from archiver.ingest.serialize import document_bytes
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import DocumentInfo, PdfaVariant, SourceAttachment, join, page_count

CREATOR_TOOL = "journal-archiver"
SOURCE_DESCRIPTION = "Данные электронного журнала, по которым сформирован документ (JSON)"
Progress = Callable[[int], None]
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


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


class _Inline(Executor):
    """Runs work in the calling process (one worker, or already inside a worker)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


@contextmanager
def workers(count: int | None = None) -> Iterator[Executor]:
    """A pool of rendering processes (forked, so the parent's data is shared, not copied)."""
    count = count or os.cpu_count() or 1
    if count <= 1:
        yield _Inline()
        return
    context = multiprocessing.get_context("fork")
    parent = (os.getpid(), threading.main_thread().ident)
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=exit_with_parent, initargs=parent
    ) as pool:
        yield pool


def exit_with_parent(parent: int, parent_main_thread: int | None) -> None:
    """Worker initializer: the worker ends within seconds when the process that made the pool dies.

    Without it a killed `archiver` (kill -9, the OOM killer) leaves its workers running forever, reparented
    to init, ~190 MB each. On Linux the kernel kills the worker (PR_SET_PDEATHSIG) -- but that fires when
    the *thread* that forked it exits, and ProcessPoolExecutor forks in whichever thread first calls
    submit(); so it is used only when that was the parent's main thread (a forked child keeps the forking
    thread's ident). Otherwise, and off Linux, a daemon thread checks os.getppid() every second.
    """
    if threading.get_ident() != parent_main_thread or not _kill_me_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the above was in place
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) for the calling process; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def render_part(part: Part, first_sheet: int, running_head: str, pdfa: PdfaVariant) -> bytes:
    """One part of a volume as PDF/A, its sheets numbered from `first_sheet` (runs in a worker)."""
    html = render_html(
        part.template,
        content=part.content,
        journal=part.content,
        summary=part.content,
        first_sheet=first_sheet,
        running_head=running_head,
        document_title=part.title,
    )
    return html_to_pdf(html, pdfa)


def render_volume(
    volume: Volume, pdfa: PdfaVariant, executor: Executor | None = None, progress: Progress | None = None
) -> RenderedVolume:
    """The whole volume as one PDF/A file, sheet numbers and title counts taken from the rendered parts."""
    executor = executor or _Inline()
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

"""`archiver render`: preview a volume as the archive would produce it (nothing is archived)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.documents.volumes import Volume, class_period_volume, class_summary_volume, class_year_volume
from archiver.errors import BadInputError
from archiver.files import check_replaceable, write_atomically
from archiver.ingest.importers import load_export
from archiver.ingest.model import JournalExport
from archiver.rendering.pdfa import VARIANTS, variant
from archiver.rendering.volume import render_volume
from archiver.workers import workers


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--class", "class_name", metavar="CLASS", help="The class, e.g. 5А.")
@click.option("--period", metavar="PERIOD", default="year", show_default=True,
              help="With --class: a period id of the export (q2, h1, …) for its archive copy, or 'year'.")  # fmt: skip
@click.option("--summary", is_flag=True, help="With --class: the class's summary sheet of final grades volume.")
@click.option("--pdfa", type=click.Choice(sorted(VARIANTS)), default=None,
              help="PDF/A part (default: [render] pdfa of the configuration, else 3b).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The PDF to write.")
@click.pass_obj
def render(
    runtime: Runtime, file: Path, class_name: str | None, period: str, summary: bool, pdfa: str | None, output: Path
) -> None:
    """Render a class's journal volume (or its archive copy at a period's end) or its summary sheet volume.

    A preview only: the PDF/A file is written to OUT and nothing is archived or signed. Sheets are
    numbered through the volume and the title sheet states each part's sheets, read back from the PDF.
    """
    if class_name is None:
        raise click.UsageError("give --class CLASS (with --summary for its summary sheet of final grades)")
    if summary and period != "year":
        raise click.UsageError("--summary is the year's summary sheet: give --period only without --summary")
    if output.is_dir():
        raise BadInputError(f"{output}: is a directory; give the PDF file to write")
    refuse_archive_paths(runtime, output)
    check_replaceable(output)  # before rendering: only a regular file is replaced (never a device or a link)
    if not output.parent.exists():
        raise BadInputError(f"{output.parent}: no such directory")
    settings = runtime.config
    export = load_export(file, format=settings.input.format, limits=settings.input.limits())
    volume = _volume(export, class_name, period, summary)
    chosen = variant(pdfa or settings.render.pdfa)
    show = not runtime.json and sys.stderr.isatty()
    with (
        workers(settings.render.workers or None) as executor,
        click.progressbar(length=len(volume.parts), label=f"{volume.title}", file=sys.stderr, show_pos=True)
        if show
        else _NoBar() as bar,
    ):
        rendered = render_volume(volume, chosen, executor, progress=bar.update)
    write_atomically(output, rendered.pdf)
    runtime.emit(
        {
            "ok": True,
            "file": str(output),
            "volume": rendered.volume_id,
            "pdfa": chosen.name,
            "sheets": rendered.total_sheets,
            "title_sheets": rendered.title_sheets,
            "parts": [{"title": p.title, "first_sheet": p.first_sheet, "sheets": p.sheets} for p in rendered.parts],
            "bytes": len(rendered.pdf),
        },
        f"{output}: {volume.title}, {rendered.total_sheets} sheets, PDF/A-{chosen.name}",
    )


def _volume(export: JournalExport, class_name: str, period: str, summary: bool) -> Volume:
    klass = export.school_class(class_name)
    if klass is None:
        known = ", ".join(k.name for k in export.classes)
        raise BadInputError(f"no class {class_name!r} in the export (classes: {known})")
    if summary:
        return class_summary_volume(export, klass)
    if period == "year":
        return class_year_volume(export, klass)
    chosen = next((p for p in export.periods if p.id == period), None)
    if chosen is None:
        known = ", ".join(["year", *(p.id for p in export.periods if p.kind != "year")])
        raise BadInputError(f"no period {period!r} in the export (periods: {known})")
    return class_period_volume(export, klass, chosen)


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, steps: int) -> None:
        return None

"""`archiver import`: a journal platform's saved data as the archive's export, validated; archived at once
with `--archive`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click

from archiver.cli.archiving import _report
from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.cli.progress import Bar
from archiver.cli.session import open_archive
from archiver.errors import BadInputError
from archiver.files import check_replaceable, write_atomically
from archiver.ingest.importers import PLATFORMS, read_document
from archiver.ingest.model import JournalExport, build_export
from archiver.ingest.overview import export_summary
from archiver.operations.archiving import archive_period, archive_year


@cli.command("import")
@click.option("--from", "platform", type=click.Choice(sorted(PLATFORMS)), required=True,
              help="The platform the data comes from: sgo («Сетевой город. Образование»), dnevnik (Дневник.ру), "
                   "mesh (МЭШ, «Моя школа», ЭПОС.Школа).")  # fmt: skip
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the export (JSON) to this file.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--archive", "archive_kind", type=click.Choice(["quarter", "year"]),
              help="Archive the imported data at once, as `archiver archive quarter|year` does.")  # fmt: skip
@click.option("--period", "period_id", help="With --archive quarter: the period's id in the imported export.")
@click.option("--allow-no-revocation", is_flag=True,
              help="With --archive: sign even where no revocation data (CRL, OCSP) can be had.")  # fmt: skip
@click.pass_obj
def import_command(
    runtime: Runtime,
    platform: str,
    source: Path,
    output: Path | None,
    force: bool,
    archive_kind: str | None,
    period_id: str | None,
    allow_no_revocation: bool,
) -> None:
    """Convert a platform's saved data (SOURCE, a directory) into the archive's export.

    SOURCE holds the platform's responses as `archiver fetch` saved them (or, for sgo, the diary responses
    and the report pages a school saves), and optionally card.json with what the platform does not give:

    \b
      {"school": {"name": "…", "short_name": "…", "address": "…", "timezone": "Europe/Moscow",
                  "director": {"last_name": "…", "first_name": "…", "middle_name": "…"}},
       "academic_year": {"start": "2025-09-01", "end": "2026-08-31"},
       "students": {"<platform id>": {"enrolled": "2025-09-01", "left": "2026-03-15"}},
       "planned_hours": {"<course id>": 102},
       "homeroom_teachers": {"<class id>": "<teacher id>"},
       "absence_reasons": {"<platform reason id>": "н|б|у|оп"}}

    The export is validated as any export: a problem names the file and the place, and nothing is written.
    Exit 0 when done, 2 on bad input.
    """
    if output is None and archive_kind is None:
        raise BadInputError("nothing to do: give -o FILE to write the export, or --archive quarter|year")
    if archive_kind == "quarter" and not period_id:
        raise BadInputError("--archive quarter needs --period (the period's id in the imported export)")
    if period_id and archive_kind != "quarter":
        raise BadInputError("--period goes with --archive quarter")
    if output is not None:
        if output.is_dir():
            raise BadInputError(f"{output}: is a directory; give the file to write")
        refuse_archive_paths(runtime, output)
        check_replaceable(output)
        if output.exists() and not force:
            raise BadInputError(f"{output}: already exists (use --force to replace it)")
        if not output.parent.exists():
            raise BadInputError(f"{output.parent}: no such directory")
    document = read_document(source, format=platform, limits=runtime.config.input.limits())
    export = build_export(document)
    summary = export_summary(export)
    payload: dict[str, object] = {"ok": True, "source": str(source), "platform": platform, "summary": summary}
    if output is not None:
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        write_atomically(output, data)
        payload.update(file=str(output), bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    if archive_kind is None:
        runtime.emit(
            payload,
            f"{output}: {summary['classes']} classes, {summary['students']} students, {summary['lessons']} lessons, "
            f"{summary['marks']} marks from {source} ({platform})",
        )
        return
    if output is not None:
        click.echo(f"{output}: written ({summary['classes']} classes, {summary['marks']} marks)", err=True)
    _archive(runtime, export, archive_kind, period_id, allow_no_revocation)


def _archive(
    runtime: Runtime, export: JournalExport, kind: str, period_id: str | None, allow_no_revocation: bool
) -> None:
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation
    if kind == "year":
        bar = Bar(runtime, 2 * len(export.classes), "Год")
        with bar:
            results = archive_year(archive_, lambda: export, runtime.user, progress=bar.update)
    else:
        assert period_id is not None
        bar = Bar(runtime, len(export.classes), period_id)
        with bar:
            results = archive_period(archive_, lambda: export, period_id, (), runtime.user, progress=bar.update)
    _report(runtime, results, "archived")

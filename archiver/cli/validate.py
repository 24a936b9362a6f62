"""`archiver validate FILE`: check an export in both layers and report every problem with its place."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.ingest.importers import IMPORTERS, read_document
from archiver.ingest.model import build_export
from archiver.ingest.overview import export_summary


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(IMPORTERS)),
    default=None,
    help="Format of the export (default: [input] format of the configuration, else json).",
)
@click.pass_obj
def validate(runtime: Runtime, file: Path, format_name: str | None) -> None:
    """Check a journal export: its shape (the JSON Schema), then its meaning.

    Every problem is reported with its place, e.g.
    classes[3].courses[1].marks[17].student: unknown student 's-991'.
    Exit 0 when valid, 2 when not.
    """
    settings = runtime.config.input
    document = read_document(file, format=format_name or settings.format, limits=settings.limits())
    summary = export_summary(build_export(document))
    human = (
        f"{file}: valid. {summary['school']}, {summary['academic_year']}: {summary['classes']} classes, "
        f"{summary['students']} students, {summary['teachers']} teachers, {summary['courses']} courses, "
        f"{summary['lessons']} lessons, {summary['marks']} marks"
    )
    runtime.emit({"ok": True, "file": str(file), "valid": True, "summary": summary}, human)

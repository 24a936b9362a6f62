"""`archiver demo-data`: write a realistic synthetic school year to a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.demo.generator import document_json, generate
from archiver.errors import BadInputError
from archiver.files import check_replaceable, write_atomically


@cli.command("demo-data")
@click.option(
    "--students",
    type=click.IntRange(1, 20000),
    default=1000,
    show_default=True,
    help="How many students the school has (about 25 a class).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed: the same seed gives the same file.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The export file to write.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.pass_obj
def demo_data(runtime: Runtime, students: int, seed: int, output: Path, force: bool) -> None:
    """Write a realistic, deterministic school year (Russian names, curriculum, marks) as an export.

    Classes 1–11 with their subjects and weekly hours, dated lessons with holidays, topics and homework,
    marks, absences, replaced and cancelled lessons, period, year, exam and final marks, and students who
    join or leave during the year. The file passes `archiver validate`.
    """
    if output.is_dir():
        raise BadInputError(f"{output}: is a directory; give the file to write")
    refuse_archive_paths(runtime, output)
    check_replaceable(output)  # only a regular file is replaced, even with --force (never a device or a link)
    if output.exists() and not force:
        raise BadInputError(f"{output}: already exists (use --force to replace it)")
    if not output.parent.exists():
        raise BadInputError(f"{output.parent}: no such directory")
    document = generate(students=students, seed=seed)
    data = document_json(document)
    write_atomically(output, data)
    classes = document["classes"]
    payload = {
        "ok": True,
        "file": str(output),
        "students": sum(len(k["students"]) for k in classes),
        "classes": len(classes),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    runtime.emit(
        payload,
        f"{output}: {payload['classes']} classes, {payload['students']} students, "
        f"{len(data) / 1e6:.1f} MB (seed {seed})",
    )

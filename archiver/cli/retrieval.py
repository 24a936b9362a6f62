"""`archiver find`, `archiver get`, `archiver export`: for auditors, read-only, every retrieval recorded."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.archive.cases import CaseKind
from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.cli.session import open_archive
from archiver.operations.retrieval import export_bag, find_cases, retrieve


@cli.command()
@click.option("--year", help="Academic year, e.g. 2025-2026.")
@click.option("--class", "class_name", help="Class, e.g. 5А.")
@click.option("--kind", type=click.Choice([k.value for k in CaseKind if k != CaseKind.AUDIT]), help="Kind of case.")
@click.option("--period", help="Period id, e.g. q2.")
@click.option("--student", help="A student's name (or part of it).")
@click.pass_obj
def find(runtime: Runtime, year: str | None, class_name: str | None, kind: str | None, period: str | None,
         student: str | None) -> None:  # fmt: skip
    """Search the catalog for cases."""
    archive = open_archive(runtime)
    rows = find_cases(
        archive, runtime.user, year=year, class_name=class_name, kind=kind, period=period, student=student
    )
    lines = [f"{r['case']}: {r['title']} ({r['status']}, {r['sheets']} sheets)" for r in rows] or ["no cases found"]
    runtime.emit({"ok": True, "cases": rows}, "\n".join(lines))


@cli.command()
@click.argument("case_id", metavar="CASE")
@click.option("--document", help="Only this file of the case (volume.pdf, source.json, metadata.json, ...).")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory (made 0700 if absent); the files are written 0600.")  # fmt: skip
@click.pass_obj
def get(runtime: Runtime, case_id: str, document: str | None, output: Path) -> None:
    """Retrieve a case from a copy that verifies; damaged copies are passed over and reported."""
    archive = open_archive(runtime)
    refuse_archive_paths(runtime, output)
    got = retrieve(archive, case_id, output, runtime.user, document)
    lines = [f"{case_id}: {len(got.files)} file(s) from {got.repository} into {output}"]
    lines += [f"  passed over {s}" for s in got.skipped]
    runtime.emit({"ok": True, "case": case_id, "repository": got.repository, "files": list(got.files),
                  "skipped": list(got.skipped)}, "\n".join(lines))  # fmt: skip


@cli.command()
@click.argument("case_id", metavar="CASE")
@click.option("--bag", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory to make (0700, its files 0600), or an empty one to fill.")  # fmt: skip
@click.pass_obj
def export(runtime: Runtime, case_id: str, bag: Path) -> None:
    """A BagIt package of a case with its signature reports and trust anchors, checkable without us."""
    archive = open_archive(runtime)
    refuse_archive_paths(runtime, bag)
    got = export_bag(archive, case_id, bag, runtime.user)
    runtime.emit({"ok": True, "case": case_id, "bag": str(bag), "repository": got.repository},
                 f"{case_id}: BagIt package in {bag} (from {got.repository})")  # fmt: skip

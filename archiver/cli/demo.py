"""`archiver demo`: the whole story on demo data in one command."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.errors import BadInputError


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("archiver-demo"),
    show_default=True,
    help="A new directory for the demo archive.",
)
@click.option(
    "--students",
    type=click.IntRange(1, 5000),
    default=120,
    show_default=True,
    help="Size of the demo school (1,000 students take a few minutes).",
)
@click.pass_obj
def demo(runtime: Runtime, directory: Path, students: int) -> None:
    """The whole story on demo data: archive, sign, damage, verify, repair, export for an auditor.

    Makes a new archive in DIR (test keys only), archives a quarter and the year of a demo school, has
    the director sign, flips a byte in one repository and deletes a file in the other, finds both,
    repairs them from the intact copies, verifies again and exports a BagIt package for an auditor.
    """
    from archiver.demo.story import run_demo, summary_json

    if directory.exists() and any(directory.iterdir()):
        raise BadInputError(f"{directory}: exists and is not empty; give a new --dir")
    say = (lambda text: None) if runtime.json else (lambda text: click.echo(text))
    story = run_demo(directory, students, say)
    if runtime.json:
        click.echo(summary_json(story))
    elif story.steps[-1].get("ok"):
        click.echo(f"Done: the archive is in {directory} (archiver.toml, repositories/, catalog.sqlite, pki/).")

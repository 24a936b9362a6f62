"""`archiver fetch`: a class's year from a journal platform's API into a directory that `archiver import` reads."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.errors import BadInputError
from archiver.fetching import dnevnik, mesh
from archiver.fetching.http import Client, read_token
from archiver.fetching.target import Target
from archiver.ingest.importers.draft import months_of


@cli.command()
@click.option("--from", "platform", type=click.Choice(["dnevnik", "mesh"]), required=True,
              help="dnevnik (Дневник.ру partner API v2) or mesh (МЭШ, «Моя школа», ЭПОС.Школа teacher routes). "
                   "«Сетевой город» has no class-level API to fetch from: save its pages "
                   "(archiver import --help).")  # fmt: skip
@click.option("--group", required=True, help="The class: its edu-group id (dnevnik) or class unit id (mesh).")
@click.option("--year", "year_text", required=True, help="The academic year, e.g. 2025/2026.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="The directory to save the responses in (new or empty).")  # fmt: skip
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False),
              help="A file whose first line is the API token (else the environment's ARCHIVER_DNEVNIK_TOKEN "
                   "or ARCHIVER_MESH_TOKEN).")  # fmt: skip
@click.option("--base-url", help="The API's base URL (dnevnik: https://api.dnevnik.ru/v2; mesh: the region's host, "
                                 "https://school.mos.ru by default).")  # fmt: skip
@click.option("--profile-id", help="mesh: the teacher's profile id (Profile-Id).")
@click.option("--academic-year-id", help="mesh: the platform's id of the academic year (aid).")
@click.option("--school-id", help="mesh: the school's id, to save its name and principal (school_info).")
@click.option("--rate", type=click.FloatRange(0.1, 100), default=5.0, show_default=True,
              help="At most this many requests a second.")  # fmt: skip
@click.option("--attempts", type=click.IntRange(1, 10), default=4, show_default=True,
              help="Tries of a request that fails for a passing reason (timeout, HTTP 429 or 5xx).")  # fmt: skip
@click.pass_obj
def fetch(
    runtime: Runtime,
    platform: str,
    group: str,
    year_text: str,
    output: Path,
    token_file: Path | None,
    base_url: str | None,
    profile_id: str | None,
    academic_year_id: str | None,
    school_id: str | None,
    rate: float,
    attempts: int,
) -> None:
    """Save a class's year from a journal platform's API in a new directory, for `archiver import`.

    The token is read from --token-file or the environment, never from the command line, and is never
    written anywhere. The responses are saved verbatim; the directory appears only when the whole year is
    saved (a failed fetch leaves nothing). Exit 0 when done, 1 when the platform failed, 2 on bad input.
    """
    found = re.fullmatch(r"(\d{4})[/-](\d{4})", year_text)
    if not found or int(found[2]) != int(found[1]) + 1:
        raise BadInputError(f"--year {year_text!r}: give two consecutive years, e.g. 2025/2026")
    start = date(int(found[1]), 9, 1)
    months = months_of(start, date(start.year + 1, 8, 31))
    refuse_archive_paths(runtime, output)
    if platform == "dnevnik":
        token = read_token(token_file, dnevnik.TOKEN_VARIABLE)
        client = Client(base_url or dnevnik.BASE_URL, dnevnik.headers(token), rate=rate, attempts=attempts)
    else:
        if not profile_id or not academic_year_id:
            raise BadInputError("--from mesh needs --profile-id and --academic-year-id")
        token = read_token(token_file, mesh.TOKEN_VARIABLE)
        client = Client(base_url or mesh.BASE_URL, mesh.headers(token, profile_id, academic_year_id),
                        rate=rate, attempts=attempts)  # fmt: skip
    shown = not runtime.json and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if shown:
            click.echo(f"\r{platform}: {done}/{total} steps, {client.requests} requests", nl=False, err=True)

    with Target(output) as target:
        if platform == "dnevnik":
            dnevnik.fetch(client, group, months, target, progress)
        else:
            assert academic_year_id is not None
            mesh.fetch(client, group, academic_year_id, months, target, progress, school_id)
        target.finish()
    if shown:
        click.echo("", err=True)
    runtime.emit(
        {"ok": True, "output": str(output), "platform": platform, "requests": client.requests,
         "files": target.files, "bytes": target.bytes},
        f"{output}: {target.files} responses ({target.bytes / 1e6:.1f} MB, {client.requests} requests) "
        f"from {platform}; next: archiver import --from {platform} {output} -o export.json",
    )  # fmt: skip

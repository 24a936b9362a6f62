"""`archiver init` and `archiver users add`: a new archive with its repositories, catalog and test PKI."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.catalog.models import User
from archiver.cli.main import Runtime, cli
from archiver.initialize import initialize
from archiver.roles import ROLES, require


@cli.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Where to make the archive.")  # fmt: skip
@click.pass_obj
def init(runtime: Runtime, directory: Path) -> None:
    """Make a new archive: configuration, two repository directories, SQLite catalog, and a TEST PKI.

    The PKI (root CA, the school's e-seal, the director's PKCS#12 with its passphrase file) is for
    trying the archive out only: every certificate says «ТЕСТ». The acting user becomes the first admin.
    """
    payload = initialize(directory, runtime.user)
    from archiver.storage import OcflRepository
    from archiver.verify import carrier_warnings

    made = [OcflRepository(name, Path(path)) for name, path in payload["repositories"].items()]
    warnings = carrier_warnings(made)
    if warnings:  # init puts both beside each other: fine for trying out, not for keeping
        warnings.append("move one repository to another disk, in another room, before real use ([repositories])")
    payload["warnings"] = warnings
    if not runtime.json:
        for warning in payload["warnings"]:
            click.echo(f"archiver: warning: {warning}", err=True)
    paths = payload
    config_path = Path(payload["config"])
    repositories = {name: Path(path) for name, path in payload["repositories"].items()}
    catalog_path = payload["catalog"]
    runtime.emit(
        payload,
        f"archive made in {directory}:\n  configuration  {config_path}\n"
        + "".join(f"  repository     {name}: {path}\n" for name, path in repositories.items())
        + f"  catalog        {catalog_path}\n  TEST e-seal    {paths['eseal_key']}\n"
        f"  TEST director  {paths['director_key']} (passphrase in {paths['director_passphrase']})\n"
        f"  admin          {runtime.user}",
    )


@cli.group()
def users() -> None:
    """Who may use the archive, and in which role (admin, director, archivist, auditor)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The user's role.")
@click.pass_obj
def users_add(runtime: Runtime, name: str, role: str) -> None:
    """Register a user with a role (admins only)."""
    from archiver.cli.opening import open_archive

    archive = open_archive(runtime, need_key=False)
    require(archive.catalog, runtime.user, "users", name)
    with archive.catalog.transaction() as session:
        existing = session.get(User, name)
        if existing is not None:
            existing.role = role
        else:
            session.add(User(name=name, role=role, created_at=archive.clock()))
        archive.catalog.record(session, runtime.user, "users add", name, "success", {"role": role})
    runtime.emit({"ok": True, "user": name, "role": role}, f"user {name}: {role}")

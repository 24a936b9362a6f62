"""`archiver init` and `archiver users add`: a new archive with its repositories, catalog and test PKI."""

from __future__ import annotations

from pathlib import Path

import click

from archiver.archive.identity import current_account
from archiver.archive.registry import (
    LoadedCertificate,
    load_certificates,
)
from archiver.archive.roles import ROLES
from archiver.cli.main import Runtime, cli
from archiver.errors import BadInputError
from archiver.files import unreadable
from archiver.operations.setup import initialize


@cli.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Where to make the archive.")  # fmt: skip
@click.option("--service-account", default="", metavar="LOGIN",
              help="The OS account that owns the archive; run init through `sudo -u LOGIN` and the person who ran "
              "sudo becomes the first admin (README: Security).")  # fmt: skip
@click.option("--catalog", "catalog_url", default="", metavar="URL",
              help="Keep the catalog in this empty database (e.g. postgresql+psycopg://archiver@db/archive) "
              "instead of an SQLite file in the directory.")  # fmt: skip
@click.pass_obj
def init(runtime: Runtime, directory: Path, service_account: str, catalog_url: str) -> None:
    """Make a new archive: configuration, two repository directories, SQLite catalog, and a TEST PKI.

    The PKI (root CA, the school's e-seal, the director's PKCS#12 with its passphrase file, their
    certificates as PEM) is for trying the archive out only: every certificate says «ТЕСТ»; the test CA's
    key is discarded once they are issued. The OS account running init becomes the first admin (through
    sudo with --service-account: the person who ran sudo). A directory holding any part of an archive is
    refused.
    """
    login = current_account(service_account or None).login
    payload = initialize(directory, login, service_account, catalog_url)
    from archiver.archive.storage import OcflRepository
    from archiver.operations.integrity import carrier_warnings

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
        f"  admin          {login} (the OS account that ran init)",
    )


@cli.group()
def users() -> None:
    """Who may use the archive, in which role (admin, director, archivist, auditor), from which OS account."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The user's role.")
@click.option("--os-user", "os_user", metavar="LOGIN", help="The OS account that acts as this user (default: NAME).")
@click.option("--certificate", "certificates", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A certificate (PEM or DER) the director signs with (repeatable; directors only).")  # fmt: skip
@click.option("--full-name", "full_name", metavar="TEXT",
              help="The person's full name as acts print it, e.g. \"Иванова Мария Петровна\".")  # fmt: skip
@click.option("--position", metavar="TEXT", help='The person\'s position as acts print it, e.g. "Архивариус".')
@click.pass_obj
def users_add(
    runtime: Runtime,
    name: str,
    role: str,
    os_user: str | None,
    certificates: tuple[Path, ...],
    full_name: str | None,
    position: str | None,
) -> None:
    """Register a user (or change one) with a role and the OS account that acts as it (admins only).

    When the archive has no admin on record (a catalog rebuilt without a sealed record of its users, or one
    made before users were bound to OS accounts), root or the configured service account registers one.
    """
    from archiver.cli.session import open_archive
    from archiver.operations.users import add_user

    archive = open_archive(runtime)
    account = current_account(runtime.config.security.service_account or None)
    loaded: list[LoadedCertificate] = []

    def read_certificates() -> list[LoadedCertificate]:  # read once the user may add users
        loaded.extend(_certificates(certificates))
        return loaded

    payload = add_user(archive, runtime.user, account, name, role, os_user, read_certificates, full_name, position)
    login = payload["os_user"]
    extra = "".join(f"\n  certificate {c.subject} (SHA-256 {c.sha256})" for c in loaded)
    runtime.emit(payload, f"user {name}: {role}, acting from OS account {login}{extra}")


def _certificates(paths: tuple[Path, ...]) -> list[LoadedCertificate]:
    loaded = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BadInputError(unreadable(path, exc)) from None
        try:
            loaded += load_certificates(data)
        except ValueError as exc:
            raise BadInputError(f"{path}: {exc}") from None
    return loaded


@users.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(runtime: Runtime, name: str) -> None:
    """Remove a user (admins only). Its certificates stay registered: the signatures made with them stand."""
    from archiver.cli.session import open_archive
    from archiver.operations.users import remove_user

    remove_user(open_archive(runtime), runtime.user, name)
    runtime.emit({"ok": True, "user": name, "removed": True}, f"user {name}: removed")


@users.command("list")
@click.pass_obj
def users_list(runtime: Runtime) -> None:
    """Every user with its role, OS account and signing certificates (admins only)."""
    from archiver.cli.session import open_archive
    from archiver.operations.users import list_users

    entries, seals = list_users(open_archive(runtime), runtime.user)
    lines = [
        f"{e['name']}: {e['role']}, OS account {e['os_user'] or '—'}"
        + "".join(f"\n  certificate {c['subject']} until {c['not_after'][:10]}" for c in e["certificates"])
        for e in entries
    ]
    lines += [f"e-seal certificate: {c['subject']} (SHA-256 {c['sha256']})" for c in seals]
    runtime.emit({"ok": True, "users": entries, "eseal_certificates": seals}, "\n".join(lines))  # fmt: skip


@users.command("eseal")
@click.pass_obj
def users_eseal(runtime: Runtime) -> None:
    """Register the configured e-seal key's certificate as the school's (admins only; after the school's
    e-seal is renewed). Volumes sealed with earlier registered e-seals stay valid."""
    from archiver.archive.opening import load_eseal
    from archiver.cli.session import open_archive
    from archiver.operations.users import register_eseal

    key = register_eseal(open_archive(runtime), runtime.user, lambda: load_eseal(runtime.config))
    payload = {"ok": True, "eseal": key.certificate_sha256, "subject": key.subject}
    runtime.emit(payload, f"e-seal certificate registered: {key.subject} (SHA-256 {key.certificate_sha256})")

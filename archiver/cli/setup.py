"""`archiver init` and `archiver users add`: a new archive with its repositories, catalog and test PKI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from archiver.archive.catalog.models import Certificate, User
from archiver.archive.identity import current_account
from archiver.archive.registry import (
    CertificateRecord,
    LoadedCertificate,
    UserRecord,
    change,
    load_certificates,
    replay,
)
from archiver.archive.roles import ROLES, require
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
@click.pass_obj
def init(runtime: Runtime, directory: Path, service_account: str) -> None:
    """Make a new archive: configuration, two repository directories, SQLite catalog, and a TEST PKI.

    The PKI (root CA, the school's e-seal, the director's PKCS#12 with its passphrase file, their
    certificates as PEM) is for trying the archive out only: every certificate says «ТЕСТ»; the test CA's
    key is discarded once they are issued. The OS account running init becomes the first admin (through
    sudo with --service-account: the person who ran sudo). A directory holding any part of an archive is
    refused.
    """
    login = current_account(service_account or None).login
    payload = initialize(directory, login, service_account)
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


NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:-]{0,99}")  # archive user names and OS logins (uid:1001 too)


@cli.group()
def users() -> None:
    """Who may use the archive, in which role (admin, director, archivist, auditor), from which OS account."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The user's role.")
@click.option("--os-user", "os_user", metavar="LOGIN", help="The OS account that acts as this user (default: NAME).")
@click.option("--certificate", "certificates", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A certificate (PEM or DER) the director signs with (repeatable; directors only).")  # fmt: skip
@click.pass_obj
def users_add(runtime: Runtime, name: str, role: str, os_user: str | None, certificates: tuple[Path, ...]) -> None:
    """Register a user (or change one) with a role and the OS account that acts as it (admins only).

    When the archive has no admin on record (a catalog rebuilt without a sealed record of its users, or one
    made before users were bound to OS accounts), root or the configured service account registers one.
    """
    from archiver.cli.session import open_archive

    login = os_user or name
    for what, value in (("user name", name), ("--os-user", login)):
        if not NAME.fullmatch(value):
            raise BadInputError(f"{what} {value!r}: letters a-z, A-Z, digits, '.', '_', '-' and ':' only, 1-100")
    archive = open_archive(runtime, need_key=False)
    with archive.catalog.transaction() as session:
        no_admin = not any(u.role == "admin" for u in replay(archive.catalog, session).users.values())
    account = current_account(runtime.config.security.service_account or None)
    if not (no_admin and account.is_os_admin and role == "admin"):
        require(archive.catalog, runtime.user, "users", name)
    loaded = _certificates(certificates, role)
    acting = runtime.user or f"({account.login})"
    with archive.catalog.transaction() as session:
        registry = replay(archive.catalog, session)
        holder = registry.user_of(login)
        if holder is not None and holder != name:
            raise BadInputError(f"the OS account {login!r} already acts as user {holder!r}")
        for item in loaded:
            known = registry.certificates.get(item.sha256)
            if known is not None and (known.purpose != "director" or known.user != name):
                whose = "the e-seal's" if known.purpose == "eseal" else f"user {known.user!r}'s"
                raise BadInputError(f"the certificate {item.subject} is already registered as {whose}")
        previous = registry.users.get(name)
        change(
            archive.catalog, session, acting, "users add", name,
            users={name: UserRecord(role, login)},
            certificates={c.sha256: (CertificateRecord("director", name), c.der) for c in loaded},
            details={"previous_role": previous.role if previous else None},
        )  # fmt: skip
    payload = {"ok": True, "user": name, "role": role, "os_user": login, "certificates": [c.sha256 for c in loaded]}
    extra = "".join(f"\n  certificate {c.subject} (SHA-256 {c.sha256})" for c in loaded)
    runtime.emit(payload, f"user {name}: {role}, acting from OS account {login}{extra}")


def _certificates(paths: tuple[Path, ...], role: str) -> list[LoadedCertificate]:
    if paths and role != "director":
        raise BadInputError("--certificate registers a director's signing certificate: give it with --role director")
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

    archive = open_archive(runtime, need_key=False)
    require(archive.catalog, runtime.user, "users", name)
    with archive.catalog.transaction() as session:
        registry = replay(archive.catalog, session)
        if name not in registry.users:
            raise BadInputError(f"no user {name!r}")
        admins = [n for n, u in registry.users.items() if u.role == "admin"]
        if admins == [name]:
            raise BadInputError(f"{name!r} is the last admin: register another admin first")
        change(archive.catalog, session, runtime.user, "users remove", name, users={name: None})
    runtime.emit({"ok": True, "user": name, "removed": True}, f"user {name}: removed")


@users.command("list")
@click.pass_obj
def users_list(runtime: Runtime) -> None:
    """Every user with its role, OS account and signing certificates (admins only)."""
    from archiver.cli.session import open_archive

    archive = open_archive(runtime, need_key=False)
    require(archive.catalog, runtime.user, "users", "list")
    with archive.catalog.transaction() as session:
        rows = session.execute(select(User).order_by(User.name)).scalars().all()
        certs = session.execute(select(Certificate).order_by(Certificate.not_after)).scalars().all()
        entries: list[dict[str, Any]] = [
            {
                "name": u.name,
                "role": u.role,
                "os_user": u.os_user,
                "certificates": [
                    {"sha256": c.sha256, "subject": c.subject, "not_after": c.not_after.isoformat()}
                    for c in certs if c.user_name == u.name
                ],
            }
            for u in rows
        ]  # fmt: skip
        seals = [{"sha256": c.sha256, "subject": c.subject} for c in certs if c.purpose == "eseal"]
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

    archive = open_archive(runtime, need_key=False)
    require(archive.catalog, runtime.user, "users", "eseal")
    key = load_eseal(runtime.config)
    with archive.catalog.transaction() as session:
        known = replay(archive.catalog, session).certificates.get(key.certificate_sha256)
        if known is not None and known.purpose != "eseal":
            raise BadInputError(f"the certificate {key.subject} is registered as user {known.user!r}'s signature")
        if known is None:
            entry = (CertificateRecord("eseal", None), key.certificate.dump())
            change(archive.catalog, session, runtime.user, "certificate", "eseal",
                   certificates={key.certificate_sha256: entry})  # fmt: skip
    payload = {"ok": True, "eseal": key.certificate_sha256, "subject": key.subject}
    runtime.emit(payload, f"e-seal certificate registered: {key.subject} (SHA-256 {key.certificate_sha256})")

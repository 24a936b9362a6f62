"""`archiver init` and `archiver users add`: a new archive with its repositories, catalog and test PKI."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import click

from archiver.catalog import open_catalog
from archiver.catalog.models import User
from archiver.cli.main import Runtime, cli
from archiver.errors import BadInputError
from archiver.files import write_atomically
from archiver.roles import ROLES, require
from archiver.storage import OcflRepository
from signing.pki import build_test_pki

CONFIG_TEMPLATE = """# Journal archiver configuration (made by `archiver init`).
[repositories]
# Two or more separate locations: in production, directories on different disks or rooms.
primary = "repositories/primary"
secondary = "repositories/secondary"

[catalog]
url = "sqlite:///catalog.sqlite"

[signing]
# TEST KEYS made by `archiver init`: replace them with the school's own before real use.
eseal_key = "pki/eseal.p12"
eseal_passphrase_file = "pki/eseal.passphrase"
trust_roots = ["pki/root.pem"]
tsa_url = ""

[render]
pdfa = "3b"
workers = 0
"""


@cli.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Where to make the archive.")  # fmt: skip
@click.pass_obj
def init(runtime: Runtime, directory: Path) -> None:
    """Make a new archive: configuration, two repository directories, SQLite catalog, and a TEST PKI.

    The PKI (root CA, the school's e-seal, the director's PKCS#12 with its passphrase file) is for
    trying the archive out only: every certificate says «ТЕСТ». The acting user becomes the first admin.
    """
    config_path = directory / "archiver.toml"
    if config_path.exists():
        raise BadInputError(f"{config_path}: an archive is already configured here")
    directory.mkdir(parents=True, exist_ok=True)
    repositories = {name: directory / "repositories" / name for name in ("primary", "secondary")}
    for name, path in repositories.items():
        OcflRepository(name, path).initialize()
    pki_dir = directory / "pki"
    pki = build_test_pki(pki_dir / "keys", "http://127.0.0.1:8089", datetime.now(UTC))
    paths: dict[str, str] = {}
    for label in ("eseal", "director"):
        passphrase = secrets.token_urlsafe(18).encode()
        write_atomically(pki_dir / f"{label}.passphrase", passphrase + b"\n")
        (pki_dir / f"{label}.passphrase").chmod(0o600)
        write_atomically(pki_dir / f"{label}.p12", pki.pkcs12(label, passphrase))
        (pki_dir / f"{label}.p12").chmod(0o600)
        paths[f"{label}_key"] = str(pki_dir / f"{label}.p12")
        paths[f"{label}_passphrase"] = str(pki_dir / f"{label}.passphrase")
    from asn1crypto import pem

    write_atomically(pki_dir / "root.pem", pem.armor("CERTIFICATE", pki.cert_der("root")))
    catalog_path = directory / "catalog.sqlite"
    catalog = open_catalog(f"sqlite:///{catalog_path}")
    with catalog.transaction() as session:
        session.add(User(name=runtime.user, role="admin", created_at=catalog.clock()))
        catalog.record(session, runtime.user, "init", "archive", "success", {"directory": str(directory.resolve())})
    write_atomically(config_path, CONFIG_TEMPLATE.encode("utf-8"))
    payload = {
        "ok": True,
        "config": str(config_path),
        "repositories": {name: str(path) for name, path in repositories.items()},
        "catalog": str(catalog_path),
        "trust_root": str(pki_dir / "root.pem"),
        **paths,
        "admin": runtime.user,
    }
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

"""Making a new archive: configuration, two OCFL repositories, the SQLite catalog, a TEST PKI, the first admin."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.archive.catalog import open_catalog
from archiver.archive.catalog.database import shown_url
from archiver.archive.registry import CertificateRecord, UserRecord, change
from archiver.archive.storage import OcflRepository
from archiver.errors import BadInputError
from archiver.files import PRIVATE_FILE, create_private, make_private_dir, write_atomically
from signing.pki import build_test_pki

CONFIG_TEMPLATE = """# Journal archiver configuration (made by `archiver init`).
[repositories]
# Two or more separate locations: in production, directories on different disks or rooms.
primary = "repositories/primary"
secondary = "repositories/secondary"

[catalog]
url = "{catalog_url}"

[signing]
# TEST KEYS made by `archiver init`: replace them with the school's own before real use.
eseal_key = "pki/eseal.p12"
eseal_passphrase_file = "pki/eseal.passphrase"
trust_roots = ["pki/root.pem"]
tsa_url = ""

[render]
pdfa = "3b"
workers = 0

[security]
# The OS account that owns the archive; people reach it with sudo and act as themselves (README: Security).
service_account = "{service_account}"
"""


def _first_checkpoint(config_path: Path, admin: str) -> None:
    """The first admin and the e-seal are sealed into the repositories at once: from then on the users and
    certificates that count are the sealed ones (archiver.archive.checkpoints)."""
    from archiver.archive.checkpoints import seal_checkpoint
    from archiver.archive.opening import archive_from_config
    from archiver.config import load_config

    archive = archive_from_config(load_config(config_path, required=True))
    try:
        seal_checkpoint(archive, admin)
    finally:
        archive.catalog.engine.dispose()


# Everything `initialize` makes in the directory: one of them already there means an archive (or what is
# left of one, e.g. its keys after archiver.toml was removed) that init must not overwrite.
PARTS = ("archiver.toml", "repositories", "catalog.sqlite", "catalog.sqlite-journal", "catalog.sqlite-wal", "pki")


def initialize(directory: Path, admin: str, service_account: str = "", catalog_url: str = "") -> dict[str, Any]:
    """Make an archive in `directory`; returns where each part is (the JSON that `init --json` prints).
    The catalog is an SQLite file in the directory, or the (empty) database at `catalog_url` (PostgreSQL).

    Refuses, writing nothing, a directory that holds any part of an archive. Secrets (the PKCS#12 files and
    their passphrase files), the catalog and the configuration are 0600 from their first byte and pki/ is
    0700. The test PKI's raw keys, the root CA's among them, are removed once the PKCS#12 files and the root
    certificate are written: nothing issues certificates later, and an unencrypted CA key beside the
    archive would let anyone who reads it make a "trusted" director.
    """
    config_path = directory / "archiver.toml"
    found = [name for name in PARTS if os.path.lexists(directory / name)]
    if found:
        raise BadInputError(
            f"{directory}: holds part of an archive already ({', '.join(found)}); nothing was written. "
            "Give an empty directory, or remove these first"
        )
    if catalog_url:
        _refuse_used_catalog(catalog_url)
    directory.mkdir(parents=True, exist_ok=True)
    repositories = {name: directory / "repositories" / name for name in ("primary", "secondary")}
    make_private_dir(directory / "repositories")  # the journals are personal data: the service account's only
    for name, path in repositories.items():
        OcflRepository(name, path).initialize()
    pki_dir = directory / "pki"
    make_private_dir(pki_dir)
    key_dir = pki_dir / "keys"
    paths: dict[str, str] = {}
    try:
        pki = build_test_pki(key_dir, "http://127.0.0.1:8089", datetime.now(UTC))
        for label in ("eseal", "director"):
            passphrase = secrets.token_urlsafe(18).encode()
            create_private(pki_dir / f"{label}.passphrase", passphrase + b"\n")
            create_private(pki_dir / f"{label}.p12", pki.pkcs12(label, passphrase))
            paths[f"{label}_key"] = str(pki_dir / f"{label}.p12")
            paths[f"{label}_passphrase"] = str(pki_dir / f"{label}.passphrase")
        from asn1crypto import pem

        write_atomically(pki_dir / "root.pem", pem.armor("CERTIFICATE", pki.cert_der("root")))
        certificates = {label: pki.cert_der(label) for label in ("eseal", "director")}
        for label, der in certificates.items():  # public: the director's is registered with `users add`
            write_atomically(pki_dir / f"{label}.pem", pem.armor("CERTIFICATE", der))
            paths[f"{label}_certificate"] = str(pki_dir / f"{label}.pem")
    finally:
        shutil.rmtree(key_dir, ignore_errors=True)  # even when init fails: no raw CA key is left behind
    catalog_path = directory / "catalog.sqlite"
    sqlite_file = _sqlite_file(catalog_url) if catalog_url else catalog_path
    if sqlite_file is not None and not sqlite_file.exists():
        create_private(sqlite_file, b"")  # SQLite keeps the mode of an existing file (and gives it to its journal)
    catalog = open_catalog(catalog_url or f"sqlite:///{catalog_path}", migrate=True)
    eseal = certificates["eseal"]
    with catalog.transaction() as session:  # the OS account running init is the first admin; the e-seal is the school's
        change(catalog, session, admin, "init", "archive", users={admin: UserRecord("admin", admin)},
               certificates={hashlib.sha256(eseal).hexdigest(): (CertificateRecord("eseal", None), eseal)},
               details={"directory": str(directory.resolve())})  # fmt: skip
    catalog.engine.dispose()
    config = CONFIG_TEMPLATE.replace("{service_account}", service_account).replace(
        "{catalog_url}", (catalog_url or "sqlite:///catalog.sqlite").replace("\\", "\\\\").replace('"', '\\"')
    )
    write_atomically(config_path, config.encode("utf-8"), mode=PRIVATE_FILE)
    _first_checkpoint(config_path, admin)
    payload = {
        "ok": True,
        "config": str(config_path),
        "repositories": {name: str(path) for name, path in repositories.items()},
        "catalog": shown_url(catalog_url) if catalog_url else str(catalog_path),
        "trust_root": str(pki_dir / "root.pem"),
        **paths,
        "admin": admin,
    }
    return payload


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise BadInputError(f"--catalog {url!r} is not a database URL (e.g. postgresql+psycopg://host/db)") from None
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def _refuse_used_catalog(url: str) -> None:
    """`init --catalog URL`: the database must hold no archive yet (nothing is written otherwise)."""
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not sqlite_file.exists():
        return  # a new file: made private below
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise BadInputError(f"--catalog {shown_url(url)!r} cannot be used: {exc}") from None
    try:
        tables = set(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise BadInputError(f"--catalog {shown_url(url)!r} cannot be opened: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    if tables & {"alembic_version", "cases", "users", "audit_events"}:
        raise BadInputError(
            f"--catalog {shown_url(url)!r} already holds an archive's catalog; nothing was written. Give a new, empty "
            "database (`createdb`), or use the archive that catalog belongs to"
        )

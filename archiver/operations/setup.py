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
# PAdES B-LTA: a timestamp, the certificates and revocation data (DSS), and a document timestamp over them.
level = "B-LTA"
# Timestamps: an RFC 3161 service (tsa_url = "https://...") or, for the test PKI, its TSA key on this machine.
tsa_url = ""
tsa_key = "pki/tsa.p12"
tsa_passphrase_file = "pki/tsa.passphrase"
# Revocation data put into the signatures: the test root's CRL (valid as long as its certificates). With a
# real PKI, list the CAs' CRLs here or let the archive fetch them from the certificates' addresses.
crls = ["pki/root.crl"]
fetch_revocation = false

[render]
pdfa = "3b"
workers = 0

[security]
# The OS account that owns the archive; people reach it with sudo and act as themselves (README: Security).
service_account = "{service_account}"

[school]
timezone = "Europe/Moscow"
# The year-end volumes are signed by this day (MM-DD) of the year the school year ends: «до 30 июня».
year_end_deadline = "06-30"

[retention]
# A class's quarter copies may be destroyed once its year-end journal is signed: "signed", or "MM-DD" for
# the first such day after the signature.
period_copies_until = "signed"
# The Перечень's article for each kind, from the school's номенклатура дел (printed in the acts): "ст. 690".
article_class_year = ""
article_summary = ""
article_class_period = ""

[transfer]
# After `archiver transfer`, the local copies are kept and verified ("keep"), or become due for disposal
# through an act the director approves ("dispose").
local_copies = "keep"
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
    target = _catalog_target(directory, catalog_url) if catalog_url else f"sqlite:///{directory / 'catalog.sqlite'}"
    directory.mkdir(parents=True, exist_ok=True)
    catalog = open_catalog(target, migrate=True)  # the schema first: a catalog that cannot be made stops init here
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
        for label in ("eseal", "director", "tsa"):
            passphrase = secrets.token_urlsafe(18).encode()
            create_private(pki_dir / f"{label}.passphrase", passphrase + b"\n")
            create_private(pki_dir / f"{label}.p12", pki.pkcs12(label, passphrase))
            paths[f"{label}_key"] = str(pki_dir / f"{label}.p12")
            paths[f"{label}_passphrase"] = str(pki_dir / f"{label}.passphrase")
        from asn1crypto import pem

        write_atomically(pki_dir / "root.pem", pem.armor("CERTIFICATE", pki.cert_der("root")))
        # The root's CRL, issued now for as long as the certificates under it are valid: the signatures'
        # revocation data without a network. A validator fetching it finds it at `pki.crl_url`.
        write_atomically(pki_dir / "root.crl", pki.crl_der())
        paths["crl"] = str(pki_dir / "root.crl")
        certificates = {label: pki.cert_der(label) for label in ("eseal", "director")}
        for label, der in certificates.items():  # public: the director's is registered with `users add`
            write_atomically(pki_dir / f"{label}.pem", pem.armor("CERTIFICATE", der))
            paths[f"{label}_certificate"] = str(pki_dir / f"{label}.pem")
    finally:
        shutil.rmtree(key_dir, ignore_errors=True)  # even when init fails: no raw CA key is left behind
    catalog_path = directory / "catalog.sqlite"
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


def _catalog_target(directory: Path, url: str) -> str:
    """`init --catalog URL`: the URL the archive will use (a relative SQLite path is taken from the archive's
    directory, as the configuration takes it), refused unless it names a new SQLite file or an empty database.
    Nothing is written before this check."""
    from sqlalchemy import create_engine, inspect, make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise BadInputError(
            f"--catalog {shown_url(url)!r} is not a database URL (postgresql+psycopg://host/db)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:") or parsed.query:
            raise BadInputError(
                f"--catalog {shown_url(url)!r}: an SQLite catalog is a file (sqlite:///path/catalog.sqlite)"
            )
        file = Path(database) if Path(database).is_absolute() else directory / database
        if os.path.lexists(file):
            raise BadInputError(f"--catalog {shown_url(url)!r}: {file} exists; give a new file (nothing was written)")
        if not file.parent.is_dir() and file.parent != directory:
            raise BadInputError(f"--catalog {shown_url(url)!r}: no directory {file.parent} (nothing was written)")
        return f"sqlite:///{file}"
    try:
        engine = create_engine(url, future=True)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
    except Exception as exc:  # any driver's error: a URL that cannot be reached is bad input here
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadInputError(f"--catalog {shown_url(url)!r} cannot be opened: {reason} (nothing was written)") from None
    if tables:
        raise BadInputError(
            f"--catalog {shown_url(url)!r} is not empty ({len(tables)} table(s): {', '.join(sorted(tables)[:5])}); "
            "give a new, empty database (`createdb`); nothing was written"
        )
    return url

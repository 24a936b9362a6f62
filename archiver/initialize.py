"""Making a new archive: configuration, two OCFL repositories, the SQLite catalog, a TEST PKI, the first admin."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.catalog import open_catalog
from archiver.catalog.models import User
from archiver.errors import BadInputError
from archiver.files import write_atomically
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


def initialize(directory: Path, admin: str) -> dict[str, Any]:
    """Make an archive in `directory`; returns where each part is (the JSON that `init --json` prints)."""
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
        session.add(User(name=admin, role="admin", created_at=catalog.clock()))
        catalog.record(session, admin, "init", "archive", "success", {"directory": str(directory.resolve())})
    catalog.engine.dispose()
    write_atomically(config_path, CONFIG_TEMPLATE.encode("utf-8"))
    payload = {
        "ok": True,
        "config": str(config_path),
        "repositories": {name: str(path) for name, path in repositories.items()},
        "catalog": str(catalog_path),
        "trust_root": str(pki_dir / "root.pem"),
        **paths,
        "admin": admin,
    }
    return payload

"""Who the archive's users are, in which role, acting from which OS account, signing with which certificates.

The `users` and `certificates` tables are a working copy. The record is the audit trail: every change is
made by `change`, which writes the rows and an audit event carrying the change (`details["registry"]`) in
one transaction. `replay` folds those events into the registry they describe; a row edited outside the
archive (a role set by SQL) no longer matches it, and is refused when it acts and reported by `verify`.
The audit chain itself is anchored by sealed checkpoints (archiver.archive.checkpoints), which also carry the
whole registry so that a rebuilt catalog gets its users back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import pem, x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.catalog import Catalog
from archiver.archive.catalog.models import AuditEvent, Certificate, User

# The audit actions that may carry a registry change.
REGISTRY_ACTIONS = ("init", "users add", "users remove", "certificate", "catalog rebuild")


@dataclass(frozen=True)
class UserRecord:
    role: str
    os_user: str | None
    full_name: str | None = None
    position: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The record's fields; a name and position only when given (older records keep their shape)."""
        out: dict[str, Any] = {"role": self.role, "os_user": self.os_user}
        if self.full_name is not None:
            out["full_name"] = self.full_name
        if self.position is not None:
            out["position"] = self.position
        return out


@dataclass(frozen=True)
class CertificateRecord:
    purpose: str  # director, eseal
    user: str | None


@dataclass
class Registry:
    users: dict[str, UserRecord] = field(default_factory=dict)
    certificates: dict[str, CertificateRecord] = field(default_factory=dict)

    def user_of(self, os_user: str) -> str | None:
        for name, record in self.users.items():
            if record.os_user == os_user:
                return name
        return None

    def fingerprints(self, purpose: str, user: str | None = None) -> frozenset[str]:
        return frozenset(
            sha for sha, c in self.certificates.items() if c.purpose == purpose and (user is None or c.user == user)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "users": {n: u.as_json() for n, u in sorted(self.users.items())},
            "certificates": {s: {"purpose": c.purpose, "user": c.user} for s, c in sorted(self.certificates.items())},
        }


def _apply(registry: Registry, delta: Mapping[str, Any]) -> None:
    """Apply one recorded change; entries of the wrong shape (never written by the archive) are skipped."""
    users, certificates = delta.get("users"), delta.get("certificates")
    for name, entry in users.items() if isinstance(users, dict) else ():
        if entry is None:
            registry.users.pop(name, None)
        elif isinstance(entry, dict) and isinstance(entry.get("role"), str):
            registry.users[name] = UserRecord(
                entry["role"], _text(entry.get("os_user")), _text(entry.get("full_name")), _text(entry.get("position"))
            )
    for sha, entry in certificates.items() if isinstance(certificates, dict) else ():
        if entry is None:
            registry.certificates.pop(sha, None)
        elif isinstance(entry, dict) and isinstance(entry.get("purpose"), str):
            registry.certificates[sha] = CertificateRecord(entry["purpose"], _text(entry.get("user")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _changes(session: Session, after: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """The registry changes the audit trail records after event `after`, in order."""
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.details)
        .where(AuditEvent.action.in_(REGISTRY_ACTIONS), AuditEvent.outcome == "success", AuditEvent.id > after)
        .order_by(AuditEvent.id)
    ).all()
    out = []
    for ident, details in rows:
        delta = details.get("registry") if isinstance(details, dict) else None
        if isinstance(delta, dict):
            out.append((ident, delta))
    return out


def registry_event_ids(session: Session, after: int) -> list[int]:
    return [ident for ident, _ in _changes(session, after)]


def replay(catalog: Catalog, session: Session) -> Registry:
    """The registry that counts: the one sealed with the latest checkpoint, with the changes this process
    made since (a change anyone else wrote into the catalog after it never counts). Without any checkpoint
    (an archive from before they were kept), every change the audit trail records."""
    sealed = catalog.sealed
    if sealed is None:
        registry = Registry()
        changes = _changes(session)
    else:
        registry = Registry(dict(sealed.registry.users), dict(sealed.registry.certificates))
        changes = [(i, d) for i, d in _changes(session, sealed.head_id) if i in catalog.own_events]
    for _, delta in changes:
        _apply(registry, delta)
    return registry


def from_sealed(data: Any) -> Registry:
    """A registry as `sealed_record` wrote it (entries of another shape are skipped)."""
    registry = Registry()
    if isinstance(data, dict):
        _apply(registry, {"users": data.get("users"), "certificates": data.get("certificates")})
    return registry


def current(session: Session) -> Registry:
    """The registry the tables hold."""
    registry = Registry()
    for user in session.execute(select(User)).scalars():
        registry.users[user.name] = UserRecord(user.role, user.os_user, user.full_name, user.position)
    for cert in session.execute(select(Certificate)).scalars():
        sound = hashlib.sha256(cert.der or b"").hexdigest() == cert.sha256
        registry.certificates[cert.sha256] = CertificateRecord(cert.purpose if sound else "(another certificate's DER)",
                                                               cert.user_name)  # fmt: skip
    return registry


def differences(recorded: Registry, held: Registry) -> list[str]:
    """What the tables hold that the audited record does not say (or the other way round)."""
    problems = []
    for name in sorted(set(recorded.users) | set(held.users)):
        a, b = recorded.users.get(name), held.users.get(name)
        if a == b:
            continue
        if a is None:
            problems.append(f"user {name!r} ({b.role if b else ''}) was never registered through the archive")
        elif b is None:
            problems.append(f"user {name!r} ({a.role}) was removed outside the archive")
        else:
            problems.append(
                f"user {name!r} is {b.role!r} acting from OS account {b.os_user!r} in the catalog, but was "
                f"registered as {a.role!r} acting from {a.os_user!r}"
            )
    for sha in sorted(set(recorded.certificates) | set(held.certificates)):
        c, d = recorded.certificates.get(sha), held.certificates.get(sha)
        if c != d:
            problems.append(f"certificate {sha[:16]}…: the catalog says {d}, the audited record {c}")
    return problems


def change(
    catalog: Catalog,
    session: Session,
    user: str,
    action: str,
    obj: str,
    *,
    users: Mapping[str, UserRecord | None] | None = None,
    certificates: Mapping[str, tuple[CertificateRecord, bytes] | None] | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Change users and certificates and record the change, in the caller's transaction."""
    now = catalog.clock()
    delta: dict[str, Any] = {"users": {}, "certificates": {}}
    for name, record in (users or {}).items():
        row = session.get(User, name)
        if record is None:
            if row is not None:
                session.delete(row)
            delta["users"][name] = None
            continue
        if row is None:
            session.add(User(name=name, role=record.role, os_user=record.os_user, full_name=record.full_name,
                             position=record.position, created_at=now))  # fmt: skip
        else:
            row.role, row.os_user = record.role, record.os_user
            row.full_name, row.position = record.full_name, record.position
        delta["users"][name] = record.as_json()
    session.flush()
    for sha, item in (certificates or {}).items():
        existing = session.get(Certificate, sha)
        if item is None:
            if existing is not None:
                session.delete(existing)
            delta["certificates"][sha] = None
            continue
        purpose, der = item
        if existing is None:
            session.add(certificate_row(der, purpose, now))
        else:
            existing.purpose, existing.user_name = purpose.purpose, purpose.user
        delta["certificates"][sha] = {"purpose": purpose.purpose, "user": purpose.user}
    catalog.record(session, user, action, obj, "success", {**(details or {}), "registry": delta})


def check_user(catalog: Catalog, session: Session, name: str) -> str | None:
    """Why the user's row cannot be trusted (it differs from the audited record), or None."""
    recorded = replay(catalog, session).users.get(name)
    row = session.get(User, name)
    held = UserRecord(row.role, row.os_user, row.full_name, row.position) if row is not None else None
    if recorded != held:
        return (
            f"the catalog's entry for user {name!r} differs from its audited record (changed outside the "
            "archive); run `archiver verify`"
        )
    return None


# -- certificates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedCertificate:
    der: bytes
    sha256: str
    subject: str
    serial: str
    not_before: datetime
    not_after: datetime


def load_certificates(data: bytes) -> list[LoadedCertificate]:
    """Every certificate in a PEM or DER file; ValueError when there is none."""
    blobs: list[bytes] = []
    if pem.detect(data):
        for kind, _, body in pem.unarmor(data, multiple=True):
            if kind == "CERTIFICATE":
                blobs.append(body)
    else:
        blobs.append(data)
    out = []
    for blob in blobs:
        try:
            cert = x509.Certificate.load(blob)
            validity = cert["tbs_certificate"]["validity"]
            out.append(
                LoadedCertificate(
                    cert.dump(),
                    hashlib.sha256(cert.dump()).hexdigest(),
                    str(cert.subject.human_friendly),
                    format(cert.serial_number, "X"),
                    validity["not_before"].native,
                    validity["not_after"].native,
                )
            )
        except Exception:  # asn1crypto raises assorted errors for bytes that are not a certificate
            raise ValueError("not a certificate (PEM or DER)") from None
    if not out:
        raise ValueError("no certificate in it (PEM or DER)")
    return out


def certificate_row(der: bytes, record: CertificateRecord, now: datetime) -> Certificate:
    (loaded,) = load_certificates(der)
    return Certificate(
        sha256=loaded.sha256,
        purpose=record.purpose,
        user_name=record.user,
        subject=loaded.subject,
        serial=loaded.serial,
        not_before=loaded.not_before,
        not_after=loaded.not_after,
        der=der,
        added_at=now,
    )


def sealed_record(catalog: Catalog, session: Session) -> dict[str, Any]:
    """The registry as the sealed checkpoints carry it (with each certificate's DER, for a rebuild; a row
    whose DER is not the certificate it names carries none)."""
    registry = replay(catalog, session)
    data = registry.as_json()
    for sha, entry in data["certificates"].items():
        row = session.get(Certificate, sha)
        good = row is not None and hashlib.sha256(row.der).hexdigest() == sha
        entry["der"] = base64.b64encode(row.der).decode("ascii") if good and row is not None else None
    return data


def restore(catalog: Catalog, session: Session, user: str, record: Mapping[str, Any], source: str) -> int:
    """Register the users and certificates of a sealed record (a rebuild); how many users."""
    users = {
        name: UserRecord(
            str(entry["role"]), entry.get("os_user"), _text(entry.get("full_name")), _text(entry.get("position"))
        )
        for name, entry in record.get("users", {}).items()
    }
    certificates: dict[str, tuple[CertificateRecord, bytes] | None] = {}
    for sha, entry in record.get("certificates", {}).items():
        if entry.get("der"):
            der = base64.b64decode(entry["der"])
            if hashlib.sha256(der).hexdigest() == sha:
                certificates[sha] = (CertificateRecord(str(entry["purpose"]), entry.get("user")), der)
    change(catalog, session, user, "catalog rebuild", source, users=users, certificates=certificates,
           details={"restored_from": source})  # fmt: skip
    return len(users)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

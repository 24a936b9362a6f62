"""Who may use the archive: users with their roles, OS accounts and signing certificates, and the school's
e-seal certificate. Every change is an audited event of the registry (archiver.archive.registry)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select

from archiver.archive.catalog.models import Certificate, User
from archiver.archive.context import Archive
from archiver.archive.identity import OsAccount
from archiver.archive.registry import CertificateRecord, LoadedCertificate, UserRecord, change, replay
from archiver.archive.roles import require
from archiver.errors import BadInputError
from signing import KeySigner

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:-]{0,99}")  # archive user names and OS logins (uid:1001 too)


def add_user(
    archive: Archive,
    user: str,
    account: OsAccount,
    name: str,
    role: str,
    os_user: str | None = None,
    certificates: Sequence[LoadedCertificate] | Callable[[], Sequence[LoadedCertificate]] = (),
    full_name: str | None = None,
    position: str | None = None,
) -> dict[str, Any]:
    """Register (or change) user `name` acting from OS account `os_user` (default: the name), by `user`, an
    admin -- or, while the archive has no admin on record, by root or the service account (`account`)
    registering one."""
    login = os_user or name
    for what, value in (("user name", name), ("--os-user", login)):
        if not NAME.fullmatch(value):
            raise BadInputError(f"{what} {value!r}: letters a-z, A-Z, digits, '.', '_', '-' and ':' only, 1-100")
    for what, text, limit in (("--full-name", full_name, 300), ("--position", position, 200)):
        if text is not None:
            _check_printed(what, text, limit)
    with archive.catalog.transaction() as session:
        no_admin = not any(u.role == "admin" for u in replay(archive.catalog, session).users.values())
    if not (no_admin and account.is_os_admin and role == "admin"):
        require(archive.catalog, user, "users", name)
    certificates = tuple(certificates() if callable(certificates) else certificates)  # read after the check
    if certificates and role != "director":
        raise BadInputError("--certificate registers a director's signing certificate: give it with --role director")
    acting = user or f"({account.login})"
    with archive.catalog.transaction() as session:
        registry = replay(archive.catalog, session)
        holder = registry.user_of(login)
        if holder is not None and holder != name:
            raise BadInputError(f"the OS account {login!r} already acts as user {holder!r}")
        for item in certificates:
            known = registry.certificates.get(item.sha256)
            if known is not None and (known.purpose != "director" or known.user != name):
                whose = "the e-seal's" if known.purpose == "eseal" else f"user {known.user!r}'s"
                raise BadInputError(f"the certificate {item.subject} is already registered as {whose}")
        previous = registry.users.get(name)
        if previous is not None:  # a name and position given once stay until changed
            full_name = full_name if full_name is not None else previous.full_name
            position = position if position is not None else previous.position
        change(
            archive.catalog, session, acting, "users add", name,
            users={name: UserRecord(role, login, full_name, position)},
            certificates={c.sha256: (CertificateRecord("director", name), c.der) for c in certificates},
            details={"previous_role": previous.role if previous else None},
        )  # fmt: skip
    return {"ok": True, "user": name, "role": role, "os_user": login, "full_name": full_name, "position": position,
            "certificates": [c.sha256 for c in certificates]}  # fmt: skip


def _check_printed(what: str, text: str, limit: int) -> None:
    """A name printed on acts: visible text only (no control, format or bidi characters), not too long."""
    if not text.strip() or len(text) > limit or text != text.strip():
        raise BadInputError(f"{what} {text[:60]!r}: 1-{limit} characters, no spaces at either end")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise BadInputError(f"{what}: the invisible or control character U+{ord(char):04X} is not allowed")


def person(archive: Archive, login: str) -> str:
    """How acts name a user: «Заместитель директора Иванова М. П.» from the registry, else the login."""
    with archive.catalog.transaction() as session:
        record = replay(archive.catalog, session).users.get(login)
    if record is None or record.full_name is None:
        return login
    return f"{record.position} {record.full_name}" if record.position else record.full_name


def remove_user(archive: Archive, user: str, name: str) -> None:
    """Remove a user. Its certificates stay registered: the signatures made with them stand."""
    require(archive.catalog, user, "users", name)
    with archive.catalog.transaction() as session:
        registry = replay(archive.catalog, session)
        if name not in registry.users:
            raise BadInputError(f"no user {name!r}")
        admins = [n for n, u in registry.users.items() if u.role == "admin"]
        if admins == [name]:
            raise BadInputError(f"{name!r} is the last admin: register another admin first")
        change(archive.catalog, session, user, "users remove", name, users={name: None})


def list_users(archive: Archive, user: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every user with its role, OS account and certificates; and the e-seal certificates."""
    require(archive.catalog, user, "users", "list")
    with archive.catalog.transaction() as session:
        rows = session.execute(select(User).order_by(User.name)).scalars().all()
        certs = session.execute(select(Certificate).order_by(Certificate.not_after)).scalars().all()
        entries: list[dict[str, Any]] = [
            {
                "name": u.name,
                "role": u.role,
                "os_user": u.os_user,
                "full_name": u.full_name,
                "position": u.position,
                "certificates": [
                    {"sha256": c.sha256, "subject": c.subject, "not_after": c.not_after.isoformat()}
                    for c in certs if c.user_name == u.name
                ],
            }
            for u in rows
        ]  # fmt: skip
        seals = [{"sha256": c.sha256, "subject": c.subject} for c in certs if c.purpose == "eseal"]
    return entries, seals


def register_eseal(archive: Archive, user: str, load: Callable[[], KeySigner]) -> KeySigner:
    """Register the configured e-seal key's certificate as the school's (after the e-seal is renewed);
    the key is unlocked once the user is checked."""
    require(archive.catalog, user, "users", "eseal")
    key = load()
    with archive.catalog.transaction() as session:
        known = replay(archive.catalog, session).certificates.get(key.certificate_sha256)
        if known is not None and known.purpose != "eseal":
            raise BadInputError(f"the certificate {key.subject} is registered as user {known.user!r}'s signature")
        if known is None:
            entry = (CertificateRecord("eseal", None), key.certificate.dump())
            change(archive.catalog, session, user, "certificate", "eseal",
                   certificates={key.certificate_sha256: entry})  # fmt: skip
    return key

"""Who may do what: the acting OS account is mapped to an archive user by the registry that counts (the one
sealed with the latest audit checkpoint, archiver.archive.registry), whose role decides; a catalog row that says
otherwise is refused. A refusal is recorded and exits 1.

`--as NAME` is for an admin acting explicitly on someone's behalf: the action is authorised by NAME's role
and every event records both (the user NAME, `delegated_by` the admin). Anyone else giving `--as` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from archiver.archive.catalog import Catalog
from archiver.archive.identity import OsAccount
from archiver.archive.registry import check_user, replay
from archiver.errors import ArchiverError

ROLES = ("admin", "director", "archivist", "auditor")
PERMISSIONS = {
    "archive": {"admin"},
    "retention": {"admin"},
    "users": {"admin"},
    "sign": {"director"},
    "verify": {"archivist", "admin", "auditor"},
    "quarantine": {"admin"},
    "repair": {"archivist"},
    "renew": {"archivist", "admin"},  # a nightly job of the service account, or the archivist by hand
    "dispose": {"archivist"},  # propose a disposal act, execute an approved one
    "approve": {"director"},  # a disposal act («Утверждаю»)
    "transfer": {"archivist"},  # cases handed over to an archive, with the inventory and the act
    "status": set(ROLES),
    "find": set(ROLES),
    "get": {"auditor", "archivist", "admin", "director"},
    "export": {"auditor", "archivist"},
}
UNREGISTERED = ""  # the user of an OS account that is no archive user's


class RefusedError(ArchiverError):
    """The acting user may not do this (exit 1; recorded in the audit trail)."""

    code = "refused"


@dataclass(frozen=True)
class Actor:
    account: OsAccount
    user: str  # the archive user acting (UNREGISTERED when the account is nobody's)
    delegated_by: str | None = None  # the admin acting on the user's behalf


def identify(catalog: Catalog, account: OsAccount, as_user: str | None = None) -> Actor:
    """The archive user the OS account acts as; every event the catalog records from now on names both."""
    catalog.os_user, catalog.host = account.login, account.host
    with catalog.transaction() as session:
        registry = replay(catalog, session)
        name = registry.user_of(account.login) or UNREGISTERED
        if as_user is None or as_user == name:
            return Actor(account, name)
        reason = None
        if name == UNREGISTERED or registry.users[name].role != "admin":
            reason = "only an admin may act on another user's behalf (--as)"
        elif as_user not in registry.users:
            reason = f"--as {as_user!r}: no such user"
        else:
            reason = check_user(catalog, session, name)
        if reason is not None:
            catalog.record(session, name or f"({account.login})", "act as", as_user, "refused", {"reason": reason})
    if reason is not None:
        raise RefusedError(f"refused: {reason}")
    catalog.delegated_by = name
    return Actor(account, as_user, delegated_by=name)


def require(catalog: Catalog, user: str, action: str, obj: str = "") -> str:
    """The user's role when it allows `action` and matches its audited record; otherwise the refusal is
    recorded and raised."""
    allowed = PERMISSIONS[action]
    with catalog.transaction() as session:
        record = replay(catalog, session).users.get(user) if user != UNREGISTERED else None
        role = record.role if record is not None else None
        if role is None:
            reason = f"the OS account {catalog.os_user!r} is not an archive user"
        elif role not in allowed:
            reason = f"role {role!r} may not {action}"
        else:
            problem = check_user(catalog, session, user)
            if problem is None and catalog.delegated_by:
                problem = check_user(catalog, session, catalog.delegated_by)
            if problem is None:
                return role
            reason = problem
        catalog.record(session, user or f"({catalog.os_user})", action, obj or action, "refused", {"reason": reason})
    roles = ", ".join(sorted(allowed))
    hint = "" if role is None or role in allowed else f" (allowed: {roles})"
    if role is None:
        hint = "; an admin registers it with `archiver users add NAME --role ROLE --os-user LOGIN`"
    raise RefusedError(f"refused: {reason}{hint}")

"""Who may do what: the acting user's role is checked, and a refusal is recorded and exits 1."""

from __future__ import annotations

from archiver.catalog import Catalog
from archiver.catalog.models import User
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
    "dispose": {"archivist"},
    "status": set(ROLES),
    "find": set(ROLES),
    "get": {"auditor", "archivist", "admin", "director"},
    "export": {"auditor", "archivist"},
}


class RefusedError(ArchiverError):
    """The acting user may not do this (exit 1; recorded in the audit trail)."""

    code = "refused"


def require(catalog: Catalog, user: str, action: str, obj: str = "") -> str:
    """The user's role when it allows `action`; otherwise the refusal is recorded and raised."""
    allowed = PERMISSIONS[action]
    with catalog.transaction() as session:
        row = session.get(User, user)
        role = row.role if row is not None else None
        if role in allowed:
            return role
        reason = f"user {user!r} is not registered" if role is None else f"role {role!r} may not {action}"
        catalog.record(session, user, action, obj or action, "refused", {"reason": reason})
    roles = ", ".join(sorted(allowed))
    raise RefusedError(f"refused: {reason} (allowed: {roles}); add users with `archiver users add NAME --role ROLE`")

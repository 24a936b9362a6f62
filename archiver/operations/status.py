"""What the archive holds: cases by status, what awaits the director, what is due, how fresh the checks are."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from archiver.archive.cases import GONE, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.roles import require
from archiver.operations.deadlines import pending_deadlines


def status(archive: Archive, user: str, today: date) -> dict[str, Any]:
    require(archive.catalog, user, "status")
    with archive.catalog.transaction() as session:
        counts = dict(
            session.execute(
                select(Case.status, func.count()).where(Case.kind != CaseKind.AUDIT).group_by(Case.status)
            ).all()
        )
        audit = session.execute(select(func.count(), func.max(Case.id)).where(Case.kind == CaseKind.AUDIT)).one()
        awaiting = list(
            session.execute(
                select(Case.id).where(Case.status == CaseStatus.AWAITING_SIGNATURE).order_by(Case.id)
            ).scalars()
        )
        due = session.execute(
            select(func.count())
            .select_from(Case)
            .where(Case.status.not_in(GONE), Case.retain_until <= today, Case.legal_hold.is_(False))
        ).scalar_one()
        sheets = session.execute(
            select(func.coalesce(func.sum(Case.sheets), 0)).where(Case.status != CaseStatus.DISPOSED)
        ).scalar_one()
    return {
        "cases": {str(k): int(v) for k, v in counts.items()},
        "awaiting_signature": awaiting,
        "due_for_disposal": int(due),
        "sheets": int(sheets),
        "verification": verification_status(archive),
        "audit_checkpoints": {"cases": int(audit[0]), "latest": audit[1]},
        "timestamps": timestamp_status(archive),
        "deadlines": [d.as_dict() for d in pending_deadlines(archive, today)],
        "open_acts": open_acts(archive),
    }


def open_acts(archive: Archive) -> list[dict[str, Any]]:
    """Disposal acts awaiting the director's approval or their execution, from the sealed registers."""
    from archiver.operations.disposal import OPEN, read_register

    with archive.catalog.transaction() as session:
        schools = sorted(session.execute(select(Case.school_id).where(Case.kind == CaseKind.ACTS)).scalars())
    out: list[dict[str, Any]] = []
    for school in schools:
        try:
            register, _ = read_register(archive, school)
        except ArchiveError as exc:
            out.append({"school": school, "number": None, "status": "unreadable", "detail": exc.message})
            continue
        out += [
            {"school": school, "number": a.get("number"), "status": a.get("status"), "cases": len(a.get("cases", []))}
            for a in register["acts"]
            if a.get("status") in OPEN
        ]
    return out


def timestamp_status(archive: Archive) -> dict[str, Any]:
    """How many volumes' document timestamps are due for renewal (`renew --due`) and when the next one is;
    read from the volumes themselves (their intact copies)."""
    from archiver.operations.renewal import renewal_schedule

    rows = [r for r in renewal_schedule(archive) if r.timestamps]
    expiring = sorted(r.expires for r in rows if r.expires is not None)
    return {
        "volumes": len(rows),
        "due": sum(1 for r in rows if r.due),
        "renew_before_days": archive.renew_before_days,
        "earliest_expiry": expiring[0].isoformat(timespec="seconds") if expiring else None,
        "next_due": (expiring[0] - timedelta(days=archive.renew_before_days)).date().isoformat() if expiring else None,
    }


def verification_status(archive: Archive) -> dict[str, dict[str, Any]]:
    """Per repository: how many copies, the oldest and newest last check, how many are overdue."""
    from archiver.operations.integrity import carrier_warnings, last_verified

    last = last_verified(archive)
    cutoff = archive.clock() - timedelta(days=archive.full_cycle_days)
    out: dict[str, dict[str, Any]] = {}
    for repository in archive.repositories:
        times = [at for (_, name), at in last.items() if name == repository.name]
        known = [at if at.tzinfo else at.replace(tzinfo=cutoff.tzinfo) for at in times if at is not None]
        out[repository.name] = {
            "location": repository.location,
            "copies": len(times),
            "oldest_check": min(known).isoformat(timespec="seconds") if known else None,
            "newest_check": max(known).isoformat(timespec="seconds") if known else None,
            "overdue": sum(1 for at in times if at is None) + sum(1 for at in known if at < cutoff),
            "full_cycle_days": archive.full_cycle_days,
        }
    for warning in carrier_warnings(archive.repositories):
        for entry in out.values():
            entry.setdefault("warnings", []).append(warning)
    return out

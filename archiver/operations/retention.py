"""Retention: what is due, and legal holds (sealed as new versions). Disposal: archiver.operations.disposal."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.cases import (
    GONE,
    SOURCE,
    VOLUME,
    CaseKind,
    CaseStatus,
)
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive
from archiver.archive.roles import require
from archiver.archive.store import info_of, new_version, read_intact
from archiver.errors import BadInputError


@dataclass(frozen=True)
class RetentionRow:
    case_id: str
    title: str
    kind: str
    status: str
    retention_class: str
    retain_until: date | None
    legal_hold: bool
    due: bool


def retention_rows(archive: Archive, user: str, today: date, due_only: bool = False) -> list[RetentionRow]:
    require(archive.catalog, user, "status")
    with archive.catalog.transaction() as session:
        cases = (
            session.execute(
                select(Case).where(Case.status != CaseStatus.DISPOSED, Case.kind != CaseKind.AUDIT).order_by(Case.id)
            )
            .scalars()
            .all()
        )
        rows = [
            RetentionRow(
                c.id,
                c.title,
                c.kind,
                c.status,
                c.retention_class,
                c.retain_until,
                c.legal_hold,
                c.retain_until is not None and c.retain_until <= today and not c.legal_hold,
            )
            for c in cases
        ]
    return [r for r in rows if r.due] if due_only else rows


def set_hold(archive: Archive, case_id: str, hold: bool, user: str) -> int:
    """Put a case on legal hold or release it: a new version whose sealed metadata says so (the catalog
    follows), so the hold survives a lost catalog. Returns the new version's number."""
    require(archive.catalog, user, "retention", case_id)
    archive.check_repositories()
    action = "hold" if hold else "release"
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise BadInputError(f"no case {case_id!r} in the catalog")
            if case.status in GONE:
                raise BadInputError(
                    f"{case_id} is {case.status} under an approved disposal act (`archiver dispose list`)"
                )
            if case.kind == CaseKind.AUDIT:
                raise BadInputError(f"{case_id} is the audit trail's own record: it is kept permanently")
            status_before = case.status
        files = read_intact(archive, case_id)
        info = info_of(files)
        if info.legal_hold == hold:
            raise BadInputError(f"{case_id} is {'already' if hold else 'not'} on legal hold (as sealed)")

        def follow(session: Session) -> None:
            row = session.get(Case, case_id)
            assert row is not None
            row.legal_hold = hold

        message = "Наложен запрет на уничтожение (legal hold)" if hold else "Снят запрет на уничтожение"
        return new_version(archive, replace(info, legal_hold=hold), files[VOLUME], files[SOURCE], user, action,
                           message, status=CaseStatus(status_before), also=follow)  # fmt: skip

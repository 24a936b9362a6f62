"""Archival timestamp renewal: each signed volume gets a new document timestamp before its newest one can no
longer be validated (its TSA certificate expires) or its algorithms stop counting; each renewal is a new
version of the case in every repository, recorded in the catalog and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from archiver.archive.cases import GONE, SOURCE, VOLUME, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError, Progress
from archiver.archive.roles import require
from archiver.archive.store import info_of, new_version, read_intact
from archiver.errors import ArchiverError, BadInputError, ConfigError
from signing.errors import SigningError
from signing.renew import TimestampChain, renew_pdf, timestamp_chain


@dataclass(frozen=True)
class RenewalRow:
    """One signed volume's timestamp chain and whether it is due."""

    case_id: str
    title: str
    timestamps: int
    newest: datetime | None
    expires: datetime | None
    due: bool
    reason: str  # why it is due (or why it is not renewed)

    def as_json(self) -> dict[str, object]:
        return {
            "case": self.case_id,
            "title": self.title,
            "timestamps": self.timestamps,
            "newest": self.newest.isoformat(timespec="seconds") if self.newest else None,
            "expires": self.expires.isoformat(timespec="seconds") if self.expires else None,
            "due": self.due,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RenewalResult:
    case_id: str
    title: str
    outcome: str  # "renewed", "not due", "failed: …"
    version: int | None = None


def renewal_candidates(archive: Archive, case_id: str | None = None) -> list[tuple[str, str, str]]:
    """(id, title, status) of the cases still kept (not the audit checkpoints): those whose head holds a
    volume are looked at."""
    with archive.catalog.transaction() as session:
        query = select(Case.id, Case.title, Case.status).where(Case.kind != CaseKind.AUDIT).order_by(Case.id)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        rows = [(r[0], r[1], str(r[2])) for r in session.execute(query).all()]
    if case_id is not None and not rows:
        raise BadInputError(f"no case {case_id!r} in the catalog")
    return [row for row in rows if row[2] not in GONE]


def _row(case_id: str, title: str, chain: TimestampChain, before: datetime) -> RenewalRow:
    due = chain.due(before)
    if chain.count == 0:
        reason = "no document timestamp (not B-LTA)"
    elif chain.weak_algorithm is not None:
        reason = f"{chain.weak_algorithm} no longer counts"
    elif chain.expires is None:
        reason = "the newest timestamp's TSA certificate cannot be read"
    elif due:
        reason = f"the newest timestamp's TSA certificate expires {chain.expires:%Y-%m-%d}"
    else:
        reason = "not due"
    return RenewalRow(case_id, title, chain.count, chain.newest, chain.expires, due, reason)


def renewal_schedule(archive: Archive, case_id: str | None = None) -> list[RenewalRow]:
    """Every kept volume's timestamp chain as its intact copy shows it, due when the newest document
    timestamp expires within `renew_before_days` of now (or uses an algorithm that no longer counts)."""
    before = archive.clock() + timedelta(days=archive.renew_before_days)
    rows: list[RenewalRow] = []
    for ident, title, _ in renewal_candidates(archive, case_id):
        try:
            files = read_intact(archive, ident)
        except ArchiverError as exc:
            rows.append(RenewalRow(ident, title, 0, None, None, False, f"not readable: {exc}"))
            continue
        if VOLUME not in files:
            continue
        rows.append(_row(ident, title, timestamp_chain(files[VOLUME]), before))
    return rows


def renew(
    archive: Archive,
    user: str,
    *,
    due_only: bool = True,
    case_id: str | None = None,
    progress: Progress | None = None,
    planned: Callable[[int], None] | None = None,
) -> list[RenewalResult]:
    """A new document timestamp on every B-LTA volume that is due (or on every one, `due_only=False`), each
    as a new version of its case; a volume that cannot be renewed is reported and the others go on."""
    require(archive.catalog, user, "renew", case_id or ("due" if due_only else "all"))
    long_term = archive.signature_evidence()
    if long_term is None:
        raise ConfigError('[signing] level = "B-B": there are no document timestamps to renew')
    archive.check_repositories()
    before = archive.clock() + timedelta(days=archive.renew_before_days)
    results: list[RenewalResult] = []
    candidates = renewal_candidates(archive, case_id)
    if planned is not None:
        planned(len(candidates))
    for ident, title, status in candidates:
        with archive.case_lock(ident):
            try:
                files = read_intact(archive, ident)
            except ArchiveError as exc:
                results.append(RenewalResult(ident, title, f"failed: {exc}"))
                continue
            if VOLUME not in files:
                continue
            chain = timestamp_chain(files[VOLUME])
            if chain.count == 0 or (due_only and not chain.due(before)):
                results.append(RenewalResult(ident, title, _row(ident, title, chain, before).reason))
                if progress:
                    progress(1)
                continue
            try:
                renewed = renew_pdf(files[VOLUME], long_term)
            except SigningError as exc:
                results.append(RenewalResult(ident, title, f"failed: {exc}"))
                continue
            after = timestamp_chain(renewed)
            if chain.weak_algorithm is None and chain.expires and after.expires and after.expires <= chain.expires:
                # The TSA's certificate expires no later than the one it would replace (the test PKI's TSA
                # expires with everything else): a new version every night would prove nothing more.
                results.append(RenewalResult(ident, title, f"failed: the time-stamping service's certificate "
                                             f"expires {after.expires:%Y-%m-%d}, no later than the newest "
                                             "timestamp's: renewal needs a TSA with a newer certificate"))  # fmt: skip
                continue
            version = new_version(archive, info_of(files), renewed, files[SOURCE], user, "renew",
                                  "Новый штамп времени", status=CaseStatus(status))  # fmt: skip
            results.append(RenewalResult(ident, title, "renewed", version))
        if progress:
            progress(1)
    return results

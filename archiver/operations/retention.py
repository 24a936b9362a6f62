"""Retention: what is due, legal holds (sealed as new versions), and disposal with a sealed act."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.cases import (
    GONE,
    KINDS,
    SOURCE,
    VOLUME,
    CaseInfo,
    CaseKind,
    CaseStatus,
    acts_case_id,
    retention_for,
)
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.roles import RefusedError, require
from archiver.archive.store import info_of, new_version, read_intact, remove_case, sealed_act_names
from archiver.documents.dates import academic_year, long_date, retention_phrase, short_date
from archiver.errors import BadInputError
from archiver.operations.users import person
from archiver.rendering.standalone import standalone_pdf


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
            if case is None or case.status in GONE:
                raise BadInputError(f"no case {case_id!r} in the catalog")
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


def dispose(archive: Archive, case_id: str, user: str, today: date) -> str:
    """Remove a case whose retention has ended from every repository, with a sealed disposal act.

    Retention and hold are decided by the sealed metadata of an intact copy, never by the catalog alone: a
    catalog that disagrees with it is refused before anything is touched. Two steps that a re-run
    completes: the act is stored and the case marked "disposing" in one catalog transaction; then the case
    is removed from every repository and marked "disposed".
    """
    require(archive.catalog, user, "dispose", case_id)
    archive.check_repositories()
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise BadInputError(f"no case {case_id!r} in the catalog")
            if case.status == CaseStatus.DISPOSED:  # a re-run of a disposal that completed: nothing left to do
                return acts_case_id(case.school_id)
            disposing = case.status == CaseStatus.DISPOSING
            catalog_says = (case.retention_class, case.retain_until, bool(case.legal_hold), case.kind)
            school_id, year = case.school_id, case.academic_year
        reason = None
        record: dict[str, Any] = {}
        try:
            sealed: CaseInfo | None = info_of(read_intact(archive, case_id))
        except ArchiveError as exc:
            sealed = None
            missing = exc.message
        if disposing:  # completed only when a sealed act names the case (not because the catalog says so)
            if not sealed_act_names(archive, school_id, case_id):
                reason = "the catalog says its disposal was interrupted, but no sealed act names it (`archiver verify`)"
            elif sealed is not None:  # what is left of it is still judged by its sealed metadata
                reason = _retention_refusal(sealed, catalog_says, today)
        elif sealed is None:
            reason = f"no intact copy to check its sealed retention against ({missing})"
        else:
            reason = _retention_refusal(sealed, catalog_says, today)
            record = _case_record(sealed)
        if reason is not None:
            with archive.catalog.transaction() as session:
                archive.catalog.record(session, user, "dispose", case_id, "refused", {"reason": reason})
            raise RefusedError(f"refused to dispose of {case_id}: {reason}")
        act_case = acts_case_id(school_id)
        if not disposing:
            _store_act(archive, school_id, year, record, user, today)
        remove_case(archive, case_id)
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            assert case is not None
            case.status = CaseStatus.DISPOSED
            archive.catalog.record(session, user, "dispose", case_id, "success", {"act": act_case})
    return act_case


def _retention_refusal(sealed: CaseInfo, catalog_says: tuple[Any, ...], today: date) -> str | None:
    """Why the case may not be destroyed today by its sealed metadata (and a catalog that agrees), or None."""
    sealed_says = (sealed.retention.retention_class, sealed.retention.retain_until, sealed.legal_hold, sealed.kind)
    if sealed_says != catalog_says:
        names = ("retention class", "retain until", "legal hold", "kind")
        diff = "; ".join(f"{n}: catalog {c!s}, sealed {v!s}" for n, c, v in zip(names, catalog_says, sealed_says,
                                                                                 strict=True) if c != v)  # fmt: skip
        return f"the catalog disagrees with the sealed metadata ({diff}); run `archiver verify`"
    if sealed.kind not in set(CaseKind) or not KINDS[CaseKind(sealed.kind)].disposable:
        return f"a case of kind {sealed.kind!r} is kept permanently"
    if sealed.legal_hold:
        return "the case is under legal hold"
    if sealed.retention.retain_until is None:
        return f"its retention ({sealed.retention.retention_class}) has not ended"
    if sealed.retention.retain_until > today:
        until = sealed.retention.retain_until.isoformat()
        return f"its retention ends on {until}; it may be destroyed from then"
    return None


def _case_record(case: CaseInfo) -> dict[str, Any]:
    """What the act says of the case it disposes of: from its sealed metadata."""
    return {
        "case": case.case_id,
        "school": case.school_name,
        "title": case.title,
        "kind": case.kind,
        "academic_year": case.academic_year,
        "sheets": case.sheets,
        "retention_class": case.retention.retention_class,
        "closed_on": case.retention.closed_on.isoformat(),
        "retain_until": case.retention.retain_until.isoformat() if case.retention.retain_until else None,
        # Who signed it, and the PAdES level each signature was sealed with (older cases record none).
        "signatures": [{"role": s.get("role"), "level": s.get("level")} for s in case.signatures],
    }


def _store_act(archive: Archive, school_id: str, year: str, record: dict[str, Any], user: str, today: date) -> str:
    """The act goes into the school's own «acts» case (kept permanently), one version per act; the case it
    disposes of is marked "disposing" in the same catalog transaction."""
    act_case = acts_case_id(school_id)
    with archive.catalog.transaction() as session:
        acts = session.get(Case, act_case)
        number = (acts.head_version if acts is not None else 0) + 1  # the version this act becomes: never reused
    sealed = standalone_pdf(
        "act.html",
        archive.pdfa,
        identifier=f"{act_case}/{record['case']}",
        title="Акт о выделении к уничтожению",
        author=school_id,
        created=archive.clock(),
        running_head=f"Акт о выделении к уничтожению · {record['case']}",
        document_title=f"Акт о выделении к уничтожению: {record['title']}",
        seal=(archive.eseal, "Акт о выделении к уничтожению"),
        long_term=archive.signature_evidence(),
        record=record,
        number=number,
        date_line=short_date(today),
        closed_on=short_date(date.fromisoformat(record["closed_on"])),
        retain_until=long_date(date.fromisoformat(record["retain_until"])) if record["retain_until"] else "—",
        retention=retention_phrase(record["retention_class"]),
        year=academic_year(record["academic_year"]) if record["academic_year"] else "",
        user=person(archive, user),
    )
    source = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    title = "Акты о выделении к уничтожению документов, не подлежащих хранению"
    info = CaseInfo(act_case, CaseKind.ACTS, school_id, "", year, None, None, None, title, 1,
                    retention_for(CaseKind.ACTS, today))  # fmt: skip

    def disposing(session: Session) -> None:
        case = session.get(Case, record["case"])
        assert case is not None
        case.status = CaseStatus.DISPOSING

    with archive.case_lock(act_case):
        new_version(archive, info, sealed, source, user, "act", f"Акт о выделении к уничтожению: {record['case']}",
                    status=CaseStatus.ARCHIVED, also=disposing)  # fmt: skip
    return act_case

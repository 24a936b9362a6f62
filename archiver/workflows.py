"""The jobs the users do: archive a quarter or a year, sign what awaits the director, retention, disposal."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archiver.catalog.models import Case
from archiver.documents.volumes import class_period_volume, class_year_volume, summary_volume
from archiver.errors import BadInputError
from archiver.model import JournalExport, Period
from archiver.package import SOURCE, VOLUME, CaseInfo, acts_case_id, retention_for
from archiver.pdfa import DocumentInfo, join
from archiver.pipeline import (
    Archive,
    ArchiveError,
    CaseResult,
    Progress,
    archive_volumes,
    info_of,
    new_version,
    read_intact,
    remove_case,
)
from archiver.render import html_to_pdf, render_html
from archiver.roles import RefusedError
from archiver.signature_mark import mark_pdf, signature_box_points
from signing import KeySigner, SignatureRequest, sign_pdf
from signing.errors import SigningError


def archive_year(
    archive: Archive, export: JournalExport, user: str, progress: Progress | None = None
) -> list[CaseResult]:
    """Every class's journal volume and the school's summary volume: sealed, awaiting the director."""
    volumes = [(class_year_volume(export, klass), export.school.name, None) for klass in export.classes]
    volumes.append((summary_volume(export), export.school.name, None))
    return archive_volumes(archive, volumes, user, awaiting_signature=True, progress=progress)


def archive_period(
    archive: Archive,
    export: JournalExport,
    period: Period,
    class_names: tuple[str, ...],
    user: str,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Each class's archive copy at the end of a period; it supersedes the class's earlier copies."""
    classes = export.classes
    if class_names:
        chosen = []
        for name in class_names:
            klass = export.school_class(name)
            if klass is None:
                known = ", ".join(k.name for k in export.classes)
                raise BadInputError(f"no class {name!r} in the export (classes: {known})")
            chosen.append(klass)
        classes = tuple(chosen)
    volumes = [(class_period_volume(export, klass, period), export.school.name, period.id) for klass in classes]
    results = archive_volumes(archive, volumes, user, awaiting_signature=False, progress=progress)
    for result in results:
        _supersede_earlier(archive, result.case_id, user)
    return results


def _supersede_earlier(archive: Archive, case_id: str, user: str) -> None:
    with archive.catalog.transaction() as session:
        newer = session.get(Case, case_id)
        assert newer is not None
        earlier = (
            session.execute(
                select(Case).where(
                    Case.kind == "class_period",
                    Case.class_id == newer.class_id,
                    Case.school_id == newer.school_id,
                    Case.academic_year == newer.academic_year,
                    Case.status == "archived",
                    Case.closed_on < newer.closed_on,
                )
            )
            .scalars()
            .all()
        )
        ids = [(case.id, newer.closed_on) for case in earlier]
    for old_id, superseded_on in ids:
        with archive.case_lock(old_id):
            files = read_intact(archive, old_id)
            old = info_of(files)
            info = replace(old, superseded_by=case_id, retention=replace(old.retention, retain_until=superseded_on))

            def superseded(session: Session, old_id: str = old_id, superseded_on: date = superseded_on) -> None:
                case = session.get(Case, old_id)
                assert case is not None
                case.status = "superseded"
                case.superseded_by = case_id
                case.retain_until = superseded_on

            new_version(
                archive,
                info,
                files[VOLUME],
                files[SOURCE],
                user,
                "supersede",
                f"Заменено архивной копией {case_id}",
                awaiting_signature=False,
                also=superseded,
            )


def sign_pending(
    archive: Archive, director: KeySigner, user: str, case_id: str | None = None, progress: Progress | None = None
) -> list[CaseResult]:
    """The director signs every volume awaiting signature (or one), each as a new version of its case."""
    archive.check_repositories()
    with archive.catalog.transaction() as session:
        query = select(Case.id).where(Case.status == "awaiting_signature").order_by(Case.id)
        if case_id is not None:
            query = select(Case.id).where(Case.id == case_id)
        ids = list(session.execute(query).scalars())
    if case_id is not None and not ids:
        raise BadInputError(f"no case {case_id!r} in the catalog")
    results: list[CaseResult] = []
    validity = director.certificate["tbs_certificate"]["validity"]
    for ident in ids:
        with archive.case_lock(ident):
            with archive.catalog.transaction() as session:
                case = session.get(Case, ident)
                assert case is not None
                if case.status != "awaiting_signature":
                    results.append(
                        CaseResult(ident, case.title, f"not awaiting signature ({case.status})", case.sheets)
                    )
                    continue
            files = read_intact(archive, ident)
            now = archive.clock()
            mark = mark_pdf(
                director.serial_hex,
                director.common_name,
                validity["not_before"].native,
                validity["not_after"].native,
                now,
                archive.pdfa,
            )
            request = SignatureRequest(
                "director",
                reason="Утверждаю",
                box=signature_box_points(),
                appearance_pdf=mark,
                timestamp_url=archive.tsa_url,
                long_term=bool(archive.tsa_url),
                trust_roots=tuple(archive.trust_roots),
            )
            try:
                signed = sign_pdf(files[VOLUME], director, request)
            except SigningError as exc:
                raise ArchiveError(f"{ident}: cannot be signed: {exc}") from None
            info = info_of(files)
            entry = {
                "field": "director",
                "role": "director",
                "signer": director.common_name,
                "certificate_serial": director.serial_hex,
                "signed_at": now.isoformat(timespec="seconds"),
            }
            info = replace(info, signatures=(*info.signatures, entry))
            new_version(
                archive, info, signed, files[SOURCE], user, "sign", "Подписано директором", awaiting_signature=False
            )
            results.append(CaseResult(ident, info.title, "signed", info.sheets))
        if progress:
            progress(1)
    return results


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


def retention_rows(archive: Archive, today: date, due_only: bool = False) -> list[RetentionRow]:
    with archive.catalog.transaction() as session:
        cases = session.execute(select(Case).where(Case.status != "disposed").order_by(Case.id)).scalars().all()
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


def set_hold(archive: Archive, case_id: str, hold: bool, user: str) -> None:
    with archive.catalog.transaction() as session:
        case = session.get(Case, case_id)
        if case is None or case.status == "disposed":
            raise BadInputError(f"no case {case_id!r} in the catalog")
        case.legal_hold = hold
        archive.catalog.record(session, user, "hold" if hold else "release", case_id, "success")


def dispose(archive: Archive, case_id: str, user: str, today: date) -> str:
    """Remove a case whose retention has ended from every repository, with a sealed disposal act.

    Two steps that a re-run completes: the act is stored and the case marked "disposing" in one catalog
    transaction; then the case is removed from every repository and marked "disposed".
    """
    archive.check_repositories()
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            if case is None or case.status == "disposed":
                raise BadInputError(f"no case {case_id!r} in the catalog")
            reason = None
            if case.status == "disposing":
                pass  # the act exists: an interrupted disposal is completed
            elif case.legal_hold:
                reason = "the case is under legal hold"
            elif case.retain_until is None:
                reason = f"its retention ({case.retention_class}) has not ended"
            elif case.retain_until > today:
                reason = f"its retention ends on {case.retain_until.isoformat()}; it may be destroyed from then"
            if reason is not None:
                archive.catalog.record(session, user, "dispose", case_id, "refused", {"reason": reason})
            disposing = case.status == "disposing"
            record = _case_record(case)
            school_id, year = case.school_id, case.academic_year
        if reason is not None:
            raise RefusedError(f"refused to dispose of {case_id}: {reason}")
        act_case = acts_case_id(school_id)
        if not disposing:
            _store_act(archive, school_id, year, record, user, today)
        remove_case(archive, case_id)
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            assert case is not None
            case.status = "disposed"
            archive.catalog.record(session, user, "dispose", case_id, "success", {"act": act_case})
    return act_case


def _case_record(case: Case) -> dict[str, Any]:
    return {
        "case": case.id,
        "title": case.title,
        "kind": case.kind,
        "academic_year": case.academic_year,
        "sheets": case.sheets,
        "retention_class": case.retention_class,
        "closed_on": case.closed_on.isoformat(),
        "retain_until": case.retain_until.isoformat() if case.retain_until else None,
    }


def _store_act(archive: Archive, school_id: str, year: str, record: dict[str, Any], user: str, today: date) -> str:
    """The act goes into the school's own «acts» case (kept permanently), one version per act; the case it
    disposes of is marked "disposing" in the same catalog transaction."""
    act_case = acts_case_id(school_id)
    html = render_html(
        "act.html",
        record=record,
        date_line=f"{today:%d.%m.%Y}",
        user=user,
        first_sheet=1,
        running_head=f"Акт о выделении к уничтожению · {record['case']}",
        document_title=f"Акт о выделении к уничтожению: {record['title']}",
    )
    info_pdf = DocumentInfo(f"{act_case}/{record['case']}", "Акт о выделении к уничтожению", school_id,
                            archive.clock(), "journal-archiver")  # fmt: skip
    pdf = join([html_to_pdf(html, archive.pdfa)], info_pdf, archive.pdfa)
    sealed = sign_pdf(pdf, archive.eseal, SignatureRequest("eseal", reason="Акт о выделении к уничтожению"))
    source = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    title = "Акты о выделении к уничтожению документов, не подлежащих хранению"
    info = CaseInfo(act_case, "acts", school_id, "", year, None, None, None, title, 1, retention_for("acts", today))

    def disposing(session: Session) -> None:
        case = session.get(Case, record["case"])
        assert case is not None
        case.status = "disposing"

    with archive.case_lock(act_case):
        new_version(archive, info, sealed, source, user, "act", f"Акт о выделении к уничтожению: {record['case']}",
                    awaiting_signature=False, also=disposing)  # fmt: skip
    return act_case


def status(archive: Archive, today: date) -> dict[str, Any]:
    with archive.catalog.transaction() as session:
        counts = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        awaiting = list(
            session.execute(select(Case.id).where(Case.status == "awaiting_signature").order_by(Case.id)).scalars()
        )
        due = session.execute(
            select(func.count())
            .select_from(Case)
            .where(Case.status != "disposed", Case.retain_until <= today, Case.legal_hold.is_(False))
        ).scalar_one()
        sheets = session.execute(
            select(func.coalesce(func.sum(Case.sheets), 0)).where(Case.status != "disposed")
        ).scalar_one()
    return {
        "cases": {str(k): int(v) for k, v in counts.items()},
        "awaiting_signature": awaiting,
        "due_for_disposal": int(due),
        "sheets": int(sheets),
        "verification": verification_status(archive),
    }


def verification_status(archive: Archive) -> dict[str, dict[str, Any]]:
    """Per repository: how many copies, the oldest and newest last check, how many are overdue."""
    from archiver.verify import carrier_warnings, last_verified

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

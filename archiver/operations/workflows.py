"""The jobs the users do: archive a quarter or a year, sign what awaits the director, retention, disposal."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archiver.archive.cases import SOURCE, VOLUME, CaseInfo, acts_case_id, retention_for
from archiver.archive.catalog.models import Case
from archiver.archive.registry import replay
from archiver.archive.roles import RefusedError
from archiver.archive.store import (
    Archive,
    ArchiveError,
    CaseResult,
    Progress,
    archive_volumes,
    info_of,
    new_version,
    read_intact,
    remove_case,
    sealed_act_names,
)
from archiver.documents.volumes import class_period_volume, class_year_volume, summary_volume
from archiver.errors import BadInputError
from archiver.ingest.model import JournalExport, Period
from archiver.rendering.marks import mark_pdf, signature_box_points
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import DocumentInfo, join
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
    refuse_foreign_key(archive, director, user)
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


def refuse_foreign_key(archive: Archive, key: KeySigner, user: str) -> None:
    """A director signs only with a certificate registered to them (`users add … --certificate`), valid now,
    and never with the e-seal's key; a refusal is recorded and nothing is signed."""
    now = archive.clock()
    validity = key.certificate["tbs_certificate"]["validity"]
    with archive.catalog.transaction() as session:
        known = replay(archive.catalog, session).certificates.get(key.certificate_sha256)
        reason = None
        if known is not None and known.purpose == "eseal":
            reason = "the key is the school's e-seal, not a director's signature"
        elif known is None or known.user != user:
            whose = f"registered to {known.user!r}" if known is not None else "not registered"
            reason = (
                f"the key's certificate ({key.common_name}, SHA-256 {key.certificate_sha256[:16]}…) is {whose}; "
                f"an admin registers it: `archiver users add {user} --role director --certificate CERT.pem`"
            )
        elif not validity["not_before"].native <= now <= validity["not_after"].native:
            reason = f"the key's certificate is not valid now (valid {validity['not_before'].native:%d.%m.%Y} – " \
                     f"{validity['not_after'].native:%d.%m.%Y})"  # fmt: skip
        if reason is not None:
            archive.catalog.record(session, user, "sign", key.common_name, "refused", {"reason": reason})
    if reason is not None:
        raise RefusedError(f"refused: {reason}")


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
        cases = (
            session.execute(select(Case).where(Case.status != "disposed", Case.kind != "audit").order_by(Case.id))
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
    archive.check_repositories()
    action = "hold" if hold else "release"
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            if case is None or case.status in ("disposed", "disposing"):
                raise BadInputError(f"no case {case_id!r} in the catalog")
            if case.kind == "audit":
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
            row.status = status_before

        message = "Наложен запрет на уничтожение (legal hold)" if hold else "Снят запрет на уничтожение"
        return new_version(archive, replace(info, legal_hold=hold), files[VOLUME], files[SOURCE], user, action,
                           message, awaiting_signature=status_before == "awaiting_signature", also=follow)  # fmt: skip


def dispose(archive: Archive, case_id: str, user: str, today: date) -> str:
    """Remove a case whose retention has ended from every repository, with a sealed disposal act.

    Retention and hold are decided by the sealed metadata of an intact copy, never by the catalog alone: a
    catalog that disagrees with it is refused before anything is touched. Two steps that a re-run
    completes: the act is stored and the case marked "disposing" in one catalog transaction; then the case
    is removed from every repository and marked "disposed".
    """
    archive.check_repositories()
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise BadInputError(f"no case {case_id!r} in the catalog")
            if case.status == "disposed":  # a re-run of a disposal that completed: nothing left to do
                return acts_case_id(case.school_id)
            disposing = case.status == "disposing"
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
            case.status = "disposed"
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
    if sealed.kind in ("acts", "audit"):
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
        "title": case.title,
        "kind": case.kind,
        "academic_year": case.academic_year,
        "sheets": case.sheets,
        "retention_class": case.retention.retention_class,
        "closed_on": case.retention.closed_on.isoformat(),
        "retain_until": case.retention.retain_until.isoformat() if case.retention.retain_until else None,
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
        counts = dict(
            session.execute(select(Case.status, func.count()).where(Case.kind != "audit").group_by(Case.status)).all()
        )
        audit = session.execute(select(func.count(), func.max(Case.id)).where(Case.kind == "audit")).one()
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
        "audit_checkpoints": {"cases": int(audit[0]), "latest": audit[1]},
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

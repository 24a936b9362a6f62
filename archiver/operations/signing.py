"""The director's signature on the volumes that await it, each signed volume a new version of its case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy import select

from archiver.archive.cases import SOURCE, VOLUME, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive, ArchiveError, Progress
from archiver.archive.registry import replay
from archiver.archive.roles import RefusedError, require
from archiver.archive.store import info_of, new_version, read_intact, signature_entry
from archiver.errors import BadInputError
from archiver.operations.archiving import CaseResult
from archiver.operations.deadlines import missed_deadline
from archiver.operations.supersession import supersede_by_year
from archiver.rendering.marks import mark_pdf, signature_box_points
from signing import KeySigner, SignatureRequest, sign_pdf
from signing.errors import SigningError


def sign_pending(
    archive: Archive,
    key: KeySigner | Callable[[], KeySigner],
    user: str,
    case_id: str | None = None,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """The director signs every volume awaiting signature (or one), each as a new version of its case.
    `key` may be a function that unlocks it: called once the user's role is checked."""
    require(archive.catalog, user, "sign", case_id or "pending")
    director = key if isinstance(key, KeySigner) else key()
    archive.check_repositories()
    refuse_foreign_key(archive, director, user)
    with archive.catalog.transaction() as session:
        query = select(Case.id).where(Case.status == CaseStatus.AWAITING_SIGNATURE).order_by(Case.id)
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
                if case.status != CaseStatus.AWAITING_SIGNATURE:
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
                archive.timezone,
            )
            request = SignatureRequest(
                "director",
                reason="Утверждаю",
                box=signature_box_points(),
                appearance_pdf=mark,
                long_term=archive.signature_evidence(),
            )
            try:
                signed = sign_pdf(files[VOLUME], director, request)
            except SigningError as exc:
                raise ArchiveError(f"{ident}: cannot be signed: {exc}") from None
            info = info_of(files)
            entry = signature_entry("director", "director", director, now, signed, archive.allow_no_revocation)
            missed = missed_deadline(info.academic_year, archive.local_date(now), archive.year_end_deadline)
            if missed is not None:  # flagged, not refused: late is better than never
                entry["deadline_missed"] = missed.isoformat()
            info = replace(info, signatures=(*info.signatures, entry))
            new_version(archive, info, signed, files[SOURCE], user, "sign", "Подписано директором",
                        status=CaseStatus.ARCHIVED)  # fmt: skip
            outcome = "signed" if missed is None else f"signed after the deadline of {missed:%d.%m.%Y}"
            results.append(CaseResult(ident, info.title, outcome, info.sheets))
        if info.kind == CaseKind.CLASS_YEAR:  # its quarter copies are superseded by it now
            supersede_by_year(archive, user, ident, info.school_id, info.class_id, info.academic_year)
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

"""Disposal in two steps, as Russian records management has it: the archivist proposes an act («акт о
выделении к уничтожению документов, не подлежащих хранению») listing every case whose retention has ended
and that is not on legal hold; the director approves it with their signature; the archivist executes the
approved act, which removes exactly the cases on it (those put on hold since, or whose sealed retention no
longer allows it, are kept and the register says why) from every repository. Nothing is removed otherwise.

The acts live in the school's acts case (kept permanently): each step is a new version whose volume.pdf is
the act as it stands (the draft sealed by the e-seal; then the same file signed by the director) and whose
source.json is the register of the school's acts and their states. The register of the case's head counts,
read from a copy that matches its sealed manifest: a lost or edited catalog loses or changes no act.

Execution is two catalog steps that a re-run completes, as every write of the archive: the register says
«executing» with the cases to remove, and those cases are marked "disposing", in one step; the cases are
removed and marked "disposed"; then the register says «executed».
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError
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
from archiver.archive.registry import replay
from archiver.archive.roles import RefusedError, require
from archiver.archive.storage import StorageError
from archiver.archive.store import (
    catalog_head,
    info_of,
    new_version_of,
    read_intact,
    refuse_rollback_of_audited,
    remove_case,
    signature_entry,
)
from archiver.documents.dates import academic_year, short_date
from archiver.documents.numerals import plural
from archiver.documents.title import PAGE_MARGIN_LEFT_MM, PAGE_MARGIN_TOP_MM
from archiver.errors import BadInputError
from archiver.operations.users import person
from archiver.rendering.marks import ACT_BOX_MM, act_box_points, mark_pdf
from archiver.rendering.pdfa import page_count
from archiver.rendering.standalone import standalone_pdf
from signing import KeySigner, SignatureRequest, sign_pdf, validate_pdf
from signing.errors import SigningError

ACTS_TITLE = "Акты о выделении к уничтожению документов, не подлежащих хранению"
OPEN = ("proposed", "approved", "executing")  # an act whose cases are not yet gone
LATER_ALLOWED = (None, "NONE", "LTA_UPDATES", "FORM_FILLING")  # pyHanko's modification levels after signing


@dataclass(frozen=True)
class ActOutcome:
    school_id: str
    number: int
    status: str
    cases: tuple[str, ...]  # on the act
    removed: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()  # (case, why it was not removed)
    version: int | None = None  # of the acts case that holds this step


# -- the register ---------------------------------------------------------------------------------------------


def read_register(archive: Archive, school_id: str) -> tuple[dict[str, Any], Mapping[str, bytes] | None]:
    """The school's register of acts from the intact head of its acts case (empty when it has none). Acts
    made one case at a time by earlier versions are counted, so numbers are never reused."""
    case_id = acts_case_id(school_id)
    if catalog_head(archive, case_id) is None:
        return {"acts": [], "earlier_acts": 0}, None
    files = read_intact(archive, case_id)
    try:
        body = json.loads(files[SOURCE])
    except (KeyError, ValueError, RecursionError):
        raise ArchiveError(f"{case_id}: its sealed register of acts cannot be read") from None
    if isinstance(body, dict) and isinstance(body.get("acts"), list):
        return body, files
    head = catalog_head(archive, case_id) or 0  # an act of an earlier version: one case per version
    return {"acts": [], "earlier_acts": head}, files


def _act(register: Mapping[str, Any], number: int, case_id: str) -> dict[str, Any]:
    for act in register["acts"]:
        if isinstance(act, dict) and act.get("number") == number:
            return act
    raise BadInputError(f"no act № {number} in {case_id}")


ACT_REFERENCE = re.compile(r"(?:([A-Za-z0-9._-]{1,64})/)?([1-9][0-9]{0,8})", re.ASCII)


def resolve_act(archive: Archive, reference: str, what: str = "act") -> tuple[str, int]:
    """«3» (the only school's act № 3) or «SCHOOL/3»: the school and the number (an act's, or a transfer's)."""
    match = ACT_REFERENCE.fullmatch(reference)
    if match is None:
        raise BadInputError(
            f"{what} {reference[:80]!r}: give its number (3) or the school's id and number (school-2/3)"
        )
    school, number = match.group(1), int(match.group(2))
    with archive.catalog.transaction() as session:
        schools = sorted(set(session.execute(select(Case.school_id).where(Case.kind == CaseKind.ACTS)).scalars()))
    if school is None:
        if len(schools) > 1:
            raise BadInputError(f"{what} {reference!r}: several schools have acts ({', '.join(schools)}); "
                                "give SCHOOL/NUMBER")  # fmt: skip
        if not schools:
            raise BadInputError(f"no {what} has been made yet")
        school = schools[0]
    elif school not in schools:
        raise BadInputError(f"{what} {reference!r}: the school {school!r} has no acts")
    return school, number


def acts(archive: Archive, user: str) -> list[dict[str, Any]]:
    """Every school's acts as their registers say (newest last)."""
    require(archive.catalog, user, "status")
    with archive.catalog.transaction() as session:
        schools = sorted(session.execute(select(Case.school_id).where(Case.kind == CaseKind.ACTS)).scalars())
    out = []
    for school in schools:
        register, _ = read_register(archive, school)
        out += [{"school": school, **act} for act in register["acts"]]
    return out


# -- propose --------------------------------------------------------------------------------------------------


def propose(archive: Archive, user: str, today: date, case_ids: Sequence[str] = ()) -> list[ActOutcome]:
    """A draft act per school listing every case due for disposal (or the named ones, each of which must be
    due), sealed by the e-seal and stored in the school's acts case. Cases already on an open act are left
    out. Returns the acts made (none when nothing is due)."""
    require(archive.catalog, user, "dispose", "propose")
    archive.check_repositories()
    from archiver.operations.supersession import supersede_signed_years

    supersede_signed_years(archive, user, today)  # quarter copies whose year-end volume was signed since
    with archive.catalog.transaction() as session:
        query = select(Case).where(Case.kind != CaseKind.AUDIT).order_by(Case.id)
        query = query.where(Case.id.in_(case_ids)) if case_ids else query.where(Case.status.not_in(GONE))
        found = list(session.execute(query).scalars())
        rows = {c.id: (c.school_id, _catalog_says(c)) for c in found if c.status not in GONE}
        gone = {c.id: c.status for c in found if c.status in GONE}
    unknown = [c for c in case_ids if c not in rows and c not in gone]
    if unknown:
        raise BadInputError(f"no case {unknown[0]!r} in the catalog")
    if gone:
        ident, status = sorted(gone.items())[0]
        raise _refused(archive, user, "dispose propose", ident, f"{ident} is {status} (`archiver dispose list`)")
    by_school: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    for ident, (school, says) in rows.items():
        by_school.setdefault(school, []).append((ident, says))
    made = []
    for school, candidates in sorted(by_school.items()):
        acts_case = acts_case_id(school)
        with archive.case_lock(acts_case):
            register, _ = read_register(archive, school)
            on_open_act = {c["case"] for a in register["acts"] if a.get("status") in OPEN for c in a.get("cases", [])}
            records, refused = [], []
            for ident, says in candidates:
                if ident in on_open_act:
                    refused.append((ident, "already on an open act"))
                    continue
                if not case_ids and not _due_by_catalog(says, today):
                    continue
                sealed, reason = _judged(archive, ident, says, today)
                if sealed is not None and reason is None:
                    records.append(case_record(sealed))
                else:
                    refused.append((ident, reason or "unreadable"))
            if case_ids and refused:
                ident, reason = refused[0]
                with archive.catalog.transaction() as session:
                    archive.catalog.record(session, user, "dispose propose", ident, "refused", {"reason": reason})
                raise RefusedError(f"refused to propose {ident} for disposal: {reason}")
            if not records:
                continue
            made.append(_store_proposal(archive, school, register, records, user, today))
    return made


def _catalog_says(case: Case) -> tuple[Any, ...]:
    return (case.retention_class, case.retain_until, bool(case.legal_hold), case.kind)


def _due_by_catalog(says: tuple[Any, ...], today: date) -> bool:
    _, until, hold, kind = says
    disposable = kind in set(CaseKind) and KINDS[CaseKind(kind)].disposable
    return disposable and until is not None and until <= today and not hold


def _store_proposal(
    archive: Archive, school: str, register: dict[str, Any], records: list[dict[str, Any]], user: str, today: date
) -> ActOutcome:
    numbers = [int(a["number"]) for a in register["acts"] if isinstance(a.get("number"), int)]
    number = max([*numbers, int(register.get("earlier_acts", 0))]) + 1
    school_name = next((r["school"] for r in records if r.get("school")), school)
    pdf = render_act(archive, school, school_name, number, records, user, today)
    version = (catalog_head(archive, acts_case_id(school)) or 0) + 1
    act = {
        "number": number,
        "status": "proposed",
        "date": today.isoformat(),
        "cases": records,
        "proposed": {"by": user, "name": person(archive, user), "on": today.isoformat(), "version": version},
    }
    updated = {**register, "school": {"id": school, "name": school_name}, "acts": [*register["acts"], act]}
    message = f"Акт № {number} о выделении к уничтожению: проект ({len(records)} дел)"
    seal = signature_entry("eseal", "eseal", archive.eseal, archive.clock(), pdf, archive.allow_no_revocation)
    stored = store_act(archive, school, pdf, updated, user, "act", message, today, signatures=(seal,))
    return ActOutcome(school, number, "proposed", tuple(r["case"] for r in records), version=stored)


def render_act(
    archive: Archive,
    school: str,
    school_name: str,
    number: int,
    records: list[dict[str, Any]],
    user: str,
    today: date,
) -> bytes:
    """The act as a sealed PDF/A: the school, the approval block with the director's signature place, the
    cases with their titles, years, retention and sheets, the totals, who drew it up."""
    rows = printed_rows(archive, records)
    return standalone_pdf(
        "act.html",
        archive.pdfa,
        identifier=f"{acts_case_id(school)}/{number}",
        title=f"Акт № {number} о выделении к уничтожению документов, не подлежащих хранению",
        author=school_name,
        created=archive.clock(),
        running_head=f"{school_name} · Акт № {number} от {short_date(today)} о выделении к уничтожению",
        document_title=f"Акт № {number} о выделении к уничтожению документов",
        seal=(archive.eseal, f"Акт № {number} о выделении к уничтожению: составлен"),
        long_term=archive.signature_evidence(),
        school_name=school_name,
        number=number,
        date_line=short_date(today),
        rows=rows,
        totals=_totals(rows),
        digest=cases_digest([r["case"] for r in records]),
        director=_director_name(archive),
        user=person(archive, user),
        box=act_box(),
    )


def cases_digest(case_ids: Sequence[str]) -> str:
    """SHA-256 of the act's list of cases (in order), printed on the act: the director's signature covers
    it, so the sealed register's list can be checked against what the director approved."""
    return hashlib.sha256(json.dumps(list(case_ids), ensure_ascii=False).encode("utf-8")).hexdigest()


def listing_problem(pdf: bytes, case_ids: Sequence[str]) -> str | None:
    """Why the act's pages do not list exactly these cases (or None): each case's id, the total and the
    digest of the list must be printed on it."""
    try:
        reader = PdfReader(io.BytesIO(pdf))
        text = "".join("".join((page.extract_text() or "").split()) for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError):
        return "its pages cannot be read"
    missing = [c for c in case_ids if c not in text]
    if missing:
        return f"it does not list {missing[0]}"
    total = re.search(r"Итогокуничтожению:(\d+)", text)
    if total is None or int(total.group(1)) != len(case_ids):
        return f"its total is not {len(case_ids)} case(s)"
    if cases_digest(case_ids) not in text:
        return "it does not print the digest of the list"
    return None


def signed_revision(pdf: bytes, field: str) -> bytes | None:
    """The file as it was when `field` was signed: the bytes its signature covers (a complete PDF), so that
    what is read from it is what the signer saw, whatever was appended later."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        for signature in PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures:
            if signature.field_name == field:
                ranges = [int(n) for n in signature.sig_object["/ByteRange"]]
                return pdf[: ranges[2] + ranges[3]] if len(ranges) == 4 and ranges[0] == 0 else None
    except (PdfError, ValueError, KeyError, TypeError, IndexError, RecursionError):
        return None
    return None


def printed_rows(archive: Archive, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Case records (`case_record`) as the acts print them: the school year, dates and retention in words."""
    return [
        {
            **r,
            "year": academic_year(r["academic_year"]) if r.get("academic_year") else "",
            "closed": short_date(date.fromisoformat(r["closed_on"])),
            "until": short_date(date.fromisoformat(r["retain_until"])) if r.get("retain_until") else "—",
            "retention": archive.retention_words(r["retention_class"], r["kind"]),
        }
        for r in records
    ]


def _totals(rows: list[dict[str, Any]]) -> str:
    """«Итого к уничтожению: 3 дела (24 листа) за 2025/2026 учебный год.»"""
    count, sheets = len(rows), sum(int(r.get("sheets") or 0) for r in rows)
    years = sorted({r["year"] for r in rows if r["year"]})
    line = f"Итого к уничтожению: {count} {plural(count, 'дело', 'дела', 'дел')} " \
           f"({sheets} {plural(sheets, 'лист', 'листа', 'листов')})"  # fmt: skip
    return line + (f" за {', '.join(years)}." if years else ".")


def _director_name(archive: Archive) -> str:
    """The director as the approval block names them (the only user with that role), else a blank."""
    with archive.catalog.transaction() as session:
        directors = [u for u in replay(archive.catalog, session).users.values() if u.role == "director"]
    if len(directors) == 1 and directors[0].full_name:
        return directors[0].full_name
    return ""


def act_box() -> dict[str, float]:
    """The director's signature place on the act's first sheet, against the page area (the template's
    coordinates): from archiver.rendering.marks.ACT_BOX_MM, the page's and the signer's."""
    left, bottom, width, height = ACT_BOX_MM
    return {"left": left - PAGE_MARGIN_LEFT_MM, "top": 297.0 - PAGE_MARGIN_TOP_MM - (bottom + height),
            "width": width, "height": height}  # fmt: skip


# -- approve --------------------------------------------------------------------------------------------------


def approve(
    archive: Archive,
    key: KeySigner | Callable[[], KeySigner],
    user: str,
    reference: str,
    confirm: Callable[[Mapping[str, Any]], bool] | None = None,
) -> ActOutcome:
    """The director signs a proposed act in its approval place («Утверждаю»): a new version of the acts case.
    The draft must show exactly the register's cases (each id, the total, the digest of the list); `confirm`
    is shown the act and may decline."""
    require(archive.catalog, user, "approve", reference)
    from archiver.operations.signing import refuse_foreign_key

    director = key if isinstance(key, KeySigner) else key()
    archive.check_repositories()
    refuse_foreign_key(archive, director, user)
    school, number = resolve_act(archive, reference)
    acts_case = acts_case_id(school)
    with archive.case_lock(acts_case):
        register, _ = read_register(archive, school)
        act = _act(register, number, acts_case)
        if act.get("status") != "proposed":
            raise _refused(archive, user, "dispose approve", f"{school}/{number}",
                           f"act № {number} is {act.get('status')}, not a proposal awaiting approval")  # fmt: skip
        draft = _act_files(archive, acts_case, act, "proposed")
        cases = [c["case"] for c in act["cases"]]
        report = validate_pdf(draft[VOLUME], archive.trust_roots)
        problem = report.reason if report.indication != "PASSED" else listing_problem(draft[VOLUME], cases)
        if problem is not None:
            raise _refused(archive, user, "dispose approve", f"{school}/{number}",
                           f"act № {number} as drawn up does not show the register's cases: {problem}")  # fmt: skip
        if confirm is not None and not confirm(act):
            raise _refused(archive, user, "dispose approve", f"{school}/{number}", "the director did not confirm")
        now = archive.clock()
        validity = director.certificate["tbs_certificate"]["validity"]
        mark = mark_pdf(director.serial_hex, director.common_name, validity["not_before"].native,
                        validity["not_after"].native, now, archive.pdfa, archive.timezone)  # fmt: skip
        request = SignatureRequest("director", reason="Утверждаю", box=act_box_points(), appearance_pdf=mark,
                                   long_term=archive.signature_evidence())  # fmt: skip
        try:
            signed = sign_pdf(draft[VOLUME], director, request)
        except SigningError as exc:
            raise ArchiveError(f"act № {number} cannot be signed: {exc}") from None
        entry = signature_entry("director", "director", director, now, signed, archive.allow_no_revocation)
        version = (catalog_head(archive, acts_case) or 0) + 1
        act.update(status="approved", approved={
            "by": user, "name": person(archive, user), "on": archive.local_date(now).isoformat(), "version": version,
            "signer": director.common_name, "certificate_sha256": director.certificate_sha256,
        })  # fmt: skip
        stored = store_act(archive, school, signed, register, user, "act", f"Акт № {number} утверждён директором",
                        archive.local_date(now), signatures=(*info_of(draft).signatures, entry))  # fmt: skip
    return ActOutcome(school, number, "approved", tuple(c["case"] for c in act["cases"]), version=stored)


# -- execute --------------------------------------------------------------------------------------------------


def execute(archive: Archive, user: str, today: date, reference: str) -> ActOutcome:
    """Remove exactly the cases on an approved act from every repository. A case put on hold since the
    proposal, or whose sealed retention no longer allows it, is kept (the register says why). Refused
    (exit 1, nothing removed) unless the act is approved with a valid signature of a registered director."""
    require(archive.catalog, user, "dispose", reference)
    archive.check_repositories()
    school, number = resolve_act(archive, reference)
    acts_case = acts_case_id(school)
    ident = f"{school}/{number}"
    with archive.case_lock(acts_case):
        register, _ = read_register(archive, school)
        act = _act(register, number, acts_case)
        status = act.get("status")
        if status == "executed":  # a re-run of an execution that completed
            return _outcome(school, act, None)
        if status not in ("approved", "executing"):
            raise _refused(archive, user, "dispose execute", ident,
                           f"act № {number} is {status}: only an act approved by the director is executed")  # fmt: skip
        approved = _act_files(archive, acts_case, act, "approved")
        problem = _approval_problem(archive, approved[VOLUME], act)
        if problem is not None:
            raise _refused(archive, user, "dispose execute", ident, problem)
        approval = info_of(approved).signatures
        if status == "approved":
            removing, kept = _decide(archive, act, today)
            act.update(status="executing", removed=removing, kept=[{"case": c, "reason": r} for c, r in kept])

            def disposing(session: Session) -> None:
                for case_id in removing:
                    row = session.get(Case, case_id)
                    if row is not None:
                        row.status = CaseStatus.DISPOSING

            store_act(archive, school, approved[VOLUME], register, user, "act",
                   f"Акт № {number}: исполнение ({len(removing)} дел к удалению)", today, signatures=approval,
                   also=disposing)  # fmt: skip
        for case_id in act["removed"]:
            with archive.case_lock(case_id):
                remove_case(archive, case_id)
                with archive.catalog.transaction() as session:
                    row = session.get(Case, case_id)
                    if row is not None and row.status != CaseStatus.DISPOSED:
                        row.status = CaseStatus.DISPOSED
                        archive.catalog.record(session, user, "dispose", case_id, "success",
                                               {"act": ident, "acts_case": acts_case})  # fmt: skip
        version = (catalog_head(archive, acts_case) or 0) + 1
        act.update(status="executed", executed={"by": user, "name": person(archive, user), "on": today.isoformat(),
                                                "version": version})  # fmt: skip
        store_act(
            archive,
            school,
            approved[VOLUME],
            register,
            user,
            "act",
            f"Акт № {number} исполнен",
            today,
            signatures=approval,
        )
    return _outcome(school, act, version)


def _act_files(archive: Archive, acts_case: str, act: Mapping[str, Any], step: str) -> Mapping[str, bytes]:
    """The version of the acts case that holds the act as it was at `step` (proposed: the sealed draft;
    approved: signed by the director), read from an intact copy."""
    version = (act.get(step) or {}).get("version")
    if not isinstance(version, int):
        raise ArchiveError(f"{acts_case}: the register does not say which version holds act № {act['number']} {step}")
    return read_intact(archive, acts_case, version)


def _outcome(school: str, act: Mapping[str, Any], version: int | None) -> ActOutcome:
    kept = tuple((k["case"], k["reason"]) for k in act.get("kept", []))
    return ActOutcome(school, int(act["number"]), str(act["status"]), tuple(c["case"] for c in act["cases"]),
                      tuple(act.get("removed", [])), kept, version)  # fmt: skip


def _decide(archive: Archive, act: Mapping[str, Any], today: date) -> tuple[list[str], list[tuple[str, str]]]:
    """Which cases of the act go now: each judged by its sealed metadata (and a catalog that agrees)."""
    removing, kept = [], []
    for record in act["cases"]:
        case_id = record["case"]
        with archive.catalog.transaction() as session:
            row = session.get(Case, case_id)
            says = _catalog_says(row) if row is not None else None
            gone = row is not None and row.status in GONE
        if row is None or gone or says is None:
            kept.append((case_id, "not in the catalog any more" if row is None else "disposed of already"))
            continue
        _, reason = _judged(archive, case_id, says, today)
        if reason is None:
            removing.append(case_id)
        else:
            kept.append((case_id, reason))
    return removing, kept


def _approval_problem(archive: Archive, pdf: bytes, act: Mapping[str, Any]) -> str | None:
    """Why the act's PDF does not prove the director's approval (or None): the signature in the approval
    place must validate with nothing but validation data added after it, be made with the certificate of a
    registered director that the register names, and the revision it signed must list exactly the
    register's cases."""
    approved = act.get("approved") or {}
    number = act["number"]
    report = validate_pdf(pdf, archive.trust_roots)
    signature = next((s for s in report.signatures if s.field_name == "director"), None)
    if signature is None:
        return f"act № {number} bears no signature of the director"
    # Later revisions may add validation data and the document timestamps' fields (form filling), never
    # content: the text is read from the signed revision below in any case.
    if signature.indication != "PASSED" or signature.modification_level not in LATER_ALLOWED:
        return f"the director's signature on act № {number} does not validate: {signature.reason}"
    with archive.catalog.transaction() as session:
        directors = replay(archive.catalog, session).fingerprints("director")
    if signature.certificate_sha256 not in directors or signature.certificate_sha256 != approved.get(
        "certificate_sha256"
    ):
        return f"act № {number} is signed with a certificate that is not a registered director's"
    revision = signed_revision(pdf, "director")
    problem = "the signed revision cannot be read" if revision is None else listing_problem(
        revision, [c["case"] for c in act["cases"]])  # fmt: skip
    if problem is not None:
        return f"the register's list of cases is not the one act № {number} showed when the director signed it " \
               f"({problem})"  # fmt: skip
    return None


# -- shared ---------------------------------------------------------------------------------------------------


def store_act(
    archive: Archive,
    school: str,
    pdf: bytes,
    register: Mapping[str, Any],
    user: str,
    action: str,
    message: str,
    today: date,
    *,
    signatures: tuple[Mapping[str, str], ...] = (),
    also: Callable[[Session], None] | None = None,
    annexes: Mapping[str, bytes] | None = None,
) -> int:
    """A new version of the school's acts case (the caller holds its lock): `pdf` the act, the register as
    its source, `annexes` beside them (a transfer's inventory); `signatures`: the sealed metadata's record
    of the signatures in `pdf` (the e-seal's, the director's). The case's retention stays as first sealed."""
    case_id = acts_case_id(school)
    name = str((register.get("school") or {}).get("name") or school)
    existing = _existing_retention(archive, case_id)
    info = CaseInfo(case_id, CaseKind.ACTS, school, name, "", None, None, None, ACTS_TITLE, page_count(pdf),
                    existing or retention_for(CaseKind.ACTS, today), signatures=signatures)  # fmt: skip
    source = (json.dumps(register, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    content = {VOLUME: pdf, SOURCE: source, **(annexes or {})}
    return new_version_of(archive, info, content, user, action, message, status=CaseStatus.ARCHIVED, also=also)


def _existing_retention(archive: Archive, case_id: str) -> Any:
    if catalog_head(archive, case_id) is None:
        return None
    return info_of(read_intact(archive, case_id)).retention


def _refused(archive: Archive, user: str, action: str, obj: str, reason: str) -> RefusedError:
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, action, obj, "refused", {"reason": reason})
    return RefusedError(f"refused: {reason}")


def _judged(archive: Archive, case_id: str, says: tuple[Any, ...], today: date) -> tuple[CaseInfo | None, str | None]:
    """The case's sealed metadata (from an intact copy) and why it may not be destroyed today (None: it may)."""
    try:
        head = catalog_head(archive, case_id)
        refuse_rollback_of_audited(archive, case_id, head)  # a catalog set back over a hold, say
        for repository in archive.repositories:
            there = repository.head(case_id)
            if there is not None and head is not None and there.number > head:
                raise ArchiveError(f"repository {repository.name!r} holds v{there.number}, beyond the catalog's "
                                   f"head v{head}: run `archiver verify`")  # fmt: skip
        sealed = info_of(read_intact(archive, case_id))
    except (ArchiveError, StorageError) as exc:
        return None, exc.message
    return sealed, retention_refusal(sealed, says, today)


def retention_refusal(sealed: CaseInfo, catalog_says: tuple[Any, ...], today: date) -> str | None:
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


def case_record(case: CaseInfo) -> dict[str, Any]:
    """What the act says of a case it lists: from its sealed metadata."""
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
        "superseded_by": case.superseded_by,
        "transferred": dict(case.transferred) if case.transferred else None,
        # Who signed it, and the PAdES level each signature was sealed with (older cases record none).
        "signatures": [{"role": s.get("role"), "level": s.get("level")} for s in case.signatures],
    }

"""Re-verifying every copy of every case: storage, sealed manifest, signatures, sheet counts, catalog.

A copy is intact when its repository finds nothing wrong with the object (`verify_object`: files,
digests, inventories, no links, nothing extra), the catalog's head version matches the sealed manifest
whose seal verifies, the volume's signatures validate, the volume is still PDF/A with as many pages as
its title sheet states, and the catalog agrees. Every problem is collected — case, repository, file,
what is wrong — and reported together; nothing found in a copy ever raises.

Scheduled verification (`--due`) checks the copies whose last check is the oldest first, within a time
budget, so a large archive is covered over a rolling period and each run continues where the last one
stopped.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from archiver.archive.cases import GONE, MANIFEST, METADATA, SEAL, VOLUME, CaseStatus, parse_manifest
from archiver.archive.catalog.models import Case, CaseVersion, Copy
from archiver.archive.checkpoints import checkpoint_findings
from archiver.archive.context import Archive
from archiver.archive.registry import current, differences, replay
from archiver.archive.roles import require
from archiver.archive.storage import NOT_IN_THE_COPY, Code, Finding, Repository, StorageError
from archiver.archive.store import audited_versions, sealed_act_names
from archiver.errors import BadInputError
from archiver.rendering.pdfa import page_count
from archiver.workers import workers
from signing import validate_at, validate_pdf
from signing.detached import check_seal

__all__ = ["CopyResult", "Finding", "VerifyReport", "check_copy", "snapshots", "verify_archive"]


@dataclass(frozen=True)
class CopyResult:
    case_id: str
    repository: str
    status: str  # intact, damaged, missing (intact: nothing the copy itself is to blame for; see copy_problems)
    findings: tuple[Finding, ...]
    bytes_hashed: int = 0
    head: int | None = None  # the copy's head version, when it could be read
    signatures: tuple[dict[str, Any], ...] = ()  # the head volume's signatures: field, signer, level, time

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"case": self.case_id, "repository": self.repository, "status": self.status}
        if self.signatures:
            data["signatures"] = list(self.signatures)
        return data

    @property
    def copy_problems(self) -> tuple[Finding, ...]:
        """The findings the copy itself is to blame for (not the catalog's or the audit trail's)."""
        return tuple(f for f in self.findings if f.code not in NOT_IN_THE_COPY)


@dataclass(frozen=True)
class CaseSnapshot:
    """What the catalog says about a case, handed to the worker that checks a copy."""

    case_id: str
    head_version: int
    sheets: int
    documents: dict[int, dict[str, tuple[str, str, int]]]  # version -> path -> (sha256, sha512, size)
    signatures: int  # signatures the head volume must carry
    inventories: dict[int, str] = field(default_factory=dict)  # version -> SHA-512 of its inventory as written
    recorded: dict[str, Any] = field(default_factory=dict)  # what the catalog says that metadata.json seals


@dataclass(frozen=True)
class VerifyReport:
    started: datetime
    finished: datetime
    user: str
    cases: int
    copies: tuple[CopyResult, ...]
    findings: tuple[Finding, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    deep: bool = False
    remaining: int = 0  # copies a budgeted run left for the next one

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def bytes_hashed(self) -> int:
        return sum(c.bytes_hashed for c in self.copies)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": self.finished.isoformat(timespec="seconds"),
            "user": self.user,
            "cases": self.cases,
            "deep": self.deep,
            "copies": [c.as_dict() for c in self.copies],
            "remaining": self.remaining,
            "problems": [f.as_dict() for f in self.findings],
            "warnings": list(self.warnings),
        }


def known_case(archive: Archive, case_id: str | None) -> None:
    """A case named by the user must be in the catalog (a typo is bad input, not "all intact")."""
    if case_id is None:
        return
    with archive.catalog.transaction() as session:
        case = session.get(Case, case_id)
        if case is None or case.status == CaseStatus.DISPOSED:
            raise BadInputError(f"no case {case_id!r} in the catalog (`archiver find` lists them)")


def snapshots(archive: Archive, case_id: str | None = None) -> list[CaseSnapshot]:
    with archive.catalog.transaction() as session:
        query = select(Case).where(Case.status.not_in(GONE)).order_by(Case.id)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        out: list[CaseSnapshot] = []
        for case in session.execute(query).scalars():
            documents: dict[int, dict[str, tuple[str, str, int]]] = {}
            inventories: dict[int, str] = {}
            signatures = 0
            for version in case.versions:
                documents[version.number] = {d.path: (d.sha256, d.sha512, d.size) for d in version.documents}
                if version.inventory_sha512:
                    inventories[version.number] = version.inventory_sha512
                if version.number == case.head_version:
                    signatures = len(version.signatures)
            recorded = {
                "kind": case.kind,
                "title": case.title,
                "sheets": case.sheets,
                "school": case.school_id,
                "academic_year": case.academic_year,
                "class.id": case.class_id,
                "class.name": case.class_name,
                "period": case.period_id,
                "retention.class": case.retention_class,
                "retention.closed_on": case.closed_on.isoformat(),
                "retention.retain_until": case.retain_until.isoformat() if case.retain_until else None,
                "legal_hold": bool(case.legal_hold),
                "superseded_by": case.superseded_by,
                "transferred.on": case.transferred_on.isoformat() if case.transferred_on else None,
                "transferred.to": case.transferred_to,
            }
            out.append(
                CaseSnapshot(case.id, case.head_version, case.sheets, documents, signatures, inventories, recorded)
            )
    return out


def verify_archive(
    archive: Archive,
    user: str,
    *,
    case_id: str | None = None,
    repository: str | None = None,
    deep: bool = False,
    due: bool = False,
    budget: timedelta | None = None,
    progress: Callable[[int], None] | None = None,
    planned: Callable[[int], None] | None = None,
    as_of: datetime | None = None,
) -> VerifyReport:
    """Check copies (all, one case's, one repository's, or the due ones within a budget) and record it.
    `as_of`: the signatures are validated as of that time (long-term validation from the files alone).

    An auditor's check writes only the audit events, not the copies' last check. `planned` is told how
    many copies will be checked (once the user's role allows it).
    """
    record_copies = require(archive.catalog, user, "verify", case_id or "archive") != "auditor"
    known_case(archive, case_id)
    if repository is not None and repository not in {r.name for r in archive.repositories}:
        raise BadInputError(
            f"no repository {repository!r} (repositories: {', '.join(r.name for r in archive.repositories)})"
        )
    started = archive.clock()
    clock_start = time.monotonic()
    repositories = [r for r in archive.repositories if repository is None or r.name == repository]
    cases = snapshots(archive, case_id)
    jobs: list[tuple[Repository, CaseSnapshot]] = [(r, snapshot) for snapshot in cases for r in repositories]
    if planned is not None:
        planned(len(jobs))
    whole = case_id is None and repository is None  # the storage roots and the audit trail too (also with --due)
    if due:
        jobs = _due_order(archive, jobs, overdue_only=budget is None)
    deadline = clock_start + budget.total_seconds() if budget is not None else None
    count = archive.workers or os.cpu_count() or 1
    with archive.catalog.transaction() as session:
        registry = replay(archive.catalog, session)
        registry_problems = differences(registry, current(session))
    signers = Signers(registry.fingerprints("eseal"), registry.fingerprints("director"))
    with workers(count) as pool:
        results = list(_check_all(pool, 2 * count, jobs, archive.trust_roots, deep, deadline, progress, signers, as_of))
    findings = [f for result in results for f in result.findings]
    findings += _interrupted_disposals(archive, case_id)
    recorded = audited_versions(archive, case_id)
    for snapshot in cases:  # a head set back in the catalog: repair must not take the newer versions for leftovers
        if recorded.get(snapshot.case_id, 0) > snapshot.head_version:
            findings.append(Finding(snapshot.case_id, None, None, Code.CATALOG,
                f"the audit trail records v{recorded[snapshot.case_id]}, the catalog's head is "
                f"v{snapshot.head_version}: the catalog was set back"))  # fmt: skip
    if whole:
        known = {c.case_id for c in cases} | _disposing(archive)  # one whose removal a re-run completes is known
        for repo in repositories:
            findings += repo.verify_root(known)
        findings += [Finding("audit", None, None, Code.AUDIT, problem) for problem in archive.catalog.audit_problems()]
        findings += [Finding("users", None, None, Code.REGISTRY, problem) for problem in registry_problems]
        findings += checkpoint_findings(archive)
    _record(archive, user, results, record_copies)
    return VerifyReport(
        started, archive.clock(), user, len({r.case_id for r in results}) if due else len(cases), tuple(results),
        tuple(findings), tuple(carrier_warnings(archive.repositories)), deep, len(jobs) - len(results),
    )  # fmt: skip


def _disposing(archive: Archive) -> set[str]:
    with archive.catalog.transaction() as session:
        return set(session.execute(select(Case.id).where(Case.status == CaseStatus.DISPOSING)).scalars())


def _interrupted_disposals(archive: Archive, case_id: str | None) -> list[Finding]:
    with archive.catalog.transaction() as session:
        query = select(Case.id).where(Case.status == CaseStatus.DISPOSING)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        ids = list(session.execute(query).scalars())
    with archive.catalog.transaction() as session:
        schools = {c.id: c.school_id for c in session.execute(select(Case).where(Case.id.in_(ids))).scalars()}
    found = []
    for ident in ids:
        if sealed_act_names(archive, schools[ident], ident):
            detail = (
                "its disposal was interrupted (the act names it): run `archiver dispose execute` for the act again "
                "to complete it"
            )
        else:
            detail = "the catalog says it is being disposed of, but no sealed act names it (the catalog was edited?)"
        found.append(Finding(ident, None, None, Code.CATALOG, detail))
    return found


def carrier_warnings(repositories: Sequence[Repository]) -> list[str]:
    """Two repositories on one device are one carrier, not two (DESIGN.md: separate rooms)."""
    warnings = []
    seen: dict[int, str] = {}
    for repository in repositories:
        device = repository.device()
        if device is None:
            continue
        if device in seen:
            warnings.append(
                f"repositories {seen[device]!r} and {repository.name!r} are on the same device: "
                "they are not two separate carriers"
            )
        else:
            seen[device] = repository.name
    return warnings


def _due_order(
    archive: Archive, jobs: list[tuple[Repository, CaseSnapshot]], *, overdue_only: bool
) -> list[tuple[Repository, CaseSnapshot]]:
    """Oldest last check first (never checked before anything); only the overdue ones without a budget."""
    last = last_verified(archive)
    cutoff = archive.clock() - timedelta(days=archive.full_cycle_days)
    floor = datetime.min.replace(tzinfo=cutoff.tzinfo)

    def when(job: tuple[Repository, CaseSnapshot]) -> datetime:
        at = last.get((job[1].case_id, job[0].name))
        return floor if at is None else _aware(at, cutoff)

    ordered = sorted(jobs, key=lambda job: (when(job), job[1].case_id, job[0].name))
    return [job for job in ordered if when(job) < cutoff] if overdue_only else ordered


def last_verified(archive: Archive) -> dict[tuple[str, str], datetime | None]:
    """(case, repository) -> when the copy of the case's head version was last checked."""
    with archive.catalog.transaction() as session:
        rows = session.execute(
            select(Case.id, Copy.repository, Copy.verified_at)
            .join(CaseVersion, (CaseVersion.case_id == Case.id) & (CaseVersion.number == Case.head_version))
            .join(Copy, Copy.version_id == CaseVersion.id)
            .where(Case.status != CaseStatus.DISPOSED)
        ).all()
    return {(case, repository): at for case, repository, at in rows}


def _aware(at: datetime, like: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=like.tzinfo)


def _check_all(
    pool: Executor,
    in_flight: int,
    jobs: Sequence[tuple[Repository, CaseSnapshot]],
    roots: list[bytes],
    deep: bool,
    deadline: float | None,
    progress: Callable[[int], None] | None,
    signers: Signers,
    as_of: datetime | None = None,
) -> Iterator[CopyResult]:
    """Results in the order of `jobs`, `in_flight` at a time; with a deadline, no new job starts after it."""
    pending: dict[int, Future[CopyResult]] = {}
    done: dict[int, CopyResult] = {}
    index = 0
    emitted = 0
    while index < len(jobs) or pending:
        while index < len(jobs) and len(pending) < in_flight and (deadline is None or time.monotonic() < deadline):
            repository, snapshot = jobs[index]
            pending[index] = pool.submit(check_copy, repository, snapshot, roots, deep, signers, as_of)
            index += 1
        if not pending:
            break
        finished, _ = wait(pending.values(), return_when=FIRST_COMPLETED)
        for key in [k for k, f in pending.items() if f in finished]:
            done[key] = pending.pop(key).result()
            if progress:
                progress(1)
        while emitted in done:
            yield done.pop(emitted)
            emitted += 1
        if deadline is not None and time.monotonic() >= deadline and index < len(jobs):
            jobs = jobs[:index]  # the budget is spent: finish what runs, start nothing new


def _record(archive: Archive, user: str, results: Sequence[CopyResult], record_copies: bool) -> None:
    now = archive.clock()
    with archive.catalog.transaction() as session:
        for result in results:
            case = session.get(Case, result.case_id)
            if case is None:
                continue
            if record_copies:
                version = session.execute(
                    select(CaseVersion).where(CaseVersion.case_id == case.id, CaseVersion.number == case.head_version)
                ).scalar_one_or_none()
                if version is not None:
                    copy = session.execute(
                        select(Copy).where(Copy.version_id == version.id, Copy.repository == result.repository)
                    ).scalar_one_or_none()
                    if copy is None:
                        session.add(
                            Copy(version=version, repository=result.repository, verified_at=now, status=result.status)
                        )
                    else:
                        copy.verified_at = now
                        copy.status = result.status
            archive.catalog.record(
                session, user, "verify", result.case_id, "success" if result.status == "intact" else "failure",
                {"repository": result.repository, "status": result.status,
                 "problems": [str(f) for f in result.findings][:20]},
            )  # fmt: skip


@dataclass(frozen=True)
class Signers:
    """The certificates (SHA-256 of the DER) that stand for each role: the school's e-seal, its directors."""

    eseal: frozenset[str] = frozenset()
    director: frozenset[str] = frozenset()

    def allowed(self, field_name: str) -> frozenset[str] | None:
        """The certificates that may fill a signature field (None: a field the archive does not make)."""
        return {"eseal": self.eseal, "director": self.director}.get(field_name)


def check_copy(
    repository: Repository,
    snapshot: CaseSnapshot,
    roots: list[bytes],
    deep: bool = False,
    signers: Signers | None = None,
    as_of: datetime | None = None,
) -> CopyResult:
    """Every check of one case's copy in one repository (runs in a worker process); never raises for damage."""
    case = snapshot.case_id
    check = repository.verify_object(case, deep=deep)
    found = list(check.findings)

    def add(file: str | None, code: Code, detail: str) -> None:
        found.append(Finding(case, repository.name, file, code, detail))

    if not check.present:
        return CopyResult(case, repository.name, "missing", tuple(found))
    if check.head is None:
        return CopyResult(case, repository.name, "damaged", tuple(found), check.bytes_hashed)
    head = snapshot.head_version
    if check.head != head:
        add(None, Code.VERSION, f"the copy's head is v{check.head}, the catalog's is v{head}")
    for number, documents in snapshot.documents.items():
        state = check.versions.get(number)
        if state is None:
            continue  # reported above: the copy lacks the version
        for logical, (c256, c512, _) in documents.items():
            if logical not in state:
                add(f"v{number}/{logical}", Code.CATALOG, "a file the catalog records is not in this version")
            elif state[logical][0] != c512 or state[logical][1] not in (None, c256):
                add(f"v{number}/{logical}", Code.CATALOG, "the catalog's digest differs from the repository's")
    for number, written in snapshot.inventories.items():
        if number in check.inventories and check.inventories[number] != written:
            add(f"v{number}/inventory.json", Code.INVENTORY,
                "the version's inventory differs from the one written (who, when or what was edited)")  # fmt: skip
    signatures: tuple[dict[str, Any], ...] = ()
    for number in sorted(check.versions):  # every version against its own sealed manifest
        if number <= head:
            seen = _check_sealed(repository, case, number, check.versions[number], roots, snapshot, add,
                                 number == head, signers or Signers(), as_of)  # fmt: skip
            signatures = seen or signatures
    status = "damaged" if any(f.code not in NOT_IN_THE_COPY for f in found) else "intact"
    return CopyResult(case, repository.name, status, tuple(found), check.bytes_hashed, check.head, signatures)


def _check_sealed(
    repository: Repository,
    case: str,
    head: int,
    state: Mapping[str, tuple[str, str | None]],
    roots: list[bytes],
    snapshot: CaseSnapshot,
    add: Callable[[str | None, Code, str], None],
    is_head: bool,
    signers: Signers,
    as_of: datetime | None = None,
) -> tuple[dict[str, Any], ...]:
    """A version against its sealed manifest; for the head also the sealed metadata against the catalog and
    the volume's signatures, signers, PDF/A and sheets (what the signatures are is returned)."""
    files: dict[str, bytes] = {}
    at = "" if is_head else f"v{head}/"
    wanted = [MANIFEST, SEAL]
    if is_head:
        wanted += [METADATA] + ([VOLUME] if VOLUME in snapshot.documents.get(head, {VOLUME: ("", "", 0)}) else [])
    for logical in wanted:
        if logical not in state:
            add(at + logical, Code.MISSING, f"version v{head} has no such file")
            continue
        try:
            files[logical] = repository.read(case, logical, f"v{head}")
        except StorageError:
            continue  # the storage check has said why (missing, a link, unreadable)
    if MANIFEST in files and SEAL in files:
        seal = check_seal(files[MANIFEST], files[SEAL], roots)
        if not seal.ok:
            add(at + SEAL, Code.SEAL, f"the sealed manifest does not verify: {seal.reason}")
        elif seal.certificate_sha256 not in signers.eseal:
            add(at + SEAL, Code.SIGNER, f"the manifest is sealed by {seal.signer!r}, whose certificate is not a "
                "registered e-seal of the school")  # fmt: skip
        try:
            entries = parse_manifest(files[MANIFEST], case, head)
        except ValueError as exc:
            entries = {}
            add(at + MANIFEST, Code.MANIFEST, str(exc))
        for logical, entry in entries.items():
            if logical not in state:
                add(at + logical, Code.MANIFEST, "a file the sealed manifest lists is missing")
            elif state[logical][1] is not None and state[logical][1] != entry["sha256"]:
                add(at + logical, Code.MANIFEST, "the file differs from the sealed manifest")
        for logical in sorted(set(state) - set(entries) - {MANIFEST, SEAL}):
            if entries:
                add(at + logical, Code.MANIFEST, "a file the sealed manifest does not list")
    if is_head and METADATA in files and state[METADATA][1] is not None:
        _check_recorded(files[METADATA], snapshot, add)
    if is_head and VOLUME in files and state[VOLUME][1] is not None:
        return _check_volume(files[VOLUME], snapshot, roots, add, signers, as_of)
    return ()


def _check_recorded(metadata: bytes, snapshot: CaseSnapshot, add: Callable[..., None]) -> None:
    """The catalog against the sealed metadata: retention, hold, supersession are decided by what was sealed."""
    try:
        sealed = sealed_fields(json.loads(metadata))
    except (ValueError, TypeError, AttributeError, RecursionError):
        add(METADATA, Code.MANIFEST, "the sealed metadata cannot be read")
        return
    for key, value in snapshot.recorded.items():
        if key in sealed and sealed[key] != value:
            add(METADATA, Code.CATALOG, f"the catalog says {key} = {value!r}, the sealed metadata {sealed[key]!r}")


def sealed_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """metadata.json's fields that the catalog keeps, under the catalog's names."""
    retention = meta.get("retention") or {}
    klass = meta.get("class") or {}
    return {
        "kind": meta.get("kind"),
        "title": meta.get("title"),
        "sheets": meta.get("sheets"),
        "school": (meta.get("school") or {}).get("id"),
        "academic_year": meta.get("academic_year"),
        "class.id": klass.get("id"),
        "class.name": klass.get("name"),
        "period": meta.get("period"),
        "retention.class": retention.get("class"),
        "retention.closed_on": retention.get("closed_on"),
        "retention.retain_until": retention.get("retain_until"),
        "legal_hold": bool(meta.get("legal_hold", False)),
        "superseded_by": meta.get("superseded_by"),
        "transferred.on": (meta.get("transferred") or {}).get("on"),
        "transferred.to": (meta.get("transferred") or {}).get("to"),
    }


def _check_volume(
    pdf: bytes,
    snapshot: CaseSnapshot,
    roots: list[bytes],
    add: Callable[..., None],
    signers: Signers,
    as_of: datetime | None = None,
) -> tuple[dict[str, Any], ...]:
    report = validate_pdf(pdf, roots) if as_of is None else validate_at(pdf, roots, as_of)
    seen = tuple(
        {
            "field": s.field_name,
            "signer": s.signer,
            "indication": s.indication,
            "level": s.level,
            "timestamp": s.timestamp_time.isoformat(timespec="seconds") if s.timestamp_time else None,
            # When the evidence proves it existed: the long-term result with --at, else its earliest covering
            # timestamp (the signature timestamp); None for a bare signature, which nothing proves.
            "proven_at": (lambda t: t.isoformat(timespec="seconds") if t else None)(s.proven_at or s.timestamp_time),
        }
        for s in report.signatures
    )
    if report.indication != "PASSED":
        add(VOLUME, Code.SIGNATURE, f"{report.indication}/{report.sub_indication}: {report.reason}")
    elif snapshot.signatures and len(report.signatures) != snapshot.signatures:
        add(VOLUME, Code.SIGNATURE, f"{len(report.signatures)} signature(s), the catalog records {snapshot.signatures}")
    for signature in report.signatures:
        allowed = signers.allowed(signature.field_name)
        if allowed is None:
            add(VOLUME, Code.SIGNER, f"a signature in a field the archive does not make ({signature.field_name!r})")
        elif signature.certificate_sha256 not in allowed:
            role = "the school's e-seal" if signature.field_name == "eseal" else "a director"
            add(VOLUME, Code.SIGNER, f"the {signature.field_name!r} signature is by {signature.signer!r}, whose "
                f"certificate is not registered as {role}'s")  # fmt: skip
    if b"pdfaid:part" not in pdf:
        add(VOLUME, Code.PDFA, "the PDF/A identification is missing")
    try:
        pages = page_count(pdf)
    except Exception:  # any way a damaged PDF fails to parse is a finding, not a crash
        add(VOLUME, Code.PDFA, "the PDF cannot be read")
        return seen
    stated = stated_sheet_count(pdf)
    if stated is not None and stated != pages:
        add(VOLUME, Code.SHEETS, f"the title sheet states {stated} sheets, the PDF has {pages} pages")
    if snapshot.sheets and pages != snapshot.sheets:
        add(VOLUME, Code.SHEETS, f"the PDF has {pages} pages, the catalog records {snapshot.sheets}")
    return seen


def stated_sheet_count(pdf: bytes) -> int | None:
    """The number in «В томе пронумеровано и прошито N (…) листов» on the title sheet."""
    from pypdf import PdfReader

    try:
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    except Exception:  # a damaged PDF states nothing
        return None
    match = re.search(r"прошито\s+(\d+)\s*\(", text)
    return int(match.group(1)) if match else None

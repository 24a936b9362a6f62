"""Re-verifying every copy of every case: digests, inventory, sealed manifest, signatures, sheet counts.

A copy is intact when its files match the OCFL inventory (and the inventory its own digest sidecar), the
head version's files match the sealed manifest whose seal verifies, the volume's signatures validate, the
volume is still PDF/A with as many pages as its title sheet states, and the catalog agrees. Every problem
is collected — case, repository, file, what is wrong — and reported together; an exception means only
that something could not be checked at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archiver.assemble import workers
from archiver.catalog.models import Case, CaseVersion, Copy
from archiver.package import MANIFEST, SEAL, VOLUME, parse_manifest
from archiver.pdfa import page_count
from archiver.pipeline import Archive
from signing import validate_pdf
from signing.detached import check_seal

CHUNK = 1 << 20
SIDECAR = "inventory.json.sha512"


@dataclass(frozen=True)
class Finding:
    case_id: str
    repository: str | None
    file: str | None
    code: str  # missing, inventory, digest, size, extra-file, manifest, seal, signature, pdfa, sheets, catalog, audit
    detail: str

    def __str__(self) -> str:
        where = "/".join(p for p in (self.repository, self.case_id, self.file) if p)
        return f"{where}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case_id, "repository": self.repository, "file": self.file, "code": self.code,
                "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class CopyResult:
    case_id: str
    repository: str
    status: str  # intact, damaged, missing
    findings: tuple[Finding, ...]
    bytes_hashed: int = 0


@dataclass(frozen=True)
class CaseSnapshot:
    """What the catalog says about a case, handed to the worker that checks a copy."""

    case_id: str
    head_version: int
    sheets: int
    documents: dict[int, dict[str, tuple[str, str, int]]]  # version -> path -> (sha256, sha512, size)
    signatures: int  # signatures the head volume must carry


@dataclass(frozen=True)
class VerifyReport:
    started: datetime
    finished: datetime
    user: str
    cases: int
    copies: tuple[CopyResult, ...]
    findings: tuple[Finding, ...] = field(default=())

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
            "copies": [{"case": c.case_id, "repository": c.repository, "status": c.status} for c in self.copies],
            "problems": [f.as_dict() for f in self.findings],
        }


def snapshots(archive: Archive, case_id: str | None = None) -> list[CaseSnapshot]:
    with archive.catalog.transaction() as session:
        query = select(Case).where(Case.status != "disposed").order_by(Case.id)
        if case_id is not None:
            query = query.where(Case.id == case_id)
        out: list[CaseSnapshot] = []
        for case in session.execute(query).scalars():
            documents: dict[int, dict[str, tuple[str, str, int]]] = {}
            signatures = 0
            for version in case.versions:
                documents[version.number] = {d.path: (d.sha256, d.sha512, d.size) for d in version.documents}
                if version.number == case.head_version:
                    signatures = len(version.signatures)
            out.append(CaseSnapshot(case.id, case.head_version, case.sheets, documents, signatures))
    return out


def verify_archive(
    archive: Archive, user: str, *, case_id: str | None = None, repository: str | None = None, deep: bool = False
) -> VerifyReport:
    started = archive.clock()
    repositories = [r for r in archive.repositories if repository is None or r.name == repository]
    cases = snapshots(archive, case_id)
    jobs = [(r.name, r.root, snapshot) for snapshot in cases for r in repositories]
    with workers(archive.workers or None) as pool:
        results = list(_check_all(pool, jobs, archive.trust_roots, deep))
    findings = [f for result in results for f in result.findings]
    if case_id is None and repository is None:
        findings += [Finding("audit", None, None, "audit", problem) for problem in archive.catalog.audit_problems()]
    _record(archive, user, results)
    return VerifyReport(started, archive.clock(), user, len(cases), tuple(results), tuple(findings))


def _check_all(
    pool: Executor, jobs: Sequence[tuple[str, Path, CaseSnapshot]], roots: list[bytes], deep: bool
) -> Iterator[CopyResult]:
    futures = [pool.submit(check_copy, name, root, snapshot, roots, deep) for name, root, snapshot in jobs]
    for future in futures:
        yield future.result()


def _record(archive: Archive, user: str, results: Sequence[CopyResult]) -> None:
    now = archive.clock()
    with archive.catalog.transaction() as session:
        for result in results:
            case = session.get(Case, result.case_id)
            if case is None:
                continue
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


def check_copy(name: str, root: Path, snapshot: CaseSnapshot, roots: list[bytes], deep: bool = False) -> CopyResult:
    """Every check of one case's copy in one repository (runs in a worker process).

    Content is checked against the inventory's SHA-256 fixity block (and the sealed manifest) in one
    streaming pass; `deep` also recomputes the SHA-512 of the OCFL manifest, at about half the speed.
    """
    case = snapshot.case_id
    found: list[Finding] = []

    def add(file: str | None, code: str, detail: str) -> None:
        found.append(Finding(case, name, file, code, detail))

    directory = root / case
    if not (directory / "inventory.json").is_file():
        add(None, "missing", "the copy is missing from the repository")
        return CopyResult(case, name, "missing", tuple(found))
    raw = (directory / "inventory.json").read_bytes()
    sidecar = (directory / SIDECAR).read_text(errors="replace").split() if (directory / SIDECAR).is_file() else []
    if not sidecar or sidecar[0] != hashlib.sha512(raw).hexdigest():
        add("inventory.json", "inventory", "the OCFL inventory does not match its digest sidecar (edited?)")
    try:
        inventory = json.loads(raw)
        manifest: dict[str, list[str]] = inventory["manifest"]
        fixity: dict[str, list[str]] = inventory.get("fixity", {}).get("sha256", {})
        versions: dict[str, Any] = inventory["versions"]
        head = int(inventory["head"][1:])
    except (ValueError, KeyError, TypeError):
        add("inventory.json", "inventory", "the OCFL inventory cannot be read")
        return CopyResult(case, name, "damaged", tuple(found))
    sha256_of = {path: digest for digest, paths in fixity.items() for path in paths}
    hashed = 0
    actual256: dict[str, str] = {}
    listed: set[str] = set()
    for digest, paths in manifest.items():
        for content in paths:
            listed.add(content)
            path = directory / content
            if not path.is_file():
                add(content, "missing", "a stored file is missing")
                continue
            d512, d256, size = _hash(path, sha512=deep or content not in sha256_of)
            hashed += size
            actual256[content] = d256
            if d512 is not None and d512 != digest:
                add(content, "digest", "the file's SHA-512 does not match the OCFL inventory (damaged or replaced)")
            if content in sha256_of and sha256_of[content] != d256:
                add(content, "digest", "the file's SHA-256 does not match the inventory (damaged or replaced)")
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative not in listed and not _is_structural(relative):
            add(relative, "extra-file", "a file that no inventory lists")
    if head != snapshot.head_version:
        add(None, "catalog", f"the copy's head is v{head}, the catalog's is v{snapshot.head_version}")
    # agreement with the catalog, every version
    for number, documents in snapshot.documents.items():
        state = versions.get(f"v{number}", {}).get("state", {})
        by_path = {p: digest for digest, paths in state.items() for p in paths}
        for logical, (c256, c512, _) in documents.items():
            if logical not in by_path:
                add(f"v{number}/{logical}", "catalog", "a file the catalog records is not in this version")
            elif by_path[logical] != c512 or sha256_of.get(manifest[by_path[logical]][0], c256) != c256:
                add(f"v{number}/{logical}", "catalog", "the catalog's digest differs from the repository's")
    # the head version: sealed manifest, signatures, PDF/A, sheets
    head_state = {p: digest for digest, paths in versions.get(f"v{head}", {}).get("state", {}).items() for p in paths}
    files: dict[str, bytes] = {}
    for logical in (MANIFEST, SEAL, VOLUME):
        stored = _content_of(head_state, manifest, logical)
        if stored is None or not (directory / stored).is_file():
            add(logical, "missing", "the head version has no such file")
            continue
        files[logical] = (directory / stored).read_bytes()
    if MANIFEST in files and SEAL in files:
        seal = check_seal(files[MANIFEST], files[SEAL], roots)
        if not seal.ok:
            add(SEAL, "seal", f"the sealed manifest does not verify: {seal.reason}")
        try:
            entries = parse_manifest(files[MANIFEST])
        except (ValueError, KeyError):
            entries = {}
            add(MANIFEST, "manifest", "the manifest cannot be read")
        for logical, entry in entries.items():
            got = actual256.get(_content_of(head_state, manifest, logical) or "")
            if got is None:
                add(logical, "manifest", "a file the sealed manifest lists is missing")
            elif got != entry.get("sha256"):
                add(logical, "manifest", "the file differs from the sealed manifest")
    if VOLUME in files:
        _check_volume(files[VOLUME], snapshot, roots, add)
    status = "intact" if not found else "damaged"
    return CopyResult(case, name, status, tuple(found), hashed)


def _check_volume(pdf: bytes, snapshot: CaseSnapshot, roots: list[bytes], add: Any) -> None:
    report = validate_pdf(pdf, roots)
    if report.indication != "PASSED":
        add(VOLUME, "signature", f"{report.indication}/{report.sub_indication}: {report.reason}")
    elif snapshot.signatures and len(report.signatures) != snapshot.signatures:
        add(VOLUME, "signature", f"{len(report.signatures)} signature(s), the catalog records {snapshot.signatures}")
    if b"pdfaid:part" not in pdf:
        add(VOLUME, "pdfa", "the PDF/A identification is missing")
    try:
        pages = page_count(pdf)
    except Exception:
        add(VOLUME, "pdfa", "the PDF cannot be read")
        return
    stated = stated_sheet_count(pdf)
    if stated is not None and stated != pages:
        add(VOLUME, "sheets", f"the title sheet states {stated} sheets, the PDF has {pages} pages")
    if snapshot.sheets and pages != snapshot.sheets:
        add(VOLUME, "sheets", f"the PDF has {pages} pages, the catalog records {snapshot.sheets}")


def _content_of(state: dict[str, str], manifest: dict[str, list[str]], logical: str) -> str | None:
    """The content path that holds a logical file of a version."""
    digest = state.get(logical)
    paths = manifest.get(digest) if digest is not None else None
    return paths[0] if paths else None


def stated_sheet_count(pdf: bytes) -> int | None:
    """The number in «В томе пронумеровано и прошито N (…) листов» on the title sheet."""
    import io

    from pypdf import PdfReader

    try:
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    except Exception:
        return None
    match = re.search(r"прошито\s+(\d+)\s*\(", text)
    return int(match.group(1)) if match else None


def _hash(path: Path, *, sha512: bool) -> tuple[str | None, str, int]:
    """Streaming digests of a file (never the whole file in memory)."""
    d512 = hashlib.sha512() if sha512 else None
    d256 = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            d256.update(chunk)
            if d512 is not None:
                d512.update(chunk)
            size += len(chunk)
    return (d512.hexdigest() if d512 is not None else None), d256.hexdigest(), size


def _is_structural(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    depth = relative.count("/")
    if depth == 0:
        return name in ("0=ocfl_object_1.1", "inventory.json", SIDECAR)
    return (
        depth == 1 and re.fullmatch(r"v\d+", relative.split("/")[0]) is not None and name in ("inventory.json", SIDECAR)
    )

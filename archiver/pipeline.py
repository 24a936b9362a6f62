"""The one place that wires the stages: volumes → render → seal → package → store twice → catalog.

Class volumes are independent units of work: they are rendered and sealed in worker processes, then
stored and recorded one at a time in this process, each under a per-case lock. A case counts as archived
only when every repository holds it and its digests were read back and checked. A run that was killed is
completed by running it again: a case found in a repository but not in the catalog is adopted from the
copy that matches its sealed manifest, never rendered a second time.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from archiver.assemble import render_volume, workers
from archiver.catalog import Catalog
from archiver.catalog.models import Case, CaseVersion, Copy, Document, Signature
from archiver.documents.volumes import Volume
from archiver.errors import ArchiverError
from archiver.package import (
    MANIFEST,
    METADATA,
    ROLES,
    SEAL,
    SOURCE,
    VOLUME,
    CaseInfo,
    Retention,
    case_id_for,
    manifest_bytes,
    metadata_bytes,
    parse_manifest,
    retention_for,
)
from archiver.pdfa import PdfaVariant, page_count
from archiver.serialize import document_bytes
from archiver.storage import OcflRepository
from signing import KeySigner, SignatureRequest, sign_pdf
from signing.detached import check_seal, seal_bytes

Clock = Callable[[], datetime]
Progress = Callable[[int], None]


class ArchiveError(ArchiverError):
    code = "archive"


@dataclass
class Archive:
    """Everything a workflow needs, opened from the configuration by the CLI."""

    repositories: list[OcflRepository]
    catalog: Catalog
    eseal: KeySigner
    trust_roots: list[bytes]
    tsa_url: str | None
    pdfa: PdfaVariant
    workers: int
    clock: Clock

    def check_repositories(self) -> None:
        """Every repository must be there and writable before anything is written to any of them."""
        if len(self.repositories) < 2:
            raise ArchiveError("the archive needs at least two repositories (configure [repositories])")
        for repository in self.repositories:
            repository.check()

    @contextmanager
    def case_lock(self, case_id: str) -> Iterator[None]:
        """Only one run at a time stores or changes a case (across processes on this machine)."""
        directory = self.repositories[0].staging / "locks"
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / f"{case_id}.lock", "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    title: str
    outcome: str  # archived, adopted, already archived
    sheets: int


# -- archiving volumes ------------------------------------------------------------------------------


_WORKER: dict[str, Any] = {}


def _produce(volume: Volume, info: CaseInfo) -> dict[str, bytes]:
    """In a worker: render, seal and package one case (version 1)."""
    archive: Archive = _WORKER["archive"]
    rendered = render_volume(volume, archive.pdfa)
    sealed = sign_pdf(
        rendered.pdf,
        archive.eseal,
        SignatureRequest(
            "eseal",
            reason="Электронная печать образовательной организации",
            location=info.school_name[:100],
            timestamp_url=archive.tsa_url,
        ),
    )
    signature = _signature_entry("eseal", "eseal", archive.eseal, archive.clock())
    info = replace(info, sheets=rendered.total_sheets, signatures=(signature,))
    return case_files(archive, info, 1, sealed, document_bytes(volume.source))


def archive_volumes(
    archive: Archive,
    volumes: Sequence[tuple[Volume, str, str | None]],
    user: str,
    *,
    awaiting_signature: bool,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Archive each (volume, school name, period id) as a case: sealed, stored twice, catalogued."""
    archive.check_repositories()
    results: list[CaseResult] = []
    todo: list[tuple[Volume, CaseInfo]] = []
    for volume, school_name, period_id in volumes:
        info = _case_info(volume, school_name, period_id)
        with archive.case_lock(info.case_id):
            done = _catalogued(archive, info.case_id)
            if done is not None:
                results.append(CaseResult(info.case_id, info.title, "already archived", done))
                if progress:
                    progress(1)
                continue
            adopted = _adopt(archive, info.case_id, user, awaiting_signature)
        if adopted is not None:
            results.append(adopted)
            if progress:
                progress(1)
            continue
        todo.append((volume, info))
    _WORKER["archive"] = archive
    with workers(archive.workers or None) as pool:
        futures = [(info, _submit(pool, volume, info)) for volume, info in todo]
        for info, future in futures:
            files = future.result()
            results.append(_store_case(archive, info, files, user, awaiting_signature))
            if progress:
                progress(1)
    return results


def _submit(pool: Executor, volume: Volume, info: CaseInfo) -> Any:
    return pool.submit(_produce, volume, info)


def _case_info(volume: Volume, school_name: str, period_id: str | None) -> CaseInfo:
    parts = volume.id.split("/")
    class_id = parts[2] if len(parts) == 4 else None
    closed_on = volume.created.date()
    return CaseInfo(
        case_id=case_id_for(volume.id),
        kind=volume.kind,
        school_id=parts[0],
        school_name=school_name,
        academic_year=parts[1],
        class_id=class_id,
        class_name=volume.class_name,
        period_id=period_id,
        title=volume.title,
        sheets=sum(p.planned_sheets for p in volume.parts) + 1,
        retention=retention_for(volume.kind, closed_on),
    )


def case_files(archive: Archive, info: CaseInfo, version: int, pdf: bytes, source: bytes) -> dict[str, bytes]:
    files = {VOLUME: pdf, SOURCE: source, METADATA: metadata_bytes(info, version, archive.clock())}
    manifest = manifest_bytes(info.case_id, version, files)
    files[MANIFEST] = manifest
    files[SEAL] = seal_bytes(manifest, archive.eseal)
    return files


def _signature_entry(field: str, role: str, key: KeySigner, when: datetime) -> dict[str, str]:
    return {
        "field": field,
        "role": role,
        "signer": key.common_name,
        "certificate_serial": key.serial_hex,
        "signed_at": when.astimezone(UTC).isoformat(timespec="seconds"),
    }


def _catalogued(archive: Archive, case_id: str) -> int | None:
    with archive.catalog.transaction() as session:
        case = session.get(Case, case_id)
        return case.sheets if case is not None and case.status != "disposed" else None


def _store_case(
    archive: Archive, info: CaseInfo, files: Mapping[str, bytes], user: str, awaiting_signature: bool
) -> CaseResult:
    with archive.case_lock(info.case_id):
        sheets = _catalogued(archive, info.case_id)
        if sheets is not None:  # another run finished it while this one rendered
            return CaseResult(info.case_id, info.title, "already archived", sheets)
        for repository in archive.repositories:
            if repository.head(info.case_id) is None:
                repository.put(
                    info.case_id,
                    files,
                    message="Архивирование: дело сформировано и заверено электронной печатью",
                    user=user,
                    created=archive.clock(),
                )
        read_back(archive, info.case_id, files)
        record_version(archive, info, 1, files, user, "archive", awaiting_signature)
    return CaseResult(info.case_id, info.title, "archived", info.sheets)


def read_back(archive: Archive, case_id: str, files: Mapping[str, bytes]) -> None:
    """Every repository's head of the case must hold exactly these bytes."""
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is None:
            raise ArchiveError(f"repository {repository.name!r}: {case_id} is missing after it was stored")
        for path, data in files.items():
            stored = hashlib.sha256(repository.read(case_id, path)).hexdigest()
            if stored != hashlib.sha256(data).hexdigest() or head.sha256.get(path) != stored:
                raise ArchiveError(f"repository {repository.name!r}: {case_id}/{path} did not read back intact")


def record_version(
    archive: Archive,
    info: CaseInfo,
    version: int,
    files: Mapping[str, bytes],
    user: str,
    action: str,
    awaiting_signature: bool,
) -> None:
    now = archive.clock()
    with archive.catalog.transaction() as session:
        case = session.get(Case, info.case_id)
        if case is None:
            case = Case(
                id=info.case_id,
                kind=info.kind,
                school_id=info.school_id,
                academic_year=info.academic_year,
                class_id=info.class_id,
                class_name=info.class_name,
                period_id=info.period_id,
                title=info.title,
                status="",
                head_version=version,
                sheets=info.sheets,
                closed_on=info.retention.closed_on,
                retention_class=info.retention.retention_class,
                retain_until=info.retention.retain_until,
                legal_hold=info.legal_hold,
                created_at=now,
            )
            session.add(case)
        case.status = "awaiting_signature" if awaiting_signature else "archived"
        case.head_version = version
        case.sheets = info.sheets
        row = CaseVersion(case=case, number=version, message=action, user=user, created_at=now)
        session.add(row)
        for path, data in sorted(files.items()):
            session.add(
                Document(
                    version=row,
                    path=path,
                    role=ROLES.get(path, "other"),
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    sha512=hashlib.sha512(data).hexdigest(),
                    sheets=page_count(data) if path == VOLUME else None,
                )
            )
        for repository in archive.repositories:
            session.add(Copy(version=row, repository=repository.name, verified_at=now, status="intact"))
        for entry in info.signatures:
            session.add(
                Signature(
                    version=row,
                    document=VOLUME,
                    field=entry["field"],
                    role=entry["role"],
                    signer=entry["signer"],
                    certificate_serial=entry["certificate_serial"],
                    signed_at=datetime.fromisoformat(entry["signed_at"]),
                )
            )
        archive.catalog.record(
            session,
            user,
            action,
            info.case_id,
            "success",
            {"version": version, "sheets": info.sheets, "repositories": [r.name for r in archive.repositories]},
        )


def _adopt(archive: Archive, case_id: str, user: str, awaiting_signature: bool) -> CaseResult | None:
    """A case stored by a run that did not finish: complete it from a copy that matches its seal."""
    holders = [r for r in archive.repositories if r.head(case_id) is not None]
    if not holders:
        return None
    for source in holders:
        head = source.head(case_id)
        assert head is not None
        files = {path: source.read(case_id, path) for path in head.sha256}
        if not _intact(archive, files):
            continue
        for repository in archive.repositories:
            current = repository.head(case_id)
            if current is None:
                repository.put(
                    case_id,
                    files,
                    message="Архивирование: копия дополнена из целой копии",
                    user=user,
                    created=archive.clock(),
                )
            elif dict(current.sha256) != dict(head.sha256):
                raise ArchiveError(f"{case_id}: repositories hold different versions; run `archiver verify`")
        read_back(archive, case_id, files)
        info = _info_from_metadata(files[METADATA])
        record_version(archive, info, int(head.version[1:]), files, user, "archive", awaiting_signature)
        return CaseResult(case_id, info.title, "adopted", info.sheets)
    raise ArchiveError(f"{case_id}: a stored copy exists but none matches its sealed manifest")


def _intact(archive: Archive, files: Mapping[str, bytes]) -> bool:
    if MANIFEST not in files or SEAL not in files:
        return False
    if not check_seal(files[MANIFEST], files[SEAL], archive.trust_roots).ok:
        return False
    expected = parse_manifest(files[MANIFEST])
    return set(expected) == set(files) - {MANIFEST, SEAL} and all(
        hashlib.sha256(files[path]).hexdigest() == entry["sha256"] for path, entry in expected.items()
    )


def _info_from_metadata(data: bytes) -> CaseInfo:
    meta = json.loads(data)
    retention = meta["retention"]
    return CaseInfo(
        case_id=meta["case"],
        kind=meta["kind"],
        school_id=meta["school"]["id"],
        school_name=meta["school"]["name"],
        academic_year=meta["academic_year"],
        class_id=(meta.get("class") or {}).get("id"),
        class_name=(meta.get("class") or {}).get("name"),
        period_id=meta.get("period"),
        title=meta["title"],
        sheets=meta["sheets"],
        retention=Retention(
            retention["class"],
            datetime.fromisoformat(retention["closed_on"]).date(),
            datetime.fromisoformat(retention["retain_until"]).date() if retention["retain_until"] else None,
        ),
        legal_hold=meta.get("legal_hold", False),
        superseded_by=meta.get("superseded_by"),
        signatures=tuple(meta.get("signatures", [])),
    )


def read_intact(archive: Archive, case_id: str) -> dict[str, bytes]:
    """The head version's files from the first repository whose copy matches its sealed manifest."""
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is None:
            continue
        files = {path: repository.read(case_id, path) for path in head.sha256}
        if _intact(archive, files):
            return files
    raise ArchiveError(f"{case_id}: no repository holds an intact copy; run `archiver verify` and `archiver repair`")


def new_version(
    archive: Archive,
    info: CaseInfo,
    pdf: bytes,
    source: bytes,
    user: str,
    action: str,
    message: str,
    *,
    awaiting_signature: bool,
) -> int:
    """Store a new version of a case in every repository, read it back, and record it."""
    with archive.catalog.transaction() as session:
        case = session.get(Case, info.case_id)
        if case is None:
            raise ArchiveError(f"no case {info.case_id} in the catalog")
        version = case.head_version + 1
    files = case_files(archive, info, version, pdf, source)
    for repository in archive.repositories:
        head = repository.head(info.case_id)
        if head is None or int(head.version[1:]) != version - 1:
            raise ArchiveError(f"repository {repository.name!r}: {info.case_id} is not at version {version - 1}")
    for repository in archive.repositories:
        repository.put(info.case_id, files, message=message, user=user, created=archive.clock())
    read_back(archive, info.case_id, files)
    record_version(archive, info, version, files, user, action, awaiting_signature)
    return version


def info_of(files: Mapping[str, bytes]) -> CaseInfo:
    return _info_from_metadata(files[METADATA])


def cleanup_staging(archive: Archive, older_than_seconds: int = 3600) -> None:
    """Remove what killed runs left in the staging directories (never anything in a storage root)."""
    import shutil
    import time

    for repository in archive.repositories:
        if not repository.staging.is_dir():
            continue
        for entry in repository.staging.iterdir():
            if entry.name == "locks":
                continue
            try:
                if time.time() - entry.stat().st_mtime > older_than_seconds:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            except OSError:
                pass


def remove_case(archive: Archive, case_id: str) -> None:
    for repository in archive.repositories:
        repository.remove(case_id)

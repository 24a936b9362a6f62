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

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.cases import (
    MANIFEST,
    METADATA,
    ROLES,
    SEAL,
    SOURCE,
    VOLUME,
    CaseInfo,
    Retention,
    acts_case_id,
    case_id_for,
    manifest_bytes,
    metadata_bytes,
    parse_manifest,
    retention_for,
)
from archiver.archive.catalog import Catalog
from archiver.archive.catalog.models import AuditEvent, Case, CaseVersion, Copy, Document, Signature
from archiver.archive.storage import Code, Finding, ObjectCheck, OcflRepository, Repository, StorageError
from archiver.archive.storage.ocfl import check_id
from archiver.documents.volumes import Volume
from archiver.errors import ArchiverError, BadInputError
from archiver.ingest.serialize import document_bytes
from archiver.rendering.pdfa import PdfaVariant, page_count
from archiver.rendering.volume import render_volume, workers
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
    full_cycle_days: int = 30

    def repository(self, name: str | None) -> OcflRepository:
        for repository in self.repositories:
            if repository.name == name:
                return repository
        raise ArchiveError(f"no repository {name!r}")

    def check_repositories(self, *, for_repair: bool = False) -> None:
        """Every repository must be there and writable before anything is written to any of them."""
        if len(self.repositories) < 2:
            raise ArchiveError("the archive needs at least two repositories (configure [repositories])")
        for repository in self.repositories:
            repository.check(declared=not for_repair)

    @contextmanager
    def case_lock(self, case_id: str) -> Iterator[None]:
        """Only one run at a time stores or changes a case (across processes on this machine)."""
        try:
            check_id(case_id)  # the lock file is named after the case: nothing else may name it
        except StorageError:
            raise BadInputError(f"{case_id!r} is not a case id") from None
        directory = self.repositories[0].staging / "locks"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle = open(directory / f"{case_id}.lock", "a+b")  # noqa: SIM115 (held across the yield)
        except OSError as exc:
            raise ArchiveError(f"cannot lock {case_id} in {directory}: {exc.strerror or exc}") from None
        with handle:
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
    infos = [(volume, _case_info(volume, school_name, period_id)) for volume, school_name, period_id in volumes]
    _refuse_disposed(archive, [info for _, info in infos])
    for volume, info in infos:
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
    class_id = parts[2] if volume.kind in ("class_year", "class_period") else None
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
    return sealed_files(archive, info, version, {VOLUME: pdf, SOURCE: source})


def sealed_files(archive: Archive, info: CaseInfo, version: int, content: Mapping[str, bytes]) -> dict[str, bytes]:
    """A version's files: its content, metadata.json, and the manifest of them with its e-seal."""
    files = {**content, METADATA: metadata_bytes(info, version, archive.clock())}
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


def _refuse_disposed(archive: Archive, infos: Sequence[CaseInfo]) -> None:
    """A case that was disposed of is not made again under the same id; refused before anything is written."""
    from archiver.archive.roles import RefusedError

    with archive.catalog.transaction() as session:
        for info in infos:
            case = session.get(Case, info.case_id)
            if case is not None and case.status in ("disposed", "disposing"):
                raise RefusedError(
                    f"refused: {info.case_id} ({info.title}) was disposed of after its retention; "
                    "it is not archived again (nothing was written)"
                )


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
        adopted = _adopt(archive, info.case_id, user, awaiting_signature)  # another run stored it meanwhile
        if adopted is not None:
            return adopted
        written = store_version(
            archive, info.case_id, files, user, "Архивирование: дело сформировано и заверено электронной печатью"
        )
        record_version(archive, info, 1, files, user, "archive", awaiting_signature, inventory_sha512=written)
    return CaseResult(info.case_id, info.title, "archived", info.sheets)


def store_version(
    archive: Archive, case_id: str, files: Mapping[str, bytes], user: str, message: str, created: datetime | None = None
) -> str:
    """The one store path: put the same version in every repository that lacks it, then read it back.
    Returns the SHA-512 of the version's inventory, the same in every repository (the catalog keeps it)."""
    created = created or archive.clock()  # one time for every copy: the copies are byte-identical
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is None or dict(head.sha256) != {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}:
            repository.put(case_id, files, message=message, user=user, created=created)
    return read_back(archive, case_id, files)


def read_back(archive: Archive, case_id: str, files: Mapping[str, bytes]) -> str:
    """Every repository's head of the case must hold exactly these bytes, under the same inventory."""
    digests = set()
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is None:
            raise ArchiveError(f"repository {repository.name!r}: {case_id} is missing after it was stored")
        for path, data in files.items():
            stored = hashlib.sha256(repository.read(case_id, path)).hexdigest()
            if stored != hashlib.sha256(data).hexdigest() or head.sha256.get(path) != stored:
                raise ArchiveError(f"repository {repository.name!r}: {case_id}/{path} did not read back intact")
        inventory = repository.inventory(case_id)
        assert inventory is not None
        digests.add(hashlib.sha512(inventory.raw).hexdigest())
    if len(digests) != 1:
        raise ArchiveError(f"{case_id}: the repositories hold this version under different inventories")
    return digests.pop()


def record_version(
    archive: Archive,
    info: CaseInfo,
    version: int,
    files: Mapping[str, bytes],
    user: str,
    action: str,
    awaiting_signature: bool,
    also: Callable[[Session], None] | None = None,
    inventory_sha512: str | None = None,
) -> None:
    """The catalog rows of a stored version, with its audit event (and `also`) in one transaction."""
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
        # The catalog's row says what the head's sealed metadata says (verify compares them).
        case.sheets, case.title, case.academic_year = info.sheets, info.title, info.academic_year
        case.class_id, case.class_name, case.period_id = info.class_id, info.class_name, info.period_id
        case.retention_class, case.closed_on = info.retention.retention_class, info.retention.closed_on
        case.retain_until, case.legal_hold, case.superseded_by = (
            info.retention.retain_until, info.legal_hold, info.superseded_by)  # fmt: skip
        row = CaseVersion(
            case=case, number=version, message=action, user=user, created_at=now, inventory_sha512=inventory_sha512
        )
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
        if also is not None:
            also(session)
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
    holders = []
    for repository in archive.repositories:
        head = repository.head(case_id)
        if head is not None:
            holders.append((repository, head))
    if not holders:
        return None
    for source, head in holders:
        if not source.verify_object(case_id).ok:
            continue
        try:
            files = {path: source.read(case_id, path) for path in head.sha256}
        except StorageError:
            continue
        if head.number != 1 or not _intact(archive, files, case_id, 1):
            continue
        for repository in archive.repositories:
            current = repository.head(case_id)
            if current is not None and dict(current.sha256) != dict(head.sha256):
                raise ArchiveError(
                    f"{case_id}: the repositories hold different copies of a case the catalog does not know; "
                    f"run `archiver verify` (repository {repository.name!r})"
                )
        try:
            created: datetime | None = datetime.fromisoformat(head.created.replace("Z", "+00:00"))
        except ValueError:
            created = None
        written = store_version(archive, case_id, files, head.user or user, head.message, created)  # the same
        info = _info_from_metadata(files[METADATA])
        record_version(archive, info, 1, files, user, "archive", awaiting_signature, inventory_sha512=written)
        return CaseResult(case_id, info.title, "adopted", info.sheets)
    raise ArchiveError(f"{case_id}: a stored copy exists but none matches its sealed manifest; run `archiver verify`")


def _intact(archive: Archive, files: Mapping[str, bytes], case_id: str, version: int) -> bool:
    if MANIFEST not in files or SEAL not in files:
        return False
    if not check_seal(files[MANIFEST], files[SEAL], archive.trust_roots).ok:
        return False
    try:
        expected = parse_manifest(files[MANIFEST], case_id, version)
    except ValueError:
        return False
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


def catalog_head(archive: Archive, case_id: str) -> int | None:
    with archive.catalog.transaction() as session:
        case = session.get(Case, case_id)
        return case.head_version if case is not None else None


def read_intact(archive: Archive, case_id: str, version: int | None = None) -> dict[str, bytes]:
    """A version's files (the catalog's head by default) from the first repository whose copy of it
    matches its sealed manifest: never a version an interrupted run left beyond the catalog's head."""
    if version is None:
        version = catalog_head(archive, case_id)
        if version is None:
            raise ArchiveError(f"no case {case_id} in the catalog")
    for repository in archive.repositories:
        files = intact_files(archive, repository, case_id, version)
        if files is not None:
            return files
    raise ArchiveError(f"{case_id}: no repository holds an intact copy; run `archiver verify` and `archiver repair`")


def intact_files(archive: Archive, repository: Repository, case_id: str, version: int) -> dict[str, bytes] | None:
    """A version's files from one repository when they match its sealed manifest; otherwise None."""
    try:
        stored = repository.version(case_id, version)
        if stored is None:
            return None
        files = {path: repository.read(case_id, path, stored.version) for path in stored.sha256}
    except StorageError:
        return None
    return files if _intact(archive, files, case_id, version) else None


def sealed_act_names(archive: Archive, school_id: str, case_id: str) -> bool:
    """Whether a sealed disposal act in the school's acts case names `case_id` (newest first)."""
    acts = acts_case_id(school_id)
    for repository in archive.repositories:
        try:
            head = repository.head(acts)
        except StorageError:
            continue
        for number in range(head.number if head is not None else 0, 0, -1):
            files = intact_files(archive, repository, acts, number)
            try:
                if files is not None and json.loads(files[SOURCE]).get("case") == case_id:
                    return True
            except (KeyError, ValueError, AttributeError):
                continue
    return False


# The audit actions that record a stored version of a case (`record_version`: details["version"]).
VERSION_ACTIONS = ("archive", "sign", "supersede", "hold", "release", "act", "checkpoint")


def audited_versions(archive: Archive, case_id: str | None = None) -> dict[str, int]:
    """The newest version of each case (or of one) that the audit trail records as stored."""
    query = select(AuditEvent.object, AuditEvent.details).where(
        AuditEvent.action.in_(VERSION_ACTIONS), AuditEvent.outcome == "success"
    )
    if case_id is not None:
        query = query.where(AuditEvent.object == case_id)
    newest: dict[str, int] = {}
    with archive.catalog.transaction() as session:
        for obj, details in session.execute(query):
            number = details.get("version") if isinstance(details, dict) else None
            if isinstance(number, int) and number > newest.get(obj, 0):
                newest[obj] = number
    return newest


def refuse_rollback_of_audited(archive: Archive, case_id: str, head: int | None) -> None:
    """A version beyond the catalog's head that the audit trail records was stored and recorded: the catalog
    was set back, not a run interrupted. Nothing is set aside then."""
    recorded = audited_versions(archive, case_id).get(case_id, 0)
    if recorded > (head or 0):
        raise ArchiveError(
            f"{case_id}: the audit trail records v{recorded}, the catalog's head is "
            f"{f'v{head}' if head else 'none'}: the catalog was set back; nothing is set aside (`archiver verify`)"
        )


def _presence(repository: OcflRepository, case_id: str) -> ObjectCheck:
    """Whether the repository holds the object, as a check with no findings (nothing else is looked at)."""
    try:
        head = repository.head(case_id)
    except StorageError as exc:
        problem = Finding(case_id, repository.name, None, Code.INVENTORY, exc.message)
        return ObjectCheck(case_id, repository.name, (problem,), True, None)
    return ObjectCheck(case_id, repository.name, (), head is not None, head.number if head else None)


def reconcile(archive: Archive, case_id: str, user: str, *, thorough: bool = True) -> int | None:
    """Before a new version is written: every repository at the catalog's head, and sound. Versions an
    interrupted run left beyond it (in one repository or all) are set aside into quarantine, never built
    upon; an object the catalog does not know is set aside whole. A copy behind the catalog, or damaged,
    is for `archiver repair`: refused before anything is written. Returns the catalog's head (None: no
    such case). Not `thorough`: without checking every file of each copy (the audit case, which grows by a
    version with every run; `verify` checks it like any case)."""
    head = catalog_head(archive, case_id)
    refuse_rollback_of_audited(archive, case_id, head)
    for repository in archive.repositories:
        leftover = None
        check = repository.verify_object(case_id) if thorough else _presence(repository, case_id)
        if head is None:
            if check.present:
                leftover = repository.set_aside(case_id, reason="an object left by an interrupted run")
        elif not check.present:
            raise ArchiveError(
                f"repository {repository.name!r}: the copy of {case_id} is missing; run `archiver repair` first"
            )
        else:
            try:
                leftover = repository.roll_back(case_id, head, reason="a version left by an interrupted run")
            except StorageError as exc:
                raise ArchiveError(exc.message) from None
            if leftover is not None and thorough:
                check = repository.verify_object(case_id)
            if not check.ok:
                raise ArchiveError(
                    f"repository {repository.name!r}: the copy of {case_id} is damaged ({check.findings[0]}); "
                    "run `archiver verify` and `archiver repair` first"
                )
        if leftover is not None:
            with archive.catalog.transaction() as session:
                archive.catalog.record(session, user, "set aside", case_id, "success",
                                       {"repository": repository.name, "kept_aside": leftover})  # fmt: skip
    return head


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
    also: Callable[[Session], None] | None = None,
) -> int:
    """Store a new version of a case in every repository, read it back, and record it (the caller holds
    the case's lock). Leftovers of an interrupted run are set aside first."""
    return new_version_of(archive, info, {VOLUME: pdf, SOURCE: source}, user, action, message,
                          awaiting_signature=awaiting_signature, also=also)  # fmt: skip


def new_version_of(
    archive: Archive,
    info: CaseInfo,
    content: Mapping[str, bytes],
    user: str,
    action: str,
    message: str,
    *,
    awaiting_signature: bool,
    also: Callable[[Session], None] | None = None,
    reconciled: bool = False,
) -> int:
    """`new_version` with any content files (a checkpoint has no volume); `reconciled`: the caller has just
    reconciled the case under its lock."""
    head = catalog_head(archive, info.case_id) if reconciled else reconcile(archive, info.case_id, user)
    version = (head or 0) + 1
    files = sealed_files(archive, info, version, content)
    written = store_version(archive, info.case_id, files, user, message)
    record_version(archive, info, version, files, user, action, awaiting_signature, also, written)
    return version


def info_of(files: Mapping[str, bytes]) -> CaseInfo:
    return _info_from_metadata(files[METADATA])


def cleanup_staging(archive: Archive, older_than_seconds: int = 3600) -> None:
    """Remove what killed runs left in the repositories' work areas (never quarantine, locks or content)."""
    for repository in archive.repositories:
        repository.cleanup(older_than_seconds)


def remove_case(archive: Archive, case_id: str) -> None:
    for repository in archive.repositories:
        repository.remove(case_id)

"""Storing cases: the one path by which a version of a case is put in every repository, read back and
recorded in the catalog; reading intact copies back; and setting aside what interrupted runs left.

A version counts as stored only when every repository holds it and its digests were read back and
checked, and it is recorded in the catalog (its rows and its audit event) in one transaction after that.
A copy is intact when it matches its sealed manifest: two copies cannot outvote each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archiver.archive.cases import (
    FILE_ROLES,
    MANIFEST,
    METADATA,
    SEAL,
    SOURCE,
    VOLUME,
    CaseInfo,
    CaseStatus,
    Retention,
    acts_case_id,
    manifest_bytes,
    metadata_bytes,
    parse_manifest,
)
from archiver.archive.catalog.models import AuditEvent, Case, CaseVersion, Copy, Document, Signature
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.storage import Code, Finding, ObjectCheck, OcflRepository, Repository, StorageError
from archiver.rendering.pdfa import page_count
from signing import KeySigner, signature_levels
from signing.detached import check_seal, seal_bytes

__all__ = ["Archive", "ArchiveError"]  # re-exported for the operations that take the context from here


def case_files(archive: Archive, info: CaseInfo, version: int, pdf: bytes, source: bytes) -> dict[str, bytes]:
    return sealed_files(archive, info, version, {VOLUME: pdf, SOURCE: source})


def sealed_files(archive: Archive, info: CaseInfo, version: int, content: Mapping[str, bytes]) -> dict[str, bytes]:
    """A version's files: its content, metadata.json, and the manifest of them with its e-seal."""
    files = {**content, METADATA: metadata_bytes(info, version, archive.clock())}
    manifest = manifest_bytes(info.case_id, version, files)
    files[MANIFEST] = manifest
    files[SEAL] = seal_bytes(manifest, archive.eseal)
    return files


def signature_entry(
    field: str, role: str, key: KeySigner, when: datetime, signed: bytes, allowed_no_revocation: bool = False
) -> dict[str, str]:
    """What a version's sealed metadata says of a signature in its volume: who, when, and the PAdES level
    the signed file holds for it; a signature made without revocation data says so."""
    entry = {
        "field": field,
        "role": role,
        "signer": key.common_name,
        "certificate_serial": key.serial_hex,
        "signed_at": when.astimezone(UTC).isoformat(timespec="seconds"),
        "level": signature_levels(signed).get(field, "unknown"),
    }
    if allowed_no_revocation and entry["level"] in ("B-B", "B-T"):
        entry["revocation"] = "not obtained (signed with --allow-no-revocation)"
    return entry


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


def commit_version(
    archive: Archive,
    info: CaseInfo,
    version: int,
    files: Mapping[str, bytes],
    user: str,
    action: str,
    message: str,
    status: CaseStatus,
    *,
    also: Callable[[Session], None] | None = None,
    created: datetime | None = None,
    stored_by: str | None = None,
) -> None:
    """The one store path of every writer: put the version in every repository that lacks it, read it back,
    then record it in the catalog with its audit event (and `also`) in one transaction. The caller holds
    the case's lock. `created` and `stored_by`: what the repository records (when adopting a copy)."""
    written = store_version(archive, info.case_id, files, stored_by or user, message, created)
    record_version(archive, info, version, files, user, action, status, also, written)


def record_version(
    archive: Archive,
    info: CaseInfo,
    version: int,
    files: Mapping[str, bytes],
    user: str,
    action: str,
    status: CaseStatus,
    also: Callable[[Session], None] | None = None,
    inventory_sha512: str | None = None,
) -> None:
    """The catalog rows of a stored version, with its audit event (and `also`) in one transaction."""
    now = archive.clock()
    with archive.catalog.transaction() as session:
        case = session.get(Case, info.case_id)
        if case is None:
            case = Case(id=info.case_id, kind=info.kind, school_id=info.school_id, created_at=now)
            session.add(case)
        case_row(case, info, status, version)
        row = CaseVersion(
            case=case, number=version, message=action, user=user, created_at=now, inventory_sha512=inventory_sha512
        )
        version_rows(session, row, files, info.signatures)
        for repository in archive.repositories:
            session.add(Copy(version=row, repository=repository.name, verified_at=now, status="intact"))
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


def case_row(case: Case, info: CaseInfo, status: CaseStatus, head: int) -> None:
    """The catalog's row of a case says what its head's sealed metadata says (verify compares them)."""
    case.status, case.head_version = status, head
    case.sheets, case.title, case.academic_year = info.sheets, info.title, info.academic_year
    case.class_id, case.class_name, case.period_id = info.class_id, info.class_name, info.period_id
    case.retention_class, case.closed_on = info.retention.retention_class, info.retention.closed_on
    case.retain_until, case.legal_hold, case.superseded_by = (
        info.retention.retain_until, info.legal_hold, info.superseded_by)  # fmt: skip
    moved = info.transferred or {}
    case.transferred_on = date.fromisoformat(moved["on"]) if moved.get("on") else None
    case.transferred_to = moved.get("to")


def version_rows(
    session: Session, row: CaseVersion, files: Mapping[str, bytes], signatures: tuple[Mapping[str, str], ...]
) -> None:
    """A version's document rows (digests, sheets) and signature rows (from its sealed metadata)."""
    session.add(row)
    for path, data in sorted(files.items()):
        session.add(
            Document(
                version=row,
                path=path,
                role=FILE_ROLES.get(path, "other"),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                sha512=hashlib.sha512(data).hexdigest(),
                sheets=page_count(data) if path == VOLUME else None,
            )
        )
    for entry in signatures:
        session.add(
            Signature(
                version=row,
                document=VOLUME,
                field=entry["field"],
                role=entry["role"],
                signer=entry["signer"],
                certificate_serial=entry["certificate_serial"],
                signed_at=datetime.fromisoformat(entry["signed_at"]),
                deadline_missed=date.fromisoformat(entry["deadline_missed"]) if entry.get("deadline_missed") else None,
            )
        )


def is_intact(archive: Archive, files: Mapping[str, bytes], case_id: str, version: int) -> bool:
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


def info_from_metadata(data: bytes) -> CaseInfo:
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
        transferred=meta.get("transferred"),
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
    return files if is_intact(archive, files, case_id, version) else None


def sealed_act_names(archive: Archive, school_id: str, case_id: str) -> bool:
    """Whether a sealed disposal act in the school's acts case names `case_id` for removal: an act under
    execution or executed (archiver.operations.disposal), or an act of an earlier version (one case each)."""
    acts = acts_case_id(school_id)
    for repository in archive.repositories:
        try:
            head = repository.head(acts)
        except StorageError:
            continue
        for number in range(head.number if head is not None else 0, 0, -1):
            files = intact_files(archive, repository, acts, number)
            try:
                body = json.loads(files[SOURCE]) if files is not None else None
            except (KeyError, ValueError, RecursionError):
                continue
            if not isinstance(body, dict):
                continue
            if body.get("case") == case_id:
                return True
            registered = body.get("acts")
            if isinstance(registered, list) and any(
                isinstance(act, dict) and act.get("status") in ("executing", "executed")
                and isinstance(act.get("removed"), list) and case_id in act["removed"]
                for act in registered
            ):  # fmt: skip
                return True
    return False


# The audit actions that record a stored version of a case (`record_version`: details["version"]).
VERSION_ACTIONS = ("archive", "sign", "supersede", "hold", "release", "act", "checkpoint", "renew", "transfer")


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
    status: CaseStatus,
    also: Callable[[Session], None] | None = None,
) -> int:
    """Store a new version of a case in every repository, read it back, and record it (the caller holds
    the case's lock). Leftovers of an interrupted run are set aside first."""
    return new_version_of(archive, info, {VOLUME: pdf, SOURCE: source}, user, action, message,
                          status=status, also=also)  # fmt: skip


def new_version_of(
    archive: Archive,
    info: CaseInfo,
    content: Mapping[str, bytes],
    user: str,
    action: str,
    message: str,
    *,
    status: CaseStatus,
    also: Callable[[Session], None] | None = None,
    reconciled: bool = False,
) -> int:
    """`new_version` with any content files (a checkpoint has no volume); `reconciled`: the caller has just
    reconciled the case under its lock."""
    head = catalog_head(archive, info.case_id) if reconciled else reconcile(archive, info.case_id, user)
    version = (head or 0) + 1
    files = sealed_files(archive, info, version, content)
    commit_version(archive, info, version, files, user, action, message, status, also=also)
    return version


def info_of(files: Mapping[str, bytes]) -> CaseInfo:
    return info_from_metadata(files[METADATA])


def remove_case(archive: Archive, case_id: str) -> None:
    for repository in archive.repositories:
        repository.remove(case_id)

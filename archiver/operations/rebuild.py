"""Rebuilding a lost catalog from a repository: every object's versions, files, digests, signatures and
retention come back from the repository (through its interface) and each version's metadata.json. Only
objects the repository finds sound and every version of which matches its sealed manifest are adopted; the
rest are reported. The users and their certificates come back from the registry sealed with the latest
audit checkpoint; nobody becomes an admin by rebuilding (without a sealed registry, root or the service
account registers the first admin). The audit trail starts anew with the rebuild, naming the chains of the
checkpoints found, so that `verify` can tell a rebuilt trail from a replaced one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.archive.cases import KINDS, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case, CaseVersion, Copy, User
from archiver.archive.checkpoints import chains_in, latest_registry
from archiver.archive.context import Archive
from archiver.archive.registry import restore
from archiver.archive.storage import Repository, StorageError
from archiver.archive.store import case_row, info_of, intact_files, version_rows
from archiver.errors import BadInputError


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    skipped: tuple[str, ...]  # "object: why"
    users: int = 0  # users restored from the sealed registry


def rebuild_catalog(archive: Archive, source: Repository, user: str) -> Rebuilt:
    """Fill an empty catalog from `source`."""
    with archive.catalog.transaction() as session:
        if session.query(Case).count() or session.query(User).count():
            raise BadInputError("the catalog is not empty: rebuild fills a new, empty catalog")
    now = archive.clock()
    skipped: list[str] = []
    count = 0
    heads: dict[str, dict[str, bytes]] = {}
    with archive.catalog.transaction() as session:
        for object_id in source.object_ids():
            check = source.verify_object(object_id)
            if not check.ok or check.head is None:
                skipped.append(f"{object_id}: {check.findings[0] if check.findings else 'cannot be read'}")
                continue
            sealed = [intact_files(archive, source, object_id, n) for n in range(1, check.head + 1)]
            broken = [n for n, files in enumerate(sealed, 1) if files is None]
            if broken:
                skipped.append(f"{object_id}: version v{broken[0]} does not match its sealed manifest")
                continue
            head_files = sealed[-1]
            assert head_files is not None
            try:
                info = info_of(head_files)
            except (ValueError, KeyError, TypeError, AttributeError):
                skipped.append(f"{object_id}: its sealed metadata cannot be read")
                continue
            if info.kind not in set(CaseKind):
                skipped.append(f"{object_id}: its sealed metadata names an unknown kind {str(info.kind)[:40]!r}")
                continue
            heads[object_id] = head_files
            roles = [s.get("role") for s in info.signatures]
            if KINDS[CaseKind(info.kind)].director_signs and "director" not in roles:
                status = CaseStatus.AWAITING_SIGNATURE
            elif info.superseded_by:
                status = CaseStatus.SUPERSEDED
            else:
                status = CaseStatus.ARCHIVED
            case = Case(id=object_id, kind=info.kind, school_id=info.school_id, created_at=now)
            case_row(case, info, status, check.head)
            session.add(case)
            for number in range(1, check.head + 1):
                version = source.version(object_id, number)
                files = sealed[number - 1]
                assert version is not None and files is not None
                created = datetime.fromisoformat(version.created.replace("Z", "+00:00"))
                row = CaseVersion(case=case, number=number, message=version.message, user=version.user or "unknown",
                                  created_at=created, inventory_sha512=check.inventories.get(number))  # fmt: skip
                version_rows(session, row, files, info_of(files).signatures)
                for repository in archive.repositories:
                    try:
                        there = repository.head(object_id)
                    except StorageError:
                        continue
                    if there is not None and there.number >= number:
                        session.add(Copy(version=row, repository=repository.name, verified_at=now, status="unverified"))
            count += 1
        ids = sorted(heads)
        chains = chains_in(archive, ids, heads.get)
        archive.catalog.earlier_chains = tuple(sorted(chains))  # the checkpoint this run seals names them
        archive.catalog.record(session, user, "catalog rebuild", source.name, "success",
                               {"cases": count, "skipped": skipped[:50], "earlier_chains": sorted(chains)})  # fmt: skip
        sealed_registry = latest_registry(archive, ids, heads.get)
        users = 0
        if sealed_registry is not None:
            record, _, case_id = sealed_registry
            users = restore(archive.catalog, session, user, record, case_id)
    return Rebuilt(count, tuple(skipped), users)

"""Rebuilding a lost catalog from a repository: every object's versions, files, digests, signatures and
retention come back from its inventory and metadata.json. The audit trail starts anew with the rebuild."""

from __future__ import annotations

import json
from datetime import datetime

from archiver.catalog.models import Case, CaseVersion, Copy, Document, Signature, User
from archiver.errors import BadInputError
from archiver.package import METADATA, ROLES, VOLUME
from archiver.pdfa import page_count
from archiver.pipeline import Archive, info_of
from archiver.storage import OcflRepository


def rebuild_catalog(archive: Archive, source: OcflRepository, user: str) -> int:
    """Fill an empty catalog from `source`; returns the number of cases."""
    with archive.catalog.transaction() as session:
        if session.query(Case).count():
            raise BadInputError("the catalog is not empty: rebuild fills a new, empty catalog")
    holders = {r.name: r for r in archive.repositories}
    count = 0
    now = archive.clock()
    with archive.catalog.transaction() as session:
        if session.get(User, user) is None:
            session.add(User(name=user, role="admin", created_at=now))
        for object_id in source.object_ids():
            inventory = source.inventory(object_id)
            if inventory is None:
                continue
            head = int(inventory["head"][1:])
            head_files = {p: source.read(object_id, p) for p in (METADATA,)}
            info = info_of(head_files)
            roles = [s.get("role") for s in info.signatures]
            if info.kind in ("class_year", "summary") and "director" not in roles:
                status = "awaiting_signature"
            elif info.superseded_by:
                status = "superseded"
            else:
                status = "archived"
            case = Case(
                id=object_id, kind=info.kind, school_id=info.school_id, academic_year=info.academic_year,
                class_id=info.class_id, class_name=info.class_name, period_id=info.period_id, title=info.title,
                status=status, head_version=head, sheets=info.sheets, closed_on=info.retention.closed_on,
                retention_class=info.retention.retention_class, retain_until=info.retention.retain_until,
                legal_hold=info.legal_hold, superseded_by=info.superseded_by, created_at=now,
            )  # fmt: skip
            session.add(case)
            fixity = {p: d for d, paths in inventory["fixity"]["sha256"].items() for p in paths}
            for name, version in inventory["versions"].items():
                number = int(name[1:])
                created = datetime.fromisoformat(version["created"].replace("Z", "+00:00"))
                author = version.get("user", {}).get("name", "unknown")
                row = CaseVersion(case=case, number=number, message=version["message"], user=author, created_at=created)
                session.add(row)
                for digest, paths in version["state"].items():
                    content = inventory["manifest"][digest][0]
                    data_path = source.root / object_id / content
                    for logical in paths:
                        session.add(Document(
                            version=row, path=logical, role=ROLES.get(logical, "other"), size=data_path.stat().st_size,
                            sha256=fixity[content], sha512=digest,
                            sheets=page_count(data_path.read_bytes()) if logical == VOLUME else None,
                        ))  # fmt: skip
                metadata = json.loads(source.read(object_id, METADATA, name))
                for entry in metadata.get("signatures", []):
                    session.add(Signature(
                        version=row, document=VOLUME, field=entry["field"], role=entry["role"], signer=entry["signer"],
                        certificate_serial=entry["certificate_serial"],
                        signed_at=datetime.fromisoformat(entry["signed_at"]),
                    ))  # fmt: skip
                for repository in holders.values():
                    head_there = repository.head(object_id)
                    if head_there is not None and int(head_there.version[1:]) >= number:
                        session.add(Copy(version=row, repository=repository.name, verified_at=now, status="unverified"))
            count += 1
        archive.catalog.record(session, user, "catalog rebuild", source.name, "success", {"cases": count})
    return count

"""The audit trail anchored in the repositories: every run that recorded anything ends by sealing a
checkpoint of the chain (its id, the last event's id and hash, how many events) into the archive's own
audit case for the month, write-once like any case, with the registry of users and certificates as the
audit trail describes it.

A catalog edited afterwards cannot agree with what was sealed: the chain's hashes pin every event up to the
checkpointed one, so a truncated trail, a recomputed chain or a changed row is found by `verify`. What the
checkpoint cannot cover is the events of the run still under way (or of one killed before it sealed): the
window is one run. A catalog rebuilt from the repositories starts a new chain, and names the chains before
it; checkpoints of any other chain mean the trail was replaced.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archiver.archive.cases import CHECKPOINT, REGISTRY, SEPARATOR, CaseInfo, CaseKind, CaseStatus, retention_for
from archiver.archive.catalog.database import Sealed
from archiver.archive.catalog.models import AuditEvent, AuditHead
from archiver.archive.context import Archive, ArchiveError
from archiver.archive.registry import Registry, from_sealed, registry_event_ids, sealed_record
from archiver.archive.storage import Code, Finding, StorageError
from archiver.archive.store import intact_files, new_version_of, reconcile

PREFIX = f"archive{SEPARATOR}audit{SEPARATOR}"


@dataclass(frozen=True)
class Checkpoint:
    case_id: str
    version: int
    chain: str
    head_id: int
    head_hash: str
    count: int
    at: str
    unconfirmed: frozenset[int] = frozenset()  # registry events after the checkpoint before, not the archive's
    registry: Registry | None = None  # sealed with it

    @classmethod
    def parse(cls, case_id: str, version: int, files: Mapping[str, bytes]) -> Checkpoint:
        body = json.loads(files[CHECKPOINT])
        unconfirmed = frozenset(int(i) for i in body.get("unconfirmed", []))
        registry = from_sealed(json.loads(files[REGISTRY])) if REGISTRY in files else None
        return cls(case_id, version, str(body["chain"]), int(body["head_id"]), str(body["head_hash"]),
                   int(body["count"]), str(body["at"]), unconfirmed, registry)  # fmt: skip


def audit_case_id(moment: datetime) -> str:
    return f"{PREFIX}{moment:%Y-%m}"


def seal_checkpoint(archive: Archive, user: str) -> str | None:
    """Seal the audit chain's head into this month's audit case, unless the latest checkpoint already names
    it; returns the case id, or None when there was nothing new. Leftovers of an interrupted checkpoint
    are set aside first; a trail that disagrees with its last checkpoint is never sealed over. Changes to
    users made after the last checkpoint by anything but this process (a run killed before it sealed, or
    rows written into the catalog) are sealed as unconfirmed, and ignored from then on."""
    now = archive.clock()
    case_id = audit_case_id(now)
    chain = archive.catalog.chain_id()
    with archive.case_lock(case_id):
        archive.check_repositories()
        reconcile(archive, case_id, user, thorough=False)  # leftovers of an interrupted checkpoint set aside
        checkpoints, problems = latest_checkpoint(archive)
        problems += compare(archive, checkpoints)
        if problems:  # sealing now would anchor a trail that was tampered with over the evidence
            raise ArchiveError(f"the audit trail disagrees with its last sealed checkpoint ({problems[0].detail}); "
                               "run `archiver verify`")  # fmt: skip
        latest = checkpoints[-1] if checkpoints and checkpoints[-1].chain == chain else None
        with archive.catalog.transaction() as session:
            head = session.get(AuditHead, 1)
            assert head is not None
            count = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
            after = latest.head_id if latest is not None else 0
            pending = set(registry_event_ids(session, after)) - archive.catalog.own_events
            unconfirmed = sorted((latest.unconfirmed if latest is not None else frozenset()) | pending)
            body: dict[str, Any] = {
                "chain": chain,
                "head_id": head.last_id,
                "head_hash": head.last_hash,
                "count": count,
                "at": now.isoformat(timespec="seconds"),
                "unconfirmed": unconfirmed,
            }
            if archive.catalog.earlier_chains:
                body["earlier_chains"] = sorted(archive.catalog.earlier_chains)
            registry = sealed_record(archive.catalog, session)
            if latest is not None and _nothing_since(session, latest, head.last_id):
                return None
        archive.catalog.sealed = Sealed(head.last_id, from_sealed(registry))  # what this process sealed counts now

        content = {
            CHECKPOINT: (json.dumps(body, indent=2) + "\n").encode("utf-8"),
            REGISTRY: (json.dumps(registry, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
        }
        info = CaseInfo(
            case_id, CaseKind.AUDIT, "archive", "", "", None, None, None,
            f"Журнал аудита архива: контрольные точки, {now:%m.%Y}", 0, retention_for(CaseKind.AUDIT, now.date()),
        )  # fmt: skip
        message = f"Контрольная точка журнала аудита: событие {head.last_id}"
        version = new_version_of(archive, info, content, user, "checkpoint", message, status=CaseStatus.ARCHIVED,
                                 reconciled=True)  # fmt: skip
        archive.catalog.latest_checkpoint = Checkpoint.parse(case_id, version, content)
    return case_id


def latest_checkpoint(archive: Archive) -> tuple[list[Checkpoint], list[Finding]]:
    """`sealed_checkpoints(latest_only=True)`, without reading and checking the seal again when the latest
    audit case's head is still the one this process read or sealed."""
    cached = archive.catalog.latest_checkpoint
    if isinstance(cached, Checkpoint):
        try:
            newest = max(i for r in archive.repositories for i in r.object_ids() if i.startswith(PREFIX))
            heads = {getattr(r.head(cached.case_id), "number", None) for r in archive.repositories}
        except (StorageError, ValueError):
            heads, newest = set(), ""
        if newest == cached.case_id and heads == {cached.version}:
            return [cached], []
    checkpoints, problems = sealed_checkpoints(archive, latest_only=True)
    archive.catalog.latest_checkpoint = checkpoints[-1] if checkpoints else None
    return checkpoints, problems


def _nothing_since(session: Session, latest: Checkpoint, head_id: int) -> bool:
    """Whether the trail has not moved since the checkpoint but for that checkpoint's own record."""
    if head_id == latest.head_id:
        return True
    rows = session.execute(select(AuditEvent.action, AuditEvent.object).where(AuditEvent.id > latest.head_id)).all()
    return [tuple(r) for r in rows] == [("checkpoint", latest.case_id)]


def load_sealed(archive: Archive) -> None:
    """The registry sealed with the latest checkpoint is the one that counts in this process (with the
    changes it makes itself), whatever the catalog's trail says since; without a checkpoint, the trail."""
    checkpoints, _ = latest_checkpoint(archive)
    if checkpoints:
        latest = checkpoints[-1]
        archive.catalog.sealed = Sealed(latest.head_id, latest.registry or Registry())


def sealed_checkpoints(archive: Archive, *, latest_only: bool = False) -> tuple[list[Checkpoint], list[Finding]]:
    """The head checkpoint of every audit case any repository holds (or of the latest month's only), read from a
    copy whose sealed manifest verifies; a case no copy of which verifies is a finding (its copies are
    reported by the case checks)."""
    ids: set[str] = set()
    for repository in archive.repositories:
        try:
            ids.update(i for i in repository.object_ids() if i.startswith(PREFIX))
        except StorageError:
            continue  # the storage root's own check reports it
    found: list[Checkpoint] = []
    problems: list[Finding] = []
    for case_id in sorted(ids)[-1:] if latest_only else sorted(ids):
        checkpoint = None
        for repository in archive.repositories:
            try:
                head = repository.head(case_id)
            except StorageError:
                continue
            if head is None:
                continue
            files = intact_files(archive, repository, case_id, head.number)
            if files is not None and CHECKPOINT in files:
                try:
                    checkpoint = Checkpoint.parse(case_id, head.number, files)
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                    continue
                break
        if checkpoint is None:
            problems.append(Finding(case_id, None, None, Code.AUDIT, "no copy of this audit checkpoint verifies"))
        else:
            found.append(checkpoint)
    return found, problems


def checkpoint_findings(archive: Archive) -> list[Finding]:
    """The catalog's audit chain against the latest checkpoint sealed in the repositories (the chain's hashes
    pin every event up to it), and the changes to users that no run of the archive confirmed."""
    checkpoints, findings = sealed_checkpoints(archive, latest_only=True)
    findings += compare(archive, checkpoints)
    latest = checkpoints[-1] if checkpoints else None
    with archive.catalog.transaction() as session:
        after = latest.head_id if latest is not None and latest.chain == archive.catalog.chain_id() else 0
        for ident in registry_event_ids(session, after):
            if ident not in archive.catalog.own_events:
                findings.append(Finding("audit", None, None, Code.REGISTRY,
                    f"audit event {ident} changes users or certificates after the last sealed checkpoint, and no "
                    "run of the archive sealed it (a run killed before it could, or an edit of the catalog); it "
                    "does not count, and is sealed as unconfirmed by the next run"))  # fmt: skip
    return findings


def compare(archive: Archive, checkpoints: list[Checkpoint]) -> list[Finding]:
    """What the catalog's audit chain does not agree with in the latest of these checkpoints."""
    if not checkpoints:
        return []
    last = checkpoints[-1]
    chain = archive.catalog.chain_id()
    where = f"the checkpoint sealed at {last.at} ({last.case_id} v{last.version})"
    if last.chain != chain:
        if last.chain in archive.catalog.earlier_chains:
            return []  # this process rebuilt the catalog: its first checkpoint names the chains before it
        return [Finding("audit", None, None, Code.AUDIT,
            f"the catalog's audit trail ({chain}) is not the one {where} names ({last.chain}): the trail was "
            "replaced")]  # fmt: skip
    findings: list[Finding] = []
    with archive.catalog.transaction() as session:
        event = session.get(AuditEvent, last.head_id)
        if event is None:
            findings.append(Finding("audit", None, None, Code.AUDIT,
                f"{where} names event {last.head_id}, which the catalog no longer has: the audit trail was "
                "truncated"))  # fmt: skip
        elif event.hash != last.head_hash:
            findings.append(Finding("audit", None, None, Code.AUDIT,
                f"event {last.head_id} differs from {where}: the audit trail was rewritten"))  # fmt: skip
        count = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= last.head_id)
        ).scalar_one()
        if event is not None and count != last.count:
            findings.append(Finding("audit", None, None, Code.AUDIT,
                f"{count} events up to event {last.head_id}, {where} counted {last.count}: events were "
                "removed or inserted"))  # fmt: skip
    return findings


def latest_registry(archive: Archive, source_ids: list[str], read: Any) -> tuple[dict[str, Any], str, str] | None:
    """The registry sealed with the latest checkpoint, and its chain and case (for a rebuild)."""
    best: tuple[str, dict[str, Any], str, str] | None = None
    for case_id in sorted(i for i in source_ids if i.startswith(PREFIX)):
        files = read(case_id)
        if files is None or CHECKPOINT not in files or REGISTRY not in files:
            continue
        try:
            body = json.loads(files[CHECKPOINT])
            registry = json.loads(files[REGISTRY])
        except ValueError:
            continue
        key = str(body.get("at", ""))
        if isinstance(registry, dict) and (best is None or key > best[0]):
            best = (key, registry, str(body.get("chain")), case_id)
    return (best[1], best[2], best[3]) if best is not None else None


def chains_in(archive: Archive, source_ids: list[str], read: Any) -> set[str]:
    """Every audit chain the checkpoints of these cases name (every version: a rebuild accounts for them)."""
    chains = set()
    for case_id in source_ids:
        if not case_id.startswith(PREFIX):
            continue
        files = read(case_id)
        if files is not None and CHECKPOINT in files:
            try:
                chains.add(str(json.loads(files[CHECKPOINT])["chain"]))
            except (ValueError, KeyError, TypeError):
                continue
    return chains

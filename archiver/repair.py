"""Repairing copies: a missing or damaged copy is replaced by a copy proven intact; the damaged one is
kept aside in the repository's staging area, never destroyed. With no intact copy nothing is changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.pipeline import Archive
from archiver.verify import CopyResult, check_copy, snapshots, verify_archive

# Problems a repository copy cannot fix: the catalog or the audit trail is what is wrong.
NOT_IN_THE_COPY = {"catalog", "audit"}


@dataclass(frozen=True)
class RepairResult:
    case_id: str
    repository: str
    outcome: str  # repaired, failed, not repairable
    detail: str
    kept_aside: str | None = None


def repair(archive: Archive, user: str, case_id: str | None = None) -> list[RepairResult]:
    """Repair every broken copy: file by file from any repository holding the same content (checked
    against the inventory), or the whole object from an intact copy when the inventory is damaged."""
    archive.check_repositories()
    report = verify_archive(archive, user, case_id=case_id)
    by_case: dict[str, list[CopyResult]] = {}
    for copy in report.copies:
        by_case.setdefault(copy.case_id, []).append(copy)
    results: list[RepairResult] = []
    for case, copies in by_case.items():
        broken = [c for c in copies if c.status != "intact" and _copy_problem(c)]
        if not broken:
            continue
        intact = [c for c in copies if c.status == "intact"]
        snapshot = next(s for s in snapshots(archive, case) if s.case_id == case)
        for copy in broken:
            target = next(r for r in archive.repositories if r.name == copy.repository)
            whole = copy.status == "missing" or any(f.code == "inventory" for f in copy.findings)
            with archive.case_lock(case):
                if whole:
                    if not intact:
                        nothing = "no repository holds an intact copy: nothing was changed"
                        results.append(RepairResult(case, target.name, "not repairable", nothing))
                        _audit(archive, user, case, "failure", {"repository": target.name, "reason": "no intact copy"})
                        continue
                    source = next(r for r in archive.repositories if r.name == intact[0].repository)
                    aside = _replace_copy(source.root / case, target.root / case, target.staging, archive)
                    detail = f"whole copy from {source.name}"
                else:
                    others = [r for r in archive.repositories if r.name != target.name]
                    plan = _file_plan(target.root / case, [r.root / case for r in others])
                    if plan is None:
                        nothing = "no repository holds the damaged files intact: nothing was changed"
                        results.append(RepairResult(case, target.name, "not repairable", nothing))
                        _audit(archive, user, case, "failure", {"repository": target.name, "reason": "no good file"})
                        continue
                    aside = _apply_plan(plan, target.root / case, target.staging, archive)
                    detail = f"{len(plan)} file(s) restored"
            check = check_copy(target.name, target.root, snapshot, archive.trust_roots)
            if check.status == "intact":
                results.append(RepairResult(case, target.name, "repaired", detail, aside))
                _audit(archive, user, case, "success",
                       {"repository": target.name, "detail": detail, "kept_aside": aside})  # fmt: skip
            else:
                results.append(RepairResult(case, target.name, "failed", "; ".join(str(f) for f in check.findings)))
                _audit(archive, user, case, "failure", {"repository": target.name})
    return results


def _file_plan(target: Path, others: list[Path]) -> list[tuple[str, Path | None]] | None:
    """(content path, good source file or None to take the file away) for every bad file; None when some
    damaged file has no good copy anywhere."""
    inventory = json.loads((target / "inventory.json").read_bytes())
    listed: set[str] = set()
    plan: list[tuple[str, Path | None]] = []
    for digest, paths in inventory["manifest"].items():
        for content in paths:
            listed.add(content)
            path = target / content
            if path.is_file() and _sha512(path) == digest:
                continue
            source = next(
                (o / content for o in others if (o / content).is_file() and _sha512(o / content) == digest), None
            )
            if source is None:
                return None
            plan.append((content, source))
    for path in sorted(target.rglob("*")):
        relative = path.relative_to(target).as_posix()
        if path.is_file() and relative not in listed and not _structural(relative):
            plan.append((relative, None))  # an extra file: taken away (kept aside)
    return plan


def _apply_plan(plan: list[tuple[str, Path | None]], target: Path, staging: Path, archive: Archive) -> str | None:
    quarantine = staging / "quarantine" / f"{target.name}.{archive.clock().strftime('%Y%m%dT%H%M%S')}"
    kept = False
    for content, source in plan:
        destination = target / content
        if destination.exists():
            (quarantine / content).parent.mkdir(parents=True, exist_ok=True)
            os.rename(destination, quarantine / content)  # kept, not destroyed
            kept = True
        if source is not None:
            destination.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".repair.")
            with os.fdopen(handle, "wb") as out, open(source, "rb") as data:
                shutil.copyfileobj(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.rename(temporary, destination)
    return str(quarantine) if kept else None


def _sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _structural(relative: str) -> bool:
    from archiver.verify import _is_structural

    return _is_structural(relative)


def _copy_problem(copy: CopyResult) -> bool:
    return copy.status == "missing" or any(f.code not in NOT_IN_THE_COPY for f in copy.findings)


def _replace_copy(source: Path, target: Path, staging: Path, archive: Archive) -> str | None:
    """Put a copy of `source` at `target`, moving whatever was at `target` into quarantine first."""
    staging.mkdir(parents=True, exist_ok=True)
    stamp = archive.clock().strftime("%Y%m%dT%H%M%S")
    kept: str | None = None
    if target.exists():
        quarantine = staging / "quarantine"
        quarantine.mkdir(exist_ok=True)
        aside = quarantine / f"{target.name}.{stamp}"
        os.rename(target, aside)  # kept, not destroyed
        kept = str(aside)
    temporary = Path(tempfile.mkdtemp(dir=staging, prefix=f"repair.{target.name}."))
    try:
        shutil.copytree(source, temporary / target.name)
        for directory, _, files in os.walk(temporary / target.name):
            for name in files:
                with open(Path(directory) / name, "rb") as handle:
                    os.fsync(handle.fileno())
        os.rename(temporary / target.name, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return kept


def _audit(archive: Archive, user: str, case: str, outcome: str, details: dict[str, Any]) -> None:
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, "repair", case, outcome, details)

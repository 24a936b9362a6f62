"""Repairing copies: a missing or damaged copy is replaced by a copy proven intact (it matches its
sealed manifest, its signatures validate, its repository finds nothing wrong with it); versions left by
an interrupted run are set aside; junk and links in a storage root are moved out of it. Whatever is taken
out is kept in the repository's quarantine, never destroyed. With no intact copy nothing is changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archiver.archive.context import Archive, ArchiveError
from archiver.archive.roles import require
from archiver.archive.storage import Code, Finding, StorageError
from archiver.archive.store import refuse_rollback_of_audited
from archiver.operations.integrity import CaseSnapshot, CopyResult, check_copy, known_case, snapshots, verify_archive


@dataclass(frozen=True)
class RepairResult:
    case_id: str
    repository: str
    outcome: str  # repaired, failed, not repairable
    detail: str
    kept_aside: str | None = None


def repair(archive: Archive, user: str, case_id: str | None = None) -> list[RepairResult]:
    """Repair every broken copy (or one case's) from intact copies in the other repositories."""
    require(archive.catalog, user, "repair", case_id or "archive")
    known_case(archive, case_id)
    archive.check_repositories(for_repair=True)
    report = verify_archive(archive, user, case_id=case_id)
    results: list[RepairResult] = []
    if case_id is None:
        results += _repair_roots(archive, user, [f for f in report.findings if f.case_id == "storage-root"])
    broken: dict[str, list[CopyResult]] = {}
    for copy in report.copies:
        if copy.status == "missing" or copy.copy_problems:
            broken.setdefault(copy.case_id, []).append(copy)
    for case, copies in broken.items():
        with archive.case_lock(case):
            current = snapshots(archive, case)  # read under the lock: a run may have added a version since
            if not current:
                continue
            # Leftovers of an interrupted run first: a copy that is only ahead of the catalog becomes the
            # intact copy that a damaged one is restored from (a run that could not write its new version
            # into the damaged copy leaves one behind in the other).
            copies.sort(key=lambda c: not _only_ahead(c, current[0]))
            for copy in copies:
                results.append(_repair_copy(archive, user, current[0], copy.repository))
    return results


def _repair_copy(archive: Archive, user: str, snapshot: CaseSnapshot, name: str) -> RepairResult:
    """One copy, against the current state of the others: roll back what an interrupted run left, else
    the whole copy from an intact one, else file by file from the others (all found before any change)."""
    case = snapshot.case_id
    target = archive.repository(name)
    copy = check_copy(target, snapshot, archive.trust_roots)
    if copy.status == "intact":
        return RepairResult(case, name, "repaired", "intact when repair reached it")
    if _only_ahead(copy, snapshot):
        try:
            refuse_rollback_of_audited(archive, case, snapshot.head_version)
        except ArchiveError as exc:
            return RepairResult(case, name, "failed", exc.message)
        try:
            aside = target.roll_back(case, snapshot.head_version, reason="versions left by an interrupted run")
        except StorageError:
            aside = None
        if aside is not None:
            detail = f"versions after v{snapshot.head_version} left by an interrupted run set aside"
            copy = check_copy(target, snapshot, archive.trust_roots)
            if copy.status == "intact":
                return _rechecked(archive, user, snapshot, target.name, detail, aside)
    others = [r for r in archive.repositories if r.name != name]
    intact = [r for r in others if check_copy(r, snapshot, archive.trust_roots).status == "intact"]
    problems = "; ".join(str(f) for f in copy.copy_problems[:5]) or "missing"
    try:
        if intact:
            reason = f"replaced by repair from {intact[0].name}: {problems}"[:2000]
            aside = target.restore_from(intact[0], case, reason=reason)
            detail = f"the copy restored from {intact[0].name}"
        elif copy.status != "missing":
            aside = target.restore_files(others, case, reason=f"replaced by repair: {problems}"[:2000])
            detail = "damaged files restored from the other repositories"
        else:
            raise StorageError("no repository holds an intact copy; nothing was changed")
    except StorageError as exc:
        detail = f"not repaired: {exc.message}"
        _audit(archive, user, case, "failure", {"repository": name, "reason": exc.message})
        return RepairResult(case, name, "not repairable", detail)
    return _rechecked(archive, user, snapshot, name, detail, aside)


def _rechecked(
    archive: Archive, user: str, snapshot: CaseSnapshot, name: str, detail: str, aside: str | None
) -> RepairResult:
    case = snapshot.case_id
    check = check_copy(archive.repository(name), snapshot, archive.trust_roots)
    if check.status == "intact":
        _audit(archive, user, case, "success", {"repository": name, "detail": detail, "kept_aside": aside})
        return RepairResult(case, name, "repaired", detail, aside)
    problems = [str(f) for f in check.findings]
    _audit(archive, user, case, "failure", {"repository": name, "detail": detail, "problems": problems[:20]})
    return RepairResult(case, name, "failed", "; ".join(problems[:5]), aside)


def _only_ahead(copy: CopyResult, snapshot: CaseSnapshot) -> bool:
    """The copy has versions after the catalog's head (an interrupted run's leftovers), and no other problem
    than what they cause."""
    problems = copy.copy_problems
    head = snapshot.head_version
    later = [f for f in problems if f.file and f.file.split("/")[0] in {f"v{n}" for n in range(head + 1, head + 100)}]
    return (
        bool(problems)
        and copy.head is not None
        and (copy.head > head or bool(later))
        and all(f.code == Code.VERSION for f in problems)
    )


def _repair_roots(archive: Archive, user: str, findings: list[Finding]) -> list[RepairResult]:
    """Junk and links in a storage root are set aside; a missing declaration is written again."""
    results: list[RepairResult] = []
    for finding in findings:
        repository = archive.repository(finding.repository)
        try:
            if finding.code == Code.ROOT:
                repository.restore_declarations()
                detail, aside = "the storage root's declaration written again", None
            elif finding.code in (Code.EXTRA, Code.SYMLINK) and finding.file:
                aside = repository.set_aside(finding.file, reason=finding.detail)
                detail = f"{finding.file} set aside"
            else:
                continue
        except StorageError as exc:
            results.append(RepairResult("storage-root", repository.name, "failed", exc.message))
            continue
        _audit(archive, user, "storage-root", "success", {"repository": repository.name, "detail": detail})
        results.append(RepairResult("storage-root", repository.name, "repaired", detail, aside))
    return results


def _audit(archive: Archive, user: str, case: str, outcome: str, details: dict[str, Any]) -> None:
    with archive.catalog.transaction() as session:
        archive.catalog.record(session, user, "repair", case, outcome, details)

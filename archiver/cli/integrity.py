"""`archiver verify` and `archiver repair`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from archiver.cli.main import Runtime, cli
from archiver.cli.opening import open_archive
from archiver.errors import EXIT_PROBLEMS, ArchiverError, BadInputError
from archiver.files import write_atomically
from archiver.repair import repair
from archiver.roles import require
from archiver.verify import verify_archive


class ProblemsFound(ArchiverError):
    """Problems were found and already reported by the command: exit 1."""

    code = "problems-found"
    exit_code = EXIT_PROBLEMS
    reported = True


@cli.command()
@click.option("--case", "case_id", help="Only this case.")
@click.option("--repository", help="Only this repository.")
@click.option("--report", type=click.Path(path_type=Path), help="Also write a sealed PDF/A report (акт проверки).")
@click.option("--deep", is_flag=True, help="Also recompute every file's SHA-512 (the OCFL manifest digests).")
@click.pass_obj
def verify(runtime: Runtime, case_id: str | None, repository: str | None, report: Path | None, deep: bool) -> None:
    """Re-verify every copy: digests, inventories, sealed manifests, signatures, sheet counts, catalog.

    Exit 0 when everything is intact, 1 when problems were found (each reported with its place).
    """
    archive = open_archive(runtime, need_key=report is not None)
    require(archive.catalog, runtime.user, "verify", case_id or "archive")
    if repository is not None and repository not in {r.name for r in archive.repositories}:
        raise BadInputError(
            f"no repository {repository!r} (repositories: {', '.join(r.name for r in archive.repositories)})"
        )
    result = verify_archive(archive, runtime.user, case_id=case_id, repository=repository, deep=deep)
    if report is not None:
        from archiver.verify_report import sealed_report

        write_atomically(report, sealed_report(archive, result))
    intact = sum(1 for c in result.copies if c.status == "intact")
    lines = [str(f) for f in result.findings]
    lines.append(
        f"{result.cases} case(s), {len(result.copies)} copies: {intact} intact, "
        f"{len(result.copies) - intact} with problems; {len(result.findings)} problem(s)"
    )
    runtime.emit(result.as_dict(), "\n".join(lines))
    if not result.ok:
        raise ProblemsFound(f"{len(result.findings)} problem(s) found")


@cli.command("repair")
@click.option("--case", "case_id", help="Only this case.")
@click.pass_obj
def repair_command(runtime: Runtime, case_id: str | None) -> None:
    """Restore missing or damaged copies from a copy that matches its sealed manifest.

    The damaged copy is kept aside in the repository's staging area. When no intact copy exists,
    nothing is changed and the exit code is 1.
    """
    archive = open_archive(runtime, need_key=False)
    require(archive.catalog, runtime.user, "repair", case_id or "archive")
    results = repair(archive, runtime.user, case_id)
    lines = [f"{r.repository}/{r.case_id}: {r.outcome} — {r.detail}" for r in results] or ["nothing to repair"]
    runtime.emit({"ok": all(r.outcome == "repaired" for r in results), "repairs": [asdict(r) for r in results]},
                 "\n".join(lines))  # fmt: skip
    failed = [r for r in results if r.outcome != "repaired"]
    if failed:
        raise ProblemsFound(f"{len(failed)} copy(ies) could not be repaired")


@cli.group("catalog")
def catalog_group() -> None:
    """The catalog itself: rebuild it from a repository when it is lost."""


@catalog_group.command("rebuild")
@click.option("--from", "repository", required=True, help="The repository to rebuild from.")
@click.pass_obj
def catalog_rebuild(runtime: Runtime, repository: str) -> None:
    """Rebuild a lost catalog (an empty one at the configured URL) from a repository's objects.

    The users and the audit trail of the lost catalog cannot come back: the acting user becomes an
    admin, and the new trail starts with the rebuild. Run `archiver verify` afterwards.
    """
    from archiver.rebuild import rebuild_catalog

    archive = open_archive(runtime, need_key=False)
    source = next((r for r in archive.repositories if r.name == repository), None)
    if source is None:
        raise BadInputError(
            f"no repository {repository!r} (repositories: {', '.join(r.name for r in archive.repositories)})"
        )
    source.check()
    count = rebuild_catalog(archive, source, runtime.user)
    runtime.emit(
        {"ok": True, "cases": count, "from": repository}, f"catalog rebuilt from {repository}: {count} case(s)"
    )

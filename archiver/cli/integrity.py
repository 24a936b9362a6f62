"""`archiver verify` and `archiver repair`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import click

from archiver.archive.roles import RefusedError
from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.cli.progress import Bar
from archiver.cli.session import open_archive
from archiver.errors import EXIT_PROBLEMS, ArchiverError, BadInputError
from archiver.files import PRIVATE_FILE, write_atomically
from archiver.operations.integrity import verify_archive
from archiver.operations.quarantine import purge_quarantine, quarantine_entries
from archiver.operations.repair import repair


class ProblemsFound(ArchiverError):
    """Problems were found and already reported by the command: exit 1."""

    code = "problems-found"
    exit_code = EXIT_PROBLEMS
    reported = True


class Duration(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A span of time: 90s, 30m, 2h, 90d."""

    name = "duration"
    UNITS: ClassVar[dict[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().lower()
        if len(text) >= 2 and text[-1] in self.UNITS and text[:-1].isdigit() and 0 < int(text[:-1]) < 10**7:
            return timedelta(seconds=int(text[:-1]) * self.UNITS[text[-1]])
        self.fail(f"{value!r} is not a duration such as 90s, 30m, 2h or 90d", param, ctx)


@cli.command()
@click.option("--case", "case_id", help="Only this case.")
@click.option("--repository", help="Only this repository.")
@click.option("--report", type=click.Path(path_type=Path), help="Also write a sealed PDF/A report (акт проверки).")
@click.option("--deep", is_flag=True, help="Also recompute every file's SHA-512 (the OCFL manifest digests).")
@click.option("--due", is_flag=True,
              help="The copies checked longest ago first: with --budget as many as fit, else the overdue ones "
                   "([integrity] full_cycle_days).")  # fmt: skip
@click.option("--budget", type=Duration(), help="With --due: stop starting checks after this long (e.g. 30m).")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), metavar="DATE",
              help="Validate the signatures as of this date (UTC) from the files alone, fetching nothing.")  # fmt: skip
@click.pass_obj
def verify(
    runtime: Runtime,
    case_id: str | None,
    repository: str | None,
    report: Path | None,
    deep: bool,
    due: bool,
    budget: timedelta | None,
    at: datetime | None,
) -> None:
    """Re-verify every copy: files, digests, inventories, sealed manifests, signatures, sheet counts, catalog.

    Exit 0 when everything is intact, 1 when problems were found (each reported with its place). An
    auditor may verify too: only the audit event is written.
    """
    if budget is not None and not due:
        raise click.UsageError("--budget goes with --due")
    if report is not None:
        refuse_archive_paths(runtime, report)
    archive = open_archive(runtime)
    with Bar(runtime, 0, "Проверка") as bar:
        result = verify_archive(archive, runtime.user, case_id=case_id, repository=repository, deep=deep, due=due,
                                budget=budget, progress=bar.update, planned=bar.start,
                                as_of=at.replace(tzinfo=UTC) if at is not None else None)  # fmt: skip
    for warning in result.warnings:
        if not runtime.json:
            click.echo(f"archiver: warning: {warning}", err=True)
    if report is not None:
        from archiver.operations.report import sealed_report

        write_atomically(report, sealed_report(archive, result), mode=PRIVATE_FILE)  # names cases and people
    intact = sum(1 for c in result.copies if c.status == "intact")
    lines = [str(f) for f in result.findings]
    lines.append(
        f"{result.cases} case(s), {len(result.copies)} copies: {intact} intact, "
        f"{len(result.copies) - intact} with problems; {len(result.findings)} problem(s)"
        + (f"; {result.remaining} copies left for the next run" if result.remaining else "")
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
    archive = open_archive(runtime)
    results = repair(archive, runtime.user, case_id)
    lines = [f"{r.repository}/{r.case_id}: {r.outcome} — {r.detail}" for r in results] or ["nothing to repair"]
    runtime.emit({"ok": all(r.outcome == "repaired" for r in results), "repairs": [asdict(r) for r in results]},
                 "\n".join(lines))  # fmt: skip
    failed = [r for r in results if r.outcome != "repaired"]
    if failed:
        raise ProblemsFound(f"{len(failed)} copy(ies) could not be repaired")


@cli.group("catalog")
def catalog_group() -> None:
    """The catalog itself: upgrade its schema after installing a new archiver; rebuild it when it is lost."""


@catalog_group.command("upgrade")
@click.pass_obj
def catalog_upgrade(runtime: Runtime) -> None:
    """Bring the catalog's schema to this archiver's version (its migrations, each in a transaction).

    Run by root or the service account ([security] service_account) after installing a new version; every
    other command refuses a catalog that is behind. Back up the catalog first.
    """
    from archiver.archive.catalog.database import shown_url, upgrade_catalog
    from archiver.archive.identity import current_account

    account = current_account(runtime.config.security.service_account or None)
    if not account.is_os_admin:
        raise RefusedError(
            f"refused: the OS account {account.login!r} may not upgrade the catalog (root or the service account "
            "named in [security] service_account may)"
        )
    url = runtime.config.catalog_url()
    before, after = upgrade_catalog(url)
    if before != after:
        from archiver.archive.catalog import open_catalog

        catalog = open_catalog(url)
        with catalog.transaction() as session:
            catalog.record(session, f"({account.login})", "catalog upgrade", "catalog", "success",
                           {"from": before, "to": after})  # fmt: skip
        catalog.engine.dispose()
    human = f"catalog {shown_url(url)}: " + (f"upgraded from {before or 'nothing'} to {after}" if before != after
                                              else f"already at {after}")  # fmt: skip
    runtime.emit({"ok": True, "catalog": shown_url(url), "from": before, "to": after}, human)


@catalog_group.command("rebuild")
@click.option("--from", "repository", required=True, help="The repository to rebuild from.")
@click.pass_obj
def catalog_rebuild(runtime: Runtime, repository: str) -> None:
    """Rebuild a lost catalog (an empty one at the configured URL) from a repository's objects.

    Only objects every version of which matches its sealed manifest are adopted. The users and their
    certificates come back from the registry sealed with the latest audit checkpoint; nobody becomes an
    admin by rebuilding. The audit trail of the lost catalog cannot come back: the new trail starts with
    the rebuild. Run by root or the service account ([security] service_account); then `archiver verify`.
    """
    from archiver.archive.identity import current_account
    from archiver.operations.rebuild import rebuild_catalog

    account = current_account(runtime.config.security.service_account or None)
    if not account.is_os_admin:
        raise RefusedError(
            f"refused: the OS account {account.login!r} may not rebuild the catalog (root or the service account "
            "named in [security] service_account may)"
        )
    archive = open_archive(runtime, migrate=True)  # a new, empty database gets the schema
    runtime.user = runtime.user or f"({account.login})"
    source = next((r for r in archive.repositories if r.name == repository), None)
    if source is None:
        raise BadInputError(
            f"no repository {repository!r} (repositories: {', '.join(r.name for r in archive.repositories)})"
        )
    source.check()
    rebuilt = rebuild_catalog(archive, source, runtime.user)
    lines = [f"not adopted: {why}" for why in rebuilt.skipped]
    lines.append(
        f"catalog rebuilt from {repository}: {rebuilt.cases} case(s), {len(rebuilt.skipped)} not adopted, "
        f"{rebuilt.users} user(s) restored from the sealed registry"
    )
    if not rebuilt.users:
        lines.append(
            "no sealed registry of users was found: root or the service account registers the first admin "
            "(`archiver users add NAME --role admin --os-user LOGIN`)"
        )
    runtime.emit({"ok": not rebuilt.skipped, "cases": rebuilt.cases, "from": repository, "users": rebuilt.users,
                  "skipped": list(rebuilt.skipped)}, "\n".join(lines))  # fmt: skip
    if rebuilt.skipped:
        raise ProblemsFound(f"{len(rebuilt.skipped)} object(s) were not adopted")


@cli.group()
def quarantine() -> None:
    """What was taken out of the repositories (damaged copies, leftovers of interrupted runs, junk).

    It is kept beside each repository until an admin purges it explicitly.
    """


@quarantine.command("list")
@click.pass_obj
def quarantine_list(runtime: Runtime) -> None:
    """Every entry of every repository's quarantine: where from, why, when, how large."""
    entries = quarantine_entries(open_archive(runtime), runtime.user)
    lines = [f"{e.repository}: {e.at:%Y-%m-%d %H:%M} {e.subject} — {e.reason} ({e.size} bytes)\n  {e.path}"
             for e in entries] or ["the quarantine is empty"]  # fmt: skip
    runtime.emit({"ok": True, "entries": [e.as_dict() for e in entries]}, "\n".join(lines))


@quarantine.command("purge")
@click.option("--older-than", "older_than", type=Duration(), required=True, help="e.g. 90d.")
@click.pass_obj
def quarantine_purge(runtime: Runtime, older_than: timedelta) -> None:
    """Delete quarantine entries older than the given age (admins only; recorded in the audit trail)."""
    purged = purge_quarantine(open_archive(runtime), runtime.user, older_than)
    runtime.emit({"ok": True, "purged": [e.as_dict() for e in purged]},
                 f"{len(purged)} quarantine entr{'y' if len(purged) == 1 else 'ies'} purged")  # fmt: skip

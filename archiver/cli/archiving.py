"""`archiver archive quarter|year`, `archiver sign`, `archiver status`, `retention`, `dispose`."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from archiver.archive.keys import read_passphrase
from archiver.cli.integrity import ProblemsFound
from archiver.cli.main import Runtime, cli
from archiver.cli.progress import Bar
from archiver.cli.session import load_key_file, open_archive
from archiver.ingest.importers import load_export
from archiver.ingest.model import JournalExport
from archiver.operations.archiving import CaseResult, archive_period, archive_year
from archiver.operations.renewal import renew
from archiver.operations.retention import dispose, retention_rows, set_hold
from archiver.operations.signing import sign_pending
from archiver.operations.status import status
from signing import KeySigner


def _report(runtime: Runtime, results: list[CaseResult], verb: str) -> None:
    payload = {"ok": True, "cases": [asdict(r) for r in results]}
    lines = [f"{r.case_id}: {r.outcome} ({r.sheets} sheets) — {r.title}" for r in results]
    lines.append(f"{len(results)} case(s) {verb}")
    runtime.emit(payload, "\n".join(lines))


@cli.group()
def archive() -> None:
    """Archive a period or the year: each case sealed, stored in every repository, catalogued."""


@archive.command("quarter")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--period", "period_id", required=True, help="The period's id in the export (q1 … q4, h1, ...).")
@click.option("--class", "class_names", multiple=True, metavar="CLASS", help="Only these classes (repeatable).")
@click.option("--allow-no-revocation", is_flag=True,
              help="Sign even where no revocation data (CRL, OCSP) can be had; the case records it.")  # fmt: skip
@click.pass_obj
def archive_quarter(
    runtime: Runtime, file: Path, period_id: str, class_names: tuple[str, ...], allow_no_revocation: bool
) -> None:
    """Each class's archive copy at the end of a period; it supersedes the class's earlier copy."""
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation
    bar = Bar(runtime, 0, period_id)

    def export() -> JournalExport:  # read once the user's role allows archiving
        loaded = load_export(file, format=runtime.config.input.format, limits=runtime.config.input.limits())
        bar.start(len(class_names) or len(loaded.classes))
        return loaded

    with bar:
        results = archive_period(archive_, export, period_id, class_names, runtime.user, progress=bar.update)
    _report(runtime, results, "archived")


@archive.command("year")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--allow-no-revocation", is_flag=True,
              help="Sign even where no revocation data (CRL, OCSP) can be had; the case records it.")  # fmt: skip
@click.pass_obj
def archive_year_command(runtime: Runtime, file: Path, allow_no_revocation: bool) -> None:
    """Every class's journal volume and summary sheet volume, sealed and awaiting the director."""
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation
    bar = Bar(runtime, 0, "Год")

    def export() -> JournalExport:  # read once the user's role allows archiving
        loaded = load_export(file, format=runtime.config.input.format, limits=runtime.config.input.limits())
        bar.start(2 * len(loaded.classes))  # a journal and a summary sheet each
        return loaded

    with bar:
        results = archive_year(archive_, export, runtime.user, progress=bar.update)
    _report(runtime, results, "archived")


@cli.command()
@click.option("--case", "case_id", help="Sign this case only.")
@click.option("--pending", is_flag=True, help="Sign every case awaiting the director's signature.")
@click.option("--key", type=click.Path(path_type=Path), required=True, help="The director's PKCS#12 file.")
@click.option("--passphrase-file", type=click.Path(path_type=Path), help="Read the passphrase from this file.")
@click.option("--allow-no-revocation", is_flag=True,
              help="Sign even where no revocation data (CRL, OCSP) can be had; the case records it.")  # fmt: skip
@click.pass_obj
def sign(
    runtime: Runtime,
    case_id: str | None,
    pending: bool,
    key: Path,
    passphrase_file: Path | None,
    allow_no_revocation: bool,
) -> None:
    """The director signs volumes awaiting signature, each as a new version of its case.

    The passphrase is asked once for the whole batch (or read from --passphrase-file or
    ARCHIVER_KEY_PASSPHRASE); it is never stored.
    """
    if pending == (case_id is not None):
        raise click.UsageError("give either --case ID or --pending")
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation
    prompt = (lambda text: click.prompt(text, hide_input=True, err=True)) if sys.stdin.isatty() else None

    def director() -> KeySigner:  # unlocked once the director's role is checked
        return load_key_file(key, read_passphrase(passphrase_file, prompt=prompt, what=key.name))

    with Bar(runtime, 0, "Подпись") as bar:
        results = sign_pending(archive_, director, runtime.user, case_id, progress=bar.update)
    _report(runtime, results, "signed")


@cli.command("renew")
@click.option("--due", "due_only", is_flag=True,
              help="Only volumes whose newest timestamp expires within [signing] renew_before_days.")  # fmt: skip
@click.option("--case", "case_id", help="Only this case.")
@click.option("--allow-no-revocation", is_flag=True,
              help="Renew even where the revocation data of the newest timestamp cannot be had.")  # fmt: skip
@click.pass_obj
def renew_command(runtime: Runtime, due_only: bool, case_id: str | None, allow_no_revocation: bool) -> None:
    """A new document timestamp on each signed volume before its newest one expires (PAdES B-LTA).

    The newest timestamp's validation data goes into the volume's DSS and a new document timestamp covers
    it all: each renewal is a new version of the case in every repository. Without --due every B-LTA
    volume is renewed. Exit 1 when a volume could not be renewed (the others are).
    """
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation
    with Bar(runtime, 0, "Штампы времени") as bar:
        results = renew(archive_, runtime.user, due_only=due_only, case_id=case_id, progress=bar.update,
                        planned=bar.start)  # fmt: skip
    renewed = [r for r in results if r.outcome == "renewed"]
    failed = [r for r in results if r.outcome.startswith("failed")]
    payload = {"ok": not failed, "renewed": len(renewed), "cases": [asdict(r) for r in results]}
    lines = [f"{r.case_id}: {r.outcome}" + (f" (v{r.version})" if r.version else "") for r in results]
    lines.append(f"{len(renewed)} volume(s) renewed, {len(failed)} failed")
    runtime.emit(payload, "\n".join(lines))
    if failed:
        raise ProblemsFound(f"{len(failed)} volume(s) could not be renewed")


@cli.command("status")
@click.pass_obj
def status_command(runtime: Runtime) -> None:
    """What is archived, what awaits the director's signature, what is due for disposal."""
    archive_ = open_archive(runtime)
    data = status(archive_, runtime.user, archive_.clock().date())
    lines = [
        "cases: " + ", ".join(f"{k} {v}" for k, v in sorted(data["cases"].items())) if data["cases"] else "cases: none"
    ]
    lines.append(f"sheets kept: {data['sheets']}")
    lines.append(f"awaiting the director's signature: {len(data['awaiting_signature'])}")
    lines += [f"  {ident}" for ident in data["awaiting_signature"]]
    lines.append(f"due for disposal: {data['due_for_disposal']}")
    stamps = data["timestamps"]
    lines.append(
        f"document timestamps: {stamps['due']} of {stamps['volumes']} volume(s) due for renewal (`renew --due`);"
        f" the earliest expires {stamps['earliest_expiry'] or '—'}, renewal due from {stamps['next_due'] or '—'}"
    )
    checkpoints = data["audit_checkpoints"]
    lines.append(
        f"audit trail: sealed in {checkpoints['cases']} monthly case(s), the latest {checkpoints['latest'] or '—'}"
    )
    for name, entry in data["verification"].items():
        where = f" ({entry['location']})" if entry["location"] else ""
        lines.append(
            f"repository {name}{where}: {entry['copies']} copies, last checked {entry['oldest_check'] or 'never'} "
            f"(oldest) to {entry['newest_check'] or 'never'} (newest); {entry['overdue']} overdue "
            f"(every copy is due each {entry['full_cycle_days']} days)"
        )
    warnings = sorted({w for entry in data["verification"].values() for w in entry.get("warnings", [])})
    for warning in warnings:
        if not runtime.json:
            click.echo(f"archiver: warning: {warning}", err=True)
    runtime.emit({"ok": True, **data}, "\n".join(lines))


@cli.group()
def retention() -> None:
    """Retention periods and legal holds."""


@retention.command("list")
@click.option("--due", is_flag=True, help="Only cases whose retention has ended (and are not on hold).")
@click.pass_obj
def retention_list(runtime: Runtime, due: bool) -> None:
    """Every case with its retention class and the day it may be destroyed from."""
    archive_ = open_archive(runtime)
    rows = retention_rows(archive_, runtime.user, archive_.clock().date(), due_only=due)
    payload = {
        "ok": True,
        "cases": [{**asdict(r), "retain_until": r.retain_until.isoformat() if r.retain_until else None} for r in rows],
    }
    lines = [
        f"{r.case_id}: {r.retention_class}, destroyable from {r.retain_until or '—'}"
        + (" [HOLD]" if r.legal_hold else "") + (" [DUE]" if r.due else "")
        for r in rows
    ]  # fmt: skip
    runtime.emit(payload, "\n".join(lines) or "no cases")


@retention.command("hold")
@click.argument("case_id")
@click.pass_obj
def retention_hold(runtime: Runtime, case_id: str) -> None:
    """Put a case on legal hold: it is not destroyed, whatever its retention.

    The hold is sealed in a new version of the case (its metadata.json), so it outlives the catalog.
    """
    _set_hold(runtime, case_id, True)


@retention.command("release")
@click.argument("case_id")
@click.pass_obj
def retention_release(runtime: Runtime, case_id: str) -> None:
    """Release a case from legal hold."""
    _set_hold(runtime, case_id, False)


def _set_hold(runtime: Runtime, case_id: str, hold: bool) -> None:
    archive_ = open_archive(runtime)
    version = set_hold(archive_, case_id, hold, runtime.user)
    human = f"{case_id}: on legal hold" if hold else f"{case_id}: released from legal hold"
    runtime.emit(
        {"ok": True, "case": case_id, "legal_hold": hold, "version": version}, f"{human} (sealed in v{version})"
    )


@cli.command("dispose")
@click.argument("case_id")
@click.pass_obj
def dispose_command(runtime: Runtime, case_id: str) -> None:
    """Destroy a case whose retention has ended: from every repository, with a sealed disposal act.

    Refused (exit 1, nothing touched) before the case's date or while it is on legal hold.
    """
    archive_ = open_archive(runtime)
    act = dispose(archive_, case_id, runtime.user, archive_.clock().date())
    runtime.emit({"ok": True, "case": case_id, "act_case": act}, f"{case_id}: disposed; the act is kept in {act}")

"""`archiver archive quarter|year`, `sign`, `status`, `retention`, `dispose`, `transfer`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from archiver.archive.keys import read_passphrase
from archiver.cli.integrity import ProblemsFound
from archiver.cli.main import Runtime, cli
from archiver.cli.outputs import refuse_archive_paths
from archiver.cli.progress import Bar
from archiver.cli.session import load_key_file, open_archive
from archiver.ingest.importers import load_export
from archiver.ingest.model import JournalExport
from archiver.operations.archiving import CaseResult, archive_period, archive_year
from archiver.operations.deadlines import pending_deadlines
from archiver.operations.disposal import acts, approve, execute, propose
from archiver.operations.renewal import renew
from archiver.operations.retention import retention_rows, set_hold
from archiver.operations.signing import sign_pending
from archiver.operations.status import status
from archiver.operations.transfer import again, transfer
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


def director_key_options(command: Callable[..., None]) -> Callable[..., None]:
    """--key, --passphrase-file and --allow-no-revocation: what the director signs with."""
    for option in reversed((
        click.option("--key", type=click.Path(path_type=Path), required=True, help="The director's PKCS#12 file."),
        click.option("--passphrase-file", type=click.Path(path_type=Path), help="Read the passphrase from this file."),
        click.option("--allow-no-revocation", is_flag=True,
                     help="Sign even where no revocation data (CRL, OCSP) can be had; the case records it."),
    )):  # fmt: skip
        command = option(command)
    return command


def director_key(key: Path, passphrase_file: Path | None) -> Callable[[], KeySigner]:
    """Unlocks the director's key when called (once the director's role is checked)."""
    prompt = (lambda text: click.prompt(text, hide_input=True, err=True)) if sys.stdin.isatty() else None
    return lambda: load_key_file(key, read_passphrase(passphrase_file, prompt=prompt, what=key.name))


@cli.command()
@click.option("--case", "case_id", help="Sign this case only.")
@click.option("--pending", is_flag=True, help="Sign every case awaiting the director's signature.")
@director_key_options
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
    with Bar(runtime, 0, "Подпись") as bar:
        results = sign_pending(archive_, director_key(key, passphrase_file), runtime.user, case_id,
                               progress=bar.update)  # fmt: skip
    deadlines = pending_deadlines(archive_, archive_.today())  # what still awaits the director
    late = [r for r in results if r.outcome.startswith("signed after")]
    payload = {"ok": True, "cases": [asdict(r) for r in results], "deadlines": [d.as_dict() for d in deadlines]}
    lines = [f"{r.case_id}: {r.outcome} ({r.sheets} sheets) — {r.title}" for r in results]
    lines.append(f"{len(results)} case(s) signed" + (f", {len(late)} after the year-end deadline" if late else ""))
    lines += [f"year-end deadline: {d.sentence()}" for d in deadlines]
    runtime.emit(payload, "\n".join(lines))


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
    data = status(archive_, runtime.user, archive_.today())
    lines = [
        "cases: " + ", ".join(f"{k} {v}" for k, v in sorted(data["cases"].items())) if data["cases"] else "cases: none"
    ]
    lines.append(f"sheets kept: {data['sheets']}")
    lines.append(f"awaiting the director's signature: {len(data['awaiting_signature'])}")
    lines += [f"  {ident}" for ident in data["awaiting_signature"]]
    lines += [f"year-end deadline: {d['summary']}" for d in data["deadlines"]]
    lines.append(f"due for disposal: {data['due_for_disposal']}")
    lines += [f"disposal act {a['school']}/{a['number']}: {a['status']}" for a in data["open_acts"]]
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
    rows = retention_rows(archive_, runtime.user, archive_.today(), due_only=due)
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


@cli.group("dispose")
def dispose_group() -> None:
    """Destroy cases whose retention has ended: an act proposed, approved by the director, executed.

    Nothing is removed without an act the director approved with their signature; the acts are kept
    permanently in the school's acts case.
    """


@dispose_group.command("propose")
@click.option("--due", is_flag=True, help="Every case whose retention has ended and is not on legal hold.")
@click.argument("case_ids", nargs=-1, metavar="[CASE]...")
@click.pass_obj
def dispose_propose(runtime: Runtime, due: bool, case_ids: tuple[str, ...]) -> None:
    """Draw up a disposal act (a draft for the director) listing the due cases, or the named ones.

    One act per school, numbered, sealed by the e-seal. Cases already on an open act are left out; a named
    case that is not due is refused (exit 1, nothing written). Quarter copies whose class's year-end volume
    is signed are first marked superseded by it.
    """
    if due == bool(case_ids):
        raise click.UsageError("give either --due or the cases to propose")
    archive_ = open_archive(runtime)
    made = propose(archive_, runtime.user, archive_.today(), case_ids)
    payload = {"ok": True, "acts": [asdict(a) for a in made]}
    lines = [f"act № {a.number} ({a.school_id}): proposed, {len(a.cases)} case(s); the director approves it with "
             f"`archiver dispose approve {a.school_id}/{a.number} --key FILE`" for a in made]  # fmt: skip
    runtime.emit(payload, "\n".join(lines) or "no case is due for disposal; no act was made")


@dispose_group.command("approve")
@click.argument("act")
@director_key_options
@click.option("--yes", is_flag=True, help="Do not ask: the act's cases were read (on a terminal it asks).")
@click.pass_obj
def dispose_approve(
    runtime: Runtime, act: str, key: Path, passphrase_file: Path | None, allow_no_revocation: bool, yes: bool
) -> None:
    """The director approves a proposed act (ACT: its number, or SCHOOL/NUMBER) with their signature.

    The act's cases are listed first; on a terminal the director confirms (or reads the act itself with
    `archiver get SCHOOL~acts`). The draft must show exactly the cases its register names.
    """
    archive_ = open_archive(runtime)
    archive_.allow_no_revocation = allow_no_revocation

    def confirm(proposed: Mapping[str, Any]) -> bool:
        cases = proposed.get("cases", [])
        click.echo(
            f"act № {proposed.get('number')} of {proposed.get('date')}: {len(cases)} case(s) to destroy", err=True
        )
        for record in cases:
            click.echo(f"  {record.get('case')}: {record.get('title')} ({record.get('sheets')} sheets)", err=True)
        return yes or not sys.stdin.isatty() or click.confirm("Approve this act with your signature?", err=True)

    done = approve(archive_, director_key(key, passphrase_file), runtime.user, act, confirm=confirm)
    runtime.emit({"ok": True, **asdict(done)},
                 f"act № {done.number} ({done.school_id}): approved, {len(done.cases)} case(s); the archivist "
                 f"executes it with `archiver dispose execute {done.school_id}/{done.number}`")  # fmt: skip


@dispose_group.command("execute")
@click.argument("act")
@click.pass_obj
def dispose_execute(runtime: Runtime, act: str) -> None:
    """Remove the cases on an approved act (ACT: its number, or SCHOOL/NUMBER) from every repository.

    Refused (exit 1, nothing removed) unless the director's signature on the act validates. A case put on
    legal hold since the proposal is kept, and the act's register says why. A re-run completes an
    interrupted execution.
    """
    archive_ = open_archive(runtime)
    done = execute(archive_, runtime.user, archive_.today(), act)
    lines = [f"{case}: disposed of" for case in done.removed]
    lines += [f"{case}: kept ({reason})" for case, reason in done.kept]
    lines.append(f"act № {done.number} ({done.school_id}): executed, {len(done.removed)} case(s) removed, "
                 f"{len(done.kept)} kept")  # fmt: skip
    runtime.emit({"ok": True, **asdict(done)}, "\n".join(lines))


@dispose_group.command("list")
@click.pass_obj
def dispose_list(runtime: Runtime) -> None:
    """Every disposal act with its state (proposed, approved, executing, executed) and its cases."""
    archive_ = open_archive(runtime)
    found = acts(archive_, runtime.user)
    lines = [
        f"{a['school']}/{a['number']} of {a.get('date', '')}: {a.get('status')}, {len(a.get('cases', []))} case(s)"
        + (f", {len(a.get('removed', []))} removed" if a.get("status") == "executed" else "")
        for a in found
    ]
    runtime.emit({"ok": True, "acts": found}, "\n".join(lines) or "no disposal acts")


@cli.command("transfer")
@click.option(
    "--kind", type=click.Choice(["summary", "journal"]), help="Summary sheets (kept 25 years) or class journals."
)
@click.option("--year", help="The school year, e.g. 2025/2026.")
@click.option("--receiver", help="The archive that receives the cases (printed in the act).")
@click.option("--again", "number", metavar="NUMBER", help="Make the package of an earlier transfer once more.")
@click.option("--to", "out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="A new (or empty) directory for the package.")  # fmt: skip
@click.pass_obj
def transfer_command(
    runtime: Runtime, kind: str | None, year: str | None, receiver: str | None, number: str | None, out: Path
) -> None:
    """Hand a year's signed cases of one kind over to an archive, as a package it can take without us.

    A BagIt 1.0 bag: each case as stored (signed volume, data, sealed metadata and manifest), the inventory
    (опись дел) as a sealed PDF/A and as JSON and CSV, the transfer act (акт приёма-передачи) for both sides
    to sign, and the trust anchors; validated before it is put in place. The act and the inventory are kept
    in the school's acts case; each case is marked transferred (when, to whom). Its local copies are kept,
    or become due for disposal ([transfer] local_copies = "dispose"). Refused while a case awaits the
    director's signature. A run that was interrupted is completed by running it again; `--again NUMBER`
    makes an earlier transfer's package once more (nothing is marked).
    """
    if number is None and not (kind and year and receiver):
        raise click.UsageError("give --kind, --year and --receiver (or --again NUMBER)")
    if number is not None and (kind or year or receiver):
        raise click.UsageError("--again takes the transfer as it was: no --kind, --year or --receiver")
    archive_ = open_archive(runtime)
    refuse_archive_paths(runtime, out)
    if number is not None:
        done = again(archive_, runtime.user, number, out)
    else:
        assert kind is not None and year is not None and receiver is not None
        done = transfer(archive_, runtime.user, kind, year, receiver, out, archive_.today(),
                        runtime.config.transfer.local_copies)  # fmt: skip
    runtime.emit({"ok": True, **asdict(done)},
                 f"transfer № {done.number} ({done.school_id}) to {done.receiver}: {len(done.cases)} case(s), "
                 f"{done.sheets} sheets; the package (BagIt 1.0, validated) is in {done.package}")  # fmt: skip

"""The command group, its global options, and the one mapper from errors to messages and exit codes.

`ArchiverError` is expected: a message and its exit code (1 or 2). Click's own exceptions (usage errors, aborts,
`ctx.exit`) are click's, as are SystemExit, KeyboardInterrupt and a broken stdout pipe. Anything else is a bug:
exit 3, one line on stderr (or a JSON payload with --json), and the traceback in a log file readable only by its
owner (tracebacks may carry personal data): `logs/` beside the archive's configuration file when there is one,
else `$XDG_STATE_HOME/archiver/logs` (default `~/.local/state/archiver/logs`), else the system temp directory.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import os
import platform
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, overload

import click

from archiver import __version__
from archiver.config import DEFAULT_CONFIG_NAME, Config, load_config
from archiver.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, ArchiverError, InvalidExportError
from archiver.files import printable

HUMAN_PROBLEM_LIMIT = 200
INTERNAL_MESSAGE_LIMIT = 300  # characters of the exception's text on the one line; the log has all of it

# The arguments of the running command line (for the log and for --json before the Runtime exists).
_ARGUMENTS: ContextVar[tuple[str, ...] | None] = ContextVar("archiver_arguments", default=None)


@dataclass
class Runtime:
    """What every command gets: global options, and the configuration read on first use."""

    config_path: Path
    config_required: bool
    json: bool
    as_user: str | None = None  # --as: an admin acting on this user's behalf
    user: str = ""  # the archive user acting, once the archive is opened (archiver.archive.roles.identify)
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path, required=self.config_required)
        return self._config

    def emit(self, payload: dict[str, Any], human: str) -> None:
        """Print a command's result: JSON on stdout with --json, else the human text."""
        if self.json:
            click.echo(json.dumps(printable(payload), ensure_ascii=False, indent=2))
        else:
            click.echo(printable(human))


# Every command, loaded only when it is used (so `archiver --help` starts no PDF or signing library): the
# module that defines it, and the line `archiver --help` shows for it (a test keeps them equal to the
# commands' own help).
COMMANDS: dict[str, tuple[str, str]] = {
    "archive": (
        "archiver.cli.archiving",
        "Archive a period or the year: each case sealed, stored in every repository, catalogued.",
    ),
    "catalog": (
        "archiver.cli.integrity",
        "The catalog itself: upgrade its schema after installing a new archiver; rebuild it when it is lost.",
    ),
    "demo": (
        "archiver.cli.demo",
        "The whole story on demo data: archive, sign, damage, verify, repair, export for an auditor.",
    ),
    "demo-data": (
        "archiver.cli.demo_data",
        "Write a realistic, deterministic school year (Russian names, curriculum, marks) as an export.",
    ),
    "dispose": (
        "archiver.cli.archiving",
        "Destroy cases whose retention has ended: an act proposed, approved by the director, executed.",
    ),
    "export": (
        "archiver.cli.retrieval",
        "A BagIt package of a case with its signature reports and trust anchors, checkable without us.",
    ),
    "fetch": (
        "archiver.cli.fetching",
        "Save a class's year from a journal platform's API in a new directory, for `archiver import`.",
    ),
    "find": ("archiver.cli.retrieval", "Search the catalog for cases."),
    "get": (
        "archiver.cli.retrieval",
        "Retrieve a case from a copy that verifies; damaged copies are passed over and reported.",
    ),
    "import": (
        "archiver.cli.importing",
        "Convert a platform's saved data (SOURCE, a directory) into the archive's export.",
    ),
    "init": (
        "archiver.cli.setup",
        "Make a new archive: configuration, two repository directories, SQLite catalog, and a TEST PKI.",
    ),
    "quarantine": (
        "archiver.cli.integrity",
        "What was taken out of the repositories (damaged copies, leftovers of interrupted runs, junk).",
    ),
    "render": (
        "archiver.cli.rendering",
        "Render a class's journal volume (or its archive copy at a period's end) or its summary sheet volume.",
    ),
    "repair": (
        "archiver.cli.integrity",
        "Restore missing or damaged copies from a copy that matches its sealed manifest.",
    ),
    "renew": (
        "archiver.cli.archiving",
        "A new document timestamp on each signed volume before its newest one expires (PAdES B-LTA).",
    ),
    "retention": ("archiver.cli.archiving", "Retention periods and legal holds."),
    "sign": (
        "archiver.cli.archiving",
        "The director signs volumes awaiting signature, each as a new version of its case.",
    ),
    "status": (
        "archiver.cli.archiving",
        "What is archived, what awaits the director's signature, what is due for disposal.",
    ),
    "transfer": (
        "archiver.cli.archiving",
        "Hand a year's signed cases of one kind over to an archive, as a package it can take without us.",
    ),
    "users": (
        "archiver.cli.setup",
        "Who may use the archive, in which role (admin, director, archivist, auditor), from which OS account.",
    ),
    "validate": ("archiver.cli.validate", "Check a journal export: its shape (the JSON Schema), then its meaning."),
    "verify": (
        "archiver.cli.integrity",
        "Re-verify every copy: files, digests, inventories, sealed manifests, signatures, sheet counts, catalog.",
    ),
}


class ArchiverGroup(click.Group):
    """Runs a command and maps its errors to a message and an exit code (DESIGN.md: 0, 1, 2, 3).

    `invoke` handles what the commands raise, with the Runtime at hand (where the archive is, --json); `main`
    handles the rest (option parsing before the Runtime exists, closing the context), in the console script
    and in click's CliRunner alike. Commands are imported when used (`COMMANDS`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # its decorators add it to this group
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands from `COMMANDS`, without importing them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            else:
                command = self.commands[name]
                text = command.get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchiverError as error:
            runtime = ctx.find_object(Runtime)
            report_error(error, as_json=_wants_json(runtime))
            ctx.exit(error.exit_code)
        except Exception as error:
            if not is_internal_error(error):
                raise
            runtime = ctx.find_object(Runtime)
            report_internal_error(error, runtime=runtime, as_json=_wants_json(runtime))
            ctx.exit(EXIT_INTERNAL)
        except KeyboardInterrupt:  # click would make it "Aborted!" with exit 1, the code for damage found
            click.echo("archiver: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)

    @overload
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: Literal[True] = True,
        **extra: Any,
    ) -> NoReturn: ...

    @overload
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = ...,
        **extra: Any,
    ) -> Any: ...

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        token = _ARGUMENTS.set(tuple(sys.argv[1:] if args is None else args))
        try:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args=windows_expand_args, **extra
            )
        except Exception as error:
            if isinstance(error, ArchiverError):
                report_error(error, as_json=_wants_json(None))
                code = error.exit_code
            elif is_internal_error(error):
                report_internal_error(error, runtime=None, as_json=_wants_json(None))
                code = EXIT_INTERNAL
            else:
                raise
            if standalone_mode:
                sys.exit(code)
            return code
        finally:
            _ARGUMENTS.reset(token)


def _wants_json(runtime: Runtime | None) -> bool:
    if runtime is not None and runtime.json:
        return True
    arguments = _ARGUMENTS.get()
    return "--json" in (sys.argv[1:] if arguments is None else arguments)


def is_internal_error(error: BaseException) -> bool:
    """A bug (exit 3): not an ArchiverError, not click's own exception, not a broken stdout pipe (click's too),
    and not SystemExit or KeyboardInterrupt."""
    if isinstance(error, ArchiverError | click.ClickException | click.exceptions.Exit | click.exceptions.Abort):
        return False
    if isinstance(error, OSError) and error.errno == errno.EPIPE:
        return False
    return isinstance(error, Exception)


def report_error(error: ArchiverError, *, as_json: bool) -> None:
    problems = error.problems if isinstance(error, InvalidExportError) else ()
    if getattr(error, "reported", False):  # the command already printed its result; only the exit code is left
        if not as_json:
            click.echo(printable(f"archiver: {error.message}"), err=True)
        return
    if as_json:
        payload: dict[str, Any] = {"ok": False, "error": {"code": error.code, "message": printable(error.message)}}
        if isinstance(error, InvalidExportError):
            payload["error"]["problems"] = [p.as_dict() for p in problems]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(printable(f"archiver: {error.message}"), err=True)
    for problem in problems[:HUMAN_PROBLEM_LIMIT]:
        click.echo(printable(f"  {problem}"), err=True)
    if len(problems) > HUMAN_PROBLEM_LIMIT:
        click.echo(f"  … and {len(problems) - HUMAN_PROBLEM_LIMIT} more (--json lists them all)", err=True)


def report_internal_error(error: BaseException, *, runtime: Runtime | None, as_json: bool) -> None:
    """One line on stderr (or a JSON payload on stdout) naming the log file that has the traceback. Never raises:
    a bug in the error handling must not turn exit 3 into a traceback."""
    summary = _one_line(error)
    log: Path | None = None
    reason = ""
    try:
        log = write_error_log(error, runtime)
    except Exception as failure:
        reason = _one_line(failure, limit=200)
    with contextlib.suppress(Exception):  # stdout or stderr is gone: the exit code is all that is left to say it
        if as_json:
            payload = {"code": "internal", "message": summary, "log": str(log) if log else None}
            click.echo(json.dumps({"ok": False, "error": payload}, ensure_ascii=False, indent=2))
        else:
            where = f"details in {log}" if log else f"no log could be written ({reason})"
            click.echo(f"archiver: internal error (this is a bug): {summary} — {where}", err=True)


def write_error_log(error: BaseException, runtime: Runtime | None) -> Path:
    """Write the traceback, the command line and the versions to a new log file (mode 0600); its path.

    Tried in order: `logs/` beside the configuration file (when it exists), `$XDG_STATE_HOME/archiver/logs`,
    the system temp directory. Raises the last failure when none can be written.
    """
    now = datetime.now(UTC)
    text = _log_text(error, now)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    failure: Exception = OSError("no log directory")
    for directory, mode in _log_directories(runtime):
        try:
            directory.mkdir(mode=mode, parents=True, exist_ok=True)
            return _write_new_file(directory, f"archiver-error-{stamp}-{os.getpid()}", text)
        except Exception as problem:
            failure = problem
    raise failure


def _log_directories(runtime: Runtime | None) -> list[tuple[Path, int]]:
    """Where a log may go, best first, each with the mode to create it with."""
    directories: list[tuple[Path, int]] = []
    with contextlib.suppress(Exception):
        if runtime is not None and runtime.config_path.is_file():
            directories.append((runtime.config_path.absolute().parent / "logs", 0o777))  # shared like the archive
    with contextlib.suppress(Exception):  # Path.home() raises when there is no home
        state = os.environ.get("XDG_STATE_HOME", "")
        base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
        directories.append((base / "archiver" / "logs", 0o700))
    with contextlib.suppress(Exception):
        directories.append((Path(tempfile.gettempdir()).absolute(), 0o700))
    return directories


def _write_new_file(directory: Path, stem: str, text: str) -> Path:
    """A new file (never an existing one, nor a symlink planted there), readable by its owner only."""
    for attempt in range(100):
        path = directory / (f"{stem}.log" if attempt == 0 else f"{stem}-{attempt}.log")
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as file:
                file.write(text)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path
    raise FileExistsError(f"{directory}: too many logs named {stem}")


def _log_text(error: BaseException, now: datetime) -> str:
    arguments = _ARGUMENTS.get()
    command = ["archiver", *(sys.argv[1:] if arguments is None else arguments)]
    try:
        details = "".join(traceback.format_exception(error))
    except Exception:  # MemoryError included: the one line still says what happened
        details = _one_line(error) + "\n(the traceback could not be formatted)\n"
    lines = [
        "archiver internal error (this is a bug)",
        f"time: {now.isoformat(timespec='seconds')}",
        f"command: {_or_unknown(lambda: shlex.join(command))}",
        f"working directory: {_or_unknown(os.getcwd)}",
        f"archiver: {__version__}",
        f"python: {' '.join(sys.version.split())}",
        f"platform: {_or_unknown(platform.platform)}",
        "",
        details,
    ]
    return "\n".join(lines)


def _or_unknown(value: Callable[[], str]) -> str:
    try:
        return value()
    except Exception:
        return "(unknown)"


def _one_line(error: BaseException, *, limit: int = INTERNAL_MESSAGE_LIMIT) -> str:
    """`RuntimeError: boom`: the exception's type (with its module unless built in) and text, on one line.
    Never raises."""
    try:
        kind = type(error)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        try:
            text = str(error)
        except Exception:
            text = "<the message could not be printed>"
        line = " ".join(f"{name}: {text}".split()) if text else name
        return line if len(line) <= limit else line[: limit - 1] + "…"
    except Exception:
        return "unknown error"


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Configuration file (default: ./{DEFAULT_CONFIG_NAME}, or $ARCHIVER_CONFIG).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option(
    "--as",
    "as_user",
    metavar="USER",
    default=None,
    help="Act on USER's behalf (admins only; recorded). Otherwise the acting user is the archive user of the "
    "OS account running the command.",
)
@click.version_option(__version__, prog_name="archiver")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, as_json: bool, as_user: str | None) -> None:
    """Archive of a school's electronic class journals: PDF/A volumes, signed, stored twice, verified.

    Exit codes: 0 done (all intact), 1 problems found or action refused, 2 bad input or usage, 3 internal error
    (a bug; the traceback goes to a log file).
    """
    required = config_path is not None or "ARCHIVER_CONFIG" in os.environ
    if config_path is None:
        config_path = Path(os.environ.get("ARCHIVER_CONFIG", DEFAULT_CONFIG_NAME))
    ctx.obj = Runtime(config_path, required, as_json, as_user)


def main() -> None:
    """Console-script entry point (errors are mapped to exit codes in `ArchiverGroup`)."""
    try:
        cli.main(prog_name="archiver")
    except KeyboardInterrupt:
        click.echo("archiver: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)

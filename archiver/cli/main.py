"""The command group, its global options, and the one mapper from errors to messages and exit codes."""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from archiver import __version__
from archiver.config import DEFAULT_CONFIG_NAME, Config, load_config
from archiver.errors import ArchiverError, InvalidExportError

HUMAN_PROBLEM_LIMIT = 200


@dataclass
class Runtime:
    """What every command gets: global options, and the configuration read on first use."""

    config_path: Path
    config_required: bool
    json: bool
    user: str
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path, required=self.config_required)
        return self._config

    def emit(self, payload: dict[str, Any], human: str) -> None:
        """Print a command's result: JSON on stdout with --json, else the human text."""
        if self.json:
            click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            click.echo(human)


class ArchiverGroup(click.Group):
    """Runs a command and maps `ArchiverError` to a message and an exit code (DESIGN.md: 0, 1, 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchiverError as error:
            runtime = ctx.find_object(Runtime)
            report_error(error, as_json=bool(runtime and runtime.json) or "--json" in sys.argv[1:])
            ctx.exit(error.exit_code)


def report_error(error: ArchiverError, *, as_json: bool) -> None:
    problems = error.problems if isinstance(error, InvalidExportError) else ()
    if getattr(error, "reported", False):  # the command already printed its result; only the exit code is left
        if not as_json:
            click.echo(f"archiver: {error.message}", err=True)
        return
    if as_json:
        payload: dict[str, Any] = {"ok": False, "error": {"code": error.code, "message": error.message}}
        if isinstance(error, InvalidExportError):
            payload["error"]["problems"] = [p.as_dict() for p in problems]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"archiver: {error.message}", err=True)
    for problem in problems[:HUMAN_PROBLEM_LIMIT]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > HUMAN_PROBLEM_LIMIT:
        click.echo(f"  … and {len(problems) - HUMAN_PROBLEM_LIMIT} more (--json lists them all)", err=True)


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Configuration file (default: ./{DEFAULT_CONFIG_NAME}, or $ARCHIVER_CONFIG).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("--as", "user", metavar="USER", default=None, help="The acting user (default: the OS user).")
@click.version_option(__version__, prog_name="archiver")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, as_json: bool, user: str | None) -> None:
    """Archive of a school's electronic class journals: PDF/A volumes, signed, stored twice, verified.

    Exit codes: 0 done (all intact), 1 problems found or action refused, 2 bad input or usage.
    """
    required = config_path is not None or "ARCHIVER_CONFIG" in os.environ
    if config_path is None:
        config_path = Path(os.environ.get("ARCHIVER_CONFIG", DEFAULT_CONFIG_NAME))
    ctx.obj = Runtime(config_path, required, as_json, user or _default_user())


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="archiver")
    except KeyboardInterrupt:
        click.echo("archiver: interrupted", err=True)
        sys.exit(130)

"""Running the CLI in the test process (no interpreter start-up per call), with stdout, stderr and the
exit code kept apart as a user's shell would see them."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import cli


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, config: Path | None = None, user: str | None = None) -> Ran:
    prefix: list[str] = []
    if config is not None:
        prefix += ["--config", str(config)]
    if user is not None:
        prefix += ["--as", user]
    result = CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(result.exit_code, result.stdout, stderr)

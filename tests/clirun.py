"""Running the CLI in the test process (no interpreter start-up per call), with stdout, stderr and the
exit code kept apart as a user's shell would see them."""

from __future__ import annotations

import traceback
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from archiver.archive.catalog.database import SIMULATED_OFFSET
from archiver.archive.identity import SIMULATED, OsAccount
from archiver.cli import cli


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def account(login: str) -> OsAccount:
    """An OS account as a separate process would see it (uid 0 for root only)."""
    return OsAccount(login, 0 if login == "root" else 1000 + zlib.crc32(login.encode()) % 50000, "testhost")


def run_cli(*args: str, config: Path | None = None, user: str | None = None, at: datetime | None = None) -> Ran:
    """The CLI as OS account `user` would run it (default: the account running the tests), with the
    archive's clock at `at` (and running on from there) when given."""
    prefix: list[str] = []
    if config is not None:
        prefix += ["--config", str(config)]
    token = SIMULATED.set(account(user)) if user is not None else None
    moved = SIMULATED_OFFSET.set(at - datetime.now(UTC)) if at is not None else None
    try:
        result = CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=True)
    finally:
        if token is not None:
            SIMULATED.reset(token)
        if moved is not None:
            SIMULATED_OFFSET.reset(moved)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(result.exit_code, result.stdout, stderr)

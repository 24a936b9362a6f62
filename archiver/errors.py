"""The one error root of the archiver, with stable codes and the exit code each maps to.

Exit codes follow DESIGN.md: 0 done (all intact), 1 problems found or action refused, 2 bad input or usage,
3 internal error. Nothing else: any exception that is not an `ArchiverError` (nor click's own) is a bug, which
the CLI reports in one line with exit 3 and writes its traceback to a log file (`archiver.cli.main`).
"""

from __future__ import annotations

from collections.abc import Sequence

from archiver.ingest.problems import Problem

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's own code for SIGINT


class ArchiverError(Exception):
    """An expected failure that the CLI reports as a message, never as a traceback."""

    code = "error"
    exit_code = EXIT_PROBLEMS

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(ArchiverError):
    """The input (a file, an option, a configuration) cannot be used; nothing was written."""

    code = "bad-input"
    exit_code = EXIT_BAD_INPUT


class ConfigError(BadInputError):
    code = "bad-config"


class InvalidExportError(BadInputError):
    """A journal export failed validation; carries every problem found, each with its place."""

    code = "invalid-export"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun} found")
        self.source = source
        self.problems = tuple(problems)

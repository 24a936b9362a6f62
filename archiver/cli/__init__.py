"""The `archiver` command line: click commands per job (loaded when used), and the one place that turns
errors into exits (archiver.cli.main)."""

from __future__ import annotations

from archiver.cli.main import cli, main

__all__ = ["cli", "main"]

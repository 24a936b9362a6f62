"""The `archiver` command line: click commands per job, and the one place that turns errors into exits."""

from __future__ import annotations

from archiver.cli import demo_data, render, validate
from archiver.cli.main import cli, main

__all__ = ["cli", "demo_data", "main", "render", "validate"]

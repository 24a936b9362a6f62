"""The `archiver` command line: click commands per job, and the one place that turns errors into exits."""

from __future__ import annotations

from archiver.cli import archiving, demo, demo_data, integrity, rendering, retrieval, setup, validate
from archiver.cli.main import cli, main

__all__ = ["archiving", "cli", "demo", "demo_data", "integrity", "main", "rendering", "retrieval", "setup", "validate"]

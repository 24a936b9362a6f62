"""Opening the archive for a command: its connections end with the command."""

from __future__ import annotations

import click

from archiver.cli.main import Runtime
from archiver.opening import archive_from_config, load_key_file
from archiver.pipeline import Archive

__all__ = ["load_key_file", "open_archive"]


def open_archive(runtime: Runtime, *, need_key: bool = True) -> Archive:
    archive = archive_from_config(runtime.config, need_key=need_key)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(archive.catalog.engine.dispose)
    return archive

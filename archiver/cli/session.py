"""Opening the archive for a command: who is acting is settled first; its connections end with the command,
after a run that recorded anything has sealed a checkpoint of the audit trail."""

from __future__ import annotations

import click

from archiver.archive.checkpoints import load_sealed, seal_checkpoint
from archiver.archive.context import Archive
from archiver.archive.identity import current_account
from archiver.archive.opening import archive_from_config, load_key_file
from archiver.archive.roles import UNREGISTERED, identify
from archiver.archive.storage import StorageError
from archiver.cli.main import Runtime
from archiver.errors import ArchiverError
from archiver.files import printable

__all__ = ["load_key_file", "open_archive"]


def open_archive(runtime: Runtime, *, migrate: bool = False) -> Archive:
    """The archive of the configuration, with the acting user identified; the e-seal key is unlocked only
    when something is sealed (after the operation has checked the user's role). `migrate`: make or bring
    the catalog's schema up first (`catalog rebuild` into a new, empty database)."""
    archive = archive_from_config(runtime.config, user=lambda: runtime.user or f"({archive.catalog.os_user})",
                                  migrate=migrate)  # fmt: skip
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(archive.catalog.engine.dispose)
    load_sealed(archive)  # the users and certificates that count are the ones sealed last
    account = current_account(runtime.config.security.service_account or None)
    actor = identify(archive.catalog, account, runtime.as_user)
    runtime.user = actor.user
    if context is not None:
        context.call_on_close(lambda: _checkpoint(runtime, archive))  # runs before the engine is disposed
    return archive


def _checkpoint(runtime: Runtime, archive: Archive) -> None:
    """Every run of an archive user ends by sealing a checkpoint of the audit trail when it moved (this run's
    events, or those of a run killed before its checkpoint); when it cannot (a repository missing, no e-seal
    key), the run's result stands and the reason is printed. A run of an OS account that is nobody's seals
    nothing and never unlocks the e-seal: its refusal is in the trail, sealed by the next user's run."""
    if runtime.user == UNREGISTERED:
        return
    try:
        seal_checkpoint(archive, runtime.user or f"({archive.catalog.os_user})")
    except (ArchiverError, StorageError) as exc:
        click.echo(printable(f"archiver: warning: the audit trail's checkpoint was not sealed: {exc.message}"),
                   err=True)  # fmt: skip

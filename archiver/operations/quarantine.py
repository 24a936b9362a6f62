"""What was taken out of the repositories (damaged copies, leftovers of interrupted runs, junk): listed,
and purged only by an admin's explicit, audited decision."""

from __future__ import annotations

from datetime import timedelta

from archiver.archive.context import Archive
from archiver.archive.roles import require
from archiver.archive.storage.quarantine import Entry


def quarantine_entries(archive: Archive, user: str) -> list[Entry]:
    require(archive.catalog, user, "quarantine", "list")
    return [e for r in archive.repositories for e in r.quarantine.entries(r.name)]


def purge_quarantine(archive: Archive, user: str, older_than: timedelta) -> list[Entry]:
    """Delete the entries older than `older_than`, each recorded in the audit trail."""
    require(archive.catalog, user, "quarantine", "purge")
    cutoff = archive.clock() - older_than
    purged = []
    for repository in archive.repositories:
        for entry in repository.quarantine.entries(repository.name):
            if entry.at < cutoff:
                repository.quarantine.purge(entry)
                purged.append(entry)
                with archive.catalog.transaction() as session:
                    archive.catalog.record(session, user, "quarantine purge", entry.subject, "success",
                                           entry.as_dict())  # fmt: skip
    return purged

"""Repositories: where cases are stored, write-once, each readable without our software (OCFL 1.1)."""

from archiver.archive.storage.base import (
    NOT_IN_THE_COPY,
    Code,
    Finding,
    ObjectCheck,
    Repository,
    StorageError,
    VersionInfo,
)
from archiver.archive.storage.ocfl import OcflRepository
from archiver.archive.storage.quarantine import Entry as QuarantineEntry

__all__ = [
    "NOT_IN_THE_COPY",
    "Code",
    "Finding",
    "ObjectCheck",
    "OcflRepository",
    "QuarantineEntry",
    "Repository",
    "StorageError",
    "VersionInfo",
]

"""The repository interface: a case is an object with immutable versions of its files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from archiver.errors import ArchiverError


class StorageError(ArchiverError):
    """A repository cannot be used (missing, not writable, not an OCFL storage root) or a write failed."""

    code = "storage"


@dataclass(frozen=True)
class VersionInfo:
    object_id: str
    version: str  # "v1", "v2", ...
    sha256: Mapping[str, str]  # logical path -> digest of the file's content in this version
    sha512: Mapping[str, str]


class Repository(Protocol):
    name: str

    def check(self) -> None:
        """Raise `StorageError` unless the repository exists and can be written to."""

    def object_ids(self) -> list[str]: ...

    def head(self, object_id: str) -> VersionInfo | None:
        """The latest version of an object, or None when there is no such object."""

    def put(
        self, object_id: str, files: Mapping[str, bytes], *, message: str, user: str, created: datetime
    ) -> VersionInfo:
        """Add a version with exactly these files (a new object when there is none); never overwrites."""

    def read(self, object_id: str, logical_path: str, version: str | None = None) -> bytes: ...

    def path(self, object_id: str, logical_path: str, version: str | None = None) -> Path:
        """Where a file's content is on disk (for streaming hashes)."""

    def remove(self, object_id: str) -> None:
        """Take an object out of the repository (disposal after its retention)."""

"""The repository interface: a case is an object with immutable versions of its files.

Everything a caller needs from a repository goes through this interface (writing a version, reading,
checking an object, setting aside what an interrupted run left, restoring a copy from another
repository), so a second backend (object storage) can stand beside the filesystem one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from archiver.errors import ArchiverError
from archiver.files import printable_text


class StorageError(ArchiverError):
    """A repository cannot be used (missing, not writable, not an OCFL storage root) or a write failed."""

    code = "storage"


class Code(StrEnum):
    """What is wrong, in one word each; stable, for scripts reading `verify --json`."""

    MISSING = "missing"  # an object, a version or a file is not there
    INVENTORY = "inventory"  # the root inventory is unreadable, inconsistent, or disagrees with its sidecar
    VERSION = "version"  # a version directory or a version's inventory is missing, extra or disagrees
    STRUCTURE = "structure"  # a declaration file is missing or wrong
    DIGEST = "digest"  # a file's content differs from its digest
    EXTRA = "extra-file"  # a file or directory that no inventory lists
    NOT_A_FILE = "not-a-file"  # a directory, pipe or device where a file should be
    SYMLINK = "symlink"  # a symbolic link inside the storage root (never followed)
    UNREADABLE = "unreadable"  # a file that cannot be read
    UNKNOWN = "unknown-object"  # an object the catalog does not know
    ROOT = "storage-root"  # the storage root itself
    MANIFEST = "manifest"  # the sealed manifest disagrees with the files
    SEAL = "seal"  # the manifest's seal does not verify
    SIGNATURE = "signature"
    PDFA = "pdfa"
    SHEETS = "sheets"
    CATALOG = "catalog"  # the catalog disagrees with the repository
    AUDIT = "audit"  # the audit trail's chain is broken, or disagrees with a sealed checkpoint
    SIGNER = "signer"  # a signature by a certificate that does not stand for its role (e-seal, director)
    REGISTRY = "registry"  # users, roles or certificates differ from their audited record
    CARRIER = "carrier"  # two repositories on one device


# Findings a copy of the case cannot be blamed for: the catalog or the audit trail is what is wrong.
NOT_IN_THE_COPY = frozenset({Code.CATALOG, Code.AUDIT, Code.CARRIER, Code.SIGNER, Code.REGISTRY})


@dataclass(frozen=True)
class Finding:
    """One problem at one place: which case (object), which repository, which file, what."""

    case_id: str
    repository: str | None
    file: str | None
    code: Code
    detail: str

    def __str__(self) -> str:
        where = "/".join(printable_text(p) for p in (self.repository, self.case_id, self.file) if p)
        return f"{where}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        file = printable_text(self.file) if self.file is not None else None
        return {"case": printable_text(self.case_id), "repository": self.repository, "file": file,
                "code": str(self.code), "detail": self.detail}  # fmt: skip


@dataclass(frozen=True)
class VersionInfo:
    object_id: str
    version: str  # "v1", "v2", ...
    sha256: Mapping[str, str]  # logical path -> digest of the file's content in this version
    sha512: Mapping[str, str]
    created: str = ""  # ISO 8601, as the inventory gives it
    message: str = ""
    user: str = ""

    @property
    def number(self) -> int:
        return int(self.version[1:])


@dataclass(frozen=True)
class ObjectCheck:
    """What checking one object in one repository found, and what it computed on the way."""

    object_id: str
    repository: str
    findings: tuple[Finding, ...]
    present: bool
    head: int | None  # the head version, when the inventory could be read
    # version -> logical path -> (SHA-512 the inventory gives, SHA-256 computed or None when not read)
    versions: Mapping[int, Mapping[str, tuple[str, str | None]]] = field(default_factory=dict)
    bytes_hashed: int = 0
    inventories: Mapping[int, str] = field(default_factory=dict)  # version -> SHA-512 of its own inventory

    @property
    def ok(self) -> bool:
        return not self.findings


class Repository(Protocol):
    name: str
    location: str

    def check(self, *, declared: bool = True) -> None:
        """Raise `StorageError` unless the repository exists and can be written to."""

    def object_ids(self) -> list[str]: ...

    def head(self, object_id: str) -> VersionInfo | None:
        """The latest version of an object, or None when there is no such object."""

    def version(self, object_id: str, number: int) -> VersionInfo | None:
        """One version of an object, or None."""

    def put(
        self, object_id: str, files: Mapping[str, bytes], *, message: str, user: str, created: datetime
    ) -> VersionInfo:
        """Add a version with exactly these files (a new object when there is none); never overwrites."""

    def read(self, object_id: str, logical_path: str, version: str | None = None) -> bytes: ...

    def path(self, object_id: str, logical_path: str, version: str | None = None) -> Path:
        """Where a file's content is on disk (for streaming hashes)."""

    def device(self) -> int | None:
        """The device the repository is on (two repositories on one device are not two carriers)."""

    def remove(self, object_id: str) -> None:
        """Take an object out of the repository (disposal after its retention)."""

    def list_raw(self, object_id: str) -> list[str]:
        """Every file of an object as stored (inventories included), relative to the object."""

    def read_raw(self, object_id: str, relative: str) -> bytes: ...

    def restore_declarations(self) -> None:
        """Write the storage root's declaration files again where they are missing."""

    def cleanup(self, older_than_seconds: int) -> None:
        """Remove what killed runs left in the work area (never quarantine or content)."""

    def verify_object(self, object_id: str, *, deep: bool = False) -> ObjectCheck:
        """Every storage-level check of one object; never raises for damage."""

    def verify_root(self, known: set[str]) -> list[Finding]:
        """Problems of the storage root itself: declaration, junk, symlinks, objects not in `known`."""

    def roll_back(self, object_id: str, to_version: int, *, reason: str) -> str | None:
        """Set aside every version after `to_version` (left by an interrupted run); where they went."""

    def restore_from(self, source: Repository, object_id: str, *, reason: str) -> str | None:
        """Replace this repository's copy with the source's (checked); the old copy kept aside."""

    def restore_files(self, sources: Sequence[Repository], object_id: str, *, reason: str) -> str | None:
        """Replace damaged content files from the sources (all found first, or nothing changes)."""

    def set_aside(self, entry: str, *, reason: str) -> str:
        """Move an entry of the storage root (junk, a symlink) into quarantine."""

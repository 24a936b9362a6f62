"""Repositories: where cases are stored, write-once, each readable without our software (OCFL 1.1)."""

from archiver.storage.base import Repository, StorageError, VersionInfo
from archiver.storage.ocfl import OcflRepository

__all__ = ["OcflRepository", "Repository", "StorageError", "VersionInfo"]

"""A filesystem repository that is an OCFL 1.1 storage root (https://ocfl.io/1.1/spec/).

Objects use the flat direct layout (extension 0002): the object id is the directory name. Content is
addressed by SHA-512 with a SHA-256 fixity block, so `sha256sum` and `ocfl-validate.py` both check it.

Crash safety: a new object is built completely in a staging directory beside the storage root (same
file system), fsynced, then renamed into place in one step; a new version's directory is staged and
renamed the same way, then the root inventory is replaced by rename. A crash leaves either no trace in
the storage root, or a complete version directory whose root inventory still names the previous head:
`recover` finishes it from the version's own inventory. Stored content is never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.files import replace_file
from archiver.storage.base import StorageError, VersionInfo

ROOT_DECLARATION = "0=ocfl_1.1"
OBJECT_DECLARATION = "0=ocfl_object_1.1"
INVENTORY = "inventory.json"
LAYOUT = {
    "extension": "0002-flat-direct-storage-layout",
    "description": "Direct mapping of object identifiers to directory names (identifiers are [A-Za-z0-9._-])",
}
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"


class OcflRepository:
    def __init__(self, name: str, root: Path, staging: Path | None = None) -> None:
        self.name = name
        self.root = root
        self.staging = staging or root.parent / f".{root.name}.staging"

    # -- the storage root ------------------------------------------------------------------------

    def initialize(self) -> None:
        """Create an empty storage root (or accept an existing one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)
        declaration = self.root / ROOT_DECLARATION
        if declaration.exists():
            return
        if any(self.root.iterdir()):
            raise StorageError(f"repository {self.name!r}: {self.root} is not empty and not an OCFL storage root")
        _write(self.root / "ocfl_layout.json", (json.dumps(LAYOUT, indent=2) + "\n").encode())
        _write(declaration, b"ocfl_1.1\n")
        _fsync_dir(self.root)

    def check(self) -> None:
        if not self.root.is_dir():
            raise StorageError(f"repository {self.name!r}: {self.root} does not exist (is the disk mounted?)")
        if not (self.root / ROOT_DECLARATION).is_file():
            raise StorageError(f"repository {self.name!r}: {self.root} is not an OCFL storage root")
        for place in (self.root, self.staging):
            try:
                place.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=place, prefix=".probe-"):
                    pass
            except OSError as exc:
                raise StorageError(
                    f"repository {self.name!r}: {place} is not writable ({exc.strerror or exc})"
                ) from None

    def object_ids(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if (p / OBJECT_DECLARATION).is_file())

    # -- objects ----------------------------------------------------------------------------------

    def inventory(self, object_id: str) -> dict[str, Any] | None:
        path = self._object(object_id) / INVENTORY
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_bytes())
        return data

    def head(self, object_id: str) -> VersionInfo | None:
        inventory = self.inventory(object_id)
        if inventory is None:
            return None
        return _version_info(object_id, inventory, inventory["head"])

    def put(
        self, object_id: str, files: Mapping[str, bytes], *, message: str, user: str, created: datetime
    ) -> VersionInfo:
        _check_id(object_id)
        self.recover(object_id)
        previous = self.inventory(object_id)
        number = 1 if previous is None else int(previous["head"][1:]) + 1
        version = f"v{number}"
        inventory = _next_inventory(object_id, previous, version, files, message, user, created)
        self.staging.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=self.staging, prefix=f"{object_id}.{version}."))
        try:
            version_dir = stage / version
            for digest, paths in inventory["manifest"].items():
                for content_path in paths:
                    if content_path.startswith(f"{version}/"):
                        logical = content_path[len(f"{version}/content/") :]
                        _write(stage / content_path, files[logical])
                        del digest
            _write_inventory(version_dir, inventory)
            _fsync_tree(version_dir)
            target = self._object(object_id)
            if previous is None:
                _write(stage / OBJECT_DECLARATION, b"ocfl_object_1.1\n")
                _write_inventory(stage, inventory)
                _fsync_dir(stage)
                try:
                    os.rename(stage, target)  # the whole object appears at once
                except OSError as exc:
                    if target.exists():
                        raise StorageError(
                            f"repository {self.name!r}: object {object_id} was created by another run"
                        ) from None
                    raise StorageError(f"repository {self.name!r}: cannot store {object_id}: {exc}") from None
                _fsync_dir(self.root)
            else:
                if (target / version).exists():
                    raise StorageError(f"repository {self.name!r}: {object_id} {version} exists already")
                os.rename(version_dir, target / version)
                _fsync_dir(target)
                _write_inventory(target, inventory)  # by rename: the head moves at once
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return _version_info(object_id, inventory, version)

    def recover(self, object_id: str) -> None:
        """Finish a version whose directory was stored but whose root inventory was not yet updated."""
        target = self._object(object_id)
        inventory = self.inventory(object_id)
        if inventory is None:
            return
        number = int(inventory["head"][1:])
        following = target / f"v{number + 1}"
        if following.is_dir() and (following / INVENTORY).is_file():
            data = json.loads((following / INVENTORY).read_bytes())
            _write_inventory(target, data)

    def read(self, object_id: str, logical_path: str, version: str | None = None) -> bytes:
        return self.path(object_id, logical_path, version).read_bytes()

    def path(self, object_id: str, logical_path: str, version: str | None = None) -> Path:
        inventory = self.inventory(object_id)
        if inventory is None:
            raise StorageError(f"repository {self.name!r}: no object {object_id}")
        state = inventory["versions"][version or inventory["head"]]["state"]
        for digest, paths in state.items():
            if logical_path in paths:
                content: str = inventory["manifest"][digest][0]
                return self._object(object_id) / content
        raise StorageError(f"repository {self.name!r}: {object_id} has no file {logical_path!r}")

    def remove(self, object_id: str) -> None:
        target = self._object(object_id)
        if not target.is_dir():
            return
        self.staging.mkdir(parents=True, exist_ok=True)
        doomed = Path(tempfile.mkdtemp(dir=self.staging, prefix=f"disposed.{object_id}."))
        os.rename(target, doomed / object_id)  # out of the storage root at once, then deleted
        _fsync_dir(self.root)
        shutil.rmtree(doomed)

    def _object(self, object_id: str) -> Path:
        return self.root / object_id


def _check_id(object_id: str) -> None:
    if not object_id or object_id.startswith(".") or any(not (c.isalnum() or c in "._-") for c in object_id):
        raise StorageError(f"object id {object_id!r} cannot name a directory")


def _next_inventory(
    object_id: str,
    previous: dict[str, Any] | None,
    version: str,
    files: Mapping[str, bytes],
    message: str,
    user: str,
    created: datetime,
) -> dict[str, Any]:
    manifest: dict[str, list[str]] = {k: list(v) for k, v in (previous or {}).get("manifest", {}).items()}
    fixity: dict[str, list[str]] = {k: list(v) for k, v in (previous or {}).get("fixity", {}).get("sha256", {}).items()}
    state: dict[str, list[str]] = {}
    for logical, data in sorted(files.items()):
        if logical.startswith("/") or ".." in logical.split("/") or not logical:
            raise StorageError(f"{object_id}: unsafe file name {logical!r}")
        digest = hashlib.sha512(data).hexdigest()
        state.setdefault(digest, []).append(logical)
        if digest not in manifest:  # unchanged content is not stored again (OCFL deduplication)
            content_path = f"{version}/content/{logical}"
            manifest[digest] = [content_path]
            fixity.setdefault(hashlib.sha256(data).hexdigest(), []).append(content_path)
    versions = dict((previous or {}).get("versions", {}))
    versions[version] = {
        "created": created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "message": message,
        "state": state,
        "user": {"name": user, "address": f"urn:archiver:user:{user}"},
    }
    return {
        "id": object_id,
        "type": INVENTORY_TYPE,
        "digestAlgorithm": "sha512",
        "head": version,
        "contentDirectory": "content",
        "fixity": {"sha256": fixity},
        "manifest": manifest,
        "versions": versions,
    }


def _version_info(object_id: str, inventory: dict[str, Any], version: str) -> VersionInfo:
    state = inventory["versions"][version]["state"]
    by_content = {path: digest for digest, paths in inventory["fixity"]["sha256"].items() for path in paths}
    sha512: dict[str, str] = {}
    sha256: dict[str, str] = {}
    for digest, logicals in state.items():
        content = inventory["manifest"][digest][0]
        for logical in logicals:
            sha512[logical] = digest
            sha256[logical] = by_content.get(content, "")
    return VersionInfo(object_id, version, sha256, sha512)


def _write_inventory(directory: Path, inventory: dict[str, Any]) -> None:
    data = (json.dumps(inventory, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    digest = hashlib.sha512(data).hexdigest()
    # The sidecar first: a crash between the two leaves an inventory that `recover` or a re-run rewrites.
    _replace(directory / f"{INVENTORY}.sha512", f"{digest}  {INVENTORY}\n".encode())
    _replace(directory / INVENTORY, data)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:  # never overwrite
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for directory, _, _ in os.walk(path):
        _fsync_dir(Path(directory))

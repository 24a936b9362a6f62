"""OCFL inventories read as untrusted data: every field checked before anything is looked up in it.

An inventory that a damaged or edited object carries must never crash a reader: `parse_inventory` either
returns an `Inventory` whose manifest, versions, states and fixity are consistent with each other, or
raises `InventoryError` saying what is wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INVENTORY = "inventory.json"
SIDECAR = "inventory.json.sha512"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
VERSION = re.compile(r"v([1-9][0-9]{0,8})")
SHA512 = re.compile(r"[0-9a-f]{128}")
SHA256 = re.compile(r"[0-9a-f]{64}")


class InventoryError(ValueError):
    """An inventory that cannot be trusted (not JSON, wrong shape, inconsistent)."""


@dataclass(frozen=True)
class Inventory:
    """A parsed, self-consistent OCFL inventory (digestAlgorithm sha512, optional sha256 fixity)."""

    raw: bytes
    data: Mapping[str, Any]
    object_id: str
    head: int
    manifest: Mapping[str, tuple[str, ...]]  # sha512 -> content paths
    sha256_of: Mapping[str, str]  # content path -> sha256 from the fixity block

    def state(self, version: int) -> dict[str, str]:
        """Logical path -> sha512 of a version's files."""
        state = self.data["versions"][f"v{version}"]["state"]
        return {logical: digest for digest, paths in state.items() for logical in paths}

    def content_path(self, version: int, logical: str) -> str | None:
        digest = self.state(version).get(logical)
        return self.manifest[digest][0] if digest is not None else None

    def content_paths(self) -> dict[str, str]:
        """Content path -> sha512, for every file the manifest lists."""
        return {path: digest for digest, paths in self.manifest.items() for path in paths}

    def versions(self) -> list[int]:
        return list(range(1, self.head + 1))


def sidecar_bytes(raw: bytes) -> bytes:
    return f"{hashlib.sha512(raw).hexdigest()}  {INVENTORY}\n".encode()


def sidecar_matches(raw: bytes, sidecar: bytes) -> bool:
    words = sidecar.decode("ascii", errors="replace").split()
    return len(words) == 2 and words[1] == INVENTORY and words[0] == hashlib.sha512(raw).hexdigest()


def parse_inventory(raw: bytes, object_id: str | None = None) -> Inventory:
    """The inventory in `raw`, checked for shape and internal consistency. The same bytes are read many
    times in one run (head, version, read, check): parsed once (the result is never changed by callers)."""
    return _parse(raw, object_id)


@functools.lru_cache(maxsize=128)
def _parse(raw: bytes, object_id: str | None) -> Inventory:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InventoryError("not valid JSON") from None
    if not isinstance(data, dict):
        raise InventoryError("not a JSON object")
    ident = data.get("id")
    if not isinstance(ident, str) or (object_id is not None and ident != object_id):
        raise InventoryError(f"its id {ident!r} is not the object's")
    if data.get("type") != INVENTORY_TYPE or data.get("digestAlgorithm") != "sha512":
        raise InventoryError("not an OCFL 1.1 inventory with SHA-512 digests")
    if data.get("contentDirectory", "content") != "content":
        raise InventoryError("an unexpected content directory")
    head = _version_number(data.get("head"), "head")
    manifest = _digest_map(data.get("manifest"), SHA512, "manifest")
    content_paths: dict[str, str] = {}
    for digest, paths in manifest.items():
        for path in paths:
            if path in content_paths:
                raise InventoryError(f"manifest: {path!r} is listed twice")
            parts = path.split("/")
            if len(parts) < 3 or VERSION.fullmatch(parts[0]) is None or parts[1] != "content" or _unsafe(parts[2:]):
                raise InventoryError(f"manifest: {path!r} is not a content path")
            if int(parts[0][1:]) > head:
                raise InventoryError(f"manifest: {path!r} belongs to a version after the head")
            content_paths[path] = digest
    versions = data.get("versions")
    if (
        not isinstance(versions, dict)
        or len(versions) != head
        or any(f"v{n}" not in versions for n in range(1, head + 1))
    ):
        raise InventoryError(f"versions are not exactly v1 to v{head}")
    for name, version in versions.items():
        if not isinstance(version, dict) or not isinstance(version.get("created"), str):
            raise InventoryError(f"versions.{name} is not a version")
        if not isinstance(version.get("message", ""), str) or not isinstance(version.get("user", {}), dict):
            raise InventoryError(f"versions.{name}: message or user of the wrong type")
        state = _digest_map(version.get("state"), SHA512, f"versions.{name}.state")
        for digest, logicals in state.items():
            if digest not in manifest:
                raise InventoryError(f"versions.{name}.state: a digest the manifest does not list")
            for logical in logicals:
                if _unsafe(logical.split("/")):
                    raise InventoryError(f"versions.{name}.state: unsafe file name {logical!r}")
    sha256_of: dict[str, str] = {}
    fixity = data.get("fixity", {})
    if not isinstance(fixity, dict):
        raise InventoryError("fixity is not an object")
    if "sha256" in fixity:
        for digest, paths in _digest_map(fixity["sha256"], SHA256, "fixity.sha256").items():
            for path in paths:
                if path not in content_paths:
                    raise InventoryError(f"fixity: {path!r} is not in the manifest")
                sha256_of[path] = digest
    return Inventory(raw, data, ident, head, {d: tuple(p) for d, p in manifest.items()}, sha256_of)


def _version_number(value: Any, where: str) -> int:
    match = VERSION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InventoryError(f"{where} {value!r} is not a version name")
    return int(match.group(1))


def _digest_map(value: Any, pattern: re.Pattern[str], where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise InventoryError(f"{where} is not an object")
    for digest, paths in value.items():
        if pattern.fullmatch(digest) is None:
            raise InventoryError(f"{where}: {digest[:20]!r}… is not a digest")
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            raise InventoryError(f"{where}: the paths of a digest are not a list of names")
    return value


def _unsafe(parts: list[str]) -> bool:
    return not parts or any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts)

"""Checking an OCFL object or storage root on disk: every problem collected, nothing followed or trusted.

Nothing found here raises: a damaged file, an edited inventory, a symbolic link, a pipe where a file
should be, a missing version — each is a `Finding` with its place. Symbolic links are reported and never
followed (a copy that points into the other repository is not a second copy). Content is hashed in one
streaming pass against the inventory's SHA-256 fixity block (SHA-512 too when `deep`, or where no
fixity digest exists).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from archiver.archive.storage.base import Code, Finding, ObjectCheck
from archiver.archive.storage.inventory import (
    INVENTORY,
    SIDECAR,
    VERSION,
    Inventory,
    InventoryError,
    parse_inventory,
    sidecar_matches,
)

CHUNK = 1 << 20
ROOT_DECLARATION = "0=ocfl_1.1"
ROOT_DECLARATION_BYTES = b"ocfl_1.1\n"
LAYOUT_FILE = "ocfl_layout.json"
LAYOUT_EXTENSION = "0002-flat-direct-storage-layout"
OBJECT_DECLARATION = "0=ocfl_object_1.1"
# What a storage root of ours holds besides its objects (no extensions, no copy of the specification).
ROOT_ENTRIES = frozenset({ROOT_DECLARATION, LAYOUT_FILE})


@dataclass
class _Check:
    repository: str
    object_id: str
    found: list[Finding] = field(default_factory=list)

    def add(self, file: str | None, code: Code, detail: str) -> None:
        self.found.append(Finding(self.object_id, self.repository, file, code, detail))


def _kind(path: Path) -> str | None:
    """'file', 'dir', 'symlink', 'other', or None when nothing is there (not even a parent directory)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return "other"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "other"


def _read(path: Path, relative: str, check: _Check, code: Code) -> bytes | None:
    """A structural file's bytes, or None with a finding when it is not a readable regular file."""
    kind = _kind(path)
    if kind is None:
        check.add(relative, code, "the file is missing")
        return None
    if kind == "symlink":
        check.add(relative, Code.SYMLINK, "a symbolic link (not followed)")
        return None
    if kind != "file":
        check.add(relative, Code.NOT_A_FILE, "not a regular file")
        return None
    try:
        return read_regular(path, limit=64 << 20)
    except OSError as exc:
        check.add(relative, Code.UNREADABLE, f"cannot be read ({exc.strerror or exc})")
        return None


def _inventory_at(directory: Path, prefix: str, object_id: str, check: _Check, code: Code) -> Inventory | None:
    raw = _read(directory / INVENTORY, prefix + INVENTORY, check, code)
    sidecar = _read(directory / SIDECAR, prefix + SIDECAR, check, code)
    if raw is None:
        return None
    if sidecar is not None and not sidecar_matches(raw, sidecar):
        check.add(prefix + INVENTORY, code, "the inventory does not match its digest sidecar (edited or damaged)")
    try:
        return parse_inventory(raw, object_id)
    except InventoryError as exc:
        check.add(prefix + INVENTORY, code, f"the inventory cannot be used: {exc}")
        return None


def check_object(repository: str, directory: Path, object_id: str, *, deep: bool = False) -> ObjectCheck:
    """Every storage-level check of one object directory."""
    check = _Check(repository, object_id)
    kind = _kind(directory)
    if kind is None:
        check.add(None, Code.MISSING, "the copy is missing from the repository")
        return ObjectCheck(object_id, repository, tuple(check.found), False, None)
    if kind != "dir":
        detail = (
            "the object is a symbolic link (not followed)" if kind == "symlink" else "the object is not a directory"
        )
        check.add(None, Code.SYMLINK if kind == "symlink" else Code.NOT_A_FILE, detail)
        return ObjectCheck(object_id, repository, tuple(check.found), True, None)
    declaration = _read(directory / OBJECT_DECLARATION, OBJECT_DECLARATION, check, Code.STRUCTURE)
    if declaration is not None and declaration != b"ocfl_object_1.1\n":
        check.add(OBJECT_DECLARATION, Code.STRUCTURE, "the object declaration has the wrong content")
    inventory = _inventory_at(directory, "", object_id, check, Code.INVENTORY)
    if inventory is None:
        _extra_entries(directory, None, check)
        return ObjectCheck(object_id, repository, tuple(check.found), True, None)
    inventories = _check_versions(directory, inventory, check)
    _extra_entries(directory, inventory, check)
    sha256, hashed = _check_content(directory, inventory, check, deep)
    versions = {
        number: {
            logical: (d512, sha256.get(inventory.manifest[d512][0]))
            for logical, d512 in inventory.state(number).items()
        }
        for number in inventory.versions()
    }
    return ObjectCheck(object_id, repository, tuple(check.found), True, inventory.head, versions, hashed, inventories)


def _check_versions(directory: Path, inventory: Inventory, check: _Check) -> dict[int, str]:
    """Each version directory is there with its own inventory, consistent with the root one; returns the
    SHA-512 of each version's inventory."""
    digests: dict[int, str] = {}
    for number in inventory.versions():
        name = f"v{number}"
        kind = _kind(directory / name)
        if kind != "dir":
            what = {None: "is missing", "symlink": "is a symbolic link (not followed)"}.get(kind, "is not a directory")
            check.add(name, Code.SYMLINK if kind == "symlink" else Code.VERSION, f"the version directory {what}")
            continue
        own = _inventory_at(directory / name, f"{name}/", inventory.object_id, check, Code.VERSION)
        if own is None:
            continue
        digests[number] = hashlib.sha512(own.raw).hexdigest()
        if number == inventory.head:
            if own.raw != inventory.raw:
                check.add(f"{name}/{INVENTORY}", Code.VERSION, "the head version's inventory differs from the root one")
            continue
        if own.head != number or any(own.data["versions"][f"v{n}"] != inventory.data["versions"][f"v{n}"]
                                     for n in own.versions()):  # fmt: skip
            check.add(f"{name}/{INVENTORY}", Code.VERSION, "the version's inventory disagrees with the root one")
        elif any(inventory.manifest.get(d, ()) != paths for d, paths in own.manifest.items()):
            check.add(f"{name}/{INVENTORY}", Code.VERSION, "the version's manifest disagrees with the root one")
    return digests


def _extra_entries(directory: Path, inventory: Inventory | None, check: _Check) -> None:
    """Files and directories that belong to no version, and version directories the inventory lacks."""
    expected_versions = {f"v{n}" for n in inventory.versions()} if inventory is not None else None
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        check.add(None, Code.UNREADABLE, f"the object cannot be listed ({exc.strerror or exc})")
        return
    for name in names:
        if name in (OBJECT_DECLARATION, INVENTORY, SIDECAR):
            continue
        if VERSION.fullmatch(name):
            if expected_versions is not None and name not in expected_versions:
                check.add(name, Code.VERSION, "a version directory the inventory does not name")
            elif _kind(directory / name) == "dir":
                for inner in sorted(os.listdir(directory / name)):
                    if inner not in (INVENTORY, SIDECAR, "content"):
                        check.add(f"{name}/{inner}", Code.EXTRA, "a file that no inventory lists")
            continue
        kind = _kind(directory / name)
        check.add(name, Code.SYMLINK if kind == "symlink" else Code.EXTRA, "an entry that no inventory lists")


def _check_content(directory: Path, inventory: Inventory, check: _Check, deep: bool) -> tuple[dict[str, str], int]:
    listed = inventory.content_paths()
    computed: dict[str, str] = {}
    hashed = 0
    # Walk each version's content directory without following links: every entry must be listed.
    for number in inventory.versions():
        content_dir = directory / f"v{number}" / "content"
        kind = _kind(content_dir)
        if kind is None:
            continue
        if kind != "dir":
            check.add(f"v{number}/content", Code.SYMLINK if kind == "symlink" else Code.NOT_A_FILE,
                      "the content directory is not a directory")  # fmt: skip
            continue
        for relative, entry_kind in _walk(content_dir, f"v{number}/content", set(listed)):
            if entry_kind == "symlink":
                check.add(relative, Code.SYMLINK, "a symbolic link (not followed)")
            elif relative not in listed:
                check.add(relative, Code.EXTRA, "a file that no inventory lists")
            elif entry_kind != "file":
                check.add(relative, Code.NOT_A_FILE, "not a regular file")
    for content, digest in sorted(listed.items()):
        path = directory / content
        if not linkless(directory, content):
            continue  # a link on the way: reported where it is, never followed
        kind = _kind(path)
        if kind is None:
            check.add(content, Code.MISSING, "a stored file is missing")
            continue
        if kind != "file":
            continue  # reported by the walk (a link, a directory, a pipe)
        expected256 = inventory.sha256_of.get(content)
        try:
            d512, d256, size = _hash(path, sha512=deep or expected256 is None)
        except OSError as exc:
            check.add(content, Code.UNREADABLE, f"cannot be read ({exc.strerror or exc})")
            continue
        hashed += size
        computed[content] = d256
        if d512 is not None and d512 != digest:
            check.add(
                content, Code.DIGEST, "the file's SHA-512 does not match the OCFL inventory (damaged or replaced)"
            )
        elif expected256 is not None and expected256 != d256:
            check.add(content, Code.DIGEST, "the file's SHA-256 does not match the inventory (damaged or replaced)")
    return computed, hashed


def _walk(directory: Path, prefix: str, listed: set[str]) -> list[tuple[str, str]]:
    """Every entry under a directory as (relative path, kind): files, links, empty directories, and listed
    paths that became directories (not entered). Iterative: no nesting depth can exhaust the stack."""
    out: list[tuple[str, str]] = []
    stack = [(directory, prefix)]
    while stack:
        here, relative_here = stack.pop()
        try:
            names = sorted(os.listdir(here))
        except OSError:
            out.append((relative_here, "other"))
            continue
        if not names and relative_here != prefix:
            out.append((relative_here, "dir"))
        for name in names:
            path = here / name
            relative = f"{relative_here}/{name}"
            kind = _kind(path) or "other"
            if kind == "dir" and relative not in listed:
                stack.append((path, relative))
            else:
                out.append((relative, kind))
    return sorted(out)


def walk_files(directory: Path) -> list[Path]:
    """Every regular file and link under a directory, without recursion or following links."""
    out: list[Path] = []
    stack = [directory]
    while stack:
        here = stack.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                out.append(Path(entry.path))
    return out


def linkless(base: Path, relative: str) -> bool:
    """No component of `relative` under `base` is a symbolic link (so opening it follows none)."""
    path = base
    for part in relative.split("/"):
        path = path / part
        if _kind(path) == "symlink":
            return False
    return True


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes, opened without following a link or blocking on a pipe (OSError otherwise)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return handle.read() if limit is None else handle.read(limit)


def _hash(path: Path, *, sha512: bool) -> tuple[str | None, str, int]:
    """Streaming digests of a regular file, opened without following a link or blocking on a pipe."""
    d512 = hashlib.sha512() if sha512 else None
    d256 = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        while chunk := handle.read(CHUNK):
            d256.update(chunk)
            if d512 is not None:
                d512.update(chunk)
            size += len(chunk)
    return (d512.hexdigest() if d512 is not None else None), d256.hexdigest(), size


def _is_declaration(data: bytes) -> bool:
    return data == ROOT_DECLARATION_BYTES


def _is_layout(data: bytes) -> bool:
    try:
        layout = json.loads(data)
    except ValueError:
        return False
    return isinstance(layout, dict) and layout.get("extension") == LAYOUT_EXTENSION


def check_root(repository: str, root: Path, known: set[str]) -> list[Finding]:
    """The storage root's own problems: its declaration, junk, symbolic links, objects not in `known`."""
    found: list[Finding] = []

    def add(entry: str | None, code: Code, detail: str) -> None:
        found.append(Finding("storage-root", repository, entry, code, detail))

    if _kind(root) not in ("dir", "symlink") or not root.is_dir():
        add(None, Code.ROOT, f"the storage root {root} is missing (is the disk mounted?)")
        return found
    for name, ok in ((ROOT_DECLARATION, _is_declaration), (LAYOUT_FILE, _is_layout)):
        kind = _kind(root / name)
        if kind is None:
            add(name, Code.ROOT, "the storage root's declaration is missing")
        elif kind != "file":
            add(name, Code.ROOT, f"the storage root's declaration is {'a link' if kind == 'symlink' else 'not a file'}")
        else:
            try:
                if not ok(read_regular(root / name, limit=1 << 16)):
                    add(name, Code.ROOT, "the storage root's declaration has the wrong content")
            except OSError as exc:
                add(name, Code.ROOT, f"the storage root's declaration cannot be read ({exc.strerror or exc})")
    try:
        names = sorted(os.listdir(root))
    except OSError as exc:
        add(None, Code.UNREADABLE, f"the storage root cannot be listed ({exc.strerror or exc})")
        return found
    for name in names:
        if name in ROOT_ENTRIES or name in known:
            continue
        kind = _kind(root / name)
        if kind == "symlink":
            add(name, Code.SYMLINK, "a symbolic link in the storage root (not followed)")
        elif kind == "dir" and _kind(root / name / OBJECT_DECLARATION) == "file":
            add(name, Code.UNKNOWN, "an object the catalog does not know (left by an interrupted run, or foreign)")
        else:
            add(name, Code.EXTRA, "an entry that is not an object of this archive")
    return found

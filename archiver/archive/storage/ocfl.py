"""A filesystem repository that is an OCFL 1.1 storage root (https://ocfl.io/1.1/spec/).

Objects use the flat direct layout (extension 0002): the object id is the directory name. Content is
addressed by SHA-512 with a SHA-256 fixity block, so `sha256sum` and `ocfl-validate.py` both check it.

Crash safety: a new object is built completely in the staging directory beside the storage root (same
file system), fsynced, then renamed into place in one step; a new version's directory is staged and
renamed the same way, then the root inventory is replaced by rename. A crash leaves either no trace in
the storage root, or a version that the root inventory or the catalog does not yet name: the caller
sets it aside (`roll_back`) before anything is built on it. Stored content is never rewritten; whatever
is taken out of the storage root (a damaged copy, a leftover version, junk) goes to the quarantine
beside it and stays there until an admin purges it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.archive.storage.base import Finding, ObjectCheck, Repository, StorageError, VersionInfo
from archiver.archive.storage.checking import (
    LAYOUT_FILE,
    ROOT_DECLARATION,
    ROOT_DECLARATION_BYTES,
    ROOT_ENTRIES,
    _kind,
    check_object,
    check_root,
    linkless,
    read_regular,
    walk_files,
)
from archiver.archive.storage.inventory import (
    INVENTORY,
    INVENTORY_TYPE,
    SIDECAR,
    VERSION,
    Inventory,
    InventoryError,
    parse_inventory,
    sidecar_bytes,
    sidecar_matches,
)
from archiver.archive.storage.quarantine import Quarantine

OBJECT_DECLARATION = "0=ocfl_object_1.1"
LAYOUT = {
    "extension": "0002-flat-direct-storage-layout",
    "description": "Direct mapping of object identifiers to directory names (identifiers are [A-Za-z0-9._~-])",
}
ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-")
FILE_MODE = 0o644
DIRECTORY_MODE = 0o755


class OcflRepository:
    def __init__(
        self,
        name: str,
        root: Path,
        staging: Path | None = None,
        *,
        location: str = "",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.name = name
        self.root = root
        self.location = location
        self.staging = staging or root.parent / f".{root.name}.staging"
        self.clock = clock or _utcnow
        self.quarantine = Quarantine(self.staging / "quarantine", self.clock)

    @property
    def work(self) -> Path:
        """Where runs stage their writes; only what killed runs left here is ever cleaned up."""
        return self.staging / "work"

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
        _write(self.root / LAYOUT_FILE, _layout_bytes())
        _write(declaration, ROOT_DECLARATION_BYTES)
        _fsync_dir(self.root)

    def check(self, *, declared: bool = True) -> None:
        """Raise `StorageError` unless the storage root is there (declared, unless `declared` is False: repair
        writes a lost declaration again) and both it and the work area can be written to."""
        if not self.root.is_dir():
            raise StorageError(f"repository {self.name!r}: {self.root} does not exist (is the disk mounted?)")
        if declared and not (self.root / ROOT_DECLARATION).is_file():
            raise StorageError(f"repository {self.name!r}: {self.root} is not an OCFL storage root")
        try:
            self.work.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.work, prefix=".probe-"):
                pass
        except OSError as exc:
            raise StorageError(
                f"repository {self.name!r}: {self.work} is not writable ({exc.strerror or exc})"
            ) from None
        # The storage root itself is probed without writing to it (a probe file left by a killed run would
        # be junk in the root): writable for this user on a file system mounted read-write, and the same
        # file system as the work area, since everything is renamed from there into place.
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"repository {self.name!r}: {self.root} is not writable (read-only, or permissions)")
        if os.stat(self.root).st_dev != os.stat(self.work).st_dev:
            raise StorageError(
                f"repository {self.name!r}: its work area {self.work} is on another file system than {self.root}"
            )

    def object_ids(self) -> list[str]:
        """Every object in the storage root (directories holding an object declaration, no symlinks)."""
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        return sorted(
            e.name
            for e in entries
            if e.is_dir(follow_symlinks=False) and os.path.lexists(os.path.join(e.path, OBJECT_DECLARATION))
        )

    def device(self) -> int | None:
        """The device the storage root is on (two repositories on one device are not two carriers)."""
        try:
            return os.stat(self.root).st_dev
        except OSError:
            return None

    # -- reading -----------------------------------------------------------------------------------

    def inventory(self, object_id: str) -> Inventory | None:
        """The object's root inventory; None when there is no object. A damaged one is `StorageError`."""
        directory = self._object(object_id)
        path = directory / INVENTORY
        if not os.path.lexists(directory):
            return None
        try:
            if path.is_symlink() or directory.is_symlink():
                raise StorageError(f"repository {self.name!r}: {object_id} is a symbolic link; run `archiver verify`")
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"repository {self.name!r}: {object_id}/{INVENTORY}: {exc.strerror or exc}") from None
        try:
            return parse_inventory(raw, object_id)
        except InventoryError as exc:
            raise StorageError(
                f"repository {self.name!r}: {object_id}/{INVENTORY} is damaged ({exc}); "
                "run `archiver verify` and `archiver repair`"
            ) from None

    def head(self, object_id: str) -> VersionInfo | None:
        inventory = self.inventory(object_id)
        return None if inventory is None else _version_info(inventory, inventory.head)

    def version(self, object_id: str, number: int) -> VersionInfo | None:
        inventory = self.inventory(object_id)
        if inventory is None or not 1 <= number <= inventory.head:
            return None
        return _version_info(inventory, number)

    def read(self, object_id: str, logical_path: str, version: str | None = None) -> bytes:
        path = self.path(object_id, logical_path, version)
        try:
            return read_regular(path)
        except OSError as exc:
            raise StorageError(f"repository {self.name!r}: {object_id}/{logical_path}: {exc.strerror or exc}") from None

    def path(self, object_id: str, logical_path: str, version: str | None = None) -> Path:
        inventory = self.inventory(object_id)
        if inventory is None:
            raise StorageError(f"repository {self.name!r}: no object {object_id}")
        number = inventory.head if version is None else int(version[1:])
        if not 1 <= number <= inventory.head:
            raise StorageError(f"repository {self.name!r}: {object_id} has no version {version}")
        content = inventory.content_path(number, logical_path)
        if content is None:
            raise StorageError(f"repository {self.name!r}: {object_id} has no file {logical_path!r}")
        path = self._object(object_id) / content
        if not linkless(self._object(object_id), content) or _kind(path) != "file":
            raise StorageError(f"repository {self.name!r}: {object_id}/{content} is not a regular file")
        return path

    def list_raw(self, object_id: str) -> list[str]:
        """Every regular file of an object, relative to it (a link, a pipe or a device is refused)."""
        directory = self._object(object_id)
        if _kind(directory) != "dir":
            raise StorageError(f"repository {self.name!r}: {object_id} is not a directory")
        out: list[str] = []
        for path in walk_files(directory):
            if _kind(path) != "file":
                raise StorageError(f"repository {self.name!r}: {path} is not a regular file")
            out.append(path.relative_to(directory).as_posix())
        return sorted(out)

    def read_raw(self, object_id: str, relative: str) -> bytes:
        """A file of an object as stored; never through a link, never blocking on a pipe."""
        directory = self._object(object_id)
        if _kind(directory) != "dir" or not linkless(directory, relative):
            raise StorageError(f"repository {self.name!r}: {object_id}/{relative} is reached through a link")
        try:
            return read_regular(directory / relative)
        except OSError as exc:
            raise StorageError(f"repository {self.name!r}: {object_id}/{relative}: {exc.strerror or exc}") from None

    # -- checking ----------------------------------------------------------------------------------

    def verify_object(self, object_id: str, *, deep: bool = False) -> ObjectCheck:
        return check_object(self.name, self._object(object_id), object_id, deep=deep)

    def verify_root(self, known: set[str]) -> list[Finding]:
        return check_root(self.name, self.root, known)

    def restore_declarations(self) -> None:
        """Write the storage root's declaration and layout again where they are missing or wrong (what was
        there is set aside first)."""
        with self._writing("cannot write the storage root's declaration"):
            for name, data in ((ROOT_DECLARATION, ROOT_DECLARATION_BYTES), (LAYOUT_FILE, _layout_bytes())):
                path = self.root / name
                if _kind(path) == "file" and read_regular(path) == data:
                    continue
                if os.path.lexists(path):
                    aside = self.quarantine.new(self.name, name, "a wrong storage-root declaration")
                    os.rename(path, aside / name)
                _write(path, data)
            _fsync_dir(self.root)

    # -- writing -----------------------------------------------------------------------------------

    def put(
        self, object_id: str, files: Mapping[str, bytes], *, message: str, user: str, created: datetime
    ) -> VersionInfo:
        check_id(object_id)
        previous = self.inventory(object_id)
        number = 1 if previous is None else previous.head + 1
        version = f"v{number}"
        target = self._object(object_id)
        if previous is not None and os.path.lexists(target / version):
            raise StorageError(
                f"repository {self.name!r}: {object_id} holds a {version} that its inventory does not name "
                "(left by an interrupted run)"
            )
        inventory = _next_inventory(object_id, previous, version, files, message, user, created)
        with self._writing(f"cannot store {object_id} {version}"), self._stage(f"{object_id}.{version}") as stage:
            for content_path in (p for paths in inventory["manifest"].values() for p in paths):
                if content_path.startswith(f"{version}/"):
                    _write(stage / content_path, files[content_path[len(f"{version}/content/") :]])
            raw = _write_inventory(stage / version, inventory)
            _fsync_tree(stage / version)
            if previous is None:
                _write(stage / OBJECT_DECLARATION, b"ocfl_object_1.1\n")
                _write_inventory(stage, inventory)
                _fsync_dir(stage)
                if os.path.lexists(target):
                    raise StorageError(f"repository {self.name!r}: object {object_id} was created by another run")
                os.rename(stage, target)  # the whole object appears at once
                _fsync_dir(self.root)
            else:
                os.rename(stage / version, target / version)
                _fsync_dir(target)
                _write_inventory(target, inventory, stage)  # by rename: the head moves at once
        return _version_info(parse_inventory(raw, object_id), number)

    def roll_back(self, object_id: str, to_version: int, *, reason: str) -> str | None:
        """Set aside the versions after `to_version` that an interrupted run left, and make the root
        inventory that version's own again. Returns where they went, or None when there were none.

        Only the leftovers of an interrupted write are undone: version directories after `to_version` (a
        root inventory naming them, or still the old one, or half replaced). An object at `to_version`
        with nothing after it is left as it is; anything else (a damaged root inventory, a head behind)
        is for `archiver repair`, never rewritten here."""
        target = self._object(object_id)
        try:
            names = os.listdir(target)
        except OSError as exc:
            raise StorageError(f"repository {self.name!r}: {object_id}: {exc.strerror or exc}") from None
        later = sorted(int(m.group(1)) for m in map(VERSION.fullmatch, names) if m and int(m.group(1)) > to_version)
        root = _sound_inventory(target, "", object_id)
        if not later:
            if root is not None and root.head == to_version:
                return None
            raise StorageError(
                f"repository {self.name!r}: {object_id} is not at v{to_version} and no interrupted run explains it; "
                "run `archiver verify` and `archiver repair`"
            )
        base = _sound_inventory(target, f"v{to_version}/", object_id)
        if base is not None and base.head == to_version and root is not None:
            agree = root.head >= to_version and all(
                root.data["versions"][f"v{n}"] == base.data["versions"][f"v{n}"] for n in base.versions()
            )
        else:
            agree = base is not None and base.head == to_version
        if base is None or not agree:
            raise StorageError(
                f"repository {self.name!r}: {object_id} v{to_version} cannot be restored as the head; "
                "run `archiver verify` and `archiver repair`"
            )
        with self._writing(f"cannot set aside what an interrupted run left in {object_id}"):
            aside = self.quarantine.new(self.name, object_id, reason)
            for number in reversed(later):
                os.rename(target / f"v{number}", aside / f"v{number}")
            if root is None or root.raw != base.raw:
                with self._stage(f"rollback.{object_id}") as scratch:
                    _replace(target / SIDECAR, sidecar_bytes(base.raw), scratch)
                    _replace(target / INVENTORY, base.raw, scratch)
            _fsync_dir(target)
        return str(aside)

    def restore_from(self, source: Repository, object_id: str, *, reason: str) -> str | None:
        """This repository's copy replaced by a byte-for-byte copy of `source`'s, which is checked after
        copying and before it goes into place; whatever was here is kept in quarantine."""
        check_id(object_id)
        target = self._object(object_id)
        with self._writing(f"cannot restore {object_id}"), self._stage(f"restore.{object_id}") as stage:
            copy = stage / object_id
            copy.mkdir(mode=DIRECTORY_MODE)
            for relative in source.list_raw(object_id):
                _write(copy / relative, source.read_raw(object_id, relative))
            _fsync_tree(copy)
            check = check_object(self.name, copy, object_id, deep=True)
            if not check.ok:
                raise StorageError(
                    f"repository {self.name!r}: the copy of {object_id} from {source.name!r} did not check: "
                    + "; ".join(f.detail for f in check.findings[:3])
                )
            aside: Path | None = None
            if os.path.lexists(target):
                aside = self.quarantine.new(self.name, object_id, reason)
                os.rename(target, aside / object_id)  # kept, not destroyed
            os.rename(copy, target)
            _fsync_dir(self.root)
        return str(aside) if aside is not None else None

    def restore_files(self, sources: Sequence[Repository], object_id: str, *, reason: str) -> str | None:
        """Repair the content files of a copy whose inventory is sound: every listed file that is missing
        or wrong is replaced by a file of the same content path from a source whose bytes have the
        inventory's SHA-512; every entry no inventory lists is taken out. All good files are found (and
        staged) before anything changes: with one missing, `StorageError` and nothing is changed."""
        inventory = self.inventory(object_id)
        if inventory is None:
            raise StorageError(f"repository {self.name!r}: no object {object_id}")
        directory = self._object(object_id)
        listed = inventory.content_paths()
        check = self.verify_object(object_id)
        content_problems = [f for f in check.findings if f.file and f.file.split("/")[1:2] == ["content"]]
        if len(content_problems) != len(check.findings):
            raise StorageError(
                f"repository {self.name!r}: {object_id} has problems beyond its content files; nothing was changed"
            )
        bad = sorted({f.file for f in content_problems if f.file and f.file in listed})
        extra = sorted({f.file for f in content_problems if f.file and f.file not in listed})
        with self._writing(f"cannot repair {object_id}"), self._stage(f"files.{object_id}") as stage:
            for content in bad:
                for source in sources:
                    try:
                        data = source.read_raw(object_id, content)
                    except (OSError, StorageError):
                        continue
                    if hashlib.sha512(data).hexdigest() == listed[content]:
                        _write(stage / content, data)
                        break
                else:
                    raise StorageError(
                        f"repository {self.name!r}: no repository holds {object_id}/{content} intact; "
                        "nothing was changed"
                    )
            aside = self.quarantine.new(self.name, object_id, reason) if bad or extra else None
            for content in extra + bad:
                if aside is not None and os.path.lexists(directory / content):
                    (aside / content).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(directory / content, aside / content)  # kept, not destroyed
            for content in extra:
                _prune_empty(directory / content, directory)
            for content in bad:
                (directory / content).parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
                os.rename(stage / content, directory / content)
                _fsync_dir((directory / content).parent)
        return str(aside) if aside is not None else None

    def set_aside(self, entry: str, *, reason: str) -> str:
        """Move an entry of the storage root (junk, a symbolic link, an unknown object) into quarantine."""
        if entry in ROOT_ENTRIES or "/" in entry or entry in ("", ".", ".."):
            raise StorageError(f"repository {self.name!r}: {entry!r} cannot be set aside")
        with self._writing(f"cannot set {entry} aside"):
            aside = self.quarantine.new(self.name, entry, reason)
            os.rename(self.root / entry, aside / entry)
            _fsync_dir(self.root)
        return str(aside)

    def remove(self, object_id: str) -> None:
        target = self._object(object_id)
        if not os.path.lexists(target):
            return
        with self._writing(f"cannot remove {object_id}"), self._stage(f"disposed.{object_id}") as doomed:
            os.rename(target, doomed / object_id)  # out of the storage root at once, then deleted
            _fsync_dir(self.root)

    def cleanup(self, older_than_seconds: int) -> None:
        """Remove what killed runs left in the work area; never quarantine, locks or the storage root."""
        import time

        if self._linked_work_area() or not self.work.is_dir():
            return  # a work area that is a link is never followed (it may point into a storage root)
        for entry in self.work.iterdir():
            try:
                if time.time() - entry.lstat().st_mtime > older_than_seconds:
                    shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            except OSError:
                pass

    # -- helpers -----------------------------------------------------------------------------------

    def _object(self, object_id: str) -> Path:
        check_id(object_id)
        return self.root / object_id

    def _linked_work_area(self) -> bool:
        """Whether the work area is a link, or leads into a storage root or an object (never cleaned or staged
        into). The staging directory itself may be a link, e.g. to the disk the repository is on."""
        if os.path.islink(self.work):
            return True
        return os.path.lexists(self.work / ROOT_DECLARATION) or os.path.lexists(self.work / OBJECT_DECLARATION)

    @contextmanager
    def _stage(self, label: str) -> Iterator[Path]:
        if self._linked_work_area():
            raise StorageError(
                f"repository {self.name!r}: its work area {self.work} is a symbolic link or a storage root; refused"
            )
        self.work.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=self.work, prefix=f"{label}."))
        try:
            os.chmod(stage, DIRECTORY_MODE)
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """A failed write (disk full, read-only, the disk gone) is a `StorageError` naming the repository."""
        try:
            yield
        except OSError as exc:
            raise StorageError(f"repository {self.name!r}: {what}: {exc.strerror or exc}") from None


def _sound_inventory(directory: Path, prefix: str, object_id: str) -> Inventory | None:
    """The inventory at `prefix` (root: "") when it is a regular file reached without a link, agrees with its
    sidecar and parses; else None."""
    if not linkless(directory, prefix + INVENTORY) or not linkless(directory, prefix + SIDECAR):
        return None
    try:
        raw = read_regular(directory / prefix / INVENTORY)
        sidecar = read_regular(directory / prefix / SIDECAR)
        return parse_inventory(raw, object_id) if sidecar_matches(raw, sidecar) else None
    except (OSError, InventoryError):
        return None


def check_id(object_id: str) -> None:
    """Refuse an id that could not name a directory of the storage root (or a lock file) safely."""
    if (
        not object_id
        or len(object_id) > 200
        or object_id.startswith(".")
        or any(c not in ID_CHARACTERS for c in object_id)
    ):
        raise StorageError(f"object id {object_id!r} cannot name a directory")


def _next_inventory(
    object_id: str,
    previous: Inventory | None,
    version: str,
    files: Mapping[str, bytes],
    message: str,
    user: str,
    created: datetime,
) -> dict[str, Any]:
    old = dict(previous.data) if previous is not None else {}
    manifest: dict[str, list[str]] = {k: list(v) for k, v in old.get("manifest", {}).items()}
    fixity: dict[str, list[str]] = {k: list(v) for k, v in old.get("fixity", {}).get("sha256", {}).items()}
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
    versions = dict(old.get("versions", {}))
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


def _version_info(inventory: Inventory, number: int) -> VersionInfo:
    sha512 = inventory.state(number)
    sha256 = {logical: inventory.sha256_of.get(inventory.manifest[d][0], "") for logical, d in sha512.items()}
    entry = inventory.data["versions"][f"v{number}"]
    user = entry.get("user", {}).get("name", "")
    return VersionInfo(inventory.object_id, f"v{number}", sha256, sha512, entry["created"], entry.get("message", ""),
                       user if isinstance(user, str) else "")  # fmt: skip


def _write_inventory(directory: Path, inventory: dict[str, Any], scratch: Path | None = None) -> bytes:
    """An inventory and its sidecar: written as new files in a staged directory, or (with `scratch`) each
    replaced in one step in a live object."""
    data = (json.dumps(inventory, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if scratch is None:
        _write(directory / SIDECAR, sidecar_bytes(data))
        _write(directory / INVENTORY, data)
        return data
    # The sidecar first: a crash between the two leaves a root inventory that disagrees with its sidecar,
    # and the version's own inventory (identical to the new root one) says what the head should be.
    _replace(directory / SIDECAR, sidecar_bytes(data), scratch)
    _replace(directory / INVENTORY, data, scratch)
    return data


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)  # never overwrite
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fchmod(handle.fileno(), FILE_MODE)  # the same mode for every stored file, whatever the umask
        os.fsync(handle.fileno())


def _replace(path: Path, data: bytes, scratch: Path) -> None:
    """Replace a structural file in one step: written and fsynced in `scratch` (the work area, on the same
    file system, outside the storage root, so a killed run leaves no temporary file in an object), then
    renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=scratch, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), FILE_MODE)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for directory, _, _ in os.walk(path):
        _fsync_dir(Path(directory))


def _prune_empty(removed: Path, directory: Path) -> None:
    """Remove the directories left empty above a removed entry, up to the version's content directory."""
    parent = removed.parent
    while parent != directory and parent.name != "content" and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _layout_bytes() -> bytes:
    return (json.dumps(LAYOUT, indent=2) + "\n").encode()


def _utcnow() -> datetime:
    return datetime.now(UTC)

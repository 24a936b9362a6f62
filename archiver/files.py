"""Files the archive writes so that no reader ever sees half of one, and how a file it cannot read is named."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from archiver.errors import BadInputError

PRIVATE_FILE = 0o600  # secrets, the catalog, the configuration, and whatever `get` and `export` write
PRIVATE_DIR = 0o700


def replace_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` in one step (temporary name, fsync, rename, fsync of the directory),
    with `mode`, or else the permissions a new file would get (umask). OSError on failure; nothing
    half-written stays. The temporary file is 0600 from its first byte, so a private file never has a
    moment with wider permissions."""
    _replace(path, lambda out: out.write(data), mode)


def copy_file(source: Path, path: Path, mode: int | None = None) -> None:
    """`replace_file` with the contents of `source`, streamed."""

    def copy(out: IO[bytes]) -> None:
        with source.open("rb") as stream:
            shutil.copyfileobj(stream, out, 1024 * 1024)

    _replace(path, copy, mode)


def _replace(path: Path, write: Callable[[IO[bytes]], Any], mode: int | None) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(out.fileno(), mode)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private(path: Path, data: bytes) -> None:
    """Write a new file that only its owner may read (0600 from its first byte); FileExistsError when
    anything, a symbolic link included, is at `path` already."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def make_private_dir(path: Path) -> None:
    """Make the directory `path` (its parent must exist) with 0700; FileExistsError when anything is there.
    Created 0700 or narrower (umask) and then set to exactly 0700, so it is never wider."""
    path.mkdir(mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories made meanwhile by code that takes no mode (bagit) are 0600 and 0700 from the
    start. The umask is the process's: use it only around such a call, never around threads that write."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def check_replaceable(path: Path) -> None:
    """Refuse an output path that holds anything but a regular file: a device, a FIFO, a directory or a
    symbolic link (never followed) is not ours to replace. A missing path is fine."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadInputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    if not stat.S_ISREG(found.st_mode):
        raise BadInputError(f"{path}: not a regular file ({_kind(found.st_mode)}); it is not replaced")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def unreadable(path: Path, exc: OSError) -> str:
    """The message for a file that cannot be read, naming it."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied"
    return f"{path}: cannot be read ({exc.strerror or exc})"


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """`replace_file` for files the user named: a failure is bad input, reported with the path. Only a
    regular file is replaced (`check_replaceable`); `mode` as in `replace_file` (None: the umask)."""
    check_replaceable(path)
    try:
        replace_file(path, data, mode)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def printable_text(text: str) -> str:
    """A name found on disk as printable text: bytes that are not UTF-8 escaped as text (\\xff)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def printable(value: Any) -> Any:
    """Names found on disk may hold bytes that are not UTF-8 (surrogate escapes in Python's str): the same
    value with such bytes escaped as text (\\xff), so it can be printed, put in JSON and stored."""
    if isinstance(value, str):
        return printable_text(value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value

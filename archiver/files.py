"""Files the archive writes so that no reader ever sees half of one, and how a file it cannot read is named."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from archiver.errors import BadInputError


def replace_file(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (temporary name, fsync, rename, fsync of the directory),
    with the permissions a new file would get (umask). OSError on failure; nothing half-written stays."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def unreadable(path: Path, exc: OSError) -> str:
    """The message for a file that cannot be read, naming it."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(exc, PermissionError):
        return f"{path}: permission denied"
    return f"{path}: cannot be read ({exc.strerror or exc})"


def write_atomically(path: Path, data: bytes) -> None:
    """`replace_file` for files the user named: a failure is bad input, reported with the path."""
    try:
        replace_file(path, data)
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

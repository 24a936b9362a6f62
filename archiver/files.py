"""Writing a file so that no reader ever sees half of it: a temporary name beside it, fsync, rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from archiver.errors import BadInputError


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step, with the permissions a new file would get (umask)."""
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
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise BadInputError(f"{path}: cannot be written ({exc.strerror or exc})") from None

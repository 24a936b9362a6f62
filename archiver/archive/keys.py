"""Passphrases for signing keys: from a file, the environment, or a prompt; never stored, never logged.

The order is fixed: `--passphrase-file FILE` (for unattended runs; the file's first line), then the
environment variable ARCHIVER_KEY_PASSPHRASE, then an interactive prompt without echo. A passphrase is
never taken from a command-line argument (it would show in the process list).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from archiver.errors import BadInputError
from archiver.files import unreadable

ENV_VARIABLE = "ARCHIVER_KEY_PASSPHRASE"
Prompt = Callable[[str], str]


def read_passphrase(
    file: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    what: str = "the signing key",
) -> bytes:
    """The passphrase as bytes, from the first source that has one."""
    if file is not None:
        return _from_file(file)
    env = os.environ if environ is None else environ
    if env.get(ENV_VARIABLE):
        return env[ENV_VARIABLE].encode("utf-8")
    if prompt is None:
        raise BadInputError(
            f"no passphrase for {what}: give --passphrase-file FILE or set {ENV_VARIABLE} (no terminal to ask)"
        )
    return prompt(f"Passphrase for {what}: ").encode("utf-8")


def _from_file(path: Path) -> bytes:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BadInputError(f"{path}: not a regular file")
        data = path.read_bytes()[:4096]
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such passphrase file") from None
    except OSError as exc:
        raise BadInputError(unreadable(path, exc)) from None
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    if not line:
        raise BadInputError(f"{path}: the passphrase file is empty")
    return line

"""BagIt packages as RFC 8493 defines them (BagIt-Version 1.0), made with bagit-python: it writes 0.97, so
its bagit.txt is rewritten and the tag manifests computed again; it validates 1.0 bags itself."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from archiver.errors import BadInputError
from archiver.files import private_umask

BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def make_bag(directory: Path, info: Mapping[str, str]) -> None:
    """Turn `directory` into a BagIt 1.0 bag in place (its files move into data/), with SHA-256 and SHA-512
    manifests; every file private (children's personal data)."""
    import bagit

    with private_umask():  # bagit writes its tag files itself and takes no mode
        bagit.make_bag(str(directory), bag_info=dict(info), checksums=["sha256", "sha512"])
        (directory / "bagit.txt").write_text(BAGIT_DECLARATION, encoding="utf-8")
        bagit.Bag(str(directory)).save()  # the tag manifests again, over the 1.0 declaration


def validate_bag(directory: Path) -> str | None:
    """Why the bag does not validate (bagit-python, every checksum), or None."""
    import bagit

    try:
        bag = bagit.Bag(str(directory))
        bag.validate()
    except bagit.BagError as exc:
        return str(exc)
    if bag.version_info != (1, 0):
        return f"the bag says BagIt-Version {bag.version}, not 1.0"
    return None


def check_new_directory(out: Path) -> None:
    """A package goes into a new directory or an empty one, never through a symbolic link."""
    if out.exists() and (out.resolve() == Path.cwd().resolve() or os.path.ismount(out)):
        raise BadInputError(f"{out}: the working directory or a mount point cannot become a package; give a new "
                            "directory (inside it, say)")  # fmt: skip
    if out.is_symlink() or (os.path.lexists(out) and not out.is_dir()):
        raise BadInputError(f"{out}: exists and is not a directory (a symbolic link is not followed)")
    if out.exists() and any(out.iterdir()):
        raise BadInputError(f"{out}: exists and is not empty")


def work_directory(out: Path, suffix: str) -> Path:
    """A private (0700) directory beside `out` where a package is made, to be renamed into place when it is
    complete: a failed run leaves no half package."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=suffix))
    except OSError as exc:
        raise BadInputError(f"{out.parent}: cannot be written ({exc.strerror or exc})") from None

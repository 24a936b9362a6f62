"""Archives made once per run by the session fixtures (tests/conftest.py), copied for each test that changes
one."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_archive(source: Path, target: Path, *, workers: int | None = None) -> Path:
    """A copy of an archive made by a session fixture, for a test to change (`workers`: render with that
    many processes instead of the configured one per core; 1 renders in this process)."""
    shutil.copytree(source, target, symlinks=True)
    if workers is not None:
        config = target / "archiver.toml"
        config.write_text(config.read_text().replace("workers = 0", f"workers = {workers}"))
    return target


def archive_and_sign(directory: Path, export: Path) -> Path:
    """`archive year` of `export` as the admin, then the director signs every volume (the TEST keys of init)."""
    from tests.clirun import run_cli

    config = directory / "archiver.toml"
    pki = directory / "pki"
    archived = run_cli("archive", "year", str(export), config=config, user="admin")
    assert archived.returncode == 0, archived.stderr
    signed = run_cli("sign", "--pending", "--key", str(pki / "director.p12"), "--passphrase-file",
                     str(pki / "director.passphrase"), config=config, user="director")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    return directory


def bare(site: Path) -> Path:
    """The archive at `site` signs with bare (B-B) signatures from now on (`[signing] level`)."""
    config = site / "archiver.toml"
    config.write_text(config.read_text().replace('level = "B-LTA"', 'level = "B-B"'))
    return site

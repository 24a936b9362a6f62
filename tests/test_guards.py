"""Nothing is read, unlocked or written for someone the archive does not let act, and nothing a run cleans up
is reached through a link (found by a review of the operations' authorization)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.archive.storage import OcflRepository, StorageError
from tests.clirun import run_cli

WHEN = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


def _audit_versions(archive: Path) -> list[str]:
    return sorted(str(p.relative_to(archive)) for p in (archive / "repositories").glob("*/archive~audit~*/v*"))


def test_an_unregistered_account_is_refused_before_its_input_is_read(archive_copy: Path) -> None:
    config = archive_copy / "archiver.toml"
    secret = archive_copy / "not-an-export.txt"
    secret.write_text("the first line of a file the service account can read\n")
    before = _audit_versions(archive_copy)
    for args in (
        ("archive", "year", str(secret)),
        ("archive", "quarter", str(secret), "--period", "q1"),
        ("users", "add", "eve", "--role", "director", "--certificate", str(secret)),
        ("verify", "--case", "no-such-case"),
        ("repair", "--case", "no-such-case"),
    ):
        result = run_cli(*args, config=config, user="mallory")
        assert result.returncode == 1 and "refused" in result.stderr, (args, result.stderr)
        for leak in ("not JSON", "not a certificate", "no case", "first line"):
            assert leak not in result.stderr, (args, result.stderr)
    # a run of nobody's account seals no checkpoint (and so never unlocks the e-seal): the refusals wait
    # in the trail for the next user's run
    assert _audit_versions(archive_copy) == before
    status = run_cli("status", config=config, user="admin")
    assert status.returncode == 0, status.stderr
    assert len(_audit_versions(archive_copy)) > len(before)


def test_a_work_area_that_is_a_link_is_never_followed(tmp_path: Path) -> None:
    victim = OcflRepository("victim", tmp_path / "victim")
    victim.initialize()
    victim.put("case.a", {"f": b"kept"}, message="m", user="u", created=WHEN)
    old = time.time() - 7200
    for path in victim.root.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)
    repo = OcflRepository("r1", tmp_path / "r1")
    repo.initialize()
    repo.staging.mkdir(parents=True, exist_ok=True)
    os.symlink(victim.root, repo.work)  # .r1.staging/work → another storage root
    repo.cleanup(3600)
    assert victim.object_ids() == ["case.a"] and victim.verify_object("case.a").ok
    with pytest.raises(StorageError, match="symbolic link"):
        repo.put("case.b", {"f": b"x"}, message="m", user="u", created=WHEN)
    assert victim.object_ids() == ["case.a"]
    # the staging directory linked to the victim's parent, so that its work area is the victim's root
    os.unlink(repo.work)
    shutil.rmtree(repo.staging)
    victim.root.rename(victim.root.parent / "work")
    os.symlink(victim.root.parent, repo.staging)
    repo.cleanup(3600)
    moved = OcflRepository("victim", victim.root.parent / "work")
    assert moved.object_ids() == ["case.a"] and moved.verify_object("case.a").ok

"""Interrupted writes: `archive year`, `sign --pending`, `dispose` and `repair` killed at each of their write
steps (the n-th rename or replace of a file, where the process ends as abruptly as with SIGKILL), then run
again: both repositories and the catalog end at the same head and `verify` is clean. The same with the
second repository on a small filesystem that fills up, freed before the re-run."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from tests.clirun import run_cli
from tests.sites import bare, copy_archive

SMALL = Path(__file__).parent / "data" / "small_school.json"
PERIOD_Q1 = "school-2~2025-2026~c-5a~period~q1"


class Killed(BaseException):
    """Stands for the process dying at a write step: no `except Exception` catches it, nothing reports it."""


def _run_killed(site: Path, at: int, *args: str, user: str) -> int:
    """Run a command in this process with os.rename and os.replace counted; at the `at`-th the run stops
    there (`at` = 0: never). Returns how many were made."""
    real_rename, real_replace = os.rename, os.replace
    count = 0

    def counted(real: Callable[..., None]) -> Callable[..., None]:
        def call(*a: object, **k: object) -> None:
            nonlocal count
            count += 1
            if count == at:
                raise Killed
            real(*a, **k)

        return call

    os.rename, os.replace = counted(real_rename), counted(real_replace)
    try:
        done = run_cli(*args, config=site / "archiver.toml", user=user)
        assert at == 0 and done.returncode == 0, (at, done.stdout, done.stderr)
    except Killed:
        assert at > 0
    finally:
        os.rename, os.replace = real_rename, real_replace
    return count


# The same as a separate process that ends with os._exit at the n-th rename (nothing cleans up, as with
# SIGKILL): the in-process runs above leave `finally` blocks running, this does not.
KILLER = r"""
import os, sys
limit = int(os.environ["KILL_AT_RENAME"])
count = [0]
def counted(real):
    def call(*args, **kwargs):
        count[0] += 1
        if count[0] == limit:
            os._exit(137)
        return real(*args, **kwargs)
    return call
os.rename, os.replace = counted(os.rename), counted(os.replace)
from archiver.cli import main
sys.argv[0] = "archiver"
main()
"""


def _renames(site: Path, *args: str, user: str, checkpoint: bool = True) -> int:
    """How many renames the command makes when nothing stops it (on a copy of the site); without
    `checkpoint`, those of its own work only (the audit checkpoint every run ends with left out)."""
    trial = Path(tempfile.mkdtemp(prefix=f"{site.name}-count-", dir=site.parent)) / site.name  # one per call
    shutil.copytree(site, trial, symlinks=True)
    if checkpoint:
        return _run_killed(trial, 0, *args, user=user)
    import archiver.cli.session

    with mock.patch.object(archiver.cli.session, "seal_checkpoint", lambda *a, **k: None):
        return _run_killed(trial, 0, *args, user=user)


def _agree(site: Path) -> None:
    """Every repository holds every case at the catalog's head (disposed cases nowhere); verify is clean."""
    with sqlite3.connect(site / "catalog.sqlite") as db:
        cases = db.execute("SELECT id, status, head_version FROM cases").fetchall()
    assert cases
    for repo in ("primary", "secondary"):
        root = site / "repositories" / repo
        for case, status, head in cases:
            if status == "disposed":
                assert not os.path.lexists(root / case), (repo, case)
            else:
                assert json.loads((root / case / "inventory.json").read_bytes())["head"] == f"v{head}", (repo, case)
        objects = {p.name for p in root.iterdir() if p.is_dir()}
        assert objects == {c for c, s, _ in cases if s != "disposed"}, (repo, objects)
    verified = run_cli("--json", "verify", config=site / "archiver.toml", user="archivist")
    assert verified.returncode == 0, verified.stdout
    from tests.test_damage_property import _validate_ocfl

    for repo in ("primary", "secondary"):
        _validate_ocfl(site / "repositories" / repo)


def _fresh(initialized: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A copy of the session's initialized archive that renders in this process (no pool to fork per run),
    with bare signatures: these tests are about each write step, and B-LTA triples the cost of every one."""
    return bare(copy_archive(initialized, tmp_path_factory.mktemp(name) / "archive", workers=1))


@pytest.fixture(scope="module")
def archived(bare_archived: Path) -> Path:
    """The signed small-school archive with bare signatures (conftest's `bare_archived`), in this module."""
    return bare_archived


def _sign_args(site: Path) -> list[str]:
    pki = site / "pki"
    return [
        "sign",
        "--pending",
        "--key",
        str(pki / "director.p12"),
        "--passphrase-file",
        str(pki / "director.passphrase"),
    ]


@pytest.fixture(scope="module")
def fresh(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _fresh(initialized, tmp_path_factory, "fresh")


@pytest.fixture(scope="module")
def unsigned(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = _fresh(initialized, tmp_path_factory, "unsigned")
    assert run_cli("archive", "year", str(SMALL), config=site / "archiver.toml", user="admin").returncode == 0
    return site


@pytest.fixture(scope="module")
def superseded(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = _fresh(initialized, tmp_path_factory, "superseded")
    for period in ("q1", "q2"):  # q1 superseded by q2: due for disposal at once
        done = run_cli(
            "archive", "quarter", str(SMALL), "--period", period, config=site / "archiver.toml", user="admin"
        )
        assert done.returncode == 0, done.stderr
    return site


@pytest.fixture(scope="module")
def approved(superseded: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """q1 superseded, on disposal act № 1 approved by the director: ready to execute."""
    site = tmp_path_factory.mktemp("approved") / "archive"
    shutil.copytree(superseded, site, symlinks=True)
    config = site / "archiver.toml"
    assert run_cli("dispose", "propose", PERIOD_Q1, config=config, user="archivist").returncode == 0
    pki = site / "pki"
    done = run_cli("dispose", "approve", "1", "--key", str(pki / "director.p12"), "--passphrase-file",
                   str(pki / "director.passphrase"), config=config, user="director")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return site


def _damaged(archived: Path, target: Path) -> Path:
    shutil.copytree(archived, target, symlinks=True)
    config = target / "archiver.toml"
    config.write_text(config.read_text().replace("workers = 0", "workers = 1"))
    cases = (("primary", "school-2~2025-2026~c-5a~journal"), ("secondary", "school-2~2025-2026~c-5a~summary"))
    for repo, case in cases:
        shutil.rmtree(target / "repositories" / repo / case / "v1")  # both cases need a repair, one per repository
    return target


def _every_step(
    base: Path, tmp_path: Path, args: list[str], user: str, again: Callable[[Path], None], *, checkpoint: bool = False
) -> int:
    """Kill the command at each of its own renames, then run it again. The audit checkpoint every run ends
    with is the same code whatever the command: its first and last renames here (`checkpoint`: all of
    them, in the test for it)."""
    steps = _renames(base, *args, user=user)
    work = _renames(base, *args, user=user, checkpoint=False)
    assert steps > 0 and (work > 0 or checkpoint)
    chosen = range(1, steps + 1) if checkpoint else sorted({*range(1, work + 1), min(work + 1, steps), steps})
    for step in chosen:
        site = tmp_path / f"step-{step}"
        shutil.copytree(base, site, symlinks=True)
        _run_killed(site, step, *args, user=user)
        again(site)
        _agree(site)
    return steps


@pytest.mark.slow
def test_archive_year_killed_at_each_write_step(fresh: Path, tmp_path: Path) -> None:
    def again(site: Path) -> None:
        done = run_cli("archive", "year", str(SMALL), config=site / "archiver.toml", user="admin")
        assert done.returncode == 0, done.stderr

    assert _every_step(fresh, tmp_path, ["archive", "year", str(SMALL)], "admin", again) >= 4


@pytest.mark.slow
def test_sign_killed_at_each_write_step(unsigned: Path, tmp_path: Path) -> None:
    def again(site: Path) -> None:
        done = run_cli(*_sign_args(site), config=site / "archiver.toml", user="director")
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(site / "catalog.sqlite") as db:
            assert db.execute("SELECT DISTINCT status, head_version FROM cases WHERE kind != 'audit'").fetchall() == [
                ("archived", 2)
            ]

    assert _every_step(unsigned, tmp_path, _sign_args(unsigned), "director", again) >= 8


@pytest.mark.slow
def test_dispose_killed_at_each_write_step(approved: Path, tmp_path: Path) -> None:
    def again(site: Path) -> None:
        done = run_cli("dispose", "execute", "1", config=site / "archiver.toml", user="archivist")
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(site / "catalog.sqlite") as db:
            assert db.execute("SELECT status FROM cases WHERE id = ?", (PERIOD_Q1,)).fetchall() == [("disposed",)]
            acts = db.execute("SELECT COUNT(*) FROM case_versions WHERE case_id = 'school-2~acts'").fetchall()
        assert acts == [(4,)], "proposed, approved, executing, executed: each step once"

    assert _every_step(approved, tmp_path, ["dispose", "execute", "1"], "archivist", again) >= 3


@pytest.mark.slow
def test_repair_killed_at_each_write_step(archived: Path, tmp_path: Path) -> None:
    base = _damaged(archived, tmp_path / "damaged")

    def again(site: Path) -> None:
        done = run_cli("repair", config=site / "archiver.toml", user="archivist")
        assert done.returncode == 0, done.stdout + done.stderr

    assert _every_step(base, tmp_path, ["repair"], "archivist", again) >= 2


@pytest.mark.slow
def test_the_audit_checkpoint_killed_at_each_write_step(fresh: Path, tmp_path: Path) -> None:
    """`users add` writes nothing to the repositories but its checkpoint: every one of its renames."""

    def again(site: Path) -> None:
        done = run_cli("users", "add", "teacher", "--role", "auditor", config=site / "archiver.toml", user="admin")
        assert done.returncode == 0, done.stderr

    args = ["users", "add", "teacher", "--role", "auditor"]
    assert _every_step(fresh, tmp_path, args, "admin", again, checkpoint=True) >= 3


@pytest.mark.slow
def test_sign_killed_for_real_mid_write_is_completed_by_running_again(unsigned: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(unsigned, site, symlinks=True)
    args = ["--as", "director", *_sign_args(site)]
    for step in (3, 7):  # the first case's second copy, then the second case's first (3 renames a version)
        env = {**os.environ, "KILL_AT_RENAME": str(step)}
        killed = subprocess.run([sys.executable, "-c", KILLER, *args], cwd=site, env=env, capture_output=True, text=True,
                                timeout=600)  # fmt: skip
        assert killed.returncode == 137, killed.stderr
    done = run_cli(*_sign_args(site), config=site / "archiver.toml", user="director")
    assert done.returncode == 0, done.stderr
    _agree(site)


# -- a full disk ----------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmpfs: Callable[[str], Path]) -> Path:
    return tmpfs("8m")


def _on_small_disk(site: Path, disk: Path) -> Path:
    """Move the secondary repository (and its staging area) onto the small filesystem, then fill it."""
    for name in ("secondary", ".secondary.staging"):
        source = site / "repositories" / name
        if source.exists():
            shutil.copytree(source, disk / name, symlinks=True)
            shutil.rmtree(source)
        (disk / name).mkdir(exist_ok=True)
        (site / "repositories" / name).symlink_to(disk / name)
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: closing it has nothing left to write
        try:
            while True:
                handle.write(b"\0" * (1 << 16))
        except OSError:
            pass
    return filler


@pytest.mark.parametrize(
    "command", ["archive", *(pytest.param(c, marks=pytest.mark.slow) for c in ("sign", "dispose", "repair"))]
)
def test_a_full_second_repository_is_a_clear_error_and_the_rerun_completes(
    command: str, request: pytest.FixtureRequest, small_disk: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    if command == "repair":
        _damaged(request.getfixturevalue("archived"), site)
    else:
        base = {"archive": "fresh", "sign": "unsigned", "dispose": "approved"}[command]
        shutil.copytree(request.getfixturevalue(base), site, symlinks=True)
    filler = _on_small_disk(site, small_disk)
    args, user = {
        "archive": (["archive", "year", str(SMALL)], "admin"),
        "sign": (_sign_args(site), "director"),
        "dispose": (["dispose", "execute", "1"], "archivist"),
        "repair": (["repair"], "archivist"),
    }[command]
    full = run_cli(*args, config=site / "archiver.toml", user=user)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "No space left on device" in full.stdout + full.stderr and "secondary" in full.stdout + full.stderr
    assert "Traceback" not in full.stderr
    filler.unlink()
    done = run_cli(*args, config=site / "archiver.toml", user=user)
    assert done.returncode == 0, done.stdout + done.stderr
    _agree(site)


@pytest.mark.parametrize(
    ("error", "words"),
    [(30, "Read-only file system"), pytest.param(2, "No such file or directory", marks=pytest.mark.slow)],
)
def test_a_repository_gone_read_only_or_vanished_mid_run(
    error: int, words: str, unsigned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second repository fails every rename into it mid-run (remounted read-only, or unmounted): a
    clear message, exit 1, nothing half-visible; the re-run completes once it is back."""
    site = tmp_path / "site"
    shutil.copytree(unsigned, site, symlinks=True)
    secondary = str(site / "repositories" / "secondary")
    real = os.rename

    def failing(source: object, target: object, *args: object, **kwargs: object) -> None:
        if str(target).startswith(secondary + "/"):
            raise OSError(error, os.strerror(error), str(target))
        real(source, target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", failing)
    failed = run_cli(*_sign_args(site), config=site / "archiver.toml", user="director")
    monkeypatch.setattr(os, "rename", real)
    assert failed.returncode == 1 and words in failed.stderr and "secondary" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    done = run_cli(*_sign_args(site), config=site / "archiver.toml", user="director")
    assert done.returncode == 0, done.stdout + done.stderr
    _agree(site)


@pytest.mark.slow
def test_transfer_killed_at_each_write_step(archived: Path, tmp_path: Path) -> None:
    """Killed anywhere, `transfer` run again completes the same transfer (its act, inventory and number as
    stored) with a new package; every case is marked once; nothing half made is left where it was asked."""
    import bagit

    def args(out: Path) -> list[str]:
        return ["transfer", "--kind", "summary", "--year", "2025/2026", "--receiver", "Архив", "--to", str(out)]

    steps = _renames(archived, *args(tmp_path / "count" / "bag"), user="archivist")
    assert steps >= 6
    for step in range(1, steps + 1):
        site = tmp_path / f"step-{step}"
        shutil.copytree(archived, site, symlinks=True)
        first, second = tmp_path / f"first-{step}", tmp_path / f"second-{step}"
        _run_killed(site, step, *args(first), user="archivist")
        assert not first.exists() or not list(first.iterdir()) or bagit.Bag(str(first)).is_valid(), step
        again = run_cli(*args(second), config=site / "archiver.toml", user="archivist")
        if again.returncode == 2:  # killed once every case was marked: the package was in place before that
            assert "all are transferred" in again.stderr, (step, again.stderr)
            bagit.Bag(str(first)).validate()
        else:
            assert again.returncode == 0, (step, again.stdout, again.stderr)
            bagit.Bag(str(second)).validate()
        with sqlite3.connect(site / "catalog.sqlite") as db:
            marked = db.execute("SELECT id, transferred_to FROM cases WHERE kind = 'summary'").fetchall()
            acts = db.execute("SELECT COUNT(*) FROM case_versions WHERE case_id = 'school-2~acts'").fetchone()
        assert marked and all(to == "Архив" for _, to in marked), (step, marked)
        assert acts == (1,), (step, "one act for one transfer")
        _agree(site)

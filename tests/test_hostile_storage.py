"""Damage an attacker or a failing disk could make that the generated property does not: names that are
not UTF-8, nesting deeper than Python's stack, absurd inventories, pipes in the intact copy, consistent
forgeries, links on the way to a file, wrong root declarations, ids that try to leave the archive."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import Ran, run_cli

CASE = "school-2~2025-2026~c-5a~journal"


def _cli(site: Path, *args: str, user: str = "archivist") -> Ran:
    result = run_cli(*args, config=site / "archiver.toml", user=user)
    assert result.returncode != 3 and "Traceback" not in result.stderr, result.stdout + result.stderr
    return result


def _problems(site: Path) -> tuple[int, list[dict[str, Any]]]:
    result = _cli(site, "--json", "verify")
    return result.returncode, json.loads(result.stdout)["problems"]


def _repaired(site: Path) -> None:
    result = _cli(site, "--json", "repair")
    assert result.returncode == 0, result.stdout
    assert _problems(site) == (0, [])
    for repo in ("primary", "secondary"):  # restored files get the mode of their siblings
        modes = {stat.S_IMODE(p.stat().st_mode) for p in (site / "repositories" / repo).rglob("*") if p.is_file()}
        assert modes == {0o644}, (repo, sorted(oct(m) for m in modes))


@pytest.fixture
def site(archive_copy: Path) -> Path:
    return archive_copy


def _rewrite_inventory(path: Path, data: dict[str, Any]) -> None:
    raw = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    path.write_bytes(raw)
    path.with_name("inventory.json.sha512").write_text(f"{hashlib.sha512(raw).hexdigest()}  inventory.json\n")


def test_names_that_are_not_utf8(site: Path) -> None:
    primary = site / "repositories" / "primary"
    (primary / CASE / "v2" / "content").joinpath(os.fsdecode(b"bad\xff.pdf")).write_bytes(b"x")
    (primary / os.fsdecode(b"junk\xfe")).write_bytes(b"y")
    status, problems = _problems(site)
    assert status == 1 and {p["file"] for p in problems} >= {"v2/content/bad\\xff.pdf", "junk\\xfe"}
    _repaired(site)


@pytest.mark.slow  # 1,200 nested directories made, walked, repaired and taken apart
def test_nesting_deeper_than_the_stack(site: Path) -> None:
    deep = site / "repositories" / "primary" / CASE / "v1" / "content"
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(1200):  # relative to a directory descriptor: no path gets too long to make
            os.mkdir("a", dir_fd=fd)
            inner = os.open("a", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    try:
        status, problems = _problems(site)
        assert status == 1 and any(p["repository"] == "primary" and p["code"] == "extra-file" for p in problems)
        _repaired(site)
    finally:  # pytest's own clean-up (shutil.rmtree) recurses and would fail on it: taken apart here
        stack: list[Path] = [site]
        tops: list[Path] = []
        while stack:  # an iterative search (Path.rglob recurses as well)
            here = stack.pop()
            for entry in os.scandir(here):
                if entry.is_dir(follow_symlinks=False):
                    (tops if entry.name == "a" and here.name == "content" else stack).append(Path(entry.path))
        for top in tops:
            chain = [top]
            while (chain[-1] / "a").is_dir():
                chain.append(chain[-1] / "a")
            for directory in reversed(chain):
                directory.rmdir()


def test_an_absurd_head_is_refused_at_once(site: Path) -> None:
    path = site / "repositories" / "primary" / CASE / "inventory.json"
    data = json.loads(path.read_bytes())
    data["head"] = "v999999999"
    _rewrite_inventory(path, data)
    status, problems = _problems(site)
    assert status == 1 and any(p["code"] == "inventory" and p["repository"] == "primary" for p in problems)
    _repaired(site)


class Hung(BaseException):
    """Raised by the alarm in the middle of whatever call blocks; no `except Exception` catches it."""


@contextmanager
def _stopped_after(seconds: int) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_pipe_in_the_other_copy_does_not_hang_repair(site: Path) -> None:
    primary = site / "repositories" / "primary" / CASE / "v2" / "content" / "volume.pdf"
    secondary = site / "repositories" / "secondary" / CASE / "v2" / "content" / "volume.pdf"
    primary.write_bytes(primary.read_bytes() + b"x")
    secondary.unlink()
    os.mkfifo(secondary)
    with _stopped_after(120):  # a read that blocks on the pipe ends the run instead of hanging the tests
        done = _cli(site, "repair")
    assert done.returncode == 1 and "not repairable" in done.stdout, done.stdout + done.stderr


def test_a_consistent_forgery_is_never_a_source(site: Path, archived: Path) -> None:
    """The secondary's v1 volume replaced and every inventory and sidecar rewritten to match: only the
    sealed manifest of v1 tells. The primary's v2 volume is damaged too: repair must take only genuine files."""
    secondary = site / "repositories" / "secondary" / CASE
    forged = b"%PDF-1.7 forged"
    inventory = json.loads((secondary / "inventory.json").read_bytes())
    old = next(d for d, paths in inventory["manifest"].items() if paths == ["v1/content/volume.pdf"])
    new512, new256 = hashlib.sha512(forged).hexdigest(), hashlib.sha256(forged).hexdigest()
    (secondary / "v1" / "content" / "volume.pdf").write_bytes(forged)
    for where in ("", "v1/", "v2/"):
        text = (secondary / where / "inventory.json").read_text()
        old256 = next(d for d, p in inventory["fixity"]["sha256"].items() if p == ["v1/content/volume.pdf"])
        _rewrite_inventory(secondary / where / "inventory.json",
                           json.loads(text.replace(old, new512).replace(old256, new256)))  # fmt: skip
    damaged = site / "repositories" / "primary" / CASE / "v2" / "content" / "volume.pdf"
    damaged.write_bytes(damaged.read_bytes() + b"x")
    _, problems = _problems(site)
    assert any(p["repository"] == "secondary" and p["code"] == "manifest" for p in problems), problems
    _repaired(site)  # the primary's volume from the secondary's genuine v2, then the secondary from the primary
    genuine = (archived / "repositories" / "primary" / CASE / "v1" / "content" / "volume.pdf").read_bytes()
    for repo in ("primary", "secondary"):
        assert (site / "repositories" / repo / CASE / "v1" / "content" / "volume.pdf").read_bytes() == genuine
    kept = list((site / "repositories" / ".secondary.staging" / "quarantine").rglob("volume.pdf"))
    assert any(p.read_bytes() == forged for p in kept), "the forgery is kept as evidence"


def test_links_on_the_way_are_never_followed(site: Path, tmp_path: Path) -> None:
    version = site / "repositories" / "primary" / CASE / "v1"
    outside = tmp_path / "outside-v1"
    shutil.move(str(version), str(outside))
    version.symlink_to(outside)
    volume = outside / "content" / "volume.pdf"
    volume.write_bytes(volume.read_bytes() + b"changed outside")
    before = volume.read_bytes()
    status, problems = _problems(site)
    assert status == 1 and any(p["code"] == "symlink" and p["file"] == "v1" for p in problems)
    assert not any(p["code"] == "digest" for p in problems), "nothing outside the root was read"
    _repaired(site)
    assert volume.read_bytes() == before and not version.is_symlink()


def test_wrong_root_declarations_are_written_again(site: Path) -> None:
    root = site / "repositories" / "primary"
    (root / "0=ocfl_1.1").write_text("ocfl_1.0\n")
    (root / "ocfl_layout.json").write_text("{}")
    (root / "extensions").symlink_to("/")
    status, problems = _problems(site)
    assert status == 1
    assert {(p["file"], p["code"]) for p in problems} == {
        ("0=ocfl_1.1", "storage-root"), ("ocfl_layout.json", "storage-root"), ("extensions", "symlink")
    }  # fmt: skip
    _repaired(site)


def test_a_forged_older_version_inventory_stops_signing(archived: Path, tmp_path: Path) -> None:
    site = tmp_path / "presign"
    shutil.copytree(archived, site, symlinks=True)
    for repo in ("primary", "secondary"):  # back to before the director signed: v1 only
        directory = site / "repositories" / repo / CASE
        shutil.rmtree(directory / "v2")
        for name in ("inventory.json", "inventory.json.sha512"):
            shutil.copy(directory / "v1" / name, directory / name)
    import sqlite3

    with sqlite3.connect(site / "catalog.sqlite") as db:
        db.execute("UPDATE cases SET head_version = 1, status = 'awaiting_signature' WHERE id = ?", (CASE,))
        db.execute(
            "DELETE FROM documents WHERE version_id IN (SELECT id FROM case_versions WHERE case_id = ? AND number = 2)",
            (CASE,),
        )
        db.execute(
            "DELETE FROM copies WHERE version_id IN (SELECT id FROM case_versions WHERE case_id = ? AND number = 2)",
            (CASE,),
        )
        db.execute(
            "DELETE FROM signatures WHERE version_id IN (SELECT id FROM case_versions WHERE case_id = ? AND number = 2)",
            (CASE,),
        )
        db.execute("DELETE FROM case_versions WHERE case_id = ? AND number = 2", (CASE,))
        db.execute("DELETE FROM audit_events WHERE action = 'sign' AND object = ?", (CASE,))  # v2 was never signed
    v1 = site / "repositories" / "primary" / CASE / "v1" / "inventory.json"
    data = json.loads(v1.read_bytes())
    data["versions"]["v1"]["message"] = "FORGED"
    _rewrite_inventory(v1, data)
    pki = site / "pki"
    signed = run_cli("sign", "--case", CASE, "--key", str(pki / "director.p12"), "--passphrase-file",
                     str(pki / "director.passphrase"), config=site / "archiver.toml", user="director")  # fmt: skip
    assert signed.returncode == 1 and "archiver repair" in signed.stderr, signed.stdout + signed.stderr
    assert not (site / "repositories" / "secondary" / CASE / "v2").exists(), "nothing was written"
    assert b"FORGED" not in (site / "repositories" / "primary" / CASE / "inventory.json").read_bytes()


def test_ids_that_try_to_leave_the_archive(site: Path, tmp_path: Path) -> None:
    evil = tmp_path / "EVIL"
    result = _cli(site, "dispose", "propose", str(evil))
    assert result.returncode == 2 and not evil.with_suffix(".lock").exists()
    for command in ("verify", "repair"):
        typo = _cli(site, command, "--case", "no-such-case")
        assert typo.returncode == 2 and "no case" in typo.stderr


def test_who_and_when_edited_consistently_in_one_copy(site: Path) -> None:
    """Every inventory of one copy rewritten with another author and time, sidecars recomputed: the content
    and the sealed manifests are untouched, only the catalog's record of the inventory as written tells."""
    directory = site / "repositories" / "primary" / CASE
    for where in ("", "v1/", "v2/"):
        data = json.loads((directory / where / "inventory.json").read_bytes())
        data["versions"]["v1"]["user"] = {"name": "mallory", "address": "urn:archiver:user:mallory"}
        data["versions"]["v1"]["created"] = "2020-01-01T00:00:00Z"
        _rewrite_inventory(directory / where / "inventory.json", data)
    status, problems = _problems(site)
    assert status == 1
    assert {(p["repository"], p["file"], p["code"]) for p in problems} == {
        ("primary", "v1/inventory.json", "inventory"), ("primary", "v2/inventory.json", "inventory")
    }  # fmt: skip
    _repaired(site)
    other = site / "repositories" / "secondary" / CASE
    assert (directory / "inventory.json").read_bytes() == (other / "inventory.json").read_bytes()

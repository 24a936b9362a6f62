"""The OCFL repository: versions, never overwriting, recovery, and the reference validator's verdict."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.archive.storage import OcflRepository, StorageError
from tests.ocflcheck import validate_ocfl

WHEN = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> OcflRepository:
    repository = OcflRepository("primary", tmp_path / "primary")
    repository.initialize()
    return repository


def test_versions_are_immutable_and_deduplicated(repo: OcflRepository) -> None:
    first = repo.put("s.2025-2026.k05a.year", {"volume.pdf": b"one", "source.json": b"{}"}, message="m", user="u",
                     created=WHEN)  # fmt: skip
    second = repo.put("s.2025-2026.k05a.year", {"volume.pdf": b"two", "source.json": b"{}"}, message="m2", user="d",
                      created=WHEN)  # fmt: skip
    assert (first.version, second.version) == ("v1", "v2")
    assert repo.read("s.2025-2026.k05a.year", "volume.pdf") == b"two"
    assert repo.read("s.2025-2026.k05a.year", "volume.pdf", "v1") == b"one"
    inventory = repo.inventory("s.2025-2026.k05a.year")
    assert inventory is not None and inventory.head == 2
    # the unchanged source.json is stored once, in v1
    assert not (repo.root / "s.2025-2026.k05a.year" / "v2" / "content" / "source.json").exists()
    assert second.sha256["source.json"] == first.sha256["source.json"]
    assert inventory.data["fixity"]["sha256"] and inventory.data["digestAlgorithm"] == "sha512"
    validate_ocfl(repo.root)


def test_check_refuses_missing_or_foreign_roots(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        OcflRepository("x", tmp_path / "absent").check()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "file.txt").write_text("x")
    with pytest.raises(StorageError, match="not an OCFL storage root"):
        OcflRepository("x", foreign).check()
    with pytest.raises(StorageError, match="not empty"):
        OcflRepository("x", foreign).initialize()
    blocked = OcflRepository("y", tmp_path / "y", staging=tmp_path / "y-staging")
    blocked.initialize()
    shutil.rmtree(tmp_path / "y-staging")
    (tmp_path / "y-staging").write_text("a file where the staging directory should be")
    with pytest.raises(StorageError, match="not writable"):
        blocked.check()


def test_unsafe_ids_and_paths_are_refused(repo: OcflRepository) -> None:
    with pytest.raises(StorageError):
        repo.put("../escape", {"a": b"x"}, message="m", user="u", created=WHEN)
    with pytest.raises(StorageError):
        repo.put("ok.id", {"../a": b"x"}, message="m", user="u", created=WHEN)
    assert repo.object_ids() == []


def test_a_leftover_version_is_never_built_upon_and_is_rolled_back(repo: OcflRepository) -> None:
    repo.put("case.a", {"f": b"1"}, message="m", user="u", created=WHEN)
    repo.put("case.a", {"f": b"2"}, message="m", user="u", created=WHEN)
    # as if the run died after renaming v2 into place but before moving the root inventory
    for name in ("inventory.json", "inventory.json.sha512"):
        (repo.root / "case.a" / name).write_bytes((repo.root / "case.a" / "v1" / name).read_bytes())
    assert repo.head("case.a").version == "v1"  # type: ignore[union-attr]
    with pytest.raises(StorageError, match="interrupted run"):
        repo.put("case.a", {"f": b"3"}, message="m", user="u", created=WHEN)
    aside = repo.roll_back("case.a", 1, reason="left by an interrupted run")
    assert aside is not None and (Path(aside) / "v2" / "content" / "f").read_bytes() == b"2"
    assert repo.verify_object("case.a").ok
    assert repo.put("case.a", {"f": b"3"}, message="m", user="u", created=WHEN).version == "v2"
    assert repo.read("case.a", "f") == b"3"
    assert [e.subject for e in repo.quarantine.entries(repo.name)] == ["case.a"]
    validate_ocfl(repo.root)


def test_work_area_leftovers_never_show_in_the_root_and_are_cleaned(repo: OcflRepository) -> None:
    repo.work.mkdir(parents=True, exist_ok=True)
    (repo.work / "case.b.v1.half").mkdir()
    (repo.work / "case.b.v1.half" / "junk").write_bytes(b"partial")
    assert repo.object_ids() == []
    repo.put("case.b", {"f": b"x"}, message="m", user="u", created=WHEN)
    assert repo.object_ids() == ["case.b"]
    validate_ocfl(repo.root)
    aside = repo.quarantine.new(repo.name, "case.b", "evidence")
    repo.cleanup(older_than_seconds=-1)
    assert not (repo.work / "case.b.v1.half").exists()
    assert aside.is_dir(), "cleaning up never touches the quarantine"


def test_stored_files_have_one_mode_whatever_the_umask(repo: OcflRepository) -> None:
    old = os.umask(0o077)
    try:
        repo.put("case.m", {"f": b"x"}, message="m", user="u", created=WHEN)
    finally:
        os.umask(old)
    directory = repo.root / "case.m"
    modes = {p.relative_to(directory).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in directory.rglob("*")}
    assert {m for p, m in modes.items() if (directory / p).is_file()} == {0o644}, modes


def test_restore_copies_byte_for_byte_and_keeps_the_damaged_copy(repo: OcflRepository, tmp_path: Path) -> None:
    other = OcflRepository("secondary", tmp_path / "secondary")
    other.initialize()
    for r in (repo, other):
        r.put("case.r", {"f": b"good", "g": b"also"}, message="m", user="u", created=WHEN)
    damaged = repo.root / "case.r" / "v1" / "content" / "f"
    damaged.write_bytes(b"bad!")
    codes = {f.code for f in repo.verify_object("case.r").findings}
    assert codes == {"digest"}
    aside = repo.restore_from(other, "case.r", reason="test")
    assert aside is not None and (Path(aside) / "case.r" / "v1" / "content" / "f").read_bytes() == b"bad!"
    assert repo.verify_object("case.r").ok
    assert _tree(repo.root / "case.r") == _tree(other.root / "case.r")
    validate_ocfl(repo.root)


def test_a_restore_from_a_damaged_source_changes_nothing(repo: OcflRepository, tmp_path: Path) -> None:
    other = OcflRepository("secondary", tmp_path / "secondary")
    other.initialize()
    for r in (repo, other):
        r.put("case.r", {"f": b"good"}, message="m", user="u", created=WHEN)
    (other.root / "case.r" / "v1" / "content" / "f").write_bytes(b"evil")
    before = _tree(repo.root / "case.r")
    with pytest.raises(StorageError, match="did not check"):
        repo.restore_from(other, "case.r", reason="test")
    assert _tree(repo.root / "case.r") == before


def test_symlinks_are_findings_and_never_followed(repo: OcflRepository, tmp_path: Path) -> None:
    other = OcflRepository("secondary", tmp_path / "secondary")
    other.initialize()
    other.put("case.s", {"f": b"x"}, message="m", user="u", created=WHEN)
    (repo.root / "case.s").symlink_to(other.root / "case.s")
    check = repo.verify_object("case.s")
    assert [f.code for f in check.findings] == ["symlink"] and check.head is None
    with pytest.raises(StorageError, match="symbolic link"):
        repo.head("case.s")
    repo.put("case.t", {"f": b"x"}, message="m", user="u", created=WHEN)
    content = repo.root / "case.t" / "v1" / "content" / "f"
    content.unlink()
    content.symlink_to(other.root / "case.s" / "v1" / "content" / "f")
    assert "symlink" in {f.code for f in repo.verify_object("case.t").findings}
    with pytest.raises(StorageError):
        repo.read("case.t", "f")
    (repo.root / "stray-link").symlink_to("/etc")
    (repo.root / "junk.txt").write_text("x")
    found = {(f.file, f.code) for f in repo.verify_root({"case.s", "case.t"})}
    assert found == {("stray-link", "symlink"), ("junk.txt", "extra-file")}
    repo.set_aside("stray-link", reason="test")
    repo.set_aside("junk.txt", reason="test")
    assert repo.verify_root({"case.s", "case.t"}) == []
    assert (other.root / "case.s" / "v1" / "content" / "f").read_bytes() == b"x"


def test_a_full_disk_is_a_clear_error_and_leaves_nothing_half_visible(tmpfs: Callable[[str], Path]) -> None:
    small = tmpfs("64k")
    repo = OcflRepository("small", small / "root", staging=small / "staging")
    repo.initialize()
    repo.put("case.f", {"f": b"x"}, message="m", user="u", created=WHEN)
    with pytest.raises(StorageError, match="No space left on device"):
        repo.put("case.f", {"f": os.urandom(200_000)}, message="m", user="u", created=WHEN)
    with pytest.raises(StorageError, match="No space left on device"):
        repo.put("case.g", {"f": os.urandom(200_000)}, message="m", user="u", created=WHEN)
    assert repo.object_ids() == ["case.f"]
    assert repo.head("case.f").version == "v1"  # type: ignore[union-attr]
    assert repo.verify_object("case.f").ok
    assert list(repo.work.iterdir()) == []


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_check_leaves_nothing_in_the_root_and_refuses_read_only_or_split_file_systems(
    tmpfs: Callable[[str], Path], tmp_path: Path
) -> None:
    disk = tmpfs("1m")
    repo = OcflRepository("r", disk / "root", staging=disk / "staging")
    repo.initialize()
    repo.check()
    assert sorted(os.listdir(repo.root)) == ["0=ocfl_1.1", "ocfl_layout.json"], "no probe in the root"
    with pytest.raises(StorageError, match="another file system"):
        OcflRepository("r", disk / "root", staging=tmp_path / "elsewhere").check()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    with pytest.raises(StorageError, match="not writable"):
        repo.check()

"""The OCFL repository: versions, never overwriting, recovery, and the reference validator's verdict."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.storage import OcflRepository, StorageError
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
    assert inventory is not None and inventory["head"] == "v2"
    # the unchanged source.json is stored once, in v1
    assert not (repo.root / "s.2025-2026.k05a.year" / "v2" / "content" / "source.json").exists()
    assert second.sha256["source.json"] == first.sha256["source.json"]
    assert inventory["fixity"]["sha256"] and inventory["digestAlgorithm"] == "sha512"
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


def test_an_interrupted_version_is_completed_by_recover(repo: OcflRepository, tmp_path: Path) -> None:
    repo.put("case.a", {"f": b"1"}, message="m", user="u", created=WHEN)
    repo.put("case.a", {"f": b"2"}, message="m", user="u", created=WHEN)
    root_inventory = repo.root / "case.a" / "inventory.json"
    v1_inventory = json.loads((repo.root / "case.a" / "v1" / "inventory.json").read_bytes())
    # as if the run died after renaming v2 into place but before moving the root inventory
    root_inventory.write_text(json.dumps(v1_inventory, indent=2, ensure_ascii=False) + "\n")
    import hashlib

    (repo.root / "case.a" / "inventory.json.sha512").write_text(
        hashlib.sha512(root_inventory.read_bytes()).hexdigest() + "  inventory.json\n"
    )
    assert repo.head("case.a").version == "v1"  # type: ignore[union-attr]
    repo.recover("case.a")
    assert repo.head("case.a").version == "v2"  # type: ignore[union-attr]
    validate_ocfl(repo.root)


def test_staging_leftovers_never_show_in_the_root(repo: OcflRepository) -> None:
    repo.staging.mkdir(parents=True, exist_ok=True)
    (repo.staging / "case.b.v1.half").mkdir()
    (repo.staging / "case.b.v1.half" / "junk").write_bytes(b"partial")
    assert repo.object_ids() == []
    repo.put("case.b", {"f": b"x"}, message="m", user="u", created=WHEN)
    assert repo.object_ids() == ["case.b"]
    validate_ocfl(repo.root)

"""Verify and repair: every kind of damage in either repository is found; repair fixes what it can."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import Ran, run_cli

SMALL = Path(__file__).parent / "data" / "small_school.json"
CASE = "school-2~2025-2026~c-5a~journal"


def _cli(directory: Path, *args: str, user: str = "archivist") -> Ran:
    config = directory / "archiver.toml"
    return run_cli(*args, config=config if config.exists() else None, user=user)


@pytest.fixture
def site(archived: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(archived, copy, symlinks=True)
    for staging in archived.glob("repositories/.*.staging"):
        shutil.copytree(staging, copy / "repositories" / staging.name, dirs_exist_ok=True)
    return copy


def _verify(site: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    result = _cli(site, "--json", "verify", *extra)
    assert "Traceback" not in result.stderr
    problems: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return result.returncode, problems


def _content(site: Path, repository: str, logical: str) -> Path:
    directory = site / "repositories" / repository / CASE
    inventory = json.loads((directory / "inventory.json").read_bytes())
    state = inventory["versions"][inventory["head"]]["state"]
    digest = next(d for d, paths in state.items() if logical in paths)
    return directory / inventory["manifest"][digest][0]


def _case_files(site: Path) -> dict[Path, bytes]:
    """Every file of the cases in the repositories (not the work areas, nor the audit checkpoints each run
    adds)."""
    return {p: p.read_bytes() for p in (site / "repositories").rglob("*")
            if p.is_file() and "staging" not in str(p) and "~audit~" not in str(p)}  # fmt: skip


def flip(site: Path, repo: str) -> str:
    path = _content(site, repo, "volume.pdf")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return "digest"


def truncate(site: Path, repo: str) -> str:
    path = _content(site, repo, "volume.pdf")
    path.write_bytes(path.read_bytes()[:1000])
    return "digest"


def delete(site: Path, repo: str) -> str:
    _content(site, repo, "source.json").unlink()
    return "missing"


def extra(site: Path, repo: str) -> str:
    (site / "repositories" / repo / CASE / "v1" / "content" / "notes.txt").write_text("added later")
    return "extra-file"


def swap(site: Path, repo: str) -> str:
    """Replace the volume by another valid, signed PDF (the class's summary sheet volume)."""
    other = site / "repositories" / repo / "school-2~2025-2026~c-5a~summary"
    inventory = json.loads((other / "inventory.json").read_bytes())
    state = inventory["versions"][inventory["head"]]["state"]
    digest = next(d for d, paths in state.items() if "volume.pdf" in paths)
    _content(site, repo, "volume.pdf").write_bytes((other / inventory["manifest"][digest][0]).read_bytes())
    return "digest"


def edit_inventory(site: Path, repo: str) -> str:
    path = site / "repositories" / repo / CASE / "inventory.json"
    inventory = json.loads(path.read_bytes())
    inventory["versions"]["v1"]["message"] = "nothing happened here"
    path.write_text(json.dumps(inventory, indent=2, ensure_ascii=False) + "\n")
    return "inventory"


DAMAGE: dict[str, Callable[[Path, str], str]] = {
    "flipped byte": flip, "truncation": truncate, "deletion": delete, "extra file": extra,
    "swapped file": swap, "edited inventory": edit_inventory,
}  # fmt: skip


def _each_damage_in_each_repository() -> list[Any]:
    """Every kind of damage in both repositories; the quick run has each kind once, the repositories taking
    turns (the other half is slow: `pytest --full`)."""
    return [
        pytest.param(damage, repo, marks=[pytest.mark.slow] if (index + (repo == "secondary")) % 2 else [])
        for index, damage in enumerate(sorted(DAMAGE))
        for repo in ("primary", "secondary")
    ]


@pytest.mark.parametrize(("damage", "repo"), _each_damage_in_each_repository())
def test_damage_is_found_and_repaired(site: Path, damage: str, repo: str) -> None:
    code = DAMAGE[damage](site, repo)
    status, problems = _verify(site)
    assert status == 1, problems
    assert any(p["repository"] == repo and p["case"] == CASE and p["code"] == code for p in problems), problems
    assert all(p["repository"] == repo for p in problems), "the other copy is intact"
    repaired = _cli(site, "--json", "repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert _verify(site) == (0, [])
    if damage not in ("deletion", "edited inventory"):
        kept = list((site / "repositories" / f".{repo}.staging" / "quarantine").rglob("*"))
        assert any(p.is_file() for p in kept), "the damaged file is kept aside"


def test_damaged_audit_case_is_repaired_after_the_checkpoint_verify_could_not_seal(site: Path) -> None:
    """Found by the damage property: with the file that the month's audit case's registry still points to
    (written by an earlier version) damaged in one copy, verify's closing checkpoint is written into the other copy only. Repair sets that leftover aside
    first, and restores the damaged copy from the one that is then intact."""
    audit = sorted((site / "repositories" / "primary").glob("archive~audit~*"))[-1]  # the latest month
    inventory = json.loads((audit / "inventory.json").read_bytes())
    state = inventory["versions"][inventory["head"]]["state"]
    digest = next(d for d, paths in state.items() if "registry.json" in paths)  # unchanged since an earlier one
    registry = audit / inventory["manifest"][digest][0]
    registry.unlink()
    registry.mkdir()
    found = _cli(site, "--json", "verify")
    assert found.returncode == 1 and "checkpoint was not sealed" in found.stderr, found.stderr
    assert [(p["case"], p["repository"]) for p in json.loads(found.stdout)["problems"]] == [(audit.name, "primary")]
    repaired = _cli(site, "--json", "repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    outcomes = [(r["repository"], r["detail"]) for r in json.loads(repaired.stdout)["repairs"]]
    assert outcomes[0][0] == "secondary" and "interrupted run" in outcomes[0][1], outcomes
    assert outcomes[1] == ("primary", "the copy restored from secondary"), outcomes
    assert _verify(site) == (0, [])


def test_deep_verify_also_checks_the_sha512_manifest(site: Path) -> None:
    flip(site, "secondary")
    status, problems = _verify(site, "--deep")
    assert status == 1 and any("SHA-512" in p["detail"] for p in problems)
    assert not any("SHA-512" in p["detail"] for p in _verify(site)[1])


def test_damage_in_both_copies_of_different_files_is_repaired(site: Path) -> None:
    flip(site, "primary")
    delete(site, "secondary")
    assert _verify(site)[0] == 1
    assert _cli(site, "repair").returncode == 0
    assert _verify(site) == (0, [])


def test_no_intact_copy_refuses_and_changes_nothing(site: Path) -> None:
    flip(site, "primary")
    flip(site, "secondary")
    before = _case_files(site)
    result = _cli(site, "repair")
    assert result.returncode == 1 and "not repairable" in result.stdout
    after = _case_files(site)
    assert after == before


def test_edited_catalog_digest_is_found(site: Path) -> None:
    with sqlite3.connect(site / "catalog.sqlite") as db:
        db.execute("UPDATE documents SET sha256 = 'ab' || substr(sha256, 3) WHERE path = 'volume.pdf'")
    status, problems = _verify(site)
    assert status == 1 and {p["code"] for p in problems} == {"catalog"}
    assert {p["repository"] for p in problems} == {"primary", "secondary"}


def test_deleted_or_edited_audit_row_is_found(site: Path) -> None:
    with sqlite3.connect(site / "catalog.sqlite") as db:
        db.execute("DELETE FROM audit_events WHERE id = 3")
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "audit" and "removed" in p["detail"] for p in problems)


def test_verify_records_events_and_writes_a_sealed_report(site: Path) -> None:
    report = site / "report.pdf"
    assert _cli(site, "verify", "--report", str(report)).returncode == 0
    from signing import validate_pdf

    assert validate_pdf(report.read_bytes(), [(site / "pki" / "root.pem").read_bytes()]).indication == "PASSED"
    with sqlite3.connect(site / "catalog.sqlite") as db:
        rows = db.execute("SELECT object, outcome FROM audit_events WHERE action = 'verify' "
                          "AND object NOT LIKE 'archive~audit~%'").fetchall()  # fmt: skip
    assert len(rows) == 4 and {r[1] for r in rows} == {"success"}  # two cases × two copies


def test_auditor_may_not_repair(site: Path) -> None:
    result = _cli(site, "repair", user="auditor")
    assert result.returncode == 1 and "may not repair" in result.stderr


# -- retrieval ------------------------------------------------------------------------------------------------


def test_get_never_serves_a_damaged_copy(site: Path, tmp_path: Path) -> None:
    flip(site, "primary")
    out = tmp_path / "got"
    result = _cli(site, "--json", "get", CASE, "--document", "volume.pdf", "-o", str(out), user="auditor")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["repository"] == "secondary" and payload["skipped"][0].startswith("primary: damaged")
    assert (out / "volume.pdf").read_bytes() == _content(site, "secondary", "volume.pdf").read_bytes()
    flip(site, "secondary")
    refused = _cli(site, "get", CASE, "-o", str(tmp_path / "none"), user="auditor")
    assert refused.returncode == 1 and "no repository holds a copy that verifies" in refused.stderr
    assert not (tmp_path / "none").exists()
    with sqlite3.connect(site / "catalog.sqlite") as db:
        rows = db.execute("SELECT user, outcome FROM audit_events WHERE action = 'retrieve' ORDER BY id").fetchall()
    assert rows == [("auditor", "success"), ("auditor", "failure")]


def test_exported_bag_validates_with_bagit(site: Path, tmp_path: Path) -> None:
    import bagit

    bag_dir = tmp_path / "bag"
    assert _cli(site, "export", CASE, "--bag", str(bag_dir), user="auditor").returncode == 0
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    names = set(bag.payload_entries())
    assert {"data/case/volume.pdf", "data/case/source.json", "data/case/metadata.json", "data/case/manifest.json",
            "data/case/manifest.p7s", "data/validation/signatures.json", "data/validation/signatures.pdf",
            "data/trust/root-1.pem"} <= names  # fmt: skip
    report = json.loads((bag_dir / "data" / "validation" / "signatures.json").read_text())
    assert report["indication"] == "PASSED" and len(report["signatures"]) == 2
    from tests.pdfcheck import page_texts

    page = " ".join(" ".join(page_texts((bag_dir / "data" / "validation" / "signatures.pdf").read_bytes())).split())
    assert "Классный журнал 5А класса" in page and "подписи действительны" in page
    assert "(МСК)" in page and "PASSED" not in page  # local times, verdicts in words
    (bag_dir / "data" / "case" / "volume.pdf").write_bytes(b"tampered")
    assert not bagit.Bag(str(bag_dir)).is_valid()


def test_find_by_class_kind_and_student(site: Path) -> None:
    def found(*args: str) -> list[str]:
        result = _cli(site, "--json", "find", *args, user="auditor")
        assert result.returncode == 0, result.stderr
        return [c["case"] for c in json.loads(result.stdout)["cases"]]

    summary = "school-2~2025-2026~c-5a~summary"
    assert found("--class", "5А") == [CASE, summary], "the class's journal and its summary sheet"
    assert found("--class", "5А", "--kind", "summary") == [summary]
    assert found("--class", "6Б") == []
    assert found("--kind", "summary") == [summary]
    assert found("--student", "белова мария") == [CASE, summary]
    assert found("--student", "Нет Такого") == []


def test_lost_catalog_is_rebuilt_and_verifies_again(site: Path) -> None:
    (site / "catalog.sqlite").rename(site / "lost.sqlite")
    rebuilt = _cli(site, "--json", "catalog", "rebuild", "--from", "secondary", user="root")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["cases"] == 3  # and the audit trail's case for the month
    assert _verify(site) == (0, [])
    with sqlite3.connect(site / "lost.sqlite") as old, sqlite3.connect(site / "catalog.sqlite") as new:
        query = ("SELECT c.id, c.status, c.head_version, c.sheets, c.retain_until, v.number, d.path, d.sha256, d.sha512 "
                 "FROM cases c JOIN case_versions v ON v.case_id = c.id JOIN documents d ON d.version_id = v.id "
                 "WHERE c.kind != 'audit' ORDER BY c.id, v.number, d.path")  # fmt: skip
        assert new.execute(query).fetchall() == old.execute(query).fetchall()
    again = _cli(site, "catalog", "rebuild", "--from", "primary", user="root")
    assert again.returncode == 2 and "not empty" in again.stderr


@pytest.mark.slow  # the whole story, 30 students: some 40 s
def test_demo_tells_the_whole_story(tmp_path: Path) -> None:
    result = _cli(tmp_path, "--json", "demo", "--dir", str(tmp_path / "demo"), "--students", "30")
    assert result.returncode == 0, result.stderr
    story = json.loads(result.stdout)
    assert story["ok"] is True
    steps = {s["step"]: s for s in story["steps"]}
    assert steps["verify"]["problems"] == 0 and steps["verify again"]["problems"] == 0
    assert steps["verify finds the damage"]["problems"] > 0
    assert len(steps["repair from the intact copies"]["repaired"].split(", ")) == 2
    again = _cli(tmp_path, "demo", "--dir", str(tmp_path / "demo"))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_the_verification_act_is_in_russian_numbered_and_names_only_the_checks_made(site: Path) -> None:
    from tests.pdfcheck import page_texts

    texts = []
    for number, args in enumerate(((), ("--deep",)), start=1):
        report = site / f"act-{number}.pdf"
        assert _cli(site, "verify", *args, "--report", str(report)).returncode == 0
        texts.append(" ".join(" ".join(page_texts(report.read_bytes())).split()))
    plain, deep = texts
    for text in texts:
        assert "Муниципальное автономное общеобразовательное учреждение «Средняя школа № 2»" in text
        assert "Классный журнал 5А класса" in text  # cases by their titles, the technical id beside
        assert "(МСК)" in text and "UTC" not in text
        assert "хранилище «primary»" in text and "целое" in text
    assert "№ 1 от" in plain and "№ 2 от" in deep  # numbered from the audit trail, never reused
    assert "SHA-512" not in plain and "SHA-512" in deep


def test_findings_are_in_russian_in_the_act(site: Path) -> None:
    from tests.pdfcheck import page_texts

    volume = next(p for p in (site / "repositories").glob("primary/*/v1/content/volume.pdf"))
    data = bytearray(volume.read_bytes())
    data[len(data) // 2] ^= 0x01
    volume.write_bytes(bytes(data))
    report = site / "act.pdf"
    assert _cli(site, "verify", "--report", str(report)).returncode == 1
    text = " ".join(" ".join(page_texts(report.read_bytes())).split())
    assert "Выявленные нарушения" in text and "не совпадает с контрольной суммой в описи" in text
    assert "повреждено" in text


def test_acts_name_the_person_by_full_name_and_position_and_a_rebuild_keeps_them(site: Path) -> None:
    from tests.pdfcheck import page_texts

    added = _cli(site, "--json", "users", "add", "archivist", "--role", "archivist",
                 "--full-name", "Иванова Мария Петровна", "--position", "Архивариус", user="admin")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["full_name"] == "Иванова Мария Петровна"
    again = _cli(site, "users", "add", "archivist", "--role", "archivist", user="admin")  # a role change keeps them
    assert again.returncode == 0, again.stderr
    report = site / "act.pdf"
    assert _cli(site, "verify", "--report", str(report)).returncode == 0
    text = " ".join(" ".join(page_texts(report.read_bytes())).split())
    assert "Архивариус Иванова Мария Петровна" in text
    listed = json.loads(_cli(site, "--json", "users", "list", user="admin").stdout)
    (entry,) = [u for u in listed["users"] if u["name"] == "archivist"]
    assert (entry["full_name"], entry["position"]) == ("Иванова Мария Петровна", "Архивариус")
    bidi = _cli(site, "users", "add", "archivist", "--role", "archivist", "--full-name", "Иванова\u202eМ", user="admin")
    assert bidi.returncode == 2 and "U+202E" in bidi.stderr

"""The archive workflows end to end through the CLI, on SQLite and on PostgreSQL catalogs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from archiver.archive.catalog import open_catalog
from archiver.demo.generator import document_json, generate
from signing import validate_pdf
from tests.clirun import Ran, run_cli
from tests.ocflcheck import validate_ocfl
from tests.sites import copy_archive

MOSCOW = ZoneInfo("Europe/Moscow")  # the test archive's [school] timezone: its «today»
SMALL = Path(__file__).parent / "data" / "small_school.json"
CASE_YEAR = "school-2~2025-2026~c-5a~journal"
CASE_SUMMARY = "school-2~2025-2026~c-5a~summary"


@dataclass
class Site:
    directory: Path
    catalog_url: str

    def run(self, *args: str, user: str = "admin", at: datetime | None = None) -> Ran:
        return run_cli(*args, config=self.directory / "archiver.toml", user=user, at=at)  # fmt: skip

    def ok(self, *args: str, user: str = "admin", at: datetime | None = None) -> dict[str, Any]:
        result = self.run("--json", *args, user=user, at=at)
        assert result.returncode == 0, result.stderr
        payload: dict[str, Any] = json.loads(result.stdout)
        return payload

    def repository(self, name: str) -> Path:
        return self.directory / "repositories" / name

    def query(self, sql: str) -> list[Any]:
        catalog = open_catalog(self.catalog_url, migrate=False)
        try:
            with catalog.engine.begin() as connection:
                return list(connection.execute(text(sql)).all())
        finally:
            catalog.engine.dispose()


@pytest.fixture
def site(tmp_path: Path, catalog_url: str, initialized: Path) -> Site:
    return make_site(tmp_path, catalog_url, initialized)


def make_site(tmp_path: Path, catalog_url: str, initialized: Path) -> Site:
    """A copy of the session's initialized archive (its users added); on PostgreSQL its catalog moves there,
    rebuilt from the primary repository (the users come back from the sealed registry)."""
    directory = copy_archive(initialized, tmp_path / "archive")
    config = directory / "archiver.toml"
    if catalog_url.startswith("sqlite"):
        return Site(directory, f"sqlite:///{directory / 'catalog.sqlite'}")
    config.write_text(config.read_text().replace('url = "sqlite:///catalog.sqlite"', f'url = "{catalog_url}"'))
    rebuilt = run_cli("--json", "catalog", "rebuild", "--from", "primary", config=config, user="root")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    found = Site(directory, catalog_url)
    users = {tuple(row) for row in found.query("SELECT name, role, os_user FROM users")}
    assert users == {("admin", "admin", "admin"), ("director", "director", "director"),
                     ("archivist", "archivist", "archivist"), ("auditor", "auditor", "auditor"),
                     ("operator", "admin", "root")}  # fmt: skip
    return found


def _director_args(site: Site) -> list[str]:
    pki = site.directory / "pki"
    return ["--key", str(pki / "director.p12"), "--passphrase-file", str(pki / "director.passphrase")]


def test_quarter_then_year_then_signature(site: Site) -> None:
    q1 = site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    assert [c["outcome"] for c in q1["cases"]] == ["archived"]
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    year = site.ok("archive", "year", str(SMALL))
    assert {c["case_id"] for c in year["cases"]} == {CASE_YEAR, CASE_SUMMARY}
    status = site.ok("status")
    assert sorted(status["awaiting_signature"]) == [CASE_YEAR, CASE_SUMMARY]
    assert status["cases"] == {"archived": 1, "superseded": 1, "awaiting_signature": 2}
    signed = site.ok("sign", "--pending", *_director_args(site), user="director")
    late = "signed after the deadline of 30.06.2026"  # the year's deadline passed: flagged, not refused
    assert [c["outcome"] for c in signed["cases"]] == [late, late]
    assert site.ok("status")["awaiting_signature"] == []

    # both repositories: valid OCFL, the same digests, and signed volumes that validate
    for name in ("primary", "secondary"):
        validate_ocfl(site.repository(name))
    root = (site.directory / "pki" / "root.pem").read_bytes()
    for case in (CASE_YEAR, CASE_SUMMARY):
        primary = json.loads((site.repository("primary") / case / "inventory.json").read_bytes())
        secondary = json.loads((site.repository("secondary") / case / "inventory.json").read_bytes())
        assert primary["manifest"] == secondary["manifest"] and primary["head"] == secondary["head"] == "v2"
        pdf = (
            site.repository("primary")
            / case
            / primary["manifest"][
                next(d for d, paths in primary["versions"]["v2"]["state"].items() if "volume.pdf" in paths)
            ][0]
        ).read_bytes()
        report = validate_pdf(pdf, [root])
        assert report.indication == "PASSED" and [s.field_name for s in report.signatures] == ["eseal", "director"]
    metadata = json.loads((site.repository("secondary") / CASE_YEAR / "v2" / "content" / "metadata.json").read_bytes())
    assert [s["role"] for s in metadata["signatures"]] == ["eseal", "director"]

    # the q1 copy was superseded by q2, q2 by the signed journal: both may go; the catalog has every version
    rows = site.query("SELECT id, status, retain_until FROM cases ORDER BY id")
    by_id = {row[0]: (row[1], str(row[2]) if row[2] else None) for row in rows}
    assert by_id["school-2~2025-2026~c-5a~period~q1"] == ("superseded", "2025-12-28")
    assert by_id["school-2~2025-2026~c-5a~period~q2"] == ("superseded", datetime.now(MOSCOW).date().isoformat())
    assert by_id[CASE_YEAR] == ("archived", "2032-01-01")
    assert by_id[CASE_SUMMARY] == ("archived", "2052-01-01")
    copies = site.query("SELECT COUNT(*) FROM copies")[0][0]
    versions = site.query("SELECT COUNT(*) FROM case_versions")[0][0]
    assert copies == 2 * versions


def _school_wide_summary(site: Site) -> str:
    """Archive the summary volume as earlier versions made it: every class's summary sheet under one title
    sheet, one case `school~year~summary` of kind summary with no class (0.1's `summary_volume`), through
    the same archiving path the year-end archive took."""
    from dataclasses import replace

    from archiver.archive.opening import archive_from_config
    from archiver.config import load_config
    from archiver.documents.volumes import class_summary_volume
    from archiver.ingest.importers import load_export
    from archiver.operations.archiving import _archive_volumes

    export = load_export(SMALL)
    per_class = [class_summary_volume(export, klass) for klass in export.classes]
    legacy = replace(
        per_class[0],
        id=f"{export.school.id}/{export.academic_year.id}/summary",
        title="Сводные ведомости итоговых оценок, 2025/2026 учебный год",
        parts=tuple(volume.parts[0] for volume in per_class),
        source=replace(export, classes=tuple(volume.source.classes[0] for volume in per_class)),
        source_name=f"{export.academic_year.id}-summary.json",
        class_id=None,
        class_name=None,
    )
    archive = archive_from_config(load_config(site.directory / "archiver.toml", required=True))
    try:
        (made,) = _archive_volumes(archive, [legacy], export.school.name, "admin")
    finally:
        archive.catalog.engine.dispose()
    assert made.outcome == "archived"
    return made.case_id


def test_a_school_wide_summary_case_of_earlier_versions_keeps_working(site: Site, tmp_path: Path) -> None:
    """An archive made before summary sheets were bound per class holds `school~year~summary`: beside the
    new per-class cases it is signed, verified, found by class and kind, retrieved, kept 25 years."""
    legacy = _school_wide_summary(site)
    assert legacy == "school-2~2025-2026~summary"
    site.ok("archive", "year", str(SMALL))
    assert sorted(site.ok("status")["awaiting_signature"]) == [CASE_YEAR, CASE_SUMMARY, legacy]
    signed = site.ok("sign", "--pending", *_director_args(site), user="director")
    assert sorted(c["case_id"] for c in signed["cases"]) == [CASE_YEAR, CASE_SUMMARY, legacy]
    assert site.run("verify", user="archivist").returncode == 0
    assert [c["case"] for c in site.ok("find", "--kind", "summary", user="auditor")["cases"]] == [CASE_SUMMARY, legacy]
    by_class = [c["case"] for c in site.ok("find", "--class", "5а", user="auditor")["cases"]]
    assert by_class == [CASE_YEAR, CASE_SUMMARY, legacy], "the old case holds 5А's sheet too"
    assert site.ok("find", "--class", "6А", user="auditor")["cases"] == []
    got = site.ok("get", legacy, "-o", str(tmp_path / "got"), user="auditor")
    assert "volume.pdf" in got["files"]
    source = json.loads((tmp_path / "got" / "source.json").read_bytes())
    assert [k["id"] for k in source["classes"]] == ["c-5a"]
    rows = {r["case_id"]: r for r in site.ok("retention", "list", user="archivist")["cases"]}
    assert (rows[legacy]["retention_class"], rows[legacy]["retain_until"]) == ("25y", "2052-01-01")
    refused = site.run("dispose", "propose", legacy, user="archivist")
    assert refused.returncode == 1 and "2052-01-01" in refused.stderr


def test_early_disposal_is_refused_and_touches_nothing(site: Site) -> None:
    site.ok("archive", "year", str(SMALL))
    before = sorted(p.name for p in site.repository("primary").iterdir())
    refused = site.run("dispose", "propose", CASE_YEAR, user="archivist")
    assert refused.returncode == 1 and "2032-01-01" in refused.stderr
    assert sorted(p.name for p in site.repository("primary").iterdir()) == before
    assert site.query(f"SELECT status FROM cases WHERE id = '{CASE_YEAR}'")[0][0] == "awaiting_signature"
    outcomes = site.query("SELECT action, outcome FROM audit_events WHERE action LIKE 'dispose%'")
    assert outcomes == [("dispose propose", "refused")]


def dispose_through_an_act(site: Site, *cases: str) -> dict[str, Any]:
    """Propose an act for the cases, the director approves it, the archivist executes it."""
    proposed = site.ok("dispose", "propose", *cases, user="archivist")["acts"]
    assert len(proposed) == 1 and sorted(proposed[0]["cases"]) == sorted(cases), proposed
    act = f"{proposed[0]['school_id']}/{proposed[0]['number']}"
    site.ok("dispose", "approve", act, *_director_args(site), user="director")
    return site.ok("dispose", "execute", act, user="archivist")


def test_due_case_is_disposed_with_an_act_and_holds_stop_it(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")  # q1 is superseded: due
    old = "school-2~2025-2026~c-5a~period~q1"
    assert [c["case_id"] for c in site.ok("retention", "list", "--due")["cases"]] == [old]
    site.ok("retention", "hold", old)
    held = site.run("dispose", "propose", old, user="archivist")
    assert held.returncode == 1 and "legal hold" in held.stderr
    assert site.ok("dispose", "propose", "--due", user="archivist")["acts"] == [], "nothing due but the held one"
    site.ok("retention", "release", old)
    done = dispose_through_an_act(site, old)
    assert (done["status"], done["removed"], done["kept"]) == ("executed", [old], [])
    assert site.ok("dispose", "execute", "1", user="archivist") == {**done, "version": None}, "a re-run: nothing"
    for name in ("primary", "secondary"):
        assert not (site.repository(name) / old).exists()
        assert (site.repository(name) / "school-2~acts").is_dir()
        validate_ocfl(site.repository(name))
    assert site.query(f"SELECT status FROM cases WHERE id = '{old}'")[0][0] == "disposed"


def test_users_are_added_by_an_admin_only(site: Site) -> None:
    added = site.ok("users", "add", "teacher", "--role", "auditor", "--os-user", "ivanova")
    assert added == {"ok": True, "user": "teacher", "role": "auditor", "os_user": "ivanova", "full_name": None,
                     "position": None, "certificates": []}  # fmt: skip
    refused = site.run("users", "add", "eve", "--role", "admin", user="director")
    assert refused.returncode == 1 and "may not users" in refused.stderr
    assert tuple(site.query("SELECT role, os_user FROM users WHERE name = 'teacher'")[0]) == ("auditor", "ivanova")


def test_auditor_cannot_archive_or_sign_and_is_recorded(site: Site) -> None:
    archive = site.run("archive", "year", str(SMALL), user="auditor")
    assert archive.returncode == 1 and "role 'auditor' may not archive" in archive.stderr
    sign = site.run("sign", "--pending", *_director_args(site), user="auditor")
    assert sign.returncode == 1 and "may not sign" in sign.stderr
    stranger = site.run("status", user="mallory")
    assert stranger.returncode == 1 and "'mallory' is not an archive user" in stranger.stderr
    assert not any(p.name.startswith("school-") for p in site.repository("primary").iterdir())
    refused = site.query("SELECT \"user\", action FROM audit_events WHERE outcome = 'refused' ORDER BY id")
    assert [tuple(r) for r in refused] == [("auditor", "archive"), ("auditor", "sign"), ("(mallory)", "status")]


def test_missing_repository_fails_before_anything_is_written(site: Site) -> None:
    secondary = site.repository("secondary")
    secondary.rename(secondary.with_name("moved-away"))
    result = site.run("archive", "year", str(SMALL))
    assert result.returncode != 0 and "secondary" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(p.name.startswith("school-") for p in site.repository("primary").iterdir())
    assert site.query("SELECT COUNT(*) FROM cases WHERE kind != 'audit'")[0][0] == 0


@pytest.mark.slow  # a real process, killed mid-run: some 40 s
def test_killed_run_is_completed_by_running_again(site: Site, tmp_path: Path) -> None:
    export = tmp_path / "school.json"
    export.write_bytes(document_json(generate(60, 2)))  # two classes: four cases (a journal and a summary each)
    process = subprocess.Popen(
        [sys.executable, "-c", "from archiver.cli import main; main()", "--as", "admin", "archive", "year", str(export)],
        cwd=site.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    primary = site.repository("primary")
    deadline = time.time() + 300
    while time.time() < deadline and not any(p.name.startswith("school-") for p in primary.iterdir()):
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # mid-archive: the workers die with it
    process.wait(timeout=60)
    stored = sorted(p.name for p in primary.iterdir() if p.name.startswith("school-"))
    assert stored, "the run was killed before it stored anything"
    for name in ("primary", "secondary"):
        validate_ocfl(site.repository(name))  # no half case is visible
    # What the killed run left decides each case's outcome on the re-run: catalogued, it is done; in a
    # repository only, it is adopted from there (never rendered again); nowhere, it is archived now.
    catalogued = {row[0] for row in site.query("SELECT id FROM cases WHERE kind != 'audit'")}
    in_a_repository = {p.name for name in ("primary", "secondary") for p in site.repository(name).iterdir()
                       if p.name.startswith("school-")}  # fmt: skip
    assert catalogued <= in_a_repository and set(stored) <= in_a_repository
    again = site.ok("archive", "year", str(export))
    outcomes = {c["case_id"]: c["outcome"] for c in again["cases"]}
    assert len(outcomes) == 4 and in_a_repository <= set(outcomes), (outcomes, in_a_repository)
    expected = {
        case: "already archived" if case in catalogued else "adopted" if case in in_a_repository else "archived"
        for case in outcomes
    }
    assert outcomes == expected
    for name in ("primary", "secondary"):
        validate_ocfl(site.repository(name))
        objects = sorted(p.name for p in site.repository(name).iterdir() if p.name.startswith("school-"))
        assert objects == sorted(outcomes)
        for case in objects:
            assert json.loads((site.repository(name) / case / "inventory.json").read_bytes())["head"] == "v1"
    assert site.query("SELECT COUNT(*) FROM cases WHERE kind != 'audit'")[0][0] == 4
    versions = "SELECT COUNT(*) FROM case_versions v JOIN cases c ON c.id = v.case_id WHERE c.kind != 'audit'"
    assert site.query(versions)[0][0] == 4


def test_two_runs_at_once_store_each_case_once(site: Site) -> None:
    command = [sys.executable, "-c", "from archiver.cli import main; main()", "--as", "admin", "--json",
               "archive", "year", str(SMALL)]  # fmt: skip
    runs = [subprocess.Popen(command, cwd=site.directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    outcomes = sorted(c["outcome"] for out, _ in outputs for c in json.loads(out)["cases"])
    assert outcomes.count("archived") == 2 and outcomes.count("already archived") == 2
    versions = "SELECT COUNT(*) FROM case_versions v JOIN cases c ON c.id = v.case_id WHERE c.kind != 'audit'"
    assert site.query(versions)[0][0] == 2
    for name in ("primary", "secondary"):
        validate_ocfl(site.repository(name))
    audit = open_catalog(site.catalog_url, migrate=False)
    assert audit.audit_problems() == []
    audit.engine.dispose()


def test_case_ids_of_different_kinds_never_collide(site: Site, tmp_path: Path) -> None:
    document = json.loads(SMALL.read_text(encoding="utf-8"))
    text = json.dumps(document, ensure_ascii=False).replace('"c-5a"', '"c.5a.year"').replace('"school-2"', '"s.2"')
    renamed = {"year": "annual", "q1": "year"}  # the first quarter is called "year" (the year itself "annual")

    def rename(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: rename(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v, key) for v in value]
        return renamed.get(value, value) if isinstance(value, str) and key != "kind" else value

    export = tmp_path / "dotted.json"
    export.write_text(json.dumps(rename(json.loads(text)), ensure_ascii=False), encoding="utf-8")
    site.ok("archive", "quarter", str(export), "--period", "year")
    made = site.ok("archive", "year", str(export))
    assert sorted(c["outcome"] for c in made["cases"]) == ["archived", "archived"], "no case taken for another"
    ids = sorted(row[0] for row in site.query("SELECT id FROM cases WHERE kind != 'audit'"))
    assert ids == ["s.2~2025-2026~c.5a.year~journal", "s.2~2025-2026~c.5a.year~period~year",
                   "s.2~2025-2026~c.5a.year~summary"]  # fmt: skip
    assert site.run("verify", user="archivist").returncode == 0


def test_a_disposed_case_is_not_archived_again(site: Site) -> None:
    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    old = "school-2~2025-2026~c-5a~period~q1"
    dispose_through_an_act(site, old)
    cases = [p for p in site.repository("primary").iterdir() if p.is_dir() and "~audit~" not in p.name]
    before = {p.name: sorted(q.name for q in p.iterdir()) for p in cases}
    again = site.run("archive", "quarter", str(SMALL), "--period", "q1")
    assert again.returncode == 1 and "was disposed of" in again.stderr and "Traceback" not in again.stderr
    cases = [p for p in site.repository("primary").iterdir() if p.is_dir() and "~audit~" not in p.name]
    after = {p.name: sorted(q.name for q in p.iterdir()) for p in cases}  # the refusal is recorded and sealed
    assert after == before and not (site.repository("secondary") / old).exists()
    assert site.run("verify", user="archivist").returncode == 0


def test_a_damaged_inventory_met_while_signing_is_a_clear_message(site: Site) -> None:
    site.ok("archive", "year", str(SMALL))
    inventory = site.repository("secondary") / CASE_YEAR / "inventory.json"
    inventory.write_bytes(inventory.read_bytes()[:200])
    failed = site.run("sign", "--pending", *_director_args(site), user="director")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "secondary" in failed.stderr and "archiver repair" in failed.stderr
    assert site.run("repair", user="archivist").returncode == 0
    site.ok("sign", "--pending", *_director_args(site), user="director")
    assert site.run("verify", user="archivist").returncode == 0


def test_an_unknown_object_in_a_storage_root_is_reported(site: Site) -> None:
    site.ok("archive", "year", str(SMALL))
    foreign = site.repository("primary") / "someone-elses-object"
    shutil.copytree(site.repository("primary") / CASE_SUMMARY, foreign)
    found = site.run("--json", "verify", user="archivist")
    assert found.returncode == 1
    problems = json.loads(found.stdout)["problems"]
    assert [(p["repository"], p["file"], p["code"]) for p in problems] == [
        ("primary", "someone-elses-object", "unknown-object")
    ]


def test_the_disposal_act_is_in_proper_form(site: Site) -> None:
    from tests.pdfcheck import page_texts

    site.ok("archive", "quarter", str(SMALL), "--period", "q1")
    site.ok("archive", "quarter", str(SMALL), "--period", "q2")
    dispose_through_an_act(site, "school-2~2025-2026~c-5a~period~q1")
    act = max(site.repository("primary").glob("school-2~acts/v*/content/volume.pdf"))  # the approved act
    text = " ".join(" ".join(page_texts(act.read_bytes())).split())
    assert "Муниципальное автономное общеобразовательное учреждение «Средняя школа № 2»" in text
    assert "УТВЕРЖДАЮ" in text and "№ 1 от" in text and "о выделении к уничтожению" in text
    assert "Классный журнал 5А класса" in text and "school-2~2025-2026~c-5a~period~q1" in text
    assert "2025/2026 учебный год" in text and "до замены следующей архивной копией" in text
    assert "подписи: печать B-LTA" in text  # the level the case's seal was made with
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text.replace("2025-2026~", "")), "no ISO dates in an act"

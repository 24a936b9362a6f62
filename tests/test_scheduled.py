"""Scheduled verification (`verify --due [--budget]`), the quarantine commands, two carriers, the auditor's
read-only check, and repository location labels."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import Ran, run_cli


@pytest.fixture
def site(archive_copy: Path) -> Path:
    return archive_copy


def _cli(site: Path, *args: str, user: str = "archivist") -> Ran:
    return run_cli(*args, config=site / "archiver.toml", user=user)


def _json(site: Path, *args: str, user: str = "archivist") -> dict[str, Any]:
    result = _cli(site, "--json", *args, user=user)
    assert result.returncode == 0, result.stdout + result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def _age_copies(site: Path, ages: dict[tuple[str, str], int]) -> None:
    """Set when each (case suffix, repository) copy was last checked, in days ago."""
    now = datetime.now(UTC)
    with sqlite3.connect(site / "catalog.sqlite") as db:
        rows = db.execute(
            "SELECT copies.id, cases.id, copies.repository FROM copies JOIN case_versions v ON v.id = copies.version_id "
            "JOIN cases ON cases.id = v.case_id AND cases.head_version = v.number"
        ).fetchall()
        for row_id, case, repository in rows:
            for (suffix, repo), days in ages.items():
                if case.endswith(suffix) and repository == repo:
                    when = (now - timedelta(days=days)).isoformat(sep=" ")
                    db.execute("UPDATE copies SET verified_at = ? WHERE id = ?", (when, row_id))


def _checked(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """The copies of the school's cases a run checked (the audit trail's own case is checked too, with them)."""
    return [(c["case"].rsplit("~", 1)[1], c["repository"]) for c in payload["copies"] if "~audit~" not in c["case"]]


def test_due_checks_only_the_overdue_copies_oldest_first(site: Path) -> None:
    assert _checked(_json(site, "verify", "--due")) == [], "every copy was checked when it was stored"
    _age_copies(site, {("journal", "primary"): 40, ("summary", "secondary"): 90, ("summary", "primary"): 10})
    assert _checked(_json(site, "verify", "--due")) == [("summary", "secondary"), ("journal", "primary")]
    assert _checked(_json(site, "verify", "--due")) == [], "the checks were recorded"
    status = _json(site, "status")["verification"]
    assert status["primary"]["copies"] == 3 and status["primary"]["overdue"] == 0  # two cases and the audit case


@pytest.mark.slow  # waits on purpose, up to four budgeted runs
def test_a_budgeted_run_stops_in_time_and_the_next_continues(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.operations.integrity as verify

    real = verify.check_copy

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)
        return real(*args, **kwargs)

    monkeypatch.setattr(verify, "check_copy", slow)
    oldest_first = [("journal", "primary"), ("journal", "secondary"), ("summary", "primary"), ("summary", "secondary")]
    _age_copies(site, {copy: 50 - 10 * i for i, copy in enumerate(oldest_first)})
    covered: list[tuple[str, str]] = []
    for _ in range(4):  # however many fit in a budget on a busy machine, each run goes on from the last
        started = time.monotonic()
        run = _json(site, "verify", "--due", "--budget", "1s")
        took = time.monotonic() - started
        checked = _checked(run)
        assert checked, "a run starts at least one check"
        assert took < 1 + 2 + 1.5 * len(checked), "no check starts after the budget (±2 s)"
        assert run["remaining"] == 6 - len(run["copies"])  # with the audit case's two copies, checked last
        fresh = [c for c in checked if c not in covered]
        assert fresh == oldest_first[len(covered) : len(covered) + len(fresh)], "the oldest not yet checked first"
        covered += fresh
        if len(covered) == 4:
            break
    assert covered == oldest_first


def test_budget_needs_due_and_a_duration(site: Path) -> None:
    assert _cli(site, "verify", "--budget", "10s").returncode == 2
    bad = _cli(site, "verify", "--due", "--budget", "soon")
    assert bad.returncode == 2 and "duration" in bad.stderr


def test_overdue_copies_show_in_status(site: Path) -> None:
    _age_copies(site, {("journal", "secondary"): 45})
    status = _json(site, "status", user="auditor")["verification"]
    assert status["secondary"]["overdue"] == 1 and status["primary"]["overdue"] == 0
    text = _cli(site, "status", user="auditor")
    assert "repository secondary" in text.stdout and "1 overdue" in text.stdout


def test_the_auditor_may_verify_and_writes_only_the_audit_event(site: Path) -> None:
    copies = ("SELECT copies.id, verified_at, status FROM copies JOIN case_versions v ON v.id = copies.version_id "
              "WHERE v.case_id NOT LIKE 'archive~audit~%' ORDER BY copies.id")  # fmt: skip
    with sqlite3.connect(site / "catalog.sqlite") as db:
        before = db.execute(copies).fetchall()
        events = db.execute("SELECT max(id) FROM audit_events").fetchone()[0]
    assert _cli(site, "verify", user="auditor").returncode == 0
    with sqlite3.connect(site / "catalog.sqlite") as db:
        assert db.execute(copies).fetchall() == before
        audited = db.execute("SELECT user, action FROM audit_events WHERE id > ?", (events,)).fetchall()
    # six copies (two of the audit case), then the checkpoint that anchors those events
    assert audited == [("auditor", "verify")] * 6 + [("auditor", "checkpoint")]


def test_same_device_is_warned_and_locations_are_reported(site: Path) -> None:
    warned = _cli(site, "verify")
    assert warned.returncode == 0 and "same device" in warned.stderr
    payload = _json(site, "verify")
    assert any("same device" in w for w in payload["warnings"])
    config = site / "archiver.toml"
    text = config.read_text().replace(
        'primary = "repositories/primary"', 'primary = { path = "repositories/primary", location = "сервер, каб. 12" }'
    )
    config.write_text(text)
    status = _json(site, "status")["verification"]
    assert status["primary"]["location"] == "сервер, каб. 12" and status["secondary"]["location"] == ""
    config.write_text(text.replace("location =", "room ="))
    wrong = _cli(site, "status")
    assert wrong.returncode == 2 and "unknown key 'room'" in wrong.stderr


def test_quarantine_is_kept_listed_and_purged_only_by_an_admin(site: Path) -> None:
    volume = next((site / "repositories" / "primary").glob("*journal/v2/content/volume.pdf"))
    volume.write_bytes(volume.read_bytes()[:-10])
    assert _cli(site, "repair").returncode == 0
    listed = _json(site, "quarantine", "list", user="admin")["entries"]
    assert len(listed) == 1 and listed[0]["repository"] == "primary" and "journal" in listed[0]["subject"]
    kept = Path(listed[0]["path"])
    assert any(p.name == "volume.pdf" for p in kept.rglob("*")), "the damaged copy is kept"
    for command in ("status", "find"):  # no command cleans the quarantine up on its way
        assert _cli(site, command, user="auditor").returncode == 0
    assert kept.is_dir()
    assert _cli(site, "quarantine", "purge", "--older-than", "1d", user="archivist").returncode == 1
    assert _json(site, "quarantine", "purge", "--older-than", "1d", user="admin")["purged"] == []
    assert kept.is_dir()
    note = kept / "quarantine.json"
    data = json.loads(note.read_text())
    data["at"] = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    note.write_text(json.dumps(data))
    purged = _json(site, "quarantine", "purge", "--older-than", "90d", user="admin")["purged"]
    assert len(purged) == 1 and not kept.exists()
    with sqlite3.connect(site / "catalog.sqlite") as db:
        assert db.execute("SELECT user FROM audit_events WHERE action = 'quarantine purge'").fetchall() == [("admin",)]


def test_a_scheduled_run_also_checks_the_storage_roots(site: Path) -> None:
    (site / "repositories" / "primary" / "0=ocfl_1.1").unlink()
    (site / "repositories" / "secondary" / "elsewhere").symlink_to("/etc")
    found = _cli(site, "--json", "verify", "--due", "--budget", "60s")
    assert found.returncode == 1
    assert {(p["repository"], p["file"]) for p in json.loads(found.stdout)["problems"]} == {
        ("primary", "0=ocfl_1.1"),
        ("secondary", "elsewhere"),
    }

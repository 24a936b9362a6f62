"""Who you are and what you may do, tried as a local user with shell access would (issue #11): the OS account
decides who acts, signers are bound to people, the sealed record rules disposal, and the audit trail is
anchored in the repositories so that rewriting it is found."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import Ran, run_cli
from tests.sites import copy_archive

SMALL = Path(__file__).parent / "data" / "small_school.json"
CASE = "school-2~2025-2026~c-5a~journal"


@pytest.fixture
def site(archived: Path, tmp_path: Path) -> Path:
    return copy_archive(archived, tmp_path / "archive")


def _cli(site: Path, *args: str, user: str = "archivist") -> Ran:
    return run_cli(*args, config=site / "archiver.toml", user=user)


def _verify(site: Path) -> tuple[int, list[dict[str, Any]]]:
    result = _cli(site, "--json", "verify")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)["problems"]


def _sql(site: Path, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(site / "catalog.sqlite") as db:
        rows = db.execute(statement, params).fetchall()
    return rows


def _last_event(site: Path) -> dict[str, Any]:
    row = _sql(site, "SELECT user, action, outcome, os_user, host, delegated_by, details FROM audit_events "
                     "WHERE action != 'checkpoint' ORDER BY id DESC LIMIT 1")[0]  # fmt: skip
    keys = ("user", "action", "outcome", "os_user", "host", "delegated_by", "details")
    return dict(zip(keys, row, strict=True))


def _events(site: Path, action: str) -> list[dict[str, Any]]:
    rows = _sql(site, "SELECT user, outcome, os_user, delegated_by, object FROM audit_events WHERE action = ? "
                      "ORDER BY id", action)  # fmt: skip
    return [dict(zip(("user", "outcome", "os_user", "delegated_by", "object"), r, strict=True)) for r in rows]


def _objects(site: Path, case: str) -> list[bool]:
    return [(site / "repositories" / repo / case / "inventory.json").is_file() for repo in ("primary", "secondary")]


# -- identity: the OS account, not what the command line or the environment claims ---------------------------


def test_as_is_refused_to_anyone_but_an_admin(site: Path) -> None:
    made = _cli(site, "--as", "admin", "users", "add", "mallory", "--role", "admin", user="mallory")
    assert made.returncode == 1 and "only an admin" in made.stderr, made.stderr
    refused = _cli(site, "--as", "archivist", "dispose", "propose", CASE, user="auditor")
    assert refused.returncode == 1 and "only an admin" in refused.stderr
    assert _objects(site, CASE) == [True, True]
    assert [e["outcome"] for e in _events(site, "act as")] == ["refused", "refused"]
    assert _sql(site, "SELECT count(*) FROM users WHERE name = 'mallory'") == [(0,)]


def test_an_admin_acting_for_someone_is_recorded_as_such(site: Path) -> None:
    assert _cli(site, "--as", "archivist", "verify", "--case", CASE, user="admin").returncode == 0
    event = _events(site, "verify")[-1]
    assert event == {"user": "archivist", "outcome": "success", "os_user": "admin", "delegated_by": "admin",
                     "object": CASE}  # fmt: skip


def test_an_os_account_that_is_nobodys_is_refused(site: Path) -> None:
    result = _cli(site, "status", user="stranger")
    assert result.returncode == 1 and "'stranger' is not an archive user" in result.stderr
    event = _last_event(site)
    assert (event["action"], event["outcome"], event["os_user"]) == ("status", "refused", "stranger")


@pytest.mark.external  # setpriv, as root
def test_the_environment_does_not_name_the_user(site: Path) -> None:
    """A process whose real uid is `nobody`, claiming to be admin in every variable a shell would set. (Its
    effective uid stays root so that it can read the test's Python, installed under /root: what decides is
    the real uid, never the environment.)"""
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another OS account")
    environment = {**os.environ, "LOGNAME": "admin", "USER": "admin", "USERNAME": "admin", "SUDO_USER": "admin",
                   "SUDO_UID": "0", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    place = Path(tempfile.mkdtemp(prefix="archiver-identity-"))  # a path the real uid may look at
    try:
        place.chmod(0o755)
        config = shutil.copy(site / "archiver.toml", place / "archiver.toml")
        text = (
            Path(config)
            .read_text()
            .replace('"repositories/', f'"{site}/repositories/')
            .replace('"pki/', f'"{site}/pki/')
        )
        Path(config).write_text(text.replace("sqlite:///", f"sqlite:///{site}/"), encoding="utf-8")
        Path(config).chmod(0o644)
        command = ["setpriv", "--ruid=65534", sys.executable, "-c", "from archiver.cli import main; main()",
                   "--config", config, "users", "add", "mallory", "--role", "admin"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120)
    finally:
        shutil.rmtree(place)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'nobody' is not an archive user" in done.stderr
    assert _sql(site, "SELECT count(*) FROM users WHERE name = 'mallory'") == [(0,)]
    event = _last_event(site)
    assert (event["action"], event["outcome"], event["os_user"]) == ("users", "refused", "nobody")


# -- signers bound to people ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awaiting_the_director(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new archive whose year-end volumes await the director (registered with the TEST director's
    certificate), made once for the module."""
    directory = copy_archive(initialized, tmp_path_factory.mktemp("unsigned") / "unsigned")
    done = run_cli("archive", "year", str(SMALL), config=directory / "archiver.toml", user="admin")
    assert done.returncode == 0, done.stderr
    return directory


@pytest.fixture
def unsigned(awaiting_the_director: Path, tmp_path: Path) -> Path:
    return copy_archive(awaiting_the_director, tmp_path / "unsigned")


def _sign(site: Path, key: str, *, user: str = "director", case: str = CASE) -> Ran:
    pki = site / "pki"
    return _cli(site, "sign", "--case", case, "--key", str(pki / f"{key}.p12"), "--passphrase-file",
                str(pki / f"{key}.passphrase"), user=user)  # fmt: skip


def test_the_eseal_key_is_not_a_directors_signature(unsigned: Path) -> None:
    result = _sign(unsigned, "eseal")
    assert result.returncode == 1 and "e-seal, not a director's signature" in result.stderr, result.stderr
    assert _sql(unsigned, "SELECT status, head_version FROM cases WHERE id = ?", CASE) == [("awaiting_signature", 1)]


def test_a_director_signs_only_with_their_own_certificate(unsigned: Path) -> None:
    assert _cli(unsigned, "users", "add", "deputy", "--role", "director", user="admin").returncode == 0
    result = _sign(unsigned, "director", user="deputy")
    assert result.returncode == 1 and "registered to 'director'" in result.stderr, result.stderr
    assert _sign(unsigned, "director").returncode == 0
    assert _sql(unsigned, "SELECT status FROM cases WHERE id = ?", CASE) == [("archived",)]


def test_verify_finds_a_signature_by_the_wrong_key(unsigned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A volume signed in the director's field with the e-seal's key (as a version of the archiver without
    the check would have let through) is a finding, not a signed volume."""
    import archiver.operations.signing

    monkeypatch.setattr(archiver.operations.signing, "refuse_foreign_key", lambda *args: None)
    assert _sign(unsigned, "eseal").returncode == 0
    status, problems = _verify(unsigned)
    wrong = [p for p in problems if p["code"] == "signer"]
    assert status == 1 and wrong, problems
    assert all(p["case"] == CASE and "'director' signature" in p["detail"] for p in wrong)
    assert {p["repository"] for p in wrong} == {"primary", "secondary"}


# -- the sealed record rules -------------------------------------------------------------------------------


def test_retention_edited_in_the_catalog_is_found_and_disposal_refused(site: Path) -> None:
    _sql(site, "UPDATE cases SET retain_until = '2020-01-01' WHERE id = ?", CASE)
    status, problems = _verify(site)
    found = [p for p in problems if p["code"] == "catalog" and "retain_until" in p["detail"]]
    assert status == 1 and {p["repository"] for p in found} == {"primary", "secondary"}, problems
    assert "2032-01-01" in found[0]["detail"]
    refused = _cli(site, "dispose", "propose", CASE)
    assert refused.returncode == 1 and "disagrees with the sealed metadata" in refused.stderr, refused.stderr
    assert _objects(site, CASE) == [True, True]


def _forge_metadata(site: Path, repository: str, change: dict[str, Any]) -> None:
    """Edit the head's metadata.json in one repository and rewrite every digest of it (inventories and their
    sidecars) so that the storage itself looks sound: only the seal can tell."""
    directory = site / "repositories" / repository / CASE
    inventory = json.loads((directory / "inventory.json").read_bytes())
    state = inventory["versions"][inventory["head"]]["state"]
    old512 = next(d for d, paths in state.items() if "metadata.json" in paths)
    content = directory / inventory["manifest"][old512][0]
    old256 = next(d for d, p in inventory["fixity"]["sha256"].items() if p == inventory["manifest"][old512])
    metadata = json.loads(content.read_bytes())
    metadata.update(change)
    forged = (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode()
    content.write_bytes(forged)
    new512, new256 = hashlib.sha512(forged).hexdigest(), hashlib.sha256(forged).hexdigest()
    for path in directory.rglob("inventory.json"):
        raw = path.read_text().replace(old512, new512).replace(old256, new256).encode()
        path.write_bytes(raw)
        path.with_name("inventory.json.sha512").write_text(f"{hashlib.sha512(raw).hexdigest()}  inventory.json\n")


def _lose_catalog(site: Path) -> None:
    for path in site.glob("catalog.sqlite*"):
        path.unlink()


def test_edited_metadata_is_never_adopted_by_a_rebuild(site: Path) -> None:
    _forge_metadata(site, "primary", {"retention": {"class": "5y", "closed_on": "2026-05-31",
                                                    "retain_until": "2020-01-01"}})  # fmt: skip
    _lose_catalog(site)
    rebuilt = _cli(site, "--json", "catalog", "rebuild", "--from", "primary", user="root")
    assert rebuilt.returncode == 1, rebuilt.stdout + rebuilt.stderr
    report = json.loads(rebuilt.stdout)
    assert any(s.startswith(CASE) and "sealed manifest" in s for s in report["skipped"]), report
    gone = _cli(site, "dispose", "propose", CASE)
    assert gone.returncode == 2 and "no case" in gone.stderr
    assert _objects(site, CASE) == [True, True]


def test_a_rebuild_makes_nobody_an_admin_and_brings_the_users_back(site: Path) -> None:
    assert _cli(site, "users", "remove", "operator", user="admin").returncode == 0  # root acts as nobody now
    _lose_catalog(site)
    refused = _cli(site, "catalog", "rebuild", "--from", "secondary", user="mallory")
    assert refused.returncode == 1 and "may not rebuild" in refused.stderr
    rebuilt = _cli(site, "--json", "catalog", "rebuild", "--from", "secondary", user="root")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert json.loads(rebuilt.stdout)["users"] >= 4
    roles = dict(_sql(site, "SELECT name, role FROM users"))
    assert roles == {"admin": "admin", "director": "director", "archivist": "archivist", "auditor": "auditor"}
    made = _cli(site, "users", "add", "mallory", "--role", "admin", user="root")
    assert made.returncode == 1, "root is no archive admin once the users are back"
    assert _verify(site) == (0, [])


def test_a_hold_is_sealed_and_survives_a_rebuild(site: Path) -> None:
    held = _cli(site, "--json", "retention", "hold", CASE, user="admin")
    assert held.returncode == 0 and json.loads(held.stdout)["version"] == 3, held.stdout + held.stderr
    _lose_catalog(site)
    assert _cli(site, "catalog", "rebuild", "--from", "primary", user="root").returncode == 0
    assert _sql(site, "SELECT legal_hold, status FROM cases WHERE id = ?", CASE) == [(1, "archived")]
    listed = json.loads(_cli(site, "--json", "retention", "list", user="admin").stdout)["cases"]
    assert next(c for c in listed if c["case_id"] == CASE)["legal_hold"] is True
    _sql(site, "UPDATE cases SET legal_hold = 0 WHERE id = ?", CASE)
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "catalog" and "legal_hold" in p["detail"] for p in problems)


# -- the audit trail anchored in the repositories --------------------------------------------------------


def _rechain(site: Path) -> None:
    """Recompute every event's hash and the head, as someone who knows the formula would."""
    from sqlalchemy import select

    from archiver.archive.catalog import open_catalog
    from archiver.archive.catalog.database import GENESIS, event_hash
    from archiver.archive.catalog.models import AuditEvent, AuditHead

    catalog = open_catalog(f"sqlite:///{site / 'catalog.sqlite'}")
    with catalog.transaction() as session:
        previous = GENESIS
        for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
            event.previous_hash = previous
            event.hash = event_hash(event)
            previous = event.hash
        head = session.get(AuditHead, 1)
        assert head is not None
        head.last_hash = previous
        last = session.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalars().first()
        assert last is not None
        head.last_id = last
    catalog.engine.dispose()


def test_a_truncated_audit_trail_is_found(site: Path) -> None:
    (last,) = _sql(site, "SELECT max(id) FROM audit_events")[0]
    _sql(site, "DELETE FROM audit_events WHERE id > ?", last - 3)
    _sql(site, "UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_events), "
               "last_hash = (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1)")  # fmt: skip
    assert _cli(site, "status", user="admin").returncode == 0  # the chain alone looks whole
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "audit" and "truncated" in p["detail"] for p in problems), problems
    # No later run seals the truncated trail over the evidence (the events that run recorded took the freed
    # ids, so what is found now is a different event where the sealed one was).
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "audit" and "rewritten" in p["detail"] for p in problems), problems


def test_a_recomputed_audit_trail_is_found(site: Path) -> None:
    _sql(site, "UPDATE audit_events SET user = 'someone else' WHERE action = 'sign'")
    _rechain(site)
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "audit" and "rewritten" in p["detail"] for p in problems), problems


def test_a_role_changed_by_sql_is_refused_and_found(site: Path) -> None:
    _sql(site, "UPDATE users SET role = 'admin' WHERE name = 'auditor'")
    made = _cli(site, "users", "add", "mallory", "--role", "admin", user="auditor")
    assert made.returncode == 1 and "role 'auditor' may not users" in made.stderr, "the sealed registry decides"
    refused = _cli(site, "status", user="auditor")  # and the row that says otherwise is not trusted at all
    assert refused.returncode == 1 and "differs from its audited record" in refused.stderr, refused.stderr
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "registry" and "'auditor'" in p["detail"] for p in problems), problems


def test_every_run_that_writes_seals_a_checkpoint(site: Path) -> None:
    month = sorted(p.name for p in (site / "repositories" / "primary").glob("archive~audit~*"))
    assert month, "the fixture's runs sealed checkpoints"
    inventory = json.loads((site / "repositories" / "primary" / month[-1] / "inventory.json").read_bytes())
    before = int(inventory["head"][1:])
    assert _cli(site, "verify", "--case", CASE).returncode == 0
    inventory = json.loads((site / "repositories" / "primary" / month[-1] / "inventory.json").read_bytes())
    assert int(inventory["head"][1:]) == before + 1
    (head_id,) = _sql(site, "SELECT last_id FROM audit_head")[0]
    checkpoint = json.loads((site / "repositories" / "secondary" / month[-1] / inventory["head"] / "content" /
                             "checkpoint.json").read_bytes())  # fmt: skip
    assert checkpoint["head_id"] == head_id - 1  # the checkpoint's own record follows it


# -- sudo: a person reaching the service account acts as themselves ------------------------------------------

_WHO = "from archiver.archive.identity import current_account; a = current_account('nobody'); print(a.login, a.via, a.service)"


def _as_service_account_under(parent_name: str, parent_setpriv: list[str]) -> str:
    """Run `_WHO` with real uid `nobody` (the service account here) as the child of a process named
    `parent_name` whose credentials `parent_setpriv` sets. Effective uids stay root so that the test's
    Python, installed under /root, can be read."""
    child = ["setpriv", "--ruid=65534", sys.executable, "-c", _WHO]
    parent = (f"import ctypes, subprocess, sys; ctypes.CDLL(None).prctl(15, {parent_name.encode()!r}, 0, 0, 0); "
              f"sys.exit(subprocess.run({child!r}).returncode)")  # fmt: skip
    environment = {**os.environ, "SUDO_UID": "0", "SUDO_USER": "root",
                   "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    done = subprocess.run([*parent_setpriv, sys.executable, "-c", parent], capture_output=True, text=True,
                          env=environment, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.external  # setpriv, as root
def test_sudo_to_the_service_account_acts_for_the_person_who_ran_it() -> None:
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run processes as other OS accounts")
    # sudo is setuid root: its real uid is the person's (here 4242), its effective uid 0
    assert _as_service_account_under("sudo", ["setpriv", "--ruid=4242"]) == "uid:4242 nobody False"
    # $SUDO_UID alone, without a sudo above, names nobody: the service account acts as itself
    assert _as_service_account_under("bash", ["setpriv", "--ruid=4242"]) == "nobody None True"


def test_a_process_that_merely_calls_itself_sudo_is_not_sudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archiver.archive.identity

    def process(pid: int, name: str, uids: str, parent: int) -> None:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "status").write_text(f"Name:\t{name}\nPPid:\t{parent}\nUid:\t{uids}\n")

    process(300, "python3", "65534\t65534\t65534\t65534", 200)
    process(200, "sudo", "4242\t4242\t4242\t4242", 100)  # not setuid root: anyone can name a process so
    process(100, "sudo", "1000\t0\t0\t0", 2)
    monkeypatch.setattr(archiver.archive.identity, "PROC", tmp_path)
    assert archiver.archive.identity.sudo_caller(200) is None  # the nearest "sudo" decides, and it is not sudo
    assert archiver.archive.identity.sudo_caller(100) == 1000


# -- what a catalog editor tries next (from a review of the above) ---------------------------------------------


def test_users_written_into_the_catalog_never_count(site: Path) -> None:
    """Rows and correctly chained audit events that make `mallory` an admin, written with the archive's own
    code: they are not the sealed registry, so mallory acts as nobody, before and after later runs seal."""
    from archiver.archive.catalog import open_catalog
    from archiver.archive.registry import UserRecord, change

    catalog = open_catalog(f"sqlite:///{site / 'catalog.sqlite'}")
    catalog.os_user = "admin"
    with catalog.transaction() as session:
        change(catalog, session, "admin", "users add", "mallory", users={"mallory": UserRecord("admin", "mallory")})
    catalog.engine.dispose()
    for _ in range(2):
        refused = _cli(site, "--as", "archivist", "verify", user="mallory")
        assert refused.returncode == 1 and "only an admin" in refused.stderr, refused.stderr
        status, problems = _verify(site)
        assert status == 1 and any(p["code"] == "registry" and "'mallory'" in p["detail"] for p in problems)


def test_a_case_marked_disposing_by_sql_is_not_destroyed(site: Path) -> None:
    _sql(site, "UPDATE cases SET status = 'disposing' WHERE id = ?", CASE)
    refused = _cli(site, "dispose", "propose", CASE)
    assert refused.returncode == 1 and "is disposing" in refused.stderr, refused.stderr
    assert _objects(site, CASE) == [True, True]
    status, problems = _verify(site)
    assert status == 1 and any(p["case"] == CASE and "no sealed act names it" in p["detail"] for p in problems)


def test_a_replaced_audit_chain_is_found(site: Path) -> None:
    """Events removed, every hash recomputed, and the chain given a new id (as a rebuilt catalog has)."""
    _sql(site, "DELETE FROM audit_events WHERE action = 'sign'")
    _rechain(site)
    _sql(site, "UPDATE audit_head SET chain = '00000000-0000-4000-8000-000000000000'")
    for _ in range(2):  # and no run seals the replaced trail
        status, problems = _verify(site)
        assert status == 1 and any(p["code"] == "audit" and "was replaced" in p["detail"] for p in problems), problems


def test_malformed_registry_details_are_no_crash(site: Path) -> None:
    _sql(site, "INSERT INTO audit_events (at, user, action, object, outcome, details, previous_hash, hash) "
               "VALUES ('2026-01-01 00:00:00', 'admin', 'users add', 'x', 'success', ?, '', '')",
         json.dumps({"registry": {"users": {"x": "y"}, "certificates": [1]}}))  # fmt: skip
    status, problems = _verify(site)
    assert status == 1 and {p["code"] for p in problems} >= {"audit"}
    assert _cli(site, "status", user="admin").returncode == 0


def test_a_head_set_back_in_the_catalog_keeps_the_sealed_hold(site: Path) -> None:
    assert _cli(site, "retention", "hold", CASE, user="admin").returncode == 0  # v3: the hold, sealed
    (version,) = _sql(site, "SELECT id FROM case_versions WHERE case_id = ? AND number = 3", CASE)[0]
    for table in ("documents", "copies", "signatures"):
        _sql(site, f"DELETE FROM {table} WHERE version_id = ?", version)
    _sql(site, "DELETE FROM case_versions WHERE id = ?", version)
    _sql(site, "UPDATE cases SET head_version = 2, legal_hold = 0 WHERE id = ?", CASE)
    repaired = _cli(site, "--json", "repair")
    assert repaired.returncode == 1 and "set back" in repaired.stdout, repaired.stdout + repaired.stderr
    for repo in ("primary", "secondary"):
        inventory = json.loads((site / "repositories" / repo / CASE / "inventory.json").read_bytes())
        assert inventory["head"] == "v3", "the sealed hold is never set aside as a leftover"
    status, problems = _verify(site)
    assert status == 1 and any(p["case"] == CASE and "set back" in p["detail"] for p in problems), problems


def test_outputs_never_overwrite_the_archive(site: Path) -> None:
    """Under sudo the archiver writes as the service account: an output path must not reach its own files."""
    catalog = (site / "catalog.sqlite").read_bytes()
    report = _cli(site, "verify", "--report", str(site / "catalog.sqlite"), user="auditor")
    assert report.returncode == 2 and "part of the archive" in report.stderr, report.stderr
    assert (site / "catalog.sqlite").read_bytes()[:16] == catalog[:16] == b"SQLite format 3\x00"
    content = next((site / "repositories" / "primary" / CASE).glob("v*/content"))
    got = _cli(site, "get", CASE, "--document", "metadata.json", "-o", str(content), user="auditor")
    assert got.returncode == 2 and "part of the archive" in got.stderr
    for target in (site / "pki" / "eseal.p12", site / "archiver.toml"):
        made = run_cli("demo-data", "--students", "1", "--force", "-o", str(target), config=site / "archiver.toml")
        assert made.returncode == 2 and "part of the archive" in made.stderr, made.stderr
    assert _verify(site) == (0, [])


def test_a_certificate_row_with_another_der_is_found(site: Path) -> None:
    _sql(site, "UPDATE certificates SET der = x'00' WHERE purpose = 'director'")
    status, problems = _verify(site)
    assert status == 1 and any(p["code"] == "registry" and "DER" in p["detail"] for p in problems), problems


@pytest.mark.parametrize("name", ["dir\u202eector", "аdmin", "", "a b"])
def test_user_names_are_plain(site: Path, name: str) -> None:
    made = _cli(site, "users", "add", name, "--role", "auditor", user="admin")
    assert made.returncode == 2 and "letters a-z" in made.stderr, made.stderr


def test_a_rebuild_brings_back_names_and_positions(site: Path) -> None:
    added = _cli(site, "users", "add", "archivist", "--role", "archivist", "--full-name", "Иванова Мария Петровна",
                 "--position", "Архивариус", user="admin")  # fmt: skip
    assert added.returncode == 0, added.stderr
    _lose_catalog(site)
    rebuilt = _cli(site, "--json", "catalog", "rebuild", "--from", "primary", user="root")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    rows = _sql(site, "SELECT full_name, position FROM users WHERE name = 'archivist'")
    assert [tuple(r) for r in rows] == [("Иванова Мария Петровна", "Архивариус")]
    assert _verify(site) == (0, [])

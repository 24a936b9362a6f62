"""The house's layout holds: commands load lazily (and say what they are without loading), operations check
who acts before anything is unlocked or written, the catalog's schema changes only by `catalog upgrade`,
and `init --catalog` makes an archive on PostgreSQL with its first admin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from alembic import command
from sqlalchemy import create_engine

from archiver.archive.catalog import open_catalog
from archiver.archive.catalog.database import _alembic, schema_revisions
from archiver.archive.roles import RefusedError
from archiver.cli import cli
from archiver.cli.main import COMMANDS
from archiver.errors import ArchiverError
from tests.clirun import run_cli

SMALL = Path(__file__).parent / "data" / "small_school.json"


def test_the_help_list_says_what_each_command_says_of_itself() -> None:
    context = click.Context(cli)
    for name, (module, short) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None and command.callback is not None, name
        assert command.callback.__module__ == module, f"{name} lives in {command.callback.__module__}, not {module}"
        assert command.get_short_help_str(limit=1000) == short, f"COMMANDS[{name!r}] differs from its docstring"
    listed = run_cli("--help").stdout
    for name in COMMANDS:
        assert f"  {name} " in listed


def test_help_loads_no_pdf_or_signing_library() -> None:
    probe = (
        "import sys\nfrom archiver.cli import main\nsys.argv = ['archiver', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('weasyprint', 'pyhanko', 'pypdf', 'sqlalchemy', 'jsonschema_rs') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
    assert "Commands:" in result.stdout and "verify" in result.stdout


@pytest.fixture
def made(tmp_path: Path, catalog_url: str) -> Path:
    """An archive made by `init --catalog URL` (SQLite in its own file, and PostgreSQL when configured)."""
    directory = tmp_path / "archive"
    result = run_cli("--json", "init", "--dir", str(directory), "--catalog", catalog_url, user="admin")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["admin"] == "admin" and not (directory / "catalog.sqlite").exists()
    return directory / "archiver.toml"


def test_init_makes_the_catalog_at_the_url_with_its_first_admin(made: Path, catalog_url: str) -> None:
    assert f'url = "{catalog_url}"' in made.read_text()
    listed = run_cli("--json", "users", "list", config=made, user="admin")
    assert listed.returncode == 0, listed.stderr
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)["users"]] == [("admin", "admin")]
    added = run_cli("users", "add", "arch", "--role", "archivist", config=made, user="admin")
    assert added.returncode == 0, added.stderr
    archived = run_cli("--json", "archive", "quarter", str(SMALL), "--period", "q1", config=made, user="admin")
    assert archived.returncode == 0, archived.stderr
    assert [c["outcome"] for c in json.loads(archived.stdout)["cases"]] == ["archived"]
    verified = run_cli("--json", "verify", config=made, user="arch")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = run_cli("init", "--dir", str(made.parent.parent / "other"), "--catalog", catalog_url, user="admin")
    assert again.returncode == 2 and ("is not empty" in again.stderr or "exists; give a new file" in again.stderr)
    assert not (made.parent.parent / "other").exists(), "nothing is written when the catalog is refused"


def test_a_catalog_behind_is_refused_until_an_admin_upgrades_it(made: Path, catalog_url: str) -> None:
    engine = create_engine(catalog_url)
    with engine.begin() as connection:
        command.downgrade(_alembic(connection), "0002")
    assert schema_revisions(engine)[0] == "0002"
    status = run_cli("status", config=made, user="admin")
    assert status.returncode != 0 and "archiver catalog upgrade" in status.stderr, status.stderr
    with pytest.raises(ArchiverError, match="schema revision 0002"):
        open_catalog(catalog_url)
    refused = run_cli("catalog", "upgrade", config=made, user="admin")  # an archive admin, not root
    assert refused.returncode == 1 and "may not upgrade" in refused.stderr
    upgraded = run_cli("--json", "catalog", "upgrade", config=made, user="root")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["from"] == "0002" and schema_revisions(engine)[0] == "0005"
    engine.dispose()
    catalog = open_catalog(catalog_url)  # opens now; the upgrade is in the audit trail
    with catalog.engine.connect() as connection:
        actions = [row[0] for row in connection.exec_driver_sql("SELECT action FROM audit_events ORDER BY id")]
    catalog.engine.dispose()
    assert actions[-1] == "catalog upgrade"
    # (the downgrade above dropped the users' OS accounts, which no real upgrade does: not judged here)
    assert "schema revision" not in run_cli("status", config=made, user="admin").stderr


def test_operations_check_the_user_before_the_key_is_unlocked(made: Path) -> None:
    from archiver.archive.opening import archive_from_config
    from archiver.config import load_config
    from archiver.ingest.importers import load_export
    from archiver.operations.archiving import archive_year

    config = load_config(made, required=True)
    (made.parent / "pki" / "eseal.passphrase").unlink()  # unlocking the e-seal would fail: it must not be tried
    archive = archive_from_config(config)
    try:
        with pytest.raises(RefusedError, match="not an archive user"):
            archive_year(archive, load_export(SMALL), "nobody")
        assert archive._eseal is None
        assert not list((made.parent / "repositories" / "primary").glob("school-*"))
    finally:
        archive.catalog.engine.dispose()
    refused = run_cli("archive", "year", str(SMALL), config=made, user="mallory")
    assert refused.returncode == 1 and "refused" in refused.stderr, refused.stderr
    assert "passphrase" not in refused.stderr.split("warning")[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "not a database URL"),
        ("postgresql+psycopg://u:s3cret@127.0.0.1:notaport/db", "not a database URL"),
        ("sqlite://", "an SQLite catalog is a file"),
        ("sqlite:////no-such-directory/x.sqlite", "no directory"),
        ("postgresql+psycopg://u:s3cret@127.0.0.1:1/db", "cannot be opened"),
    ],
)
def test_init_refuses_a_catalog_it_cannot_make_and_writes_nothing(tmp_path: Path, url: str, says: str) -> None:
    result = run_cli("init", "--dir", str(tmp_path / "archive"), "--catalog", url, user="admin")
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "archive").exists()


def test_init_refuses_a_database_that_is_not_empty(tmp_path: Path, catalog_url: str) -> None:
    engine = create_engine(catalog_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE payroll (id INTEGER)")
    engine.dispose()
    result = run_cli("init", "--dir", str(tmp_path / "archive"), "--catalog", catalog_url, user="admin")
    assert result.returncode == 2, result.stderr
    assert (
        "is not empty" in result.stderr and "payroll" in result.stderr
    ) or "exists; give a new file" in result.stderr
    assert not (tmp_path / "archive").exists()

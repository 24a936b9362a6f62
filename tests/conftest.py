"""Shared fixtures: a small hand-written school, demo schools, and a way to write exports to disk."""

from __future__ import annotations

import copy
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.demo.generator import generate
from tests.sites import copy_archive

DATA = Path(__file__).parent / "data"
_SMALL = json.loads((DATA / "small_school.json").read_text(encoding="utf-8"))


# -- the quick run and --full ---------------------------------------------------------------------------------

QUICK_RUN_LEAVES_OUT = ("slow", "external")
FULL_RUN_LEAVES_OUT = ("explore",)  # new random examples each run: CI must give the same verdict twice


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        default=False,
        help="run every test, also those marked slow or external (the quick default run leaves them out)",
    )


def _named_on_the_command_line(config: pytest.Config) -> list[tuple[Path, str]]:
    """Tests named by node id (`tests/test_x.py::test_y`): these run whatever their markers."""
    named = []
    for arg in config.args:
        if "::" in arg:
            path, _, rest = arg.partition("::")
            named.append(((config.invocation_params.dir / path).resolve(), rest))
    return named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without -m, tests marked explore are deselected, and without --full also those marked slow or external
    (tests named by their id excepted)."""
    if config.getoption("markexpr"):
        return
    leave_out = FULL_RUN_LEAVES_OUT if config.getoption("--full") else QUICK_RUN_LEAVES_OUT + FULL_RUN_LEAVES_OUT
    named = _named_on_the_command_line(config)
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        marked = any(item.get_closest_marker(name) for name in leave_out)
        inside = item.nodeid.split("::", 1)[-1]
        wanted = any(
            item.path.resolve() == path and (inside == rest or inside.startswith((rest + "[", rest + "::")))
            for path, rest in named
        )
        (left_out if marked and not wanted else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("--full"):
        return "full run: every test, also those marked slow or external (not explore: `pytest -m explore`)"
    if config.getoption("markexpr"):
        return f"tests selected by -m {config.getoption('markexpr')!r}"
    return "quick run: tests marked slow or external are left out (`pytest --full` runs everything)"


@pytest.fixture
def small_school() -> dict[str, Any]:
    """A fresh copy of tests/data/small_school.json: one class, four students, two courses."""
    return copy.deepcopy(_SMALL)


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any, str], Path]:
    def write(document: Any, name: str = "export.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def demo_school() -> dict[str, Any]:
    """The 1,000-student demo school (generated once per test run; treat as read-only)."""
    return generate(students=1000, seed=1)


@pytest.fixture(autouse=True)
def internal_error_logs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs of internal errors (exit 3) go to the test's own state directory, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.getbasetemp() / "state"))


@pytest.fixture(autouse=True)
def fail_on_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Any warning logged while rendering fails the test (WeasyPrint writes bad PDF/A silently)."""
    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield
    problems = [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING]
    assert not problems, "WeasyPrint warned: " + "; ".join(r.getMessage() for r in problems)


def _postgres_url() -> str | None:
    return os.environ.get("ARCHIVER_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty catalog: SQLite in the test's directory, and PostgreSQL in a schema of its own
    when ARCHIVER_TEST_DATABASE_URL is set (.ci/run sets it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    base = _postgres_url()
    if not base:
        pytest.skip("ARCHIVER_TEST_DATABASE_URL is not set (PostgreSQL catalog tests)")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


SMALL_SCHOOL = DATA / "small_school.json"


@pytest.fixture(scope="session")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`archiver init`, then the users the workflow tests act as: director (with the TEST director's
    certificate), archivist, auditor, and operator, an admin for the tests' own OS account (root) for
    commands run as processes. Made once per run; tests work on a copy (`copy_archive`)."""
    from tests.clirun import run_cli

    directory = tmp_path_factory.mktemp("initialized") / "archive"
    made = run_cli("init", "--dir", str(directory), user="admin")
    assert made.returncode == 0, made.stderr
    config = directory / "archiver.toml"
    pki = directory / "pki"
    users = [("director", "director", "--certificate", str(pki / "director.pem")), ("archivist", "archivist"),
             ("auditor", "auditor"), ("operator", "admin", "--os-user", "root")]  # fmt: skip
    for name, role, *extra in users:
        added = run_cli("users", "add", name, "--role", role, *extra, config=config, user="admin")
        assert added.returncode == 0, added.stderr
    return directory


@pytest.fixture(scope="session")
def archived(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed year-end archive of the small school (two cases, each at v2), made once per run from a copy
    of `initialized`; tests that change it work on a copy."""
    from tests.sites import archive_and_sign

    return archive_and_sign(copy_archive(initialized, tmp_path_factory.mktemp("archived") / "archive"), SMALL_SCHOOL)


@pytest.fixture(scope="session")
def bare_archived(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`archived` with bare (B-B) signatures, for the tests of storage damage, repair and interrupted runs:
    a bare signature is made and validated in a third of the time of a B-LTA one, and those tests are
    about bytes in repositories (timestamps and the DSS are damaged and repaired in tests/test_long_term.py)."""
    from tests.sites import archive_and_sign, bare

    return archive_and_sign(bare(copy_archive(initialized, tmp_path_factory.mktemp("bare") / "archive")), SMALL_SCHOOL)


@pytest.fixture
def archive_copy(archived: Path, tmp_path: Path) -> Path:
    """A copy of the signed small-school archive that a test may damage, rendering in this process."""
    return copy_archive(archived, tmp_path / "archive", workers=1)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts a small tmpfs of the given size (e.g. "8m") under the test's directory, unmounted afterwards;
    skips the test where mounting is not allowed (it needs root)."""
    import subprocess

    mounted: list[Path] = []

    def mount(size: str) -> Path:
        place = tmp_path / f"tmpfs-{len(mounted)}"
        place.mkdir()
        made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(place)], capture_output=True)
        if made.returncode:
            pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.decode().strip()}")
        mounted.append(place)
        return place

    yield mount
    for place in mounted:
        subprocess.run(["umount", "-l", str(place)], check=False)

"""The exit-code contract (DESIGN.md): 0 done, 1 problems found or action refused, 2 bad input or usage,
3 internal error (a bug: one line, the traceback in a log file readable by its owner only). Nothing else."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.cli import cli
from archiver.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS
from tests.clirun import Ran, run_cli
from tests.sites import copy_archive

SMALL = Path(__file__).parent / "data" / "small_school.json"


@pytest.fixture(scope="module")
def archive(initialized: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the initialized archive (it has an auditor); its configuration file."""
    return copy_archive(initialized, tmp_path_factory.mktemp("exit-codes") / "archive") / "archiver.toml"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configuration file in the working directory, and $XDG_STATE_HOME in the test's own directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARCHIVER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "archiver" / "logs"


def _inject(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """A bug inside `archiver validate`: the summary of a valid export raises."""

    def fault(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("archiver.cli.validate.export_summary", fault)


def _one_line_with_log(result: Ran, fault: str = "injected fault") -> Path:
    """The internal error's one line on stderr; the log it names, checked."""
    assert result.returncode == EXIT_INTERNAL, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("archiver: internal error (this is a bug): ")
    assert "Traceback" not in result.stderr
    log = Path(lines[0].split(" — details in ", 1)[1])
    _check_log(log, fault)
    return log


def _check_log(log: Path, fault: str = "injected fault") -> None:
    assert log.is_absolute() and log.is_file(), log
    assert log.name.startswith("archiver-error-") and log.suffix == ".log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and fault in text
    assert "archiver: 0." in text and f"python: {sys.version_info.major}.{sys.version_info.minor}" in text
    assert "command: archiver " in text and "time: " in text


# 0, 1, 2


def test_exit_0_when_done() -> None:
    result = run_cli("validate", str(SMALL))
    assert result.returncode == EXIT_OK, result.stderr
    assert "valid" in result.stdout and result.stderr == ""


def test_exit_1_when_the_action_is_refused(archive: Path) -> None:
    result = run_cli("archive", "year", str(SMALL), config=archive, user="auditor")
    assert result.returncode == EXIT_PROBLEMS, result.stderr
    assert "role 'auditor' may not archive" in result.stderr and "Traceback" not in result.stderr


def test_exit_2_when_the_file_is_missing(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "missing.json"))
    assert result.returncode == EXIT_BAD_INPUT
    assert "missing.json" in result.stderr and "Traceback" not in result.stderr


def test_exit_2_on_an_unknown_option() -> None:
    result = run_cli("--no-such-option", "validate", str(SMALL))
    assert result.returncode == EXIT_BAD_INPUT
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


# 3


def test_exit_3_on_an_internal_error_with_one_line_and_a_log(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, RuntimeError("injected fault"))
    result = run_cli("validate", str(SMALL))
    log = _one_line_with_log(result)
    assert "RuntimeError: injected fault" in result.stderr and result.stdout == ""
    assert log.parent == state
    assert f"command: archiver validate {SMALL}" in log.read_text(encoding="utf-8")


def test_exit_3_with_json(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, RuntimeError("injected fault"))
    result = run_cli("--json", "validate", str(SMALL))
    assert result.returncode == EXIT_INTERNAL, result.stderr
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["error"]["code"] == "internal"
    assert payload["error"]["message"] == "RuntimeError: injected fault"
    log = Path(payload["error"]["log"])
    assert log.parent == state
    _check_log(log)


def test_the_log_goes_beside_the_configuration_file(
    archive: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inject(monkeypatch, RuntimeError("injected fault"))
    log = _one_line_with_log(run_cli("validate", str(SMALL), config=archive))
    assert log.parent == archive.parent / "logs"
    assert not state.exists()


def test_two_faults_in_the_same_second_get_two_logs(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, RuntimeError("injected fault"))
    first = _one_line_with_log(run_cli("validate", str(SMALL)))
    second = _one_line_with_log(run_cli("validate", str(SMALL)))
    assert first != second and first.parent == second.parent == state


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The system temp directory, as the error handling sees it, in the test's own directory."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    yield directory


def test_the_log_falls_back_to_the_temp_directory(
    tmp_path: Path, state: Path, temp_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))  # logs cannot be made under a regular file
    _inject(monkeypatch, RuntimeError("injected fault"))
    log = _one_line_with_log(run_cli("validate", str(SMALL)))
    assert log.parent == temp_dir


def test_exit_3_and_one_line_when_no_log_can_be_written(
    tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))
    _inject(monkeypatch, RuntimeError("injected fault"))
    result = run_cli("validate", str(SMALL))
    assert result.returncode == EXIT_INTERNAL, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "RuntimeError: injected fault" in lines[0]
    assert "no log could be written" in lines[0] and "Traceback" not in result.stderr


def test_memory_error_is_an_internal_error(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, MemoryError())
    result = run_cli("validate", str(SMALL))
    _one_line_with_log(result, fault="MemoryError")
    assert "MemoryError" in result.stderr


def test_a_fault_before_the_runtime_exists(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing the global options fails: no Runtime, no --json from it; the arguments still say --json."""

    def fault(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected fault while parsing")

    monkeypatch.setattr(cli, "parse_args", fault)
    result = run_cli("--json", "validate", str(SMALL))
    assert result.returncode == EXIT_INTERNAL, result.stderr
    payload = json.loads(result.stdout)
    assert payload["error"]["code"] == "internal" and "injected fault while parsing" in payload["error"]["message"]
    log = Path(payload["error"]["log"])
    assert log.parent == state
    _check_log(log, fault="injected fault while parsing")


def test_an_interrupt_is_not_an_internal_error(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, KeyboardInterrupt())
    result = run_cli("validate", str(SMALL))
    assert result.returncode == 130 and "interrupted" in result.stderr, "not 1: that says damage was found"
    assert "internal error" not in result.stderr
    assert not state.exists()


def test_exit_3_in_a_real_process(tmp_path: Path) -> None:
    code = (
        "import archiver.cli.validate as v\n"
        "def fault(*args, **kwargs):\n"
        "    raise RuntimeError('injected fault')\n"
        "v.export_summary = fault\n"
        "from archiver.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_CONFIG"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    result = subprocess.run(
        [sys.executable, "-c", code, "validate", str(SMALL)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    log = _one_line_with_log(Ran(result.returncode, result.stdout, result.stderr))
    assert log.parent == tmp_path / "state" / "archiver" / "logs"

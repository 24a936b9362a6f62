"""Rendering workers die with their parent: a `kill -9` of `archiver` must not leave them running (reparented to
init, ~190 MB each). A real `archiver archive year` is started and killed (SIGKILL, the parent alone) once it has
forked its workers; every worker, and anything a worker started, must be gone within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import run_cli

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

ARCHIVER = [sys.executable, "-c", "from archiver.cli import main; main()"]
WORKERS = 2
Process = tuple[int, int]  # pid and start time (clock ticks since boot): a pid can be reused


def _run(*args: str) -> None:
    """The set-up, in this process (only the run that is killed needs one of its own)."""
    result = run_cli(*args)
    assert result.returncode == 0, f"archiver {' '.join(args)}: {result.stderr}"


def _stat(pid: int) -> tuple[str, int, int] | None:
    """State, parent pid and start time of a process, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name, in parentheses, may hold anything
    return fields[0], int(fields[1]), int(fields[19])


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def _descendants(root: int) -> set[Process]:
    """Every living process under `root` (children, their children, ...), with its start time."""
    parents: dict[int, list[Process]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None and stat[0] not in "ZX":
            parents.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found: set[Process] = set()
    todo = [root]
    while todo:
        for process in parents.get(todo.pop(), []):
            if process not in found:
                found.add(process)
                todo.append(process[0])
    return found


def _workers(parent: int, command_line: bytes) -> set[Process]:
    """The parent's pool workers: forked, not exec'd, so they have its command line."""
    return {p for p in _descendants(parent) if _command_line(p[0]) == command_line}


def _alive(process: Process) -> bool:
    """Still running: a zombie, or another process that got the pid, counts as gone."""
    stat = _stat(process[0])
    return stat is not None and stat[0] not in "ZX" and stat[2] == process[1]


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh archive rendering with two workers, and a 300-student export."""
    export = tmp_path / "export.json"
    _run("demo-data", "--students", "300", "-o", str(export))
    directory = tmp_path / "archive"
    _run("init", "--dir", str(directory))  # the OS account running the tests becomes its admin
    config = directory / "archiver.toml"
    text = config.read_text(encoding="utf-8")
    assert "\nworkers = 0\n" in text
    config.write_text(text.replace("\nworkers = 0\n", f"\nworkers = {WORKERS}\n"), encoding="utf-8")
    return config, export


@pytest.fixture
def recorded() -> Iterator[set[Process]]:
    """The processes a test records; whichever still run at its end are killed, so none is ever leaked."""
    processes: set[Process] = set()
    yield processes
    for process in processes:
        if _alive(process):
            os.kill(process[0], signal.SIGKILL)


def test_workers_exit_when_the_parent_is_killed(
    archive: tuple[Path, Path], recorded: set[Process], tmp_path: Path
) -> None:
    config, export = archive
    command = [*ARCHIVER, "--config", str(config), "archive", "year", str(export)]
    with (tmp_path / "stdout").open("wb") as out, (tmp_path / "stderr").open("wb") as err:
        parent = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
    command_line = b"".join(os.fsencode(arg) + b"\0" for arg in command)
    try:
        deadline = time.monotonic() + 60
        workers: set[Process] = set()
        while len(workers) < WORKERS and parent.poll() is None:
            assert time.monotonic() < deadline, f"archiver did not fork its {WORKERS} workers within 60 s"
            seen = _workers(parent.pid, command_line)
            time.sleep(0.5)
            workers = seen & _workers(parent.pid, command_line)  # not a fork about to exec (find_library's gcc)
        assert parent.poll() is None, f"archiver ended before it was killed: {(tmp_path / 'stderr').read_text()}"
    finally:
        recorded |= _workers(parent.pid, command_line)
        for worker in list(recorded):
            recorded |= _descendants(worker[0])
        parent.kill()  # SIGKILL to the parent alone, not to its process group
        parent.wait(timeout=30)
    assert parent.returncode == -signal.SIGKILL
    assert len(recorded) >= WORKERS
    deadline = time.monotonic() + 10
    while (left := {p for p in recorded if _alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"{len(left)} of {len(recorded)} worker processes outlived their killed parent: {sorted(left)}"

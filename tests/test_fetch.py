"""`archiver fetch` against a platform's API replayed on loopback (tests.replay): the fetched directory
imports to the same export as the recorded one; passing failures are retried, lasting ones stop the fetch
with nothing written; the rate limit holds; the token is never written or shown."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.fetching.http import Client, FetchError
from tests.clirun import run_cli
from tests.recorded import Expected
from tests.replay import Replay
from tests.test_platforms import recorded as recorded  # the fixture

TOKEN = "s3cret-T0KEN-f0r-the-t3st"
HEADERS = {"dnevnik": "Access-Token", "mesh": "Authorization"}


def _token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n", encoding="utf-8")
    return path


def _replay(platform: str, source: Path) -> Replay:
    expected = TOKEN if platform == "dnevnik" else f"Bearer {TOKEN}"
    return Replay(platform, source, HEADERS[platform], expected)


def _fetch_args(platform: str, source: Path, url: str, output: Path, token: Path) -> list[str]:
    if platform == "dnevnik":
        group = next(g.name for g in (source / "groups").iterdir()
                     if json.loads((g / "edu-group.json").read_text("utf-8"))["type"] == "Group")  # fmt: skip
        return ["fetch", "--from", "dnevnik", "--group", group, "--year", "2025/2026", "-o", str(output),
                "--token-file", str(token), "--base-url", f"{url}/v2", "--rate", "100"]  # fmt: skip
    unit = next((source / "classes").iterdir()).name
    return ["fetch", "--from", "mesh", "--group", unit, "--year", "2025/2026", "-o", str(output), "--token-file",
            str(token), "--base-url", url, "--profile-id", "77", "--academic-year-id", "13", "--school-id", "500001",
            "--rate", "100"]  # fmt: skip


def _canonical(document: dict[str, Any]) -> dict[str, Any]:
    """An export with each course's records in a stable order (a fetch reads them month by month), the order
    of a student's marks on one lesson kept; without the source's time of export."""
    for klass in document["classes"]:
        for course in klass["courses"]:
            for key in ("marks", "absences"):
                course[key].sort(key=lambda r: (r["student"], r["lesson"]))
    document["source"].pop("exported_at", None)
    return document


def _import(source: Path, platform: str, tmp_path: Path, name: str) -> dict[str, Any]:
    output = tmp_path / f"{name}.json"
    ran = run_cli("import", "--from", platform, str(source), "-o", str(output))
    assert ran.returncode == 0, ran.stderr
    return _canonical(json.loads(output.read_text(encoding="utf-8")))


@pytest.mark.parametrize("platform", ["dnevnik", "mesh"])
def test_fetched_year_imports_as_the_recorded_one_despite_passing_failures(
    recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path, platform: str
) -> None:
    source, _ = recorded(platform)
    (source / "card.json").rename(tmp_path / "card.json")  # the school's card is not the platform's
    try:
        replay = _replay(platform, source)
        replay.faults = {r"marks": [503, 429, 502]}  # three passing failures: retried (4 attempts each)
        output = tmp_path / "fetched"
        with replay.serving():
            ran = run_cli("--json", *_fetch_args(platform, source, replay.url, output, _token_file(tmp_path)))
    finally:
        (tmp_path / "card.json").rename(source / "card.json")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads(ran.stdout)
    assert result["requests"] == len(replay.requests) and result["files"] > 40
    assert [p for p in output.parent.iterdir() if p.name.startswith(".")] == []  # no work directory left
    for path in output.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in ran.stdout + ran.stderr
    (output / "card.json").write_bytes((source / "card.json").read_bytes())
    assert _import(output, platform, tmp_path, "fetched") == _import(source, platform, tmp_path, "recorded")


@pytest.mark.parametrize(
    ("faults", "token", "message"),
    [
        ({r"persons": [0]}, TOKEN, "HTTP 503 Service Unavailable, 4 times; nothing was written"),
        ({}, "an-expired-token", "HTTP 401: the platform refused the token"),
    ],
    ids=["always down", "refused token"],
)
def test_a_failed_fetch_writes_nothing_and_never_shows_the_token(
    recorded: Callable[[str], tuple[Path, Expected]], tmp_path: Path, faults: dict[str, list[int]], token: str,
    message: str,
) -> None:  # fmt: skip
    source, _ = recorded("dnevnik")
    replay = _replay("dnevnik", source)
    replay.faults = faults
    token_file = tmp_path / "token"
    token_file.write_text(token, encoding="utf-8")
    output = tmp_path / "fetched"
    with replay.serving():
        args = _fetch_args("dnevnik", source, replay.url, output, token_file)
        ran = run_cli(*args)
    assert ran.returncode == 1, ran.stderr
    assert message in ran.stderr and token not in ran.stderr + ran.stdout
    assert "Traceback" not in ran.stderr
    assert list(tmp_path.iterdir()) == [token_file]  # neither the output nor a work directory
    if faults:
        assert sum(1 for _, path in replay.requests if "/persons" in path) == 4  # bounded: 4 attempts, then stop


def test_the_rate_limit_spaces_requests(recorded: Callable[[str], tuple[Path, Expected]]) -> None:
    source, _ = recorded("dnevnik")
    replay = _replay("dnevnik", source)
    with replay.serving():
        client = Client(f"{replay.url}/v2", {"Access-Token": TOKEN}, rate=20)
        for _ in range(8):
            assert client.get("users/me/context") is not None
        with pytest.raises(FetchError, match="HTTP 404"):
            client.get("no/such/route")
    times = [t for t, _ in replay.requests]
    # 20 a second: 9 requests take at least 8 × 50 ms (measured where they arrive, so one may come late
    # and the next on time: the span is the guarantee, each gap only roughly)
    assert times[-1] - times[0] >= 8 * 0.05 * 0.95, times
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.02


def test_the_token_comes_from_a_file_or_the_environment_only(tmp_path: Path) -> None:
    ran = run_cli("fetch", "--from", "dnevnik", "--group", "1", "--year", "2025/2026", "-o", str(tmp_path / "x"),
                  "--token", TOKEN)  # fmt: skip
    assert ran.returncode == 2 and "No such option '--token'" in ran.stderr
    ran = run_cli("fetch", "--from", "dnevnik", "--group", "1", "--year", "2025/2026", "-o", str(tmp_path / "x"))
    assert ran.returncode == 2 and "no token: give --token-file FILE, or set ARCHIVER_DNEVNIK_TOKEN" in ran.stderr
    assert not (tmp_path / "x").exists()

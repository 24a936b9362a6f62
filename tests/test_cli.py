"""The command line as a user meets it: exit codes, messages that name the place, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from archiver.cli import cli
from tests.clirun import Ran, run_cli

SMALL = Path(__file__).parent / "data" / "small_school.json"
Cli = Callable[..., Ran]


def archiver(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a new process, as a user would (a few smoke tests: every other
    test runs the same command line in this process, see `archiver_cli`)."""
    return subprocess.run(
        [sys.executable, "-c", "from archiver.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.fixture
def archiver_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The command line in this process, in a working directory (the test's own unless `cwd`) and with
    environment variables (`env`) as a new process would get them; no $ARCHIVER_CONFIG unless given."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
        with monkeypatch.context() as scoped:
            scoped.chdir(cwd or tmp_path)
            scoped.delenv("ARCHIVER_CONFIG", raising=False)
            for name, value in (env or {}).items():
                scoped.setenv(name, value)
            return run_cli(*args)

    return run


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    context = click.Context(group)
    for name in group.list_commands(context):  # the lazy group imports each command as it is asked for
        command = group.get_command(context, name)
        assert command is not None, name
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix}{name} "))
    return out


def test_every_command_has_help_text() -> None:
    main_module_commands = _commands(cli)
    assert {"validate", "demo-data"} <= {name for name, _ in main_module_commands}
    for name, command in main_module_commands:
        assert command.help and len(command.help) > 20, f"`archiver {name}` has no help text"
        result = CliRunner().invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_validate_valid_file(tmp_path: Path, archiver_cli: Cli) -> None:
    result = archiver_cli("validate", str(SMALL))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "1 classes" in result.stdout


def test_validate_json_output_lists_every_problem(
    tmp_path: Path, small_school: dict[str, Any], write_json: Callable[..., Path], archiver_cli: Cli
) -> None:
    small_school["classes"][0]["courses"][0]["marks"][3]["student"] = "s-991"
    small_school["classes"][0]["courses"][0]["marks"][4]["lesson"] = "l-e1"
    path = write_json(small_school)
    result = archiver_cli("--json", "validate", str(path))
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["error"]["code"] == "invalid-export"
    assert payload["error"]["problems"] == [
        {"path": "classes[0].courses[0].marks[3].student", "message": "unknown student 's-991'"},
        {"path": "classes[0].courses[0].marks[4].lesson", "message": payload["error"]["problems"][1]["message"]},
    ]
    assert "belongs to another course" in payload["error"]["problems"][1]["message"]


def test_validate_json_output_when_valid(archiver_cli: Cli) -> None:
    result = archiver_cli("--json", "validate", str(SMALL))
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert payload["valid"] is True and payload["summary"]["students"] == 4 and payload["summary"]["marks"] == 7


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Every kind of bad input the issue names, with a fragment the message must contain."""
    text = SMALL.read_text(encoding="utf-8")
    files: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes | str, expect: str) -> None:
        path = tmp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        files[name] = (path, expect)

    files["missing"] = (tmp / "nope.json", "nope.json: no such file")
    (tmp / "a-directory").mkdir()
    files["directory"] = (tmp / "a-directory", "is a directory")
    put("junk.bin", bytes(range(256)) * 40, "not UTF-8 text (byte 0x80 at offset 128")
    put("truncated.json", text[: len(text) // 2], "(is the file truncated?)")
    put("truncated-at-end.json", text.rstrip()[:-1], "ends unexpectedly")
    put("empty.json", b"", "the file is empty")
    put("deep.json", "[" * 200_000 + "]" * 200_000, "nested too deeply")
    put("wrong-types.json", '{"schema_version": 1, "school": [], "classes": {}}', "schema_version: expected a string")
    put("not-an-object.json", '"just a string"', "must be a JSON object")
    put("duplicate-key.json", '{"school": {"name": "a", "name": "b"}}', "school.name: this key appears more than once")
    put("nan.json", '{"schema_version": NaN}', "schema_version: NaN is not a JSON number")
    put("garbage.json", '{"school": tru}', "not valid JSON at line 1, column 12")
    doc = json.loads(text)
    doc["classes"][0]["students"][0]["last_name"] = "Андреев\nDROP TABLE"
    put(
        "newline-name.json",
        json.dumps(doc, ensure_ascii=False),
        "classes[0].students[0].last_name: 'Андреев\\u000aDROP",
    )
    doc = json.loads(text)
    doc["classes"][0]["students"][1]["first_name"] = "Мар\x07ия\x1b[2J"
    put("control-name.json", json.dumps(doc), "contains a control character (U+0007) at position 3")
    doc = json.loads(text)
    doc["classes"][0]["students"][2]["id"] = "../../etc/passwd"
    put("path-id.json", json.dumps(doc), "classes[0].students[2].id: '../../etc/passwd' must be an identifier")
    huge = tmp / "huge.json"
    with huge.open("wb") as handle:  # a sparse 1 GB file: costs no disk
        handle.truncate(1 << 30)
    files["1 GB"] = (huge, "the file is 1.0 GB, over the limit of 200.0 MB")
    return files


def test_every_kind_of_bad_input_is_a_clear_error(tmp_path: Path, archiver_cli: Cli) -> None:
    for name, (path, expect) in _bad_files(tmp_path).items():
        result = archiver_cli("validate", str(path))
        assert result.returncode == 2, f"{name}: exit {result.returncode}\n{result.stderr}"
        assert "Traceback" not in result.stderr + result.stdout, f"{name}: {result.stderr}"
        assert expect in result.stderr, f"{name}: expected {expect!r} in\n{result.stderr}"
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr, name


def test_bad_input_with_json_output_is_still_json(tmp_path: Path) -> None:
    for name, (path, _) in _bad_files(tmp_path).items():
        result = run_cli("--json", "validate", str(path))
        assert result.returncode == 2, name
        payload = json.loads(result.stdout)
        assert payload["ok"] is False and payload["error"]["message"], name


def test_the_entry_point_in_a_real_process(tmp_path: Path) -> None:
    """`main()` as the console script calls it, in a process of its own: exit codes as a shell sees them, and a
    console's stderr that gets no control character (every other test runs the command line in this process)."""
    valid = archiver("validate", str(SMALL), cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert "valid" in valid.stdout and "1 classes" in valid.stdout and valid.stderr == ""
    path, expect = _bad_files(tmp_path)["control-name.json"]
    bad = archiver("validate", str(path), cwd=tmp_path)
    assert bad.returncode == 2, bad.stderr
    assert expect in bad.stderr and "Traceback" not in bad.stderr + bad.stdout, bad.stderr
    assert "\x1b" not in bad.stderr and "\x07" not in bad.stderr


def test_html_in_names_is_valid_data(
    tmp_path: Path, small_school: dict[str, Any], write_json: Callable[..., Path], archiver_cli: Cli
) -> None:
    small_school["classes"][0]["students"][0]["last_name"] = '<img src="http://127.0.0.1:9/x">'
    small_school["classes"][0]["students"][1]["last_name"] = '<link rel="attachment" href="file:///etc/passwd">'
    result = archiver_cli("validate", str(write_json(small_school)))
    assert result.returncode == 0, result.stderr


def test_size_limit_comes_from_the_configuration(tmp_path: Path, archiver_cli: Cli) -> None:
    (tmp_path / "archiver.toml").write_text("[input]\nmax_export_mb = 1\n", encoding="utf-8")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (2 << 20))
    result = archiver_cli("validate", str(big), cwd=tmp_path)
    assert result.returncode == 2 and "over the limit of 1.0 MB" in result.stderr


@pytest.mark.parametrize(
    ("config", "expect"),
    [
        ("[input]\nmax_export_mb = 'lots'\n", "[input] max_export_mb must be int, not str"),
        ("[inptu]\n", "unknown section [inptu]"),
        ("[input]\nmax_size = 3\n", "unknown key 'max_size'"),
        ("[input\n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_a_clear_error(tmp_path: Path, config: str, expect: str, archiver_cli: Cli) -> None:
    path = tmp_path / "custom.toml"
    path.write_text(config, encoding="utf-8")
    result = archiver_cli("--config", str(path), "validate", str(SMALL))
    assert result.returncode == 2 and expect in result.stderr and "Traceback" not in result.stderr


def test_named_configuration_must_exist(tmp_path: Path, archiver_cli: Cli) -> None:
    result = archiver_cli("--config", str(tmp_path / "absent.toml"), "validate", str(SMALL))
    assert result.returncode == 2 and "no such configuration file" in result.stderr
    result = archiver_cli("validate", str(SMALL), env={"ARCHIVER_CONFIG": str(tmp_path / "absent.toml")})
    assert result.returncode == 2 and "no such configuration file" in result.stderr


def test_usage_errors_exit_2(archiver_cli: Cli) -> None:
    assert archiver_cli("validate").returncode == 2
    assert archiver_cli("demo-data", "--students", "0", "-o", "x.json").returncode == 2
    assert archiver_cli("no-such-command").returncode == 2


def test_demo_data_writes_a_valid_file_and_refuses_to_overwrite(tmp_path: Path, archiver_cli: Cli) -> None:
    out = tmp_path / "school.json"
    result = archiver_cli("--json", "demo-data", "--students", "60", "--seed", "7", "-o", str(out))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["students"] == 60 and payload["classes"] == 2 and out.stat().st_size == payload["bytes"]
    assert archiver_cli("validate", str(out)).returncode == 0
    before = out.read_bytes()
    again = archiver_cli("demo-data", "--students", "30", "-o", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert out.read_bytes() == before
    assert archiver_cli("demo-data", "--students", "30", "-o", str(out), "--force").returncode == 0
    assert out.read_bytes() != before
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_demo_data_output_errors(tmp_path: Path, archiver_cli: Cli) -> None:
    result = archiver_cli("demo-data", "-o", str(tmp_path))
    assert result.returncode == 2 and "is a directory" in result.stderr
    result = archiver_cli("demo-data", "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.returncode == 2 and "no such directory" in result.stderr


def test_render_a_class_volume_with_json_output(tmp_path: Path, archiver_cli: Cli) -> None:
    out = tmp_path / "5a.pdf"
    result = archiver_cli("--json", "render", str(SMALL), "--class", "5а", "--pdfa", "1b", "-o", str(out))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["sheets"] == 6 and payload["pdfa"] == "1b" and payload["title_sheets"] == 1
    assert [p["first_sheet"] for p in payload["parts"]] == [2, 4, 6]
    assert out.read_bytes().startswith(b"%PDF-1.4")
    assert not list(tmp_path.glob(".*.tmp"))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask, "written with the usual permissions"


def test_render_period_and_summary(tmp_path: Path, archiver_cli: Cli) -> None:
    quarter = archiver_cli("render", str(SMALL), "--class", "5А", "--period", "q2", "-o", str(tmp_path / "q2.pdf"))
    assert quarter.returncode == 0, quarter.stderr
    assert "Классный журнал 5А класса, II четверть, 2025/2026 учебный год" in quarter.stdout, quarter.stdout
    summary = archiver_cli("render", str(SMALL), "--class", "5а", "--summary", "-o", str(tmp_path / "summary.pdf"))
    assert summary.returncode == 0, summary.stderr
    assert "Сводная ведомость итоговых оценок 5А класса, 2025/2026 учебный год" in summary.stdout


def test_render_pdfa_part_comes_from_the_configuration(tmp_path: Path, archiver_cli: Cli) -> None:
    (tmp_path / "archiver.toml").write_text('[render]\npdfa = "1b"\nworkers = 1\n', encoding="utf-8")
    result = archiver_cli("--json", "render", str(SMALL), "--class", "5А", "-o", "v.pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pdfa"] == "1b"
    (tmp_path / "archiver.toml").write_text('[render]\npdfa = "2u"\n', encoding="utf-8")
    bad = archiver_cli("render", str(SMALL), "--class", "5А", "-o", "v.pdf", cwd=tmp_path)
    assert bad.returncode == 2 and "pdfa must be one of 1b, 3b" in bad.stderr


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--class", "9Я"], "no class '9Я' in the export (classes: 5А)"),
        (["--class", "5А", "--period", "q9"], "no period 'q9' in the export (periods: year, q1, q2, q3, q4)"),
        (["--class", "9Я", "--summary"], "no class '9Я' in the export (classes: 5А)"),
        (["--class", "5А", "--period", "q2", "--summary"], "give --period only without --summary"),
        (["--summary"], "give --class CLASS (with --summary for its summary sheet of final grades)"),
        ([], "give --class CLASS"),
    ],
)
def test_render_refuses_what_is_not_there(tmp_path: Path, args: list[str], expect: str, archiver_cli: Cli) -> None:
    result = archiver_cli("render", str(SMALL), *args, "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2 and expect in result.stderr, result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_render_of_an_invalid_export_writes_nothing(
    tmp_path: Path, small_school: dict[str, Any], write_json: Callable[..., Path], archiver_cli: Cli
) -> None:
    small_school["classes"][0]["courses"][0]["marks"][0]["student"] = "s-991"
    out = tmp_path / "never.pdf"
    result = archiver_cli("render", str(write_json(small_school)), "--class", "5А", "-o", str(out))
    assert result.returncode == 2 and "unknown student 's-991'" in result.stderr
    assert not out.exists()

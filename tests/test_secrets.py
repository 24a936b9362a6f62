"""Where a signing key's passphrase comes from, in order: file, environment, prompt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from archiver.archive.keys import ENV_VARIABLE, read_passphrase
from archiver.errors import BadInputError


def _answering(asked: list[str], answer: str) -> Callable[[str], str]:
    """A prompt that notes each question and gives `answer`."""

    def prompt(question: str) -> str:
        asked.append(question)
        return answer

    return prompt


def test_file_comes_first_and_only_its_first_line_counts(tmp_path: Path) -> None:
    path = tmp_path / "pass.txt"
    path.write_bytes(b"s3cret pass\r\nignored\n")
    asked: list[str] = []
    got = read_passphrase(path, environ={ENV_VARIABLE: "from-env"}, prompt=_answering(asked, "x"))
    assert got == b"s3cret pass" and asked == []


def test_environment_then_prompt() -> None:
    assert read_passphrase(None, environ={ENV_VARIABLE: "пароль"}) == "пароль".encode()
    asked: list[str] = []
    got = read_passphrase(None, environ={}, prompt=_answering(asked, "typed"), what="director.p12")
    assert got == b"typed" and asked == ["Passphrase for director.p12: "]


def test_nothing_to_ask_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="--passphrase-file FILE or set ARCHIVER_KEY_PASSPHRASE"):
        read_passphrase(None, environ={})
    with pytest.raises(BadInputError, match="no such passphrase file"):
        read_passphrase(tmp_path / "absent", environ={})
    (tmp_path / "empty").write_bytes(b"\n")
    with pytest.raises(BadInputError, match="empty"):
        read_passphrase(tmp_path / "empty", environ={})
    with pytest.raises(BadInputError, match="not a regular file"):
        read_passphrase(tmp_path, environ={})

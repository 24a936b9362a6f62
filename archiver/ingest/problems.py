"""A problem found in input data, placed by its JSON path, and safe display of untrusted values."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PathPart = str | int

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What `show` writes as an escape, by Unicode category: control characters, lone surrogates, line and
# paragraph separators, and the invisible format characters (bidirectional overrides and isolates, zero-width
# and directional marks, soft hyphen, byte order mark, tags) that would hide or reorder the text around them
# on a terminal or in a log.
_UNSHOWABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where (a JSON path such as `classes[3].marks[17].student`) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def json_path(parts: Iterable[PathPart]) -> str:
    """Format path parts as `classes[3].courses[1].marks[17].student`; odd keys are quoted."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{show(part)}]")
    return "".join(out)


def show(value: object, limit: int = 60) -> str:
    """A short, single-line, terminal-safe rendering of an untrusted value for an error message."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        escaped = text.replace("\\", "\\\\")
        if not escaped.isprintable():
            escaped = "".join(_escape(c) if unicodedata.category(c) in _UNSHOWABLE else c for c in escaped)
        return "'" + escaped.replace("'", "\\'") + "'"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "…"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def first_control_character(text: str) -> tuple[int, str] | None:
    """Position and U+ code of the first control character in text, if any."""
    match = _CONTROL.search(text)
    if match is None:
        return None
    return match.start(), f"U+{ord(match.group()):04X}"


def document_position(document: Any, parts: Sequence[PathPart]) -> tuple[int, ...]:
    """Where a path points in document order: the index of each key in its object, or of each item."""
    position: list[int] = []
    node = document
    for part in parts:
        if isinstance(node, dict):
            keys = list(node)
            position.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            position.append(part)
            node = node[part] if part < len(node) else None
        else:
            position.append(0)
            node = None
    return tuple(position)

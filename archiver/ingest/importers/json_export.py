"""The first import adapter: the archive's own JSON export format (schemas/journal-export.schema.json).

The file is untrusted: it may be missing, a directory, a device, binary junk, truncated, huge, nested a
thousand levels deep, carry duplicate keys that a plain `json.load` would silently collapse, lone
surrogates (`\\ud800`) that no later step can encode, or an integer too long for Python to convert. Each of
these is a `BadInputError` naming the file and the place.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archiver.errors import BadInputError, InvalidExportError
from archiver.files import unreadable
from archiver.ingest.importers.base import InputLimits
from archiver.ingest.problems import PathPart, Problem, show
from archiver.ingest.validation.text import long_integer_message, safe_path, unusable_values


class JsonExportImporter:
    """Reads an export written in the archive's own JSON format."""

    name = "json"
    description = "the archive's JSON export format (schemas/journal-export.schema.json)"

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]:
        data = read_bytes(path, limits)
        document = parse_json(data, str(path))
        if not isinstance(document, dict):
            raise InvalidExportError(
                str(path), [Problem("", f"the export must be a JSON object, not {show(document)}")]
            )
        return document


def read_bytes(path: Path, limits: InputLimits) -> bytes:
    """The file's bytes, after checking that it is a regular file within the size limit."""
    try:
        info = path.stat()
    except OSError as exc:
        raise BadInputError(unreadable(path, exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise BadInputError(f"{path}: is a directory, not an export file")
    if not stat.S_ISREG(info.st_mode):
        raise BadInputError(f"{path}: not a regular file")
    if info.st_size > limits.max_export_bytes:
        raise BadInputError(
            f"{path}: the file is {_size(info.st_size)}, over the limit of {_size(limits.max_export_bytes)} "
            "for one export (raise [input] max_export_mb in the configuration if it is genuine)"
        )
    if info.st_size == 0:
        raise BadInputError(f"{path}: the file is empty")
    try:
        with path.open("rb") as handle:
            # Read at most one byte past the limit: the file may grow after the stat.
            data = handle.read(limits.max_export_bytes + 1)
    except OSError as exc:
        raise BadInputError(unreadable(path, exc)) from None
    if len(data) > limits.max_export_bytes:
        raise BadInputError(f"{path}: the file grew past the limit of {_size(limits.max_export_bytes)} while read")
    return data


# A JSON escape of a UTF-16 surrogate: only such a string can hold a lone surrogate once parsed (strict
# UTF-8 decoding rejects an encoded one). A valid pair matches too; the walk then finds nothing.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


# The start of a literal or a number that the end of the file cut short: «tr», «nu», «-1.2e».
_CUT_TOKEN = re.compile(r"-?[0-9][0-9.eE+-]*|-|t(r(ue?)?)?|f(a(l(se?)?)?)?|n(u(ll?)?)?")


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers the keys it had more than once."""

    duplicates: tuple[str, ...] = ()


class _Constant:
    """Stands in for NaN or Infinity, which JSON does not have, until its place is reported."""

    def __init__(self, name: str) -> None:
        self.name = name


class _HugeNumber:
    """Stands in for a number too large for a float (1e400, which Python would read as infinity)."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


class _LongInteger:
    """Stands in for an integer literal with more digits than Python converts, until its place is reported."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _integer(literal: str) -> int | _LongInteger:
    try:
        return int(literal)
    except ValueError:  # over sys.get_int_max_str_digits(); the scanner has checked the syntax
        return _LongInteger(len(literal.lstrip("-")))


def parse_json(data: bytes, source: str) -> Any:
    """Parse UTF-8 JSON strictly: no NaN or Infinity, no duplicate keys, no lone surrogates, no integers too
    long to convert, bounded nesting."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInputError(
            f"{source}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}); "
            "an export must be a UTF-8 JSON file"
        ) from None
    oddities = False

    def make_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal oddities
        obj = _Object(pairs)
        if len(obj) != len(pairs):
            counts: dict[str, int] = {}
            for key, _ in pairs:
                counts[key] = counts.get(key, 0) + 1
            obj.duplicates = tuple(key for key, count in counts.items() if count > 1)
            oddities = True
        return obj

    def make_float(literal: str) -> float | _HugeNumber:
        nonlocal oddities
        value = float(literal)
        if math.isinf(value):
            oddities = True
            return _HugeNumber(literal)
        return value

    def make_constant(name: str) -> _Constant:
        nonlocal oddities
        oddities = True
        return _Constant(name)

    def load(parse_int: Callable[[str], Any] | None = None) -> Any:
        return json.loads(text, object_pairs_hook=make_object, parse_constant=make_constant, parse_int=parse_int,
                          parse_float=make_float)  # fmt: skip

    try:
        try:
            document = load()
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError):
                raise
            # An integer literal over Python's digit limit; parse again (only now, as the hook costs time on
            # every integer), keeping each such literal in its place to report it.
            document = load(_integer)
            oddities = True
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        rest = text[exc.pos :].rstrip()
        if not rest or _CUT_TOKEN.fullmatch(rest):  # the file ends inside its last token
            raise BadInputError(f"{source}: the JSON ends unexpectedly at {where} (is the file truncated?)") from None
        if exc.msg.startswith("Unterminated string"):
            raise BadInputError(
                f"{source}: a string that starts at {where} never ends (is the file truncated?)"
            ) from None
        raise BadInputError(f"{source}: not valid JSON at {where}: {exc.msg}") from None
    except RecursionError:
        raise BadInputError(f"{source}: the JSON is nested too deeply to be a journal export") from None
    if oddities or _SURROGATE_ESCAPE.search(text):
        problems = _oddities(document)
        if problems:
            raise InvalidExportError(source, problems)
    return document


def _oddities(document: Any) -> list[Problem]:
    """Every repeated key, NaN or Infinity, lone surrogate and overlong integer, with its place; iterative, so
    depth is no danger."""
    found = unusable_values(document)
    stack: list[tuple[list[PathPart], Any]] = [([], document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _Constant):
            found.append((path, f"{value.name} is not a JSON number"))
        elif isinstance(value, _HugeNumber):
            found.append((path, f"{value.literal[:40]} is too large a number"))
        elif isinstance(value, _LongInteger):
            found.append((path, long_integer_message(value.digits)))
        elif isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                found.append((path + [key], "this key appears more than once in its object"))
            stack.extend((path + [key], child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((path + [index], child) for index, child in enumerate(value))
    return sorted(Problem(safe_path(path), message) for path, message in found)


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"

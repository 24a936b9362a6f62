"""Saved platform responses: a directory of files read as untrusted input, each value fetched with its place.

A platform importer (Дневник.ру, «Сетевой город», МЭШ) reads only files: the responses `archiver fetch`
saved, or report pages a school saved from the platform's web pages. Every file goes through the same
guards as an export (`json_export.read_bytes` and `parse_json`: size, encoding, duplicate keys, depth), and
the directory as a whole stays within the export size limit. A value of the wrong shape is a `BadInputError`
naming the file and the JSON path inside it, e.g.
`saved/groups/101/marks/2025-09.json: [17].person: expected an id (a number or a string), got null`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from archiver.errors import BadInputError
from archiver.files import unreadable
from archiver.ingest.importers.json_export import parse_json, read_bytes
from archiver.ingest.limits import InputLimits
from archiver.ingest.problems import PathPart, json_path, show

# A platform's saved responses repeat what an export says once (a diary per student, a page per route):
# the directory may hold this many times the export size limit.
DIRECTORY_FACTOR = 8
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ISO_DAY = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_RU_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?: [0-9:]+)?")


class At:
    """A place in a saved file: the file and a JSON path inside it. Made for every record read, so it is
    kept small (a slotted class, not a dataclass: a 1,000-student school's import makes millions)."""

    __slots__ = ("file", "path")

    def __init__(self, file: str, path: tuple[PathPart, ...] = ()) -> None:
        self.file = file
        self.path = path

    def __truediv__(self, part: PathPart) -> At:
        child = At.__new__(At)
        child.file = self.file
        child.path = (*self.path, part)
        return child

    def __eq__(self, other: object) -> bool:
        return isinstance(other, At) and (self.file, self.path) == (other.file, other.path)

    def __hash__(self) -> int:
        return hash((self.file, self.path))

    def __str__(self) -> str:
        return f"{self.file}: {json_path(self.path)}" if self.path else self.file

    def cell(self, row: int, column: int | None = None) -> At:
        """A place in a saved page's table: «row 14, column 6» (counted from 1, header rows included)."""
        where = f"row {row}" if column is None else f"row {row}, column {column}"
        return At(f"{self.file}: {where}")

    def fail(self, problem: str) -> NoReturn:
        raise BadInputError(f"{self}: {problem}")


class Saved:
    """The source directory of one import: JSON responses and HTML pages, read once each."""

    def __init__(self, root: Path, limits: InputLimits, platform: str) -> None:
        try:
            info = root.stat()
        except OSError as exc:
            raise BadInputError(unreadable(root, exc)) from None
        if not stat.S_ISDIR(info.st_mode):
            raise BadInputError(
                f"{root}: not a directory; a {platform} import reads a directory of saved responses "
                f"(see `archiver import --help`)"
            )
        self.root = root
        self.limits = limits
        self.platform = platform
        self._check_total()

    def _check_total(self) -> None:
        """The directory as a whole within DIRECTORY_FACTOR times the export limit, before anything is read
        (classes are read in parallel processes, so the total is checked here, once)."""
        limit = self.limits.max_export_bytes * DIRECTORY_FACTOR
        total = 0
        for folder, _, names in os.walk(self.root):
            for name in names:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    continue  # gone or unreadable: the read that needs it says so
                if total > limit:
                    raise BadInputError(
                        f"{self.root}: the saved responses are over {limit >> 20} MB ({DIRECTORY_FACTOR} times "
                        "[input] max_export_mb); raise max_export_mb in the configuration if they are genuine"
                    )

    def exists(self, relative: str) -> bool:
        """Whether the file is there (of whatever kind: reading a directory or a device is an error)."""
        return os.path.lexists(self.root / relative)

    def files(self, directory: str, suffix: str) -> list[str]:
        """The files named *suffix in a subdirectory, relative to the root, in name order."""
        folder = self.root / directory
        if not folder.is_dir():
            return []
        try:
            names = sorted(p.name for p in folder.iterdir() if p.name.endswith(suffix) and not p.name.startswith("."))
        except OSError as exc:
            raise BadInputError(unreadable(folder, exc)) from None
        return [f"{directory}/{name}" for name in names]

    def directories(self, directory: str) -> list[str]:
        folder = self.root / directory
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def raw(self, relative: str) -> bytes:
        path = self.root / relative
        if not path.exists():
            raise BadInputError(f"{self.root}: {relative} is missing (a {self.platform} import needs it)")
        return read_bytes(path, self.limits)

    def json(self, relative: str) -> tuple[Any, At]:
        """A saved JSON response and the place of its top."""
        return parse_json(self.raw(relative), f"{self.root}/{relative}"), At(str(self.root / relative))

    def text(self, relative: str, encodings: tuple[str, ...] = ("utf-8-sig", "cp1251")) -> tuple[str, At]:
        """A saved page as text: UTF-8, else the encoding Russian platforms' older pages use."""
        data = self.raw(relative)
        for encoding in encodings:
            try:
                return data.decode(encoding), At(str(self.root / relative))
            except UnicodeDecodeError:
                continue
        raise BadInputError(f"{self.root}/{relative}: not text in {' or '.join(encodings)}")


def obj(value: Any, at: At) -> dict[str, Any]:
    if not isinstance(value, dict):
        at.fail(f"expected an object, got {_kind(value)}")
    return value


def arr(value: Any, at: At) -> list[Any]:
    if not isinstance(value, list):
        at.fail(f"expected an array, got {_kind(value)}")
    return value


def each(value: Any, at: At) -> Iterator[tuple[dict[str, Any], At]]:
    """The objects of an array, each with its place."""
    file, path = at.file, at.path
    for index, item in enumerate(arr(value, at)):
        place = At.__new__(At)  # At(file, path + (index,)) without the call: made for every record read
        place.file, place.path = file, (*path, index)
        if not isinstance(item, dict):
            place.fail(f"expected an object, got {_kind(item)}")
        yield item, place


def has(record: dict[str, Any], key: str, at: At) -> Any:
    """A required field (it may be null)."""
    if key not in record:
        (at / key).fail("missing (a field the importer needs)")
    return record[key]


def text(record: dict[str, Any], key: str, at: At, *, optional: bool = False) -> str | None:
    """A string field, stripped; None when optional and absent, null or blank."""
    value = record.get(key) if optional else has(record, key, at)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        (at / key).fail(f"expected a string, got {_kind(value)}")
    value = " ".join(value.split())
    if not value and optional:
        return None
    if not value:
        (at / key).fail("must not be empty")
    return value


def number(record: dict[str, Any], key: str, at: At, *, optional: bool = False) -> float | None:
    value = record.get(key) if optional else has(record, key, at)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        (at / key).fail(f"expected a number, got {_kind(value)}")
    return float(value)


def integer(record: dict[str, Any], key: str, at: At, *, optional: bool = False) -> int | None:
    value = record.get(key) if optional else has(record, key, at)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        (at / key).fail(f"expected an integer, got {_kind(value)}")
    return value


def flag(record: dict[str, Any], key: str, at: At, default: bool = False) -> bool:
    value = record.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        (at / key).fail(f"expected true or false, got {_kind(value)}")
    return value


def ident(value: Any, at: At, key: PathPart | None = None) -> str:
    """A platform id (a 64-bit number, or its string twin) as the export's string id (`key`: the field of
    `at` it was read from, named only when it is wrong)."""
    if type(value) is int:
        value = str(value)
    if type(value) is not str or not _ID.fullmatch(value):
        (at if key is None else at / key).fail(
            f"expected an id (a number, or a string of Latin letters and digits), got {_kind(value)}"
        )
    return value


def id_field(record: dict[str, Any], key: str, at: At, *, optional: bool = False) -> str | None:
    """An id field, preferring its string twin (`person_str` beside `person`): 64-bit ids stay exact."""
    twin = record.get(f"{key}_str")
    if twin is not None:
        return ident(twin, at, f"{key}_str")
    value = record.get(key) if optional else has(record, key, at)
    if value is None and optional:
        return None
    return ident(value, at, key)


def day(value: Any, at: At) -> date:
    """A calendar date as platforms write it: 2025-09-02, 2025-09-02T00:00:00, 02.09.2025 or [2025, 9, 2]."""
    try:
        if isinstance(value, list) and len(value) == 3 and all(type(v) is int for v in value):
            return date(value[0], value[1], value[2])
        if isinstance(value, str):
            iso = _ISO_DAY.fullmatch(value.strip())
            if iso:
                return date(int(iso[1]), int(iso[2]), int(iso[3]))
            russian = _RU_DAY.fullmatch(value.strip())
            if russian:
                return date(int(russian[3]), int(russian[2]), int(russian[1]))
    except (ValueError, OverflowError):
        at.fail(f"{show(value)} is not a real calendar date")
    at.fail(f"expected a date, got {_kind(value)}")


def day_field(record: dict[str, Any], key: str, at: At, *, optional: bool = False) -> date | None:
    value = record.get(key) if optional else has(record, key, at)
    if value is None and optional:
        return None
    return day(value, at / key)


def moment(value: Any, at: At) -> datetime | None:
    """A local date and time (2025-09-02T09:15:00) as a naive datetime; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return show(value)

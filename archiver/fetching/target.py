"""The directory a fetch writes: made beside its place and renamed into it only when the fetch is complete,
so that an interrupted or failed fetch leaves nothing that an import could take for the whole year."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from types import TracebackType

from archiver.errors import BadInputError
from archiver.fetching.http import FetchError
from archiver.operations.bagging import check_new_directory, work_directory

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def safe_id(value: object, where: str) -> str:
    """A platform id that goes into a file name: digits and Latin letters only (no path can be made of it)."""
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not _SAFE.fullmatch(text):
        raise FetchError(f"{where}: {text[:40]!r} is not an id this fetch can save under (Latin letters, digits)")
    return text


class Target:
    """Files of one fetch, under a private work directory until `finish` puts them at `output`."""

    def __init__(self, output: Path) -> None:
        check_new_directory(output)
        self.output = output
        self.work = work_directory(output, ".fetching")
        self.files = 0
        self.bytes = 0

    def write(self, relative: str, data: bytes) -> None:
        path = self.work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def write_json(self, relative: str, value: object) -> None:
        self.write(relative, json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))

    def finish(self) -> None:
        try:
            if self.output.exists():
                self.output.rmdir()  # empty (check_new_directory): the finished fetch takes its place
            os.rename(self.work, self.output)
        except OSError as exc:
            raise BadInputError(f"{self.output}: cannot be written ({exc.strerror or exc})") from None

    def __enter__(self) -> Target:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.work.exists():
            shutil.rmtree(self.work, ignore_errors=True)

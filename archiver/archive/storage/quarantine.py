"""The quarantine beside a storage root: whatever is taken out of it (a damaged copy replaced by repair,
the leftovers of an interrupted run, junk) is kept here with a note of where it came from and why, until
an admin purges it explicitly. Nothing else ever deletes from it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archiver.archive.storage.checking import walk_files
from archiver.files import printable_text

NOTE = "quarantine.json"
KEPT = "kept"  # what was taken out, beside the note (so no name it had can overwrite the note)


@dataclass(frozen=True)
class Entry:
    repository: str
    path: Path
    subject: str  # the object or root entry it came from
    reason: str
    at: datetime
    size: int

    def as_dict(self) -> dict[str, object]:
        return {"repository": self.repository, "path": str(self.path), "subject": self.subject,
                "reason": self.reason, "at": self.at.isoformat(timespec="seconds"), "bytes": self.size}  # fmt: skip


class Quarantine:
    def __init__(self, directory: Path, clock: Callable[[], datetime]) -> None:
        self.directory = directory
        self.clock = clock

    def new(self, repository: str, subject: str, reason: str) -> Path:
        """A new, empty place for what is set aside (`KEPT` inside it), with its note written first."""
        self.directory.mkdir(parents=True, exist_ok=True)
        now = self.clock()
        shown = printable_text(subject)
        label = "".join(c if c.isascii() and (c.isalnum() or c in "._~-") else "_" for c in shown)[:80]
        place = Path(tempfile.mkdtemp(dir=self.directory, prefix=f"{now:%Y%m%dT%H%M%S}.{label}."))
        note = {"repository": repository, "subject": shown, "reason": printable_text(reason), "at": now.isoformat()}
        with open(place / NOTE, "w", encoding="utf-8") as handle:
            json.dump(note, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        (place / KEPT).mkdir()
        return place / KEPT

    def entries(self, repository: str) -> list[Entry]:
        if not self.directory.is_dir():
            return []
        out: list[Entry] = []
        for place in sorted(self.directory.iterdir()):
            if place.is_symlink() or not place.is_dir():
                continue
            try:
                note = json.loads((place / NOTE).read_text(encoding="utf-8"))
                at = datetime.fromisoformat(note["at"])
                subject, reason = str(note["subject"]), str(note["reason"])
            except (OSError, ValueError, KeyError, TypeError):
                at = datetime.fromtimestamp(place.lstat().st_mtime).astimezone()
                subject, reason = place.name, "(no note)"
            out.append(Entry(repository, place, subject, reason, at, _size(place)))
        return out

    def purge(self, entry: Entry) -> None:
        if entry.path.parent != self.directory:
            raise ValueError(f"{entry.path} is not in the quarantine")
        shutil.rmtree(entry.path)


def _size(place: Path) -> int:
    total = 0
    for path in walk_files(place):
        with contextlib.suppress(OSError):
            total += os.lstat(path).st_size
    return total

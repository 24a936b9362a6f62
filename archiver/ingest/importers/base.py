"""The import-adapter interface: turn a platform's export into the archive's export document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

DEFAULT_MAX_EXPORT_MB = 200


@dataclass(frozen=True)
class InputLimits:
    """Bounds on untrusted input, so a hostile or broken file cannot exhaust the machine."""

    max_export_bytes: int = DEFAULT_MAX_EXPORT_MB << 20


class Importer(Protocol):
    """Reads one platform's export (Дневник.ру, «Сетевой город», ЭлЖур, ...) from a file.

    An adapter only translates: it returns a document in the shape of schemas/journal-export.schema.json
    and leaves all validation to the shared layers, so every platform's data meets the same rules. It
    raises `BadInputError` (naming the file and place) when the file cannot be read as its format at all.
    """

    name: str
    description: str

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]: ...

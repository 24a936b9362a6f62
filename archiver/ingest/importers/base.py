"""The import-adapter interface: turn a platform's export into the archive's export document."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from archiver.ingest.limits import DEFAULT_MAX_EXPORT_MB, InputLimits

__all__ = ["DEFAULT_MAX_EXPORT_MB", "Importer", "InputLimits"]


class Importer(Protocol):
    """Reads one platform's export (Дневник.ру, «Сетевой город», ЭлЖур, ...) from a file.

    An adapter only translates: it returns a document in the shape of schemas/journal-export.schema.json
    and leaves all validation to the shared layers, so every platform's data meets the same rules. It
    raises `BadInputError` (naming the file and place) when the file cannot be read as its format at all.
    """

    name: str
    description: str

    def read(self, path: Path, limits: InputLimits) -> dict[str, Any]: ...

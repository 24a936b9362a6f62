"""Import adapters, and the one way in for journal data: read, validate, build the domain model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archiver.errors import BadInputError, InvalidExportError
from archiver.ingest.importers.base import Importer, InputLimits
from archiver.ingest.importers.dnevnik import DnevnikImporter
from archiver.ingest.importers.json_export import JsonExportImporter
from archiver.ingest.importers.mesh import MeshImporter
from archiver.ingest.importers.sgo import SgoImporter
from archiver.ingest.model import JournalExport, build_export
from archiver.ingest.validation import validate_document

IMPORTERS: dict[str, Importer] = {
    importer.name: importer for importer in (JsonExportImporter(), DnevnikImporter(), SgoImporter(), MeshImporter())
}

# The journal platforms `archiver import --from` reads (the JSON importer reads the archive's own format).
PLATFORMS = ("dnevnik", "mesh", "sgo")

__all__ = [
    "IMPORTERS",
    "PLATFORMS",
    "Importer",
    "InputLimits",
    "get_importer",
    "load_export",
    "read_document",
    "register",
]


def register(importer: Importer) -> None:
    """Make an adapter available by its name (to `--format` and to the [input] format setting)."""
    if importer.name in IMPORTERS:
        raise ValueError(f"an importer named {importer.name!r} is already registered")
    IMPORTERS[importer.name] = importer


def get_importer(name: str) -> Importer:
    try:
        return IMPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(IMPORTERS))
        raise BadInputError(f"unknown export format {name!r}; known formats: {known}") from None


def read_document(path: Path, *, format: str = "json", limits: InputLimits | None = None) -> dict[str, Any]:
    """Read an export and validate it in both layers; the document is returned only when valid."""
    document = get_importer(format).read(path, limits or InputLimits())
    problems = validate_document(document)
    if problems:
        raise InvalidExportError(str(path), problems)
    return document


def load_export(path: Path, *, format: str = "json", limits: InputLimits | None = None) -> JournalExport:
    """The domain model of a valid export, or `InvalidExportError` with every problem and its place."""
    return build_export(read_document(path, format=format, limits=limits))

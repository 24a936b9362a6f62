"""Where the project's own data files are: inside an installed wheel, or at the root of a checkout.

Templates, fonts and schemas are edited at the repository root and shipped in the wheel under
`archiver/_data/` (see pyproject.toml), so the package needs nothing from the checkout once installed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The directory `name` (`schemas`, `templates`) of the installed package or of the checkout."""
    for base in (_PACKAGE / "_data", _PACKAGE.parent):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the archiver's {name!r} directory is missing from {_PACKAGE}: broken installation")


@cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema of the journal export (read once per process)."""
    path = data_dir("schemas") / "journal-export.schema.json"
    with path.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema

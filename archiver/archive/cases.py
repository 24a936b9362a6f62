"""An archival case as stored: its files, metadata, retention, and the sealed manifest of digests.

A case (дело) is one OCFL object. Every version holds the volume (PDF/A), the data it was rendered from
(`source.json`, valid against the export schema), `metadata.json`, and `manifest.json` (SHA-256 and size
of each of those) with `manifest.p7s`, a detached CMS seal of the manifest by the school's service key.
Two copies cannot outvote each other: a copy is intact when it matches its sealed manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

VOLUME = "volume.pdf"
SOURCE = "source.json"
METADATA = "metadata.json"
MANIFEST = "manifest.json"
SEAL = "manifest.p7s"
CHECKPOINT = "checkpoint.json"  # of the archive's own audit cases (archiver.archive.checkpoints)
REGISTRY = "registry.json"
FILE_ROLES = {  # what each file of a version is (the catalog's documents.role)
    VOLUME: "volume",
    SOURCE: "source",
    METADATA: "metadata",
    MANIFEST: "manifest",
    SEAL: "seal",
    CHECKPOINT: "checkpoint",
    REGISTRY: "registry",
}


class CaseKind(StrEnum):
    """What a case holds (a StrEnum: stored and sealed as its value)."""

    CLASS_YEAR = "class_year"  # a class's journal for the year (классный журнал)
    CLASS_PERIOD = "class_period"  # a class's archive copy at the end of a quarter or half-year
    SUMMARY = "summary"  # a class's summary sheet of final grades (сводная ведомость; 0.1: the whole school's)
    ACTS = "acts"  # the school's disposal acts
    AUDIT = "audit"  # the archive's own audit checkpoints, one case a month


class CaseStatus(StrEnum):
    """Where a case is in its life (the catalog's `cases.status`)."""

    AWAITING_SIGNATURE = "awaiting_signature"
    ARCHIVED = "archived"
    SUPERSEDED = "superseded"
    DISPOSING = "disposing"  # the act is stored; the copies are being removed
    DISPOSED = "disposed"


@dataclass(frozen=True)
class KindRule:
    retention_class: str
    years: int | None  # counted from 1 January of the year after the case was closed; None: no end date
    director_signs: bool  # archived awaiting the director's signature
    disposable: bool  # may ever be destroyed


# The one table of what each kind of case is kept for and who signs it (DOMAIN.md; seed 001 §5.1).
KINDS: dict[CaseKind, KindRule] = {
    CaseKind.CLASS_YEAR: KindRule("5y", 5, director_signs=True, disposable=True),
    CaseKind.SUMMARY: KindRule("25y", 25, director_signs=True, disposable=True),
    CaseKind.CLASS_PERIOD: KindRule("until_superseded", None, director_signs=False, disposable=True),
    CaseKind.ACTS: KindRule("permanent", None, director_signs=False, disposable=False),
    CaseKind.AUDIT: KindRule("permanent", None, director_signs=False, disposable=False),
}
GONE = (CaseStatus.DISPOSING, CaseStatus.DISPOSED)  # statuses of a case that is no longer kept


@dataclass(frozen=True)
class Retention:
    retention_class: str
    closed_on: date
    retain_until: date | None  # destroyable from this day; None: not yet (until superseded, permanent)


def retention_for(kind: str, closed_on: date) -> Retention:
    """Following Russian archival practice: 5 years for a 2025/2026 journal closed in 2026 → 2032-01-01."""
    rule = KINDS[CaseKind(kind)]
    until = date(closed_on.year + 1 + rule.years, 1, 1) if rule.years is not None else None
    return Retention(rule.retention_class, closed_on, until)


@dataclass(frozen=True)
class CaseInfo:
    """What the catalog and metadata.json say about a case."""

    case_id: str
    kind: str
    school_id: str
    school_name: str
    academic_year: str
    class_id: str | None
    class_name: str | None
    period_id: str | None
    title: str
    sheets: int
    retention: Retention
    legal_hold: bool = False
    superseded_by: str | None = None
    signatures: tuple[Mapping[str, str], ...] = field(default=())
    transferred: Mapping[str, str] | None = None  # {"on": ISO date, "to": the receiving archive, "act": id}


# Export ids are [A-Za-z0-9._-] (schemas/): the separator "~" cannot occur in them, and the kind is a fixed
# word in a fixed position, so no export can make two kinds of case (or two classes' cases) share an id.
SEPARATOR = "~"


def case_id_for(volume_id: str) -> str:
    """An OCFL- and path-safe id that no export id can imitate:
    school~year~class~journal, school~year~class~period~q2, school~year~class~summary (and school~acts).

    Archives made by earlier versions may hold school~year~summary, the whole school's summary sheets in
    one case (kind summary, no class): it is read, verified, retrieved and disposed of like any other.
    """
    return volume_id.replace("/", SEPARATOR)


def acts_case_id(school_id: str) -> str:
    return f"{school_id}{SEPARATOR}acts"


def metadata_bytes(info: CaseInfo, version: int, created: datetime) -> bytes:
    data: dict[str, Any] = {
        "case": info.case_id,
        "version": version,
        "kind": info.kind,
        "title": info.title,
        "school": {"id": info.school_id, "name": info.school_name},
        "academic_year": info.academic_year,
        "class": {"id": info.class_id, "name": info.class_name} if info.class_id else None,
        "period": info.period_id,
        "sheets": info.sheets,
        "retention": {
            "class": info.retention.retention_class,
            "closed_on": info.retention.closed_on.isoformat(),
            "retain_until": info.retention.retain_until.isoformat() if info.retention.retain_until else None,
        },
        "legal_hold": info.legal_hold,
        "superseded_by": info.superseded_by,
        "signatures": [dict(s) for s in info.signatures],
        "created": created.isoformat(timespec="seconds"),
    }
    if info.transferred is not None:  # only then: earlier versions keep their shape
        data["transferred"] = dict(info.transferred)
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def manifest_bytes(case_id: str, version: int, files: Mapping[str, bytes]) -> bytes:
    """The digests the seal covers: every file of the version but the manifest and its seal."""
    entries = {
        path: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for path, data in sorted(files.items())
        if path not in (MANIFEST, SEAL)
    }
    body = {"case": case_id, "version": version, "algorithm": "sha256", "files": entries}
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def parse_manifest(data: bytes, case_id: str | None = None, version: int | None = None) -> dict[str, dict[str, Any]]:
    """The files a sealed manifest lists; `ValueError` when it is not one (or names another case or version)."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("the manifest is not JSON") from None
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("size"), int)
        for entry in files.values()
    ):
        raise ValueError("the manifest does not list files with their SHA-256 and size")
    if case_id is not None and body.get("case") != case_id:
        raise ValueError(f"the manifest is of another case ({str(body.get('case'))[:100]!r})")
    if version is not None and body.get("version") != version:
        raise ValueError(f"the manifest is of another version ({str(body.get('version'))[:20]})")
    return files

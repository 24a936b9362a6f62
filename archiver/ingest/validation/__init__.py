"""Validation of an export document in two layers: its shape (the JSON Schema), then its meaning.

The meaning is checked only on a document of the right shape, and each layer reports every problem it
finds, each placed by its JSON path, so one run tells an adapter's author everything to fix.
"""

from __future__ import annotations

from typing import Any

from archiver.ingest.problems import Problem
from archiver.ingest.validation.schema import check_schema
from archiver.ingest.validation.semantics import check_semantics

__all__ = ["check_schema", "check_semantics", "validate_document"]


def validate_document(document: Any) -> tuple[Problem, ...]:
    """Every problem in the document: schema problems if any, else problems of meaning."""
    problems = check_schema(document)
    if problems:
        return problems
    return check_semantics(document)

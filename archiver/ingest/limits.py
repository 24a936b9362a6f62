"""Bounds on untrusted input, so a hostile or broken file cannot exhaust the machine."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_EXPORT_MB = 200


@dataclass(frozen=True)
class InputLimits:
    """Bounds on untrusted input, so a hostile or broken file cannot exhaust the machine."""

    max_export_bytes: int = DEFAULT_MAX_EXPORT_MB << 20

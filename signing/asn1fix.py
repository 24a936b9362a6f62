"""A fix for asn1crypto 1.5.1 (the latest release), applied when `signing` is imported.

`dump()` takes an encoding whose header ends in the byte 0x80 for an indefinite length and re-encodes the
value and everything under it. A definite length whose last byte is 0x80 (384 = 82 01 80, 640, 896, …)
ends the same way. The signed attributes of the local TSA's tokens are 384 bytes long, and a token packed
into a signature was then re-encoded over and over: 10–25 s per signature instead of 10 ms, in about half
of the signatures (measured: /tmp trial scripts, 8 signatures in a row, 0.2 s or 13–26 s each). A value
parsed with an indefinite length keeps its end-of-contents trailer (b"\\x00\\x00"); one without it has a
definite length, and its header is recomputed from the same contents instead: the same bytes, nothing
re-encoded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asn1crypto import core

_PATCHED = "_archiver_definite_length_fix"


def _fixed(dump: Callable[..., bytes]) -> Callable[..., bytes]:
    def fixed_dump(self: Any, force: bool = False) -> bytes:
        header = self._header
        if not force and header is not None and header[-1:] == b"\x80" and not self._trailer:
            self._header = None  # a definite length ending in 0x80: recomputed, not mistaken for indefinite
        return dump(self, force)

    setattr(fixed_dump, _PATCHED, True)
    fixed_dump.__doc__ = dump.__doc__
    return fixed_dump


def apply() -> None:
    for cls in (core.Asn1Value, core.Choice, core.Primitive, core.Sequence, core.SequenceOf):
        dump = cls.__dict__.get("dump")
        if dump is not None and not getattr(dump, _PATCHED, False):
            cls.dump = _fixed(dump)

"""Errors of the signing package (the caller maps them to its own messages)."""

from __future__ import annotations


class SigningError(Exception):
    """A document could not be signed: a key that will not open, a TSA that does not answer, ..."""


class KeyError_(SigningError):
    """A key source could not be opened (wrong passphrase, unreadable file, no such token or key)."""


def first_line(exc: BaseException, limit: int = 300) -> str:
    """What a library's exception says, on one line: enough for a report or a message."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:limit]

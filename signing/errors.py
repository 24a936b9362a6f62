"""Errors of the signing package (the caller maps them to its own messages)."""

from __future__ import annotations


class SigningError(Exception):
    """A document could not be signed: a key that will not open, a TSA that does not answer, ..."""


class KeyError_(SigningError):
    """A key source could not be opened (wrong passphrase, unreadable file, no such token or key)."""

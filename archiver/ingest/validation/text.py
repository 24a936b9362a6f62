"""Values no later step can use: a lone surrogate in a string or a key, an integer too long to convert.

JSON lets a string carry any UTF-16 code unit as an escape (`\\ud800`). A high and low surrogate pair
written that way is one ordinary character (`\\ud83d\\ude00` is U+1F600), and `json.loads` joins it into
one; a surrogate left on its own is not a character at all, and no encoder (UTF-8 for the schema
validator, a terminal, the catalog, a PDF) accepts it. Python also refuses to convert an integer of more
than `sys.get_int_max_str_digits()` digits to or from text. Each such value is a problem at its place,
never a crash downstream.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from archiver.ingest.problems import PathPart, json_path

_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """Text with every lone surrogate written as its JSON escape, so that it can be encoded and shown."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in a parsed string, as its escape (`\\ud800`), or None when there is none."""
    match = _SURROGATE.search(text)
    return None if match is None else escape_surrogates(match.group())


def surrogate_message(surrogate: str, *, in_key: bool = False) -> str:
    where = " in this key" if in_key else ""
    return f"lone surrogate {surrogate}{where} is not valid text"


def long_integer_message(digits: int) -> str:
    return f"integer with {digits} digits is too long"


def safe_path(parts: Iterable[PathPart]) -> str:
    """`json_path`, with any lone surrogate in a key escaped, so that the path itself can be printed."""
    return escape_surrogates(json_path(parts))


def decimal_digits(number: int) -> int:
    """How many decimal digits an integer has, without converting it to text (which may be refused)."""
    number = abs(number)
    digits = max(1, int(number.bit_length() * math.log10(2)))  # the true count, or one less
    while number >= 10**digits:
        digits += 1
    while digits > 1 and number < 10 ** (digits - 1):
        digits -= 1
    return digits


def unusable_values(document: Any) -> list[tuple[list[PathPart], str]]:
    """Every lone surrogate in a key or string, and every integer too long to convert to text, with its place.

    Iterative, so depth is no danger; walks the whole document, so it is for when something is known wrong.
    """
    found: list[tuple[list[PathPart], str]] = []
    stack: list[tuple[list[PathPart], Any]] = [([], document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            surrogate = lone_surrogate(value)
            if surrogate is not None:
                found.append((path, surrogate_message(surrogate)))
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                str(value)
            except ValueError:
                found.append((path, long_integer_message(decimal_digits(value))))
        elif isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str) and (surrogate := lone_surrogate(key)) is not None:
                    found.append((path + [key], surrogate_message(surrogate, in_key=True)))
                stack.append((path + [key], child))
        elif isinstance(value, list):
            stack.extend((path + [index], child) for index, child in enumerate(value))
    return found

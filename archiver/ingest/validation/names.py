"""Names the documents print, checked for text that shows other than it reads: invisible format characters
(bidirectional overrides, isolates and embeddings, marks, zero-width characters) and class names that look
alike but are spelt with different letters.

A name in an archived journal is read by people and searched by the catalog for decades. A right-to-left
override (U+202E) makes «Иванов» print as «вонавИ» while the catalog holds the characters in another
order; a zero-width space or a soft hyphen makes a name that prints like another one differ from it for
every search. No real name needs such a character, so each one is refused (bad input, exit 2) at its
JSON path rather than dropped or neutralised: silently changing a name in a legal record is worse than
asking the school's platform for a clean export.

Class names are the grade and the letter («5А»). A letter written in Latin capitals that look like Cyrillic
ones («5A», Latin A, beside «5А», Cyrillic А) would make two classes whose volumes, titles and catalog
entries are indistinguishable on paper and on screen; `find --class 5А` would find only one of them. Such
a pair is refused, naming both. The comparison is on a skeleton: case folded, then each Latin letter that
has a Cyrillic double in print, and the digits 0 and 3 (read as О and З), replaced by that double; two
different names with one skeleton are refused. A single letter part that mixes Latin and Cyrillic letters
(«АB») is refused as well: it reads as a Cyrillic name («АВ») that no one can type back. A class lettered
wholly in Latin with no Cyrillic double («7D», or «5A» alone) stays valid: some schools letter classes that
way, and it is no look-alike of anything in the export.

The table is written out here rather than taken from Unicode's confusables data (no library for it is
installed, and the schema allows only Latin and Cyrillic capitals and digits in a class letter), so it
holds exactly the pairs that matter for it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from archiver.ingest.problems import PathPart, show

Path = tuple[PathPart, ...]

# Characters no printed name may hold. Cc: control characters (the schema already refuses C0 and C1, this
# keeps the rule whole for any adapter); Cf: format characters, invisible and acting on the text around
# them (U+200B–U+200F, U+202A–U+202E, U+2060–U+206F, U+00AD, U+FEFF, tags...); Cs: lone surrogates (placed
# earlier by the importer, kept here for completeness); Zl, Zp: line and paragraph separators in a one-line
# name. A no-break space (Zs) stays allowed: «№ 2» is often written with one.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Latin letters (case folded) that print like a Cyrillic letter, as A/А, B/В, C/С, E/Е, H/Н, K/К, M/М, O/О,
# P/Р, T/Т, X/Х, Y/У in capitals and a/а, c/с, e/е, o/о, p/р, x/х, y/у in small letters; and the digits
# that print like Cyrillic capitals. Folded first, so a capital and its small letter share one entry.
LOOK_ALIKES = {
    "a": "а",
    "b": "в",
    "c": "с",
    "e": "е",
    "h": "н",
    "k": "к",
    "m": "м",
    "o": "о",
    "p": "р",
    "t": "т",
    "x": "х",
    "y": "у",
    "0": "о",
    "3": "з",
}
_SKELETON = str.maketrans(LOOK_ALIKES)
_KINDS = {"Cc": "a control character", "Cs": "a lone surrogate", "Zl": "a line break", "Zp": "a line break"}

# Every name a document prints, as paths with "*" for each item of an array. Free text (lesson topics,
# homework, notes) is not a name and is left as written.
_PERSON = ("last_name", "first_name", "middle_name")
NAME_FIELDS: tuple[tuple[str, ...], ...] = (
    ("source", "system"),
    ("school", "name"),
    ("school", "short_name"),
    ("school", "address"),
    *(("school", "director", part) for part in (*_PERSON, "position")),
    ("periods", "*", "name"),
    ("work_types", "*", "code"),
    ("work_types", "*", "title"),
    *(("teachers", "*", part) for part in (*_PERSON, "position")),
    ("subjects", "*", "name"),
    ("subjects", "*", "short_name"),
    ("classes", "*", "letter"),
    ("classes", "*", "profile"),
    *(("classes", "*", "students", "*", part) for part in _PERSON),
    ("classes", "*", "courses", "*", "subgroup", "name"),
)


def check_names(document: dict[str, Any]) -> list[tuple[Path, str]]:
    """Every invisible character in a printed name and every look-alike class name in a schema-valid export,
    each with its path."""
    problems = [
        (path, message)
        for pattern in NAME_FIELDS
        for path, value in _values(document, pattern, ())
        if isinstance(value, str) and (message := invisible_character(value)) is not None
    ]
    problems.extend(_look_alike_classes(document["classes"]))
    return problems


def invisible_character(text: str) -> str | None:
    """What is wrong with the first character of text that has no business in a name, or None."""
    if text.isprintable():  # no Cc, Cf, Cs, Zl or Zp (nor any other space than U+0020): the common case
        return None
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if category in FORBIDDEN_CATEGORIES:
            kind = _KINDS.get(category, "an invisible formatting character")
            return (
                f"{show(text)} contains {kind} ({_describe(char)}) at position {position}; "
                "a name may hold only visible characters"
            )
    return None


def skeleton(name: str) -> str:
    """How a class name looks in print: case folded, Latin look-alikes and the digits 0 and 3 replaced by
    their Cyrillic doubles."""
    return name.casefold().translate(_SKELETON)


def mixed_scripts(text: str) -> tuple[str, str] | None:
    """The first Latin and the first Cyrillic letter of text, when it has both."""
    latin = next((c for c in text if c.isalpha() and _script(c) == "LATIN"), None)
    cyrillic = next((c for c in text if c.isalpha() and _script(c) == "CYRILLIC"), None)
    return (latin, cyrillic) if latin and cyrillic else None


def _look_alike_classes(classes: list[dict[str, Any]]) -> Iterator[tuple[Path, str]]:
    first: dict[str, tuple[int, str]] = {}
    for index, klass in enumerate(classes):
        letter = klass["letter"]
        name = f"{klass['grade']}{letter}"
        path: Path = ("classes", index, "letter")
        mixed = mixed_scripts(letter)
        if mixed is not None:
            latin, cyrillic = mixed
            yield (
                path,
                f"class {show(name)} mixes Latin and Cyrillic letters ({_letter(latin)}, {_letter(cyrillic)}); "
                "write a class letter in one alphabet",
            )
        key = skeleton(name)
        if key in first:
            other_index, other = first[key]
            if other != name:  # the same name twice is reported as a duplicate class
                yield (
                    path,
                    f"class {_spelt(name)} looks the same as class {_spelt(other)} at classes[{other_index}] "
                    "but is spelt with other letters; two classes must not look alike",
                )
        else:
            first[key] = (index, name)


def _values(node: Any, pattern: tuple[str, ...], path: Path) -> Iterator[tuple[Path, Any]]:
    if not pattern:
        yield path, node
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from _values(item, rest, (*path, index))
    elif isinstance(node, dict) and head in node:
        yield from _values(node[head], rest, (*path, head))


def _script(char: str) -> str:
    return unicodedata.name(char, "").split(" ", 1)[0]


def _describe(char: str) -> str:
    code = ord(char)
    name = unicodedata.name(char, "")
    return f"U+{code:04X} {name}" if name else f"U+{code:04X}"


def _letter(char: str) -> str:
    return f"{_script(char).capitalize()} {char}"


def _spelt(name: str) -> str:
    """A class name with the script of each letter, e.g. «'5A' (Latin A)», so that the difference shows."""
    letters = ", ".join(_letter(c) for c in name if c.isalpha())
    return f"{show(name)} ({letters})" if letters else show(name)

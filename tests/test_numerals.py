"""Russian numerals of the certification line: digits, words and the right plural."""

from __future__ import annotations

import pytest

from archiver.documents.numerals import number_words, plural, sheets_phrase


@pytest.mark.parametrize(
    ("count", "phrase"),
    [
        (1, "1 (один) лист"),
        (2, "2 (два) листа"),
        (4, "4 (четыре) листа"),
        (5, "5 (пять) листов"),
        (11, "11 (одиннадцать) листов"),
        (12, "12 (двенадцать) листов"),
        (14, "14 (четырнадцать) листов"),
        (21, "21 (двадцать один) лист"),
        (22, "22 (двадцать два) листа"),
        (100, "100 (сто) листов"),
        (111, "111 (сто одиннадцать) листов"),
        (142, "142 (сто сорок два) листа"),
        (1000, "1000 (одна тысяча) листов"),
        (2001, "2001 (две тысячи один) лист"),
        (5012, "5012 (пять тысяч двенадцать) листов"),
        (21342, "21342 (двадцать одна тысяча триста сорок два) листа"),
    ],
)
def test_sheets_phrase(count: int, phrase: str) -> None:
    assert sheets_phrase(count) == phrase


def test_plural_covers_every_ending() -> None:
    forms = [plural(n, "лист", "листа", "листов") for n in range(0, 30)]
    assert forms[0] == "листов" and forms[1] == "лист" and forms[3] == "листа" and forms[11] == "листов"
    assert forms[21] == "лист" and forms[24] == "листа" and forms[25] == "листов"
    assert plural(111, "a", "b", "c") == "c" and plural(101, "a", "b", "c") == "a"


def test_words_are_well_formed_for_every_count() -> None:
    for n in range(1, 10_000):
        words = number_words(n).split()
        assert words and all(words), n
        assert "  " not in number_words(n)
    with pytest.raises(ValueError):
        number_words(-1)

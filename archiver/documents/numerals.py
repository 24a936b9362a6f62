"""Russian numerals for certification lines: «142 (сто сорок два) листа»."""

from __future__ import annotations

_UNITS_M = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_UNITS_F = ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_TEENS = (
    "десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
    "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать",
)  # fmt: skip
_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот")
_THOUSANDS = ("тысяча", "тысячи", "тысяч")


def plural(count: int, one: str, few: str, many: str) -> str:
    """The form of a noun after a number: 1 лист, 2 листа, 5 листов, 11 листов, 21 лист."""
    n = abs(count) % 100
    if 11 <= n <= 14:
        return many
    if n % 10 == 1:
        return one
    if 2 <= n % 10 <= 4:
        return few
    return many


def _below_thousand(n: int, feminine: bool) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest <= 19:
        words.append(_TEENS[rest - 10])
    else:
        words.append(_TENS[rest // 10])
        words.append((_UNITS_F if feminine else _UNITS_M)[rest % 10])
    return [w for w in words if w]


def number_words(n: int, *, feminine: bool = False) -> str:
    """A cardinal number in words, masculine by default (for «лист»): 142 → «сто сорок два»."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"{n} is out of range for a sheet count")
    if n == 0:
        return "ноль"
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        words += _below_thousand(thousands, feminine=True)
        words.append(plural(thousands, *_THOUSANDS))
    words += _below_thousand(rest, feminine)
    return " ".join(words)


def sheets_phrase(count: int) -> str:
    """«142 (сто сорок два) листа»."""
    return f"{count} ({number_words(count)}) {plural(count, 'лист', 'листа', 'листов')}"

"""Dates and times as Russian documents print them, in the school's own time zone.

«20.06.2026», «1 января 2032 г.», «5 лет», «2025/2026 учебный год», «23.11.2026 15:28 (МСК)». Stored
moments are UTC; only what is printed is local (`[school] timezone`, Europe/Moscow by default).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from archiver.documents.numerals import plural

DEFAULT_TIMEZONE = "Europe/Moscow"
MONTHS_GENITIVE = (
    "", "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
RETENTION = {"until_superseded": "до замены следующей архивной копией", "permanent": "постоянно"}


def short_date(day: date | datetime | None) -> str:
    """«20.06.2026»; an empty string for no date."""
    return f"{day:%d.%m.%Y}" if day is not None else ""


def long_date(day: date) -> str:
    """«1 января 2032 г.»."""
    return f"{day.day} {MONTHS_GENITIVE[day.month]} {day.year} г."


def years(count: int) -> str:
    """«1 год», «3 года», «5 лет», «25 лет»."""
    return f"{count} {plural(count, 'год', 'года', 'лет')}"


def retention_phrase(retention_class: str) -> str:
    """A retention class as the documents say it: «5y» → «5 лет», «permanent» → «постоянно»."""
    if retention_class in RETENTION:
        return RETENTION[retention_class]
    if retention_class.endswith("y") and retention_class[:-1].isdigit():
        return years(int(retention_class[:-1]))
    return retention_class


def academic_year(ident: str, case: str = "nominative") -> str:
    """ "2025-2026" → «2025/2026 учебный год» (or «… учебного года» in the genitive)."""
    words = "учебного года" if case == "genitive" else "учебный год"
    return f"{ident.replace('-', '/')} {words}"


def local_time(moment: datetime, zone: str = DEFAULT_TIMEZONE) -> str:
    """«23.11.2026 15:28 (МСК)» in the school's zone; other zones by their offset, «(UTC+5)»."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(ZoneInfo(zone))
    if zone == DEFAULT_TIMEZONE:
        label = "МСК"
    else:
        offset = local.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        label = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{local:%d.%m.%Y %H:%M} ({label})"

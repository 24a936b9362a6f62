"""Dates and times as the documents print them, and the school's time zone in the configuration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from archiver.config import config_from_mapping
from archiver.documents.dates import academic_year, local_time, long_date, retention_phrase, short_date, years
from archiver.errors import ArchiverError


def test_russian_dates_years_and_retention() -> None:
    assert short_date(date(2026, 6, 20)) == "20.06.2026" and short_date(None) == ""
    assert long_date(date(2032, 1, 1)) == "1 января 2032 г."
    assert [years(n) for n in (1, 3, 5, 21, 25)] == ["1 год", "3 года", "5 лет", "21 год", "25 лет"]
    assert [retention_phrase(c) for c in ("5y", "25y", "permanent")] == ["5 лет", "25 лет", "постоянно"]
    assert retention_phrase("until_superseded") == "до замены следующей архивной копией"
    assert academic_year("2025-2026") == "2025/2026 учебный год"
    assert academic_year("2025-2026", "genitive") == "2025/2026 учебного года"


def test_local_time_in_the_schools_zone() -> None:
    noon = datetime(2026, 11, 23, 12, 28, tzinfo=UTC)
    assert local_time(noon) == "23.11.2026 15:28 (МСК)"
    assert local_time(noon, "Asia/Vladivostok") == "23.11.2026 22:28 (UTC+10)"
    assert local_time(datetime(2026, 11, 23, 21, 0, tzinfo=UTC)) == "24.11.2026 00:00 (МСК)"  # the next day


def test_the_timezone_is_configured_and_checked() -> None:
    assert config_from_mapping({}, "a.toml").school.timezone == "Europe/Moscow"
    assert config_from_mapping({"school": {"timezone": "Asia/Omsk"}}, "a.toml").school.timezone == "Asia/Omsk"
    with pytest.raises(ArchiverError, match=r"a.toml: \[school\] timezone 'Moscow' is not a known time zone"):
        config_from_mapping({"school": {"timezone": "Moscow"}}, "a.toml")

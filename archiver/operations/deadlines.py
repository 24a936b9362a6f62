"""The year-end deadline (seed 001 §5.2, 004 §3.7: the year's volumes printed, signed and sealed «до 30 июня»
/ «не позднее 30 июня»): when it falls for a school year, how many volumes still await the director and how
many days are left, and whether a signature came after it. Late is flagged, never refused: a volume signed
late is better than one not signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from archiver.archive.cases import CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive
from archiver.config import month_day


def deadline_for(academic_year: str, month_day_text: str) -> date | None:
    """The deadline of a school year («2025-2026» → 30 June 2026); None for a case of no school year."""
    end = academic_year.replace("/", "-").rpartition("-")[2]
    parsed = month_day(month_day_text)
    if not end.isdigit() or len(end) != 4 or parsed is None:
        return None
    return date(int(end), *parsed)


@dataclass(frozen=True)
class Deadline:
    academic_year: str
    deadline: date
    awaiting: tuple[str, ...]  # cases still awaiting the director's signature
    days_left: int  # negative: overdue by that many days

    def as_dict(self) -> dict[str, Any]:
        return {"academic_year": self.academic_year, "deadline": self.deadline.isoformat(),
                "awaiting": len(self.awaiting), "cases": list(self.awaiting), "days_left": self.days_left,
                "summary": self.sentence()}  # fmt: skip

    def sentence(self) -> str:
        """«2025-2026: 2 volume(s) await the director's signature; deadline 30.06.2026, 5 days left»."""
        head = f"{self.academic_year}: {len(self.awaiting)} volume(s) await the director's signature; " \
               f"deadline {self.deadline:%d.%m.%Y}"  # fmt: skip
        if self.days_left > 0:
            return f"{head}, {_days(self.days_left)} left"
        if self.days_left == 0:
            return f"{head}: today is the last day"
        return f"{head}: overdue by {_days(-self.days_left)}"


def pending_deadlines(archive: Archive, today: date) -> list[Deadline]:
    """Per school year with volumes awaiting the director: its deadline and the days left."""
    with archive.catalog.transaction() as session:
        rows = session.execute(
            select(Case.id, Case.academic_year).where(Case.status == CaseStatus.AWAITING_SIGNATURE).order_by(Case.id)
        ).all()
    years: dict[str, list[str]] = {}
    for ident, year in rows:
        years.setdefault(year, []).append(ident)
    out = []
    for year, ids in sorted(years.items()):
        deadline = deadline_for(year, archive.year_end_deadline)
        if deadline is not None:
            out.append(Deadline(year, deadline, tuple(ids), (deadline - today).days))
    return out


def missed_deadline(academic_year: str, signed_on: date, month_day_text: str) -> date | None:
    """The deadline a signature made on `signed_on` missed, or None when it was in time."""
    deadline = deadline_for(academic_year, month_day_text)
    return deadline if deadline is not None and signed_on > deadline else None


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"

"""Quarter copies superseded by the year-end volume (seed 001 §5.1: the quarter archive is kept «до более
нового обновления»): once the director has signed a class's journal for the year, the class's quarter
copies of that year are superseded by it, and may be destroyed from the day it was signed (or from the
first [retention] period_copies_until day after it). Each becomes a new version whose sealed metadata says
so; disposal then takes them through an act like any case whose retention has ended."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select

from archiver.archive.cases import SOURCE, VOLUME, CaseKind, CaseStatus
from archiver.archive.catalog.models import Case
from archiver.archive.context import Archive
from archiver.archive.store import info_of, new_version, read_intact
from archiver.config import month_day


def kept_until(signed_on: date, setting: str) -> date:
    """From which day a quarter copy may be destroyed once the year-end volume was signed on `signed_on`."""
    parsed = month_day(setting) if setting != "signed" else None
    if parsed is None:
        return signed_on
    candidate = date(signed_on.year, *parsed)
    return candidate if candidate >= signed_on else date(signed_on.year + 1, *parsed)


def supersede_signed_years(archive: Archive, user: str, today: date) -> list[str]:
    """Every quarter copy still kept whose class's year-end volume is signed becomes superseded by it (also
    for volumes signed before this version of the archiver knew the rule). Returns the cases changed."""
    with archive.catalog.transaction() as session:
        signed = session.execute(
            select(Case.id, Case.school_id, Case.class_id, Case.academic_year).where(
                Case.kind == CaseKind.CLASS_YEAR, Case.status == CaseStatus.ARCHIVED
            )
        ).all()
    changed: list[str] = []
    for year_id, school, class_id, year in signed:
        changed += supersede_by_year(archive, user, year_id, school, class_id, year)
    return changed


def supersede_by_year(
    archive: Archive, user: str, year_id: str, school: str, class_id: str | None, academic_year: str
) -> list[str]:
    """The class's quarter copies of the year that are still kept, superseded by its signed year volume."""
    with archive.catalog.transaction() as session:
        ids = list(
            session.execute(
                select(Case.id).where(
                    Case.kind == CaseKind.CLASS_PERIOD,
                    Case.school_id == school,
                    Case.class_id == class_id,
                    Case.academic_year == academic_year,
                    Case.status == CaseStatus.ARCHIVED,
                )
            ).scalars()
        )
    if not ids:
        return []
    year = info_of(read_intact(archive, year_id))
    signed = [s["signed_at"] for s in year.signatures if s.get("role") == "director" and s.get("signed_at")]
    if not signed:
        return []  # the catalog says signed, the sealed metadata does not: verify reports it
    signed_on = archive.local_date(datetime.fromisoformat(max(signed)))  # the day in the school's zone
    until = kept_until(signed_on, archive.period_copies_until)
    changed = []
    for case_id in ids:
        if supersede(
            archive, user, case_id, year_id, until, f"Заменено подписанным классным журналом за год {year_id}"
        ):
            changed.append(case_id)
    return changed


def supersede(archive: Archive, user: str, case_id: str, by: str, until: date, message: str) -> bool:
    """A kept quarter copy superseded by `by`, destroyable from `until`: a new version whose sealed metadata
    says so (the catalog follows it). False when another run changed it meanwhile."""
    with archive.case_lock(case_id):
        with archive.catalog.transaction() as session:
            row = session.get(Case, case_id)
            if row is None or row.status != CaseStatus.ARCHIVED:
                return False
        files = read_intact(archive, case_id)
        old = info_of(files)
        info = replace(old, superseded_by=by, retention=replace(old.retention, retain_until=until))
        new_version(archive, info, files[VOLUME], files[SOURCE], user, "supersede", message,
                    status=CaseStatus.SUPERSEDED)  # fmt: skip
    return True

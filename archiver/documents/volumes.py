"""The bound volumes: a class's year-end journal, a class's period (quarter) archive, a class's summary sheet.

A volume is a title sheet followed by parts (one course's journal pages each, or the class's summary sheet);
the title's contents and sheet counts are filled in once the parts are rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import StrEnum

from archiver.documents.attendance import ClassAttendance, class_attendance
from archiver.documents.journal import CourseJournal, course_journal
from archiver.documents.summary import ClassSummary, class_summary
from archiver.documents.title import TitleSheet
from archiver.ingest.model import JournalExport, Period, SchoolClass
from archiver.ingest.serialize import class_subset, summary_subset


class VolumeKind(StrEnum):
    """The volumes the archive binds (each is archived as a case of the same kind)."""

    CLASS_YEAR = "class_year"
    CLASS_PERIOD = "class_period"
    SUMMARY = "summary"  # a class's summary sheet (earlier versions: the whole school's, one volume)


ORDINALS = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Part:
    title: str  # as listed in the title sheet's contents
    template: str
    content: CourseJournal | ClassSummary | ClassAttendance

    @property
    def planned_sheets(self) -> int:
        return self.content.sheet_count


@dataclass(frozen=True)
class Volume:
    id: str  # stable, from the data: school/year/class/kind
    kind: VolumeKind
    school_id: str
    academic_year: str  # the academic year's id in the export
    title: str  # the document's title in its metadata
    running_head: str
    title_sheet: TitleSheet  # contents still empty
    parts: tuple[Part, ...]
    created: datetime
    source: JournalExport  # the data the volume is rendered from, embedded in PDF/A-3
    source_name: str
    class_id: str | None = None  # a class's volumes: the class's id in the export
    class_name: str | None = None  # and its name, «5А»
    period_id: str | None = None  # a period's archive copy: the period's id


def class_year_volume(export: JournalExport, klass: SchoolClass) -> Volume:
    """All journal pages of a class for the year: kept 5 years."""
    return _class_volume(export, klass, None)


def class_period_volume(export: JournalExport, klass: SchoolClass, period: Period) -> Volume:
    """The class's journal pages up to the end of a period: kept until the next archive supersedes it."""
    return _class_volume(export, klass, period)


def class_summary_volume(export: JournalExport, klass: SchoolClass) -> Volume:
    """A class's summary sheet of final grades bound with its own title sheet: kept 25 years.

    Seed 004 §3.9: «сводная ведомость … брошюруется с титульным листом каждого класса, подписывается
    директором школы». Earlier versions bound every class's sheet in one school-wide volume
    (`{school}/{year}/summary`); such cases stay readable, none is made any more.
    """
    year = _year_label(export)
    head = f"{export.school.short_name} · сводная ведомость итоговых оценок {klass.name} · {year} учебный год"
    part = Part(f"Сводная ведомость итоговых оценок {klass.name} класса", "summary.html", class_summary(export, klass))
    title_sheet = _title_sheet(
        export,
        kind="СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОЦЕНОК",
        volume=f"обучающихся {klass.grade} «{klass.letter}» класса",
        period=f"{year} учебный год",
        retention="Срок хранения: 25 лет",
        class_teacher=klass.homeroom_teacher.full_name,
    )
    return Volume(
        id=f"{export.school.id}/{export.academic_year.id}/{klass.id}/summary",
        kind=VolumeKind.SUMMARY,
        school_id=export.school.id,
        academic_year=export.academic_year.id,
        title=f"Сводная ведомость итоговых оценок {klass.name} класса, {year} учебный год",
        running_head=head,
        title_sheet=title_sheet,
        parts=(part,),
        created=_created(export, None),
        source=summary_subset(export, klass),
        source_name=f"{export.academic_year.id}-{klass.id}-summary.json",
        class_id=klass.id,
        class_name=klass.name,
    )


def _class_volume(export: JournalExport, klass: SchoolClass, period: Period | None) -> Volume:
    year = _year_label(export)
    until = period.end if period else None
    parts = tuple(
        Part(
            f"{course.title} (учитель {course.teacher.short_name})",
            "journal.html",
            course_journal(export, klass, course, until),
        )
        for course in klass.courses
    ) + (Part("Сведения о пропущенных уроках", "attendance.html", class_attendance(export, klass, until)),)
    class_title = f"{klass.grade} «{klass.letter}» класса"
    if period is None:
        kind, suffix = VolumeKind.CLASS_YEAR, "journal"
        period_line = f"{year} учебный год"
        retention = "Срок хранения: 5 лет"
        title = f"Классный журнал {klass.name} класса, {year} учебный год"
    else:
        kind, suffix = VolumeKind.CLASS_PERIOD, f"period/{period.id}"
        period_line = f"Архивная копия на окончание периода «{period.name}» {year} учебного года"
        retention = "Хранится до замены следующей архивной копией"
        title = f"Классный журнал {klass.name} класса, {period.name}, {year} учебный год"
    title_sheet = _title_sheet(export, kind="КЛАССНЫЙ ЖУРНАЛ", volume=class_title, period=period_line,
                               retention=retention, class_teacher=klass.homeroom_teacher.full_name)  # fmt: skip
    return Volume(
        id=f"{export.school.id}/{export.academic_year.id}/{klass.id}/{suffix}",
        kind=kind,
        school_id=export.school.id,
        academic_year=export.academic_year.id,
        title=title,
        running_head=f"{export.school.short_name} · классный журнал {klass.name} · {year} учебный год",
        title_sheet=title_sheet,
        parts=parts,
        created=_created(export, period),
        source=class_subset(export, klass, until),
        source_name=f"{export.academic_year.id}-{klass.id}-{suffix.replace('/', '-')}.json",
        class_id=klass.id,
        class_name=klass.name,
        period_id=period.id if period else None,
    )


def _title_sheet(
    export: JournalExport, *, kind: str, volume: str, period: str, retention: str, class_teacher: str | None = None
) -> TitleSheet:
    director = export.school.director
    initials = " ".join(f"{p[0]}." for p in (director.first_name, director.middle_name) if p)
    return TitleSheet(
        school_name=export.school.name,
        school_short_name=export.school.short_name,
        address=export.school.address,
        volume_kind=kind,
        volume_title=volume,
        period_line=period,
        retention_line=retention,
        title_sheets=1,
        contents=(),
        director_position=director.position,
        director_name=f"{initials} {director.last_name}",
        date_line="",
        class_teacher=class_teacher,
    )


def _year_label(export: JournalExport) -> str:
    return export.academic_year.id.replace("-", "/")


def _created(export: JournalExport, period: Period | None) -> datetime:
    """The document's date, from the data: the period's end for a period archive, else the export's date."""
    if period is not None:
        return datetime.combine(period.end, time(18, 0), tzinfo=UTC)
    if export.exported_at is not None:
        moment = export.exported_at
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(export.academic_year.end, time(0, 0), tzinfo=UTC)

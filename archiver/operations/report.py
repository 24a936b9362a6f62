"""The archivist's report (акт проверки целостности) as a sealed PDF/A."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from archiver.archive.cases import CaseKind
from archiver.archive.catalog.models import AuditEvent, Case, CaseVersion, Signature
from archiver.archive.context import Archive
from archiver.archive.store import info_of, read_intact
from archiver.documents.acts import STATUS, finding_words, repository_label
from archiver.documents.dates import local_time, short_date
from archiver.errors import ArchiverError
from archiver.operations.integrity import VerifyReport
from archiver.operations.users import person
from archiver.rendering.standalone import standalone_pdf

TITLE = "Акт проверки целостности электронного архива"
ACT_EVENT = "verify-act"  # one audit event per act: its number is the count of this year's, so never reused
DOCUMENT_KINDS = (CaseKind.CLASS_YEAR, CaseKind.CLASS_PERIOD, CaseKind.SUMMARY)


def _school_name(archive: Archive, case_id: str) -> str:
    """The school's full name from a case's sealed metadata (the catalog keeps only its id)."""
    try:
        info = info_of(read_intact(archive, case_id))
    except ArchiverError:
        info = None
    return info.school_name if info is not None else case_id.split("~")[0]


def sealed_report(archive: Archive, report: VerifyReport) -> bytes:
    """The act: cases by their titles, repositories by where they are, findings in words, local times."""
    with archive.catalog.transaction() as session:
        titles = dict(session.execute(select(Case.id, Case.title)).all())
        late = {  # volumes the director signed after the year-end deadline: flagged, not refused
            case_id: short_date(missed)
            for case_id, missed in session.execute(
                select(CaseVersion.case_id, func.max(Signature.deadline_missed))
                .join(Signature, Signature.version_id == CaseVersion.id)
                .where(Signature.deadline_missed.is_not(None))
                .group_by(CaseVersion.case_id)
            ).all()
        }
        schools = dict(session.execute(select(Case.school_id, Case.id).where(Case.kind.in_(DOCUMENT_KINDS))).all())
        year = report.started.year
        earlier = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == ACT_EVENT)
            .where(AuditEvent.object == str(year))
        ).scalar_one()  # fmt: skip
        number = f"{earlier + 1}"
        archive.catalog.record(session, report.user, ACT_EVENT, str(year), "success", {"number": number})
    return standalone_pdf(
        "verify_report.html",
        archive.pdfa,
        identifier=f"verify/{report.started.isoformat()}",
        title=TITLE,
        author=report.user,
        created=report.started,
        running_head=TITLE,
        document_title=TITLE,
        seal=(archive.eseal, "Акт проверки целостности"),
        long_term=archive.signature_evidence(),
        report=report,
        number=number,
        person=person(archive, report.user),
        schools=[_school_name(archive, case_id) for case_id in schools.values()],
        date_line=short_date(report.finished.astimezone(ZoneInfo(archive.timezone)).date()),
        repositories=[repository_label(r.name, r.location) for r in archive.repositories],
        labels={r.name: repository_label(r.name, r.location) for r in archive.repositories},
        titles=titles,
        late=late,
        status=STATUS,
        words=finding_words,
        signers={"eseal": "печать", "director": "директор"},
        when=lambda iso: local_time(datetime.fromisoformat(iso), archive.timezone),
        started=local_time(report.started, archive.timezone),
        finished=local_time(report.finished, archive.timezone),
    )

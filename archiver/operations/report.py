"""The archivist's report (акт проверки целостности) as a sealed PDF/A."""

from __future__ import annotations

from archiver.archive.context import Archive
from archiver.operations.integrity import VerifyReport
from archiver.rendering.standalone import standalone_pdf

TITLE = "Акт проверки целостности электронного архива"


def sealed_report(archive: Archive, report: VerifyReport) -> bytes:
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
        report=report,
        repositories=[f"{r.name} ({r.location})" if r.location else r.name for r in archive.repositories],
    )

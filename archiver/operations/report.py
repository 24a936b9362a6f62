"""The archivist's report (акт проверки целостности) as a sealed PDF/A."""

from __future__ import annotations

from archiver.archive.store import Archive
from archiver.operations.integrity import VerifyReport
from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import DocumentInfo, join
from signing import SignatureRequest, sign_pdf


def sealed_report(archive: Archive, report: VerifyReport) -> bytes:
    html = render_html(
        "verify_report.html",
        report=report,
        first_sheet=1,
        running_head="Акт проверки целостности электронного архива",
        document_title="Акт проверки целостности электронного архива",
        repositories=[f"{r.name} ({r.location})" if r.location else r.name for r in archive.repositories],
    )
    info = DocumentInfo(f"verify/{report.started.isoformat()}", "Акт проверки целостности электронного архива",
                        report.user, report.started, "journal-archiver")  # fmt: skip
    pdf = join([html_to_pdf(html, archive.pdfa)], info, archive.pdfa)
    return sign_pdf(pdf, archive.eseal, SignatureRequest("eseal", reason="Акт проверки целостности"))

"""A document of its own (a disposal act, an integrity report, a signatures page): one template rendered to
PDF/A, with its document information, sealed with the school's e-seal when asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from archiver.rendering.pages import html_to_pdf, render_html
from archiver.rendering.pdfa import DocumentInfo, PdfaVariant, join
from signing import KeySigner, LongTerm, SignatureRequest, sign_pdf

CREATOR_TOOL = "journal-archiver"


def standalone_pdf(
    template: str,
    pdfa: PdfaVariant,
    *,
    identifier: str,
    title: str,
    author: str,
    created: datetime,
    running_head: str,
    document_title: str,
    seal: tuple[KeySigner, str] | None = None,
    long_term: LongTerm | None = None,
    **context: Any,
) -> bytes:
    """`template` rendered with `context` as one PDF/A file; `seal`: (the e-seal key, the reason it states),
    `long_term`: what the seal carries (B-LTA, as the volumes' signatures)."""
    html = render_html(template, first_sheet=1, running_head=running_head, document_title=document_title, **context)
    info = DocumentInfo(identifier, title, author, created, CREATOR_TOOL)
    pdf = join([html_to_pdf(html, pdfa)], info, pdfa)
    if seal is None:
        return pdf
    key, reason = seal
    return sign_pdf(pdf, key, SignatureRequest("eseal", reason=reason, long_term=long_term))

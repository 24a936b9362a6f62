"""Archival timestamp renewal (PAdES B-LTA): before the newest document timestamp's TSA certificate expires,
the validation data for that timestamp goes into the DSS and a new document timestamp covers it all.

A document timestamp proves that the bytes before it existed at its time, as long as its own TSA
certificate can still be validated; the next one, made while that is still so, carries the proof on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from signing.errors import SigningError, first_line
from signing.sign import LongTerm, document_timestamp, failure_reason, keeping_metadata

# Hash algorithms no longer accepted for new evidence: a chain made with them is renewed at once.
WEAK_DIGESTS = frozenset({"md5", "sha1"})


@dataclass(frozen=True)
class TimestampChain:
    """The newest document timestamp of a file: when it was made, when its TSA certificate expires, and
    whether it (or a signature's) uses an algorithm that no longer counts."""

    count: int  # document timestamps in the file
    newest: datetime | None
    expires: datetime | None  # the newest timestamp's TSA certificate's notAfter
    weak_algorithm: str | None  # e.g. "sha1": renew now

    def due(self, before: datetime) -> bool:
        """Whether the chain needs a new timestamp before `before` (expiry within the margin, or weak)."""
        if self.count == 0:
            return False  # no B-LTA chain to carry on (a B-B or B-T volume): nothing to renew
        return self.weak_algorithm is not None or self.expires is None or self.expires <= before


def timestamp_chain(pdf: bytes) -> TimestampChain:
    """What the file's document timestamps are; a file that cannot be read has none."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        stamps = list(reader.embedded_timestamp_signatures)
        signatures = list(reader.embedded_regular_signatures)
    except Exception:
        return TimestampChain(0, None, None, None)
    weak = next((s.md_algorithm for s in (*signatures, *stamps) if str(s.md_algorithm).lower() in WEAK_DIGESTS), None)
    if not stamps:
        return TimestampChain(0, None, None, weak)
    newest = stamps[-1]
    try:
        info = newest.signed_data["encap_content_info"]["content"].parsed
        made: datetime | None = info["gen_time"].native
        expires: datetime | None = newest.signer_cert["tbs_certificate"]["validity"]["not_after"].native
    except Exception:
        made, expires = None, None
    return TimestampChain(len(stamps), made, expires, weak)


def renew_pdf(pdf: bytes, long_term: LongTerm) -> bytes:
    """The document with the newest timestamp's validation data in its DSS and a new document timestamp
    over all of it, appended as incremental updates; the PDF/A metadata is left as it is."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import add_validation_info

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        stamps = list(reader.embedded_timestamp_signatures)
    except Exception as exc:
        raise SigningError(f"the document cannot be read as a PDF: {first_line(exc)}") from None
    if not stamps:
        raise SigningError("the document has no document timestamp to renew (it is not B-LTA)")
    context = long_term.validation_context()
    try:
        with keeping_metadata():
            out = add_validation_info(stamps[-1], context, force_write=True)
    except Exception as exc:
        raise SigningError(f"the newest timestamp's validation data cannot be had: {failure_reason(exc)}") from None
    return document_timestamp(out.getvalue(), long_term, context)

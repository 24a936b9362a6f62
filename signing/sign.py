"""Signing a PDF (PAdES, `ETSI.CAdES.detached`) without breaking its PDF/A conformance.

PDF/A wants the Info dictionary and the XMP metadata to agree; pyHanko would append its name to the
Producer and set a new modification date in one of them, so the writer here leaves both as rendered.
Visible signatures draw a caller-supplied one-page PDF (rendered as PDF/A, fonts embedded) in their box;
the default pyHanko stamp uses a non-embedded Courier that garbles Cyrillic.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko.stamp.noop import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningError
from signing.keys import KeySigner
from signing.trust import validation_context


@dataclass(frozen=True)
class SignatureRequest:
    """Where and how to sign."""

    field_name: str
    reason: str | None = None
    location: str | None = None
    page: int = 0
    box: tuple[int, int, int, int] | None = None  # PDF points (x1, y1, x2, y2); None: invisible
    appearance_pdf: bytes | None = None  # drawn in the box: the «отметка об электронной подписи»
    timestamp_url: str | None = None  # an RFC 3161 TSA
    long_term: bool = False  # embed certificates and revocation data (PAdES B-LT)
    trust_roots: tuple[bytes, ...] = field(default=(), repr=False)  # DER; needed to gather LT data


INVISIBLE_BOX = (0, 0, 1, 1)


class _KeepMetadataWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the Info dictionary and the XMP metadata untouched."""

    def _update_meta(self) -> None:
        return None


def sign_pdf(pdf: bytes, key: KeySigner, request: SignatureRequest) -> bytes:
    """The document with one more signature, appended as an incremental update."""
    if request.long_term and not request.trust_roots:
        raise SigningError("long-term validation data needs the trust roots to build the chains")
    try:
        writer = _KeepMetadataWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise SigningError(f"the document cannot be read as a PDF: {exc}") from None
    context: ValidationContext | None = None
    if request.long_term:
        context = validation_context(request.trust_roots, allow_fetching=True)
    meta = signers.PdfSignatureMetadata(
        field_name=request.field_name,
        reason=request.reason,
        location=request.location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=request.long_term,
        validation_context=context,
        use_pades_lta=False,
    )
    # PDF/A wants every widget to have an appearance, and pyHanko gives a truly invisible (zero-sized)
    # widget none: an "invisible" seal is a 1 pt widget in the page corner whose appearance is empty.
    spec = fields.SigFieldSpec(
        sig_field_name=request.field_name, on_page=request.page, box=request.box or INVISIBLE_BOX
    )
    timestamper = HTTPTimeStamper(request.timestamp_url, timeout=20) if request.timestamp_url else None
    with tempfile.TemporaryDirectory(prefix="signing-") as tmp:
        stamp_style: Any = NoOpStampStyle()
        if request.appearance_pdf is not None:
            if request.box is None:
                raise SigningError("an appearance needs a box to be drawn in")
            appearance = Path(tmp) / "appearance.pdf"
            appearance.write_bytes(request.appearance_pdf)
            # The appearance is drawn at its own size from the box's corner: it is rendered to fit.
            layout_rule = SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MIN,
                margins=Margins.uniform(0),  # type: ignore[no-untyped-call]
                inner_content_scaling=InnerScaling.NO_SCALING,
            )
            stamp_style = StaticStampStyle.from_pdf_file(str(appearance), border_width=0, background_layout=layout_rule)
        if request.appearance_pdf is None:
            # The field is made first, with an (empty) appearance stream of its own, which the no-op
            # stamp then leaves in place.
            fields.append_signature_field(writer, spec)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=key.signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=spec if request.appearance_pdf is not None else None,
        )
        try:
            out = pdf_signer.sign_pdf(writer)
        except SigningError:
            raise
        except Exception as exc:
            raise SigningError(
                f"signing failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
    data: bytes = out.getvalue()
    return data

"""Signing a PDF (PAdES, `ETSI.CAdES.detached`) without breaking its PDF/A conformance.

PDF/A wants the Info dictionary and the XMP metadata to agree; pyHanko would append its name to the
Producer and set a new modification date in one of them, so the writer here leaves both as rendered.
Visible signatures draw a caller-supplied one-page PDF (rendered as PDF/A, fonts embedded) in their box;
the default pyHanko stamp uses a non-embedded Courier that garbles Cyrillic.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import cms, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, InnerScaling, Margins, SimpleBoxLayoutRule
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.stamp import StaticStampStyle
from pyhanko.stamp.noop import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.errors import SigningError, first_line
from signing.keys import KeySigner
from signing.timestamps import TimestampSource
from signing.trust import load_roots


@dataclass(frozen=True)
class SignatureRequest:
    """Where and how to sign."""

    field_name: str
    reason: str | None = None
    location: str | None = None
    page: int = 0
    box: tuple[int, int, int, int] | None = None  # PDF points (x1, y1, x2, y2); None: invisible
    appearance_pdf: bytes | None = None  # drawn in the box: the «отметка об электронной подписи»
    long_term: LongTerm | None = None  # None: a bare signature (PAdES B-B)


@dataclass(frozen=True)
class LongTerm:
    """PAdES B-LTA: what a signature carries to be validated decades later without a network — a signature
    timestamp, the certificates and revocation data of the signer and of the TSA in the document's DSS,
    and a document timestamp over all of it."""

    timestamps: TimestampSource
    trust_roots: tuple[bytes, ...] = field(repr=False)  # DER or PEM: the chains are built up to these
    crls: tuple[bytes, ...] = field(default=(), repr=False)  # DER CRLs known without a network
    fetch: bool = False  # also fetch OCSP responses and CRLs from the addresses in the certificates
    require_revocation: bool = True  # refuse to sign when revocation data cannot be had for a certificate

    def validation_context(self) -> ValidationContext:
        """Hard-fail when revocation data is required, soft-fail when the signing run allows its absence."""
        from asn1crypto import crl

        try:
            crls = [crl.CertificateList.load(der, strict=True) for der in self.crls]
        except Exception as exc:
            raise SigningError(f"a CRL cannot be read: {first_line(exc)}") from None
        return ValidationContext(
            trust_roots=load_roots(self.trust_roots),
            crls=crls,
            allow_fetching=self.fetch,
            revocation_mode="hard-fail" if self.require_revocation else "soft-fail",
        )


INVISIBLE_BOX = (0, 0, 1, 1)


class _KeepMetadataWriter(IncrementalPdfFileWriter):
    """An incremental writer that leaves the Info dictionary and the XMP metadata untouched."""

    def _update_meta(self) -> None:
        return None


def sign_pdf(pdf: bytes, key: KeySigner, request: SignatureRequest) -> bytes:
    """The document with one more signature, appended as an incremental update; with `long_term`, followed
    by the validation data (DSS) and a document timestamp (PAdES B-LTA).

    Without revocation data for the signer's or the TSA's certificate, signing fails with the validator's
    reason, unless the request allows it (`require_revocation=False`): then the signature still gets its
    timestamps and certificates, and `signature_levels` shows what it lacks."""
    long_term = request.long_term
    if long_term is not None and not long_term.trust_roots:
        raise SigningError("long-term validation data needs the trust roots to build the chains")
    context = long_term.validation_context() if long_term else None
    timestamper = long_term.timestamps.timestamper() if long_term else None
    with _Prepared(pdf, request, key.signer, context, timestamper) as prepared, keeping_metadata():
        try:
            out = prepared.pdf_signer.sign_pdf(prepared.writer)  # the signature, then its DSS revision
        except Exception as exc:
            raise SigningError(f"signing failed: {failure_reason(exc)}") from None
    data: bytes = out.getvalue()
    if long_term is not None and context is not None:
        data = document_timestamp(data, long_term, context)
    return data


def document_timestamp(pdf: bytes, long_term: LongTerm, context: ValidationContext) -> bytes:
    """A document timestamp over the whole file (with the TSA's validation data), in a field of its own
    whose widget has an (empty) appearance, as PDF/A wants of every widget; pyHanko's own LTA timestamp
    field has none."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    try:
        existing = len(list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures))
        writer = _KeepMetadataWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise SigningError(f"the document cannot be read as a PDF: {first_line(exc)}") from None
    name = f"DocTimeStamp{existing + 1}"
    try:
        fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name, on_page=0, box=INVISIBLE_BOX))
        stamper = PdfTimeStamper(long_term.timestamps.timestamper(), field_name=name)
        with keeping_metadata():
            out = stamper.timestamp_pdf(writer, "sha256", validation_context=context)
    except Exception as exc:
        raise SigningError(f"the document timestamp failed: {failure_reason(exc)}") from None
    data: bytes = out.getvalue()
    return data


@contextmanager
def keeping_metadata() -> Iterator[None]:
    """pyHanko writes the DSS and timestamp revisions with writers of its own, which set a new Producer
    and ModDate in the Info dictionary and the XMP: PDF/A-1b Preflight then fails (7.2, "Producer … doesn't
    match with XMP"). Inside this block they use the writer that leaves both as rendered."""
    import pyhanko.sign.signers.pdf_signer as pdf_signer
    import pyhanko.sign.validation.dss as dss

    modules = (pdf_signer, dss)
    originals = [module.IncrementalPdfFileWriter for module in modules]
    for module in modules:
        module.IncrementalPdfFileWriter = _KeepMetadataWriter  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.IncrementalPdfFileWriter = original  # type: ignore[attr-defined]


def failure_reason(exc: BaseException) -> str:
    """pyHanko's message with the validator's reason under it (it wraps "no revocation information")."""
    reasons = [first_line(exc)]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(reasons) < 4:
        text = first_line(cause)
        if text not in reasons[-1]:
            reasons.append(text)
        cause = cause.__cause__ or cause.__context__
    reason = ": ".join(reasons)
    if "revocation" in reason:
        reason += " (revocation data: the CRLs in the configuration, or fetched when allowed)"
    return reason


def sign_pdf_external(pdf: bytes, external: ExternalCmsSigner, request: SignatureRequest) -> bytes:
    """Sign with a signer that only sees the document digest and returns a CMS signature (a GOST tool).

    The signature field, its appearance and the byte ranges are prepared here; the external signer gets
    the SHA-256 digest of the signed byte ranges and returns a detached CMS SignedData, which is embedded
    as it is. Timestamps and long-term data are the external tool's business on this path.
    """
    if request.long_term is not None:
        raise SigningError("an external signer adds its own timestamp and validation data")
    try:
        cert = x509.Certificate.load(external.certificate())
    except Exception as exc:
        raise SigningError(f"the external signer's certificate cannot be read: {first_line(exc)}") from None
    placeholder = signers.ExternalSigner(
        signing_cert=cert,
        cert_registry=SimpleCertificateStore.from_certs([cert]),  # type: ignore[no-untyped-call]
        signature_value=bytes(external.signature_size),
    )
    with _Prepared(pdf, request, placeholder, None, None) as prepared:
        try:
            digest, _, output = asyncio.run(
                prepared.pdf_signer.async_digest_doc_for_signing(
                    prepared.writer, bytes_reserved=external.signature_size
                )
            )
            # The external tool runs outside any event loop: it may well start one of its own.
            signed_data = external.sign_digest(digest.document_digest, "sha256")
            asyncio.run(PdfTBSDocument.async_finish_signing(output, digest, cms.ContentInfo.load(signed_data)))
        except SigningError:
            raise
        except Exception as exc:
            raise SigningError(f"external signing failed: {first_line(exc)}") from None
    output.seek(0)
    result: bytes = output.read()
    return result


class ExternalCmsSigner(Protocol):
    """A signer outside pyHanko: it gets a digest and returns a detached CMS signature (DER)."""

    signature_size: int  # bytes to reserve in the file for the CMS

    def certificate(self) -> bytes: ...

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes: ...


class _Prepared:
    """The writer, the field and the pyHanko signer for one signature; cleans up the appearance file."""

    def __init__(
        self, pdf: bytes, request: SignatureRequest, signer: Any, context: ValidationContext | None, timestamper: Any
    ) -> None:
        try:
            self.writer = _KeepMetadataWriter(io.BytesIO(pdf), strict=False)
        except Exception as exc:
            raise SigningError(f"the document cannot be read as a PDF: {first_line(exc)}") from None
        self._tmp = tempfile.TemporaryDirectory(prefix="signing-")
        meta = signers.PdfSignatureMetadata(
            field_name=request.field_name,
            reason=request.reason,
            location=request.location,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            embed_validation_info=request.long_term is not None,
            validation_context=context,
            use_pades_lta=False,  # the document timestamp is added after, with a widget PDF/A accepts
        )
        # PDF/A wants every widget to have an appearance, and pyHanko gives a truly invisible (zero-sized)
        # widget none: an "invisible" seal is a 1 pt widget in the page corner whose appearance is empty.
        spec = fields.SigFieldSpec(
            sig_field_name=request.field_name, on_page=request.page, box=request.box or INVISIBLE_BOX
        )
        stamp_style: Any = NoOpStampStyle()
        if request.appearance_pdf is not None:
            if request.box is None:
                raise SigningError("an appearance needs a box to be drawn in")
            appearance = Path(self._tmp.name) / "appearance.pdf"
            appearance.write_bytes(request.appearance_pdf)
            # The appearance is drawn at its own size from the box's corner: it is rendered to fit.
            layout_rule = SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MIN,
                margins=Margins.uniform(0),  # type: ignore[no-untyped-call]
                inner_content_scaling=InnerScaling.NO_SCALING,
            )
            stamp_style = StaticStampStyle.from_pdf_file(str(appearance), border_width=0, background_layout=layout_rule)
        else:
            # The field is made first, with an (empty) appearance stream of its own, which the no-op
            # stamp then leaves in place.
            try:
                fields.append_signature_field(self.writer, spec)
            except Exception as exc:
                raise SigningError(f"the signature field cannot be added: {first_line(exc)}") from None
        self.pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=stamp_style,
            new_field_spec=spec if request.appearance_pdf is not None else None,
        )

    def __enter__(self) -> _Prepared:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

"""Validation of every signature in a PDF, reported as data in the manner of the EU DSS simple report.

Each signature gets an indication — PASSED, INDETERMINATE or FAILED — with a sub-indication, and the
facts behind it: intact, signer, certificate serial, claimed and timestamped signing time, chain to a
trusted root, revocation, coverage, modifications after signing. A damaged signature, a garbled CMS
blob, a truncated file or a file that is not a PDF is a FAILED report with a reason, never an exception.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from signing.errors import first_line

PASSED = "PASSED"
INDETERMINATE = "INDETERMINATE"
FAILED = "FAILED"

# Our own sub-indications where DSS has none that fits.
NO_SIGNATURE = "NO_SIGNATURE_FOUND"
MODIFIED_AFTER_SIGNING = "MODIFIED_AFTER_SIGNING"


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    indication: str
    sub_indication: str | None
    reason: str
    intact: bool
    valid: bool
    signer: str | None
    certificate_serial: str | None
    signing_time_claimed: datetime | None
    timestamp_time: datetime | None
    timestamp_valid: bool | None
    trusted: bool
    revoked: bool
    coverage: str | None  # ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, UNCLEAR
    modification_level: str | None  # of later revisions: NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    modified_after_signing: bool
    long_term_data: bool  # validation data embedded (DSS)
    certificate_sha256: str | None = None  # of the signer's certificate (DER): who signed, exactly

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("signing_time_claimed", "timestamp_time"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass(frozen=True)
class ValidationReport:
    indication: str
    sub_indication: str | None
    reason: str
    signatures: tuple[SignatureReport, ...]

    @property
    def passed(self) -> bool:
        return self.indication == PASSED

    def as_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "reason": self.reason,
            "signatures": [s.as_dict() for s in self.signatures],
        }


def validate_pdf(pdf: bytes, trust_roots: Sequence[bytes], *, allow_fetching: bool = False) -> ValidationReport:
    """Validate every signature; the document passes only when each of them does."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        return _failed_file("FORMAT_FAILURE", f"not a readable PDF: {first_line(exc)}")
    if not embedded:
        return _failed_file(NO_SIGNATURE, "the document has no signatures")
    reports = tuple(_validate_one(sig, trust_roots, allow_fetching) for sig in embedded)
    worst = min(reports, key=lambda r: {FAILED: 0, INDETERMINATE: 1, PASSED: 2}[r.indication])
    if worst.indication == PASSED:
        return ValidationReport(PASSED, None, f"{len(reports)} signature(s), all valid", reports)
    return ValidationReport(
        worst.indication, worst.sub_indication, f"signature {worst.field_name!r}: {worst.reason}", reports
    )


def _failed_file(sub: str, reason: str) -> ValidationReport:
    return ValidationReport(FAILED, sub, reason, ())


def _validate_one(sig: Any, roots: Sequence[bytes], allow_fetching: bool) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from signing.trust import load_roots, validation_context

    name = str(sig.field_name)
    has_dss = _has_dss(sig)
    try:
        if has_dss and not allow_fetching:
            # Offline, years later: the chain and revocation data come from the document's own store,
            # judged at the time the signature was made.
            dss = DocumentSecurityStore.read_dss(sig.reader)
            context = dss.as_validation_context(
                {
                    "trust_roots": load_roots(roots),
                    "allow_fetching": False,
                    "revocation_mode": "hard-fail",
                    "retroactive_revinfo": True,
                    "moment": sig.self_reported_timestamp,
                }
            )
        else:
            context = validation_context(roots, allow_fetching=allow_fetching)
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # pyHanko raises when the signature bytes themselves are damaged
        return _broken(name, f"the signature cannot be checked: {first_line(exc)}", sig, has_dss)
    return _from_status(name, status, has_dss)


def _from_status(name: str, status: Any, has_dss: bool) -> SignatureReport:
    cert = status.signing_cert
    coverage = status.coverage.name if status.coverage is not None else None
    level = status.modification_level.name if status.modification_level is not None else None
    modified = coverage != "ENTIRE_FILE"
    ts = status.timestamp_validity
    trusted = bool(status.trusted)
    revoked = bool(status.revoked)
    indication, sub, reason = PASSED, None, "valid"
    if not status.intact:
        indication, sub, reason = FAILED, "HASH_FAILURE", "the signed bytes were changed"
    elif not status.valid:
        indication, sub, reason = FAILED, "SIG_CRYPTO_FAILURE", "the signature value does not verify"
    elif revoked:
        indication, sub, reason = FAILED, "REVOKED", "the signer's certificate is revoked"
    elif level == "OTHER" or status.docmdp_ok is False:
        indication, sub, reason = FAILED, MODIFIED_AFTER_SIGNING, "the document was changed after it was signed"
    elif not trusted:
        indic = status.trust_problem_indic
        indication = INDETERMINATE
        sub = indic.name if indic is not None else "NO_CERTIFICATE_CHAIN_FOUND"
        reason = "the signer's certificate does not chain to a trusted root" if sub == "NO_CERTIFICATE_CHAIN_FOUND" \
            else f"trust could not be established ({sub})"  # fmt: skip
    elif ts is not None and not (ts.intact and ts.valid and ts.trusted):
        indication, sub, reason = INDETERMINATE, "TIMESTAMP_ORDER_FAILURE", "the signature timestamp is not valid"
    elif modified:
        reason = f"valid; later revisions add only {level.lower().replace('_', ' ') if level else 'allowed changes'}"
    return SignatureReport(
        field_name=name,
        indication=indication,
        sub_indication=sub,
        reason=reason,
        intact=bool(status.intact),
        valid=bool(status.valid),
        signer=str(cert.subject.native.get("common_name")) if cert is not None else None,
        certificate_serial=format(cert.serial_number, "X") if cert is not None else None,
        signing_time_claimed=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts is not None else None,
        timestamp_valid=bool(ts.intact and ts.valid and ts.trusted) if ts is not None else None,
        trusted=trusted,
        revoked=revoked,
        coverage=coverage,
        modification_level=level,
        # Later signatures and validation data (FORM_FILLING, LTA_UPDATES) are what an archive adds; pages,
        # annotations or content are not.
        modified_after_signing=modified and level in ("ANNOTATIONS", "OTHER"),
        long_term_data=has_dss,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest() if cert is not None else None,
    )


def _broken(name: str, reason: str, sig: Any, has_dss: bool) -> SignatureReport:
    return SignatureReport(
        field_name=name,
        indication=FAILED,
        sub_indication="FORMAT_FAILURE",
        reason=reason,
        intact=False,
        valid=False,
        signer=None,
        certificate_serial=None,
        signing_time_claimed=None,
        timestamp_time=None,
        timestamp_valid=None,
        trusted=False,
        revoked=False,
        coverage=None,
        modification_level=None,
        modified_after_signing=False,
        long_term_data=has_dss,
    )


def _has_dss(sig: Any) -> bool:
    try:
        return "/DSS" in sig.reader.root
    except Exception:
        return False

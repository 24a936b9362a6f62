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
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
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
    level: str | None = None  # the PAdES baseline level the file holds for it: B-B, B-T, B-LT, B-LTA
    proven_at: datetime | None = None  # (`validate_at`) the earliest time the evidence proves it existed

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("signing_time_claimed", "timestamp_time", "proven_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass(frozen=True)
class TimestampReport:
    """A document timestamp (PAdES B-LTA): when it proves the document's bytes existed, and whether it holds."""

    field_name: str
    time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    tsa: str | None
    reason: str

    @property
    def passed(self) -> bool:
        return self.intact and self.valid and self.trusted

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = self.time.isoformat() if self.time is not None else None
        return data


@dataclass(frozen=True)
class ValidationReport:
    indication: str
    sub_indication: str | None
    reason: str
    signatures: tuple[SignatureReport, ...]
    document_timestamps: tuple[TimestampReport, ...] = ()

    @property
    def passed(self) -> bool:
        return self.indication == PASSED

    def as_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "reason": self.reason,
            "signatures": [s.as_dict() for s in self.signatures],
            "document_timestamps": [t.as_dict() for t in self.document_timestamps],
        }


def validate_pdf(pdf: bytes, trust_roots: Sequence[bytes], *, allow_fetching: bool = False) -> ValidationReport:
    """Validate every signature; the document passes only when each of them does."""
    opened = _open(pdf)
    if isinstance(opened, ValidationReport):
        return opened
    embedded, stamps, levels = opened
    now = datetime.now(UTC)  # as of now: the evidence that carries each signature must still be valid
    checked = [replace(_validate_one(sig, trust_roots, allow_fetching), level=levels.get(str(sig.field_name)))
               for sig in embedded]  # fmt: skip
    reports = tuple(_carried_to(report, sig, stamps, now) for report, sig in zip(checked, embedded, strict=True))
    timestamps = tuple(_validate_stamp(stamp, trust_roots, allow_fetching) for stamp in stamps)
    worst = min(reports, key=lambda r: {FAILED: 0, INDETERMINATE: 1, PASSED: 2}[r.indication])
    if worst.indication != PASSED:
        return ValidationReport(
            worst.indication,
            worst.sub_indication,
            f"signature {worst.field_name!r}: {worst.reason}",
            reports,
            timestamps,
        )
    broken = next((t for t in timestamps if not t.passed), None)
    if broken is not None:
        return ValidationReport(
            INDETERMINATE, "TIMESTAMP_ORDER_FAILURE", f"document timestamp {broken.field_name!r}: {broken.reason}",
            reports, timestamps,
        )  # fmt: skip
    return ValidationReport(PASSED, None, f"{len(reports)} signature(s), all valid", reports, timestamps)


def validate_at(pdf: bytes, trust_roots: Sequence[bytes], at: datetime) -> ValidationReport:
    """Every signature validated as of `at` (a past date or one years ahead), from what the file itself
    holds and without fetching anything: ETSI EN 319 102-1 long-term validation (pyHanko's AdES LTA), in
    which the chain of document timestamps carries the proof past the certificates' expiry. A B-LTA
    volume whose chain is intact at `at` is PASSED although its signer's certificate has expired; a
    signature with nothing to prove it existed before its certificate expired is INDETERMINATE."""
    opened = _open(pdf)
    if isinstance(opened, ValidationReport):
        return opened
    embedded, stamps, levels = opened
    reports = tuple(
        _carried_to(_ades_one(sig, trust_roots, at, levels.get(str(sig.field_name))), sig, stamps, at)
        for sig in embedded
    )
    worst = min(reports, key=lambda r: {FAILED: 0, INDETERMINATE: 1, PASSED: 2}[r.indication])
    if worst.indication == PASSED:
        return ValidationReport(PASSED, None, f"{len(reports)} signature(s), all valid on {at:%Y-%m-%d}", reports)
    return ValidationReport(
        worst.indication, worst.sub_indication, f"signature {worst.field_name!r}: {worst.reason}", reports
    )


def _carried_to(report: SignatureReport, sig: Any, stamps: Sequence[Any], at: datetime) -> SignatureReport:
    """A PASSED signature stays PASSED only if the evidence that carries it to `at` is itself valid then:
    the newest document timestamp later than the signature (B-LTA), else its signature timestamp (B-T,
    B-LT), else the signer's own certificate (B-B). pyHanko's AdES LTA result alone passes a chain whose
    newest TSA certificate has expired by `at` (measured on a renewed test volume at 2030-06-01)."""
    if report.indication != PASSED:
        return report
    later = [stamp for stamp in stamps if stamp.signed_revision > sig.signed_revision]
    try:
        if later:
            what, cert = "the newest document timestamp's TSA certificate", later[-1].signer_cert
        elif report.timestamp_time is not None:
            token = next(a["values"][0] for a in sig.signer_info["unsigned_attrs"]
                         if a["type"].native == "signature_time_stamp_token")  # fmt: skip
            what, cert = "the signature timestamp's TSA certificate", _token_signer(token)
        else:
            what, cert = "the signer's certificate", sig.signer_cert
        expires = cert["tbs_certificate"]["validity"]["not_after"].native
    except Exception as exc:
        return replace(report, indication=INDETERMINATE, sub_indication="FORMAT_FAILURE",
                       reason=f"the evidence cannot be read: {first_line(exc)}")  # fmt: skip
    if expires < at:
        return replace(report, indication=INDETERMINATE, sub_indication="OUT_OF_BOUNDS_NO_POE",
                       reason=f"{what} expired on {expires:%Y-%m-%d}: nothing proves the signature after that "
                              "(a document timestamp by a newer TSA, `archiver renew`, carries it on)")  # fmt: skip
    return report


def _token_signer(token: Any) -> Any:
    signed = token["content"]
    sid = signed["signer_infos"][0]["sid"].chosen
    for choice in signed["certificates"]:
        cert = choice.chosen
        if cert.issuer == sid["issuer"] and cert.serial_number == sid["serial_number"].native:
            return cert
    raise ValueError("the timestamp token does not carry its TSA's certificate")


def _ades_one(sig: Any, roots: Sequence[bytes], at: datetime, level: str | None) -> SignatureReport:
    import asyncio

    from pyhanko.sign.ades.report import AdESStatus
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy, FreshnessReqType
    from pyhanko_certvalidator.registry import SimpleTrustManager

    from signing.trust import load_roots

    name = str(sig.field_name)
    has_dss = _has_dss(sig)
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=load_roots(roots)),
        revinfo_policy=CertRevTrustPolicy(
            REQUIRE_REVINFO, freshness=None, freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION
        ),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    try:
        result = asyncio.run(
            ades_lta_validation(sig, spec, ValidationTimingInfo(at, at, point_in_time_validation=True))
        )
    except Exception as exc:
        return replace(_broken(name, f"the signature cannot be checked: {first_line(exc)}", sig, has_dss), level=level)
    status = result.api_status
    indication = {AdESStatus.PASSED: PASSED, AdESStatus.INDETERMINATE: INDETERMINATE}.get(
        result.ades_subindic.status, FAILED
    )
    sub = None if indication == PASSED else result.ades_subindic.standard_name
    reason = "valid" if indication == PASSED else (result.failure_msg or sub or "not valid")
    proven = result.oldest_evidence_record_timestamp or getattr(result, "best_signature_time", None)
    base = _from_status(name, status, has_dss) if status is not None else _broken(name, reason, sig, has_dss)
    return replace(base, indication=indication, sub_indication=sub, reason=first_line(Exception(reason)),
                   level=level, proven_at=proven)  # fmt: skip


def _open(pdf: bytes) -> tuple[list[Any], list[Any], dict[str, str]] | ValidationReport:
    """The signatures, the document timestamps and each signature's level; a FAILED report for a file
    without signatures."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        stamps = list(reader.embedded_timestamp_signatures)
    except Exception as exc:
        return _failed_file("FORMAT_FAILURE", f"not a readable PDF: {first_line(exc)}")
    if not embedded:
        return _failed_file(NO_SIGNATURE, "the document has no signatures")
    return embedded, stamps, _levels(reader, embedded, stamps)


def signature_levels(pdf: bytes) -> dict[str, str]:
    """Each signature field's PAdES baseline level as the file holds it (B-B, B-T, B-LT, B-LTA); {} for a
    file that cannot be read. What the file carries, not whether it validates (`validate_pdf` says that)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        return _levels(reader, list(reader.embedded_regular_signatures), list(reader.embedded_timestamp_signatures))
    except Exception:
        return {}


def _levels(reader: Any, signatures: Sequence[Any], stamps: Sequence[Any]) -> dict[str, str]:
    """B-T: a signature timestamp; B-LT: and revocation data for it in the DSS; B-LTA: and a document
    timestamp over a later revision (the one that added the DSS)."""
    from asn1crypto.core import Void

    vri, any_revocation = _dss_revocation(reader)
    levels: dict[str, str] = {}
    for sig in signatures:
        level = "B-B"
        unsigned = sig.signer_info["unsigned_attrs"]  # (`.native` would parse every token: seconds)
        has_timestamp = not isinstance(unsigned, Void) and any(
            attr["type"].native == "signature_time_stamp_token" for attr in unsigned
        )
        if has_timestamp:
            level = "B-T"
            key = hashlib.sha1(sig.pkcs7_content).hexdigest().upper()
            if vri.get(key, any_revocation if not vri else False):
                level = "B-LT"
                if any(stamp.signed_revision > sig.signed_revision for stamp in stamps):
                    level = "B-LTA"
        levels[str(sig.field_name)] = level
    return levels


def _dss_revocation(reader: Any) -> tuple[dict[str, bool], bool]:
    """Per signature (the DSS's VRI keys: SHA-1 of the signature's contents, upper-case hex), whether
    revocation data is recorded for it; and whether the DSS holds any revocation data at all."""
    try:
        dss = reader.root["/DSS"]
    except Exception:
        return {}, False
    any_revocation = bool(len(dss.get("/CRLs", ())) or len(dss.get("/OCSPs", ())))
    vri: dict[str, bool] = {}
    for key, entry in dict(dss.get("/VRI", {})).items():
        entry = entry.get_object()
        vri[str(key).lstrip("/").upper()] = bool(len(entry.get("/CRL", ())) or len(entry.get("/OCSP", ())))
    return vri, any_revocation


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


def _validate_stamp(stamp: Any, roots: Sequence[bytes], allow_fetching: bool) -> TimestampReport:
    from pyhanko.sign.validation import validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from signing.trust import load_roots, validation_context

    name = str(stamp.field_name)
    try:
        if _has_dss(stamp) and not allow_fetching:
            dss = DocumentSecurityStore.read_dss(stamp.reader)
            context = dss.as_validation_context(
                {"trust_roots": load_roots(roots), "allow_fetching": False, "revocation_mode": "soft-fail"}
            )
        else:
            context = validation_context(roots, allow_fetching=allow_fetching)
        # No modification analysis: what follows a document timestamp is judged by the signatures' own.
        status = validate_pdf_timestamp(stamp, validation_context=context, skip_diff=True)
    except Exception as exc:
        return TimestampReport(name, None, False, False, False, None, f"cannot be checked: {first_line(exc)}")
    cert = status.signing_cert
    tsa = str(cert.subject.native.get("common_name")) if cert is not None else None
    intact, valid, trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
    reason = (
        "valid" if intact and valid and trusted
        else "the timestamped bytes were changed" if not intact
        else "the timestamp's signature does not verify" if not valid
        else "the TSA's certificate does not chain to a trusted root"
    )  # fmt: skip
    return TimestampReport(name, status.timestamp, intact, valid, trusted, tsa, reason)


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

"""Signing and validation on real PDFs with a real test PKI, TSA, OCSP responder and CRLs on loopback."""

from __future__ import annotations

import ast
import io
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509

from archiver.documents.volumes import class_year_volume
from archiver.ingest.model import build_export
from archiver.rendering.marks import mark_pdf, signature_box_points
from archiver.rendering.pdfa import variant
from archiver.rendering.volume import render_volume
from signing import (
    KeySigner,
    LongTerm,
    SignatureRequest,
    TimestampSource,
    load_pem,
    load_pkcs12,
    sign_pdf,
    signature_levels,
    validate_pdf,
)
from signing.errors import KeyError_, SigningError
from signing.pki import TestPki, build_test_pki
from tests.pdfcheck import preflight, reader, resolve, xmp_text

SMALL = Path(__file__).parent / "data" / "small_school.json"
PASS = b"test-passphrase"


@dataclass
class Services:
    pki: TestPki
    url: str

    @property
    def root(self) -> bytes:
        return self.pki.cert_der("root")

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/archiver-test/tsa/tsa"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    from werkzeug.serving import make_server

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    pki = build_test_pki(tmp_path_factory.mktemp("keys"), url, datetime.now(UTC), ocsp=True)
    server = make_server("127.0.0.1", port, pki.wsgi_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Services(pki, url)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def volumes() -> dict[str, bytes]:
    export = build_export(json.loads(SMALL.read_text(encoding="utf-8")))
    volume = class_year_volume(export, export.classes[0])
    return {name: render_volume(volume, variant(name)).pdf for name in ("1b", "3b")}


def _key(services: Services, label: str) -> KeySigner:
    return load_pkcs12(services.pki.pkcs12(label, PASS), PASS)


def _seal(pdf: bytes, services: Services, **kwargs: Any) -> bytes:
    return sign_pdf(pdf, _key(services, "eseal"), SignatureRequest("eseal", reason="Электронная печать", **kwargs))


def _director(pdf: bytes, services: Services, label: str = "director", **kwargs: Any) -> bytes:
    key = _key(services, label)
    cert = key.certificate
    validity = cert["tbs_certificate"]["validity"]
    appearance = mark_pdf(
        key.serial_hex,
        key.common_name,
        validity["not_before"].native,
        validity["not_after"].native,
        datetime.now(UTC),
        variant("1b"),
    )
    request = SignatureRequest(
        "director", reason="Утверждаю", box=signature_box_points(), appearance_pdf=appearance, **kwargs
    )
    return sign_pdf(pdf, key, request)


# -- signing and the reports --------------------------------------------------------------------------


def test_seal_validates_against_the_test_root(volumes: dict[str, bytes], services: Services) -> None:
    signed = _seal(volumes["3b"], services)
    report = validate_pdf(signed, [services.root])
    assert report.indication == "PASSED", report
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.trusted and sig.coverage == "ENTIRE_FILE"
    assert sig.signer == "Электронная печать школы (ТЕСТ)" and sig.certificate_serial
    assert sig.signing_time_claimed is not None and not sig.modified_after_signing


def test_untrusted_root_is_indeterminate(volumes: dict[str, bytes], services: Services, tmp_path: Path) -> None:
    other = build_test_pki(tmp_path / "other-keys", services.url, datetime.now(UTC))
    signed = _seal(volumes["3b"], services)
    report = validate_pdf(signed, [other.cert_der("root")])
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")


@pytest.fixture(scope="module")
def signed_1b(volumes: dict[str, bytes], services: Services) -> bytes:
    """The PDF/A-1b volume with the e-seal, then the director's signature and its visible mark."""
    return _director(_seal(volumes["1b"], services), services)


def test_seal_and_director_both_pass(signed_1b: bytes, services: Services) -> None:
    report = validate_pdf(signed_1b, [services.root])
    assert report.indication == "PASSED", report
    assert [s.field_name for s in report.signatures] == ["eseal", "director"]
    assert all(s.indication == "PASSED" for s in report.signatures)
    seal = report.signatures[0]
    assert seal.coverage != "ENTIRE_FILE" and not seal.modified_after_signing  # a later signature is allowed
    widget = next(
        a.get_object() for a in resolve(reader(signed_1b).pages[0]["/Annots"]) if a.get_object()["/T"] == "director"
    )  # the mark is a form XObject of the widget: its text is checked in test_mark_carries_the_gost_wording
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert (round(x1), round(y1), round(x2), round(y2)) == signature_box_points()


@pytest.mark.external
def test_pdfa_1b_survives_both_signatures(signed_1b: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_1b)
    result = preflight(path)
    assert result.returncode == 0, result.stdout


def test_signed_pdfa_3b_keeps_identification_intent_and_source(volumes: dict[str, bytes], services: Services) -> None:
    signed = _director(_seal(volumes["3b"], services), services)
    assert "<pdfaid:part>3</pdfaid:part>" in xmp_text(signed)
    document = reader(signed)
    assert resolve(document.root_object["/OutputIntents"])[0].get_object()["/S"] == "/GTS_PDFA1"
    assert list(document.attachments) == ["2025-2026-c-5a-journal.json"]
    info = document.metadata
    assert info is not None and "pyHanko" not in str(info.get("/Producer"))


def test_mark_carries_the_gost_wording() -> None:
    pdf = mark_pdf("1A2B", "Директор школы (ТЕСТ)", datetime(2026, 1, 1), datetime(2029, 1, 1),
                   datetime(2026, 6, 20, 12, 0, tzinfo=UTC), variant("1b"))  # fmt: skip
    text = " ".join(reader(pdf).pages[0].extract_text().split())
    assert "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" in text
    assert "Сертификат: 1A2B" in text and "Владелец: Директор школы (ТЕСТ)" in text
    assert "Действителен с 01.01.2026 по 01.01.2029" in text
    assert "Подписан: 20.06.2026 15:00 (МСК)" in text  # 12:00 UTC in the school's zone, Moscow by default
    yekaterinburg = mark_pdf("1A2B", "Д", datetime(2026, 1, 1), datetime(2029, 1, 1),
                             datetime(2026, 6, 20, 12, 0, tzinfo=UTC), variant("1b"), "Asia/Yekaterinburg")  # fmt: skip
    assert "Подписан: 20.06.2026 17:00 (UTC+5)" in " ".join(reader(yekaterinburg).pages[0].extract_text().split())


# -- damage and tampering ----------------------------------------------------------------------------------


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_flipped_bytes_fail_with_the_right_reason(volumes: dict[str, bytes], services: Services) -> None:
    signed = _seal(volumes["3b"], services)
    original = volumes["3b"]
    page_stream = original.index(b"stream", len(original) // 2) + 40
    in_page = validate_pdf(_flip(signed, page_stream), [services.root])
    assert (in_page.indication, in_page.sub_indication) == ("FAILED", "HASH_FAILURE"), in_page
    in_meta = validate_pdf(_flip(signed, signed.index(b"<pdfaid:part>") + 2), [services.root])
    assert (in_meta.indication, in_meta.sub_indication) == ("FAILED", "HASH_FAILURE"), in_meta
    start = signed.index(b"/Contents <", len(original)) + len(b"/Contents <")
    end = signed.index(b">", start)
    contents = len(signed[:end].rstrip(b"0")) - 12  # in the signature value, at the end of the CMS
    digit = b"1" if signed[contents : contents + 1] != b"1" else b"2"
    in_signature = validate_pdf(signed[:contents] + digit + signed[contents + 1 :], [services.root])
    assert in_signature.indication == "FAILED", in_signature
    assert in_signature.sub_indication in ("SIG_CRYPTO_FAILURE", "FORMAT_FAILURE", "HASH_FAILURE")


def test_garbage_is_a_failed_report_not_an_exception(volumes: dict[str, bytes], services: Services) -> None:
    signed = _seal(volumes["3b"], services)
    for data in (signed[: len(signed) // 2], b"not a pdf at all", b"", volumes["3b"]):
        report = validate_pdf(data, [services.root])
        assert report.indication == "FAILED" and report.reason, data[:20]
    assert validate_pdf(volumes["3b"], [services.root]).sub_indication == "NO_SIGNATURE_FOUND"


def _append(signed: bytes, change: str) -> bytes:
    """An incremental update appended after the signature, as a forger with pypdf would write it."""
    from pypdf import PdfWriter
    from pypdf.annotations import FreeText

    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    if change == "page":
        writer.add_blank_page(595, 842)
    else:
        writer.add_annotation(page_number=1, annotation=FreeText(text="исправлено", rect=(50, 50, 200, 80)))
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(signed[:1000])
    return out.getvalue()


def test_added_page_after_signing_is_reported(volumes: dict[str, bytes], services: Services) -> None:
    signed = _seal(volumes["3b"], services)
    report = validate_pdf(_append(signed, "page"), [services.root])
    (sig,) = report.signatures
    assert sig.intact and sig.modified_after_signing and sig.coverage != "ENTIRE_FILE"
    assert (report.indication, report.sub_indication) == ("FAILED", "MODIFIED_AFTER_SIGNING"), report


def test_annotation_added_after_signing_is_reported(volumes: dict[str, bytes], services: Services) -> None:
    signed = _seal(volumes["3b"], services)
    (sig,) = validate_pdf(_append(signed, "annotation"), [services.root]).signatures
    assert sig.intact and sig.modified_after_signing
    assert sig.modification_level in ("ANNOTATIONS", "OTHER")


# -- timestamps, revocation, long-term data --------------------------------------------------------------


def test_timestamped_long_term_signature_validates_offline(volumes: dict[str, bytes], services: Services) -> None:
    """B-LTA with a TSA and OCSP fetched over HTTP (a real PKI's way)."""
    long_term = LongTerm(TimestampSource(url=services.tsa_url), (services.root,), fetch=True)
    signed = _seal(volumes["3b"], services, long_term=long_term)
    assert b"/DSS" in signed and signature_levels(signed) == {"eseal": "B-LTA"}
    online = validate_pdf(signed, [services.root], allow_fetching=True)
    assert online.indication == "PASSED", online
    offline = validate_pdf(signed, [services.root], allow_fetching=False)
    assert offline.indication == "PASSED", offline
    (sig,) = offline.signatures
    assert sig.long_term_data and sig.timestamp_valid and sig.timestamp_time is not None
    assert sig.level == "B-LTA"
    (stamp,) = offline.document_timestamps
    assert stamp.passed and stamp.tsa == "Служба штампов времени (ТЕСТ)" and stamp.time is not None


def _local(services: Services, crls: tuple[bytes, ...], **kwargs: Any) -> LongTerm:
    """B-LTA the way `archiver init` sets it up: a local time-stamping key and the root's CRL, no network."""
    return LongTerm(TimestampSource(local=_key(services, "tsa")), (services.root,), crls, **kwargs)


def test_local_time_stamper_and_crl_make_b_lta_without_a_network(volumes: dict[str, bytes], services: Services) -> None:
    long_term = _local(services, (services.pki.crl_der(),))
    signed = _director(_seal(volumes["3b"], services, long_term=long_term), services, long_term=long_term)
    assert signature_levels(signed) == {"eseal": "B-LTA", "director": "B-LTA"}
    report = validate_pdf(signed, [services.root])
    assert report.indication == "PASSED", report
    assert [s.level for s in report.signatures] == ["B-LTA", "B-LTA"]
    assert len(report.document_timestamps) == 2 and all(t.passed for t in report.document_timestamps)
    for sig in report.signatures:  # the signature timestamp is the local TSA's, after the claimed signing time
        assert sig.timestamp_valid and sig.timestamp_time is not None and sig.signing_time_claimed is not None
        assert abs((sig.timestamp_time - sig.signing_time_claimed).total_seconds()) < 60


def test_no_revocation_data_refuses_to_sign_unless_allowed(volumes: dict[str, bytes], services: Services) -> None:
    with pytest.raises(SigningError, match="revocation"):
        _seal(volumes["3b"], services, long_term=_local(services, ()))
    signed = _seal(volumes["3b"], services, long_term=_local(services, (), require_revocation=False))
    assert signature_levels(signed) == {"eseal": "B-T"}  # timestamped, but without the revocation data of B-LT
    with pytest.raises(SigningError, match="CRL"):
        _seal(volumes["3b"], services, long_term=_local(services, (b"not a CRL",)))


def test_revoked_director_fails(volumes: dict[str, bytes], services: Services) -> None:
    signed = _director(volumes["3b"], services, label="director-revoked")
    report = validate_pdf(signed, [services.root], allow_fetching=True)
    assert (report.indication, report.sub_indication) == ("FAILED", "REVOKED"), report


# -- keys ---------------------------------------------------------------------------------------------------


def test_wrong_passphrase_is_a_clear_error(services: Services) -> None:
    with pytest.raises(KeyError_, match="PKCS#12"):
        load_pkcs12(services.pki.pkcs12("eseal", PASS), b"wrong")
    with pytest.raises(KeyError_):
        load_pkcs12(b"garbage", PASS)


def test_pem_key_and_chain(volumes: dict[str, bytes], services: Services, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(services.pki.pkcs12("eseal", PASS), PASS)
    assert key is not None and cert is not None
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(PASS))  # fmt: skip
    signer = load_pem(pem_key, cert.public_bytes(serialization.Encoding.PEM), [services.root], passphrase=PASS)
    signed = sign_pdf(volumes["3b"], signer, SignatureRequest("eseal"))
    assert validate_pdf(signed, [services.root]).indication == "PASSED"


def test_test_certificates_say_they_are_for_tests(services: Services) -> None:
    for label in ("root", "eseal", "director", "tsa"):
        cert = x509.Certificate.load(services.pki.cert_der(label))
        subject = cert.subject.human_friendly
        assert "ТЕСТ" in subject, subject


def test_signing_never_imports_archiver() -> None:
    for path in (Path(__file__).parent.parent / "signing").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            assert not any(n == "archiver" or n.startswith("archiver.") for n in names), path


# -- other key sources and signers ---------------------------------------------------------------------


class _DigestOnlyTool:
    """Stands in for an external (GOST) signing tool: it sees only the digest and returns a CMS blob."""

    def __init__(self, key: object) -> None:
        self._key = key
        self.signature_size = 16_384
        self.digests: list[bytes] = []

    def certificate(self) -> bytes:
        der: bytes = self._key.certificate.dump()  # type: ignore[attr-defined]
        return der

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        self.digests.append(digest)
        import asyncio

        signer = self._key.signer  # type: ignore[attr-defined]
        content_info = asyncio.run(signer.async_sign(data_digest=digest, digest_algorithm=digest_algorithm,
                                                     use_pades=True))  # fmt: skip
        der: bytes = content_info.dump()
        return der


def test_external_signer_gets_a_digest_and_returns_cms(volumes: dict[str, bytes], services: Services) -> None:
    from signing import sign_pdf_external

    tool = _DigestOnlyTool(_key(services, "director"))
    signed = sign_pdf_external(volumes["3b"], tool, SignatureRequest("director"))
    assert len(tool.digests) == 1 and len(tool.digests[0]) == 32
    report = validate_pdf(signed, [services.root])
    assert report.indication == "PASSED", report
    assert report.signatures[0].signer == "Директор школы (ТЕСТ)"


@pytest.mark.external
def test_pkcs11_token(
    volumes: dict[str, bytes], services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key on a real software token (SoftHSM2), as a school's smart card or HSM would hold it."""
    import shutil
    import subprocess

    from signing import load_pkcs11

    library = "/usr/lib/softhsm/libsofthsm2.so"
    if shutil.which("softhsm2-util") is None or not Path(library).exists():
        raise RuntimeError("SoftHSM2 is not installed: run ./install.sh (Debian softhsm2)")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "archiver", "--pin", "1234",
                    "--so-pin", "123456"], check=True, capture_output=True)  # fmt: skip
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(services.pki.pkcs12("director", PASS), PASS)
    assert key is not None and cert is not None
    key_file = tmp_path / "director.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    subprocess.run(["softhsm2-util", "--import", str(key_file), "--token", "archiver", "--label", "director",
                    "--id", "01", "--pin", "1234"], check=True, capture_output=True)  # fmt: skip
    key_file.unlink()
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    token = pkcs11.lib(library).get_token(token_label="archiver")
    with token.open(rw=True, user_pin="1234") as session:
        der = cert.public_bytes(serialization.Encoding.DER)
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: "director",
            Attribute.ID: b"\x01",
            Attribute.VALUE: der,
            Attribute.SUBJECT: x509.Certificate.load(der).subject.dump(),
        })  # fmt: skip
    signer = load_pkcs11(library, "archiver", "director", b"1234")
    signed = sign_pdf(volumes["3b"], signer, SignatureRequest("director"))
    report = validate_pdf(signed, [services.root])
    assert report.indication == "PASSED", report
    with pytest.raises(KeyError_, match="PKCS#11"):
        load_pkcs11(library, "archiver", "director", b"0000")


def test_a_definite_length_ending_in_0x80_is_not_re_encoded() -> None:
    """asn1crypto took a 384-byte length (82 01 80) for an indefinite one and re-encoded what it had parsed
    (signing/asn1fix.py): slow, and it changed bytes that are not strict DER (here BOOLEAN 01 became FF),
    which breaks a signature over them."""
    from asn1crypto import core

    import signing  # noqa: F401 (applies the fix)

    class Flagged(core.Sequence):  # type: ignore[misc]
        _fields = [("flag", core.Boolean), ("pad", core.OctetString)]

    data = b"\x30\x82\x01\x80" + b"\x01\x01\x01" + b"\x04\x82\x01\x79" + bytes(377)  # BER TRUE, padding
    assert len(data) == 4 + 384
    assert Flagged.load(data).dump() == data
    outer = core.SequenceOf(spec=Flagged)
    outer.append(Flagged.load(data))
    assert outer.dump().endswith(data)


def test_a_renewed_volume_is_proven_after_every_first_certificate_has_expired(
    volumes: dict[str, bytes], services: Services, tmp_path: Path
) -> None:
    """The e-seal, the director and the first TSA expire in three years; a document timestamp by a TSA
    whose certificate lasts ten carries the proof past that, validated offline as of a later date."""
    from datetime import timedelta

    from signing import validate_at
    from signing.renew import renew_pdf, timestamp_chain

    first = _local(services, (services.pki.crl_der(),))
    signed = _director(_seal(volumes["3b"], services, long_term=first), services, long_term=first)
    bare = _seal(volumes["3b"], services)
    later = build_test_pki(tmp_path / "next", services.url, datetime.now(UTC), generation="2", leaf_days=3650)
    roots = (services.root, later.cert_der("root"))
    tsa = load_pkcs12(later.pkcs12("tsa", PASS), PASS)
    renewed = renew_pdf(signed, LongTerm(TimestampSource(local=tsa), roots, (services.pki.crl_der(), later.crl_der())))
    assert timestamp_chain(renewed).count == timestamp_chain(signed).count + 1
    assert timestamp_chain(renewed).expires == tsa.certificate["tbs_certificate"]["validity"]["not_after"].native

    now = validate_at(renewed, roots, datetime.now(UTC))
    assert now.indication == "PASSED", now
    after = datetime.now(UTC) + timedelta(days=3 * 365 + 30)  # every certificate of the first PKI has expired
    proven = validate_at(renewed, roots, after)
    assert proven.indication == "PASSED", proven
    for sig in proven.signatures:  # proven to have existed when they were made
        assert sig.proven_at is not None and sig.proven_at < datetime.now(UTC) + timedelta(minutes=1)
    unrenewed = validate_at(signed, roots, after)
    assert unrenewed.indication == "INDETERMINATE" and "expired" in unrenewed.reason, unrenewed
    bare_late = validate_at(bare, roots, after)
    assert bare_late.indication == "INDETERMINATE", bare_late  # B-B: nothing proves it after its certificate
    assert bare_late.signatures[0].level == "B-B"

"""Key sources: a PKCS#12 file, a PEM key with its certificate chain, a PKCS#11 token.

A `KeySigner` holds a pyHanko signer and the certificates that go with it. Passphrases and PINs are
taken as bytes from the caller (prompt, file or environment) and are never stored or logged here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509
from pyhanko.sign import signers

from signing.errors import KeyError_, first_line


@dataclass(frozen=True)
class KeySigner:
    """A signing key and its certificate chain, ready for pyHanko."""

    signer: Any  # pyhanko.sign.signers.Signer
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def subject(self) -> str:
        return str(self.certificate.subject.human_friendly)

    @property
    def common_name(self) -> str:
        return str(self.certificate.subject.native.get("common_name", self.subject))

    @property
    def certificate_sha256(self) -> str:
        """SHA-256 of the certificate (DER): the fingerprint the archive binds signers by."""
        return hashlib.sha256(self.certificate.dump()).hexdigest()

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "X")


def load_pkcs12(data: bytes, passphrase: bytes | None) -> KeySigner:
    """A PKCS#12 (.p12, .pfx) file's key, certificate and chain."""
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except Exception as exc:  # pyHanko raises assorted errors for a wrong passphrase or a broken file
        raise KeyError_(f"the PKCS#12 file cannot be opened: {first_line(exc, 200)}") from None
    if signer is None or signer.signing_cert is None:
        raise KeyError_("the PKCS#12 file cannot be opened: wrong passphrase or no key in it")
    return _key_signer(signer)


def load_pem(key: bytes, certificate: bytes, chain: Sequence[bytes] = (), passphrase: bytes | None = None) -> KeySigner:
    """A PEM (or DER) private key with its certificate and the CA certificates above it."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data

    try:
        private = load_private_key_from_pemder_data(key, passphrase=passphrase)
        cert = _load_cert(certificate, load_certs_from_pemder_data)
        others = [c for blob in chain for c in load_certs_from_pemder_data(blob)]
    except Exception as exc:
        raise KeyError_(f"the PEM key or certificate cannot be read: {first_line(exc, 200)}") from None
    signer = signers.SimpleSigner(signing_key=private, signing_cert=cert, cert_registry=_registry(others))
    return _key_signer(signer)


def load_pkcs11(library: str, token_label: str, key_label: str, pin: bytes | None) -> KeySigner:
    """A key on a PKCS#11 token (a smart card, an HSM, SoftHSM in the tests)."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as p11

    try:
        session = p11.open_pkcs11_session(
            library,
            token_criteria=TokenCriteria(label=token_label),
            user_pin=pin.decode("utf-8") if pin is not None else None,
        )
        # Hash here and ask the token for the raw signature: tokens differ in which combined
        # hash-and-sign mechanisms they offer (SoftHSM has no CKM_ECDSA_SHA256), all have the raw ones.
        signer = p11.PKCS11Signer(session, key_label=key_label, cert_label=key_label, use_raw_mechanism=True)
        cert = signer.signing_cert
    except Exception as exc:
        raise KeyError_(f"the PKCS#11 token {token_label!r} cannot be used: {first_line(exc, 200)}") from None
    if cert is None:
        raise KeyError_(f"no certificate labelled {key_label!r} on the token {token_label!r}")
    return _key_signer(signer)


def _load_cert(data: bytes, loader: Any) -> x509.Certificate:
    certs = list(loader(data))
    if not certs:
        raise ValueError("no certificate found")
    cert: x509.Certificate = certs[0]
    return cert


def _registry(certs: Sequence[x509.Certificate]) -> Any:
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return SimpleCertificateStore.from_certs(certs)  # type: ignore[no-untyped-call]


def _key_signer(signer: Any) -> KeySigner:
    cert = signer.signing_cert
    chain = tuple(c for c in signer.cert_registry if c.dump() != cert.dump())
    return KeySigner(signer=signer, certificate=cert, chain=chain)

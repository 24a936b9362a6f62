"""Validation contexts: which roots are trusted, whether revocation data may be fetched."""

from __future__ import annotations

from collections.abc import Sequence

from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext


def load_roots(roots: Sequence[bytes]) -> list[x509.Certificate]:
    """Trust anchors from DER or PEM bytes."""
    from pyhanko.keys import load_certs_from_pemder_data

    certs: list[x509.Certificate] = []
    for blob in roots:
        certs.extend(load_certs_from_pemder_data(blob))
    return certs


def validation_context(roots: Sequence[bytes], *, allow_fetching: bool) -> ValidationContext:
    """Trust exactly `roots`; fetch OCSP and CRLs over the network only when allowed."""
    return ValidationContext(
        trust_roots=load_roots(roots),
        allow_fetching=allow_fetching,
        revocation_mode="soft-fail" if not allow_fetching else "hard-fail",
    )

"""Detached CMS signatures over plain bytes: how the archive seals a case's manifest of digests."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms

from signing.errors import SigningError, first_line
from signing.keys import KeySigner
from signing.trust import validation_context


@dataclass(frozen=True)
class SealCheck:
    ok: bool
    reason: str
    signer: str | None
    certificate_sha256: str | None = None  # of the sealing certificate (DER)


def seal_bytes(data: bytes, key: KeySigner) -> bytes:
    """A detached CAdES signature (DER) over `data`."""
    try:
        info = asyncio.run(key.signer.async_sign_general_data(data, "sha256", detached=True, use_cades=True))
    except Exception as exc:
        raise SigningError(f"sealing failed: {first_line(exc)}") from None
    der: bytes = info.dump()
    return der


def check_seal(data: bytes, signature: bytes, trust_roots: Sequence[bytes]) -> SealCheck:
    """Whether `signature` is a valid seal of exactly `data` by a key that chains to `trust_roots`."""
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        info = cms.ContentInfo.load(signature)
        signed_data = info["content"]
        status = asyncio.run(
            async_validate_detached_cms(data, signed_data, validation_context(trust_roots, allow_fetching=False))
        )
    except Exception as exc:
        return SealCheck(False, f"the seal cannot be read: {first_line(exc)}", None)
    cert = status.signing_cert
    signer = cert.subject.native.get("common_name") if cert is not None else None
    fingerprint = hashlib.sha256(cert.dump()).hexdigest() if cert is not None else None
    if not status.intact:
        return SealCheck(False, "the sealed data was changed", signer)
    if not status.valid:
        return SealCheck(False, "the seal's signature does not verify", signer)
    if not status.trusted:
        return SealCheck(False, "the seal's certificate does not chain to a trusted root", signer)
    return SealCheck(True, "intact", signer, fingerprint)

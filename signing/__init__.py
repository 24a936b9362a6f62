"""Signing and signature validation over bytes: PAdES with pyHanko, reports as data.

This package never imports `archiver`: it takes PDF bytes, keys and settings, and returns PDF bytes and
frozen reports, so it can be tested, reused and replaced (a GOST signer) on its own.
"""

import warnings

# cryptography 46+ deprecates DSA, and pyHanko imports its key class to recognise such keys; no DSA key
# is ever used here, and the warning would be printed before every command's output.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko(\.|$)")

from signing.keys import KeySigner, load_pem, load_pkcs11, load_pkcs12  # noqa: E402 (after the filter)
from signing.sign import ExternalCmsSigner, SignatureRequest, sign_pdf, sign_pdf_external  # noqa: E402 (after the filter)
from signing.validate import SignatureReport, ValidationReport, validate_pdf  # noqa: E402 (after the filter)

__all__ = [
    "ExternalCmsSigner",
    "KeySigner",
    "SignatureReport",
    "SignatureRequest",
    "ValidationReport",
    "load_pem",
    "load_pkcs11",
    "load_pkcs12",
    "sign_pdf",
    "sign_pdf_external",
    "validate_pdf",
]

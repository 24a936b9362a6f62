"""Signing and signature validation over bytes: PAdES with pyHanko, reports as data.

This package never imports `archiver`: it takes PDF bytes, keys and settings, and returns PDF bytes and
frozen reports, so it can be tested, reused and replaced (a GOST signer) on its own.
"""

from signing.keys import KeySigner, load_pem, load_pkcs11, load_pkcs12
from signing.sign import ExternalCmsSigner, SignatureRequest, sign_pdf, sign_pdf_external
from signing.validate import SignatureReport, ValidationReport, validate_pdf

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

"""Signing and signature validation over bytes: PAdES with pyHanko, reports as data.

This package never imports `archiver`: it takes PDF bytes, keys and settings, and returns PDF bytes and
frozen reports, so it can be tested, reused and replaced (a GOST signer) on its own.
"""

import logging
import warnings

# cryptography 46+ deprecates DSA, and pyHanko and certomancer (the test PKI of `init`) refer to its key
# class to recognise such keys; no DSA key is ever used here, and the warning would be printed before
# every command's output.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"(pyhanko|certomancer)(\.|$)")

# pyHanko logs what it finds while it signs and validates ("fetching is not allowed", "imprint is …, but
# expected …"); without a handler of the application's, Python prints these on stderr. The reports and
# errors here carry the reasons; an application that wants pyHanko's log configures the "pyhanko" logger.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

from signing import asn1fix  # noqa: E402 (after the filter)

asn1fix.apply()

from signing.keys import KeySigner, load_pem, load_pkcs11, load_pkcs12  # noqa: E402 (after the filter)
from signing.sign import (  # noqa: E402 (after the filter)
    ExternalCmsSigner,
    LongTerm,
    SignatureRequest,
    sign_pdf,
    sign_pdf_external,
)
from signing.timestamps import TimestampSource  # noqa: E402 (after the filter)
from signing.validate import (  # noqa: E402 (after the filter)
    SignatureReport,
    TimestampReport,
    ValidationReport,
    signature_levels,
    validate_at,
    validate_pdf,
)

__all__ = [
    "ExternalCmsSigner",
    "KeySigner",
    "LongTerm",
    "SignatureReport",
    "SignatureRequest",
    "TimestampReport",
    "TimestampSource",
    "ValidationReport",
    "load_pem",
    "load_pkcs11",
    "load_pkcs12",
    "sign_pdf",
    "sign_pdf_external",
    "signature_levels",
    "validate_at",
    "validate_pdf",
]

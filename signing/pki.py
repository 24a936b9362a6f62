"""A test PKI: root CA, the school's e-seal, the director, a TSA, an OCSP responder; test-only.

Built with certomancer from a configuration written here, over EC P-256 keys generated on the spot, so
nothing secret is ever committed. Every subject says it is a test certificate. Every certificate names the
root's CRL as its distribution point; the root issues that CRL once, valid as long as the certificates
under it (`crl_der`), so an archive can put it into its signatures' DSS without a network. An OCSP address
goes into the certificates' AIA only when asked for (`ocsp=True`): independent validators (poppler's
pdfsig) ask a responder named there, and reject the certificate when nobody answers. The same
architecture can be served over HTTP (TSA, OCSP, CRLs) by certomancer's Animator, which the tests do on
loopback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ARCH = "archiver-test"
TEST_ORG = "ТЕСТОВЫЙ УЦ — только для проверки, не для реальных документов"
ENTITIES = {
    "root": "Тестовый корневой УЦ (ТЕСТ)",
    "eseal": "Электронная печать школы (ТЕСТ)",
    "director": "Директор школы (ТЕСТ)",
    "director-revoked": "Директор школы, отозванный сертификат (ТЕСТ)",
    "tsa": "Служба штампов времени (ТЕСТ)",
    "ocsp": "OCSP-служба (ТЕСТ)",
}


@dataclass(frozen=True)
class TestPki:
    __test__ = False  # not a pytest test class

    """The built architecture and where its keys are."""

    config: Any  # certomancer.registry.CertomancerConfig
    arch: Any  # certomancer PKIArchitecture
    url_prefix: str

    def cert_der(self, label: str) -> bytes:
        from certomancer.registry import CertLabel

        der: bytes = self.arch.get_cert(CertLabel(label)).dump()
        return der

    def pkcs12(self, label: str, passphrase: bytes | None) -> bytes:
        from certomancer.registry import CertLabel

        data: bytes = self.arch.package_pkcs12(CertLabel(label), password=passphrase)
        return data

    def crl_der(self) -> bytes:
        """The root's CRL (DER): issued the day before the certificates' validity starts, valid until they end."""
        from certomancer.registry import ServiceLabel

        der: bytes = self.arch.service_registry.get_crl(ServiceLabel("root"), number=0).dump()
        return der

    @property
    def crl_url(self) -> str:
        """Where the certificates say the root's CRL is published."""
        return f"{self.url_prefix}/{ARCH}/crls/root/latest.crl"

    def wsgi_app(self) -> Any:
        """TSA, OCSP and CRL services of this PKI as a WSGI application (certomancer's Animator)."""
        from certomancer.integrations.animator import Animator, AnimatorArchStore

        return Animator(AnimatorArchStore(self.config.pki_archs), with_web_ui=False)


def build_test_pki(
    key_dir: Path,
    url_prefix: str,
    now: datetime,
    revoked_at: datetime | None = None,
    *,
    ocsp: bool = False,
    generation: str = "",
    leaf_days: int | None = None,
) -> TestPki:
    """Generate keys in `key_dir` (created 0700; keys already there are used) and the certificates of the
    test PKI around `now`. Each key file is 0600 from its first byte: no other user can read it at any
    moment. The keys stay unencrypted in `key_dir`: a caller that keeps the PKI removes what it does not
    need (`archiver init` keeps none of them). `generation` ("2", …) is added to every name: a CA that
    follows another is a different issuer, not one with the same name and another key. `leaf_days`: how long
    the certificates under the root (and its CRL) are valid, 3 years unless given."""
    from certomancer.registry import ArchLabel, CertomancerConfig

    if not key_dir.is_dir():
        key_dir.mkdir(mode=0o700, parents=True)
        key_dir.chmod(0o700)  # the umask may have narrowed it; it was never wider
    for label in ENTITIES:
        try:
            fd = os.open(key_dir / f"{label}.key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        with os.fdopen(fd, "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
    config = CertomancerConfig(
        _config(now, revoked_at or now - timedelta(hours=1), ocsp, generation, leaf_days or LEAF_DAYS),
        key_search_dir=str(key_dir),
        external_url_prefix=url_prefix,
    )
    return TestPki(config, config.get_pki_arch(ArchLabel(ARCH)), url_prefix)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


LEAF_DAYS = 365 * 3  # how long the test certificates (and the root's CRL) are valid


def _config(now: datetime, revoked_at: datetime, ocsp: bool, generation: str, leaf_days: int) -> dict[str, Any]:
    start = _when(now - timedelta(days=1))
    ca_end = _when(now + timedelta(days=365 * 40))
    leaf_end = _when(now + timedelta(days=leaf_days))
    ocsp_urls = {"schema": "aia-urls", "params": {"ocsp-responder-names": ["root"]}}
    aia = [{"id": "authority_information_access", "smart-value": ocsp_urls}] if ocsp else []

    def leaf(usage: list[str], extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "issuer": "root",
            "validity": {"valid-from": start, "valid-to": leaf_end},
            "extensions": [
                {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": usage}},
                {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                                  "params": {"crl-repo-names": ["root"]}}},
                *aia,
                *(extra or []),
            ],
        }  # fmt: skip

    signer_usage = ["digital_signature", "non_repudiation"]
    return {
        "keysets": {ARCH: {"keys": {label: {"path": f"{label}.key.pem"} for label in ENTITIES}}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "RU", "organization-name": TEST_ORG},
                "entities": {
                    label: {"common-name": f"{name} {generation}".strip()} for label, name in ENTITIES.items()
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "subject-key": "root",
                        "issuer": "root",
                        "authority-key": "root",
                        "validity": {"valid-from": start, "valid-to": ca_end},
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature", "key_cert_sign", "crl_sign"],
                                },
                            },
                        ],
                    },
                    "eseal": leaf(signer_usage),
                    "director": leaf(signer_usage),
                    "director-revoked": {
                        **leaf(signer_usage),
                        "revocation": {"revoked-since": _when(revoked_at), "reason": "key_compromise"},
                    },
                    "tsa": {
                        **leaf(["digital_signature"]),
                        "extensions": [
                            *leaf(["digital_signature"])["extensions"],
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                        ],
                    },
                    "ocsp": {
                        "issuer": "root",
                        "validity": {"valid-from": start, "valid-to": leaf_end},
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
                            },
                            {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                            {"id": "ocsp_no_check"},
                        ],
                    },
                },
                "services": {
                    "ocsp": {"root": {"for-issuer": "root", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": f"P{leaf_days + 1}D",
                        }
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }

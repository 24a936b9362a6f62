"""Opening the archive from its configuration: repositories, catalog, the e-seal key, trust anchors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from asn1crypto.crl import CertificateList

from archiver.archive.catalog import open_catalog
from archiver.archive.context import Archive
from archiver.archive.keys import read_passphrase
from archiver.archive.registry import CertificateRecord, change, replay
from archiver.archive.storage import OcflRepository
from archiver.config import Config
from archiver.errors import ArchiverError, BadInputError, ConfigError
from archiver.files import unreadable
from archiver.rendering.pdfa import variant
from signing import KeySigner, LongTerm, TimestampSource, load_pkcs12
from signing.errors import SigningError


def load_key_file(
    path: Path, passphrase: bytes, *, where: str = "", error: type[ArchiverError] = BadInputError
) -> KeySigner:
    """A PKCS#12 key from a file; a file that cannot be read or opened is `error` (bad input), named."""
    try:
        return load_pkcs12(path.read_bytes(), passphrase)
    except OSError as exc:
        raise error(where + unreadable(path, exc)) from None
    except SigningError as exc:
        raise error(f"{where}{path}: {exc}") from None


def load_eseal(config: Config) -> KeySigner:
    """The school's e-seal key, as the configuration names it."""
    if not config.signing.eseal_key:
        raise ConfigError("[signing] eseal_key is not set: the archive seals every document with it")
    key_path = config.path(config.signing.eseal_key)
    passphrase_file = (
        config.path(config.signing.eseal_passphrase_file) if config.signing.eseal_passphrase_file else None
    )
    passphrase = read_passphrase(passphrase_file, what=f"the e-seal key {key_path.name}")
    return load_key_file(key_path, passphrase, where="[signing] eseal_key ", error=ConfigError)


def load_long_term(config: Config, roots: list[bytes]) -> LongTerm | None:
    """What PAdES B-LTA signatures need, as the configuration names it; None for bare B-B signatures."""
    signing = config.signing
    if signing.level == "B-B":
        return None
    if signing.tsa_url:
        source = TimestampSource(url=signing.tsa_url)
    elif signing.tsa_key:
        key_path = config.path(signing.tsa_key)
        passphrase_file = config.path(signing.tsa_passphrase_file) if signing.tsa_passphrase_file else None
        passphrase = read_passphrase(passphrase_file, what=f"the time-stamping key {key_path.name}")
        source = TimestampSource(
            local=load_key_file(key_path, passphrase, where="[signing] tsa_key ", error=ConfigError)
        )
    else:
        raise ConfigError(
            "[signing] B-LTA signatures need a timestamp source: tsa_url (an RFC 3161 service) or tsa_key (a local "
            'time-stamping key); `level = "B-B"` signs without timestamps, which do not outlive the certificates'
        )
    crls = []
    for value in signing.crls:
        path = config.path(value)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"[signing] crls: {unreadable(path, exc)}") from None
        der = _der(data)
        try:
            CertificateList.load(der, strict=True).native  # noqa: B018 (parsed whole: a damaged CRL is named here)
        except Exception:
            raise ConfigError(f"[signing] crls: {path}: not a CRL (DER or PEM)") from None
        crls.append(der)
    return LongTerm(source, tuple(roots), tuple(crls), fetch=signing.fetch_revocation)


def _der(data: bytes) -> bytes:
    from asn1crypto import pem

    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return data


def registered_eseal(archive: Archive, key: KeySigner, user: str) -> None:
    """The configured e-seal must be the school's registered one. The first one is registered when none is
    (a new archive, or one made before certificates were registered); another is refused until an admin
    registers it (`archiver users eseal`), so a key swapped into the configuration seals nothing."""
    with archive.catalog.transaction() as session:
        seals = replay(archive.catalog, session).fingerprints("eseal")
        if key.certificate_sha256 in seals:
            return
        if not seals:
            entry = (CertificateRecord("eseal", None), key.certificate.dump())
            change(archive.catalog, session, user, "certificate", "eseal", certificates={key.certificate_sha256: entry})
            return
    raise ConfigError(
        f"[signing] eseal_key: its certificate ({key.common_name}, SHA-256 {key.certificate_sha256[:16]}…) is not "
        "the school's registered e-seal; after renewing the e-seal an admin registers it with `archiver users eseal`"
    )


def archive_from_config(config: Config, user: Callable[[], str] | None = None, *, migrate: bool = False) -> Archive:
    """Everything an operation needs; the caller disposes of `archive.catalog.engine` when done. The e-seal
    key is unlocked on first use, and checked then against the registered e-seal (on behalf of `user()`)."""
    if len(config.repositories) < 2:
        raise ConfigError(
            f"{config.source or 'the configuration'}: [repositories] needs two or more entries "
            "(run `archiver init` to make a configuration)"
        )
    catalog = open_catalog(config.catalog_url(), migrate=migrate)
    repositories = [OcflRepository(r.name, r.path, location=r.location) for r in config.repositories]
    roots = []
    for value in config.signing.trust_roots:
        path = config.path(value)
        try:
            roots.append(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"[signing] trust root {unreadable(path, exc)}") from None

    def unlock() -> KeySigner:
        key = load_eseal(config)
        registered_eseal(archive, key, user() if user is not None else f"({archive.catalog.os_user})")
        return key

    archive = Archive(
        repositories=repositories,
        catalog=catalog,
        eseal_source=unlock,
        trust_roots=roots,
        long_term_source=lambda: load_long_term(config, roots),
        pdfa=variant(config.render.pdfa),
        workers=config.render.workers,
        clock=catalog.clock,
        full_cycle_days=config.integrity.full_cycle_days,
        timezone=config.school.timezone,
        renew_before_days=config.signing.renew_before_days,
        year_end_deadline=config.school.year_end_deadline,
        period_copies_until=config.retention.period_copies_until,
        retention_articles={
            "class_year": config.retention.article_class_year,
            "summary": config.retention.article_summary,
            "class_period": config.retention.article_class_period,
        },
    )
    return archive

"""The archiver's configuration: one TOML file read into frozen dataclasses that reject unknown keys.

Only the CLI reads the file; everything below it receives a `Config`. A default location that does not
exist means the built-in defaults; a file named explicitly (`--config`, `ARCHIVER_CONFIG`) must exist.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from archiver.errors import ConfigError
from archiver.files import unreadable
from archiver.ingest.limits import DEFAULT_MAX_EXPORT_MB, InputLimits

DEFAULT_CONFIG_NAME = "archiver.toml"


@dataclass(frozen=True)
class InputConfig:
    """[input]: bounds on untrusted journal exports."""

    max_export_mb: int = DEFAULT_MAX_EXPORT_MB
    format: str = "json"

    def limits(self) -> InputLimits:
        return InputLimits(max_export_bytes=self.max_export_mb << 20)


@dataclass(frozen=True)
class RenderConfig:
    """[render]: the PDF/A part written ("3b" with the source data embedded, or "1b") and the workers."""

    pdfa: str = "3b"
    workers: int = 0  # 0: one per CPU core


@dataclass(frozen=True)
class CatalogConfig:
    """[catalog]: an SQLAlchemy URL (SQLite by default, PostgreSQL for a shared service)."""

    url: str = "sqlite:///catalog.sqlite"


@dataclass(frozen=True)
class SigningConfig:
    """[signing]: the school's e-seal (service key), trust anchors, and an optional TSA."""

    eseal_key: str = ""  # PKCS#12 file
    eseal_passphrase_file: str = ""
    trust_roots: tuple[str, ...] = ()  # PEM or DER files
    level: str = "B-LTA"  # PAdES: "B-LTA" (timestamps, validation data, a document timestamp) or "B-B" (bare)
    tsa_url: str = ""  # an RFC 3161 time-stamping service
    tsa_key: str = ""  # or a local time-stamping key (PKCS#12): the TSA of the test PKI `archiver init` makes
    tsa_passphrase_file: str = ""
    crls: tuple[str, ...] = ()  # CRL files (DER or PEM) put into the signatures' DSS without a network
    fetch_revocation: bool = False  # also fetch OCSP responses and CRLs from the addresses in the certificates
    renew_before_days: int = 365  # `renew --due`: a new document timestamp this long before the newest expires


@dataclass(frozen=True)
class IntegrityConfig:
    """[integrity]: every copy is re-verified at least once in this many days (`verify --due`)."""

    full_cycle_days: int = 30


@dataclass(frozen=True)
class SecurityConfig:
    """[security]: the account that owns the archive's files; people reach it through sudo and act as
    themselves (README: Security). Empty: every command acts as the OS account that runs it."""

    service_account: str = ""


@dataclass(frozen=True)
class SchoolConfig:
    """[school]: how the school's documents print times."""

    timezone: str = "Europe/Moscow"  # an IANA zone: signing times and acts are printed in it
    # The day (MM-DD, in the calendar year the school year ends) by which the year-end volumes are printed,
    # signed and sealed (seed 001 §5.2, 004 §3.7: «до 30 июня»): `status` and `sign` count down to it, and
    # a volume signed after it is flagged (not refused).
    year_end_deadline: str = "06-30"


@dataclass(frozen=True)
class RetentionConfig:
    """[retention]: how long a class's quarter copies are kept once its year-end volume is signed (seed 001
    §5.1: «до более нового обновления»): "signed" (from that day) or "MM-DD" (from the first such day after
    it, e.g. "09-01")."""

    period_copies_until: str = "signed"
    # The article of the Перечень типовых управленческих архивных документов (приказ Росархива № 236) that
    # sets each kind's retention, as the school's номенклатура дел gives it: printed in the disposal act and
    # the inventory beside the period («5 лет, ст. 690»). Empty: the period alone.
    article_class_year: str = ""
    article_summary: str = ""
    article_class_period: str = ""


@dataclass(frozen=True)
class TransferConfig:
    """[transfer]: after cases are handed over to an archive (`archiver transfer`), their local copies are
    kept and verified as before ("keep"), or become due for disposal through an act ("dispose")."""

    local_copies: str = "keep"


@dataclass(frozen=True)
class RepositoryConfig:
    """One entry of [repositories]: a path, or a table with the path and where the carrier is."""

    name: str
    path: Path
    location: str = ""  # «сервер, каб. 12»: printed in reports


@dataclass(frozen=True)
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    signing: SigningConfig = field(default_factory=SigningConfig)
    integrity: IntegrityConfig = field(default_factory=IntegrityConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    school: SchoolConfig = field(default_factory=SchoolConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    transfer: TransferConfig = field(default_factory=TransferConfig)
    repositories: tuple[RepositoryConfig, ...] = ()  # [repositories] name = "path" (or a table), two or more
    source: Path | None = None  # the file it was read from, if any

    def catalog_url(self) -> str:
        """The catalog URL, a relative SQLite path taken from the configuration file's directory."""
        url = self.catalog.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self.path(url[len(prefix) :]))
        return url

    def path(self, value: str) -> Path:
        """A path from the configuration, relative to the configuration file's directory."""
        path = Path(value)
        if path.is_absolute() or self.source is None:
            return path
        return self.source.parent / path


_SECTIONS: dict[str, type] = {
    "input": InputConfig,
    "render": RenderConfig,
    "catalog": CatalogConfig,
    "signing": SigningConfig,
    "integrity": IntegrityConfig,
    "security": SecurityConfig,
    "school": SchoolConfig,
    "retention": RetentionConfig,
    "transfer": TransferConfig,
}


def load_config(path: Path, *, required: bool) -> Config:
    """Read the configuration file; when it is missing and not required, the defaults."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: no such configuration file") from None
        return Config()
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
    except OSError as exc:
        raise ConfigError(unreadable(path, exc)) from None
    try:
        mapping = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_mapping(mapping, str(path), source=path)


def config_from_mapping(mapping: Mapping[str, Any], where: str, source: Path | None = None) -> Config:
    """A `Config` from parsed TOML; every unknown section or key and every wrong type is an error."""
    sections: dict[str, Any] = {}
    for name, value in mapping.items():
        if name not in (*_SECTIONS, "repositories"):
            known = ", ".join(f"[{s}]" for s in (*_SECTIONS, "repositories"))
            raise ConfigError(f"{where}: unknown section [{name}] (known: {known})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: [{name}] must be a table")
        if name == "repositories":
            sections[name] = _repositories(value, f"{where}: [repositories]", source)
        else:
            sections[name] = _section(_SECTIONS[name], value, f"{where}: [{name}]")
    return Config(source=source, **sections)


def _repositories(mapping: Mapping[str, Any], where: str, source: Path | None) -> tuple[RepositoryConfig, ...]:
    out: list[RepositoryConfig] = []
    for name, value in mapping.items():
        location = ""
        if isinstance(value, Mapping):
            unknown = set(value) - {"path", "location"}
            if unknown:
                raise ConfigError(f"{where} {name}: unknown key {sorted(unknown)[0]!r} (known: path, location)")
            location = value.get("location", "")
            if not isinstance(location, str):
                raise ConfigError(f"{where} {name}: location must be text")
            value = value.get("path")
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} {name} must be the path of a directory (or a table with path and location)")
        if not name.isascii() or not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"{where} {name!r}: repository names are letters, digits, '-' and '_'")
        path = Path(value)
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        out.append(RepositoryConfig(name, path, location))
    resolved = [r.path.resolve() for r in out]
    if len(set(resolved)) != len(resolved):
        raise ConfigError(f"{where} two repositories are the same directory")
    return tuple(out)


def _section(cls: type, mapping: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in mapping.items():
        if key not in known:
            raise ConfigError(f"{where} unknown key {key!r} (known: {', '.join(known)})")
        expected = type(getattr(cls(), key))
        if expected is tuple and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = tuple(value)
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise ConfigError(f"{where} {key} must be {expected.__name__}, not {type(value).__name__}")
        values[key] = value
    section = cls(**values)
    _check(section, where)
    return section


def _check(section: Any, where: str) -> None:
    if isinstance(section, SchoolConfig):
        try:
            ZoneInfo(section.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{where} timezone {section.timezone!r} is not a known time zone (e.g. Europe/Moscow)"
            ) from None
    if isinstance(section, SchoolConfig) and month_day(section.year_end_deadline) is None:
        raise ConfigError(f"{where} year_end_deadline must be a day as MM-DD (\"06-30\"), not "
                          f"{section.year_end_deadline!r}")  # fmt: skip
    if isinstance(section, TransferConfig) and section.local_copies not in ("keep", "dispose"):
        raise ConfigError(f'{where} local_copies must be "keep" or "dispose", not {section.local_copies!r}')
    copies = section.period_copies_until if isinstance(section, RetentionConfig) else "signed"
    if copies != "signed" and month_day(copies) is None:
        raise ConfigError(f'{where} period_copies_until must be "signed" or a day as MM-DD ("09-01"), not {copies!r}')
    if isinstance(section, InputConfig) and not 1 <= section.max_export_mb <= 64 * 1024:
        raise ConfigError(f"{where} max_export_mb must be between 1 and 65536")
    if isinstance(section, RenderConfig):
        from archiver.rendering.pdfa import VARIANTS

        if section.pdfa not in VARIANTS:
            raise ConfigError(f"{where} pdfa must be one of {', '.join(sorted(VARIANTS))}, not {section.pdfa!r}")
        if not 0 <= section.workers <= 256:
            raise ConfigError(f"{where} workers must be between 0 (one per core) and 256")
    if isinstance(section, SigningConfig):
        if section.level not in ("B-LTA", "B-B"):
            raise ConfigError(f'{where} level must be "B-LTA" or "B-B", not {section.level!r}')
        if not 1 <= section.renew_before_days <= 3650:
            raise ConfigError(f"{where} renew_before_days must be between 1 and 3650")
        if section.tsa_url and section.tsa_key:
            raise ConfigError(f"{where} tsa_url and tsa_key: give one timestamp source, not both")
    if isinstance(section, IntegrityConfig) and not 1 <= section.full_cycle_days <= 3650:
        raise ConfigError(f"{where} full_cycle_days must be between 1 and 3650")


def month_day(text: str) -> tuple[int, int] | None:
    """«06-30» → (6, 30); None when it is not a day of the year (29 February is not: not every year has it)."""
    month, _, day = text.partition("-")
    if len(month) != 2 or len(day) != 2 or not (month + day).isdigit():
        return None
    try:
        date(2025, int(month), int(day))
    except ValueError:
        return None
    return int(month), int(day)

"""The archive a command works on: its repositories, catalog, e-seal and settings, opened once by the CLI
(archiver.archive.opening) or a test, and handed to every operation."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from archiver.archive.catalog import Catalog
from archiver.archive.storage import OcflRepository, StorageError
from archiver.archive.storage.ocfl import check_id
from archiver.errors import ArchiverError, BadInputError
from archiver.rendering.pdfa import PdfaVariant
from signing import KeySigner, LongTerm

Clock = Callable[[], datetime]
Progress = Callable[[int], None]  # called with the number of units done since the last call


class ArchiveError(ArchiverError):
    code = "archive"


@dataclass
class Archive:
    """Everything an operation needs, opened from the configuration (archiver.archive.opening)."""

    repositories: list[OcflRepository]
    catalog: Catalog
    trust_roots: list[bytes]
    pdfa: PdfaVariant
    workers: int
    clock: Clock
    full_cycle_days: int = 30
    timezone: str = "Europe/Moscow"  # [school] timezone: what printed times are in
    renew_before_days: int = 365  # [signing]: document timestamps are renewed this long before they expire
    year_end_deadline: str = "06-30"  # [school]: MM-DD by which the year-end volumes are signed
    period_copies_until: str = "signed"  # [retention]: quarter copies once the year-end volume is signed
    retention_articles: dict[str, str] = field(default_factory=dict)  # [retention] article_*: kind → «ст. N»

    def retention_words(self, retention_class: str, kind: str) -> str:
        """«5 лет», or «5 лет, ст. 690» when the school's nomenclature article for the kind is configured."""
        from archiver.documents.dates import retention_phrase

        article = self.retention_articles.get(kind, "").strip()
        words = retention_phrase(retention_class)
        return f"{words}, {article}" if article else words

    # Unlocks the school's e-seal key: called on first use of `eseal`, after the operation has checked the
    # user's role (a refused run of a registered user still seals the audit checkpoint with it).
    eseal_source: Callable[[], KeySigner] | None = None
    _eseal: KeySigner | None = field(default=None, repr=False)
    # What B-LTA signatures need (timestamp source, CRLs); None: bare B-B signatures. Loaded on first use.
    long_term_source: Callable[[], LongTerm | None] | None = None
    allow_no_revocation: bool = False  # this run signs even where revocation data cannot be had (recorded)

    @property
    def eseal(self) -> KeySigner:
        if self._eseal is None:
            if self.eseal_source is None:
                raise ArchiveError("this run has no e-seal key ([signing] eseal_key)")
            self._eseal = self.eseal_source()
        return self._eseal

    @cached_property
    def long_term(self) -> LongTerm | None:
        return self.long_term_source() if self.long_term_source is not None else None

    def signature_evidence(self) -> LongTerm | None:
        """What this run's signatures carry (B-LTA), and whether they may go without revocation data."""
        long_term = self.long_term
        if long_term is not None and self.allow_no_revocation:
            return replace(long_term, require_revocation=False)
        return long_term

    def today(self) -> date:
        """Today in the school's time zone: the day of its deadlines, retention and acts (a signature at
        01:30 in Moscow on 1 July is on 1 July, not on 30 June as in UTC)."""
        return self.clock().astimezone(ZoneInfo(self.timezone)).date()

    def local_date(self, moment: datetime) -> date:
        """The day a moment falls on in the school's time zone."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def repository(self, name: str | None) -> OcflRepository:
        for repository in self.repositories:
            if repository.name == name:
                return repository
        raise ArchiveError(f"no repository {name!r}")

    def check_repositories(self, *, for_repair: bool = False) -> None:
        """Every repository must be there and writable before anything is written to any of them."""
        if len(self.repositories) < 2:
            raise ArchiveError("the archive needs at least two repositories (configure [repositories])")
        for repository in self.repositories:
            repository.check(declared=not for_repair)
        for repository in self.repositories:  # what killed runs left in the work areas (an hour old)
            repository.cleanup(3600)

    @contextmanager
    def case_lock(self, case_id: str) -> Iterator[None]:
        """Only one run at a time stores or changes a case (across processes on this machine)."""
        try:
            check_id(case_id)  # the lock file is named after the case: nothing else may name it
        except StorageError:
            raise BadInputError(f"{case_id!r} is not a case id") from None
        directory = self.repositories[0].staging / "locks"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle = open(directory / f"{case_id}.lock", "a+b")  # noqa: SIM115 (held across the yield)
        except OSError as exc:
            raise ArchiveError(f"cannot lock {case_id} in {directory}: {exc.strerror or exc}") from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

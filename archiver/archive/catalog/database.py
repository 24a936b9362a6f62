"""Opening the catalog: the engine, its schema revision (migrations on request), sessions, and the audit trail.

SQLite (the default) and PostgreSQL. On SQLite every write transaction starts with BEGIN IMMEDIATE, so
two processes never interleave a read-then-write (the audit chain and case claims rely on it); on
PostgreSQL the audit head row is locked with SELECT … FOR UPDATE.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive.catalog.models import AuditEvent, AuditHead
from archiver.errors import ArchiverError
from archiver.files import create_private, printable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
GENESIS = "0" * 64
Clock = Callable[[], datetime]


class CatalogError(ArchiverError):
    code = "catalog"


@dataclass(frozen=True)
class Sealed:
    """The latest sealed checkpoint: the last event it covers, and the registry of users and certificates
    sealed with it (archiver.archive.registry: the record that counts, whatever the catalog's rows say)."""

    head_id: int
    registry: Any


@dataclass
class Catalog:
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    # Who is acting, recorded with every event: the OS account and host, and the admin acting for the user.
    os_user: str | None = None
    host: str | None = None
    delegated_by: str | None = None
    own_events: set[int] = field(default_factory=set)  # recorded by this process
    sealed: Sealed | None = None  # None: no checkpoint exists (or none was read): the whole trail counts
    earlier_chains: tuple[str, ...] = ()  # the chains a catalog rebuilt by this process follows
    latest_checkpoint: Any = None  # archiver.archive.checkpoints: the latest one this process read or sealed

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise CatalogError(f"catalog: {str(exc).splitlines()[0]}") from None
        finally:
            session.close()

    def record(
        self, session: Session, user: str, action: str, obj: str, outcome: str, details: dict[str, Any] | None = None
    ) -> AuditEvent:
        """Append an audit event, chained to the one before it."""
        head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
        at = self.clock().astimezone(UTC).replace(microsecond=0)
        event_ = AuditEvent(
            at=at,
            user=user,
            action=action,
            object=printable(obj),
            outcome=outcome,
            details=printable(details or {}),
            previous_hash=head.last_hash,
            hash="",
            os_user=self.os_user,
            host=self.host,
            delegated_by=self.delegated_by,
        )
        session.add(event_)
        session.flush()
        event_.hash = event_hash(event_)
        head.last_id = event_.id
        head.last_hash = event_.hash
        self.own_events.add(event_.id)
        return event_

    def chain_id(self) -> str:
        """This audit chain's id (checkpoints name it; a rebuilt catalog starts a new chain)."""
        with self.transaction() as session:
            head = session.get(AuditHead, 1)
            assert head is not None
            if head.chain is None:
                head.chain = str(uuid.uuid4())
            return head.chain

    def audit_problems(self) -> list[str]:
        """Every break in the audit chain: an edited, deleted or inserted row is reported."""
        problems: list[str] = []
        with self.transaction() as session:
            events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
            head = session.get(AuditHead, 1)
            previous = GENESIS
            for item in events:
                if item.previous_hash != previous:
                    problems.append(
                        f"audit event {item.id}: does not follow the event before it (a row was removed or inserted)"
                    )
                if event_hash(item) != item.hash:
                    problems.append(f"audit event {item.id}: its content does not match its hash (the row was edited)")
                previous = item.hash
            if head is not None and head.last_hash != previous:
                problems.append("audit trail: the last events are missing (the chain head names a later event)")
        return problems


def event_hash(item: AuditEvent) -> str:
    at = item.at if item.at.tzinfo else item.at.replace(tzinfo=UTC)
    body = json.dumps(
        [
            item.id,
            at.astimezone(UTC).isoformat(),
            item.user,
            item.action,
            item.object,
            item.outcome,
            item.details,
            item.previous_hash,
            # Who acted beyond the archive user: absent from events recorded before it was kept, so their
            # hashes stay as they were; in every later event, a change to them breaks the chain.
            *(
                [item.os_user, item.host, item.delegated_by]
                if (item.os_user, item.host, item.delegated_by) != (None, None, None)
                else []
            ),
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# In-process callers that stand for another day (the test suite's CLI runner, moving the archive's clock to
# 30 June or to 2032) set how far the clock runs ahead; no environment variable, option or file reaches it,
# so no user can date a disposal or a signature otherwise than the machine's clock does.
SIMULATED_OFFSET: ContextVar[timedelta | None] = ContextVar("archiver_simulated_offset", default=None)


def archive_now() -> datetime:
    """The archive's clock: the machine's, in UTC."""
    offset = SIMULATED_OFFSET.get()
    now = datetime.now(UTC)
    return now + offset if offset is not None else now


def open_catalog(url: str, clock: Clock | None = None, *, migrate: bool = False) -> Catalog:
    """Connect to a catalog whose schema is this archiver's; `migrate`: bring it to the latest migration
    first (`archiver catalog upgrade`, `archiver init`). A catalog that is behind (or ahead) is refused
    with what to run: opening never changes the schema, so a user without DDL rights can use it."""
    file = sqlite_file(url)
    if file is not None and not file.exists():  # SQLite would make an empty (world-readable) file
        if not migrate:
            raise CatalogError(f"the catalog {shown_url(url)!r} does not exist: `archiver init` makes one")
        try:
            create_private(file, b"")  # SQLite keeps the mode of an existing file (and gives it to its journal)
        except OSError as exc:
            raise CatalogError(f"the catalog {shown_url(url)!r} cannot be made: {exc.strerror or exc}") from None
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise CatalogError(f"catalog URL {shown_url(url)!r} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        _immediate_transactions(engine)
    try:
        if migrate:
            _refuse_newer(engine, url)
            with engine.begin() as connection:
                command.upgrade(_alembic(connection), "head")
        else:
            _check_revision(engine, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise CatalogError(f"catalog {shown_url(url)!r} cannot be opened: {str(exc).splitlines()[0]}") from None
    except CatalogError:
        engine.dispose()
        raise
    from archiver.archive.identity import current_account

    account = current_account()
    return Catalog(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        clock or archive_now,
        os_user=account.login,
        host=account.host,
    )


def upgrade_catalog(url: str) -> tuple[str | None, str]:
    """Bring the catalog's schema to this archiver's (`archiver catalog upgrade`); returns the revisions
    before and after."""
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise CatalogError(f"catalog URL {shown_url(url)!r} cannot be used: {exc}") from None
    try:
        before, _ = schema_revisions(engine)
        _refuse_newer(engine, url)
    except SQLAlchemyError as exc:
        raise CatalogError(f"catalog {shown_url(url)!r} cannot be opened: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    open_catalog(url, migrate=True).engine.dispose()
    return before, schema_revisions_needed()


def schema_revisions_needed() -> str:
    from alembic.script import ScriptDirectory

    needed = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert needed is not None
    return needed


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """The catalog's schema revision (None: no archive schema) and the one this archiver needs."""
    from alembic.runtime.migration import MigrationContext

    needed = schema_revisions_needed()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, needed


def _check_revision(engine: Engine, url: str) -> None:
    current, needed = schema_revisions(engine)
    if current == needed:
        return
    where = f"the catalog {shown_url(url)!r}"
    if current is None:
        raise CatalogError(f"{where} holds no archive: `archiver init --catalog URL` makes one there")
    _refuse_newer(engine, url)
    raise CatalogError(
        f"{where} is at schema revision {current}, this archiver needs {needed}: "
        "root or the service account runs `archiver catalog upgrade` (back up the catalog first)"
    )


def _refuse_newer(engine: Engine, url: str) -> None:
    """A catalog whose schema revision this archiver does not know was made by a newer one."""
    from alembic.script import ScriptDirectory

    current, _ = schema_revisions(engine)
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if current is not None and current not in known:
        raise CatalogError(
            f"the catalog {shown_url(url)!r} is at schema revision {str(current)[:40]!r}, which this archiver does "
            "not know: it was made by a newer version; install that version (nothing was changed)"
        )


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite catalog URL (None for any other database)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def shown_url(url: str) -> str:
    """A catalog URL as it may be printed: without its password (also when it cannot be parsed)."""
    try:
        return str(printable(make_url(url).render_as_string(hide_password=True)))
    except (ArgumentError, ValueError):
        return str(printable(re.sub(r"(?<=://)[^/@]*@", "***@", url)))


def _alembic(connection: Any) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        dbapi_connection.execute("PRAGMA busy_timeout = 60000")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

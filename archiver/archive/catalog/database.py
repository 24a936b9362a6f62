"""Opening the catalog: the engine, migrations to the latest schema, sessions, and the audit trail.

SQLite (the default) and PostgreSQL. On SQLite every write transaction starts with BEGIN IMMEDIATE, so
two processes never interleave a read-then-write (the audit chain and case claims rely on it); on
PostgreSQL the audit head row is locked with SELECT … FOR UPDATE.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archiver.archive.catalog.models import AuditEvent, AuditHead
from archiver.errors import ArchiverError
from archiver.files import printable

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


def open_catalog(url: str, clock: Clock | None = None, *, migrate: bool = True) -> Catalog:
    """Connect, and bring the schema to the latest migration (each migration in its own transaction)."""
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise CatalogError(f"catalog URL {url!r} cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        _immediate_transactions(engine)
    if migrate:
        try:
            with engine.begin() as connection:
                config = AlembicConfig()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise CatalogError(f"catalog {url!r} cannot be opened: {str(exc).splitlines()[0]}") from None
    from archiver.archive.identity import current_account

    account = current_account()
    return Catalog(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        clock or (lambda: datetime.now(UTC)),
        os_user=account.login,
        host=account.host,
    )


def _immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        dbapi_connection.execute("PRAGMA busy_timeout = 60000")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

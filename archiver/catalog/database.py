"""Opening the catalog: the engine, migrations to the latest schema, sessions, and the audit trail.

SQLite (the default) and PostgreSQL. On SQLite every write transaction starts with BEGIN IMMEDIATE, so
two processes never interleave a read-then-write (the audit chain and case claims rely on it); on
PostgreSQL the audit head row is locked with SELECT … FOR UPDATE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archiver.catalog.models import AuditEvent, AuditHead
from archiver.errors import ArchiverError
from archiver.files import printable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
GENESIS = "0" * 64
Clock = Callable[[], datetime]


class CatalogError(ArchiverError):
    code = "catalog"


@dataclass
class Catalog:
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock

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
        )
        session.add(event_)
        session.flush()
        event_.hash = event_hash(event_)
        head.last_id = event_.id
        head.last_hash = event_.hash
        return event_

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
    return Catalog(engine, sessionmaker(engine, expire_on_commit=False), clock or (lambda: datetime.now(UTC)))


def _immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        dbapi_connection.execute("PRAGMA busy_timeout = 60000")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

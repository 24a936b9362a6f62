"""Catalog tables (SQLAlchemy 2, typed mappings). The schema itself is made by the Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The operating-system account that acts as this user (the process's uid, never the environment).
    os_user: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    # As the acts print the person: «Иванова Мария Петровна», «заместитель директора» (None: the login).
    full_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    position: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Certificate(Base):
    """A certificate the archive accepts for a role: a director's (bound to a user) or the e-seal's."""

    __tablename__ = "certificates"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the DER
    purpose: Mapped[str] = mapped_column(String(20))  # director, eseal
    user_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subject: Mapped[str] = mapped_column(Text)
    serial: Mapped[str] = mapped_column(String(128))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Case(Base):
    """An archival case (дело): the unit that is stored, signed, retained and verified."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # class_year, class_period, summary, acts
    school_id: Mapped[str] = mapped_column(String(64))
    academic_year: Mapped[str] = mapped_column(String(9))
    class_id: Mapped[str | None] = mapped_column(String(64))
    class_name: Mapped[str | None] = mapped_column(String(10))
    period_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))  # awaiting_signature, archived, superseded, disposed
    head_version: Mapped[int] = mapped_column(Integer)
    sheets: Mapped[int] = mapped_column(Integer)
    closed_on: Mapped[date] = mapped_column(Date)
    retention_class: Mapped[str] = mapped_column(String(30))  # 5y, 25y, until_superseded, permanent
    retain_until: Mapped[date | None] = mapped_column(Date)  # destroyable from this day; None: not yet known
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_by: Mapped[str | None] = mapped_column(String(200))
    transferred_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # handed over to an archive
    transferred_to: Mapped[str | None] = mapped_column(Text, nullable=True)  # the receiving archive
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[CaseVersion]] = relationship(back_populates="case", order_by="CaseVersion.number")


class CaseVersion(Base):
    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    number: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # SHA-512 of the version's OCFL inventory as written (the same bytes in every repository); None for
    # versions recorded before it was kept.
    inventory_sha512: Mapped[str | None] = mapped_column(String(128), nullable=True)

    case: Mapped[Case] = relationship(back_populates="versions")
    documents: Mapped[list[Document]] = relationship(back_populates="version", order_by="Document.path")
    copies: Mapped[list[Copy]] = relationship(back_populates="version", order_by="Copy.repository")
    signatures: Mapped[list[Signature]] = relationship(back_populates="version", order_by="Signature.id")


class Document(Base):
    """A file of a case version, with its digests."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("case_versions.id"))
    path: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # volume, source, metadata, manifest, seal
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))
    sheets: Mapped[int | None] = mapped_column(Integer)

    version: Mapped[CaseVersion] = relationship(back_populates="documents")


class Copy(Base):
    """A version held by a repository, and its last verification."""

    __tablename__ = "copies"
    __table_args__ = (UniqueConstraint("version_id", "repository"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("case_versions.id"))
    repository: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # intact, damaged, missing

    version: Mapped[CaseVersion] = relationship(back_populates="copies")


class Signature(Base):
    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("case_versions.id"))
    document: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))  # eseal, director
    signer: Mapped[str] = mapped_column(Text)
    certificate_serial: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A year-end volume signed after its deadline (MM-DD of [school] year_end_deadline): that day, else None.
    deadline_missed: Mapped[date | None] = mapped_column(Date, nullable=True)

    version: Mapped[CaseVersion] = relationship(back_populates="signatures")


class AuditEvent(Base):
    """An append-only, hash-chained record of who did what to which object, when, with what outcome."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))  # success, refused, failure
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Who, beyond the archive user: the OS account and host the command ran as, and the admin who acted on
    # the user's behalf (`--as`). None in events recorded before they were kept.
    os_user: Mapped[str | None] = mapped_column(String(100), nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    delegated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class AuditHead(Base):
    """One row: the last event's id and hash, locked by every append so the chain stays a chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    chain: Mapped[str | None] = mapped_column(String(36), nullable=True)  # this chain's id, named by checkpoints

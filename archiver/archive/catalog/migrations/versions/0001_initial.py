"""The initial catalog: users, cases and their versions, documents, copies, signatures, audit trail.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "users",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created_at", tz, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("academic_year", sa.String(9), nullable=False),
        sa.Column("class_id", sa.String(64)),
        sa.Column("class_name", sa.String(10)),
        sa.Column("period_id", sa.String(64)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("head_version", sa.Integer, nullable=False),
        sa.Column("sheets", sa.Integer, nullable=False),
        sa.Column("closed_on", sa.Date, nullable=False),
        sa.Column("retention_class", sa.String(30), nullable=False),
        sa.Column("retain_until", sa.Date),
        sa.Column("legal_hold", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("superseded_by", sa.String(200)),
        sa.Column("created_at", tz, nullable=False),
    )
    op.create_table(
        "case_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(200), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.UniqueConstraint("case_id", "number"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("case_versions.id"), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sha512", sa.String(128), nullable=False),
        sa.Column("sheets", sa.Integer),
        sa.UniqueConstraint("version_id", "path"),
    )
    op.create_table(
        "copies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("case_versions.id"), nullable=False),
        sa.Column("repository", sa.String(64), nullable=False),
        sa.Column("verified_at", tz, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.UniqueConstraint("version_id", "repository"),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("case_versions.id"), nullable=False),
        sa.Column("document", sa.String(200), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("signer", sa.Text, nullable=False),
        sa.Column("certificate_serial", sa.String(128), nullable=False),
        sa.Column("signed_at", tz, nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", tz, nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.execute(sa.text("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '" + "0" * 64 + "')"))


def downgrade() -> None:
    for table in ("audit_head", "audit_events", "signatures", "copies", "documents", "case_versions", "cases", "users"):
        op.drop_table(table)

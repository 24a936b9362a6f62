"""Who acted: the OS account and host of every audit event, archive users bound to OS accounts, the
certificates people and the e-seal sign with, and an id for the audit chain (checkpoints name it).

Revision ID: 0003
Revises: 0002
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("os_user", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_users_os_user", ["os_user"])
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("os_user", sa.String(100), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("delegated_by", sa.String(100), nullable=True))
    op.create_index("ix_audit_events_action", "audit_events", ["action"])  # registry replay reads a few actions
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("chain", sa.String(36), nullable=True))
    op.execute(sa.text("UPDATE audit_head SET chain = :chain").bindparams(chain=str(uuid.uuid4())))
    op.create_table(
        "certificates",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("user_name", sa.String(100), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("serial", sa.String(128), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("certificates")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("chain")
    op.drop_index("ix_audit_events_action", "audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("delegated_by")
        batch.drop_column("host")
        batch.drop_column("os_user")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_os_user", type_="unique")
        batch.drop_column("os_user")

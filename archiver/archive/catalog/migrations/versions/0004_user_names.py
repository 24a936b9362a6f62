"""Users' full names and positions, as the acts print who verified, disposed of or approved.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("full_name", sa.String(300), nullable=True))
        batch.add_column(sa.Column("position", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("position")
        batch.drop_column("full_name")

"""The archive's paperwork: the year-end deadline a director's signature missed (seed 001 §5.2: «до 30
июня»), flagged, not refused; and a case's transfer to an archive (when, to whom).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("deadline_missed", sa.Date(), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("transferred_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("transferred_to", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("transferred_to")
        batch.drop_column("transferred_on")
    with op.batch_alter_table("signatures") as batch:
        batch.drop_column("deadline_missed")

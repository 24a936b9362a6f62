"""Each version's OCFL inventory digest, as written: a copy whose inventory was edited is found by verify.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_versions") as batch:
        batch.add_column(sa.Column("inventory_sha512", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_versions") as batch:
        batch.drop_column("inventory_sha512")

"""bulk import of organisations and clearances: a case imported from a legacy system was
listed by nobody in hozen, so clearance_case.listed_by may be empty

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 08:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clearance_case', schema=None) as batch_op:
        batch_op.alter_column('listed_by', existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    # Imported cases have no lister; they cannot be kept under the older rule.
    with op.batch_alter_table('clearance_case', schema=None) as batch_op:
        batch_op.alter_column('listed_by', existing_type=sa.String(length=36), nullable=False)

"""decision epochs: the versions of what access decisions read, so that every server
process can cache decision attributes and drop them when another process changes them

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'decision_epoch',
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_decision_epoch')),
    )


def downgrade() -> None:
    op.drop_table('decision_epoch')

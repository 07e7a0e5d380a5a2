"""login throttle: recent password checks at sign-in, by keyed hashes of the user name
and the client address, so every server process counts the same failures

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27 10:00:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('account_key', sa.LargeBinary(length=16), nullable=False),
        sa.Column('address_key', sa.LargeBinary(length=16), nullable=False),
        sa.Column('at', hozen.db.UTCDateTime(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_account_key_at', ['account_key', 'at'],
                              unique=False)
        batch_op.create_index('ix_login_attempt_address_key_at', ['address_key', 'at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)


def downgrade() -> None:
    op.drop_table('login_attempt')

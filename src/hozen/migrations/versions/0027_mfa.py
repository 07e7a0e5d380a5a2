"""TOTP multi-factor authentication, recovery codes and re-authentication

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27 11:30:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'mfa_credential',
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('secret', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
        sa.Column('confirmed_at', hozen.db.UTCDateTime(), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_mfa_credential_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mfa_credential')),
    )
    op.create_table(
        'mfa_recovery_code',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
        sa.Column('used_at', hozen.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_mfa_recovery_code_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_code')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_mfa_recovery_code_code_hash')),
    )
    with op.batch_alter_table('mfa_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_code_user_id'), ['user_id'],
                              unique=False)
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reauth_at', hozen.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('reauth_at')
    op.drop_table('mfa_recovery_code')
    op.drop_table('mfa_credential')

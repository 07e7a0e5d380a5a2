"""mass notices to security officers and their read receipts

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 05:45:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mass_notice',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('sender_id', sa.String(length=36), nullable=False),
    sa.Column('sender_organisation_id', sa.String(length=36), nullable=True),
    sa.Column('sent_at', hozen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sender_id'], ['app_user.id'], name=op.f('fk_mass_notice_sender_id_app_user')),
    sa.ForeignKeyConstraint(['sender_organisation_id'], ['organisation.id'], name=op.f('fk_mass_notice_sender_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_notice'))
    )
    with op.batch_alter_table('mass_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mass_notice_sender_organisation_id'), ['sender_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mass_notice_sent_at'), ['sent_at'], unique=False)

    op.create_table('mass_notice_recipient',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('notice_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('notification_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['mass_notice.id'], name=op.f('fk_mass_notice_recipient_notice_id_mass_notice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_mass_notice_recipient_notification_id_notification'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_mass_notice_recipient_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_mass_notice_recipient_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_notice_recipient')),
    sa.UniqueConstraint('notice_id', 'user_id', name='uq_mass_notice_user')
    )
    with op.batch_alter_table('mass_notice_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mass_notice_recipient_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mass_notice_recipient_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mass_notice_recipient_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mass_notice_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mass_notice_recipient_user_id'))
        batch_op.drop_index(batch_op.f('ix_mass_notice_recipient_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_mass_notice_recipient_notice_id'))

    op.drop_table('mass_notice_recipient')
    with op.batch_alter_table('mass_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mass_notice_sent_at'))
        batch_op.drop_index(batch_op.f('ix_mass_notice_sender_organisation_id'))

    op.drop_table('mass_notice')

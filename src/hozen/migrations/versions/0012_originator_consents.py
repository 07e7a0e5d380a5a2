"""originator consents for passing partner-origin information to third parties

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 05:40:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('originator_consent',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('designation_id', sa.String(length=36), nullable=False),
    sa.Column('originator', sa.String(length=3), nullable=False),
    sa.Column('third_party', sa.String(length=8), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.String(length=36), nullable=False),
    sa.Column('requesting_organisation_id', sa.String(length=36), nullable=False),
    sa.Column('requested_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', hozen.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'granted', 'refused', 'withdrawn')", name=op.f('ck_originator_consent_status')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_originator_consent_decided_by_app_user')),
    sa.ForeignKeyConstraint(['designation_id'], ['designation.id'], name=op.f('fk_originator_consent_designation_id_designation')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_originator_consent_requested_by_app_user')),
    sa.ForeignKeyConstraint(['requesting_organisation_id'], ['organisation.id'], name=op.f('fk_originator_consent_requesting_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_originator_consent'))
    )
    with op.batch_alter_table('originator_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_originator_consent_designation_id'), ['designation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_originator_consent_originator'), ['originator'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('originator_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_originator_consent_originator'))
        batch_op.drop_index(batch_op.f('ix_originator_consent_designation_id'))
    op.drop_table('originator_consent')

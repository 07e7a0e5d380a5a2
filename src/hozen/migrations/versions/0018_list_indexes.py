"""list indexes: the columns the lists of assurances, visits, transfers, consents and
incidents are ordered by, so a page is read from an index, not a sort of the table

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 07:35:26.465367
"""

from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('foreign_assurance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_foreign_assurance_submitted_at'), ['submitted_at'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_reported_at'), ['reported_at'], unique=False)

    with op.batch_alter_table('originator_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_originator_consent_requested_at'), ['requested_at'], unique=False)

    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_request_requested_at'), ['requested_at'], unique=False)

    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_request_requested_at'), ['requested_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('visit_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_request_requested_at'))

    with op.batch_alter_table('transfer_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_request_requested_at'))

    with op.batch_alter_table('originator_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_originator_consent_requested_at'))

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_reported_at'))

    with op.batch_alter_table('foreign_assurance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_foreign_assurance_submitted_at'))



"""cursor pagination for the remaining plain lists: every list is now read a page at a
time by keyset (hozen.paging), newest first by the time-ordered id. A business's own
incidents and CUI authorizations are filtered by organisation, so (organisation_id, id)
serves each page of theirs from the index, in order, however deep.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 08:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cui_authorization', schema=None) as batch_op:
        batch_op.create_index('ix_cui_authorization_organisation_id_id',
                              ['organisation_id', 'id'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_organisation_id_id', ['organisation_id', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_organisation_id_id')

    with op.batch_alter_table('cui_authorization', schema=None) as batch_op:
        batch_op.drop_index('ix_cui_authorization_organisation_id_id')

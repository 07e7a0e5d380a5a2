"""access: partial indexes of the items no designation classifies (undesignated
unmarked, undesignated CUI, lifted out of their designation), so that "what may I see"
reads them in id order instead of scanning every item

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 02:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_information_item_unmarked', ['designation_id', 'id'],
     "designation_id IS NULL AND cui_categories = ''"),
    ('ix_information_item_cui', ['designation_id', 'id'],
     "designation_id IS NULL AND cui_categories <> ''"),
    ('ix_information_item_lifted', ['id'], 'lifted_on IS NOT NULL'),
)


def upgrade() -> None:
    with op.batch_alter_table('information_item', schema=None) as batch_op:
        for name, columns, where in INDEXES:
            batch_op.create_index(name, columns, unique=False, sqlite_where=sa.text(where),
                                  postgresql_where=sa.text(where))


def downgrade() -> None:
    with op.batch_alter_table('information_item', schema=None) as batch_op:
        for name, _, where in reversed(INDEXES):
            batch_op.drop_index(name, sqlite_where=sa.text(where),
                                postgresql_where=sa.text(where))

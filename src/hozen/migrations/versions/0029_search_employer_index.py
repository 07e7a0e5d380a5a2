"""search by name within one employer: index on person (employer_id, id)

A company security officer sees only their employer's people, and any caller may filter
by employer: such a page is read where the employer's (employer_id, id) range meets
each search token's (token, person_id) range, both in person-id order, from the indexes
alone (registry.search._within). With employer_id alone, PostgreSQL read every person
of the employer from the table and sorted them, or probed the table for every holder of
the name: 20-40 ms for a common family name at an employer of 6,000 in a register of 1M.
The new index leads with employer_id, so it also serves everything the old one did.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-27 14:30:00
"""

from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

OLD = "ix_person_employer_id"
NEW = "ix_person_employer_id_id"


def upgrade() -> None:
    op.create_index(NEW, "person", ["employer_id", "id"])
    op.drop_index(OLD, table_name="person")


def downgrade() -> None:
    op.create_index(OLD, "person", ["employer_id"])
    op.drop_index(NEW, table_name="person")

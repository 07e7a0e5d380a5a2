"""search tokens: a B-tree on (token, person_id) in place of the hash index

A name shared by thousands (a family name alone) is read one page at a time as a range
of this index in person-id order, stopping at the page's end; the hash index could only
hand over every match, to be joined and sorted before the first page was known. On
PostgreSQL the planner keeps counts of up to 1,000 of the commonest tokens (not 100), so
that every common family name's is known and a search narrowed by employer or birth date
starts from its rarer side.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-27 11:30:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

TABLE = "person_search_token"
OLD = "ix_person_search_token_token"
NEW = "ix_person_search_token_token_person_id"


def upgrade() -> None:
    op.create_index(NEW, TABLE, ["token", "person_id"])
    op.drop_index(OLD, table_name=TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN token SET STATISTICS 1000")
        op.execute(f"ANALYZE {TABLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN token SET STATISTICS -1")
        op.create_index(OLD, TABLE, ["token"], postgresql_using="hash")
    else:
        op.create_index(OLD, TABLE, ["token"])
    op.drop_index(NEW, table_name=TABLE)

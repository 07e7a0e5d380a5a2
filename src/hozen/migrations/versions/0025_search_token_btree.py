"""search tokens: a B-tree on (token, person_id) in place of the hash index

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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""report summaries maintained for the dashboard

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 11:30:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

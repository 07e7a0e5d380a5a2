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
    pass


def downgrade() -> None:
    pass

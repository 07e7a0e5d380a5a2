"""dashboard: summaries for the burden and annual tables

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27 14:30:00
"""


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

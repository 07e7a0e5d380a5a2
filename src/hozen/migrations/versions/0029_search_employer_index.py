"""search by name within one employer: index on person (employer_id, id)

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-27 14:30:00
"""


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Indexes for the clearance work queues and the intel access lists, paged in the
seventh session.

Revision ID: 0034
Revises: 0033
"""

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

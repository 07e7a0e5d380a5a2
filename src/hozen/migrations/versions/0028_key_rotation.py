"""key rotation progress: nothing to store

`hozen keys rotate` keeps its state in the key file (the sets, `next`, `active`) and in
the data (each ciphertext names its key set; each search token its index key), so a
rotation resumes from what it finds and needs no table. Kept as a no-op so the revision
chain stays as reserved.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-27 11:30:00
"""


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

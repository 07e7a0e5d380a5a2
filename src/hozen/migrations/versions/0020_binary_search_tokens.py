"""search tokens as 16-byte keyed hashes: the first half of each HMAC-SHA-256 in binary
instead of its 64 hex characters, and no foreign key on this derived index (a national
register's bulk import spent half its time checking one per token)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 08:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TABLE = "person_search_token"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint("fk_person_search_token_person_id_person", TABLE, type_="foreignkey")
        op.drop_index("ix_person_search_token_token", table_name=TABLE)
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN token TYPE bytea "
                   "USING decode(substr(token, 1, 32), 'hex')")
        op.create_index("ix_person_search_token_token", TABLE, ["token"],
                        postgresql_using="hash")
        return
    # SQLite: a new table without the foreign key, filled from the old one.
    op.create_table(
        "person_search_token_new",
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("token", sa.LargeBinary(16), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "token", name="pk_person_search_token"),
    )
    bind.connection.driver_connection.create_function(
        "hozen_token", 1, lambda t: bytes.fromhex(t[:32]) if isinstance(t, str) else t,
        deterministic=True)
    op.execute(f"INSERT INTO person_search_token_new (person_id, token, key_id) "
               f"SELECT person_id, hozen_token(token), key_id FROM {TABLE}")
    op.drop_index("ix_person_search_token_token", table_name=TABLE)
    op.drop_table(TABLE)
    op.rename_table("person_search_token_new", TABLE)
    op.create_index("ix_person_search_token_token", TABLE, ["token"])


def downgrade() -> None:
    raise NotImplementedError("search tokens cannot be turned back into full hex digests")

"""indexes for reports aggregated in SQL: on PostgreSQL, the access decisions' details
as JSON (GIN, jsonb_path_ops), so the time-to-access report finds the decisions naming a
person without reading every decision (SQLite keeps its one pass); and the visitors of
an assurance

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 08:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visitor_assurance_id'), ['assurance_id'],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX IF NOT EXISTS ix_audit_event_decisions ON audit_event "
                    "USING gin ((CAST(details AS jsonb)) jsonb_path_ops) "
                    "WHERE tag = 'access:decision'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_audit_event_decisions")
    with op.batch_alter_table('visitor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visitor_assurance_id'))

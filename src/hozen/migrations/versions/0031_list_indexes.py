"""list indexes: the lists that were capped (a fixed LIMIT) or read whole are now read a
page at a time by keyset (hozen.paging); each index serves its list's filter and order,
so a page costs the same however deep it is.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-27 14:40:00
"""

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

# (table, index, columns)
INDEXES = [
    ('clearance_case', 'ix_clearance_case_employer_id_id', ['employer_id', 'id']),
    ('complaint', 'ix_complaint_status_id', ['status', 'id']),
    ('correction_request', 'ix_correction_request_status_id', ['status', 'id']),
    ('reportable_event', 'ix_reportable_event_adverse_id', ['adverse', 'id']),
    ('ownership_edge', 'ix_ownership_edge_owned_id_id', ['owned_id', 'id']),
    ('ownership_edge', 'ix_ownership_edge_owner_organisation_id_id',
     ['owner_organisation_id', 'id']),
    ('item_handler', 'ix_item_handler_organisation_id_added_on_id',
     ['organisation_id', 'added_on', 'id']),
    ('custody_event', 'ix_custody_event_item_id_occurred_at',
     ['item_id', 'occurred_at', 'recorded_at', 'id']),
    ('custody_event', 'ix_custody_event_item_id_organisation_id_occurred_at',
     ['item_id', 'organisation_id', 'occurred_at', 'recorded_at', 'id']),
    ('mass_notice', 'ix_mass_notice_sender_organisation_id_id',
     ['sender_organisation_id', 'id']),
    ('intel_tearline', 'ix_intel_tearline_status_created_at_id',
     ['status', 'created_at', 'id']),
    ('sharing_event', 'ix_sharing_event_starts_at_id', ['starts_at', 'id']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)

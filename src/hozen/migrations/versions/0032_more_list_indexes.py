"""more list indexes: a subject's own cases, a designation's items, reviews and
objections, agreements, a facility's inspections, participants and specification, the
overdue findings and the time-to-access report are read a page at a time by keyset
(hozen.paging); each index serves its list's filter and order.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-27 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# (table, index, columns, partial WHERE or None)
INDEXES = [
    ("clearance_case", "ix_clearance_case_person_id_id", ["person_id", "id"], None),
    ("information_item", "ix_information_item_designation_id_id", ["designation_id", "id"],
     "designation_id IS NOT NULL"),
    ("designation_review", "ix_designation_review_still_needed_due_on_id",
     ["still_needed", "due_on", "id"], None),
    ("designation_objection", "ix_designation_objection_designation_id_id",
     ["designation_id", "id"], None),
    ("agreement", "ix_agreement_in_force_from_partner", ["in_force_from", "partner"], None),
    ("foreign_assurance", "ix_foreign_assurance_kind_submitted_at_id",
     ["kind", "submitted_at", "id"], None),
    ("facility_inspection", "ix_facility_inspection_facility_id_held_on_id",
     ["facility_id", "held_on", "id"], None),
    ("facility_finding", "ix_facility_finding_closed_on_due_on_id",
     ["closed_on", "due_on", "id"], None),
    ("research_participant", "ix_research_participant_facility_id_joined_on_id",
     ["facility_id", "joined_on", "id"], None),
    ("security_specification", "ix_security_specification_facility_id_recorded_at_id",
     ["facility_id", "recorded_at", "id"], None),
]


def upgrade() -> None:
    for table, name, columns, where in INDEXES:
        partial = {} if where is None else {"sqlite_where": sa.text(where),
                                            "postgresql_where": sa.text(where)}
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False, **partial)


def downgrade() -> None:
    for table, name, _, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)

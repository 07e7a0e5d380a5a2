"""dashboard: burden totals per year and organisation; indexes the dashboard reads through

The burden report read every burden record and allowance (twice: per year and per
organisation); it now reads report_burden_total, kept in step by reports.burden_totals
and filled here from the rows already there. The open cases by regime and submission,
the cases decided or ended in a year and the active clearances by expiry are each read
from an index alone (the timeliness backlog, the annual report, the due dates).

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

INDEXES = (("ix_clearance_case_waiting", "clearance_case", ["state", "regime", "submitted_at"]),
           ("ix_clearance_case_decided", "clearance_case", ["state", "decided_at", "regime"]),
           ("ix_clearance_case_ended", "clearance_case", ["state", "updated_at", "regime"]),
           ("ix_clearance_expiry", "clearance", ["status", "valid_until"]))
SUMS = ("cases", "subject_minutes", "security_officer_minutes", "window_minutes", "cost_yen",
        "case_allowance_yen", "allowances", "allowance_yen")


def upgrade() -> None:
    op.create_table(
        "report_burden_total",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        *(sa.Column(c, sa.BigInteger(), nullable=False) for c in SUMS),
        sa.PrimaryKeyConstraint("year", "organisation_id",
                                name=op.f("pk_report_burden_total")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    # the totals of the records and allowances already there, from the one definition
    from hozen.reports.burden_totals import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("report_burden_total")

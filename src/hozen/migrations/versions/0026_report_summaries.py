"""report summaries maintained for the dashboard

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 11:30:00
"""

from alembic import op
import sqlalchemy as sa



revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_phase_count",
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("regime", sa.String(length=8), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("width", "phase", "bucket", "regime", "month",
                                name=op.f("pk_report_phase_count")),
    )
    op.create_index("ix_report_phase_count_month", "report_phase_count",
                    ["width", "phase", "month", "bucket"])
    # the counts of the cases already there, from the one definition of a phase
    from hozen.reports.summaries import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_report_phase_count_month", table_name="report_phase_count")
    op.drop_table("report_phase_count")

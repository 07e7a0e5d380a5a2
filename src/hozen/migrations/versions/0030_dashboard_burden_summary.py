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
EVERY_YEAR = sa.literal_column("0")  # the year of the totals over every year
ZERO = sa.literal_column("0")


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
    op.execute(BURDEN_TOTAL.insert().from_select(["year", "organisation_id", *SUMS], _totals()))


# The totals of the records and allowances already there, by this revision's own copy of
# the definition in reports.burden_totals (a later change to the application must not
# change what this step does): per year and organisation, and per organisation over every
# year (year 0), a case's employer counts the case once, its records' minutes per party,
# fees and case allowances; an allowance counts in the year its period ends.
BURDEN_TOTAL = sa.table("report_burden_total", *(sa.column(c) for c in (
    "year", "organisation_id", *SUMS)))
RECORD = sa.table("burden_record", *(sa.column(c) for c in (
    "case_id", "party", "minutes", "cost_yen", "allowance_yen", "recorded_at")))
CASE = sa.table("clearance_case", sa.column("id"), sa.column("employer_id"))
ALLOWANCE = sa.table("clearance_allowance", *(sa.column(c) for c in (
    "organisation_id", "amount_yen", "period_end")))
MINUTES = {"subject_minutes": "subject", "security_officer_minutes": "security_officer",
           "window_minutes": "window"}
OF_CASES = ("cases", *MINUTES, "cost_yen", "case_allowance_yen")


def _year(column) -> sa.ColumnElement:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _records(year) -> sa.Select:
    r, c = RECORD.c, CASE.c
    return sa.select(
        year.label("year"), c.employer_id.label("organisation_id"),
        sa.func.count(sa.distinct(c.id)).label("cases"),
        *(sa.func.sum(sa.case((r.party == party, r.minutes), else_=0)).label(column)
          for column, party in MINUTES.items()),
        sa.func.sum(r.cost_yen).label("cost_yen"),
        sa.func.sum(r.allowance_yen).label("case_allowance_yen"),
        ZERO.label("allowances"), ZERO.label("allowance_yen"),
    ).select_from(RECORD.join(CASE, c.id == r.case_id)).group_by(
        *([] if year is EVERY_YEAR else [year]), c.employer_id)


def _allowances(year) -> sa.Select:
    a = ALLOWANCE.c
    return sa.select(
        year.label("year"), a.organisation_id, *(ZERO.label(c) for c in OF_CASES),
        sa.func.count().label("allowances"), sa.func.sum(a.amount_yen).label("allowance_yen"),
    ).group_by(*([] if year is EVERY_YEAR else [year]), a.organisation_id)


def _totals() -> sa.Select:
    parts = sa.union_all(_records(_year(RECORD.c.recorded_at)), _records(EVERY_YEAR),
                         _allowances(_year(ALLOWANCE.c.period_end)),
                         _allowances(EVERY_YEAR)).subquery("part")
    return sa.select(parts.c.year, parts.c.organisation_id,
                     *(sa.func.sum(parts.c[c]) for c in SUMS)).group_by(
        parts.c.year, parts.c.organisation_id)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("report_burden_total")

"""report summaries maintained for the dashboard

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 11:30:00
"""

from collections import Counter

import sqlalchemy as sa
from alembic import op

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
    _fill(op.get_bind())


# The counts of the cases already there, by this revision's own copy of the definitions
# in reports.phases and reports.summaries (a later change to the application must not
# change what this step does): per finished phase of a case, one in its hundredth of a
# day and one in its whole day, in the month the case belongs to.
DECIDED = "('granted', 'denied')"
PHASES = ("consent", "questionnaire", "investigation", "adjudication", "end_to_end")
DAY = 100  # hundredths of a day in one day bucket
BATCH = 5000
_EPOCH = {  # whole seconds since 1970, the fraction dropped (as reports.sql.epoch)
    "sqlite": "CAST(strftime('%s', substr({0}, 1, 19)) AS INTEGER)",
    "postgresql": "CAST(floor(date_part('epoch', CAST({0} AS TIMESTAMP))) AS BIGINT)",
}
_MONTH = {"sqlite": "substr({0}, 1, 7)", "postgresql": "to_char({0}, 'YYYY-MM')"}
PHASE_COUNT = sa.table("report_phase_count", *(sa.column(c) for c in (
    "width", "phase", "bucket", "regime", "month", "n")))


def _timed_cases(dialect: str) -> str:
    """Per case: its regime, the month it belongs to (decided, or if still open,
    submitted, else created) and each phase's seconds (NULL where unfinished)."""
    def seconds(start: str, end: str) -> str:
        return f"{_EPOCH[dialect].format(end)} - {_EPOCH[dialect].format(start)}"

    decided = f"CASE WHEN c.state IN {DECIDED} THEN c.decided_at END"
    belongs = (f"CASE WHEN c.state IN {DECIDED} THEN c.decided_at "
               "ELSE coalesce(c.submitted_at, c.created_at) END")
    adjudication_start = ("CASE WHEN c.reused_investigation OR i.id IS NULL "
                          "THEN c.submitted_at ELSE i.completed_on END")
    return (f"SELECT c.regime, {_MONTH[dialect].format(belongs)} AS month, "
            f"{seconds('c.created_at', 'c.consented_at')} AS consent, "
            f"{seconds('c.consented_at', 'c.submitted_at')} AS questionnaire, "
            "CASE WHEN c.reused_investigation THEN NULL "
            f"ELSE {seconds('i.opened_at', 'i.completed_on')} END AS investigation, "
            f"{seconds(adjudication_start, decided)} AS adjudication, "
            f"{seconds('c.submitted_at', decided)} AS end_to_end "
            "FROM clearance_case c LEFT OUTER JOIN investigation i "
            "ON i.id = c.investigation_id")


def _hundredths(seconds: int) -> int:
    """The duration in hundredths of a day, rounded as the reports show days."""
    return round(round(seconds / 86400, 2) * 100)


def _fill(conn) -> None:
    counts: Counter = Counter()
    result = conn.execute(sa.text(_timed_cases(conn.dialect.name)).execution_options(
        stream_results=True, yield_per=20_000))
    for regime, month, *phases in result:
        if month is None:  # decided without a decision time: it belongs nowhere
            continue
        for phase, s in zip(PHASES, phases, strict=True):
            if s is not None:
                h = _hundredths(s)
                counts[(1, phase, h, regime, month)] += 1
                counts[(DAY, phase, h // DAY, regime, month)] += 1
    rows = [{"width": k[0], "phase": k[1], "bucket": k[2], "regime": k[3], "month": k[4],
             "n": n} for k, n in sorted(counts.items())]
    for at in range(0, len(rows), BATCH):
        conn.execute(sa.insert(PHASE_COUNT), rows[at:at + BATCH])


def downgrade() -> None:
    op.drop_index("ix_report_phase_count_month", table_name="report_phase_count")
    op.drop_table("report_phase_count")

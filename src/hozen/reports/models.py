"""Clearance allowances (R12): what an employer pays a cleared member of staff for the
burden of holding a clearance, per period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hozen.clearances.models import Clearance, ClearanceCase
from hozen.db import Base, UTCDateTime, new_id, utcnow


class ClearanceAllowance(Base):
    """An allowance (手当) paid to one person by their employer for one period."""

    __tablename__ = "clearance_allowance"
    __table_args__ = (
        CheckConstraint("amount_yen >= 0", name="non_negative"),
        CheckConstraint("period_end >= period_start", name="period"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    amount_yen: Mapped[int] = mapped_column()
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date, index=True)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhaseCount(Base):
    """How many finished phases of suitability assessments took each duration: per phase,
    regime and month the case belongs to (decided, else submitted, else created), per
    whole day (width 100) and per hundredth of a day (width 1). Kept in step with the
    cases by reports.summaries, in the transaction that changes them."""

    __tablename__ = "report_phase_count"
    # the monthly trend reads a few days of each month
    __table_args__ = (Index("ix_report_phase_count_month", "width", "phase", "month",
                            "bucket"),)

    width: Mapped[int] = mapped_column(Integer, primary_key=True)  # hundredths per bucket
    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)  # floor(hundredths/width)
    regime: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    n: Mapped[int] = mapped_column(Integer, default=0)


class BurdenTotal(Base):
    """The burden and cost figures per year and organisation (R12), year 0 standing for
    every year: cases with a burden record (distinct), the records' minutes per party,
    fees and case allowances (by the case's employer and the year recorded), and the
    clearance allowances paid (by the paying organisation and the year the period ends).
    Kept in step with the records, cases and allowances by reports.burden_totals, in
    the transaction that changes them."""

    __tablename__ = "report_burden_total"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: every year
    organisation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cases: Mapped[int] = mapped_column(BigInteger, default=0)
    subject_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    security_officer_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    window_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_yen: Mapped[int] = mapped_column(BigInteger, default=0)
    case_allowance_yen: Mapped[int] = mapped_column(BigInteger, default=0)
    allowances: Mapped[int] = mapped_column(BigInteger, default=0)  # rows, 0 yen ones too
    allowance_yen: Mapped[int] = mapped_column(BigInteger, default=0)


# Indexes through which the dashboard reads other areas' tables, declared beside the
# queries that need them (migration 0030): the open cases by regime and submission
# (timeliness backlog), the cases decided or ended in a year (annual report), and the
# active clearances by expiry (due dates) — each read from the index alone.
Index("ix_clearance_case_waiting", ClearanceCase.state, ClearanceCase.regime,
      ClearanceCase.submitted_at)
Index("ix_clearance_case_decided", ClearanceCase.state, ClearanceCase.decided_at,
      ClearanceCase.regime)
Index("ix_clearance_case_ended", ClearanceCase.state, ClearanceCase.updated_at,
      ClearanceCase.regime)
Index("ix_clearance_expiry", Clearance.status, Clearance.valid_until)

# The flush hooks that keep PhaseCount and BurdenTotal in step, wherever models are loaded.
from hozen.reports import burden_totals as _burden_totals  # noqa: E402,F401
from hozen.reports import summaries as _summaries  # noqa: E402,F401

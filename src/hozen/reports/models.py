"""Clearance allowances (R12): what an employer pays a cleared member of staff for the
burden of holding a clearance, per period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

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


# The flush hooks that keep PhaseCount in step with the cases, wherever models are loaded.
from hozen.reports import summaries as _summaries  # noqa: E402,F401

"""Clearance allowances (R12): what an employer pays a cleared member of staff for the
burden of holding a clearance, per period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
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

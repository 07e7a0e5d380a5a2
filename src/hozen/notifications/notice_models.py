"""Mass notices: one notice from the window or an agency to the security officers of a
chosen set of organisations, delivered through the inbox, with who has read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, new_id, utcnow


class MassNotice(Base):
    __tablename__ = "mass_notice"
    # an agency's own notices, newest first, a page at a time (hozen.paging)
    __table_args__ = (Index("ix_mass_notice_sender_organisation_id_id",
                            "sender_organisation_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # as written, Japanese or English
    # The audience as chosen ({"kinds": [...], "min_level": ..., "programmes": [...]}).
    audience: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    # The sender's organisation: an agency official sees its own agency's notices.
    sender_organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"),
                                                               index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MassNoticeRecipient(Base):
    """One security officer a notice went to, and the organisation it went to them for."""

    __tablename__ = "mass_notice_recipient"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_mass_notice_user"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    notice_id: Mapped[str] = mapped_column(ForeignKey("mass_notice.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The inbox entry; its read_at is the receipt.
    notification_id: Mapped[str | None] = mapped_column(
        ForeignKey("notification.id", ondelete="SET NULL"))

"""In-app inbox entries; the same entry may also go out by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, new_id, utcnow


class Notification(Base):
    __tablename__ = "notification"
    # the inbox, newest first, a page at a time (hozen.paging)
    __table_args__ = (Index("ix_notification_user_id_created_at_id", "user_id", "created_at",
                            "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(50))
    # Parameters of the message (ids, dates, statuses): never findings, never another
    # person's data. The words are chosen at read time in the reader's language.
    params: Mapped[str] = mapped_column(Text)
    # One notice per event: running a job twice must not notify twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Purged past retention: the words' parameters are erased, the row stays as a
    # tombstone so that the same notice is never sent again.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

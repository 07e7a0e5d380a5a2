"""Clearance-holder-only communities and seminars (DESIGN R10): each carries an admission
rule; membership and registration are checked against live clearances on every request.
Posts, files and event materials carry markings (level, TLP 2.0)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, check_in, new_id, utcnow

LEVELS = ("UNMARKED", "CUI", "CESI", "SDS")
MIN_LEVELS = ("CUI", "CESI", "SDS")
TLP = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
MEMBER_STATUSES = ("applied", "admitted", "refused", "left", "removed")


class _Rule:
    """The admission rule a community or an event carries (comma-separated sets; an empty
    set admits any)."""

    min_level: Mapped[str] = mapped_column(String(8))
    regimes: Mapped[str] = mapped_column(String(40), default="")  # clearance regimes
    programmes: Mapped[str] = mapped_column(String(400), default="")  # programme codes
    nationalities: Mapped[str] = mapped_column(String(400), default="")  # alpha-3
    organisation_kinds: Mapped[str] = mapped_column(String(200), default="")
    releasable_to: Mapped[str] = mapped_column(String(400), default="")  # REL TO


class Community(_Rule, Base):
    """A community open only to people its admission rule admits."""

    __tablename__ = "community"
    __table_args__ = (CheckConstraint(check_in("min_level", MIN_LEVELS), name="min_level"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    manager_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommunityMember(Base):
    """A person's application to, and membership of, a community."""

    __tablename__ = "community_member"
    __table_args__ = (
        UniqueConstraint("community_id", "person_id"),
        CheckConstraint(check_in("status", MEMBER_STATUSES), name="status"),
        # the manager's member list, a page at a time (hozen.paging)
        Index("ix_community_member_community_id_applied_at_id", "community_id", "applied_at",
              "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")


class CommunityPost(Base):
    __tablename__ = "community_post"
    __table_args__ = (CheckConstraint(check_in("level", LEVELS), name="level"),
                      CheckConstraint(check_in("tlp", TLP), name="tlp"),
                      # a community's posts, newest first, a page at a time (hozen.paging)
                      Index("ix_community_post_community_id_created_at_id", "community_id",
                            "created_at", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    tlp: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SharingEvent(_Rule, Base):
    """A seminar or other event open only to people its admission rule admits."""

    __tablename__ = "sharing_event"
    __table_args__ = (CheckConstraint(check_in("min_level", MIN_LEVELS), name="min_level"),
                      CheckConstraint("ends_at >= starts_at", name="times"),
                      # events not yet over, the soonest to end first, a page at a time
                      # (hozen.paging): one range of this index is both filter and order
                      Index("ix_sharing_event_ends_at_id", "ends_at", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column()
    organiser_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventRegistration(Base):
    __tablename__ = "event_registration"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),
                      # the attendance list, a page at a time (hozen.paging)
                      Index("ix_event_registration_event_id_registered_at_id", "event_id",
                            "registered_at", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("sharing_event.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))


class SharedFile(Base):
    """A small upload kept in the database: a community's file or an event's material."""

    __tablename__ = "shared_file"
    __table_args__ = (
        CheckConstraint(check_in("level", LEVELS), name="level"),
        CheckConstraint(check_in("tlp", TLP), name="tlp"),
        CheckConstraint("(community_id IS NULL) <> (event_id IS NULL)", name="container"),
        # a community's files (newest first) and an event's materials, a page at a time
        Index("ix_shared_file_community_id_created_at_id", "community_id", "created_at", "id"),
        Index("ix_shared_file_event_id_created_at_id", "event_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    community_id: Mapped[str | None] = mapped_column(ForeignKey("community.id"), index=True)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("sharing_event.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    level: Mapped[str] = mapped_column(String(8))
    tlp: Mapped[str] = mapped_column(String(16))
    uploaded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Threat intelligence (DESIGN R9): TAXII collections with their markings and access
lists, the STIX object versions they hold, TAXII status resources and tear-lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, new_id, utcnow

LEVELS = ("UNMARKED", "CUI", "CESI", "SDS")


class IntelCollection(Base):
    """A TAXII collection. Its marking (level, programmes, REL TO) decides who may see it
    at all; its access list stands in for the handler register of its objects."""

    __tablename__ = "intel_collection"
    __table_args__ = (
        CheckConstraint("level IN ('" + "','".join(LEVELS) + "')", name="level"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(8))
    programmes: Mapped[str] = mapped_column(String(400), default="")  # comma-separated codes
    releasable_to: Mapped[str] = mapped_column(String(400), default="")  # ISO alpha-3, commas
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Run by the government: publishes to every cleared member (all count as handlers).
    government_run: Mapped[bool] = mapped_column(Boolean, default=False)
    # Company submissions wait for the agency's review before peers see them.
    review_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntelCollectionMember(Base):
    """A person the agency registered as a handler of a collection's objects."""

    __tablename__ = "intel_collection_member"
    # the access list, earliest grant first, a page at a time (intel.access_list)
    __table_args__ = (Index("ix_intel_collection_member_collection_id_granted_at",
                            "collection_id", "granted_at", "person_id"),)

    collection_id: Mapped[str] = mapped_column(
        ForeignKey("intel_collection.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(36))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StixObject(Base):
    """One version (id + modified) of a STIX object in a collection, stored once. Its own
    markings are kept digested (`marking_key`) so that listing filters in SQL."""

    __tablename__ = "stix_object"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version"),
        CheckConstraint("status IN ('approved','pending','refused')", name="status"),
        Index("ix_stix_object_collection_added", "collection_id", "date_added", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("intel_collection.id", ondelete="CASCADE"), index=True)
    stix_id: Mapped[str] = mapped_column(String(120), index=True)
    stix_type: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))  # modified (or created), as sent
    body: Mapped[dict] = mapped_column(JSON)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    level_rank: Mapped[int] = mapped_column(Integer, default=0)  # its own hozen marking
    programmes: Mapped[str] = mapped_column(String(400), default="")
    releasable_to: Mapped[str] = mapped_column(String(400), default="")  # "" : no REL TO
    marking_key: Mapped[str] = mapped_column(String(900), default="0||")
    tlp: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(10), default="approved")
    submitted_by: Mapped[str] = mapped_column(String(36))
    submitter_organisation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(36))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reasons: Mapped[str] = mapped_column(Text, default="")


class TaxiiStatus(Base):
    """The status resource of one POST of an envelope."""

    __tablename__ = "taxii_status"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    collection_id: Mapped[str] = mapped_column(
        ForeignKey("intel_collection.id", ondelete="CASCADE"))
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    successes: Mapped[list] = mapped_column(JSON, default=list)
    failures: Mapped[list] = mapped_column(JSON, default=list)
    pendings: Mapped[list] = mapped_column(JSON, default=list)


class TearLine(Base):
    """A releasable version of a classified object (CUI or TLP:AMBER, named parts
    removed), linked to its source and released only on a second official's approval."""

    __tablename__ = "intel_tearline"
    __table_args__ = (
        CheckConstraint("status IN ('pending','released','refused')", name="status"),
        CheckConstraint("target IN ('CUI','TLP:AMBER')", name="target"),
        # the tear-lines awaiting approval, oldest first, a page at a time (hozen.paging)
        Index("ix_intel_tearline_status_created_at_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("stix_object.id"), index=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("intel_collection.id"))
    target: Mapped[str] = mapped_column(String(10))
    removed: Mapped[list] = mapped_column(JSON, default=list)
    body: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    author_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[str] = mapped_column(Text, default="")
    released_id: Mapped[str | None] = mapped_column(ForeignKey("stix_object.id"))

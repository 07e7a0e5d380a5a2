"""Programmes (compartments) with their participating organisations and countries;
membership that grants need-to-know only after a recorded briefing and a signed
non-disclosure acknowledgement, ended by a debriefing; departures with their continuing
obligations and the window's follow-up contacts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, new_id, utcnow


class Programme(Base):
    """A compartment: e.g. an international joint-development programme. Its code is the
    compartment written on items (GCAP, SATCOM)."""

    __tablename__ = "programme"
    __table_args__ = (CheckConstraint("code = upper(code)", name="code_upper"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    countries: Mapped[str] = mapped_column(String(400), default="")  # partner countries
    organisations: Mapped[str] = mapped_column(Text, default="")  # participating org ids
    created_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(Base):
    """A person in a programme. Need-to-know only once briefed with a signed
    acknowledgement; ended by a debriefing."""

    __tablename__ = "programme_member"
    __table_args__ = (Index("uq_programme_member_current", "programme_id", "person_id",
                            unique=True, sqlite_where=text("ended_on IS NULL"),
                            postgresql_where=text("ended_on IS NULL")),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    programme_id: Mapped[str] = mapped_column(ForeignKey("programme.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    added_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    briefed_on: Mapped[date | None] = mapped_column(Date)
    nda_signed_on: Mapped[date | None] = mapped_column(Date)
    briefed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    ended_on: Mapped[date | None] = mapped_column(Date)  # the debriefing
    debriefed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))


class Departure(Base):
    """A person leaving an organisation (or a programme): debriefed, their continuing
    obligations recorded; followed up by the window until `follow_up_until` when they
    accessed SDS items or critical technology. Survives the company-copy purge."""

    __tablename__ = "departure"
    # the window's follow-ups, a page at a time (hozen.access.programmes.follow_ups)
    __table_args__ = (Index("ix_departure_follow_up_until_id", "follow_up_until", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    programme_id: Mapped[str | None] = mapped_column(ForeignKey("programme.id"))
    departed_on: Mapped[date] = mapped_column(Date)
    obligations: Mapped[str] = mapped_column(Text)
    follow_up_until: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUpContact(Base):
    """The window's contact with a departed person during the follow-up period."""

    __tablename__ = "follow_up_contact"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    departure_id: Mapped[str] = mapped_column(ForeignKey("departure.id"), index=True)
    contacted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))


class DecisionEpoch(Base):
    """The version of what access decisions read: a fresh token whenever a change that
    can alter a decision commits — for one person (`p:<id>`: their clearance, handler
    entries, programmes, training, departure, CUI authorization, nationality, employer)
    or for everyone (`*`: organisations, facilities, FOCI, agreements, visits, items and
    designations). Every server process compares these tokens with those its cached
    attributes were read under (hozen.access.cache), so a change made through one
    process changes the next decision of every other."""

    __tablename__ = "decision_epoch"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(36))

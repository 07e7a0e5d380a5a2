"""Facility clearance (適合事業者): certifications with their applications and checklist,
approved areas, FOCI declarations and mitigations, change reports, inspections, research
participants, the security classification specification, the handler register, the
custody log, incidents and training records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, check_in, new_id, utcnow
from hozen.facilities.rules import (
    AREA_KINDS,
    CERT_LEVELS,
    INSTRUMENTS,
    ChangeStatus,
    FacilityState,
    InspectionKind,
    Severity,
)

CUSTODY_KINDS = ("receipt", "handling", "copy", "transfer", "return", "destruction")
INCIDENT_KINDS = ("loss", "leak", "unauthorised_access", "mishandling")
INCIDENT_SEVERITIES = ("low", "medium", "high", "critical")
TRAINING_KINDS = ("initial", "refresher")


class Facility(Base):
    """One certification: of an organisation, or of one research project of a university
    or research institute (its secure work in its own approved areas)."""

    __tablename__ = "facility"
    __table_args__ = (
        CheckConstraint(check_in("state", FacilityState), name="state"),
        CheckConstraint(check_in("level", CERT_LEVELS), name="level"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    project: Mapped[str | None] = mapped_column(String(200))  # a research project
    level: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the application
    internal_rules: Mapped[str | None] = mapped_column(Text)
    governance: Mapped[str | None] = mapped_column(Text)
    training_plan: Mapped[str | None] = mapped_column(Text)
    security_officer_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    deputy_officer_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the review: {"GOV-1": {"met": true, "evidence": "..."}}, as JSON
    checklist: Mapped[str] = mapped_column(Text, default="{}")
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    certified_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    # SDS access of a mitigated business: a case-by-case national-interest approval
    national_interest_on: Mapped[date | None] = mapped_column(Date)
    national_interest_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    national_interest_reasons: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ApprovedArea(Base):
    """A room, container or IT system approved for a level; approved with the
    certification. For a research project it must be apart from the open laboratory."""

    __tablename__ = "approved_area"
    __table_args__ = (
        CheckConstraint(check_in("kind", AREA_KINDS), name="kind"),
        CheckConstraint(check_in("level", CERT_LEVELS), name="level"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facility.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))
    separate_from_open_lab: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)


class FociDeclaration(Base):
    """What an organisation declares beyond its ownership graph: the nationalities on its
    board, and the foreign share of its debt and revenue. The latest one counts."""

    __tablename__ = "foci_declaration"
    __table_args__ = (
        CheckConstraint("foreign_debt_pct >= 0 AND foreign_debt_pct <= 100", name="debt"),
        CheckConstraint("foreign_revenue_pct >= 0 AND foreign_revenue_pct <= 100",
                        name="revenue"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    board: Mapped[str] = mapped_column(Text, default="[]")  # [["JPN"], ["USA", "JPN"]]
    foreign_debt_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=0)
    foreign_revenue_pct: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=0)
    declared_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FociMitigation(Base):
    """A mitigation instrument the agency recorded for an organisation."""

    __tablename__ = "foci_mitigation"
    __table_args__ = (CheckConstraint(check_in("instrument", INSTRUMENTS), name="instrument"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))  # the agreement's reference
    terms: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChangeReport(Base):
    """A change to what was certified, reported first; it takes effect only once the
    agency approves it."""

    __tablename__ = "facility_change"
    __table_args__ = (CheckConstraint(check_in("status", ChangeStatus), name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facility.id"), index=True)
    kinds: Mapped[str] = mapped_column(String(100))  # "owner,officers"
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reported_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[str | None] = mapped_column(Text)


class Inspection(Base):
    __tablename__ = "facility_inspection"
    __table_args__ = (CheckConstraint(check_in("kind", InspectionKind), name="kind"),
                      # a facility's inspections, newest first, a page at a time
                      Index("ix_facility_inspection_facility_id_held_on_id", "facility_id",
                            "held_on", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facility.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionFinding(Base):
    """A finding with its corrective action and due date; closed when done."""

    __tablename__ = "facility_finding"
    __table_args__ = (CheckConstraint(check_in("severity", Severity), name="severity"),
                      # open findings by due date: the overdue list, a page at a time
                      Index("ix_facility_finding_closed_on_due_on_id", "closed_on", "due_on",
                            "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("facility_inspection.id"),
                                               index=True)
    severity: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    control_id: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class ResearchParticipant(Base):
    """A person taking part in a cleared research project; a foreign national only after
    screening."""

    __tablename__ = "research_participant"
    # one current participation of a person; after leaving, they may join again
    __table_args__ = (Index("uq_research_participant_current", "facility_id", "person_id",
                            unique=True, sqlite_where=text("left_on IS NULL"),
                            postgresql_where=text("left_on IS NULL")),
                      # a project's participants in the order they joined, a page at a time
                      Index("ix_research_participant_facility_id_joined_on_id", "facility_id",
                            "joined_on", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facility.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    screened_on: Mapped[date | None] = mapped_column(Date)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))


class SpecificationEntry(Base):
    """A line of the confidentiality contract's security classification specification:
    an item, its level, the departments that may handle it, handling and return rules."""

    __tablename__ = "security_specification"
    __table_args__ = (UniqueConstraint("facility_id", "item_id"),
                      CheckConstraint(check_in("level", CERT_LEVELS), name="level"),
                      # the specification in the order recorded, a page at a time
                      Index("ix_security_specification_facility_id_recorded_at_id",
                            "facility_id", "recorded_at", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    facility_id: Mapped[str] = mapped_column(ForeignKey("facility.id"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("information_item.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    departments: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(Text)
    return_rule: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handler(Base):
    """The handler register: a cleared person of the organisation chosen to handle an
    item it holds."""

    __tablename__ = "item_handler"
    # one current entry of a person for an item at an organisation
    __table_args__ = (Index("uq_item_handler_current", "item_id", "organisation_id",
                            "person_id", unique=True, sqlite_where=text("removed_on IS NULL"),
                            postgresql_where=text("removed_on IS NULL")),
                      # the register per organisation, a page at a time (hozen.paging)
                      Index("ix_item_handler_organisation_id_added_on_id", "organisation_id",
                            "added_on", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("information_item.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    added_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    removed_on: Mapped[date | None] = mapped_column(Date)


class CustodyEvent(Base):
    """Append-only: receipt, handling, copy, transfer, return and destruction (with a
    witness) of an item at an organisation."""

    __tablename__ = "custody_event"
    __table_args__ = (
        CheckConstraint(check_in("kind", CUSTODY_KINDS), name="kind"),
        CheckConstraint("kind <> 'destruction' OR witness_person_id IS NOT NULL",
                        name="destruction_witnessed"),
        # an item's log in the order things happened, and its latest event per
        # organisation (where it is), a page at a time (hozen.paging)
        Index("ix_custody_event_item_id_occurred_at", "item_id", "occurred_at",
              "recorded_at", "id"),
        Index("ix_custody_event_item_id_organisation_id_occurred_at", "item_id",
              "organisation_id", "occurred_at", "recorded_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("information_item.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))  # who did it
    witness_person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    area_id: Mapped[str | None] = mapped_column(ForeignKey("approved_area.id"))
    to_organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisation.id"))
    copies: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """Loss, leak, unauthorised access or mishandling, tracked to closure."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(check_in("kind", INCIDENT_KINDS), name="kind"),
        CheckConstraint(check_in("severity", INCIDENT_SEVERITIES), name="severity"),
        CheckConstraint(check_in("status", ("open", "closed")), name="status"),
        # a business's own incidents, newest first, a page at a time (hozen.paging)
        Index("ix_incident_organisation_id_id", "organisation_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    item_ids: Mapped[str] = mapped_column(Text, default="")
    person_ids: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reported_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str | None] = mapped_column(Text)


class TrainingRecord(Base):
    """Security training of a person: the first, then a yearly refresher."""

    __tablename__ = "training_record"
    __table_args__ = (CheckConstraint(check_in("kind", TRAINING_KINDS), name="kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    trained_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

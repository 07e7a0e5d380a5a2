"""Suitability assessment (適性評価): cases, investigations, findings, decisions and the
clearances they produce. Findings, reasons and questionnaire answers are encrypted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hozen.clearances.rules import AREAS, SEVERITIES, CaseState, ClearanceStatus, Regime
from hozen.db import Base, UTCDateTime, check_in, new_id, utcnow


class Investigation(Base):
    """One investigation by the government window; every agency relies on it (R2)."""

    __tablename__ = "investigation"
    __table_args__ = (CheckConstraint(check_in("regime", Regime), name="regime"),
                      # an investigator's queue starts from their investigations
                      Index("ix_investigation_investigator_id", "investigator_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    regime: Mapped[str] = mapped_column(String(8))
    investigator_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_on: Mapped[date | None] = mapped_column(Date)


class ClearanceCase(Base):
    __tablename__ = "clearance_case"
    __table_args__ = (
        CheckConstraint(check_in("regime", Regime), name="regime"),
        CheckConstraint(check_in("state", CaseState), name="state"),
        # an employer's candidate list, a page at a time, from the index (hozen.paging)
        Index("ix_clearance_case_employer_id_id", "employer_id", "id"),
        # a subject's own cases, a page at a time
        Index("ix_clearance_case_person_id_id", "person_id", "id"),
        # the work queues, oldest submission first, a page at a time (views.queue_page)
        Index("ix_clearance_case_state_submitted_at_id", "state", "submitted_at", "id"),
        # and goes on to their cases
        Index("ix_clearance_case_investigation_id", "investigation_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    regime: Mapped[str] = mapped_column(String(8))
    sponsor_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    employer_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    # None: a granted case imported from a legacy system (`hozen import --kind clearances`)
    listed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    family_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    declines_reasons: Mapped[bool] = mapped_column(Boolean, default=False)
    investigation_id: Mapped[str | None] = mapped_column(ForeignKey("investigation.id"))
    reused_investigation: Mapped[bool] = mapped_column(Boolean, default=False)
    renewal_of: Mapped[str | None] = mapped_column(ForeignKey("clearance_case.id"))
    questionnaire: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted JSON
    decision_reasons: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Finding(Base):
    """An investigator's finding in one of the seven areas; the summary is encrypted and
    never shown to an employer."""

    __tablename__ = "finding"
    __table_args__ = (
        CheckConstraint(check_in("area", AREAS), name="area"),
        CheckConstraint(check_in("severity", SEVERITIES), name="severity"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigation.id"), index=True)
    area: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    found_on: Mapped[date] = mapped_column(Date)
    content: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted {source, summary}
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AreaDecision(Base):
    """The adjudicator's decision on one area of one case, with encrypted reasons."""

    __tablename__ = "area_decision"
    __table_args__ = (
        CheckConstraint(check_in("area", AREAS), name="area"),
        UniqueConstraint("case_id", "area"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("clearance_case.id"), index=True)
    area: Mapped[str] = mapped_column(String(32))
    favourable: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[bytes] = mapped_column(LargeBinary)
    adjudicator_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Clearance(Base):
    """A favourable assessment: held for a period, not tied to one contract (R1)."""

    __tablename__ = "clearance"
    __table_args__ = (
        CheckConstraint(check_in("regime", Regime), name="regime"),
        CheckConstraint(check_in("status", ClearanceStatus), name="status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("clearance_case.id"), unique=True)
    regime: Mapped[str] = mapped_column(String(8))
    sponsor_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    granted_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


EVENT_KINDS = ("foreign_travel", "foreign_contact", "arrest", "financial_trouble",
               "name_change", "nationality_change", "information_incident")


class ReportableEvent(Base):
    """Continuous evaluation: an event filed by the subject or their security officer.
    The window assesses it; an adverse one reopens adjudication and blocks reuse."""

    __tablename__ = "reportable_event"
    __table_args__ = (CheckConstraint(check_in("kind", EVENT_KINDS), name="kind"),
                      # the events not yet assessed, a page at a time (hozen.paging)
                      Index("ix_reportable_event_adverse_id", "adverse", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    details: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted
    reported_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    adverse: Mapped[bool | None] = mapped_column(Boolean)  # None until the window assesses
    assessed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))


class Complaint(Base):
    """苦情: a written complaint about an assessment or about unfair treatment by the
    employer because of it; the window records handling and answer."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(check_in("kind", ("assessment", "employer_treatment")), name="kind"),
        CheckConstraint(check_in("status", ("open", "answered")), name="status"),
        # a page of the open complaints at a time, in this order, from the index (hozen.paging)
        Index("ix_complaint_status_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("clearance_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    content: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted {text, handling, answer}
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CorrectionRequest(Base):
    """The subject asks to correct personal data held on them; the window decides."""

    __tablename__ = "correction_request"
    __table_args__ = (
        CheckConstraint(check_in("status", ("open", "accepted", "rejected")), name="status"),
        # a page of the open requests at a time, in this order, from the index (hozen.paging)
        Index("ix_correction_request_status_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    content: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted {field, value, reason, note}
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BurdenRecord(Base):
    """R12: time and cost of one step, by whom, for the burden reports."""

    __tablename__ = "burden_record"
    __table_args__ = (
        CheckConstraint(check_in("party", ("subject", "security_officer", "window")), name="party"),
        CheckConstraint("minutes >= 0 AND cost_yen >= 0 AND allowance_yen >= 0",
                        name="non_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("clearance_case.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(default=0)
    cost_yen: Mapped[int] = mapped_column(default=0)
    allowance_yen: Mapped[int] = mapped_column(default=0)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

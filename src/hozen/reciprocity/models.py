"""International reciprocity: information security agreements with their
level-equivalence tables (seeded from reciprocity/agreements.toml, editable by an
administrator), the clearance assurances partner governments' liaisons submit under them,
and visit requests of partner nationals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, new_id, utcnow


class Agreement(Base):
    """A general security of information (GSOMIA-type) or industrial security agreement
    with a partner country or organisation such as NATO. `to_hozen` maps the partner's
    levels onto hozen's ladder, `from_hozen` the reverse; neither ever maps upwards."""

    __tablename__ = "agreement"
    __table_args__ = (CheckConstraint("kind IN ('general', 'industrial')", name="kind"),
                      # the list of agreements, a page at a time (partner is unique)
                      Index("ix_agreement_in_force_from_partner", "in_force_from",
                            "partner"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    partner: Mapped[str] = mapped_column(String(8), unique=True)  # alpha-3 or NATO
    name_en: Mapped[str] = mapped_column(String(200))
    name_ja: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    in_force_from: Mapped[date] = mapped_column(Date)
    in_force_to: Mapped[date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text, default="")
    levels: Mapped[list] = mapped_column(JSON)  # the partner's own ladder, low to high
    to_hozen: Mapped[dict] = mapped_column(JSON)
    from_hozen: Mapped[dict] = mapped_column(JSON)
    confirmed: Mapped[bool] = mapped_column(default=False)  # False: "to be confirmed"
    date_confirmed: Mapped[bool] = mapped_column(default=True)  # entry-into-force day
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)



class ForeignAssurance(Base):
    """A partner government's statement, submitted by its liaison, that a named national
    holds a clearance (personnel) or a partner company holds a facility clearance
    (facility) at a partner level until a date. `level` is the hozen level the agreement's
    table maps it to when submitted; the decision maps it again on the day."""

    __tablename__ = "foreign_assurance"
    __table_args__ = (
        CheckConstraint("kind IN ('personnel', 'facility')", name="kind"),
        CheckConstraint("(kind = 'personnel') = (person_id IS NOT NULL)", name="subject"),
        # time to access: personnel assurances newest first, a page at a time
        Index("ix_foreign_assurance_kind_submitted_at_id", "kind",
              "submitted_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreement.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    partner_level: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(8))
    valid_until: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100))  # the partner's own reference
    submitted_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VisitRequest(Base):
    """Partner nationals visiting a host organisation's approved area for a programme,
    one-time or recurring. Approved by the programme's agency and the host's security
    officer, or at once on the fast path (agreement and programme pre-authorise the
    visitors' countries and every check passes)."""

    __tablename__ = "visit_request"
    __table_args__ = (
        CheckConstraint("kind IN ('one_time', 'recurring')", name="kind"),
        CheckConstraint("status IN ('submitted', 'approved', 'refused', 'withdrawn')",
                        name="status"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    programme_id: Mapped[str] = mapped_column(ForeignKey("programme.id"), index=True)
    host_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"),
                                                      index=True)
    area_id: Mapped[str] = mapped_column(ForeignKey("approved_area.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    fast_path: Mapped[bool] = mapped_column(default=False)
    fast_path_reasons: Mapped[str] = mapped_column(String(200), default="")  # why not
    requested_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    agency_decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    agency_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    host_decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    host_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[str] = mapped_column(Text, default="")  # of a refusal
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Visitor(Base):
    """One partner national on a visit request, with the assurance they come under."""

    __tablename__ = "visitor"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visit_request.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    assurance_id: Mapped[str] = mapped_column(ForeignKey("foreign_assurance.id"), index=True)


# The states in which the receiver of a transfer holds the item.
TRANSFERRED = ("approved", "dispatched", "received")


class TransferRequest(Base):
    """A company's request to pass a classified item to another company, at home or
    abroad (DESIGN R8: only through government). The item's designating agency approves
    or refuses; on approval the receiver holds the item, the sender records dispatch and
    the receiver receipt in their custody logs."""

    __tablename__ = "transfer_request"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'refused', 'dispatched', "
                        "'received')", name="status"),
        CheckConstraint("from_organisation_id <> to_organisation_id", name="parties"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("information_item.id"), index=True)
    from_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"),
                                                      index=True)
    to_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"),
                                                    index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    dispatch_event_id: Mapped[str | None] = mapped_column(ForeignKey("custody_event.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_event_id: Mapped[str | None] = mapped_column(ForeignKey("custody_event.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OriginatorConsent(Base):
    """Originator control (DESIGN): the partner government whose information a designation
    holds consents, or not, to its passing to a third party (another country or an
    organisation such as NATO). The designating agency or a holder asks; the originator's
    liaison decides with the partner's own reference; a grant can be withdrawn. Without a
    grant in force the item's releasability cannot name the third party, so neither a
    transfer nor an access decision can reach it."""

    __tablename__ = "originator_consent"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'granted', 'refused', 'withdrawn')",
                        name="status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(ForeignKey("designation.id"), index=True)
    originator: Mapped[str] = mapped_column(String(3), index=True)
    third_party: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    requesting_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Designations (指定), the proposals that change them (each decided by a second
official), consultation comments, reviews, objections, and the information items under
them. Designations hold metadata about classified information, never the information."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from hozen.db import Base, UTCDateTime, check_in, new_id, utcnow
from hozen.designations.rules import PROPOSAL_KINDS, REGIMES, SCOPE_KINDS, Status


class Designation(Base):
    __tablename__ = "designation"
    __table_args__ = (
        CheckConstraint(check_in("regime", REGIMES), name="regime"),
        CheckConstraint(check_in("status", Status), name="status"),
        CheckConstraint(check_in("scope_kind", SCOPE_KINDS), name="scope_kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # 指定番号
    title: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    manager_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))  # 管理者
    regime: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(200))
    releasable_to: Mapped[str] = mapped_column(String(400), default="")  # "USA,GBR"
    originator_country: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), index=True)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    confirm_by: Mapped[date | None] = mapped_column(Date)
    first_start: Mapped[date | None] = mapped_column(Date)
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date, index=True)
    cabinet_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    cabinet_reasons: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None] = mapped_column(Date, index=True)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class DesignationHolder(Base):
    """An organisation that receives the designated information."""

    __tablename__ = "designation_holder"
    __table_args__ = (UniqueConstraint("designation_id", "organisation_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(ForeignKey("designation.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)


class Proposal(Base):
    """A proposed designation, renewal, lifting or downgrade. It opens a consultation;
    an approving official other than the proposer decides it."""

    __tablename__ = "designation_proposal"
    __table_args__ = (
        CheckConstraint(check_in("kind", PROPOSAL_KINDS), name="kind"),
        CheckConstraint(check_in("status", ("open", "approved", "rejected")), name="status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(ForeignKey("designation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    term_end: Mapped[date | None] = mapped_column(Date)
    cabinet_reasons: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    experts: Mapped[str] = mapped_column(String(800), default="")  # invited user ids
    # What a downgrade, change or partial lifting proposes (None: unchanged):
    category: Mapped[str | None] = mapped_column(String(40))  # SDS -> CESI needs one
    scope_kind: Mapped[str | None] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(200))
    holders: Mapped[str | None] = mapped_column(Text)  # the new list of holder ids
    releasable_to: Mapped[str | None] = mapped_column(String(400))
    items: Mapped[str | None] = mapped_column(Text)  # item ids lifted out (lift_part)
    proposed_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reasons: Mapped[str | None] = mapped_column(Text)


class Comment(Base):
    """A holder's or an expert's comment in a consultation; kept with the record."""

    __tablename__ = "designation_comment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("designation_proposal.id"),
                                             index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """A periodic review: opened by `hozen jobs run` once per due date."""

    __tablename__ = "designation_review"
    # (designation_id, due_on) serves a designation's reviews; the other index an
    # agency's reviews awaiting a record, oldest due first, a page at a time
    __table_args__ = (UniqueConstraint("designation_id", "due_on"),
                      Index("ix_designation_review_still_needed_due_on_id", "still_needed",
                            "due_on", "id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(ForeignKey("designation.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    still_needed: Mapped[bool | None] = mapped_column(Boolean)
    reasons: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Objection(Base):
    """An objection that a designation is improper, tracked by the oversight inspector
    to a recorded answer."""

    __tablename__ = "designation_objection"
    # a designation's objections in the order filed (ids are time-ordered), a page at a time
    __table_args__ = (Index("ix_designation_objection_designation_id_id", "designation_id",
                            "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    designation_id: Mapped[str] = mapped_column(ForeignKey("designation.id"), index=True)
    filed_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Item(Base):
    """An information item (document, dataset, technical data): under a designation, or
    marked CUI, or neither. Its level is derived, never stored."""

    __tablename__ = "information_item"
    __table_args__ = (
        CheckConstraint(check_in("kind", ("document", "dataset", "technical_data")), name="kind"),
        # "What may I see" (hozen.access.visible) reads the items no designation
        # classifies through these, in id order (the always-NULL designation_id leads, so
        # that SQLite prefers them to ix_information_item_designation_id and a sort).
        # a designation's items in id order, a page at a time (partial: never a rival
        # of the two below, which read the items no designation classifies)
        Index("ix_information_item_designation_id_id", "designation_id", "id",
              sqlite_where=text("designation_id IS NOT NULL"),
              postgresql_where=text("designation_id IS NOT NULL")),
        Index("ix_information_item_unmarked", "designation_id", "id",
              sqlite_where=text("designation_id IS NULL AND cui_categories = ''"),
              postgresql_where=text("designation_id IS NULL AND cui_categories = ''")),
        Index("ix_information_item_cui", "designation_id", "id",
              sqlite_where=text("designation_id IS NULL AND cui_categories <> ''"),
              postgresql_where=text("designation_id IS NULL AND cui_categories <> ''")),
        Index("ix_information_item_lifted", "id", sqlite_where=text("lifted_on IS NOT NULL"),
              postgresql_where=text("lifted_on IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    designation_id: Mapped[str | None] = mapped_column(ForeignKey("designation.id"),
                                                       index=True)
    cui_categories: Mapped[str] = mapped_column(Text, default="")  # "EXPT,PRVCY"
    controls: Mapped[str] = mapped_column(String(100), default="")  # "NOFORN"
    compartments: Mapped[str] = mapped_column(Text, default="")
    releasable_to: Mapped[str] = mapped_column(String(400), default="")
    display_only: Mapped[str] = mapped_column(String(400), default="")
    tlp: Mapped[str | None] = mapped_column(String(16))  # TLP 2.0 for sharing
    # Lifted out of its designation by an approved partial lifting: unclassified.
    lifted_on: Mapped[date | None] = mapped_column(Date)
    lifted_by_proposal: Mapped[str | None] = mapped_column(ForeignKey("designation_proposal.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CuiAuthorization(Base):
    """A light authorization to handle CUI (R5): identity check, training and a signed
    agreement recorded by the employer's security officer; 5 years, refresher yearly."""

    __tablename__ = "cui_authorization"
    __table_args__ = (
        CheckConstraint(check_in("status", ("active", "revoked")), name="status"),
        # an employer's authorizations, newest first, a page at a time (hozen.paging)
        Index("ix_cui_authorization_organisation_id_id", "organisation_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    identity_document: Mapped[str] = mapped_column(String(40))
    identity_checked_on: Mapped[date] = mapped_column(Date)
    trained_on: Mapped[date] = mapped_column(Date)
    agreement_signed_on: Mapped[date] = mapped_column(Date)
    last_training_on: Mapped[date] = mapped_column(Date)
    granted_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    granted_by: Mapped[str] = mapped_column(ForeignKey("app_user.id"))
    revoked_reason_length: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Request and response shapes of designation, items and markings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from hozen.designations.markings import TLP_LEVELS
from hozen.registry.schemas import CountryCode, Id, Strict

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Reasons = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Countries = Annotated[list[CountryCode], Field(max_length=60)]


class DesignationCreate(Strict):
    """A proposed designation (or a provisional one, in effect at once)."""

    multiline_fields = frozenset({"reasons"})
    title: Title
    regime: Literal["CESI", "SDS"]
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    reasons: Reasons
    scope_kind: Literal["programme", "organisation", "technology"]
    scope: Title
    holders: Annotated[list[Id], Field(max_length=200)] = []
    releasable_to: Countries = []
    originator_country: CountryCode | None = None
    term_start: date
    term_end: date
    experts: Annotated[list[Id], Field(max_length=20)] = Field(
        default=[], description="External experts (users) invited to comment")


class ProposalCreate(Strict):
    """A renewal (with the new term's end), a lifting, a downgrade (SDS to CESI names the
    CESI category), a change of scope, holders or releasability (narrowing or widening),
    or a partial lifting of some items."""

    multiline_fields = frozenset({"reasons", "cabinet_reasons"})
    kind: Literal["renew", "lift", "downgrade", "change", "lift_part"]
    reasons: Reasons
    term_end: date | None = None
    cabinet_reasons: Annotated[str, StringConstraints(min_length=1, max_length=4000)] | \
        None = Field(default=None, description="Cabinet approval, needed beyond 30 years")
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        default=None, description="Downgrade from SDS: the CESI statutory category")
    scope_kind: Literal["programme", "organisation", "technology"] | None = None
    scope: Title | None = None
    holders: Annotated[list[Id], Field(max_length=200)] | None = Field(
        default=None, description="Change: the new list of holders (narrow or widen)")
    releasable_to: Countries | None = Field(
        default=None, description="Change: the new releasability")
    items: Annotated[list[Id], Field(max_length=500)] | None = Field(
        default=None, description="Partial lifting: the items to declassify")
    experts: Annotated[list[Id], Field(max_length=20)] = []


class CommentCreate(Strict):
    multiline_fields = frozenset({"text"})
    text: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class Decision(Strict):
    multiline_fields = frozenset({"reasons"})
    approve: StrictBool
    reasons: Reasons


class ReviewRecord(Strict):
    multiline_fields = frozenset({"reasons"})
    still_needed: StrictBool
    reasons: Reasons


class ObjectionCreate(Strict):
    multiline_fields = frozenset({"text"})
    text: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class ObjectionAnswer(Strict):
    multiline_fields = frozenset({"answer"})
    answer: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class ItemCreate(Strict):
    title: Title
    kind: Literal["document", "dataset", "technical_data"]
    designation_id: Id | None = None
    cui_categories: Annotated[list[Annotated[str, StringConstraints(max_length=20)]],
                              Field(max_length=20)] = []
    controls: Annotated[list[Annotated[str, StringConstraints(max_length=20)]],
                        Field(max_length=4)] = []
    compartments: Annotated[list[Annotated[str, StringConstraints(max_length=20)]],
                            Field(max_length=20)] = []
    releasable_to: Countries = []
    display_only: Countries = []
    banner: Annotated[str, StringConstraints(min_length=1, max_length=400)] | None = Field(
        default=None, description="Instead of the attributes: a banner brought in from "
        "outside, parsed and checked (e.g. CUI//SP-EXPT//NOFORN)")
    tlp: Literal[TLP_LEVELS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Traffic Light Protocol 2.0, for sharing")


class BannerCheck(Strict):
    banner: Annotated[str, StringConstraints(min_length=1, max_length=400)]


class CommentView(BaseModel):
    id: str
    author_id: str
    organisation_id: str
    text: str
    created_at: datetime


class ProposalView(BaseModel):
    id: str
    kind: str
    status: str
    reasons: str
    term_end: date | None
    cabinet_reasons: str | None
    category: str | None = None
    scope_kind: str | None = None
    scope: str | None = None
    holders: list[str] | None = None
    releasable_to: list[str] | None = None
    items: list[str] | None = None
    direction: str | None = Field(default=None, description="A change: narrow, widen or mixed")
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decision_reasons: str | None
    comments: list[CommentView]


class DesignationView(BaseModel):
    id: str
    reference: str
    title: str
    agency_id: str
    manager_id: str
    regime: str
    category: str
    reasons: str
    scope_kind: str
    scope: str
    holders: list[str]
    releasable_to: list[str]
    originator_country: str | None
    status: str = Field(description="Today's status: a lapsed term is pending_disposition")
    provisional: bool
    confirm_by: date | None
    term_start: date | None
    term_end: date | None
    first_start: date | None
    next_review_on: date | None
    review_overdue: bool
    lifted_on: date | None
    version: int


class DesignationDetail(DesignationView):
    """A designation with its proposals; its items, reviews and objections are paged
    lists of their own (/designations/{id}/items, /reviews, /objections)."""

    proposals: list[ProposalView]


class ItemView(BaseModel):
    id: str
    title: str
    kind: str
    owner_id: str
    designation_id: str | None
    level: str
    designation_status: str | None
    lifted_on: date | None = None
    banner: str | None
    portion: str | None
    tlp: str | None
    label: dict | None


class CuiGrant(Strict):
    person_id: Id
    identity_document: Literal["my_number_card", "passport", "driving_licence",
                               "residence_card", "other"]
    identity_checked_on: date
    trained_on: date
    agreement_signed_on: date


class CuiRefresher(Strict):
    trained_on: date


class CuiRevocation(Strict):
    multiline_fields = frozenset({"reason"})
    reason: Reasons


class CuiView(BaseModel):
    id: str
    person_id: str
    organisation_id: str
    identity_document: str
    identity_checked_on: date
    trained_on: date
    agreement_signed_on: date
    last_training_on: date
    refresher_due: date
    granted_on: date
    valid_until: date
    status: str
    current: bool
    failures: list[str]

"""Request and response shapes of reciprocity: agreements and their equivalence tables,
foreign clearance assurances and visit requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from hozen.registry.schemas import Id, PersonCreate, Strict

PartnerLevel = Annotated[str, StringConstraints(min_length=1, max_length=60)]
HozenLevel = Annotated[str, StringConstraints(pattern=r"^(CUI|CESI|SDS)$")]


class AgreementView(BaseModel):
    id: str
    partner: str
    name_en: str
    name_ja: str
    kind: str
    in_force_from: date
    in_force_to: date | None
    in_force: bool = Field(description="In force today")
    scope: str
    levels: list[str] = Field(description="The partner's own levels, low to high")
    to_hozen: dict[str, str] = Field(description="Partner level -> hozen level")
    from_hozen: dict[str, str] = Field(description="hozen level -> partner level")
    confirmed: bool = Field(description="False: the table is to be confirmed")
    date_confirmed: bool
    updated_at: datetime
    version: int


class AgreementUpdate(Strict):
    """An administrator's correction of an agreement's table or term; the whole table is
    given and checked (no upward mapping, levels from the partner's set)."""

    multiline_fields = frozenset({"scope"})
    levels: Annotated[list[PartnerLevel], Field(min_length=1, max_length=12)] | None = None
    to_hozen: Annotated[dict[PartnerLevel, HozenLevel], Field(max_length=12)] | None = None
    from_hozen: Annotated[dict[HozenLevel, PartnerLevel], Field(max_length=3)] | None = None
    in_force_to: date | None = None
    scope: Annotated[str, StringConstraints(max_length=2000)] | None = None
    confirmed: bool | None = None
    version: int = Field(description="Optimistic lock: the version read")


# --- foreign clearance assurances ------------------------------------------------------------

Reference = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PersonnelAssuranceCreate(Strict):
    """A liaison's assurance that a national of their country holds a clearance. Name the
    person (registered with this assurance) or give the id of a person named in an
    earlier assurance of the same partner."""

    person: PersonCreate | None = None
    person_id: Id | None = None
    partner_level: PartnerLevel
    valid_until: date
    reference: Reference = Field(description="The partner government's own reference")


class FacilityAssuranceCreate(Strict):
    """A liaison's assurance that a partner company holds a facility clearance."""

    organisation_id: Id
    partner_level: PartnerLevel
    valid_until: date
    reference: Reference


class AssuranceView(BaseModel):
    id: str
    kind: str
    partner: str
    person_id: str | None
    organisation_id: str
    partner_level: str
    level: str = Field(description="The hozen level the agreement's table maps it to")
    valid_until: date
    reference: str
    submitted_at: datetime
    withdrawn: bool


# --- visit requests --------------------------------------------------------------------------

class VisitCreate(Strict):
    multiline_fields = frozenset({"purpose"})
    kind: Literal["one_time", "recurring"]
    programme_id: Id
    host_organisation_id: Id
    area_id: Id = Field(description="An approved area of the host")
    starts_on: date
    ends_on: date
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    visitors: Annotated[list[Id], Field(min_length=1, max_length=50,
                                        description="Personnel assurance ids")]


class VisitDecision(Strict):
    multiline_fields = frozenset({"reasons"})
    approve: bool
    reasons: Annotated[str, StringConstraints(max_length=2000)] = ""


class VisitorView(BaseModel):
    person_id: str
    assurance_id: str
    nationality: str
    partner_level: str
    level: str
    name_latin: str | None = Field(None, description="As the assurance gives it")


class VisitView(BaseModel):
    id: str
    kind: str
    programme_id: str
    programme_code: str
    host_organisation_id: str
    area_id: str
    starts_on: date
    ends_on: date
    purpose: str
    status: str
    fast_path: bool
    fast_path_reasons: list[str] = Field(
        description="Why the fast path did not apply (empty when it did)")
    agency_decided: bool
    host_decided: bool
    reasons: str
    requested_at: datetime
    decided_at: datetime | None
    visitors: list[VisitorView]


# --- government-mediated transfers between companies -----------------------------------------

class TransferCreate(Strict):
    multiline_fields = frozenset({"reason"})
    item_id: Id = Field(description="A classified item the caller's organisation holds")
    to_organisation_id: Id = Field(description="The receiving company, at home or abroad")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class TransferDecision(Strict):
    multiline_fields = frozenset({"reasons"})
    approve: bool
    reasons: Annotated[str, StringConstraints(max_length=2000)] = ""


class TransferCustody(Strict):
    """Dispatch (by the sender) or receipt (by the receiver): the handler who carries it
    out, and where the receiver keeps it."""

    multiline_fields = frozenset({"note"})
    person_id: Id = Field(description="A current handler of the item at your organisation")
    area_id: Id | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class TransferView(BaseModel):
    id: str
    item_id: str
    from_organisation_id: str
    to_organisation_id: str
    foreign: bool = Field(description="The receiver is a company abroad")
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reasons: str
    dispatch_event_id: str | None
    dispatched_at: datetime | None
    receipt_event_id: str | None
    received_at: datetime | None


class ConsentCreate(Strict):
    multiline_fields = frozenset({"purpose"})
    third_party: Annotated[str, StringConstraints(pattern=r"^([A-Z]{3}|NATO)$")] = Field(
        description="The country (ISO 3166 alpha-3) or organisation (NATO) to pass it to")
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ConsentDecision(Strict):
    multiline_fields = frozenset({"note"})
    grant: bool
    reference: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The partner government's own reference for its answer")
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class ConsentView(BaseModel):
    id: str
    designation_id: str
    designation_reference: str
    originator: str
    third_party: str
    purpose: str
    status: str
    requesting_organisation_id: str
    requested_at: datetime
    decided_at: datetime | None
    reference: str
    note: str
    withdrawn_at: datetime | None

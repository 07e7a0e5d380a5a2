"""Request and response shapes of a qualified business's registers: the handler register,
the custody log, incidents, training records, inspections, research participants and the
confidentiality contract's security classification specification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from hozen.facilities.schemas import Name, Text
from hozen.registry.schemas import Id, Instant, Strict

Note = Annotated[str, StringConstraints(max_length=4000)]
Ids = Annotated[list[Id], Field(max_length=50)]
ControlId = Annotated[str, StringConstraints(min_length=1, max_length=16)]


# --- the handler register (取扱者名簿) ---------------------------------------------------------

class HandlerCreate(Strict):
    person_id: Id


class HandlerView(BaseModel):
    id: str
    item_id: str
    organisation_id: str
    person_id: str
    added_on: date
    removed_on: date | None
    current: bool


# --- the custody log -------------------------------------------------------------------------

class CustodyCreate(Strict):
    """One receipt, handling, copy, transfer, return or destruction (witnessed) of an item
    by a handler of the caller's organisation. Recorded once; never changed."""

    multiline_fields = frozenset({"note"})
    item_id: Id
    kind: Literal["receipt", "handling", "copy", "transfer", "return", "destruction"]
    person_id: Id = Field(description="The handler who did it")
    witness_person_id: Id | None = Field(default=None,
                                         description="Required for a destruction")
    area_id: Id | None = Field(default=None, description="An approved area at the level")
    to_organisation_id: Id | None = Field(default=None,
                                          description="Required for a transfer")
    copies: Annotated[StrictInt, Field(ge=1, le=10_000)] | None = Field(
        default=None, description="Required for a copy")
    note: Note = ""
    occurred_at: Instant | None = Field(default=None, description="Default: now")


class CustodyView(BaseModel):
    id: str
    item_id: str
    organisation_id: str
    kind: str
    person_id: str
    witness_person_id: str | None
    area_id: str | None
    to_organisation_id: str | None
    copies: int | None
    note: str
    occurred_at: datetime
    recorded_at: datetime


class WhereView(BaseModel):
    """Where an item is at an organisation: its latest custody event."""

    item_id: str
    title: str
    level: str
    organisation_id: str
    status: Literal["held", "transferred", "returned", "destroyed"]
    last_kind: str
    person_id: str
    area_id: str | None
    to_organisation_id: str | None
    occurred_at: datetime
    event_id: str


# --- incidents -------------------------------------------------------------------------------

class IncidentCreate(Strict):
    multiline_fields = frozenset({"description"})
    kind: Literal["loss", "leak", "unauthorised_access", "mishandling"]
    severity: Literal["low", "medium", "high", "critical"]
    occurred_on: date
    description: Text
    item_ids: Ids = []
    person_ids: Ids = []


class IncidentClose(Strict):
    multiline_fields = frozenset({"closing_note"})
    closing_note: Text


class IncidentView(BaseModel):
    id: str
    organisation_id: str
    kind: str
    severity: str
    occurred_on: date
    description: str
    item_ids: list[str]
    person_ids: list[str]
    status: str
    reported_at: datetime
    closed_at: datetime | None
    closing_note: str | None
    originator_to_notify: list[str] = Field(
        description="Partner governments whose information is involved: they are told")


# --- training --------------------------------------------------------------------------------

class TrainingCreate(Strict):
    person_id: Id
    kind: Literal["initial", "refresher"]
    trained_on: date


class TrainingRecordView(BaseModel):
    id: str
    kind: str
    trained_on: date
    organisation_id: str


class TrainingStatus(BaseModel):
    person_id: str
    last_trained_on: date | None
    due_on: date | None = Field(description="When the next refresher falls due")
    overdue: bool
    records: list[TrainingRecordView]


# --- inspections -----------------------------------------------------------------------------

class FindingIn(Strict):
    multiline_fields = frozenset({"text", "action"})
    severity: Literal["minor", "major", "critical"]
    text: Text
    control_id: ControlId | None = Field(default=None, description="A checklist control")
    action: Text | None = Field(default=None, description="The corrective action "
                                "(required for a major or critical finding)")
    due_on: date | None = None


class InspectionCreate(Strict):
    multiline_fields = frozenset({"summary"})
    kind: Literal["self", "on_site"]
    held_on: date
    summary: Text
    findings: Annotated[list[FindingIn], Field(max_length=100)] = []


class FindingView(BaseModel):
    id: str
    inspection_id: str
    facility_id: str
    severity: str
    text: str
    control_id: str | None
    action: str | None
    due_on: date | None
    closed_on: date | None
    overdue: bool


class InspectionView(BaseModel):
    id: str
    facility_id: str
    kind: str
    held_on: date
    summary: str
    recorded_at: datetime
    findings: list[FindingView]


# --- research participants and the specification -----------------------------------------

class ParticipantCreate(Strict):
    person_id: Id
    screened_on: date | None = Field(default=None, description="Required for a foreign "
                                     "national (dual nationals too)")


class ParticipantView(BaseModel):
    id: str
    facility_id: str
    person_id: str
    screened_on: date | None
    joined_on: date
    left_on: date | None


class SpecificationCreate(Strict):
    """A line of the confidentiality contract: the item (its level comes from the item),
    the departments that may handle it, handling and return rules."""

    multiline_fields = frozenset({"handling", "return_rule"})
    item_id: Id
    departments: Annotated[list[Name], Field(min_length=1, max_length=50)]
    handling: Text
    return_rule: Text


class SpecificationView(BaseModel):
    id: str
    facility_id: str
    item_id: str
    level: str
    departments: list[str]
    handling: str
    return_rule: str
    recorded_at: datetime

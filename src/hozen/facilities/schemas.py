"""Request and response shapes of facility clearance and FOCI."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from hozen.registry.schemas import CountryCode, Id, Strict

Text = Annotated[str, StringConstraints(min_length=1, max_length=8000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Reasons = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Level = Literal["CESI", "SDS"]
Pct = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]


class FacilityPropose(Strict):
    """The agency proposes a business (or a university's research project)."""

    organisation_id: Id
    level: Level
    project: Name | None = Field(default=None, description="A research project of a "
                                 "university or research institute (required for those)")


class AreaIn(Strict):
    kind: Literal["room", "container", "it_system"]
    name: Name
    level: Level
    separate_from_open_lab: StrictBool = False


class FacilityApplication(Strict):
    multiline_fields = frozenset({"internal_rules", "governance", "training_plan"})
    internal_rules: Text
    governance: Text
    training_plan: Text
    security_officer_id: Id
    deputy_officer_id: Id
    areas: Annotated[list[AreaIn], Field(min_length=1, max_length=50)]


class ChecklistEntry(Strict):
    met: StrictBool
    evidence: Annotated[str, StringConstraints(max_length=2000)] = ""


class ChecklistRecord(Strict):
    """Results of the agency's review, by control id; entered once, they count for every
    regime the control serves."""

    results: Annotated[dict[Annotated[str, StringConstraints(max_length=16)],
                            ChecklistEntry], Field(min_length=1, max_length=100)]


class FacilityDecision(Strict):
    multiline_fields = frozenset({"reasons"})
    reasons: Reasons


class ChangeReportCreate(Strict):
    multiline_fields = frozenset({"description"})
    kinds: Annotated[list[Literal["owner", "officers", "address", "areas", "name"]],
                     Field(min_length=1, max_length=5)]
    description: Text


class ChangeDecision(Strict):
    multiline_fields = frozenset({"reasons"})
    approve: StrictBool
    reasons: Reasons


class FociDeclare(Strict):
    """Board seats by the nationalities of their holders; foreign debt and revenue."""

    board: Annotated[list[Annotated[list[CountryCode], Field(min_length=1, max_length=4)]],
                     Field(max_length=60)]
    foreign_debt_pct: Pct = Decimal(0)
    foreign_revenue_pct: Pct = Decimal(0)


class MitigationCreate(Strict):
    multiline_fields = frozenset({"terms"})
    instrument: Literal["board_resolution", "security_control_agreement",
                        "special_security_agreement", "proxy_agreement", "voting_trust"]
    reference: Name
    terms: Text
    signed_on: date


class AreaView(BaseModel):
    id: str
    kind: str
    name: str
    level: str
    separate_from_open_lab: bool
    withdrawn_on: date | None


class ChangeView(BaseModel):
    id: str
    kinds: list[str]
    description: str
    status: str
    reported_at: datetime
    reasons: str | None


class FacilityView(BaseModel):
    id: str
    organisation_id: str
    project: str | None
    level: str
    state: str = Field(description="Today's state: a certification past its end is expired")
    agency_id: str
    internal_rules: str | None
    governance: str | None
    training_plan: str | None
    security_officer_id: str | None
    deputy_officer_id: str | None
    checklist: dict[str, dict]
    certified_on: date | None
    valid_until: date | None
    decision_reasons: str | None
    national_interest_on: date | None
    areas: list[AreaView]
    changes: list[ChangeView]
    version: int


class Exposure(BaseModel):
    country: str
    share_pct: float
    voting_pct: float


class FociView(BaseModel):
    organisation_id: str
    flagged: bool
    reasons: list[str]
    situation: str
    total_share_pct: float
    total_voting_pct: float
    countries: list[Exposure]
    foreign_board_members: int
    board_seats: int
    foreign_debt_pct: float
    foreign_revenue_pct: float
    ntib_only: bool
    mitigations: list[dict]
    gate: dict[str, list[str]] = Field(description="Per level: what still bars it")
    paths: list[dict]

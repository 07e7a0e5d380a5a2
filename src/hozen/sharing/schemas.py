"""Request and response shapes of communities and events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from hozen.registry.schemas import CountryCode, Instant, OrgKind, Strict

MinLevel = Literal["CUI", "CESI", "SDS"]
Level = Literal["UNMARKED", "CUI", "CESI", "SDS"]
Tlp = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
Regime = Literal["CESI", "SDS"]
ProgrammeCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,19}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(max_length=2000)]


class AdmissionRule(Strict):
    """Who is admitted: at least `min_level` (CUI: a CUI authorization or any clearance),
    and, where given, a clearance of one of `regimes`, briefed membership of every
    programme, one of the nationalities, an employer of one of the kinds. Material is
    releasable to `releasable_to` besides Japan."""

    min_level: MinLevel
    regimes: Annotated[list[Regime], Field(max_length=2)] = []
    programmes: Annotated[list[ProgrammeCode], Field(max_length=10)] = []
    nationalities: Annotated[list[CountryCode], Field(max_length=20)] = []
    organisation_kinds: Annotated[list[OrgKind], Field(max_length=6)] = []
    releasable_to: Annotated[list[CountryCode], Field(max_length=20)] = []


class RuleView(BaseModel):
    min_level: str
    regimes: list[str]
    programmes: list[str]
    nationalities: list[str]
    organisation_kinds: list[str]
    releasable_to: list[str]


class CommunityCreate(AdmissionRule):
    multiline_fields = frozenset({"description"})
    name_ja: Title
    name_en: Title
    description: Text = ""


class EligibilityView(BaseModel):
    eligible: bool
    reasons: list[str] = Field(description="Why not: stable codes")


class CommunityView(BaseModel):
    id: str
    name_ja: str
    name_en: str
    description: str
    rule: RuleView
    manager_id: str
    created_at: datetime
    membership: str | None = Field(description="The caller's: applied, admitted, ... or none")
    eligibility: EligibilityView | None = Field(
        description="The caller's, today (none for a user who is no registered person)")


class MemberView(BaseModel):
    id: str
    community_id: str
    person_id: str
    name: str
    status: str
    applied_at: datetime
    decided_at: datetime | None
    active: bool = Field(description="Admitted and admitted by the rule today")
    reasons: list[str] = Field(description="Why the access has ended (live)")


class MemberDecision(Strict):
    multiline_fields = frozenset({"reason"})
    admit: bool
    reason: Reason = ""


class MemberRemoval(Strict):
    multiline_fields = frozenset({"reason"})
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class PostCreate(Strict):
    multiline_fields = frozenset({"body"})
    title: Title
    body: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    level: Level
    tlp: Tlp


class PostView(BaseModel):
    id: str
    community_id: str
    author_id: str
    author: str
    title: str
    body: str
    level: str
    tlp: str
    created_at: datetime


class FileCreate(Strict):
    """A small file, its bytes as base64."""

    title: Title
    filename: Annotated[str, StringConstraints(min_length=1, max_length=200,
                                               pattern=r"^[^/\\]+$")]
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    content_base64: Annotated[str, StringConstraints(min_length=1, max_length=3_000_000)]
    level: Level
    tlp: Tlp


class FileView(BaseModel):
    id: str
    title: str
    filename: str
    content_type: str
    size: int
    level: str
    tlp: str
    created_at: datetime


class EventCreate(AdmissionRule):
    multiline_fields = frozenset({"description"})
    title_ja: Title
    title_en: Title
    description: Text = ""
    location: Title
    starts_at: Instant
    ends_at: Instant
    capacity: Annotated[int, Field(ge=1, le=10000)]


class EventView(BaseModel):
    id: str
    title_ja: str
    title_en: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registered: int
    rule: RuleView
    organiser_id: str
    registration: str | None = Field(description="The caller's: registered, checked_in")
    eligibility: EligibilityView | None


class RegistrationView(BaseModel):
    id: str
    event_id: str
    person_id: str
    name: str
    registered_at: datetime
    checked_in_at: datetime | None
    eligible: bool = Field(description="Admitted by the event's rule now")
    reasons: list[str]

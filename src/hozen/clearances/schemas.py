"""Request and response shapes of suitability assessment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from hozen.clearances.rules import AREAS, EMPLOYMENT_KINDS, FAMILY_RELATIONS, SEVERITIES
from hozen.registry.schemas import CountryCode, Id, Strict

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
Area = Literal[AREAS]  # type: ignore[valid-type]
Regime = Literal["CESI", "SDS"]


class CandidateCreate(Strict):
    """名簿: a person already in the registry, listed for a regime and a sponsor."""

    person_id: Id
    regime: Regime
    sponsor_id: Id


class ConsentGive(Strict):
    # Strict: consent is an explicit true, never "yes", "on" or 1.
    family_consent: StrictBool = Field(
        description="Separate consent to checks of family members")
    declines_reasons: StrictBool = Field(default=False,
                                   description="Do not tell me the reasons of a denial")


class Residence(Strict):
    start: date
    end: date | None = None
    country_code: CountryCode
    address: Short


class Employment(Strict):
    start: date
    end: date | None = None
    kind: Literal[EMPLOYMENT_KINDS]  # type: ignore[valid-type]
    employer: Annotated[str, StringConstraints(max_length=200)] = ""
    title: Annotated[str, StringConstraints(max_length=200)] = ""


class Travel(Strict):
    country_code: CountryCode
    start: date
    end: date
    purpose: Short


class ForeignAccount(Strict):
    country_code: CountryCode
    institution: Short


class FamilyMember(Strict):
    relation: Literal[FAMILY_RELATIONS]  # type: ignore[valid-type]
    family_name: Short
    given_name: Short
    birth_date: date
    nationalities: Annotated[list[CountryCode], Field(min_length=1, max_length=10)]
    former_nationalities: Annotated[list[CountryCode], Field(max_length=10)] = []
    address: Annotated[str, StringConstraints(max_length=200)] = ""


class AreaAnswer(Strict):
    multiline_fields = frozenset({'details'})
    yes: bool
    details: LongText = ""


class Questionnaire(Strict):
    """Saved as the subject goes; every section optional until submission. Nothing outside
    these sections is asked."""

    residences: Annotated[list[Residence], Field(max_length=50)] | None = None
    employment: Annotated[list[Employment], Field(max_length=50)] | None = None
    travel: Annotated[list[Travel], Field(max_length=100)] | None = None
    foreign_accounts: Annotated[list[ForeignAccount], Field(max_length=20)] | None = None
    family: Annotated[list[FamilyMember], Field(max_length=30)] | None = None
    areas: dict[Area, AreaAnswer] | None = None


class IntakeRequest(Strict):
    investigator_id: Id | None = Field(
        default=None, description="Needed unless an earlier investigation can be reused")


class FindingCreate(Strict):
    multiline_fields = frozenset({'summary'})
    area: Area
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    found_on: date
    source: Short
    summary: LongText


class AreaDecisionIn(Strict):
    multiline_fields = frozenset({'reasons'})
    area: Area
    favourable: StrictBool
    reasons: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class Adjudication(Strict):
    decisions: Annotated[list[AreaDecisionIn], Field(min_length=1, max_length=7)]


class StatusChange(Strict):
    multiline_fields = frozenset({'reason'})
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class Verification(BaseModel):
    """The whole answer to a verification query (R1): nothing else is revealed."""

    status: Literal["active", "suspended", "revoked", "expired", "none"]
    level: str | None
    regime: str | None
    valid_until: date | None


class EmployerCaseView(BaseModel):
    """What an employer may see of a case: the outcome only, never a finding."""

    id: str
    person_id: str
    regime: str
    status: Literal["in_progress", "not_proceeding", "granted", "denied"]
    valid_until: date | None = None


class QueueItem(BaseModel):
    id: str
    regime: str
    state: str
    sponsor_id: str
    submitted_at: datetime | None
    reused_investigation: bool


class WorkQueue(BaseModel):
    """The first page of each of the caller's queues, and the cursor of each one's next
    page (null on the last; GET /clearance-queue/{queue} follows it)."""

    intake: list[QueueItem] = []
    investigation: list[QueueItem] = []
    adjudication: list[QueueItem] = []
    next_cursors: dict[str, str | None] = {}


class InvestigatorLoad(BaseModel):
    id: str
    display_name: str
    open_investigations: int


class Workload(BaseModel):
    cases_by_state: dict[str, int]
    investigators: list[InvestigatorLoad]
    investigations_avoided: int = Field(
        description="Cases that reused an earlier investigation instead of a new one (R2)")


class CandidateImport(BaseModel):
    listed: int
    cases: list[EmployerCaseView]


class SubjectCaseView(BaseModel):
    id: str
    regime: str
    state: str
    family_consent: bool
    valid_until: date | None = None
    denial_reasons: list[dict] | None = None


class FindingView(BaseModel):
    id: str
    area: str
    severity: str
    found_on: date
    source: str
    summary: str
    recorded_by: str


class CaseView(BaseModel):
    """The whole case file, for the window, investigators and adjudicators."""

    id: str
    person_id: str
    regime: str
    state: str
    sponsor_id: str
    employer_id: str
    family_consent: bool
    investigation_id: str | None
    reused_investigation: bool
    questionnaire: dict | None
    findings: list[FindingView]
    decisions: list[dict]
    version: int


class EventCreate(Strict):
    multiline_fields = frozenset({'details'})
    person_id: Id
    kind: Literal["foreign_travel", "foreign_contact", "arrest", "financial_trouble",
                  "name_change", "nationality_change", "information_incident"]
    occurred_on: date
    details: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class EventAssessment(Strict):
    adverse: StrictBool


class ComplaintCreate(Strict):
    multiline_fields = frozenset({'text'})
    kind: Literal["assessment", "employer_treatment"]
    text: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class ComplaintAnswer(Strict):
    multiline_fields = frozenset({'handling', 'answer'})
    handling: Annotated[str, StringConstraints(min_length=1, max_length=8000)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=8000)]


class CorrectionCreate(Strict):
    multiline_fields = frozenset({'reason', 'value'})
    field: Literal["family_name_kanji", "given_name_kanji", "family_name_kana",
                   "given_name_kana", "family_name_latin", "given_name_latin", "birth_date",
                   "department", "title", "nationalities", "questionnaire"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class CorrectionDecision(Strict):
    multiline_fields = frozenset({'note'})
    accepted: StrictBool
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class BurdenCreate(Strict):
    step: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    party: Literal["subject", "security_officer", "window"]
    minutes: Annotated[StrictInt, Field(ge=0, le=100_000)] = 0
    cost_yen: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] = 0
    allowance_yen: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] = 0

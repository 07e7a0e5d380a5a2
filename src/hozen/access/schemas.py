"""Request and response shapes of access decisions and programmes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from hozen.registry.schemas import CountryCode, Id, Strict

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class AccessRequest(Strict):
    person_id: Id
    item_id: Id
    action: Literal["read"] = "read"
    area_id: Id | None = Field(default=None, description="An approved area of the person's "
                               "organisation; default: hozen's own registered IT system")


class AccessBatch(Strict):
    requests: Annotated[list[AccessRequest], Field(min_length=1, max_length=1000)]


class Reason(BaseModel):
    code: str
    message: str


class AccessAnswer(BaseModel):
    person_id: str
    item_id: str
    permit: bool
    reasons: list[Reason]


class ProgrammeCreate(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{1,19}$")]
    name_ja: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    countries: Annotated[list[CountryCode], Field(max_length=60)] = []
    organisations: Annotated[list[Id], Field(max_length=200)] = []


class MemberAdd(Strict):
    person_id: Id


class Briefing(Strict):
    briefed_on: date
    nda_signed_on: date


class DepartureCreate(Strict):
    multiline_fields = frozenset({"obligations"})
    person_id: Id
    programme_id: Id | None = Field(default=None, description="Leaving one programme only; "
                                    "default: leaving the organisation")
    departed_on: date
    obligations: Text


class FollowUpCreate(Strict):
    multiline_fields = frozenset({"note"})
    contacted_on: date
    note: Text

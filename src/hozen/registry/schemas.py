"""Request and response shapes of the registry (one per use: Create, Update, Public)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from hozen.registry.models import ORG_KINDS

Name = Annotated[str, StringConstraints(max_length=100)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]
OrgKind = Literal[ORG_KINDS]  # type: ignore[valid-type]
Percent = Annotated[Decimal, Field(max_digits=7, decimal_places=4)]




def _in_utc(v: datetime) -> datetime:
    try:  # a year-1 instant east of UTC has no UTC equivalent
        return v.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None


# An instant given with its offset, held in UTC (the database stores naive UTC).
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]

LINE_BREAKS = frozenset("\t\n\r")
# Unicode's control characters (category Cc: U+0000-U+001F, U+007F-U+009F), with and
# without the line breaks and tab a free-text field may hold.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_BUT_BREAKS = re.compile(
    f"(?![{re.escape(''.join(sorted(LINE_BREAKS)))}]){CONTROL.pattern}")


def _strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list | tuple | set | frozenset):
        for x in v:
            yield from _strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from _strings(k)
            yield from _strings(x)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    # Free-text fields that may hold line breaks and tabs (complaints, reasons, details).
    multiline_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, v, info: ValidationInfo):
        # NUL and other controls are never part of a name; PostgreSQL refuses NUL in text.
        control = CONTROL_BUT_BREAKS if info.field_name in cls.multiline_fields else CONTROL
        if any(control.search(text) for text in _strings(v)):
            raise ValueError("control characters are not allowed")
        return v


class CountryPublic(BaseModel):
    code: str
    alpha_2: str
    name_en: str
    name_ja: str


class OrganisationCreate(Strict):
    kind: OrgKind
    name_ja: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country_code: CountryCode
    parent_id: Id | None = None
    corporate_number: Annotated[str, StringConstraints(max_length=20)] | None = None


class OrganisationUpdate(Strict):
    kind: OrgKind | None = None
    name_ja: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    name_en: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    country_code: CountryCode | None = None
    parent_id: Id | None = None
    corporate_number: Annotated[str, StringConstraints(max_length=20)] | None = None
    version: int | None = Field(default=None, description="Optimistic lock: the version read")

    @field_validator("kind", "name_ja", "name_en", "country_code", mode="before")
    @classmethod
    def _not_null(cls, v):
        if v is None:  # omit a field to keep it; these columns cannot be emptied
            raise ValueError("may not be null")
        return v


class OrganisationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    name_ja: str
    name_en: str
    country_code: str
    parent_id: str | None
    corporate_number: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class OwnershipCreate(Strict):
    owned_id: Id
    owner_organisation_id: Id | None = None
    owner_person_id: Id | None = None
    share_pct: Percent
    voting_pct: Percent


class OwnershipUpdate(Strict):
    share_pct: Percent | None = None
    voting_pct: Percent | None = None


class OwnershipPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    owned_id: str
    owner_organisation_id: str | None
    owner_person_id: str | None
    share_pct: Decimal
    voting_pct: Decimal


class PersonFields(Strict):
    family_name_kanji: Name | None = None
    given_name_kanji: Name | None = None
    family_name_kana: Name | None = None
    given_name_kana: Name | None = None
    family_name_latin: Name | None = None
    given_name_latin: Name | None = None
    department: Text200 | None = None
    title: Text200 | None = None
    employer_id: Id | None = None


class PersonCreate(PersonFields):
    birth_date: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="ISO 8601 (1990-05-03) or Japanese era (平成2年5月3日)"
    )
    nationalities: Annotated[list[CountryCode], Field(min_length=1, max_length=10)]
    former_nationalities: Annotated[list[CountryCode], Field(max_length=10)] = []


class PersonUpdate(PersonFields):
    birth_date: Annotated[str, StringConstraints(max_length=40)] | None = None
    nationalities: Annotated[list[CountryCode], Field(min_length=1, max_length=10)] | None = None
    former_nationalities: Annotated[list[CountryCode], Field(max_length=10)] | None = None
    version: int | None = Field(default=None, description="Optimistic lock: the version read")


class PersonPublic(BaseModel):
    id: str
    family_name_kanji: str | None
    given_name_kanji: str | None
    family_name_kana: str | None
    given_name_kana: str | None
    family_name_latin: str | None
    given_name_latin: str | None
    birth_date: date
    birth_date_era: str
    nationalities: list[str]
    former_nationalities: list[str]
    employer_id: str | None
    department: str | None
    title: str | None
    created_at: datetime
    updated_at: datetime
    version: int


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None

"""Request schemas of threat intelligence (one per use: fields a caller must not set are
not in it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CODE = r"^[A-Z0-9][A-Z0-9_-]{0,31}$"


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    level: Literal["UNMARKED", "CUI", "CESI", "SDS"]
    programmes: list[str] = Field(default_factory=list, max_length=20)
    releasable_to: list[str] = Field(default_factory=list, max_length=40)
    government_run: bool = False
    review_required: bool = False

    @field_validator("programmes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        import re

        for v in value:
            if not re.match(_CODE, v):
                raise ValueError("invalid programme code")
        return sorted(set(value))

    @field_validator("releasable_to")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for v in value:
            if len(v) != 3 or not v.isascii() or not v.isalpha() or not v.isupper():
                raise ValueError("invalid country code")
        return sorted(set(value))


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reasons: str = Field(default="", max_length=2000)


class TearLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source_id: str = Field(min_length=1, max_length=36)  # the stored object version
    collection_id: str = Field(min_length=1, max_length=36)  # where it is released
    target: Literal["CUI", "TLP:AMBER"]
    remove: list[str] = Field(default_factory=list, max_length=50)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=100)
    days: int = Field(default=90, ge=1, le=365)

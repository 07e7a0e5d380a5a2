"""The policy file: levels, periods and thresholds, validated once at load."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, model_validator


class Levels(BaseModel):
    order: list[str]
    names: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _named(self) -> Levels:
        for lang, names in self.names.items():
            missing = set(self.order) - set(names)
            if missing:
                raise ValueError(f"levels.names.{lang} lacks {sorted(missing)}")
        return self

    def rank(self, level: str) -> int:
        return self.order.index(level)


class CuiCategory(BaseModel):
    specified: bool
    ja: str
    en: str


class Cui(BaseModel):
    categories: dict[str, CuiCategory]

    @property
    def specified(self) -> dict[str, bool]:
        """Abbreviation -> specified, as the marking rules take it."""
        return {abbr: c.specified for abbr, c in self.categories.items()}


class Policy(BaseModel):
    levels: Levels
    clearance: dict[str, object]
    designation: dict[str, int]
    designation_categories: dict[str, dict[str, dict[str, str]]]
    cui: Cui
    foci: dict[str, object]
    facilities: dict[str, object]
    retention: dict[str, int]
    registry: dict[str, list[str]]


DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")


def load_policy(path: Path | None = None) -> Policy:
    with open(path or DEFAULT_POLICY_FILE, "rb") as fh:
        return Policy.model_validate(tomllib.load(fh))


@lru_cache
def get_policy() -> Policy:
    from hozen.config import get_settings

    return load_policy(get_settings().policy_file)

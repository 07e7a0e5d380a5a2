"""The certification checklist (facilities/checklist.toml) and its crosswalk: each control
tagged with the regimes and rules it satisfies, so evidence is entered once and counts for
every regime (R13, R16). Reads only the packaged checklist."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

Errors = list[tuple[str, str]]

REGIME_TAGS = ("CESI", "SDS", "DEFENCE", "EXPORT", "NISPOM", "SP800171")
GROUPS = ("governance", "personnel", "physical", "it", "handling", "incidents", "training",
          "foci")


@dataclass(frozen=True)
class Control:
    id: str
    group: str
    title_ja: str
    title_en: str
    required: bool
    tags: tuple[str, ...]
    refs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (regime, section references)

    def refs_for(self, regime: str) -> tuple[str, ...]:
        return dict(self.refs).get(regime, ())


@dataclass(frozen=True)
class Checklist:
    version: str
    regimes: tuple[tuple[str, str, str], ...]  # (tag, ja, en)
    groups: tuple[tuple[str, str, str], ...]
    controls: tuple[Control, ...]


def parse_checklist(raw: Mapping) -> Checklist:
    """The checklist from its TOML, refusing unknown tags or groups and repeated ids."""
    controls = tuple(Control(c["id"], c["group"], c["ja"], c["en"], bool(c["required"]),
                             tuple(c["tags"]),
                             tuple((k, tuple(v)) for k, v in c.get("refs", {}).items()))
                     for c in raw["controls"])
    ids = [c.id for c in controls]
    if len(set(ids)) != len(ids):
        raise ValueError("checklist: repeated control ids")
    for c in controls:
        if c.group not in GROUPS or not c.tags or set(c.tags) - set(REGIME_TAGS) \
                or {r for r, _ in c.refs} - set(c.tags):
            raise ValueError(f"checklist: control {c.id} has an unknown group, tag or ref")
    names = [(k, v["ja"], v["en"]) for k, v in raw["regimes"].items()]
    return Checklist(str(raw["version"]), tuple(names),
                     tuple((k, v["ja"], v["en"]) for k, v in raw["groups"].items()),
                     controls)


@cache
def load_checklist() -> Checklist:
    text = resources.files("hozen.facilities").joinpath("checklist.toml").read_text("utf-8")
    return parse_checklist(tomllib.loads(text))


def checklist_errors(controls: Iterable[Control], results: Mapping[str, bool]) -> Errors:
    """Every required control met; results may name only controls on the checklist."""
    controls = list(controls)
    errors: Errors = [(f"checklist.{c.id}", "control_not_met")
                      for c in controls if c.required and not results.get(c.id)]
    if set(results) - {c.id for c in controls}:
        errors.append(("checklist", "unknown_control"))
    return errors


@dataclass(frozen=True)
class Coverage:
    regime: str
    controls: tuple[str, ...]  # the controls tagged with the regime
    evidenced: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.controls if c not in self.evidenced)

    @property
    def complete(self) -> bool:
        return not self.missing


def crosswalk(controls: Iterable[Control], evidence: Mapping[str, object]
              ) -> dict[str, Coverage]:
    """Per regime, which of its controls have evidence: one piece of evidence counts for
    every regime its control is tagged with."""
    controls = list(controls)
    unknown = set(evidence) - {c.id for c in controls}
    if unknown:
        raise ValueError(f"evidence for unknown controls: {sorted(unknown)}")
    return {r: Coverage(r, tuple(c.id for c in controls if r in c.tags),
                        tuple(c.id for c in controls if r in c.tags and evidence.get(c.id)))
            for r in REGIME_TAGS}


def shared_controls(controls: Iterable[Control] | None = None) -> tuple[Control, ...]:
    """Controls that serve two regimes or more: their evidence is entered once."""
    pool = load_checklist().controls if controls is None else controls
    return tuple(c for c in pool if len(set(c.tags)) >= 2)

"""Who a mass notice reaches: pure rules, no I/O. An organisation is in the audience when
it meets every criterion given (kinds: any of them; a certified level: a certification in
force at or above it; programmes: a participant in any of them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hozen.access.rules import RANKS

# Facility clearances are granted at these levels (low -> high).
FACILITY_LEVELS = ("CESI", "SDS")


@dataclass(frozen=True)
class OrgFacts:
    """What the audience rules read of one organisation."""

    id: str
    kind: str
    levels: frozenset[str] = frozenset()  # its certifications in force today
    programmes: frozenset[str] = frozenset()  # programmes it takes part in


@dataclass(frozen=True)
class Audience:
    kinds: frozenset[str] = field(default_factory=frozenset)
    min_level: str | None = None
    programmes: frozenset[str] = field(default_factory=frozenset)

    @property
    def bounded(self) -> bool:
        """At least one criterion: a notice is never sent to everyone by omission."""
        return bool(self.kinds or self.min_level or self.programmes)

    def as_dict(self) -> dict:
        return {"kinds": sorted(self.kinds), "min_level": self.min_level,
                "programmes": sorted(self.programmes)}


def matches(org: OrgFacts, audience: Audience) -> bool:
    if not audience.bounded:
        return False
    if audience.kinds and org.kind not in audience.kinds:
        return False
    if audience.min_level and not any(RANKS[level] >= RANKS[audience.min_level]
                                      for level in org.levels):
        return False
    return not audience.programmes or bool(org.programmes & audience.programmes)


def select_organisations(orgs: Iterable[OrgFacts], audience: Audience) -> list[str]:
    """The ids of the organisations in the audience, sorted."""
    return sorted(o.id for o in orgs if matches(o, audience))

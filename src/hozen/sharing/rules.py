"""Who a community or an event admits, and who may see what is shared in it: pure
functions over the access decision's own attributes (no I/O). Admission to a community
(registration for an event) counts as registration as a handler of its material, so the
one `decide_access` decides both the admission (the container as an item at its minimum
level) and every post, file and material (an item at its own level)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hozen.access import rules as access

LEVEL_RANKS = access.RANKS
REGIME_RANKS = {"CESI": access.CESI, "SDS": access.SDS}
TLP = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
# Small uploads only, of kinds that carry no active content (no HTML, no scripts).
MAX_FILE_BYTES = 2 * 1024 * 1024
CONTENT_TYPES = frozenset({"application/pdf", "text/plain", "text/csv", "application/json",
                           "image/png", "image/jpeg", "application/stix+json"})
# Reasons of the admission rule itself, after those of the access decision.
RULE_REASONS = ("clearance_regime_not_admitted", "nationality_not_admitted",
                "organisation_kind_not_admitted", "no_person_record")


@dataclass(frozen=True, slots=True)
class Rule:
    """An admission rule: the minimum level, and sets that must each hold (empty: any)."""

    container_id: str
    min_rank: int
    regimes: frozenset[str] = frozenset()
    programmes: frozenset[str] = frozenset()
    nationalities: frozenset[str] = frozenset()
    organisation_kinds: frozenset[str] = frozenset()
    releasable: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...] = ()


def as_handler(s: access.Subject, container_id: str) -> access.Subject:
    """The person as a handler of the container's material (admitted or registered)."""
    return replace(s, handles=s.handles | {container_id})


def container_item(rule: Rule) -> access.Item:
    """The community or event as an item at its minimum level."""
    return access.Item(item_id=rule.container_id, rank=rule.min_rank,
                       compartments=rule.programmes, releasable=rule.releasable)


def shared_item(rule: Rule, level: str) -> access.Item:
    """A post, file or material of the container, marked at `level`: compartments from the
    container's programmes, releasable to its REL TO countries."""
    return access.Item(item_id=rule.container_id, rank=LEVEL_RANKS[level],
                       compartments=rule.programmes, releasable=rule.releasable)


def eligibility(rule: Rule, s: access.Subject, organisation_kind: str | None,
                c: access.Context) -> Eligibility:
    """Whether the person meets the rule today, with every reason they do not."""
    reasons = list(access.decide_access(as_handler(s, rule.container_id),
                                        container_item(rule), c).reasons)
    if rule.regimes and not _regime_ok(rule, s, c):
        reasons.append("clearance_regime_not_admitted")
    if rule.nationalities and s.nationalities.isdisjoint(rule.nationalities):
        reasons.append("nationality_not_admitted")
    if rule.organisation_kinds and organisation_kind not in rule.organisation_kinds:
        reasons.append("organisation_kind_not_admitted")
    return Eligibility(not reasons, tuple(dict.fromkeys(reasons)))


def _regime_ok(rule: Rule, s: access.Subject, c: access.Context) -> bool:
    """An active, unexpired clearance of an admitted regime (or a higher one)."""
    held = s.clearance_rank if (s.clearance_status == "active"
                                and s.clearance_until >= c.today) else 0
    return any(held >= REGIME_RANKS[r] for r in rule.regimes)


def visible_levels(rule: Rule, s: access.Subject, c: access.Context) -> frozenset[str]:
    """The levels of the container's material the (admitted) person may read now: the
    decision asked once per level, so a listing is one query over these levels."""
    handler = as_handler(s, rule.container_id)
    return frozenset(level for level in LEVEL_RANKS
                     if access.decide_access(handler, shared_item(rule, level), c).permit)


def file_errors(content_type: str, size: int) -> list[tuple[str, str]]:
    out = []
    if content_type not in CONTENT_TYPES:
        out.append(("content_type", "content_type_not_allowed"))
    if size == 0:
        out.append(("content", "file_empty"))
    elif size > MAX_FILE_BYTES:
        out.append(("content", "file_too_large"))
    return out

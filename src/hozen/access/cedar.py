"""The access rules of `decide_access` as a Cedar policy set, for review and audit outside
hozen (`hozen policy export-cedar`) and for a differential test that holds the two equal.

One `permit` for the base case (a person reads an item) and one `forbid` per reason code,
annotated `@id("<code>")`: Cedar's forbid-overrides-permit then gives the same decision,
and the forbids that matched (its diagnostics) are the same reasons. Each forbid states
exactly when `decide_access` reports its code, guarded by the item's rank (unmarked: none;
CUI: its own path), so a denial always names at least one.

Cedar has no set difference, so a person carries `unbriefed` (memberships not yet briefed)
beside `members` and `briefed`; and FOCI is `foci_rank` (the highest level the employer's
FOCI position allows), compared with the item's rank as in `decide_access`."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from hozen.access.rules import CESI, CUI, HOME, SDS, Context, Item, Subject

if TYPE_CHECKING:  # cedarpy is a development dependency: the export itself needs none
    import cedarpy

PERMIT_ID = "permit_read"
POLICY_FILE = "hozen.cedar"
SCHEMA_FILE = "hozen.cedarschema"

_CLASSIFIED = f"resource.rank >= {CESI}"
_MARKED = f"resource.rank >= {CUI}"
_HELD = '["active", "suspended", "expired"]'  # held, if not necessarily usable
_HOLDS = ("principal.clearance_rank != 0", f"{_HELD}.contains(principal.clearance_status)")
_CLEARED = ('principal.clearance_rank > 0 && principal.clearance_status == "active" && '
            "principal.clearance_until >= context.today")
_FOREIGN = f'!principal.nationalities.contains("{HOME}")'
_EMPLOYED = (_CLASSIFIED, "!principal.government")  # government bodies need no facility

# When decide_access reports each code, as the conjuncts of its forbid, in REASONS order.
FORBIDS: dict[str, tuple[str, ...]] = {
    "designation_lapsed": (_CLASSIFIED, "resource.lapsed"),
    "no_clearance": (_CLASSIFIED, "(principal.clearance_rank == 0 || "
                                  f"!{_HELD}.contains(principal.clearance_status))"),
    "clearance_suspended": (_CLASSIFIED, "principal.clearance_rank != 0",
                            'principal.clearance_status == "suspended"'),
    "clearance_expired": (_CLASSIFIED, *_HOLDS, '(principal.clearance_status == "expired" '
                                                "|| principal.clearance_until < context.today)"),
    "clearance_below_level": (_CLASSIFIED, *_HOLDS, "principal.clearance_rank < resource.rank"),
    "no_cui_authorization": (f"resource.rank == {CUI}", "!principal.cui_authorized",
                             f"!({_CLEARED})"),
    "facility_clearance_missing": (*_EMPLOYED, "principal.facility_rank == 0"),
    "facility_clearance_below_level": (*_EMPLOYED, "principal.facility_rank != 0",
                                       "principal.facility_rank < resource.rank"),
    "foci_unmitigated": (*_EMPLOYED, "principal.foci_rank < resource.rank"),
    "national_interest_required": (*_EMPLOYED, f"resource.rank == {SDS}",
                                   "principal.foci_rank >= resource.rank",
                                   "principal.national_interest_needed"),
    "not_registered_handler": (_CLASSIFIED, "!principal.handles.contains(resource.item_id)"),
    "not_programme_member": (_MARKED, "!principal.members.containsAll(resource.compartments)"),
    "not_briefed": (_MARKED, "resource.compartments.containsAny(principal.unbriefed)"),
    "training_overdue": (_CLASSIFIED, "principal.training_due <= context.today"),
    "not_releasable": (_MARKED, _FOREIGN,
                       "!principal.nationalities.containsAny(resource.releasable)"),
    "visit_not_approved": (_MARKED, _FOREIGN, "!principal.visit_approved",
                           f"(resource.rank >= {CESI} || !principal.partner_agreement)"),
    # the rule reads the flag alone (not the nationality): it is set only for a foreign
    # national on an approved visit, but decide_access does not depend on that
    "foreign_clearance_not_recognised": (_CLASSIFIED, "principal.foreign_unrecognised"),
    "area_not_approved": (_CLASSIFIED, "context.area_rank < resource.rank"),
    "person_departed": (_MARKED, "principal.departed"),
}

SCHEMA = """\
// hozen access: the attributes decide_access reads (levels as ranks 0-3, days as ordinals).
entity Person = {
  clearance_rank: Long, clearance_status: String, clearance_until: Long,
  cui_authorized: Bool, government: Bool,
  facility_rank: Long, foci_rank: Long, national_interest_needed: Bool,
  handles: Set<String>, members: Set<String>, briefed: Set<String>, unbriefed: Set<String>,
  training_due: Long, departed: Bool, visit_approved: Bool, nationalities: Set<String>,
  foreign_unrecognised: Bool, partner_agreement: Bool,
};
entity Item = {
  item_id: String, rank: Long, lapsed: Bool,
  compartments: Set<String>, releasable: Set<String>,
};
action read appliesTo {
  principal: Person,
  resource: Item,
  context: { today: Long, area_rank: Long },
};
"""


def policy_text() -> str:
    """The policy set: the base permit, then one forbid per reason code."""
    parts = [
        "// hozen access rules, exported from hozen.access.cedar (mirrors decide_access).",
        "// Ranks: 0 unmarked, 1 CUI, 2 CESI, 3 SDS; days are date ordinals.",
        f'@id("{PERMIT_ID}")',
        'permit (principal is Person, action == Action::"read", resource is Item);',
    ]
    for code, conjuncts in FORBIDS.items():
        parts += ["", f'@id("{code}")',
                  "forbid (principal is Person, action, resource is Item)",
                  "when {", "  " + " &&\n  ".join(conjuncts), "};"]
    return "\n".join(parts) + "\n"


@cache
def policy_set() -> cedarpy.PolicySet:
    """The policies parsed once (a parse costs far more than a decision)."""
    import cedarpy

    return cedarpy.PolicySet.from_str(policy_text())


def person_entity(s: Subject) -> dict:
    return {"uid": {"type": "Person", "id": s.person_id}, "parents": [], "attrs": {
        "clearance_rank": s.clearance_rank, "clearance_status": s.clearance_status,
        "clearance_until": s.clearance_until, "cui_authorized": s.cui_authorized,
        "government": s.government, "facility_rank": s.facility_rank,
        "foci_rank": s.foci_rank, "national_interest_needed": s.national_interest_needed,
        "handles": sorted(s.handles), "members": sorted(s.members),
        "briefed": sorted(s.briefed), "unbriefed": sorted(s.members - s.briefed),
        "training_due": s.training_due, "departed": s.departed,
        "visit_approved": s.visit_approved, "nationalities": sorted(s.nationalities),
        "foreign_unrecognised": s.foreign_unrecognised,
        "partner_agreement": s.partner_agreement}}


def item_entity(i: Item) -> dict:
    return {"uid": {"type": "Item", "id": i.item_id}, "parents": [], "attrs": {
        "item_id": i.item_id, "rank": i.rank, "lapsed": i.lapsed,
        "compartments": sorted(i.compartments), "releasable": sorted(i.releasable)}}


def entities(subject: Subject, item: Item) -> list[dict]:
    """The person and the item in Cedar's JSON entity format."""
    return [person_entity(subject), item_entity(item)]


def request(subject: Subject, item: Item, context: Context) -> dict:
    """The request for cedarpy's is_authorized / is_authorized_batch."""
    return {"principal": {"type": "Person", "id": subject.person_id},
            "action": {"type": "Action", "id": context.action},
            "resource": {"type": "Item", "id": item.item_id},
            "context": {"today": context.today, "area_rank": context.area_rank}}


def reasons_of(result: cedarpy.AuthzResult) -> frozenset[str]:
    """The codes of the forbids that decided a denial (none for a permit). An evaluation
    error would silently drop a forbid, so it is raised rather than read past."""
    diagnostics = result.diagnostics
    if diagnostics.errors:
        raise RuntimeError(f"Cedar evaluation errors: {diagnostics.errors}")
    if result.allowed:
        return frozenset()
    codes = diagnostics.id_annotations_by_reason
    return frozenset(codes[policy] for policy in diagnostics.reasons)


def decide_with_cedar(subject: Subject, item: Item, context: Context,
                      policies: cedarpy.PolicySet | None = None
                      ) -> tuple[bool, frozenset[str]]:
    """(permit, reason codes) as Cedar decides the request."""
    import cedarpy

    result = cedarpy.is_authorized(request(subject, item, context),
                                   policies or policy_set(), entities(subject, item))
    return result.allowed, reasons_of(result)


def decide_many_with_cedar(cases: Iterable[tuple[Subject, Item, Context]],
                           policies: cedarpy.PolicySet | None = None
                           ) -> list[tuple[bool, frozenset[str]]]:
    """Many requests in one Cedar batch over one entity set (a person or item in several
    requests is sent once; two different ones under one id are refused)."""
    import cedarpy

    uids: dict[tuple[str, str], dict] = {}
    requests = []
    for s, i, c in cases:
        for entity in (person_entity(s), item_entity(i)):
            key = (entity["uid"]["type"], entity["uid"]["id"])
            if uids.setdefault(key, entity) != entity:
                raise ValueError(f"two different {key[0]} entities with id {key[1]!r}")
        requests.append(request(s, i, c))
    results = cedarpy.is_authorized_batch(requests, policies or policy_set(),
                                          list(uids.values()))
    return [(r.allowed, reasons_of(r)) for r in results]


def export(directory: str | Path) -> list[Path]:
    """Write the policy set and its Cedar schema into `directory` (created if need be);
    returns the paths written."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((POLICY_FILE, policy_text()), (SCHEMA_FILE, SCHEMA)):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written

"""The access decision: may this person see this item, here, now — and if not, exactly
why not. A pure function over plain attributes (DESIGN.md, "Access to a classified
item…"); every failed condition is returned as a stable code, never only the first.

Speed matters (every page, API call and TAXII object goes through it): the attributes
arrive pre-digested (levels as ranks, dates as ordinals, sets as frozensets) and a permit
is decided in one expression; only a denial walks the conditions to name each failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The level ladder as ranks (policy.toml [levels] order).
UNMARKED, CUI, CESI, SDS = 0, 1, 2, 3
RANKS = {"UNMARKED": UNMARKED, "CUI": CUI, "CESI": CESI, "SDS": SDS}
HOME = "JPN"

# Every reason a decision can give, in the order they are reported.
REASONS = (
    "designation_lapsed",
    "no_clearance",
    "clearance_suspended",
    "clearance_expired",
    "clearance_below_level",
    "no_cui_authorization",
    "facility_clearance_missing",
    "facility_clearance_below_level",
    "foci_unmitigated",
    "national_interest_required",
    "not_registered_handler",
    "not_programme_member",
    "not_briefed",
    "training_overdue",
    "not_releasable",
    "visit_not_approved",
    "foreign_clearance_not_recognised",
    "area_not_approved",
    "person_departed",
)


@dataclass(frozen=True, slots=True)
class Subject:
    """Who asks, as the decision needs them. `clearance_rank` is the regime of the
    person's best clearance (0 when none); its status and last valid day (an ordinal)
    come with it. Programme sets hold programme codes; `handles` the item ids the person
    is on the handler register for at their organisation."""

    person_id: str
    nationalities: frozenset[str] = frozenset({HOME})
    clearance_rank: int = 0  # CESI or SDS; 0: none
    clearance_status: str = ""  # "active", "suspended", "revoked", "expired"
    clearance_until: int = 0  # date.toordinal() of the last valid day
    cui_authorized: bool = False  # a current CUI authorization
    government: bool = False  # employed by a government body: no facility clearance
    facility_rank: int = 0  # the employer's certification in force (0: none)
    foci_rank: int = SDS  # the highest level the employer's FOCI position allows: SDS
    # when not flagged; below when flagged and not (sufficiently) mitigated
    national_interest_needed: bool = False  # mitigated, SDS needs an approval not given
    handles: frozenset[str] = frozenset()
    members: frozenset[str] = frozenset()  # programme memberships
    briefed: frozenset[str] = frozenset()  # of those, briefed with a signed NDA
    training_due: int = 0  # ordinal of the day the refresher falls due (0: never trained)
    departed: bool = False
    visit_approved: bool = False  # a foreign national, during an approved visit
    # on that visit, their government's assurance does not count today (agreement not in
    # force, assurance expired or withdrawn, level not in the table)
    foreign_unrecognised: bool = False
    # a foreign national whose government's agreement with Japan is in force: with a CUI
    # authorization and the item's REL TO, that alone admits them to CUI (no visit needed)
    partner_agreement: bool = False

    def __post_init__(self) -> None:
        if not self.briefed <= self.members:
            raise ValueError("a briefing is of a programme the person is a member of")


@dataclass(frozen=True, slots=True)
class Item:
    """What is asked for. `rank` is its effective level (derived from its designation);
    `lapsed` when the designation's term ended without renewal or lifting; `releasable`
    the countries besides Japan it may go to (NOFORN: none)."""

    item_id: str
    rank: int = UNMARKED
    lapsed: bool = False
    compartments: frozenset[str] = frozenset()
    releasable: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Context:
    """Where and when: the day (an ordinal) and the level the area of access is approved
    for (hozen's own IT system, a room, ...; 0: not an approved area)."""

    today: int
    area_rank: int = 0
    action: str = "read"


@dataclass(frozen=True, slots=True)
class Decision:
    permit: bool
    reasons: tuple[str, ...] = ()


PERMIT = Decision(True)


def context(today: date, area_rank: int = 0, action: str = "read") -> Context:
    return Context(today.toordinal(), area_rank, action)


def decide_access(s: Subject, i: Item, c: Context) -> Decision:
    """Permit, or deny with every failed condition."""
    rank = i.rank
    if rank >= CESI:
        if (not i.lapsed and s.clearance_rank >= rank and s.clearance_status == "active"
                and s.clearance_until >= c.today
                and (s.government or (s.facility_rank >= rank and s.foci_rank >= rank
                                      and not (rank == SDS and s.national_interest_needed)))
                and i.item_id in s.handles and i.compartments <= s.briefed
                and s.training_due > c.today and c.area_rank >= rank and not s.departed
                and _nationality_ok(s, i) and not s.foreign_unrecognised):
            return PERMIT
        return Decision(False, classified_reasons(s, i, c))
    if rank == CUI:
        if ((s.cui_authorized or _cleared(s, c)) and i.compartments <= s.briefed
                and not s.departed and _nationality_ok(s, i, cui=True)):
            return PERMIT
        return Decision(False, cui_reasons(s, i, c))
    return PERMIT  # unmarked: any signed-in user


def _cleared(s: Subject, c: Context) -> bool:
    return s.clearance_rank > 0 and s.clearance_status == "active" and \
        s.clearance_until >= c.today


def _nationality_ok(s: Subject, i: Item, cui: bool = False) -> bool:
    """Japanese nationals; a foreign national only where the item is releasable to one of
    their countries and during an approved visit (for CUI, their government's agreement
    in force will do instead)."""
    if HOME in s.nationalities:
        return True
    return (s.visit_approved or (cui and s.partner_agreement)) and \
        not s.nationalities.isdisjoint(i.releasable)


def classified_reasons(s: Subject, i: Item, c: Context) -> tuple[str, ...]:
    """Every failed condition of a CESI or SDS item, in the order of REASONS (written out
    in that order rather than sorted: a denial must stay cheap too)."""
    rank, today = i.rank, c.today
    out = ["designation_lapsed"] if i.lapsed else []
    status = s.clearance_status
    if s.clearance_rank == 0 or status not in _HELD:
        out.append("no_clearance")  # none, or revoked
    else:
        if status == "suspended":
            out.append("clearance_suspended")
        if status == "expired" or s.clearance_until < today:
            out.append("clearance_expired")
        if s.clearance_rank < rank:
            out.append("clearance_below_level")
    if not s.government:
        if s.facility_rank == 0:
            out.append("facility_clearance_missing")
        elif s.facility_rank < rank:
            out.append("facility_clearance_below_level")
        if s.foci_rank < rank:
            out.append("foci_unmitigated")
        elif rank == SDS and s.national_interest_needed:
            out.append("national_interest_required")
    if i.item_id not in s.handles:
        out.append("not_registered_handler")
    if i.compartments:
        _programme_reasons(s, i, out)
    if s.training_due <= today:
        out.append("training_overdue")
    if HOME not in s.nationalities:
        _nationality_reasons(s, i, out)
    if s.foreign_unrecognised:
        out.append("foreign_clearance_not_recognised")
    if c.area_rank < rank:
        out.append("area_not_approved")
    if s.departed:
        out.append("person_departed")
    return tuple(out)


_HELD = frozenset({"active", "suspended", "expired"})


def _programme_reasons(s: Subject, i: Item, out: list[str]) -> None:
    missing = i.compartments - s.members
    if missing:
        out.append("not_programme_member")
    if (i.compartments - missing) - s.briefed:
        out.append("not_briefed")


def _nationality_reasons(s: Subject, i: Item, out: list[str], cui: bool = False) -> None:
    if s.nationalities.isdisjoint(i.releasable):
        out.append("not_releasable")
    if not (s.visit_approved or (cui and s.partner_agreement)):
        out.append("visit_not_approved")


def cui_reasons(s: Subject, i: Item, c: Context) -> tuple[str, ...]:
    out = [] if s.cui_authorized or _cleared(s, c) else ["no_cui_authorization"]
    if i.compartments:
        _programme_reasons(s, i, out)
    if HOME not in s.nationalities:
        _nationality_reasons(s, i, out, cui=True)
    if s.departed:
        out.append("person_departed")
    return tuple(out)

"""The Cedar export decides as decide_access does: 100,000 distinct near-miss requests, the
same decision and the same set of reasons on every one.

Each case starts from a random permitted request (any level; compartments; Japanese, dual
and foreign nationals on approved visits; government or not) and breaks 0-3 of its
conditions, so most denials fail by one or two conditions — where a rule written
slightly wrong shows. The bench (bench/access.py) runs the same cases."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from itertools import combinations
from operator import attrgetter

from hozen.access import cedar
from hozen.access.rules import (
    CESI,
    CUI,
    HOME,
    REASONS,
    SDS,
    UNMARKED,
    Context,
    Item,
    Subject,
    decide_access,
)

CASES = 100_000
SEED = 20261126
CHUNK = 10_000  # requests per Cedar batch: one entity set per batch
FIRST_DAY = date(2026, 1, 1).toordinal()
FOREIGN = ("USA", "GBR", "AUS", "ITA", "FRA", "DEU", "KOR", "IND")
PROGRAMMES = ("GCAP", "SPACE", "QUANTUM", "CYBER", "SEMI", "HYPERSONIC")
STATUSES = ("active", "suspended", "expired", "revoked", "")
# Subsets by size, to draw from (faster than sampling each time).
PROGRAMME_SETS = [tuple(combinations(PROGRAMMES, k)) for k in range(3)]
FOREIGN_SETS = [tuple(combinations(FOREIGN, k)) for k in range(4)]
MIN_PERMIT_SHARE = 0.20
MIN_ALONE = 1_000


class _Random(random.Random):
    """Draws from one float each: several times faster than the exact integer draws, and
    uniform to within 2**-53, which test data does not notice."""

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


def _nationality(rng: random.Random, releasable: set[str]) -> tuple[set[str], bool]:
    """(nationalities, visit_approved) that pass: Japanese, dual, or a foreign national
    on an approved visit with a nationality the item is releasable to."""
    roll = rng.random()
    if roll < 0.70:
        return {HOME}, rng.random() < 0.1
    if roll < 0.80:
        return {HOME, rng.choice(FOREIGN)}, rng.random() < 0.3
    nats = set(rng.choice(FOREIGN_SETS[rng.choice((1, 1, 2))]))
    releasable.add(rng.choice(sorted(nats)))
    return nats, True


def _base(rng: random.Random, k: int, rank: int) -> tuple[dict, dict, dict]:
    """A permitted request for an item of `rank` as three mutable dicts; the conditions
    that do not apply at that rank are left random."""
    today = FIRST_DAY + rng.randrange(1500)
    item_id = f"i{k}"
    compartments = set(rng.choice(PROGRAMME_SETS[rng.choice((0, 0, 1, 1, 2))]))
    extra = set(rng.choice(PROGRAMME_SETS[rng.choice((0, 1, 2))])) - compartments
    members = compartments | extra
    briefed = compartments | {p for p in sorted(extra) if rng.random() < 0.5}
    releasable = set(rng.choice(FOREIGN_SETS[rng.randrange(4)]))
    nationalities, visit = _nationality(rng, releasable)
    s = {"person_id": f"p{k}", "nationalities": nationalities, "visit_approved": visit,
         "members": members, "briefed": briefed,
         "handles": ({item_id} if rank >= CESI or rng.random() < 0.5 else set())
         | {f"other{rng.randrange(9)}" for _ in range(rng.randrange(3))},
         "clearance_rank": rng.randrange(4), "clearance_status": rng.choice(STATUSES),
         "clearance_until": today + rng.randrange(-300, 300),
         "cui_authorized": rng.random() < 0.5, "government": rng.random() < 0.25,
         "facility_rank": rng.randrange(4), "foci_rank": rng.choice((0, CESI, SDS, SDS)),
         "national_interest_needed": rng.random() < 0.2,
         "training_due": rng.choice((0, today + rng.randrange(-200, 200))),
         "departed": False, "foreign_unrecognised": False,
         "partner_agreement": rng.random() < 0.3}
    i = {"item_id": item_id, "rank": rank, "lapsed": rng.random() < 0.1,
         "compartments": compartments, "releasable": releasable}
    c = {"today": today, "area_rank": rng.randrange(4)}
    if rank >= CESI:
        s.update(clearance_rank=rng.randint(rank, SDS), clearance_status="active",
                 clearance_until=today + rng.choice((0, rng.randrange(1, 2000))),
                 training_due=today + rng.randrange(1, 400))
        if not s["government"]:
            _employed(s, rank, rng)
        i["lapsed"] = False
        c["area_rank"] = rng.randint(rank, SDS)
    else:  # a foreign assurance counts for classified items alone
        s["foreign_unrecognised"] = rng.random() < 0.15
    if rank == CUI:
        if HOME not in nationalities and rng.random() < 0.4:  # standing by agreement
            s.update(visit_approved=False, partner_agreement=True)
        mode = rng.choice(("authorized", "cleared", "both"))
        s["cui_authorized"] = mode != "cleared"
        if mode != "authorized":
            s.update(clearance_rank=rng.choice((CESI, SDS)), clearance_status="active",
                     clearance_until=today + rng.randrange(0, 900))
    elif rank == UNMARKED:  # anything at all
        s["departed"] = rng.random() < 0.2
        s["nationalities"] = set(rng.sample((HOME, *FOREIGN), rng.randrange(3)))
    return s, i, c


def _employed(s: dict, rank: int, rng: random.Random) -> None:
    """Make the person a company employee whose facility passes for `rank`."""
    s.update(government=False, facility_rank=rng.randint(rank, SDS),
             foci_rank=rng.choice((SDS, rank)),
             national_interest_needed=rank < SDS and rng.random() < 0.3)


Change = Callable[[dict, dict, dict, int, random.Random], object]
# How to break each condition: (the item ranks it applies to, the change to the person,
# item and context dicts, given the item's rank and the generator).
BREAKS: dict[str, tuple[tuple[int, ...], Change]] = {}


def _breaks(code: str, *ranks: int) -> Callable[[Change], Change]:
    def register(change: Change) -> Change:
        BREAKS[code] = (ranks, change)
        return change
    return register


@_breaks("designation_lapsed", CESI, SDS)
def _lapse(s, i, c, rank, rng):
    i["lapsed"] = True


@_breaks("no_clearance", CESI, SDS)
def _no_clearance(s, i, c, rank, rng):
    if rng.random() < 0.5:
        s.update(clearance_rank=0, clearance_status=rng.choice(STATUSES))
    else:
        s["clearance_status"] = rng.choice(("revoked", ""))


@_breaks("clearance_suspended", CESI, SDS)
def _suspend(s, i, c, rank, rng):
    s["clearance_status"] = "suspended"


@_breaks("clearance_expired", CESI, SDS)
def _expire(s, i, c, rank, rng):
    if rng.random() < 0.7:
        s["clearance_until"] = c["today"] - rng.randrange(1, 800)
    else:
        s["clearance_status"] = "expired"


@_breaks("clearance_below_level", CESI, SDS)
def _lower_clearance(s, i, c, rank, rng):
    s["clearance_rank"] = rng.randrange(1, rank)


@_breaks("no_cui_authorization", CUI)
def _no_cui(s, i, c, rank, rng):
    s["cui_authorized"] = False
    how = rng.randrange(3)  # nor any active, unexpired clearance
    if how == 0:
        s["clearance_rank"] = 0
    elif how == 1:
        s["clearance_status"] = rng.choice(("suspended", "expired", "revoked", ""))
    else:
        s["clearance_until"] = c["today"] - rng.randrange(1, 500)


def _company(s: dict, rank: int, rng: random.Random) -> None:
    if s["government"]:
        _employed(s, rank, rng)


@_breaks("facility_clearance_missing", CESI, SDS)
def _no_facility(s, i, c, rank, rng):
    _company(s, rank, rng)
    s["facility_rank"] = 0


@_breaks("facility_clearance_below_level", CESI, SDS)
def _lower_facility(s, i, c, rank, rng):
    _company(s, rank, rng)
    s["facility_rank"] = rng.randrange(1, rank)


@_breaks("foci_unmitigated", CESI, SDS)
def _foci(s, i, c, rank, rng):
    _company(s, rank, rng)
    s["foci_rank"] = rng.randrange(0, rank)


@_breaks("national_interest_required", SDS)
def _national_interest(s, i, c, rank, rng):
    _company(s, rank, rng)
    s.update(foci_rank=SDS, national_interest_needed=True)


@_breaks("not_registered_handler", CESI, SDS)
def _not_handler(s, i, c, rank, rng):
    s["handles"].discard(i["item_id"])


@_breaks("not_programme_member", CUI, CESI, SDS)
def _not_member(s, i, c, rank, rng):
    if i["compartments"] and rng.random() < 0.5:
        p = rng.choice(sorted(i["compartments"]))
        s["members"].discard(p)
        s["briefed"].discard(p)
    else:
        i["compartments"].add(rng.choice(sorted(set(PROGRAMMES) - s["members"])))


@_breaks("not_briefed", CUI, CESI, SDS)
def _not_briefed(s, i, c, rank, rng):
    briefed_here = i["compartments"] & s["briefed"]
    if briefed_here and rng.random() < 0.7:
        s["briefed"].discard(rng.choice(sorted(briefed_here)))
    else:
        p = rng.choice(sorted(set(PROGRAMMES) - s["briefed"]))
        s["members"].add(p)
        i["compartments"].add(p)


@_breaks("training_overdue", CESI, SDS)
def _overdue(s, i, c, rank, rng):
    s["training_due"] = rng.choice((0, c["today"], c["today"] - rng.randrange(1, 500)))


def _foreigner(s: dict, i: dict, rng: random.Random) -> None:
    """A Japanese (or dual) national becomes a foreign national who would pass."""
    if HOME in s["nationalities"]:
        foreign = s["nationalities"] - {HOME} or {rng.choice(FOREIGN)}
        s.update(nationalities=foreign, visit_approved=True)
        i["releasable"].add(rng.choice(sorted(foreign)))


@_breaks("not_releasable", CUI, CESI, SDS)
def _not_releasable(s, i, c, rank, rng):
    _foreigner(s, i, rng)
    i["releasable"] -= s["nationalities"]


@_breaks("visit_not_approved", CUI, CESI, SDS)
def _no_visit(s, i, c, rank, rng):
    _foreigner(s, i, rng)
    s["visit_approved"] = False
    if rank == CUI:  # nor, for CUI, an agreement in force for their country
        s["partner_agreement"] = False


@_breaks("foreign_clearance_not_recognised", CESI, SDS)
def _unrecognised(s, i, c, rank, rng):
    if rng.random() < 0.8:  # mostly as it arises: a visitor whose assurance lapsed; the
        _foreigner(s, i, rng)  # rule reads the flag alone, so a Japanese one too
    s["foreign_unrecognised"] = True


@_breaks("area_not_approved", CESI, SDS)
def _unapproved_area(s, i, c, rank, rng):
    c["area_rank"] = rng.randrange(0, rank)


@_breaks("person_departed", CUI, CESI, SDS)
def _depart(s, i, c, rank, rng):
    s["departed"] = True


BREAK_COUNT = (0,) * 22 + (1,) * 48 + (2,) * 18 + (3,) * 12  # drawn uniformly
PERMIT_RANK = (UNMARKED,) * 10 + (CUI,) * 25 + (CESI,) * 35 + (SDS,) * 30
UNMARKED_AFTER_BREAKS = 0.06  # the broken request, but for an unmarked item: a permit
CODES = tuple(BREAKS)
BREAKABLE = {rank: [code for code, (ranks, _) in BREAKS.items() if rank in ranks]
             for rank in (CUI, CESI, SDS)}


def _case(rng: random.Random, k: int) -> tuple[Subject, Item, Context]:
    breaks = rng.choice(BREAK_COUNT)
    if breaks == 0:
        return _freeze(*_base(rng, k, rng.choice(PERMIT_RANK)))
    first = rng.choice(CODES)
    rank = rng.choice(BREAKS[first][0])
    others = [code for code in BREAKABLE[rank] if code != first]
    s, i, c = _base(rng, k, rank)
    for code in (first, *rng.sample(others, breaks - 1)):
        BREAKS[code][1](s, i, c, rank, rng)
    if rng.random() < UNMARKED_AFTER_BREAKS:
        i["rank"] = UNMARKED
    return _freeze(s, i, c)


def _freeze(s: dict, i: dict, c: dict) -> tuple[Subject, Item, Context]:
    sets = ("nationalities", "members", "briefed", "handles")
    subject = Subject(**{k: frozenset(v) if k in sets else v for k, v in s.items()})
    item = Item(**{k: frozenset(v) if isinstance(v, set) else v for k, v in i.items()})
    return subject, item, Context(**c)


_SUBJECT = attrgetter(*(f.name for f in fields(Subject)
                        if f.name not in ("person_id", "handles")))
_ITEM = attrgetter(*(f.name for f in fields(Item) if f.name != "item_id"))


def _key(case: tuple[Subject, Item, Context]) -> tuple:
    """The case without its ids: two cases that differ only in naming are one case."""
    s, i, c = case
    return (_SUBJECT(s), i.item_id in s.handles, s.handles - {i.item_id}, _ITEM(i), c)


def near_misses(n: int = CASES, seed: int = SEED) -> list[tuple[Subject, Item, Context]]:
    """`n` distinct (subject, item, context) requests, deterministic for a seed; ids are
    unique per case (p<k>, i<k>) so a batch can hold them all."""
    rng = _Random(seed)
    seen: set[tuple] = set()
    cases = []
    while len(cases) < n:
        case = _case(rng, len(cases))
        key = _key(case)
        if key not in seen:
            seen.add(key)
            cases.append(case)
    return cases


def test_cedar_decides_every_near_miss_as_decide_access():
    started = time.perf_counter()
    cases = near_misses()
    generated = time.perf_counter()
    expected = [decide_access(*case) for case in cases]
    decided = time.perf_counter()
    policies = cedar.policy_set()
    got = []
    for start in range(0, len(cases), CHUNK):
        got += cedar.decide_many_with_cedar(cases[start:start + CHUNK], policies)
    finished = time.perf_counter()

    differ = [(case, d, g) for case, d, g in zip(cases, expected, got, strict=True)
              if (d.permit, frozenset(d.reasons)) != g]
    permits = sum(d.permit for d in expected)
    alone = Counter(d.reasons[0] for d in expected if len(d.reasons) == 1)
    counts = (f"{len(cases)} distinct cases, {permits} permits "
              f"({permits / len(cases):.1%}); only failure: "
              + ", ".join(f"{code} {alone[code]}" for code in REASONS)
              + f"; seconds: generate {generated - started:.1f}, decide_access "
              f"{decided - generated:.2f}, cedar {finished - decided:.1f}")
    print(counts)
    assert not differ, f"{len(differ)} disagree, e.g. {differ[:3]}"
    assert all(d.permit != bool(d.reasons) for d in expected), "a denial names no reason"
    assert len({_key(case) for case in cases}) == CASES, counts
    assert permits >= MIN_PERMIT_SHARE * len(cases), counts
    assert min(alone[code] for code in REASONS) >= MIN_ALONE, counts

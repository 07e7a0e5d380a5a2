"""Who a mass notice reaches (notice_rules): every criterion given must hold; none given
reaches nobody; a certification counts at or above the level asked."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from hozen.notifications.notice_rules import (
    FACILITY_LEVELS,
    Audience,
    OrgFacts,
    matches,
    select_organisations,
)
from hozen.registry.models import ORG_KINDS

PROGRAMMES = ("P1", "P2", "P3")
RANK = {"CESI": 1, "SDS": 2}

orgs = st.builds(OrgFacts, id=st.uuids().map(str), kind=st.sampled_from(ORG_KINDS),
                 levels=st.frozensets(st.sampled_from(FACILITY_LEVELS)),
                 programmes=st.frozensets(st.sampled_from(PROGRAMMES)))
audiences = st.builds(Audience, kinds=st.frozensets(st.sampled_from(ORG_KINDS)),
                      min_level=st.none() | st.sampled_from(FACILITY_LEVELS),
                      programmes=st.frozensets(st.sampled_from(PROGRAMMES)))


def by_hand(o: OrgFacts, a: Audience) -> bool:
    """The rule as the issue states it, written out independently."""
    if not (a.kinds or a.min_level or a.programmes):
        return False
    kind_ok = not a.kinds or o.kind in a.kinds
    level_ok = a.min_level is None or any(RANK[lv] >= RANK[a.min_level] for lv in o.levels)
    programme_ok = not a.programmes or bool(o.programmes & a.programmes)
    return kind_ok and level_ok and programme_ok


@given(st.lists(orgs, max_size=12), audiences)
def test_selection_is_exactly_the_organisations_meeting_every_criterion(os, a):
    assert select_organisations(os, a) == sorted(o.id for o in os if by_hand(o, a))


@given(orgs, audiences, st.sampled_from(FACILITY_LEVELS), st.sampled_from(ORG_KINDS))
def test_adding_a_criterion_never_widens_the_audience(o, a, level, kind):
    """A level added, or a kind taken out of a list of kinds, only ever narrows."""
    loose = replace(a, min_level=None)
    if loose.bounded and matches(o, replace(a, min_level=level)):
        assert matches(o, loose)
    if len(a.kinds) > 1 and matches(o, replace(a, kinds=a.kinds - {kind})):
        assert matches(o, a)


def test_no_criterion_reaches_nobody():
    everyone = [OrgFacts("a", "company", frozenset({"SDS"}), frozenset({"P1"}))]
    assert not Audience().bounded
    assert select_organisations(everyone, Audience()) == []


def test_a_higher_certification_covers_a_lower_level_not_the_reverse():
    cesi, sds = OrgFacts("c", "company", frozenset({"CESI"})), OrgFacts("s", "company",
                                                                        frozenset({"SDS"}))
    assert select_organisations([cesi, sds], Audience(min_level="CESI")) == ["c", "s"]
    assert select_organisations([cesi, sds], Audience(min_level="SDS")) == ["s"]
    assert select_organisations([OrgFacts("n", "company")], Audience(min_level="CESI")) == []

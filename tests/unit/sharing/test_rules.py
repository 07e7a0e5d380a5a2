"""Unit tests of the admission and visibility rules of communities and events
(sharing/rules.py): they go through the one access decision, add the rule's own
conditions, and (as properties) never admit more when the rule asks for more, never admit
a departed person, and list exactly the levels the decision permits one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from hozen.access import rules as access
from hozen.sharing.rules import (
    LEVEL_RANKS,
    MAX_FILE_BYTES,
    Rule,
    as_handler,
    eligibility,
    file_errors,
    shared_item,
    visible_levels,
)

TODAY = date(2026, 11, 27).toordinal()
CTX = access.Context(TODAY, access.SDS)
CLEARED = access.Subject(person_id="p", clearance_rank=access.CESI, clearance_status="active",
                         clearance_until=TODAY + 100, government=True,
                         training_due=TODAY + 100)
CESI_RULE = Rule(container_id="c", min_rank=access.CESI)


def test_a_cleared_trained_official_is_admitted_and_not_registered_beforehand():
    assert eligibility(CESI_RULE, CLEARED, "government_body", CTX).eligible
    # admission makes the person a handler of the container's material, nothing else
    assert as_handler(CLEARED, "c").handles == frozenset({"c"})
    assert CLEARED.handles == frozenset()


def test_every_reason_is_given_decision_first_then_the_rules_own():
    rule = replace(CESI_RULE, regimes=frozenset({"SDS"}), nationalities=frozenset({"USA"}),
                   organisation_kinds=frozenset({"company"}))
    s = replace(CLEARED, clearance_status="suspended", departed=True)
    e = eligibility(rule, s, "government_body", CTX)
    assert not e.eligible
    assert e.reasons == ("clearance_suspended", "person_departed",
                         "clearance_regime_not_admitted", "nationality_not_admitted",
                         "organisation_kind_not_admitted")


def test_cui_admits_an_authorization_and_programmes_need_a_briefing():
    rule = Rule(container_id="c", min_rank=access.CUI, programmes=frozenset({"GCAP"}))
    s = access.Subject(person_id="p", cui_authorized=True)
    assert eligibility(rule, s, "company", CTX).reasons == ("not_programme_member",)
    member = replace(s, members=frozenset({"GCAP"}))
    assert eligibility(rule, member, "company", CTX).reasons == ("not_briefed",)
    briefed = replace(member, briefed=frozenset({"GCAP"}))
    assert eligibility(rule, briefed, "company", CTX).eligible


def test_a_regime_rule_needs_an_active_unexpired_clearance_of_it_or_higher():
    rule = Rule(container_id="c", min_rank=access.CUI, regimes=frozenset({"CESI"}))
    assert eligibility(rule, CLEARED, None, CTX).eligible
    assert eligibility(rule, replace(CLEARED, clearance_rank=access.SDS), None, CTX).eligible
    lapsed = replace(CLEARED, clearance_until=TODAY - 1)
    assert "clearance_regime_not_admitted" in eligibility(rule, lapsed, None, CTX).reasons


def test_visible_levels_of_a_cesi_holder_and_a_cui_authorization():
    assert visible_levels(CESI_RULE, CLEARED, CTX) == {"UNMARKED", "CUI", "CESI"}
    cui = access.Subject(person_id="q", cui_authorized=True)
    assert visible_levels(CESI_RULE, cui, CTX) == {"UNMARKED", "CUI"}
    assert visible_levels(CESI_RULE, replace(CLEARED, departed=True), CTX) == {"UNMARKED"}


def test_file_errors():
    assert file_errors("text/plain", 10) == []
    assert file_errors("text/html", 10) == [("content_type", "content_type_not_allowed")]
    assert file_errors("application/pdf", 0) == [("content", "file_empty")]
    assert file_errors("application/pdf", MAX_FILE_BYTES + 1) == [("content", "file_too_large")]


# --- properties ------------------------------------------------------------------------------

codes = st.sampled_from(["JPN", "USA", "GBR"])
progs = st.sampled_from(["GCAP", "QKD"])
subjects = st.builds(
    lambda rank, status, until, cui, gov, fac, members, briefed_extra, training, departed, nat:
    access.Subject(person_id="p", nationalities=frozenset(nat) or frozenset({"JPN"}),
                   clearance_rank=rank, clearance_status=status if rank else "",
                   clearance_until=TODAY + until, cui_authorized=cui, government=gov,
                   facility_rank=fac, members=frozenset(members),
                   briefed=frozenset(members) & frozenset(briefed_extra),
                   training_due=TODAY + training, departed=departed),
    st.sampled_from([0, access.CESI, access.SDS]),
    st.sampled_from(["active", "suspended", "revoked", "expired"]),
    st.integers(-5, 5), st.booleans(), st.booleans(), st.sampled_from([0, 2, 3]),
    st.sets(progs), st.sets(progs), st.integers(-5, 5), st.booleans(), st.sets(codes))
rules_ = st.builds(
    lambda rank, regimes, programmes, nats, kinds: Rule(
        container_id="c", min_rank=rank, regimes=frozenset(regimes),
        programmes=frozenset(programmes), nationalities=frozenset(nats),
        organisation_kinds=frozenset(kinds)),
    st.sampled_from([access.CUI, access.CESI, access.SDS]),
    st.sets(st.sampled_from(["CESI", "SDS"])), st.sets(progs), st.sets(codes),
    st.sets(st.sampled_from(["company", "government_body"])))
kinds = st.sampled_from(["company", "government_body", None])


@given(rules_, subjects, kinds)
def test_eligible_exactly_when_no_reason_and_never_when_departed(rule, s, kind):
    e = eligibility(rule, s, kind, CTX)
    assert e.eligible == (e.reasons == ())
    assert len(set(e.reasons)) == len(e.reasons)
    if s.departed:
        assert not e.eligible and "person_departed" in e.reasons


@given(rules_, subjects, kinds, st.sampled_from([access.CESI, access.SDS]), progs, codes)
def test_a_stricter_rule_never_admits_more(rule, s, kind, rank, programme, country):
    narrower = frozenset(sorted(rule.nationalities)[:1]) or frozenset({country})
    stricter = replace(rule, min_rank=max(rule.min_rank, rank),
                       programmes=rule.programmes | {programme}, nationalities=narrower)
    if eligibility(stricter, s, kind, CTX).eligible:
        assert eligibility(rule, s, kind, CTX).eligible


@given(rules_, subjects)
def test_visible_levels_are_those_the_decision_permits_one_by_one(rule, s):
    handler = as_handler(s, rule.container_id)
    assert visible_levels(rule, s, CTX) == {
        level for level in LEVEL_RANKS
        if access.decide_access(handler, shared_item(rule, level), CTX).permit}
    # what is visible is a lower set of the ladder: seeing a level means seeing those below
    seen = [LEVEL_RANKS[lv] for lv in visible_levels(rule, s, CTX)]
    assert sorted(seen) == list(range(len(seen)))

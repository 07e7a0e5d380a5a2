"""decide_access: each reason code alone and in combination, and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hozen.access.rules import (
    CESI,
    CUI,
    REASONS,
    SDS,
    UNMARKED,
    Context,
    Item,
    Subject,
    decide_access,
)

TODAY = date(2026, 11, 26).toordinal()
HERE = Context(TODAY, area_rank=SDS)
ITEM = Item("doc-1", rank=SDS, compartments=frozenset({"GCAP"}),
            releasable=frozenset({"GBR", "ITA"}))
OK = Subject("p-1", clearance_rank=SDS, clearance_status="active",
             clearance_until=TODAY + 100, facility_rank=SDS, handles=frozenset({"doc-1"}),
             members=frozenset({"GCAP"}), briefed=frozenset({"GCAP"}),
             training_due=TODAY + 30)

# A British national on an approved visit (the item is releasable to GBR), whose
# government's clearance assurance does not count today.
VISITOR = replace(OK, nationalities=frozenset({"GBR"}), visit_approved=True)
VISITOR_UNRECOGNISED = replace(VISITOR, foreign_unrecognised=True)

# One change of a permitted case that breaks exactly one condition, per reason code.
BREAK_ONE = {
    "designation_lapsed": (OK, replace(ITEM, lapsed=True), HERE),
    "no_clearance": (replace(OK, clearance_rank=0, clearance_status=""), ITEM, HERE),
    "clearance_suspended": (replace(OK, clearance_status="suspended"), ITEM, HERE),
    "clearance_expired": (replace(OK, clearance_until=TODAY - 1), ITEM, HERE),
    "clearance_below_level": (replace(OK, clearance_rank=CESI), ITEM, HERE),
    "facility_clearance_missing": (replace(OK, facility_rank=0), ITEM, HERE),
    "facility_clearance_below_level": (replace(OK, facility_rank=CESI), ITEM, HERE),
    "foci_unmitigated": (replace(OK, foci_rank=CESI), ITEM, HERE),
    "national_interest_required": (replace(OK, national_interest_needed=True), ITEM, HERE),
    "not_registered_handler": (replace(OK, handles=frozenset()), ITEM, HERE),
    "not_programme_member": (replace(OK, members=frozenset(), briefed=frozenset()), ITEM,
                             HERE),
    "not_briefed": (replace(OK, briefed=frozenset()), ITEM, HERE),
    "training_overdue": (replace(OK, training_due=TODAY), ITEM, HERE),
    "foreign_clearance_not_recognised": (VISITOR_UNRECOGNISED, ITEM, HERE),
    "area_not_approved": (OK, ITEM, replace(HERE, area_rank=CESI)),
    "person_departed": (replace(OK, departed=True), ITEM, HERE),
}


def test_the_permitted_case_is_permitted():
    assert decide_access(OK, ITEM, HERE).permit


@pytest.mark.parametrize("code", sorted(BREAK_ONE))
def test_each_reason_alone(code):
    d = decide_access(*BREAK_ONE[code])
    assert (d.permit, d.reasons) == (False, (code,))


def test_a_foreign_national_needs_an_approved_visit_and_releasability():
    usa = replace(OK, nationalities=frozenset({"USA"}))
    assert decide_access(usa, ITEM, HERE).reasons == ("not_releasable", "visit_not_approved")
    gbr = replace(OK, nationalities=frozenset({"GBR"}))
    assert decide_access(gbr, ITEM, HERE).reasons == ("visit_not_approved",)
    assert decide_access(replace(gbr, visit_approved=True), ITEM, HERE).permit
    assert decide_access(replace(usa, visit_approved=True), ITEM, HERE).reasons == (
        "not_releasable",)
    dual = replace(OK, nationalities=frozenset({"JPN", "USA"}))  # Japanese: no visit
    assert decide_access(dual, ITEM, HERE).permit


def test_every_failure_is_named_at_once():
    s = replace(OK, clearance_status="suspended", clearance_until=TODAY - 1,
                clearance_rank=CESI, facility_rank=0, foci_rank=0,
                handles=frozenset(), briefed=frozenset(), training_due=0, departed=True,
                nationalities=frozenset({"USA"}), foreign_unrecognised=True)
    d = decide_access(s, replace(ITEM, lapsed=True), replace(HERE, area_rank=0))
    assert d.reasons == ("designation_lapsed", "clearance_suspended", "clearance_expired",
                         "clearance_below_level", "facility_clearance_missing",
                         "foci_unmitigated", "not_registered_handler", "not_briefed",
                         "training_overdue", "not_releasable", "visit_not_approved",
                         "foreign_clearance_not_recognised", "area_not_approved",
                         "person_departed")


def test_a_visitor_whose_assurance_does_not_count_is_refused_classified_items():
    assert decide_access(VISITOR, ITEM, HERE).permit
    assert decide_access(VISITOR_UNRECOGNISED, ITEM, HERE).reasons == (
        "foreign_clearance_not_recognised",)
    cesi = replace(ITEM, rank=CESI)
    cesi_visitor = replace(VISITOR_UNRECOGNISED, clearance_rank=CESI, facility_rank=CESI)
    assert decide_access(cesi_visitor, cesi, HERE).reasons == (
        "foreign_clearance_not_recognised",)
    assert decide_access(replace(cesi_visitor, foreign_unrecognised=False), cesi,
                         HERE).permit


def test_an_unrecognised_assurance_is_reported_with_the_other_failures_in_order():
    usa = replace(VISITOR_UNRECOGNISED, nationalities=frozenset({"USA"}),
                  visit_approved=False)
    assert decide_access(usa, ITEM, HERE).reasons == (
        "not_releasable", "visit_not_approved", "foreign_clearance_not_recognised")
    late = replace(VISITOR_UNRECOGNISED, training_due=TODAY, departed=True)
    assert decide_access(late, ITEM, replace(HERE, area_rank=CESI)).reasons == (
        "training_overdue", "foreign_clearance_not_recognised", "area_not_approved",
        "person_departed")
    assert decide_access(VISITOR_UNRECOGNISED, replace(ITEM, lapsed=True), HERE).reasons == (
        "designation_lapsed", "foreign_clearance_not_recognised")


def test_the_flag_alone_decides_not_the_nationality():
    """The rule reads the flag, not who holds it (it is set only for visitors)."""
    d = decide_access(replace(OK, foreign_unrecognised=True), ITEM, HERE)
    assert d.reasons == ("foreign_clearance_not_recognised",)


def test_an_unrecognised_assurance_does_not_touch_cui_or_unmarked_items():
    cui = Item("c-1", rank=CUI, releasable=frozenset({"GBR"}))
    visitor = replace(VISITOR_UNRECOGNISED, cui_authorized=True)
    assert decide_access(visitor, cui, Context(TODAY)).permit
    assert decide_access(replace(visitor, visit_approved=False), cui,
                         Context(TODAY)).reasons == ("visit_not_approved",)
    assert decide_access(visitor, Item("u"), Context(TODAY)).permit


def test_a_revoked_clearance_is_no_clearance():
    d = decide_access(replace(OK, clearance_status="revoked"), ITEM, HERE)
    assert d.reasons == ("no_clearance",)


def test_a_government_body_needs_no_facility_clearance():
    gov = replace(OK, government=True, facility_rank=0, foci_rank=0)
    assert decide_access(gov, ITEM, HERE).permit


def test_national_interest_matters_for_sds_only():
    s = replace(OK, national_interest_needed=True)
    cesi = replace(ITEM, rank=CESI)
    assert decide_access(replace(s, clearance_rank=CESI), cesi, HERE).permit


def test_cui_needs_an_authorization_or_any_clearance_but_no_facility():
    cui = Item("c-1", rank=CUI)
    bare = Subject("p-2")
    assert decide_access(bare, cui, Context(TODAY)).reasons == ("no_cui_authorization",)
    assert decide_access(replace(bare, cui_authorized=True), cui, Context(TODAY)).permit
    cleared = replace(bare, clearance_rank=CESI, clearance_status="active",
                      clearance_until=TODAY)
    assert decide_access(cleared, cui, Context(TODAY)).permit
    foreign = replace(bare, cui_authorized=True, nationalities=frozenset({"USA"}))
    assert decide_access(foreign, replace(cui, releasable=frozenset({"USA"})),
                         Context(TODAY)).reasons == ("visit_not_approved",)


def test_a_partner_national_reads_cui_through_the_agreement_without_a_visit():
    """Agreement in force + REL TO + a CUI authorization: no visit needed for CUI."""
    cui = Item("c-1", rank=CUI, releasable=frozenset({"USA"}))
    partner = Subject("p-2", nationalities=frozenset({"USA"}), cui_authorized=True,
                      partner_agreement=True)
    assert decide_access(partner, cui, Context(TODAY)).permit
    assert decide_access(replace(partner, cui_authorized=False), cui,
                         Context(TODAY)).reasons == ("no_cui_authorization",)
    assert decide_access(partner, replace(cui, releasable=frozenset({"GBR"})),
                         Context(TODAY)).reasons == ("not_releasable",)


def test_an_agreement_alone_never_opens_a_classified_item():
    """A classified item needs the visit: the agreement stands in for CUI only."""
    s = replace(VISITOR, visit_approved=False, partner_agreement=True,
                nationalities=frozenset({"GBR"}))
    assert "visit_not_approved" in decide_access(s, replace(ITEM, releasable=frozenset(
        {"GBR"})), HERE).reasons


def test_an_unmarked_item_is_open_to_anyone():
    assert decide_access(Subject("p-3", departed=True), Item("u"), Context(TODAY)).permit


def test_a_briefing_is_of_a_programme_the_person_belongs_to():
    with pytest.raises(ValueError):
        Subject("p", members=frozenset(), briefed=frozenset({"X"}))


def test_every_code_is_listed():
    named = set(BREAK_ONE) | {"no_cui_authorization", "not_releasable",
                              "visit_not_approved"}
    assert named == set(REASONS)


# --- properties ---------------------------------------------------------------------------

programmes = st.frozensets(st.sampled_from(["A", "B", "C"]), max_size=3)
countries = st.frozensets(st.sampled_from(["JPN", "USA", "GBR"]), min_size=1, max_size=2)


@st.composite
def subjects(draw):
    members = draw(programmes)
    return Subject(
        "p", nationalities=draw(countries), clearance_rank=draw(st.sampled_from([0, CESI, SDS])),
        clearance_status=draw(st.sampled_from(["", "active", "suspended", "expired",
                                               "revoked"])),
        clearance_until=TODAY + draw(st.integers(-3, 3)), cui_authorized=draw(st.booleans()),
        government=draw(st.booleans()), facility_rank=draw(st.sampled_from([0, CESI, SDS])),
        foci_rank=draw(st.sampled_from([0, CESI, SDS])),
        national_interest_needed=draw(st.booleans()),
        handles=draw(st.frozensets(st.just("i"))), members=members,
        briefed=draw(st.frozensets(st.sampled_from(sorted(members)))) if members
        else frozenset(),
        training_due=TODAY + draw(st.integers(-2, 2)), departed=draw(st.booleans()),
        visit_approved=draw(st.booleans()), foreign_unrecognised=draw(st.booleans()),
        partner_agreement=draw(st.booleans()))


items = st.builds(Item, st.just("i"), st.sampled_from([UNMARKED, CUI, CESI, SDS]),
                  st.booleans(), programmes, st.frozensets(st.sampled_from(["USA", "GBR"])))
contexts = st.builds(Context, st.just(TODAY), st.sampled_from([0, CUI, CESI, SDS]))


@settings(max_examples=2000)
@given(subjects(), items, contexts)
def test_a_denial_always_names_a_reason_and_a_permit_none(s, i, c):
    d = decide_access(s, i, c)
    assert d.permit == (not d.reasons)
    assert set(d.reasons) <= set(REASONS) and len(set(d.reasons)) == len(d.reasons)


@settings(max_examples=1000)
@given(subjects(), items, contexts, st.sampled_from([CESI, SDS]))
def test_raising_a_clearance_never_turns_permit_into_deny(s, i, c, higher):
    if decide_access(s, i, c).permit and higher >= s.clearance_rank:
        assert decide_access(replace(s, clearance_rank=higher), i, c).permit


@settings(max_examples=1000)
@given(subjects(), items, contexts, st.sampled_from(["A", "B", "C", "D"]))
def test_adding_a_compartment_never_turns_deny_into_permit(s, i, c, extra):
    if not decide_access(s, i, c).permit:
        wider = replace(i, compartments=i.compartments | {extra})
        assert not decide_access(s, wider, c).permit


@settings(max_examples=1000)
@given(subjects(), items, contexts)
def test_a_recognised_assurance_never_turns_permit_into_deny(s, i, c):
    if decide_access(s, i, c).permit:
        assert decide_access(replace(s, foreign_unrecognised=False), i, c).permit


@settings(max_examples=1000)
@given(subjects(), items, contexts)
def test_an_unrecognised_assurance_adds_its_code_for_classified_items_and_nothing_else(
        s, i, c):
    recognised = decide_access(replace(s, foreign_unrecognised=False), i, c)
    unrecognised = decide_access(replace(s, foreign_unrecognised=True), i, c)
    if i.rank >= CESI:
        code = "foreign_clearance_not_recognised"
        assert not unrecognised.permit
        assert unrecognised.reasons == tuple(
            r for r in REASONS if r in recognised.reasons or r == code)
    else:
        assert unrecognised == recognised

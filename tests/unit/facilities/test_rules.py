"""Unit tests of the pure facility-clearance rules (facilities/rules.py): the certification
state machine (every pair, and random action sequences), validity, what a certification
needs, the FOCI gate and its instrument table, change reports, approved areas, research
projects and their foreign participants, inspections, training, the confidentiality
contract's specification, and the checklist with its crosswalk."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hozen.facilities.checklist import (
    GROUPS,
    REGIME_TAGS,
    Control,
    checklist_errors,
    crosswalk,
    load_checklist,
    parse_checklist,
    shared_controls,
)
from hozen.facilities.rules import (
    AREA_KINDS,
    CERT_LEVELS,
    IN_FORCE,
    INSTRUMENTS,
    TERMINAL,
    TRANSITIONS,
    Application,
    Area,
    ChangeKind,
    ChangeStatus,
    CorrectiveAction,
    FacilityAction,
    FacilityState,
    Finding,
    Foci,
    FociSituation,
    Severity,
    SpecItem,
    TransitionError,
    area_errors,
    area_permits,
    certification_errors,
    change_effective,
    change_outcome,
    change_reopens_foci,
    change_report_errors,
    critical_open,
    facility_failures,
    foci_gate,
    inspection_errors,
    is_current,
    next_state,
    officer_errors,
    overdue_actions,
    participant_errors,
    reinstatement_errors,
    specification_errors,
    training_due,
    training_overdue,
    transition_errors,
    valid_until,
)
from hozen.policy import load_policy

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

S, A = FacilityState, FacilityAction
LEVELS = load_policy().levels
OUT_OF_ORDER = [("state", "out_of_order")]
CHECKLIST = load_checklist()
CONTROLS = CHECKLIST.controls
ALL_MET = {c.id: True for c in CONTROLS}
DAY = timedelta(days=1)


# --- the state machine: every pair -------------------------------------------------------

@pytest.mark.parametrize(("state", "action"),
                         list(itertools.product([None, *FacilityState], FacilityAction)))
def test_every_pair_is_allowed_exactly_when_the_table_lists_it(state, action):
    if (state, action) in TRANSITIONS:
        assert transition_errors(state, action) == []
        assert next_state(state, action) is TRANSITIONS[(state, action)]
    else:
        assert transition_errors(state, action) == OUT_OF_ORDER
        with pytest.raises(TransitionError):
            next_state(state, action)


def test_the_flow_from_proposal_to_certification():
    state = None
    for action in (A.PROPOSE, A.APPLY, A.START_REVIEW, A.CERTIFY):
        state = next_state(state, action)
    assert state is S.CERTIFIED


def test_terminal_states_have_no_way_out():
    assert not [k for k in TRANSITIONS if k[0] in TERMINAL]


def test_only_a_new_record_can_be_proposed():
    assert [k for k in TRANSITIONS if k[1] is A.PROPOSE] == [(None, A.PROPOSE)]
    assert all(k[0] is not None for k in TRANSITIONS if k[1] is not A.PROPOSE)


def test_a_suspended_business_cannot_withdraw_to_escape_revocation():
    assert transition_errors(S.SUSPENDED, A.WITHDRAW) == OUT_OF_ORDER
    assert next_state(S.SUSPENDED, A.REVOKE) is S.REVOKED


def test_a_change_report_is_decided_before_another_or_a_renewal():
    assert transition_errors(S.CHANGE_PENDING, A.REPORT_CHANGE) == OUT_OF_ORDER
    assert transition_errors(S.CHANGE_PENDING, A.RENEW) == OUT_OF_ORDER
    assert next_state(S.CHANGE_PENDING, A.REJECT_CHANGE) is S.CERTIFIED


def test_transition_error_names_the_step():
    with pytest.raises(TransitionError, match="cannot certify .* not yet proposed"):
        next_state(None, A.CERTIFY)
    with pytest.raises(TransitionError, match="cannot reinstate .* certified"):
        next_state(S.CERTIFIED, A.REINSTATE)


# --- the state machine: random action sequences -------------------------------------------

# A step takes any action (mode 0, mostly refused), any allowed one (mode 1), or an allowed
# one that does not end the record when there is one (modes 2-9), so sequences go deep.
STEPS = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 100),
                           st.sampled_from(list(FacilityAction))), max_size=40)


def allowed(state: FacilityState | None) -> list[FacilityAction]:
    return [a for (s, a) in TRANSITIONS if s == state]


def choose(state: FacilityState | None, mode: int, pick: int,
           any_action: FacilityAction) -> FacilityAction:
    options = allowed(state)
    going_on = [a for a in options if TRANSITIONS[(state, a)] not in TERMINAL]
    pool = [] if mode == 0 else options if mode == 1 else going_on or options
    return pool[pick % len(pool)] if pool else any_action


@PROPS
@given(STEPS)
def test_random_sequences_only_follow_the_table(steps):
    state, visited = None, set()
    change, approved = None, False  # the change report and whether approve_change decided it
    for mode, pick, any_action in steps:
        action = choose(state, mode, pick, any_action)
        if transition_errors(state, action):  # refused: exactly the steps off the table
            assert (state, action) not in TRANSITIONS
            assert transition_errors(state, action) == OUT_OF_ORDER
            with pytest.raises(TransitionError):
                next_state(state, action)
            continue
        assert (state, action) in TRANSITIONS  # accepted: only steps on the table
        before, state = state, next_state(state, action)
        assert state is TRANSITIONS[(before, action)]
        visited.add(state)
        if state is S.CERTIFIED:
            assert {S.APPLIED, S.UNDER_REVIEW} <= visited
        if action is A.REPORT_CHANGE:
            change, approved = ChangeStatus.PENDING, False
        elif before is S.CHANGE_PENDING:
            change, approved = change_outcome(action), action is A.APPROVE_CHANGE
        if change is not None:
            assert change_effective(change) == approved
            assert not (state is S.CHANGE_PENDING and change_effective(change))
    for reached in sorted(visited):
        event(f"reached {reached}")


# --- validity -----------------------------------------------------------------------------

def test_valid_until_is_the_day_before_the_anniversary():
    assert valid_until(date(2026, 4, 1), 5) == date(2031, 3, 31)
    assert valid_until(date(2028, 2, 29), 5) == date(2033, 2, 27)


@PROPS
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=1, max_value=10))
def test_validity_is_years_long_less_a_day(d, years):
    until = valid_until(d, years)
    assert until.year in (d.year + years, d.year + years - 1)
    assert 365 * years - 1 <= (until - d).days + 1 <= 366 * years


def test_current_only_while_in_force_and_not_past_its_end():
    until = date(2031, 3, 31)
    assert is_current(S.CERTIFIED, until, until)
    assert is_current(S.CHANGE_PENDING, until, until - DAY)
    assert not is_current(S.CERTIFIED, until, until + DAY)
    assert not is_current(S.SUSPENDED, until, until - DAY)


def test_facility_failures_list_every_reason():
    until = date(2031, 3, 31)
    assert facility_failures(S.CERTIFIED, until, "SDS", "CESI", until, LEVELS) == []
    assert facility_failures(S.CERTIFIED, until, "CESI", "SDS", until + DAY, LEVELS) == [
        "facility_expired", "facility_level_insufficient"]
    assert facility_failures(S.SUSPENDED, until, "SDS", "SDS", until, LEVELS) == [
        "facility_not_certified"]


# --- FOCI ---------------------------------------------------------------------------------

UNMITIGATED = [("foci", "foci_unmitigated")]
INSUFFICIENT = [("foci", "mitigation_insufficient")]
NIA = [("national_interest", "national_interest_required")]


def test_an_unflagged_business_passes_the_gate():
    assert foci_gate(False, set(), "SDS", False, False) == []


def test_a_flagged_business_without_an_instrument_is_unmitigated():
    assert foci_gate(True, set(), "CESI", False, False) == UNMITIGATED


def test_below_cesi_needs_no_facility_clearance_and_so_no_gate():
    assert foci_gate(True, set(), "CUI", False, False) == []


def test_an_unknown_instrument_is_refused_and_does_not_count():
    assert foci_gate(True, {"handshake"}, "CESI", False, False) == [
        ("mitigations", "unknown_instrument"), *UNMITIGATED]


def test_the_instrument_table():
    assert set(INSTRUMENTS) == {"board_resolution", "security_control_agreement",
                                "special_security_agreement", "proxy_agreement",
                                "voting_trust"}
    table = {n: (i.fits_up_to.value, sorted(i.levels), i.sds_needs_national_interest)
             for n, i in INSTRUMENTS.items()}
    assert table == {
        "board_resolution": ("minority", ["CESI"], True),
        "security_control_agreement": ("board_representation", ["CESI", "SDS"], True),
        "special_security_agreement": ("control", ["CESI", "SDS"], True),
        "proxy_agreement": ("control", ["CESI", "SDS"], False),
        "voting_trust": ("control", ["CESI", "SDS"], False),
    }


@pytest.mark.parametrize(("instrument", "situation", "level", "expected"), [
    ("board_resolution", "minority", "CESI", []),
    ("board_resolution", "minority", "SDS", INSUFFICIENT),
    ("board_resolution", "board_representation", "CESI", INSUFFICIENT),
    ("security_control_agreement", "board_representation", "CESI", []),
    ("security_control_agreement", "board_representation", "SDS", NIA),
    ("security_control_agreement", "control", "CESI", INSUFFICIENT),
    ("special_security_agreement", "control", "CESI", []),
    ("special_security_agreement", "control", "SDS", NIA),
    ("proxy_agreement", "control", "SDS", []),
    ("voting_trust", "control", "SDS", []),
])
def test_an_instrument_counts_for_its_situation_and_levels(instrument, situation, level,
                                                           expected):
    assert foci_gate(True, {instrument}, level, False, False,
                     situation=FociSituation(situation)) == expected


def test_an_unknown_situation_is_taken_as_control():
    assert foci_gate(True, {"board_resolution"}, "CESI", False, False) == INSUFFICIENT
    assert foci_gate(True, {"special_security_agreement"}, "CESI", False, False) == []


@pytest.mark.parametrize(("ntib_only", "approved"), [(True, False), (False, True)])
def test_sds_national_interest_is_waived_for_ntib_owners_or_once_approved(ntib_only,
                                                                           approved):
    assert foci_gate(True, {"special_security_agreement"}, "SDS", ntib_only, approved) == []


def test_the_strongest_recorded_instrument_applies():
    both = {"special_security_agreement", "proxy_agreement"}
    assert foci_gate(True, both, "SDS", False, False) == []


@PROPS
@given(st.booleans(), st.sets(st.sampled_from(sorted(INSTRUMENTS))),
       st.sampled_from(CERT_LEVELS), st.booleans(), st.booleans(),
       st.sampled_from(list(FociSituation)))
def test_the_gate_never_passes_a_flagged_business_without_a_fitting_instrument(
        flagged, names, level, ntib, approved, situation):
    errors = foci_gate(flagged, names, level, ntib, approved, situation=situation)
    rank = list(FociSituation).index
    fitting = [INSTRUMENTS[n] for n in names if level in INSTRUMENTS[n].levels
               and rank(INSTRUMENTS[n].fits_up_to) >= rank(situation)]
    if not flagged:
        assert errors == []
    elif not fitting:
        assert errors in (UNMITIGATED, INSUFFICIENT)
    else:
        needs = level == "SDS" and all(i.sds_needs_national_interest for i in fitting)
        assert errors == (NIA if needs and not ntib and not approved else [])


def test_foci_gate_method_matches_the_function():
    foci = Foci(True, frozenset({"security_control_agreement"}),
                FociSituation.BOARD_REPRESENTATION)
    assert foci.gate("SDS") == NIA
    assert Foci(False).gate("SDS") == []


# --- areas, officers, participants, training ----------------------------------------------

def test_area_permits_follows_the_ladder():
    assert area_permits("SDS", "CESI", LEVELS)
    assert area_permits("CESI", "CESI", LEVELS)
    assert not area_permits("CESI", "SDS", LEVELS)


def test_area_errors():
    room = Area("room", "SDS")
    assert area_errors([room], "SDS", LEVELS, research_project=False) == []
    assert area_errors([Area("container", "CESI")], "SDS", LEVELS, research_project=False) == [
        ("areas", "no_area_at_level")]
    assert area_errors([], "CESI", LEVELS, research_project=False) == [
        ("areas", "no_area_at_level")]
    assert area_errors([Area("garden", "CUI")], "CESI", LEVELS, research_project=False) == [
        ("areas.0.kind", "unknown_area_kind"), ("areas.0.level", "unknown_level"),
        ("areas", "no_area_at_level")]
    assert set(AREA_KINDS) == {"room", "container", "it_system"}


def test_a_research_project_keeps_every_area_apart_from_the_open_lab():
    apart = Area("room", "CESI", separate_from_open_lab=True)
    assert area_errors([apart], "CESI", LEVELS, research_project=True) == []
    assert area_errors([apart, Area("it_system", "CESI")], "CESI", LEVELS,
                       research_project=True) == [
        ("areas.1.separate_from_open_lab", "not_separate_from_open_lab")]


def test_officer_and_deputy_are_two_people():
    assert officer_errors("u1", "u2") == []
    assert officer_errors("u1", "u1") == [("deputy_officer", "same_person")]
    assert officer_errors(None, "") == [("security_officer", "required"),
                                        ("deputy_officer", "required")]


@pytest.mark.parametrize(("nationalities", "screened", "expected"), [
    (["JPN"], False, []),
    (["USA"], True, []),
    (["USA"], False, [("screened", "foreign_participant_unscreened")]),
    (["JPN", "CHN"], False, [("screened", "foreign_participant_unscreened")]),
    ([], True, [("nationalities", "required")]),
])
def test_foreign_participants_are_screened_before_joining(nationalities, screened, expected):
    assert participant_errors(nationalities, screened) == expected


def test_training_falls_due_after_the_policy_months():
    months = int(load_policy().clearance["cui_refresher_months"])
    assert training_due(date(2026, 1, 31), months) == date(2027, 1, 31)
    assert training_due(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert not training_overdue(date(2026, 1, 31), date(2027, 1, 30), months)
    assert training_overdue(date(2026, 1, 31), date(2027, 1, 31), months)
    assert training_overdue(None, date(2026, 1, 1), months)


# --- change reports -------------------------------------------------------------------------

def test_change_reports_name_known_kinds():
    assert {k.value for k in ChangeKind} == {"owner", "officers", "address", "areas", "name"}
    assert change_report_errors(["owner", "address"]) == []
    assert change_report_errors([]) == [("kinds", "required")]
    assert change_report_errors(["colour"]) == [("kinds", "unknown_change_kind")]


def test_a_change_is_effective_only_once_approved():
    assert [s for s in ChangeStatus if change_effective(s)] == [ChangeStatus.APPROVED]
    assert change_outcome(A.APPROVE_CHANGE) is ChangeStatus.APPROVED
    assert change_outcome(A.REJECT_CHANGE) is ChangeStatus.REJECTED
    for action in (A.SUSPEND, A.REVOKE, A.EXPIRE, A.WITHDRAW):
        assert (S.CHANGE_PENDING, action) in TRANSITIONS
        assert change_outcome(action) is ChangeStatus.VOIDED


def test_an_owner_change_reopens_foci():
    assert change_reopens_foci(["owner", "name"])
    assert not change_reopens_foci(["address"])


# --- inspections ----------------------------------------------------------------------------

HELD = date(2026, 6, 1)


def action(due: date = HELD + 30 * DAY, closed: date | None = None) -> CorrectiveAction:
    return CorrectiveAction("fix it", due, closed)


def test_a_major_or_critical_finding_needs_a_corrective_action():
    findings = [Finding(Severity.MINOR), Finding(Severity.MAJOR),
                Finding(Severity.CRITICAL, (action(HELD - DAY),))]
    assert inspection_errors("on_site", HELD, findings, HELD) == [
        ("findings.1.actions", "corrective_action_required"),
        ("findings.2.actions.0.due_on", "due_before_inspection")]
    assert inspection_errors("self", HELD, [Finding(Severity.MAJOR, (action(),))], HELD) == []


def test_inspection_kind_and_date():
    assert inspection_errors("audit", HELD + DAY, [], HELD) == [
        ("kind", "unknown_inspection_kind"), ("held_on", "date_in_future")]


def test_renewal_and_reinstatement_wait_for_critical_findings():
    closed = Finding(Severity.CRITICAL, (action(closed=HELD + DAY),))
    half = Finding(Severity.CRITICAL, (action(closed=HELD + DAY), action()))
    bare = Finding(Severity.CRITICAL)
    assert not critical_open([closed, Finding(Severity.MAJOR, (action(),))])
    assert critical_open([half]) and critical_open([bare])
    assert reinstatement_errors([closed]) == []
    assert reinstatement_errors([half]) == [("findings", "critical_finding_open")]


def test_overdue_actions():
    due = HELD + 30 * DAY
    late, done, fresh = action(due), action(due, closed=due), action(due + 10 * DAY)
    findings = [Finding(Severity.MAJOR, (late, done)), Finding(Severity.MINOR, (fresh,))]
    assert overdue_actions(findings, due) == []
    assert overdue_actions(findings, due + DAY) == [late]
    assert overdue_actions(findings, due + 11 * DAY) == [late, fresh]


# --- the confidentiality contract's specification -------------------------------------------

def test_specification_errors():
    item = SpecItem("I-1", "CESI", ("R&D",), "approved room only", "return at contract end")
    assert specification_errors([item], S.CERTIFIED, "CESI", LEVELS) == []
    assert specification_errors([item], S.CHANGE_PENDING, "SDS", LEVELS) == []
    high = SpecItem("I-2", "SDS", (), "", "")
    assert specification_errors([high], S.SUSPENDED, "CESI", LEVELS) == [
        ("facility", "not_certified"), ("items.0.level", "above_facility_level"),
        ("items.0.departments", "required"), ("items.0.handling", "required"),
        ("items.0.return_rule", "required")]
    assert specification_errors([SpecItem("I-3", "CUI", ("x",), "h", "r")], S.CERTIFIED,
                                "SDS", LEVELS) == [("items.0.level", "unknown_level")]
    assert specification_errors([], S.CERTIFIED, "SDS", LEVELS) == [("items", "required")]


# --- certification --------------------------------------------------------------------------

def application(**changes) -> Application:
    base = dict(level="SDS", security_officer="u1", deputy_officer="u2", internal_rules=True,
                training_plan=True, areas=(Area("room", "SDS"),))
    return Application(**{**base, **changes})


def test_a_complete_application_is_certified():
    assert certification_errors(application(), ALL_MET, CONTROLS, Foci(False), LEVELS) == []


def test_certification_lists_every_failure():
    required = next(c.id for c in CONTROLS if c.required)
    app = application(deputy_officer="u1", internal_rules=False, training_plan=False,
                      areas=(Area("room", "CESI"),))
    findings = [Finding(Severity.CRITICAL)]
    errors = certification_errors(app, {**ALL_MET, required: False}, CONTROLS,
                                  Foci(True), LEVELS, findings)
    assert errors == [
        (f"checklist.{required}", "control_not_met"),
        ("deputy_officer", "same_person"),
        ("areas", "no_area_at_level"),
        ("internal_rules", "required"), ("training_plan", "required"),
        ("findings", "critical_finding_open"),
        ("foci", "foci_unmitigated"),
    ]


def test_optional_controls_need_not_be_met():
    optional = {c.id: False for c in CONTROLS if not c.required}
    assert optional
    results = {**ALL_MET, **optional}
    assert certification_errors(application(), results, CONTROLS, Foci(False), LEVELS) == []


def test_certification_does_not_wait_for_a_national_interest_approval():
    foci = Foci(True, frozenset({"special_security_agreement"}))
    assert foci.gate("SDS") == NIA
    assert certification_errors(application(), ALL_MET, CONTROLS, foci, LEVELS) == []


def test_an_unknown_certification_level_is_refused_alone():
    assert certification_errors(application(level="CUI"), {}, CONTROLS, Foci(True),
                                LEVELS) == [("level", "unknown_level")]


def test_a_research_project_application_checks_its_areas():
    app = application(research_project=True)
    assert certification_errors(app, ALL_MET, CONTROLS, Foci(False), LEVELS) == [
        ("areas.0.separate_from_open_lab", "not_separate_from_open_lab")]


def test_checklist_results_name_only_known_controls():
    assert checklist_errors(CONTROLS, {**ALL_MET, "XYZ-9": True}) == [
        ("checklist", "unknown_control")]


# --- the checklist and its crosswalk --------------------------------------------------------

def test_the_checklist_parses_with_unique_ids():
    ids = [c.id for c in CONTROLS]
    assert 20 <= len(ids) <= 35
    assert len(set(ids)) == len(ids)
    assert load_checklist() is CHECKLIST  # cached
    assert [t for t, _, _ in CHECKLIST.regimes] == list(REGIME_TAGS)
    assert [g for g, _, _ in CHECKLIST.groups] == list(GROUPS)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_every_control_is_titled_tagged_and_referenced(control):
    assert control.title_ja.strip() and control.title_en.strip()
    assert control.tags and set(control.tags) <= set(REGIME_TAGS)
    assert len(set(control.tags)) == len(control.tags)
    assert control.group in GROUPS
    assert control.id.split("-")[0] in {"GOV", "PER", "PHY", "IT", "HND", "INC", "TRN", "FOC"}
    for regime in ("NISPOM", "SP800171"):  # foreign rules are cited, so evidence maps back
        assert bool(control.refs_for(regime)) == (regime in control.tags)
    assert all(r.startswith("117.") for r in control.refs_for("NISPOM"))
    assert all(r.startswith("3.") for r in control.refs_for("SP800171"))


def test_every_group_and_regime_has_controls():
    assert {c.group for c in CONTROLS} == set(GROUPS)
    assert {t for c in CONTROLS for t in c.tags} == set(REGIME_TAGS)


def test_the_checklist_refuses_bad_data():
    good = {"version": "t", "regimes": {}, "groups": {},
            "controls": [{"id": "GOV-1", "group": "governance", "ja": "j", "en": "e",
                          "required": True, "tags": ["CESI"]}]}
    assert parse_checklist(good).controls[0].refs == ()
    for bad in ({"tags": ["GDPR"]}, {"tags": []}, {"group": "canteen"},
                {"refs": {"NISPOM": ["117.7"]}}):
        raw = {**good, "controls": [{**good["controls"][0], **bad}]}
        with pytest.raises(ValueError, match="GOV-1"):
            parse_checklist(raw)
    with pytest.raises(ValueError, match="repeated"):
        parse_checklist({**good, "controls": good["controls"] * 2})


def test_crosswalk_counts_one_piece_of_evidence_for_every_regime():
    c1 = Control("GOV-1", "governance", "j", "e", True, ("CESI", "NISPOM"))
    c2 = Control("IT-1", "it", "j", "e", True, ("SP800171",))
    cover = crosswalk([c1, c2], {"GOV-1": "rules.pdf", "IT-1": None})
    assert cover["CESI"].evidenced == cover["NISPOM"].evidenced == ("GOV-1",)
    assert cover["CESI"].complete and not cover["SP800171"].complete
    assert cover["SP800171"].missing == ("IT-1",)
    assert cover["EXPORT"].controls == () and cover["EXPORT"].complete
    with pytest.raises(ValueError, match="XYZ"):
        crosswalk([c1], {"XYZ": "x"})


def test_crosswalk_over_the_real_checklist():
    cover = crosswalk(CONTROLS, {c.id: "evidence" for c in CONTROLS})
    assert set(cover) == set(REGIME_TAGS) and all(v.complete for v in cover.values())
    empty = crosswalk(CONTROLS, {})
    assert all(v.missing == v.controls for v in empty.values())


def test_shared_controls_serve_two_regimes_or_more():
    shared = shared_controls()
    assert shared and all(len(c.tags) >= 2 for c in shared)
    assert {c.id for c in CONTROLS} - {c.id for c in shared} == {
        c.id for c in CONTROLS if len(c.tags) < 2}
    assert shared_controls([Control("X-1", "it", "j", "e", False, ("EXPORT",))]) == ()


def test_in_force_states():
    assert set(IN_FORCE) == {S.CERTIFIED, S.CHANGE_PENDING}

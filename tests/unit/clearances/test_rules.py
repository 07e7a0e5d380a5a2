"""Unit tests of the pure suitability-assessment rules (clearances/rules.py): the case
state machine (every (state, action) pair), the clearance lifecycle, what the employer
may see, validity (numbers from the policy file), reuse of investigations (R2),
separation of duties, and the questionnaire's 10-year history with its 30-day gaps."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hozen.clearances.rules import (
    AREAS,
    CLEARANCE_TRANSITIONS,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    CaseState,
    ClearanceStatus,
    PastInvestigation,
    Period,
    Regime,
    TransitionError,
    add_years,
    employer_view,
    history_errors,
    is_current,
    may_adjudicate,
    next_clearance_status,
    next_state,
    reusable_investigation,
    valid_until,
)
from hozen.policy import DEFAULT_POLICY_FILE, load_policy

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

S, A = CaseState, Action
POLICY = load_policy().clearance
VALIDITY = POLICY["validity_years"]
REUSE_YEARS = int(POLICY["investigation_reuse_years"])
HISTORY_YEARS = int(POLICY["history_years"])
GAP_DAYS = int(POLICY["history_gap_days"])


def anniversary(d: date, years: int) -> date:
    """Reference (independent of add_years): the same calendar day `years` later, or
    28 February when the day is 29 February and the target year is common."""
    y = d.year + years
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if d.month == 2 and d.day == 29 and not leap:
        return date(y, 2, 28)
    return date(y, d.month, d.day)


# --- the case state machine --------------------------------------------------------------

# The documented workflow (issue 3, DESIGN "Assessment flow"), written out by hand.
EXPECTED_TRANSITIONS = {
    (S.LISTED, A.CONSENT): S.DRAFT,
    (S.LISTED, A.REFUSE): S.REFUSED,
    (S.LISTED, A.WITHDRAW): S.WITHDRAWN,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.OPEN_INVESTIGATION): S.INVESTIGATION,
    (S.SUBMITTED, A.REUSE_INVESTIGATION): S.ADJUDICATION,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.INVESTIGATION, A.COMPLETE_INVESTIGATION): S.ADJUDICATION,
    (S.INVESTIGATION, A.WITHDRAW): S.WITHDRAWN,
    (S.ADJUDICATION, A.GRANT): S.GRANTED,
    (S.ADJUDICATION, A.DENY): S.DENIED,
    (S.ADJUDICATION, A.WITHDRAW): S.WITHDRAWN,
    (S.GRANTED, A.REOPEN): S.ADJUDICATION,
}
ALL_PAIRS = list(itertools.product(CaseState, Action))
ALLOWED = [(s, a, t) for (s, a), t in EXPECTED_TRANSITIONS.items()]
FORBIDDEN = [(s, a) for s, a in ALL_PAIRS if (s, a) not in EXPECTED_TRANSITIONS]


def test_every_pair_is_either_allowed_or_forbidden():
    assert len(ALL_PAIRS) == len(CaseState) * len(Action) == 90
    assert len(ALLOWED) + len(FORBIDDEN) == len(ALL_PAIRS)
    assert len(ALLOWED) == 14


def test_transition_table_is_exactly_the_documented_one():
    assert TRANSITIONS == EXPECTED_TRANSITIONS


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED,
                         ids=[f"{s.value}-{a.value}" for s, a, _ in ALLOWED])
def test_allowed_transition(state, action, target):
    assert next_state(state, action) is target


@pytest.mark.parametrize(("state", "action"), FORBIDDEN,
                         ids=[f"{s.value}-{a.value}" for s, a in FORBIDDEN])
def test_forbidden_transition_raises(state, action):
    with pytest.raises(TransitionError) as info:
        next_state(state, action)
    assert info.value.state is state and info.value.action is action
    assert str(info.value) == f"cannot {action.value} a case that is {state.value}"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("state", [S.REFUSED, S.DENIED, S.WITHDRAWN])
def test_closed_cases_accept_no_action(state):
    for action in Action:
        with pytest.raises(TransitionError):
            next_state(state, action)


def test_withdrawal_is_possible_from_every_open_state_and_only_there():
    assert set(OPEN_STATES) == {S.LISTED, S.DRAFT, S.SUBMITTED, S.INVESTIGATION,
                                S.ADJUDICATION}
    for state in CaseState:
        if state in OPEN_STATES:
            assert next_state(state, A.WITHDRAW) is S.WITHDRAWN
        else:
            with pytest.raises(TransitionError):
                next_state(state, A.WITHDRAW)


def test_a_granted_case_only_reopens_to_adjudication():
    allowed = [a for a in Action if (S.GRANTED, a) in TRANSITIONS]
    assert allowed == [A.REOPEN]
    assert next_state(S.GRANTED, A.REOPEN) is S.ADJUDICATION


def test_string_values_are_accepted_like_members():
    assert next_state(CaseState("listed"), Action("consent")) == "draft"
    with pytest.raises(TransitionError):
        next_state(CaseState("draft"), Action("grant"))


@PROPS
@given(st.data())
def test_random_action_sequences_reach_granted_only_the_proper_way(data):
    """Apply random actions (often ones the current state allows, so that long paths are
    explored), ignoring refused ones: every path that reaches 'granted' went through
    consent, submission and a completed (or reused) investigation, and the last step
    into 'granted' was a grant from adjudication."""
    state, path = S.LISTED, []
    for _ in range(data.draw(st.integers(0, 40), label="steps")):
        forward = [a for a in Action if (state, a) in EXPECTED_TRANSITIONS
                   and a not in (A.WITHDRAW, A.REFUSE)]
        pool = forward if forward and data.draw(st.integers(0, 4)) else list(Action)
        action = data.draw(st.sampled_from(pool))
        try:
            new = next_state(state, action)
        except TransitionError:
            assert (state, action) not in EXPECTED_TRANSITIONS
            continue
        assert EXPECTED_TRANSITIONS[(state, action)] is new
        path.append(action)
        if new is S.GRANTED:
            assert state is S.ADJUDICATION and action is A.GRANT
            assert path[0] is A.CONSENT and A.SUBMIT in path
            assert A.COMPLETE_INVESTIGATION in path or A.REUSE_INVESTIGATION in path
            assert A.REFUSE not in path and A.WITHDRAW not in path
            assert path.index(A.CONSENT) < path.index(A.SUBMIT)
            event("reached granted")
        state = new
    event(f"final state {state.value}")


# --- the clearance lifecycle -------------------------------------------------------------

CS = ClearanceStatus
VERBS = ("suspend", "reinstate", "revoke", "expire", "grant", "renew")
EXPECTED_CLEARANCE = {
    (CS.ACTIVE, "suspend"): CS.SUSPENDED,
    (CS.SUSPENDED, "reinstate"): CS.ACTIVE,
    (CS.ACTIVE, "revoke"): CS.REVOKED,
    (CS.SUSPENDED, "revoke"): CS.REVOKED,
    (CS.ACTIVE, "expire"): CS.EXPIRED,
    (CS.SUSPENDED, "expire"): CS.EXPIRED,
}
CLEARANCE_PAIRS = list(itertools.product(ClearanceStatus, VERBS))


def test_clearance_table_is_exactly_the_documented_one():
    assert CLEARANCE_TRANSITIONS == EXPECTED_CLEARANCE


@pytest.mark.parametrize(("status", "verb"), CLEARANCE_PAIRS,
                         ids=[f"{s.value}-{v}" for s, v in CLEARANCE_PAIRS])
def test_clearance_status_change(status, verb):
    expected = EXPECTED_CLEARANCE.get((status, verb))
    if expected is None:
        with pytest.raises(ValueError, match=f"cannot {verb} a clearance that is {status.value}"):
            next_clearance_status(status, verb)
    else:
        assert next_clearance_status(status, verb) is expected


@pytest.mark.parametrize("status", [CS.REVOKED, CS.EXPIRED])
def test_revoked_and_expired_are_final(status):
    for verb in VERBS:
        with pytest.raises(ValueError):
            next_clearance_status(status, verb)


def test_a_suspended_clearance_is_not_current_until_reinstated():
    until, today = date(2030, 1, 1), date(2026, 1, 1)
    status = next_clearance_status(CS.ACTIVE, "suspend")
    assert not is_current(status, until, today)
    status = next_clearance_status(status, "reinstate")
    assert is_current(status, until, today)


# --- what the employer sees --------------------------------------------------------------

EXPECTED_EMPLOYER_VIEW = {
    S.LISTED: "in_progress",
    S.DRAFT: "in_progress",
    S.SUBMITTED: "in_progress",
    S.INVESTIGATION: "in_progress",
    S.ADJUDICATION: "in_progress",
    S.GRANTED: "granted",
    S.DENIED: "denied",
    S.REFUSED: "not_proceeding",
    S.WITHDRAWN: "not_proceeding",
}


@pytest.mark.parametrize("state", list(CaseState), ids=[s.value for s in CaseState])
def test_employer_view_of_each_state(state):
    assert employer_view(state) == EXPECTED_EMPLOYER_VIEW[state]


def test_refusal_and_withdrawal_are_indistinguishable_to_the_employer():
    assert employer_view(S.REFUSED) == employer_view(S.WITHDRAWN)
    # and the word used reveals neither
    assert "refus" not in employer_view(S.REFUSED)
    assert "withdr" not in employer_view(S.WITHDRAWN)


def test_in_progress_states_reveal_nothing_about_the_stage():
    views = {employer_view(s) for s in OPEN_STATES}
    assert views == {"in_progress"}
    # the employer sees only four distinct answers, whatever the state
    assert {employer_view(s) for s in CaseState} == {"in_progress", "not_proceeding",
                                                       "granted", "denied"}


# --- validity ----------------------------------------------------------------------------


def test_policy_file_holds_the_validity_and_reuse_numbers():
    assert VALIDITY == {"CESI": 10, "SDS": 5}
    assert REUSE_YEARS == 7
    assert (HISTORY_YEARS, GAP_DAYS) == (10, 30)


@pytest.mark.parametrize(("granted", "regime", "until"), [
    (date(2026, 4, 1), Regime.CESI, date(2036, 3, 31)),
    (date(2026, 4, 1), Regime.SDS, date(2031, 3, 31)),
    (date(2026, 1, 1), Regime.CESI, date(2035, 12, 31)),
    (date(2026, 1, 1), Regime.SDS, date(2030, 12, 31)),
    (date(2025, 12, 31), Regime.SDS, date(2030, 12, 30)),
    (date(2024, 3, 1), Regime.CESI, date(2034, 2, 28)),
    (date(2027, 3, 1), Regime.SDS, date(2032, 2, 29)),  # the last day is a leap day
])
def test_valid_until_from_the_policy_file(granted, regime, until):
    assert valid_until(granted, regime, VALIDITY) == until


def test_valid_until_follows_the_policy_numbers(tmp_path):
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    changed = text.replace("validity_years = { CESI = 10, SDS = 5 }",
                           "validity_years = { CESI = 3, SDS = 2 }")
    assert changed != text
    path = tmp_path / "policy.toml"
    path.write_text(changed, encoding="utf-8")
    numbers = load_policy(path).clearance["validity_years"]
    assert valid_until(date(2026, 5, 10), Regime.CESI, numbers) == date(2029, 5, 9)
    assert valid_until(date(2026, 5, 10), Regime.SDS, numbers) == date(2028, 5, 9)


@pytest.mark.parametrize(("regime", "until"), [
    # 10 (or 5) years later has no 29 February: the anniversary is taken as 28 February
    # (add_years), and the last valid day is the day before it.
    (Regime.CESI, date(2034, 2, 27)),
    (Regime.SDS, date(2029, 2, 27)),
])
def test_grant_on_29_february(regime, until):
    assert valid_until(date(2024, 2, 29), regime, VALIDITY) == until


def test_grant_on_29_february_when_the_term_ends_in_a_leap_year():
    assert valid_until(date(2024, 2, 29), Regime.CESI, {"CESI": 4, "SDS": 8}) == date(2028, 2, 28)
    assert valid_until(date(2024, 2, 29), Regime.SDS, {"CESI": 4, "SDS": 8}) == date(2032, 2, 28)


@pytest.mark.parametrize(("d", "years", "expected"), [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2024, 2, 29), -10, date(2014, 2, 28)),
    (date(2024, 2, 29), -4, date(2020, 2, 29)),
    (date(2023, 2, 28), 1, date(2024, 2, 28)),
    (date(2026, 11, 26), 7, date(2033, 11, 26)),
    (date(2026, 12, 31), -10, date(2016, 12, 31)),
])
def test_add_years(d, years, expected):
    assert add_years(d, years) == expected


dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31))


@PROPS
@given(dates, st.sampled_from(list(Regime)))
def test_validity_is_inclusive_and_lasts_the_policy_term(granted, regime):
    years = VALIDITY[regime.value]
    until = valid_until(granted, regime, VALIDITY)
    assert until + timedelta(days=1) == anniversary(granted, years)
    # valid on the grant day and on the last day (inclusive), not the day after
    assert is_current(CS.ACTIVE, until, granted)
    assert is_current(CS.ACTIVE, until, until)
    assert not is_current(CS.ACTIVE, until, until + timedelta(days=1))
    # the term is `years` years long: 365 days each plus the leap days it spans, give or
    # take the one 29 February that cannot repeat
    days = (until - granted).days + 1
    assert 365 * years <= days <= 366 * years
    # a later grant never ends earlier
    assert valid_until(granted + timedelta(days=1), regime, VALIDITY) >= until
    # SDS never outlasts CESI granted the same day
    assert valid_until(granted, Regime.SDS, VALIDITY) < valid_until(granted, Regime.CESI,
                                                                     VALIDITY)


# --- is_current --------------------------------------------------------------------------

UNTIL = date(2030, 6, 30)


@pytest.mark.parametrize(("status", "today", "current"), [
    (CS.ACTIVE, date(2026, 1, 1), True),
    (CS.ACTIVE, UNTIL, True),  # the last day still counts
    (CS.ACTIVE, UNTIL + timedelta(days=1), False),
    (CS.ACTIVE, date(2040, 1, 1), False),
    (CS.SUSPENDED, date(2026, 1, 1), False),
    (CS.SUSPENDED, UNTIL, False),
    (CS.REVOKED, date(2026, 1, 1), False),
    (CS.EXPIRED, date(2026, 1, 1), False),
    (CS.EXPIRED, UNTIL, False),
])
def test_is_current(status, today, current):
    assert is_current(status, UNTIL, today) is current


# --- reuse of an earlier investigation (R2) ----------------------------------------------


def inv(id_: str, regime: Regime, completed: date) -> PastInvestigation:
    return PastInvestigation(id_, regime, completed)


TODAY = date(2026, 11, 26)


def reuse(past, regime=Regime.CESI, today=TODAY, adverse=()):
    return reusable_investigation(past, regime, today, adverse, REUSE_YEARS)


@pytest.mark.parametrize(("have", "need", "reusable"), [
    (Regime.CESI, Regime.CESI, True),
    (Regime.SDS, Regime.SDS, True),
    (Regime.SDS, Regime.CESI, True),  # higher regime serves a lower one
    (Regime.CESI, Regime.SDS, False),  # never upwards
])
def test_reuse_needs_the_same_or_a_higher_regime(have, need, reusable):
    past = [inv("a", have, date(2024, 1, 1))]
    assert (reuse(past, need) is not None) is reusable


def test_reuse_age_boundary_is_exactly_seven_years():
    past = [inv("a", Regime.CESI, date(2019, 11, 26))]
    assert reuse(past, today=date(2026, 11, 25)) == past[0]  # one day short of 7 years
    assert reuse(past, today=date(2026, 11, 26)) is None  # exactly 7 years old
    assert reuse(past, today=date(2026, 11, 27)) is None
    assert reuse(past, today=date(2019, 11, 26)) == past[0]  # completed today


def test_reuse_age_of_an_investigation_completed_on_29_february():
    past = [inv("a", Regime.SDS, date(2016, 2, 29))]
    assert reuse(past, today=date(2023, 2, 27)) == past[0]
    assert reuse(past, today=date(2023, 2, 28)) is None  # add_years: 28 Feb is the anniversary
    assert reuse(past, today=date(2023, 3, 1)) is None


def test_reuse_years_come_from_the_argument():
    past = [inv("a", Regime.CESI, date(2024, 1, 1))]
    assert reusable_investigation(past, Regime.CESI, date(2026, 1, 1), [], 2) is None
    assert reusable_investigation(past, Regime.CESI, date(2025, 12, 31), [], 2) == past[0]


@pytest.mark.parametrize(("adverse", "reusable"), [
    ([date(2024, 5, 31)], True),  # before completion: part of what was investigated
    ([date(2024, 6, 1)], False),  # on the completion day
    ([date(2026, 1, 1)], False),  # since
    ([date(2020, 1, 1), date(2025, 3, 3)], False),
    ([], True),
])
def test_an_adverse_report_since_completion_blocks_reuse(adverse, reusable):
    past = [inv("a", Regime.CESI, date(2024, 6, 1))]
    assert (reuse(past, adverse=adverse) is not None) is reusable


def test_newest_eligible_investigation_is_chosen():
    old = inv("old", Regime.CESI, date(2021, 1, 1))
    mid = inv("mid", Regime.SDS, date(2023, 1, 1))
    new = inv("new", Regime.CESI, date(2025, 1, 1))
    assert reuse([old, new, mid]) == new
    assert reuse([new, mid, old]) == new
    # for SDS the newer CESI one does not count
    assert reuse([old, new, mid], Regime.SDS) == mid
    # an adverse report between mid and new leaves only new
    assert reuse([old, new, mid], adverse=[date(2024, 1, 1)]) == new
    assert reuse([old, new, mid], Regime.SDS, adverse=[date(2024, 1, 1)]) is None
    assert reuse([]) is None


def test_only_investigations_under_seven_years_old_are_candidates():
    too_old = inv("x", Regime.SDS, date(2018, 1, 1))
    fresh = inv("y", Regime.CESI, date(2020, 1, 1))
    assert reuse([too_old]) is None
    assert reuse([too_old, fresh]) == fresh
    assert reuse([too_old, fresh], Regime.SDS) is None


@st.composite
def reuse_inputs(draw):
    """A day, investigations completed up to ten years before it, adverse report dates."""
    today = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2032, 12, 31)))
    back = st.integers(0, 3700).map(lambda n: today - timedelta(days=n))
    past = draw(st.lists(st.builds(PastInvestigation, st.uuids().map(str),
                                   st.sampled_from(list(Regime)), back), max_size=6))
    # completion anniversaries are where the boundary lies: aim at them sometimes
    if past and draw(st.booleans()):
        pick = draw(st.sampled_from(past))
        today = anniversary(pick.completed_on, REUSE_YEARS) + timedelta(
            days=draw(st.integers(-1, 1)))
        past = [p for p in past if p.completed_on <= today]
    adverse = draw(st.lists(back, max_size=3))
    return past, today, adverse


@PROPS
@given(reuse_inputs(), st.sampled_from(list(Regime)))
def test_reuse_matches_a_reference(inputs, regime):
    past, today, adverse = inputs
    rank = {Regime.CESI: 1, Regime.SDS: 2}

    def eligible(p):
        return (rank[p.regime] >= rank[regime]
                and p.completed_on <= today < anniversary(p.completed_on, REUSE_YEARS)
                and not any(d >= p.completed_on for d in adverse))

    chosen = reusable_investigation(past, regime, today, adverse, REUSE_YEARS)
    ok = [p for p in past if eligible(p)]
    if not ok:
        assert chosen is None
    else:
        assert chosen in ok
        assert chosen.completed_on == max(p.completed_on for p in ok)
    event("reused" if chosen else "not reused")


# --- separation of duties ----------------------------------------------------------------


@pytest.mark.parametrize(("adjudicator", "investigators", "allowed"), [
    ("u1", ["u2"], True),
    ("u1", [], True),
    ("u1", ["u1"], False),
    ("u1", ["u2", "u3", "u1"], False),
    ("u1", ("u2", "u3"), True),
    ("u1", {"u1"}, False),
])
def test_nobody_adjudicates_a_case_they_investigated(adjudicator, investigators, allowed):
    assert may_adjudicate(adjudicator, investigators) is allowed


def test_may_adjudicate_takes_a_one_shot_iterable():
    assert may_adjudicate("u1", (x for x in ["u3", "u1"])) is False
    assert may_adjudicate("u1", (x for x in ["u3", "u2"])) is True


def test_seven_areas():
    assert len(AREAS) == len(set(AREAS)) == 7


# --- the questionnaire's history ---------------------------------------------------------

H_TODAY = date(2026, 11, 26)
WINDOW_START = date(2016, 11, 26)  # the first day that must be covered
D = timedelta(days=1)


def errors(periods, *, today=H_TODAY, overlap=False, field="residences"):
    return history_errors(periods, today, HISTORY_YEARS, GAP_DAYS, field, allow_overlap=overlap)


def test_window_start_is_ten_years_back():
    assert add_years(H_TODAY, -HISTORY_YEARS) == WINDOW_START


def test_one_continuing_period_covers_everything():
    assert errors([Period(date(2000, 1, 1), None)]) == []
    assert errors([Period(WINDOW_START, None)]) == []
    assert errors([Period(WINDOW_START, H_TODAY)]) == []


def test_continuing_period_after_closed_ones():
    periods = [Period(date(2010, 4, 1), date(2019, 3, 31)), Period(date(2019, 4, 1), None)]
    assert errors(periods) == []
    assert errors(periods, overlap=True, field="employment") == []


def test_empty_history_is_one_big_gap():
    assert errors([]) == [("residences", "unexplained_gap")]


@pytest.mark.parametrize("periods", [
    [Period(H_TODAY + D, None)],
    [Period(date(2020, 1, 1), H_TODAY + D)],
    [Period(H_TODAY + 10 * D, H_TODAY + 20 * D)],
])
def test_future_dates_are_rejected(periods):
    assert errors(periods) == [("residences.0", "date_in_future")]


def test_today_is_not_the_future():
    assert errors([Period(date(2010, 1, 1), H_TODAY)]) == []
    assert errors([Period(date(2010, 1, 1), H_TODAY - D), Period(H_TODAY, None)]) == []


def test_end_before_start_names_the_row():
    periods = [Period(date(2010, 1, 1), date(2020, 1, 1)),
               Period(date(2020, 5, 1), date(2020, 4, 30)),
               Period(date(2020, 1, 2), None)]
    assert errors(periods, field="employment", overlap=True) == [
        ("employment.1", "end_before_start")]


def test_one_day_period_is_fine():
    periods = [Period(date(2010, 1, 1), date(2020, 1, 1)),
               Period(date(2020, 1, 2), date(2020, 1, 2)),
               Period(date(2020, 1, 3), None)]
    assert errors(periods) == []


def test_every_bad_row_is_named():
    periods = [Period(H_TODAY + D, None), Period(date(2020, 2, 2), date(2020, 2, 1)),
               Period(date(2010, 1, 1), None)]
    assert errors(periods) == [("residences.0", "date_in_future"),
                               ("residences.1", "end_before_start")]


def test_overlapping_residences_are_rejected_but_overlapping_jobs_allowed():
    periods = [Period(date(2010, 1, 1), date(2020, 6, 30)), Period(date(2020, 6, 1), None)]
    assert errors(periods) == [("residences", "overlapping_periods")]
    assert errors(periods, overlap=True, field="employment") == []


def test_a_period_inside_another_overlaps():
    periods = [Period(date(2010, 1, 1), None), Period(date(2018, 1, 1), date(2018, 2, 1))]
    assert errors(periods) == [("residences", "overlapping_periods")]
    assert errors(periods, overlap=True) == []


def test_two_continuing_periods_overlap():
    periods = [Period(date(2010, 1, 1), None), Period(date(2020, 1, 1), None)]
    assert errors(periods) == [("residences", "overlapping_periods")]


def test_overlap_is_found_whatever_the_order_given():
    periods = [Period(date(2021, 1, 1), None), Period(date(2010, 1, 1), date(2019, 12, 31)),
               Period(date(2019, 6, 1), date(2020, 12, 31))]
    assert errors(periods) == [("residences", "overlapping_periods")]
    periods[2] = Period(date(2020, 1, 1), date(2020, 12, 31))
    assert errors(periods) == []


def test_sharing_a_day_is_an_overlap():
    """Dates are inclusive: ending one home on the day the next begins is two homes."""
    periods = [Period(date(2010, 1, 1), date(2020, 1, 1)), Period(date(2020, 1, 1), None)]
    assert errors(periods) == [("residences", "overlapping_periods")]


@pytest.mark.parametrize(("gap", "ok"), [(0, True), (1, True), (29, True), (30, True),
                                         (31, False), (90, False)])
def test_gap_at_the_start_of_the_window(gap, ok):
    periods = [Period(WINDOW_START + gap * D, None)]
    assert (errors(periods) == []) is ok
    if not ok:
        assert errors(periods) == [("residences", "unexplained_gap")]


def test_gap_straddling_the_window_start_counts_only_inside():
    # uncovered from 60 days before the window to 30 days into it: 30 days inside
    periods = [Period(date(2005, 1, 1), WINDOW_START - 61 * D), Period(WINDOW_START + 30 * D, None)]
    assert errors(periods) == []
    periods = [Period(date(2005, 1, 1), WINDOW_START - 61 * D), Period(WINDOW_START + 31 * D, None)]
    assert errors(periods) == [("residences", "unexplained_gap")]


@pytest.mark.parametrize(("gap", "ok"), [(0, True), (30, True), (31, False)])
@pytest.mark.parametrize("overlap", [False, True])
def test_gap_in_the_middle(gap, ok, overlap):
    first_end = date(2021, 3, 31)
    periods = [Period(date(2012, 1, 1), first_end),
               Period(first_end + (gap + 1) * D, None)]
    assert (errors(periods, overlap=overlap) == []) is ok
    if not ok:
        assert errors(periods, overlap=overlap) == [("residences", "unexplained_gap")]


@pytest.mark.parametrize(("gap", "ok"), [(0, True), (1, True), (30, True), (31, False)])
def test_gap_at_the_end(gap, ok):
    # the last period ended `gap` days before today: today-gap+1 .. today uncovered
    periods = [Period(date(2012, 1, 1), H_TODAY - gap * D)]
    assert (errors(periods) == []) is ok
    if not ok:
        assert errors(periods) == [("residences", "unexplained_gap")]


def test_gap_covered_by_an_overlapping_job_is_explained():
    periods = [Period(date(2012, 1, 1), date(2020, 1, 1)),
               Period(date(2019, 1, 1), date(2020, 6, 1)),  # longer overlapping job
               Period(date(2020, 7, 2), None)]  # 30 days after the second one ended
    assert errors(periods, overlap=True, field="employment") == []
    periods[2] = Period(date(2020, 7, 3), None)
    assert errors(periods, overlap=True, field="employment") == [
        ("employment", "unexplained_gap")]


def test_window_on_29_february():
    today = date(2028, 2, 29)
    start = add_years(today, -HISTORY_YEARS)
    assert start == date(2018, 2, 28)
    assert errors([Period(start + 30 * D, None)], today=today) == []
    assert errors([Period(start + 31 * D, None)], today=today) == [
        ("residences", "unexplained_gap")]


def reference_history(periods, today, years, max_gap, field, allow_overlap):
    """Day by day: every row's dates; then one home per day; then no run of more than
    `max_gap` uncovered days inside the window."""
    out = []
    for i, p in enumerate(periods):
        end = today if p.end is None else p.end
        if p.start > today or end > today:
            out.append((f"{field}.{i}", "date_in_future"))
        elif end < p.start:
            out.append((f"{field}.{i}", "end_before_start"))
    if out:
        return out
    count: Counter = Counter()
    for p in periods:
        end = today if p.end is None else p.end
        for n in range((end - p.start).days + 1):
            count[p.start + timedelta(days=n)] += 1
    if not allow_overlap and any(v > 1 for v in count.values()):
        return [(field, "overlapping_periods")]
    day, run = anniversary(today, -years), 0
    while day <= today:
        run = 0 if count[day] else run + 1
        if run > max_gap:
            return [(field, "unexplained_gap")]
        day += timedelta(days=1)
    return []


@st.composite
def chained_periods(draw):
    """Mostly-contiguous histories: pieces separated by gaps around the 30-day limit,
    sometimes overlapping, the last one often continuing."""
    today = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    window = anniversary(today, -HISTORY_YEARS)
    day = window + timedelta(days=draw(st.integers(-60, 40)))
    periods = []
    for _ in range(draw(st.integers(1, 6))):
        length = draw(st.integers(0, 2500))
        end = day + timedelta(days=length)
        periods.append(Period(day, end))
        day = end + timedelta(days=draw(st.sampled_from([1, 1, 2, 30, 31, 32, 0, -5])))
    if draw(st.booleans()):
        last = periods[-1]
        periods[-1] = Period(last.start, None)
    else:  # the end gap, near the limit
        tail = draw(st.sampled_from([0, 1, 29, 30, 31, 45]))
        last = periods[-1]
        periods[-1] = Period(min(last.start, today - timedelta(days=tail)),
                             today - timedelta(days=tail))
    if draw(st.booleans()):
        periods = draw(st.permutations(periods))
    return today, list(periods)


@st.composite
def random_periods(draw):
    today = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    window = anniversary(today, -HISTORY_YEARS)
    periods = []
    for _ in range(draw(st.integers(0, 6))):
        start = window + timedelta(days=draw(st.integers(-400, 3700)))
        end = (None if draw(st.integers(0, 4)) == 0
               else start + timedelta(days=draw(st.integers(-3, 4000))))
        periods.append(Period(start, end))
    return today, periods


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(chained_periods(), random_periods()), st.booleans())
def test_history_verdict_matches_a_day_by_day_reference(case, allow_overlap):
    today, periods = case
    got = history_errors(periods, today, HISTORY_YEARS, GAP_DAYS, "f",
                         allow_overlap=allow_overlap)
    want = reference_history(periods, today, HISTORY_YEARS, GAP_DAYS, "f", allow_overlap)
    assert got == want
    event(want[0][1] if want else "ok")


# --- what the employer keeps (retention of its copies) -----------------------------------

from hozen.clearances.rules import employer_retains  # noqa: E402 (appended section)

RETENTION = load_policy().retention
FAVOURABLE_YEARS = int(RETENTION["company_favourable_notice_years"])
OTHER_YEARS = int(RETENTION["company_other_papers_years"])
CLOSED_VIEWS = ("granted", "denied", "not_proceeding")


def retains(view, closed_on, today):
    return employer_retains(view, closed_on, today, FAVOURABLE_YEARS, OTHER_YEARS)


def test_retention_numbers_come_from_the_policy():
    assert (FAVOURABLE_YEARS, OTHER_YEARS) == (5, 1)


@pytest.mark.parametrize(("view", "years"), [("granted", 5), ("denied", 1),
                                             ("not_proceeding", 1)])
def test_kept_until_the_day_before_the_anniversary(view, years):
    closed = date(2026, 11, 26)
    anniversary_day = date(2026 + years, 11, 26)
    assert retains(view, closed, closed)
    assert retains(view, closed, anniversary_day - D)
    assert not retains(view, closed, anniversary_day)
    assert not retains(view, closed, anniversary_day + D)


@pytest.mark.parametrize(("view", "last_kept", "first_gone"), [
    ("denied", date(2025, 2, 27), date(2025, 2, 28)),
    ("not_proceeding", date(2025, 2, 27), date(2025, 2, 28)),
    ("granted", date(2029, 2, 27), date(2029, 2, 28)),
])
def test_closed_on_29_february(view, last_kept, first_gone):
    """In a common year the anniversary of 29 February is 28 February (add_years)."""
    closed = date(2024, 2, 29)
    assert retains(view, closed, last_kept)
    assert not retains(view, closed, first_gone)


def test_closed_on_29_february_with_a_leap_anniversary():
    closed = date(2024, 2, 29)
    assert employer_retains("granted", closed, date(2028, 2, 28), 4, 1)
    assert not employer_retains("granted", closed, date(2028, 2, 29), 4, 1)


@pytest.mark.parametrize("closed_on", [None, date(1990, 1, 1), date(2026, 11, 26)])
def test_a_case_in_progress_is_always_kept(closed_on):
    """A reopened case keeps its old decision date: still in progress, still kept."""
    for today in (date(2026, 11, 26), date(2100, 1, 1)):
        assert retains("in_progress", closed_on, today)
        assert employer_retains("in_progress", closed_on, today, 0, 0)


@pytest.mark.parametrize("view", CLOSED_VIEWS)
def test_no_closing_date_is_kept(view):
    assert retains(view, None, date(2100, 1, 1))


def test_only_a_grant_is_favourable():
    closed = date(2026, 11, 26)
    assert employer_retains("granted", closed, date(2028, 1, 1), 5, 1)
    assert not employer_retains("denied", closed, date(2028, 1, 1), 5, 1)
    # the numbers are the caller's: swapped, the grant goes first
    assert not employer_retains("granted", closed, date(2028, 1, 1), 1, 5)
    assert employer_retains("not_proceeding", closed, date(2028, 1, 1), 1, 5)


@PROPS
@given(st.sampled_from(CLOSED_VIEWS), st.dates(min_value=date(2000, 1, 1),
                                                max_value=date(2060, 12, 31)),
       st.integers(-400, 4000), st.integers(0, 10), st.integers(0, 10))
def test_retained_exactly_before_the_anniversary(view, closed, offset, fav, other):
    today = closed + timedelta(days=offset)
    years = fav if view == "granted" else other
    kept = employer_retains(view, closed, today, fav, other)
    assert kept is (today < anniversary(closed, years))
    if not kept:  # once gone, gone for good
        assert not employer_retains(view, closed, today + timedelta(days=1), fav, other)


# --- history while a draft is saved (coverage=False) --------------------------------------


def draft_errors(periods, *, today=H_TODAY, overlap=False, field="residences"):
    return history_errors(periods, today, HISTORY_YEARS, GAP_DAYS, field,
                          allow_overlap=overlap, coverage=False)


@pytest.mark.parametrize("periods", [
    [],
    [Period(date(2020, 1, 1), date(2021, 1, 1))],
    [Period(date(2010, 1, 1), date(2015, 1, 1)), Period(date(2020, 1, 1), None)],
    [Period(WINDOW_START + 31 * D, None)],
    [Period(WINDOW_START, H_TODAY - 40 * D)],
], ids=["empty", "one short stay", "gap in the middle", "gap at the start", "gap at the end"])
def test_a_draft_may_have_gaps(periods):
    assert draft_errors(periods) == []
    assert draft_errors(periods, overlap=True, field="employment") == []
    assert errors(periods) == [("residences", "unexplained_gap")]  # control: at submission


def test_a_draft_still_refuses_future_dates_and_reversed_periods():
    assert draft_errors([Period(H_TODAY + D, None)]) == [("residences.0", "date_in_future")]
    assert draft_errors([Period(date(2020, 1, 1), H_TODAY + D)]) == [
        ("residences.0", "date_in_future")]
    assert draft_errors([Period(date(2020, 1, 1), date(2021, 1, 1)),
                         Period(date(2022, 1, 1), date(2021, 12, 31))]) == [
        ("residences.1", "end_before_start")]
    assert draft_errors([Period(H_TODAY + D, None), Period(date(2020, 2, 1), date(2020, 1, 1))],
                        overlap=True, field="employment") == [
        ("employment.0", "date_in_future"), ("employment.1", "end_before_start")]


def test_a_draft_still_refuses_overlapping_homes_but_not_jobs():
    periods = [Period(date(2018, 1, 1), date(2020, 1, 1)), Period(date(2020, 1, 1), None)]
    assert draft_errors(periods) == [("residences", "overlapping_periods")]
    assert draft_errors(periods, overlap=True, field="employment") == []
    inside = [Period(date(2012, 1, 1), date(2014, 1, 1)), Period(date(2013, 1, 1),
                                                                   date(2013, 6, 1))]
    assert draft_errors(inside) == [("residences", "overlapping_periods")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(chained_periods(), random_periods()), st.booleans())
def test_draft_errors_are_the_submission_errors_less_the_gaps(case, allow_overlap):
    today, periods = case
    full = history_errors(periods, today, HISTORY_YEARS, GAP_DAYS, "f",
                          allow_overlap=allow_overlap)
    draft = history_errors(periods, today, HISTORY_YEARS, GAP_DAYS, "f",
                           allow_overlap=allow_overlap, coverage=False)
    assert set(draft) <= set(full)
    assert draft == [e for e in full if e[1] != "unexplained_gap"]
    event(f"{bool(full)}/{bool(draft)}")


# --- clearances brought in from a legacy system ------------------------------------------

VALIDITY = {"CESI": 10, "SDS": 5}


def test_a_legacy_clearance_is_held_to_its_regimes_validity():
    from hozen.clearances.rules import legacy_clearance_errors

    today = date(2026, 11, 27)
    granted = date(2020, 4, 1)
    ok = legacy_clearance_errors(Regime.SDS, granted, date(2025, 3, 31), today, VALIDITY)
    assert ok == []
    assert legacy_clearance_errors(Regime.SDS, granted, date(2025, 4, 1), today,
                                   VALIDITY) == [("valid_until", "validity_too_long")]
    assert legacy_clearance_errors(Regime.CESI, granted, date(2025, 4, 1), today,
                                   VALIDITY) == []
    assert legacy_clearance_errors(Regime.CESI, granted, date(2020, 3, 31), today,
                                   VALIDITY) == [("valid_until", "end_before_start")]
    assert legacy_clearance_errors(Regime.CESI, date(2026, 11, 28), date(2030, 1, 1), today,
                                   VALIDITY) == [("granted_on", "date_in_future")]


@given(st.sampled_from(list(ClearanceStatus)), st.dates(date(2000, 1, 1), date(2040, 1, 1)))
def test_a_legacy_clearance_past_its_end_comes_in_lapsed_unless_already_closed(status, until):
    from hozen.clearances.rules import imported_status

    today = date(2026, 11, 27)
    got = imported_status(status, until, today)
    if until >= today or status in (ClearanceStatus.REVOKED, ClearanceStatus.EXPIRED):
        assert got is status
    else:
        assert got is ClearanceStatus.EXPIRED
    assert got is not ClearanceStatus.ACTIVE or is_current(got, until, today)

"""Unit tests of the pure designation rules (designations/rules.py): terms of at most
5 years, 30 in all without cabinet approval and never beyond 60 (boundaries and a
state machine of renewals), two-person approval, the review clock, the provisional
deadline, lapse without declassification, and an item's derived level."""

from __future__ import annotations

import calendar
from dataclasses import asdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from hozen.designations.rules import (
    CUI_STATUSES,
    Status,
    Terms,
    change_direction,
    change_errors,
    classified,
    cui_failures,
    cui_grant_errors,
    cui_valid_until,
    effective_status,
    item_level,
    next_review,
    provisional_deadline,
    refresher_due,
    renewal_start,
    term_end_limit,
    term_errors,
    two_person_errors,
)
from hozen.policy import load_policy

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = load_policy().designation
TERMS = Terms.from_policy(NUMBERS)
DAY = timedelta(days=1)
TOO_LONG = ("term_end", "term_too_long")
CABINET = ("cabinet_approval", "cabinet_approval_required")
ABSOLUTE = ("term_end", "beyond_absolute_limit")


def years_later(d: date, years: int) -> date:
    """Reference (independent of add_years): the same calendar day `years` later, or
    28 February when the day is 29 February and the target year is common."""
    y = d.year + years
    if d.month == 2 and d.day == 29 and not calendar.isleap(y):
        return date(y, 2, 28)
    return date(y, d.month, d.day)


def months_later(d: date, months: int) -> date:
    """Reference: the same day `months` later, or the last day of a shorter month."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def terms(**changes) -> Terms:
    return Terms(**{**{f: getattr(TERMS, f) for f in Terms.__dataclass_fields__}, **changes})


# --- the policy numbers ------------------------------------------------------------------

def test_terms_come_from_the_policy_file():
    assert asdict(TERMS) == {"term_max_years": 5, "total_max_years": 30,
                             "absolute_max_years": 60, "review_interval_months": 12,
                             "provisional_confirm_days": 90}
    assert all(type(getattr(TERMS, f)) is int for f in Terms.__dataclass_fields__)


def test_terms_ignore_other_numbers_and_require_every_one_of_theirs():
    assert "review_reminder_days" in NUMBERS  # a number of the section, not of Terms
    assert Terms.from_policy({**NUMBERS, "term_max_years": "4"}).term_max_years == 4
    with pytest.raises(KeyError):
        Terms.from_policy({k: v for k, v in NUMBERS.items() if k != "total_max_years"})


# --- one term ----------------------------------------------------------------------------

def test_a_term_runs_five_years_less_a_day():
    start = date(2025, 4, 1)
    assert term_end_limit(start, TERMS) == date(2030, 3, 31)
    assert term_errors(start, start, date(2030, 3, 31), TERMS, cabinet_approved=False) == []
    assert term_errors(start, start, date(2030, 4, 1), TERMS,
                       cabinet_approved=False) == [TOO_LONG]
    # cabinet approval extends the total, never the length of one term
    assert term_errors(start, start, date(2030, 4, 1), TERMS,
                       cabinet_approved=True) == [TOO_LONG]


def test_a_term_of_one_day_is_allowed_and_an_end_before_the_start_is_not():
    start = date(2025, 4, 1)
    assert term_errors(start, start, start, TERMS, cabinet_approved=False) == []
    # one error only: the other checks make no sense for a reversed term
    assert term_errors(start, start, start - DAY, TERMS, cabinet_approved=False) == [
        ("term_end", "end_before_start")]
    assert term_errors(start, start, date(1900, 1, 1), TERMS, cabinet_approved=True) == [
        ("term_end", "end_before_start")]


@pytest.mark.parametrize(("start", "last_day"), [
    # 5 years after 29 February is taken as 28 February (as for a clearance's validity)
    (date(2024, 2, 29), date(2029, 2, 27)),
    (date(2028, 2, 29), date(2033, 2, 27)),
    # a term that starts on 1 March after a leap year still ends on 28/29 February
    (date(2027, 3, 1), date(2032, 2, 29)),
    (date(2024, 3, 1), date(2029, 2, 28)),
    (date(2023, 2, 28), date(2028, 2, 27)),
])
def test_terms_around_29_february(start, last_day):
    assert term_end_limit(start, TERMS) == last_day
    assert term_errors(start, start, last_day, TERMS, cabinet_approved=False) == []
    assert term_errors(start, start, last_day + DAY, TERMS,
                       cabinet_approved=False) == [TOO_LONG]


def test_a_renewal_of_a_term_that_started_on_29_february_continues_the_next_day():
    first = date(2024, 2, 29)
    nxt = renewal_start(term_end_limit(first, TERMS))
    assert nxt == date(2029, 2, 28)
    assert term_end_limit(nxt, TERMS) == date(2034, 2, 27)
    assert term_errors(first, nxt, date(2034, 2, 27), TERMS, cabinet_approved=False) == []


def test_renewal_start_is_the_day_after_the_current_end():
    assert renewal_start(date(2030, 3, 31)) == date(2030, 4, 1)
    assert renewal_start(date(2028, 2, 28)) == date(2028, 2, 29)
    assert renewal_start(date(2029, 12, 31)) == date(2030, 1, 1)


def test_term_length_follows_the_policy_number():
    start = date(2025, 4, 1)
    three = terms(term_max_years=3)
    assert term_end_limit(start, three) == date(2028, 3, 31)
    assert term_errors(start, start, date(2028, 4, 1), three,
                       cabinet_approved=False) == [TOO_LONG]


# --- the 30-year and 60-year caps --------------------------------------------------------

FIRST = date(2000, 4, 1)


def test_the_30_year_cap_without_cabinet_approval():
    start = date(2026, 4, 1)  # the sixth term: no term here is too long
    last = date(2030, 3, 31)  # the day before the 30th anniversary: 30 years in all
    assert term_errors(FIRST, start, last, TERMS, cabinet_approved=False) == []
    assert term_errors(FIRST, start, last + DAY, TERMS, cabinet_approved=False) == [CABINET]


def test_beyond_30_years_with_cabinet_approval():
    start = date(2026, 4, 1)
    assert term_errors(FIRST, start, date(2030, 4, 1), TERMS, cabinet_approved=True) == []
    assert term_errors(FIRST, date(2030, 4, 1), date(2035, 3, 31), TERMS,
                       cabinet_approved=True) == []
    # every term that reaches beyond 30 years needs its own approval
    assert term_errors(FIRST, date(2030, 4, 1), date(2035, 3, 31), TERMS,
                       cabinet_approved=False) == [CABINET]


@pytest.mark.parametrize("cabinet", [True, False])
def test_never_beyond_60_years(cabinet):
    start = date(2056, 4, 1)
    last = date(2060, 3, 31)  # the day before the 60th anniversary
    expected = [] if cabinet else [CABINET]
    assert term_errors(FIRST, start, last, TERMS, cabinet_approved=cabinet) == expected
    # the first refused day is refused whatever the cabinet says (and only for that)
    assert term_errors(FIRST, start, last + DAY, TERMS, cabinet_approved=cabinet) == [ABSOLUTE]


def test_a_term_too_long_and_beyond_60_years_reports_both():
    start = date(2058, 4, 1)
    assert term_errors(FIRST, start, date(2064, 1, 1), TERMS,
                       cabinet_approved=True) == [TOO_LONG, ABSOLUTE]
    assert term_errors(FIRST, date(2026, 4, 1), date(2032, 1, 1), TERMS,
                       cabinet_approved=False) == [TOO_LONG, CABINET]


def test_caps_from_29_february():
    first = date(2024, 2, 29)
    # 2054 is common: the 30th anniversary is 28 February, so 27 February is the last day
    assert term_errors(first, date(2050, 3, 1), date(2054, 2, 27), TERMS,
                       cabinet_approved=False) == []
    assert term_errors(first, date(2050, 3, 1), date(2054, 2, 28), TERMS,
                       cabinet_approved=False) == [CABINET]
    # 2084 is leap: the 60th anniversary is 29 February itself
    assert term_errors(first, date(2080, 3, 1), date(2084, 2, 28), TERMS,
                       cabinet_approved=True) == []
    assert term_errors(first, date(2080, 3, 1), date(2084, 2, 29), TERMS,
                       cabinet_approved=True) == [ABSOLUTE]


def test_caps_follow_the_policy_numbers():
    small = terms(total_max_years=10, absolute_max_years=15)
    assert term_errors(FIRST, date(2008, 4, 1), date(2010, 4, 1), small,
                       cabinet_approved=False) == [CABINET]
    assert term_errors(FIRST, date(2012, 4, 1), date(2015, 4, 1), small,
                       cabinet_approved=True) == [ABSOLUTE]


# --- a sequence of renewals (state machine) ----------------------------------------------

class Renewals(RuleBasedStateMachine):
    """A designation's first term and renewals proposed with arbitrary end dates and
    cabinet flags; a proposal is accepted only when term_errors finds nothing."""

    @initialize(first=st.dates(date(1990, 1, 1), date(2100, 12, 31)),
                days=st.integers(-3, 2000), cabinet=st.booleans())
    def first_term(self, first, days, cabinet):
        self.first = first
        self.terms: list[tuple[date, date, bool]] = []
        self.propose(first, first + timedelta(days=days), cabinet)

    @property
    def next_start(self) -> date:
        return renewal_start(self.terms[-1][1]) if self.terms else self.first

    def propose(self, start: date, end: date, cabinet: bool) -> None:
        errors = term_errors(self.first, start, end, TERMS, cabinet_approved=cabinet)
        # the rules refuse exactly what the law forbids, nothing more and nothing less
        allowed = (start <= end < years_later(start, 5)
                   and end < years_later(self.first, 60)
                   and (cabinet or end < years_later(self.first, 30)))
        assert (errors == []) == allowed, (start, end, cabinet, errors)
        if not errors:
            self.terms.append((start, end, cabinet))
        elif ABSOLUTE in errors and TOO_LONG not in errors:
            event("refused beyond 60 years")

    @rule(days=st.integers(-5, 1830), cabinet=st.booleans())
    def renew_any_end(self, days, cabinet):
        self.propose(self.next_start, self.next_start + timedelta(days=days), cabinet)

    @rule(slack=st.integers(-2, 2), cabinet=st.booleans())
    def renew_to_the_longest_term(self, slack, cabinet):
        start = self.next_start
        self.propose(start, term_end_limit(start, TERMS) + timedelta(days=slack), cabinet)

    @rule(slack=st.integers(0, 1))
    def renew_as_far_as_the_cabinet_allows(self, slack):
        start = self.next_start
        end = min(term_end_limit(start, TERMS), years_later(self.first, 60) - DAY)
        self.propose(start, end + timedelta(days=slack), True)

    @rule(slack=st.integers(-2, 1), cabinet=st.booleans(), cap=st.sampled_from([60, 30]))
    def renew_to_a_cap(self, slack, cabinet, cap):
        start = self.next_start
        self.propose(start, years_later(self.first, cap) + timedelta(days=slack), cabinet)

    @invariant()
    def every_term_is_at_most_five_years(self):
        for start, end, _ in self.terms:
            assert start <= end <= years_later(start, 5) - DAY

    @invariant()
    def the_chain_has_no_gap_and_no_overlap(self):
        if self.terms:
            assert self.terms[0][0] == self.first
        for (_, end, _), (start, _, _) in zip(self.terms, self.terms[1:], strict=False):
            assert start == end + DAY

    @invariant()
    def thirty_years_only_with_cabinet_approval_and_never_sixty(self):
        if not self.terms:
            return
        last = self.terms[-1][1]
        assert last < years_later(self.first, 60)  # at most 60 years in all
        if last >= years_later(self.first, 30):  # more than 30 years in all
            event("beyond 30 years")
            assert any(cabinet for _, _, cabinet in self.terms)
            # each term that reaches beyond 30 years was approved by the cabinet itself
            assert all(cabinet for _, end, cabinet in self.terms
                       if end >= years_later(self.first, 30))
        if last == years_later(self.first, 60) - DAY:
            event("exactly 60 years")


def test_twelve_longest_terms_reach_exactly_60_years_with_cabinet_approval():
    first, start, chain = date(2025, 4, 1), date(2025, 4, 1), []
    while not chain or chain[-1] < date(2085, 3, 31):
        end = term_end_limit(start, TERMS)
        assert term_errors(first, start, end, TERMS, cabinet_approved=len(chain) >= 6) == []
        chain.append(end)
        start = renewal_start(end)
    assert len(chain) == 12 and chain[5] == date(2055, 3, 31)
    assert term_errors(first, start, start, TERMS, cabinet_approved=True) == [ABSOLUTE]


Renewals.TestCase.settings = settings(max_examples=300, stateful_step_count=30,
                                      deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
TestRenewals = Renewals.TestCase


# --- two officials -----------------------------------------------------------------------

def test_the_approver_is_never_the_proposer():
    assert two_person_errors("u-1", "u-1") == [("approver", "same_official")]
    assert two_person_errors("u-1", "u-2") == []


@given(st.text(max_size=8), st.text(max_size=8))
def test_two_person_errors_only_for_the_same_id(a, b):
    assert (two_person_errors(a, b) != []) == (a == b)


# --- review clock ------------------------------------------------------------------------

@pytest.mark.parametrize(("last", "months", "due"), [
    (date(2025, 4, 1), 12, date(2026, 4, 1)),
    (date(2025, 1, 31), 12, date(2026, 1, 31)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),  # no 29 February in 2025
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2024, 2, 29), 24, date(2026, 2, 28)),
    (date(2025, 12, 31), 12, date(2026, 12, 31)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 12, 15), 18, date(2027, 6, 15)),
    (date(2025, 12, 31), 2, date(2026, 2, 28)),
    (date(2025, 7, 31), 11, date(2026, 6, 30)),
])
def test_next_review(last, months, due):
    assert next_review(last, terms(review_interval_months=months)) == due


def test_next_review_uses_the_policy_interval():
    assert next_review(date(2025, 1, 31), TERMS) == date(2026, 1, 31)


@PROPS
@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)), st.integers(1, 120))
def test_next_review_is_the_same_day_months_later_or_the_months_last_day(last, months):
    due = next_review(last, terms(review_interval_months=months))
    assert due == months_later(last, months)
    assert due > last
    assert (due.year * 12 + due.month) - (last.year * 12 + last.month) == months


# --- provisional designation -------------------------------------------------------------

def test_a_provisional_designation_is_confirmed_within_90_days():
    assert provisional_deadline(date(2025, 1, 1), TERMS) == date(2025, 4, 1)
    assert provisional_deadline(date(2024, 1, 1), TERMS) == date(2024, 3, 31)  # leap
    assert provisional_deadline(date(2025, 12, 1), terms(provisional_confirm_days=30)) \
        == date(2025, 12, 31)


@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)))
def test_provisional_deadline_is_made_on_plus_the_policy_days(made_on):
    assert provisional_deadline(made_on, TERMS) - made_on == timedelta(days=90)


# --- lapse: a missed date never declassifies ---------------------------------------------

TODAY = date(2026, 6, 1)
P = Status


@pytest.mark.parametrize(("recorded", "term_end", "confirm_by", "expected"), [
    (P.IN_FORCE, TODAY, None, P.IN_FORCE),  # the last day of the term
    (P.IN_FORCE, TODAY - DAY, None, P.PENDING_DISPOSITION),
    (P.IN_FORCE, None, None, P.IN_FORCE),
    (P.IN_FORCE, TODAY + DAY, TODAY - DAY, P.IN_FORCE),  # confirmed: no deadline
    (P.PROVISIONAL, None, TODAY, P.PROVISIONAL),  # the last day to confirm
    (P.PROVISIONAL, None, TODAY - DAY, P.PENDING_DISPOSITION),
    (P.PROVISIONAL, TODAY - DAY, TODAY + DAY, P.PENDING_DISPOSITION),
    (P.PROVISIONAL, TODAY + DAY, TODAY + DAY, P.PROVISIONAL),
    (P.PENDING_DISPOSITION, TODAY - DAY, TODAY - DAY, P.PENDING_DISPOSITION),
    (P.LIFTED, TODAY - DAY, TODAY - DAY, P.LIFTED),
    (P.LIFTED, TODAY + DAY, None, P.LIFTED),
    (P.REJECTED, TODAY - DAY, TODAY - DAY, P.REJECTED),
    (P.DOWNGRADED, TODAY - DAY, TODAY - DAY, P.DOWNGRADED),
    (P.PROPOSED, TODAY - DAY, TODAY - DAY, P.PROPOSED),
])
def test_effective_status(recorded, term_end, confirm_by, expected):
    assert effective_status(recorded, TODAY, term_end=term_end,
                            confirm_by=confirm_by) is expected


OPTIONAL_DATES = st.none() | st.dates(date(2000, 1, 1), date(2060, 12, 31))


@PROPS
@given(st.sampled_from(Status), st.dates(date(2000, 1, 1), date(2060, 12, 31)),
       OPTIONAL_DATES, OPTIONAL_DATES)
def test_a_missed_date_never_lifts(recorded, today, term_end, confirm_by):
    got = effective_status(recorded, today, term_end=term_end, confirm_by=confirm_by)
    if got is Status.LIFTED:
        assert recorded is Status.LIFTED
    # a date only ever moves a designation to pending disposition, never elsewhere
    assert got in (recorded, Status.PENDING_DISPOSITION)
    if recorded not in (Status.IN_FORCE, Status.PROVISIONAL):
        assert got is recorded
    # whatever it was classified as, it stays classified (or denied as lapsed)
    assert classified(got) == classified(recorded)


# --- an item's level ---------------------------------------------------------------------

CLASSIFIED = {P.PROVISIONAL, P.IN_FORCE, P.PENDING_DISPOSITION}


@pytest.mark.parametrize("status", list(Status))
def test_classified(status):
    assert classified(status) == (status in CLASSIFIED)


# (status, CUI categories on the item) -> level, for an SDS designation
ITEM_LEVELS = {
    (P.PROPOSED, False): "UNMARKED", (P.PROPOSED, True): "CUI",
    (P.PROVISIONAL, False): "SDS", (P.PROVISIONAL, True): "SDS",
    (P.IN_FORCE, False): "SDS", (P.IN_FORCE, True): "SDS",
    (P.PENDING_DISPOSITION, False): "SDS", (P.PENDING_DISPOSITION, True): "SDS",
    (P.LIFTED, False): "UNMARKED", (P.LIFTED, True): "CUI",
    (P.DOWNGRADED, False): "CUI", (P.DOWNGRADED, True): "CUI",
    (P.REJECTED, False): "UNMARKED", (P.REJECTED, True): "CUI",
}


def test_every_status_has_an_expected_item_level():
    assert {s for s, _ in ITEM_LEVELS} == set(Status)


@pytest.mark.parametrize(("status", "cui"), list(ITEM_LEVELS))
def test_item_level(status, cui):
    assert item_level(status, "SDS", cui) == ITEM_LEVELS[status, cui]
    expected_cesi = "CESI" if ITEM_LEVELS[status, cui] == "SDS" else ITEM_LEVELS[status, cui]
    assert item_level(status, "CESI", cui) == expected_cesi


@pytest.mark.parametrize(("cui", "level"), [(False, "UNMARKED"), (True, "CUI")])
def test_an_item_without_a_designation(cui, level):
    assert item_level(None, None, cui) == level


# --- CUI authorization: not an assessment ------------------------------------------------
# An identity check, training and a signed agreement; valid 5 years (to the day before the
# anniversary), counting only while the yearly refresher training is current.

CUI_NUMBERS = load_policy().clearance
CUI_YEARS = CUI_NUMBERS["cui_authorization_years"]
CUI_MONTHS = CUI_NUMBERS["cui_refresher_months"]
CUI_DATES = ("identity_checked_on", "trained_on", "agreement_signed_on")


def test_cui_numbers_come_from_the_policy_file():
    assert (CUI_YEARS, CUI_MONTHS) == (5, 12)
    assert CUI_STATUSES == ("active", "revoked")


@pytest.mark.parametrize(("granted", "until"), [
    (date(2025, 4, 1), date(2030, 3, 31)),
    (date(2025, 1, 1), date(2029, 12, 31)),
    (date(2025, 12, 31), date(2030, 12, 30)),
    (date(2025, 3, 1), date(2030, 2, 28)),
    (date(2027, 3, 1), date(2032, 2, 29)),  # the last day is a leap day
    # the anniversary of 29 February in a common year is taken as 28 February (as for a
    # clearance's validity and a designation's term)
    (date(2024, 2, 29), date(2029, 2, 27)),
    (date(2028, 2, 29), date(2033, 2, 27)),
])
def test_a_cui_authorization_is_valid_five_years_less_a_day(granted, until):
    assert cui_valid_until(granted, CUI_YEARS) == until


def test_cui_valid_until_follows_the_years_given():
    assert cui_valid_until(date(2024, 2, 29), 4) == date(2028, 2, 28)  # 2028 is leap
    assert cui_valid_until(date(2025, 4, 1), 1) == date(2026, 3, 31)
    assert cui_valid_until(date(9998, 6, 1), 5) == date.max - DAY  # no year 10003


@PROPS
@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)), st.integers(1, 20))
def test_cui_valid_until_is_the_day_before_the_anniversary(granted, years):
    assert cui_valid_until(granted, years) == years_later(granted, years) - DAY


@pytest.mark.parametrize(("last", "due"), [
    (date(2025, 4, 1), date(2026, 4, 1)),
    (date(2025, 1, 31), date(2026, 1, 31)),
    (date(2025, 12, 31), date(2026, 12, 31)),
    (date(2025, 4, 30), date(2026, 4, 30)),
    (date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February in 2025
    (date(2023, 2, 28), date(2024, 2, 28)),  # not the leap day after it
    (date(2023, 3, 1), date(2024, 3, 1)),
])
def test_the_refresher_is_due_twelve_months_after_the_last_training(last, due):
    assert refresher_due(last, CUI_MONTHS) == due


@pytest.mark.parametrize(("last", "months", "due"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),  # month ends: the shorter month's last day
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 5, 31), 1, date(2025, 6, 30)),
    (date(2024, 2, 29), 24, date(2026, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(9999, 6, 1), 12, date.max),  # beyond the calendar: never due
])
def test_refresher_due_at_month_ends(last, months, due):
    assert refresher_due(last, months) == due


@PROPS
@given(st.dates(date(1950, 1, 1), date(2200, 12, 31)), st.integers(1, 36))
def test_refresher_due_is_the_same_day_months_later_or_the_months_last_day(last, months):
    assert refresher_due(last, months) == months_later(last, months)


CUI_TODAY = date(2026, 3, 15)


def grant_errors(**changes) -> list[tuple[str, str]]:
    values = dict.fromkeys(CUI_DATES, CUI_TODAY - timedelta(days=30)) | changes
    return cui_grant_errors(values["identity_checked_on"], values["trained_on"],
                            values["agreement_signed_on"], CUI_TODAY, CUI_MONTHS)


def test_a_grant_with_all_three_dates_in_the_past_or_today_has_no_errors():
    assert grant_errors() == []
    assert grant_errors(**dict.fromkeys(CUI_DATES, CUI_TODAY)) == []


@pytest.mark.parametrize("name", CUI_DATES)
def test_each_missing_date_is_named(name):
    assert grant_errors(**{name: None}) == [(name, "required")]


@pytest.mark.parametrize("name", CUI_DATES)
def test_each_future_date_is_named(name):
    assert grant_errors(**{name: CUI_TODAY + DAY}) == [(name, "date_in_future")]
    assert grant_errors(**{name: date.max}) == [(name, "date_in_future")]


def test_every_missing_and_future_date_is_named_at_once_in_field_order():
    assert grant_errors(**dict.fromkeys(CUI_DATES)) == [(n, "required") for n in CUI_DATES]
    assert grant_errors(identity_checked_on=None, trained_on=CUI_TODAY + DAY,
                        agreement_signed_on=CUI_TODAY + 2 * DAY) == [
        ("identity_checked_on", "required"), ("trained_on", "date_in_future"),
        ("agreement_signed_on", "date_in_future")]


def test_training_exactly_twelve_months_old_is_overdue_the_day_before_it_is_not():
    assert grant_errors(trained_on=date(2025, 3, 15)) == [("trained_on", "training_overdue")]
    assert grant_errors(trained_on=date(2025, 3, 16)) == []
    assert grant_errors(trained_on=date(2020, 1, 1)) == [("trained_on", "training_overdue")]


@pytest.mark.parametrize(("trained", "today", "overdue"), [
    # 29 February's refresher falls on 28 February of the next year
    (date(2024, 2, 29), date(2025, 2, 27), False),
    (date(2024, 2, 29), date(2025, 2, 28), True),
    (date(2023, 2, 28), date(2024, 2, 27), False),
    (date(2023, 2, 28), date(2024, 2, 28), True),
    (date(2025, 1, 31), date(2026, 1, 30), False),
    (date(2025, 1, 31), date(2026, 1, 31), True),
])
def test_training_overdue_on_the_refresher_day_around_month_ends(trained, today, overdue):
    errors = cui_grant_errors(today, trained, today, today, CUI_MONTHS)
    assert errors == ([("trained_on", "training_overdue")] if overdue else [])


def test_a_future_training_is_not_also_called_overdue():
    assert grant_errors(trained_on=CUI_TODAY + DAY) == [("trained_on", "date_in_future")]


def failures(status="active", *, valid_until=date(2030, 3, 14),
             last_training=date(2025, 6, 1), today=CUI_TODAY) -> list[str]:
    return cui_failures(status, valid_until, last_training, today, CUI_MONTHS)


def test_a_current_authorization_has_no_failures():
    assert failures() == []
    assert failures(valid_until=CUI_TODAY) == []  # the last valid day still counts
    assert failures(last_training=CUI_TODAY) == []
    assert failures(last_training=date(2025, 3, 16)) == []  # refresher due tomorrow


def test_a_revoked_authorization_fails():
    assert failures("revoked") == ["cui_authorization_revoked"]


def test_an_authorization_expires_the_day_after_valid_until():
    assert failures(valid_until=CUI_TODAY) == []
    assert failures(valid_until=CUI_TODAY - DAY) == ["cui_authorization_expired"]


def test_training_is_overdue_on_the_refresher_due_day():
    last = date(2025, 3, 15)
    assert refresher_due(last, CUI_MONTHS) == CUI_TODAY
    assert failures(last_training=last) == ["training_overdue"]
    assert failures(last_training=last, today=CUI_TODAY - DAY) == []


def test_every_failure_is_named_at_once():
    assert failures("revoked", valid_until=CUI_TODAY - DAY, last_training=date(2020, 1, 1)) == [
        "cui_authorization_revoked", "cui_authorization_expired", "training_overdue"]


def test_a_status_other_than_active_never_counts():
    assert failures("suspended") == ["cui_authorization_revoked"]
    assert failures("") == ["cui_authorization_revoked"]


@PROPS
@given(st.sampled_from(CUI_STATUSES) | st.text(max_size=8),
       st.dates(date(2000, 1, 1), date(2060, 12, 31)),
       st.dates(date(2000, 1, 1), date(2060, 12, 31)),
       st.dates(date(2000, 1, 1), date(2060, 12, 31)),
       st.integers(1, 36))
def test_cui_failures_are_empty_exactly_when_it_counts(status, valid_until, last, today,
                                                       months):
    expected = (status == "active" and today <= valid_until
                and today < months_later(last, months))
    event(f"current: {expected}")
    assert (cui_failures(status, valid_until, last, today, months) == []) == expected
    # and so with the service's own reading of the refresher date
    assert (cui_failures(status, valid_until, last, today, months) == []) == (
        status == "active" and today <= valid_until and today < refresher_due(last, months))


# --- changes of scope and partial lifting ---------------------------------------------------

CURRENT = {"scope_kind": "technology", "scope": "電池", "holders": ["a", "b"],
           "releasable_to": ["USA"]}
UNCHANGED = {"scope_kind": None, "scope": None, "holders": None, "releasable_to": None}


def test_a_change_must_change_something():
    assert change_errors(CURRENT, UNCHANGED) == [("scope", "change_required")]
    same = UNCHANGED | {"holders": ["b", "a"], "releasable_to": ["USA"]}
    assert change_errors(CURRENT, same) == [("scope", "change_required")]
    assert change_errors(CURRENT, UNCHANGED | {"holders": ["a"]}) == []


def test_a_new_scope_names_its_kind():
    assert change_errors(CURRENT, UNCHANGED | {"scope": "全固体電池"}) == [
        ("scope_kind", "required")]
    assert change_errors(CURRENT, UNCHANGED | {"scope_kind": "programme"}) == [
        ("scope", "required")]
    assert change_errors(CURRENT, UNCHANGED | {"scope_kind": "programme",
                                               "scope": "共同開発"}) == []


@given(st.sets(st.sampled_from("abcdef")), st.sets(st.sampled_from(["USA", "GBR", "AUS"])))
def test_direction_follows_the_sets(holders, countries):
    proposed = UNCHANGED | {"holders": sorted(holders), "releasable_to": sorted(countries)}
    old_h, old_c = set(CURRENT["holders"]), set(CURRENT["releasable_to"])
    removed = bool(old_h - holders) or bool(old_c - countries)
    added = bool(holders - old_h) or bool(countries - old_c)
    direction = change_direction(CURRENT, proposed)
    assert direction == {(True, False): "narrow", (False, True): "widen",
                         (True, True): "mixed", (False, False): "scope"}[(removed, added)]


def test_an_item_lifted_out_of_a_designation_in_force_is_unclassified():
    assert item_level(Status.IN_FORCE, "SDS", False, lifted=True) == "UNMARKED"
    assert item_level(Status.IN_FORCE, "SDS", True, lifted=True) == "CUI"
    assert item_level(Status.PENDING_DISPOSITION, "CESI", False, lifted=True) == "UNMARKED"
    assert item_level(Status.IN_FORCE, "SDS", False) == "SDS"

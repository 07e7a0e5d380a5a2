"""Pure rules of suitability assessment (適性評価): the case state machine, the clearance
lifecycle, validity, reuse of investigations, separation of duties and the questionnaire's
history gaps. Numbers come from the policy file, passed in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Regime(StrEnum):
    CESI = "CESI"  # 重要経済安保情報
    SDS = "SDS"  # 特定秘密


REGIME_RANK = {Regime.CESI: 1, Regime.SDS: 2}


class CaseState(StrEnum):
    LISTED = "listed"  # on the candidate list, awaiting the subject's consent
    REFUSED = "refused"
    DRAFT = "draft"  # consented; questionnaire in progress
    SUBMITTED = "submitted"
    INVESTIGATION = "investigation"
    ADJUDICATION = "adjudication"
    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    CONSENT = "consent"
    REFUSE = "refuse"
    SUBMIT = "submit"
    OPEN_INVESTIGATION = "open_investigation"
    REUSE_INVESTIGATION = "reuse_investigation"
    COMPLETE_INVESTIGATION = "complete_investigation"
    GRANT = "grant"
    DENY = "deny"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"  # an adverse event sends a granted case back to adjudication


OPEN_STATES = (CaseState.LISTED, CaseState.DRAFT, CaseState.SUBMITTED, CaseState.INVESTIGATION,
         CaseState.ADJUDICATION)

TRANSITIONS: dict[tuple[CaseState, Action], CaseState] = {
    (CaseState.LISTED, Action.CONSENT): CaseState.DRAFT,
    (CaseState.LISTED, Action.REFUSE): CaseState.REFUSED,
    (CaseState.DRAFT, Action.SUBMIT): CaseState.SUBMITTED,
    (CaseState.SUBMITTED, Action.OPEN_INVESTIGATION): CaseState.INVESTIGATION,
    (CaseState.SUBMITTED, Action.REUSE_INVESTIGATION): CaseState.ADJUDICATION,
    (CaseState.INVESTIGATION, Action.COMPLETE_INVESTIGATION): CaseState.ADJUDICATION,
    (CaseState.ADJUDICATION, Action.GRANT): CaseState.GRANTED,
    (CaseState.ADJUDICATION, Action.DENY): CaseState.DENIED,
    (CaseState.GRANTED, Action.REOPEN): CaseState.ADJUDICATION,
    **{(s, Action.WITHDRAW): CaseState.WITHDRAWN for s in OPEN_STATES},
}


class TransitionError(ValueError):
    def __init__(self, state: CaseState, action: Action) -> None:
        super().__init__(f"cannot {action.value} a case that is {state.value}")
        self.state, self.action = state, action


def next_state(state: CaseState, action: Action) -> CaseState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionError(state, action) from None


def employer_view(state: CaseState) -> str:
    """What the employer may know: outcome only. Refusal and withdrawal look the same."""
    if state in (CaseState.REFUSED, CaseState.WITHDRAWN):
        return "not_proceeding"
    if state in (CaseState.GRANTED, CaseState.DENIED):
        return state.value
    return "in_progress"


class ClearanceStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


CLEARANCE_TRANSITIONS: dict[tuple[ClearanceStatus, str], ClearanceStatus] = {
    (ClearanceStatus.ACTIVE, "suspend"): ClearanceStatus.SUSPENDED,
    (ClearanceStatus.SUSPENDED, "reinstate"): ClearanceStatus.ACTIVE,
    (ClearanceStatus.ACTIVE, "revoke"): ClearanceStatus.REVOKED,
    (ClearanceStatus.SUSPENDED, "revoke"): ClearanceStatus.REVOKED,
    (ClearanceStatus.ACTIVE, "expire"): ClearanceStatus.EXPIRED,
    (ClearanceStatus.SUSPENDED, "expire"): ClearanceStatus.EXPIRED,
}


def next_clearance_status(status: ClearanceStatus, verb: str) -> ClearanceStatus:
    try:
        return CLEARANCE_TRANSITIONS[(status, verb)]
    except KeyError:
        raise ValueError(f"cannot {verb} a clearance that is {status.value}") from None


def add_years(d: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def valid_until(granted_on: date, regime: Regime, validity_years: Mapping[str, int]) -> date:
    """The last day a clearance is valid: CESI 10 years, SDS 5 (policy), minus one day."""
    return add_years(granted_on, validity_years[regime.value]) - timedelta(days=1)


def is_current(status: ClearanceStatus, until: date, today: date) -> bool:
    return status is ClearanceStatus.ACTIVE and today <= until


@dataclass(frozen=True)
class PastInvestigation:
    id: str
    regime: Regime
    completed_on: date


def reusable_investigation(
    past: Iterable[PastInvestigation], regime: Regime, today: date,
    adverse_dates: Iterable[date], reuse_years: int,
) -> PastInvestigation | None:
    """The newest completed investigation for the same or a higher regime, under
    `reuse_years` old, with no adverse report since it was completed (R2)."""
    adverse = sorted(adverse_dates)
    best = None
    for inv in past:
        if REGIME_RANK[inv.regime] < REGIME_RANK[regime]:
            continue
        if add_years(inv.completed_on, reuse_years) <= today:
            continue
        if any(d >= inv.completed_on for d in adverse):
            continue
        if best is None or inv.completed_on > best.completed_on:
            best = inv
    return best


def may_adjudicate(adjudicator_id: str, investigator_ids: Iterable[str]) -> bool:
    """Nobody adjudicates a case they investigated (separation of duties)."""
    return adjudicator_id not in set(investigator_ids)


# --- the questionnaire's history -------------------------------------------------------

AREAS = (
    "harmful_activities",  # relation to espionage, terrorism and the like
    "criminal_record",  # convictions and disciplinary record only
    "information_handling",  # record of mishandling information
    "drugs",
    "mental_health",
    "alcohol",
    "finances",
)
SEVERITIES = ("none", "minor", "moderate", "serious")
FAMILY_RELATIONS = ("parent", "sibling", "spouse", "spouse_parent", "cohabitant")
EMPLOYMENT_KINDS = ("employed", "self_employed", "student", "unemployed", "other")


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # None: continuing


def history_errors(periods: list[Period], today: date, years: int, max_gap_days: int,
                   field: str, *, allow_overlap: bool = False,
                   coverage: bool = True) -> list[tuple[str, str]]:
    """Periods may not lie in the future or end before they start; unless overlap is
    allowed (two jobs at once) they may not overlap (one home at a time); with `coverage`
    (at submission, not while a draft is saved) together they cover the last `years` with
    no gap over `max_gap_days`. A gap is explained by an entry for it (e.g. study or
    unemployment), so every day must be covered by some entry."""
    errors: list[tuple[str, str]] = []
    for i, p in enumerate(periods):
        end = p.end or today
        if p.start > today or end > today:
            errors.append((f"{field}.{i}", "date_in_future"))
        elif end < p.start:
            errors.append((f"{field}.{i}", "end_before_start"))
    if errors:
        return errors
    ordered = sorted(periods, key=lambda p: p.start)
    if not allow_overlap:
        for a, b in zip(ordered, ordered[1:], strict=False):
            if (a.end or today) >= b.start:
                return [(field, "overlapping_periods")]
    if not coverage:
        return []
    cursor = add_years(today, -years)  # first day not yet covered
    for p in ordered:
        if (p.start - cursor).days > max_gap_days:
            return [(field, "unexplained_gap")]
        cursor = max(cursor, (p.end or today) + timedelta(days=1))
    if (today - cursor).days + 1 > max_gap_days:
        return [(field, "unexplained_gap")]
    return []


def employer_retains(view: str, closed_on: date | None, today: date,
                     favourable_years: int, other_years: int) -> bool:
    """Whether the employer's copy of an outcome is still kept: a favourable notice for
    `favourable_years`, any other paper for `other_years` after the case closed."""
    if closed_on is None or view == "in_progress":
        return True
    keep = favourable_years if view == "granted" else other_years
    return today < add_years(closed_on, keep)


# --- clearances brought in from a legacy system ----------------------------------------


def legacy_clearance_errors(regime: Regime, granted_on: date, until: date, today: date,
                            validity_years: Mapping[str, int]) -> list[tuple[str, str]]:
    """A clearance granted before hozen, held to the rules hozen grants by: granted in
    the past, ending after it began, and valid no longer than its regime allows."""
    if granted_on > today:
        return [("granted_on", "date_in_future")]
    if until < granted_on:
        return [("valid_until", "end_before_start")]
    if until > valid_until(granted_on, regime, validity_years):
        return [("valid_until", "validity_too_long")]
    return []


def imported_status(status: ClearanceStatus, until: date, today: date) -> ClearanceStatus:
    """A legacy record still active or suspended after its last day has lapsed: it comes
    in expired, as the nightly job would have left it (and no expiry notice goes out)."""
    if until < today and status in (ClearanceStatus.ACTIVE, ClearanceStatus.SUSPENDED):
        return next_clearance_status(status, "expire")
    return status

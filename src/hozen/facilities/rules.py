"""Pure rules of facility clearance (適合事業者の認定): the certification state machine,
what a certification needs, the FOCI gate, change reports, approved areas, inspections,
foreign participants in research projects and training (the checklist and its crosswalk
are in checklist.py). No I/O; numbers come in from the policy file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from hozen.clearances.rules import Regime, add_years
from hozen.designations.rules import refresher_due
from hozen.facilities.checklist import Control, checklist_errors
from hozen.policy import Levels

Errors = list[tuple[str, str]]
CERT_LEVELS = tuple(r.value for r in Regime)  # a business is certified for CESI or SDS
HOME_COUNTRY = "JPN"


# --- the certification state machine -------------------------------------------------------

class FacilityState(StrEnum):
    PROPOSED = "proposed"  # the agency proposed the business
    APPLIED = "applied"
    UNDER_REVIEW = "under_review"
    CERTIFIED = "certified"
    CHANGE_PENDING = "change_pending"  # certified; a reported change is not yet effective
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # by the agency before certification, or given up after


class FacilityAction(StrEnum):
    PROPOSE = "propose"
    APPLY = "apply"
    START_REVIEW = "start_review"
    CERTIFY = "certify"
    REFUSE = "refuse"
    RENEW = "renew"  # a new period after a fresh review, without a gap
    REPORT_CHANGE = "report_change"
    APPROVE_CHANGE = "approve_change"
    REJECT_CHANGE = "reject_change"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


S, A = FacilityState, FacilityAction
IN_FORCE = (S.CERTIFIED, S.CHANGE_PENDING)  # the certification stands
STANDING = (*IN_FORCE, S.SUSPENDED)  # certified once and not yet ended
TERMINAL = (S.REVOKED, S.EXPIRED, S.REFUSED, S.WITHDRAWN)

# None: no record yet. A suspended business cannot withdraw, so revocation stays possible.
TRANSITIONS: dict[tuple[FacilityState | None, FacilityAction], FacilityState] = {
    (None, A.PROPOSE): S.PROPOSED,
    (S.PROPOSED, A.APPLY): S.APPLIED,
    (S.APPLIED, A.START_REVIEW): S.UNDER_REVIEW,
    (S.UNDER_REVIEW, A.CERTIFY): S.CERTIFIED,
    (S.UNDER_REVIEW, A.REFUSE): S.REFUSED,
    (S.CERTIFIED, A.RENEW): S.CERTIFIED,
    (S.CERTIFIED, A.REPORT_CHANGE): S.CHANGE_PENDING,
    (S.CHANGE_PENDING, A.APPROVE_CHANGE): S.CERTIFIED,
    (S.CHANGE_PENDING, A.REJECT_CHANGE): S.CERTIFIED,  # the change may not be made
    (S.SUSPENDED, A.REINSTATE): S.CERTIFIED,
    **{(s, A.SUSPEND): S.SUSPENDED for s in IN_FORCE},
    **{(s, A.REVOKE): S.REVOKED for s in STANDING},
    **{(s, A.EXPIRE): S.EXPIRED for s in STANDING},
    **{(s, A.WITHDRAW): S.WITHDRAWN
       for s in (S.PROPOSED, S.APPLIED, S.UNDER_REVIEW, *IN_FORCE)},
}


class TransitionError(ValueError):
    def __init__(self, state: FacilityState | None, action: FacilityAction) -> None:
        super().__init__(f"cannot {action.value} a facility clearance that is "
                         f"{state.value if state else 'not yet proposed'}")
        self.state, self.action = state, action


def transition_errors(state: FacilityState | None, action: FacilityAction) -> Errors:
    """Every step out of order is refused with one stable code."""
    return [] if (state, action) in TRANSITIONS else [("state", "out_of_order")]


def next_state(state: FacilityState | None, action: FacilityAction) -> FacilityState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionError(state, action) from None


def valid_until(certified_on: date, years: int) -> date:
    """The last day of a certification: `years` (policy: 5) on, minus one day, as for
    clearances."""
    return add_years(certified_on, years) - timedelta(days=1)


def is_current(state: FacilityState, until: date, today: date) -> bool:
    return state in IN_FORCE and today <= until


def facility_failures(state: FacilityState, until: date, facility_level: str,
                      item_level: str, today: date, levels: Levels) -> list[str]:
    """Why a business's certification does not cover an item today (access check)."""
    failures = []
    if state not in IN_FORCE:
        failures.append("facility_not_certified")
    elif today > until:
        failures.append("facility_expired")
    if levels.rank(facility_level) < levels.rank(item_level):
        failures.append("facility_level_insufficient")
    return failures


# --- FOCI ----------------------------------------------------------------------------------

class FociSituation(StrEnum):
    """The strongest position the foreign owners hold (after NISPOM's FOCI practice)."""

    MINORITY = "minority"  # not entitled to board representation
    BOARD_REPRESENTATION = "board_representation"  # represented, without control
    CONTROL = "control"  # owns or can exercise control


SITUATION_RANK = {FociSituation.MINORITY: 0, FociSituation.BOARD_REPRESENTATION: 1,
                  FociSituation.CONTROL: 2}


@dataclass(frozen=True)
class Instrument:
    """A FOCI mitigation instrument: the situation it can mitigate, the levels a business
    under it may be certified for, and whether SDS access needs a national-interest
    approval (unless the foreign owners are all from NTIB-like partner countries)."""

    name: str
    ja: str
    fits_up_to: FociSituation
    levels: frozenset[str]
    sds_needs_national_interest: bool


_BOTH = frozenset(CERT_LEVELS)
INSTRUMENTS: dict[str, Instrument] = {i.name: i for i in (
    # a unilateral, revocable act of the board: too weak for SDS
    Instrument("board_resolution", "取締役会決議", FociSituation.MINORITY,
               frozenset({Regime.CESI.value}), True),
    Instrument("security_control_agreement", "保全管理合意", FociSituation.BOARD_REPRESENTATION,
               _BOTH, True),
    Instrument("special_security_agreement", "特別保全合意", FociSituation.CONTROL, _BOTH, True),
    # the foreign owners' rights are exercised by cleared trustees: insulated entirely
    Instrument("proxy_agreement", "議決権代理合意", FociSituation.CONTROL, _BOTH, False),
    Instrument("voting_trust", "議決権信託", FociSituation.CONTROL, _BOTH, False),
)}


def foci_gate(flagged: bool, mitigations: Iterable[str], level: str, ntib_only: bool,
              national_interest_approved: bool, *,
              situation: FociSituation = FociSituation.CONTROL) -> Errors:
    """A FOCI-flagged business counts only under a recorded instrument that fits its
    situation (unknown: assumed control) and permits the level; SDS access then needs a
    national-interest approval unless an insulating instrument applies or the foreign
    owners are all NTIB-like. Below CESI no facility clearance is needed."""
    names = set(mitigations)
    errors: Errors = [("mitigations", "unknown_instrument")] if names - INSTRUMENTS.keys() else []
    if not flagged or level not in CERT_LEVELS:
        return errors
    known = [INSTRUMENTS[n] for n in sorted(names & INSTRUMENTS.keys())]
    usable = [i for i in known if level in i.levels
              and SITUATION_RANK[i.fits_up_to] >= SITUATION_RANK[situation]]
    if not known:
        return [*errors, ("foci", "foci_unmitigated")]
    if not usable:
        return [*errors, ("foci", "mitigation_insufficient")]
    if level == Regime.SDS and all(i.sds_needs_national_interest for i in usable) \
            and not ntib_only and not national_interest_approved:
        errors.append(("national_interest", "national_interest_required"))
    return errors


def foci_situation(total_share_pct: float, total_voting_pct: float, foreign_board: bool, *,
                   control_pct: float) -> FociSituation:
    """Control at or above the policy's share or voting power; otherwise board
    representation when a foreign national sits on the board; otherwise a minority."""
    if max(total_share_pct, total_voting_pct) >= control_pct:
        return FociSituation.CONTROL
    return FociSituation.BOARD_REPRESENTATION if foreign_board else FociSituation.MINORITY


@dataclass(frozen=True)
class Foci:
    flagged: bool
    mitigations: frozenset[str] = frozenset()
    situation: FociSituation = FociSituation.CONTROL
    ntib_only: bool = False
    national_interest_approved: bool = False

    def gate(self, level: str) -> Errors:
        return foci_gate(self.flagged, self.mitigations, level, self.ntib_only,
                         self.national_interest_approved, situation=self.situation)


# --- approved areas, officers, foreign participants, training ----------------------------

AREA_KINDS = ("room", "container", "it_system")


@dataclass(frozen=True)
class Area:
    kind: str
    level: str  # approved for this level and below
    separate_from_open_lab: bool = False


def area_permits(area_level: str, item_level: str, levels: Levels) -> bool:
    return levels.rank(area_level) >= levels.rank(item_level)


def area_errors(areas: Iterable[Area], level: str, levels: Levels, *,
                research_project: bool) -> Errors:
    """Known kinds approved for a certification level; at least one at or above `level`;
    in a research project every area kept apart from the open laboratory."""
    errors: Errors = []
    areas = list(areas)
    for i, a in enumerate(areas):
        if a.kind not in AREA_KINDS:
            errors.append((f"areas.{i}.kind", "unknown_area_kind"))
        if a.level not in CERT_LEVELS:
            errors.append((f"areas.{i}.level", "unknown_level"))
        if research_project and not a.separate_from_open_lab:
            errors.append((f"areas.{i}.separate_from_open_lab", "not_separate_from_open_lab"))
    if not any(a.level in CERT_LEVELS and area_permits(a.level, level, levels) for a in areas):
        errors.append(("areas", "no_area_at_level"))
    return errors


def officer_errors(security_officer: str | None, deputy_officer: str | None) -> Errors:
    errors: Errors = [(f, "required") for f, v in (("security_officer", security_officer),
                                                   ("deputy_officer", deputy_officer)) if not v]
    if not errors and security_officer == deputy_officer:
        errors.append(("deputy_officer", "same_person"))
    return errors


def participant_errors(nationalities: Iterable[str], screened: bool) -> Errors:
    """A participant holding any nationality other than Japanese (dual nationals too) is
    screened before joining a cleared research project."""
    held = set(nationalities)
    if not held:
        return [("nationalities", "required")]
    if held - {HOME_COUNTRY} and not screened:
        return [("screened", "foreign_participant_unscreened")]
    return []


def training_due(last_training_on: date, months: int) -> date:
    """The day the next refresher falls due (policy: yearly), as for CUI authorizations."""
    return refresher_due(last_training_on, months)


def training_overdue(last: date | None, today: date, months: int) -> bool:
    return last is None or today >= training_due(last, months)


def training_cutoff(today: date, months: int) -> date:
    """The earliest last training not overdue on `today`: overdue exactly when the last
    was before it (or there was none), so a query can ask for it by date. Found by
    bisection: a later training never falls due earlier."""
    lo, hi = today - timedelta(days=31 * months + 31), today + timedelta(days=1)
    while (hi - lo).days > 1:  # overdue(lo), not overdue(hi)
        mid = lo + timedelta(days=(hi - lo).days // 2)
        lo, hi = (mid, hi) if training_overdue(mid, today, months) else (lo, mid)
    return hi


# --- change reports --------------------------------------------------------------------------

class ChangeKind(StrEnum):
    OWNER = "owner"
    OFFICERS = "officers"
    ADDRESS = "address"
    AREAS = "areas"
    NAME = "name"


class ChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    VOIDED = "voided"  # the certification was suspended or ended while it was pending


def change_report_errors(kinds: Iterable[str]) -> Errors:
    kinds = set(kinds)
    if not kinds:
        return [("kinds", "required")]
    return [("kinds", "unknown_change_kind")] if kinds - set(ChangeKind) else []


def change_outcome(action: FacilityAction) -> ChangeStatus:
    """What an action taken while a change is pending does to the change report."""
    return {A.APPROVE_CHANGE: ChangeStatus.APPROVED,
            A.REJECT_CHANGE: ChangeStatus.REJECTED}.get(action, ChangeStatus.VOIDED)


def change_effective(status: ChangeStatus) -> bool:
    """A reported change takes effect only once the agency approves it."""
    return status is ChangeStatus.APPROVED


def change_reopens_foci(kinds: Iterable[str]) -> bool:
    return ChangeKind.OWNER in set(kinds)


# --- inspections -----------------------------------------------------------------------------

class InspectionKind(StrEnum):
    SELF = "self"  # by the business
    ON_SITE = "on_site"  # by the agency


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


@dataclass(frozen=True)
class CorrectiveAction:
    description: str
    due_on: date
    closed_on: date | None = None


@dataclass(frozen=True)
class Finding:
    severity: Severity
    actions: tuple[CorrectiveAction, ...] = ()
    control_id: str | None = None


def inspection_errors(kind: str, held_on: date, findings: Iterable[Finding],
                      today: date) -> Errors:
    """A major or critical finding needs a corrective action, due after the inspection."""
    errors: Errors = []
    if kind not in set(InspectionKind):
        errors.append(("kind", "unknown_inspection_kind"))
    if held_on > today:
        errors.append(("held_on", "date_in_future"))
    for i, f in enumerate(findings):
        if f.severity is not Severity.MINOR and not f.actions:
            errors.append((f"findings.{i}.actions", "corrective_action_required"))
        for j, a in enumerate(f.actions):
            if a.due_on < held_on:
                errors.append((f"findings.{i}.actions.{j}.due_on", "due_before_inspection"))
    return errors


def critical_open(findings: Iterable[Finding]) -> bool:
    """A critical finding stays open until it has corrective actions, all closed."""
    return any(f.severity is Severity.CRITICAL
               and (not f.actions or any(a.closed_on is None for a in f.actions))
               for f in findings)


def reinstatement_errors(findings: Iterable[Finding]) -> Errors:
    """Renewal and reinstatement wait for every critical finding's corrective action."""
    return [("findings", "critical_finding_open")] if critical_open(findings) else []


def overdue_actions(findings: Iterable[Finding], today: date) -> list[CorrectiveAction]:
    """Open corrective actions past their due date (due on the day: not yet overdue)."""
    return [a for f in findings for a in f.actions if a.closed_on is None and today > a.due_on]


# --- the confidentiality contract's security classification specification ----------------

@dataclass(frozen=True)
class SpecItem:
    item_id: str
    level: str
    departments: tuple[str, ...]
    handling: str  # handling rules
    return_rule: str  # return and destruction rules


def specification_errors(items: Iterable[SpecItem], state: FacilityState,
                         facility_level: str, levels: Levels) -> Errors:
    """A contract names each item, its level (at most the certified one), the departments
    that may handle it, and its handling and return rules; only while certified."""
    errors: Errors = [] if state in IN_FORCE else [("facility", "not_certified")]
    items = list(items)
    if not items:
        errors.append(("items", "required"))
    for i, it in enumerate(items):
        if it.level not in CERT_LEVELS:
            errors.append((f"items.{i}.level", "unknown_level"))
        elif levels.rank(it.level) > levels.rank(facility_level):
            errors.append((f"items.{i}.level", "above_facility_level"))
        for field in ("departments", "handling", "return_rule"):
            if not getattr(it, field):
                errors.append((f"items.{i}.{field}", "required"))
    return errors


# --- the application and its certification ---------------------------------------------------

@dataclass(frozen=True)
class Application:
    level: str
    security_officer: str | None
    deputy_officer: str | None
    internal_rules: bool
    training_plan: bool
    areas: tuple[Area, ...]
    research_project: bool = False  # universities and institutes: one per project


def certification_errors(app: Application, results: Mapping[str, bool],
                         controls: Iterable[Control], foci: Foci, levels: Levels,
                         findings: Iterable[Finding] = ()) -> Errors:
    """Certified (or renewed) only when every required control is met, the officers are
    two people, an area is approved at the level, internal rules and a training plan are
    in, no critical finding is open and FOCI is mitigated. A national-interest approval is
    decided per access to SDS, not at certification."""
    if app.level not in CERT_LEVELS:
        return [("level", "unknown_level")]
    errors = checklist_errors(controls, results)
    errors += officer_errors(app.security_officer, app.deputy_officer)
    errors += area_errors(app.areas, app.level, levels, research_project=app.research_project)
    errors += [(f, "required") for f in ("internal_rules", "training_plan")
               if not getattr(app, f)]
    errors += reinstatement_errors(findings)
    errors += [e for e in foci.gate(app.level) if e[1] != "national_interest_required"]
    return errors

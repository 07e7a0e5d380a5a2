"""Pure rules of designation (指定): terms and caps, review clock, lapse and provisional
designation, two-person approval. No I/O; every number comes in from the policy file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from hozen.clearances.rules import add_years

REGIMES = ("CESI", "SDS")
SCOPE_KINDS = ("programme", "organisation", "technology")
PROPOSAL_KINDS = ("designate", "renew", "lift", "downgrade", "change", "lift_part")
# change: narrow or widen the scope, holders or releasability; lift_part: declassify
# some of its items, the rest staying designated
# downgrade: SDS -> CESI -> CUI (CUI is no longer a designation: the items stay CUI)
DOWNGRADE = {"SDS": "CESI", "CESI": "CUI"}


class Status(StrEnum):
    PROPOSED = "proposed"  # awaiting a second official's approval
    PROVISIONAL = "provisional"  # in effect at once; to be confirmed within the deadline
    IN_FORCE = "in_force"
    PENDING_DISPOSITION = "pending_disposition"  # term ended or not confirmed: denied
    LIFTED = "lifted"  # declassified by an explicit lifting
    DOWNGRADED = "downgraded"  # to CUI: no longer classified, still controlled
    REJECTED = "rejected"  # a proposal the approving official refused


@dataclass(frozen=True)
class Terms:
    """The policy numbers of designation."""

    term_max_years: int
    total_max_years: int
    absolute_max_years: int
    review_interval_months: int
    provisional_confirm_days: int

    @classmethod
    def from_policy(cls, numbers: dict) -> Terms:
        return cls(**{f: int(numbers[f]) for f in cls.__dataclass_fields__})


def _years_on(d: date, years: int) -> date:
    """`d` plus whole years, or the last representable day (a cap beyond year 9999 is no
    cap at all)."""
    try:
        return add_years(d, years)
    except ValueError:
        return date.max


def term_end_limit(start: date, terms: Terms) -> date:
    """The last day a term starting on `start` may run to."""
    return _years_on(start, terms.term_max_years) - timedelta(days=1)


def term_errors(first_start: date, start: date, end: date, terms: Terms, *,
                cabinet_approved: bool) -> list[tuple[str, str]]:
    """A term from `start` to `end` (inclusive) of a designation first in force on
    `first_start`: at most `term_max_years`; in all at most `total_max_years` unless the
    cabinet approved, never beyond `absolute_max_years`."""
    if end < start:
        return [("term_end", "end_before_start")]
    errors = []
    if end > term_end_limit(start, terms):
        errors.append(("term_end", "term_too_long"))
    if end >= _years_on(first_start, terms.absolute_max_years):
        errors.append(("term_end", "beyond_absolute_limit"))
    elif end >= _years_on(first_start, terms.total_max_years) and not cabinet_approved:
        errors.append(("cabinet_approval", "cabinet_approval_required"))
    return errors


def renewal_start(current_end: date) -> date:
    """A renewal continues the current term without a gap or an overlap."""
    return current_end + timedelta(days=1)


def change_errors(current: dict, proposed: dict) -> list[tuple[str, str]]:
    """A change proposes new values for some of scope_kind, scope, holders and
    releasable_to (None: unchanged); it must change at least one, and a scope is named
    with its kind."""
    given = {k: v for k, v in proposed.items() if v is not None}
    if not given:
        return [("scope", "change_required")]
    errors = []
    if ("scope_kind" in given) != ("scope" in given):
        errors.append(("scope" if "scope_kind" in given else "scope_kind", "required"))
    if all(_same(current[k], v) for k, v in given.items()):
        errors.append(("scope", "change_required"))
    return errors


def _same(a, b) -> bool:
    return sorted(a) == sorted(b) if isinstance(a, list | tuple) else a == b


def change_direction(current: dict, proposed: dict) -> str:
    """'narrow' (holders or countries only removed), 'widen' (only added), 'mixed' (both)
    or 'scope' (neither: the scope's text changed, which has no order)."""
    removed = added = False
    for key in ("holders", "releasable_to"):
        if proposed.get(key) is not None:
            old, new = set(current[key]), set(proposed[key])
            removed |= bool(old - new)
            added |= bool(new - old)
    return {(True, False): "narrow", (False, True): "widen",
            (True, True): "mixed"}.get((removed, added), "scope")


def two_person_errors(proposer_id: str, approver_id: str) -> list[tuple[str, str]]:
    """The approving official is never the proposer."""
    return [("approver", "same_official")] if proposer_id == approver_id else []


def next_review(last: date, terms: Terms) -> date:
    """Reviewed at least every `review_interval_months` after the last review (or the
    start of the designation)."""
    months = last.month - 1 + terms.review_interval_months
    year, month = last.year + months // 12, months % 12 + 1
    if year > date.max.year:
        return date.max
    for day in (last.day, 30, 29, 28):  # 31 Jan + 1 month -> 28/29 Feb
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def provisional_deadline(made_on: date, terms: Terms) -> date:
    return made_on + timedelta(days=terms.provisional_confirm_days)


def effective_status(recorded: Status, today: date, *, term_end: date | None,
                     confirm_by: date | None) -> Status:
    """What a designation is today. A missed date never declassifies: a term that ended
    or a provisional designation not confirmed in time is pending disposition."""
    if recorded not in (Status.IN_FORCE, Status.PROVISIONAL):
        return recorded
    if term_end is not None and today > term_end:
        return Status.PENDING_DISPOSITION
    if recorded is Status.PROVISIONAL and confirm_by is not None and today > confirm_by:
        return Status.PENDING_DISPOSITION
    return recorded


def classified(status: Status) -> bool:
    """Items under a designation in this state are classified (or denied as lapsed)."""
    return status in (Status.IN_FORCE, Status.PROVISIONAL, Status.PENDING_DISPOSITION)


def item_level(status: Status | None, regime: str | None, cui: bool, *,
               lifted: bool = False) -> str:
    """An item's effective level, derived from its designation: the regime while the
    designation is in force, provisional or pending disposition (unless the item itself
    was lifted out of it); CUI when downgraded or marked CUI; otherwise unmarked (lifted,
    or never designated)."""
    if status is not None and classified(status) and regime and not lifted:
        return regime
    if status is Status.DOWNGRADED or cui:
        return "CUI"
    return "UNMARKED"


# --- CUI authorization: not an assessment ------------------------------------------------

CUI_STATUSES = ("active", "revoked")


def cui_valid_until(granted_on: date, years: int) -> date:
    """Valid `years` (policy: 5) from the grant, to the day before the anniversary."""
    return _years_on(granted_on, years) - timedelta(days=1)


def refresher_due(last_training: date, months: int) -> date:
    """The day by which the next refresher training must be done (policy: yearly)."""
    return next_review(last_training, Terms(0, 0, 0, months, 0))


def cui_grant_errors(identity_checked_on: date | None, trained_on: date | None,
                     agreement_signed_on: date | None, today: date,
                     refresher_months: int) -> list[tuple[str, str]]:
    """An authorization needs all three: an identity check, training and a signed
    agreement, none in the future, and the training still current."""
    errors = []
    for field, value in (("identity_checked_on", identity_checked_on),
                         ("trained_on", trained_on),
                         ("agreement_signed_on", agreement_signed_on)):
        if value is None:
            errors.append((field, "required"))
        elif value > today:
            errors.append((field, "date_in_future"))
    if trained_on is not None and trained_on <= today and \
            today >= refresher_due(trained_on, refresher_months):
        errors.append(("trained_on", "training_overdue"))
    return errors


def cui_failures(status: str, valid_until: date, last_training: date, today: date,
                 refresher_months: int) -> list[str]:
    """Why an authorization does not count today (empty: it is current)."""
    failures = []
    if status != "active":
        failures.append("cui_authorization_revoked")
    if today > valid_until:
        failures.append("cui_authorization_expired")
    if today >= refresher_due(last_training, refresher_months):
        failures.append("training_overdue")
    return failures

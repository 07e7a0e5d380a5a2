"""Notices of the assessment, all through the one notification service. The subject hears
of their own case; the employer's officers receive the outcome only — granted with its end
date, denied, or "will not proceed" (a refusal and a withdrawal alike); an investigator
hears of an assignment. Parameters are ids, regimes and dates: never a finding, a reason or
anybody's name."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import EMPLOYER_ROLES
from hozen.clearances import rules
from hozen.clearances.models import ClearanceCase
from hozen.db import utcnow
from hozen.notifications.services import notify

# Copies held on the employer's side; `hozen jobs run` purges them past retention.
EMPLOYER_PREFIX = "employer_"
FAVOURABLE_EMPLOYER_KINDS = frozenset({"employer_assessment_granted"})


def subject_users(session: Session, person_id: str) -> set[str]:
    return set(session.scalars(select(User.id).where(User.person_id == person_id,
                                                     User.active.is_(True))))


def employer_users(session: Session, employer_id: str, person_id: str) -> set[str]:
    """The employer's security officers and officials, but not the subject themselves."""
    officers = set(session.scalars(select(User.id).join(UserRole).where(
        User.organisation_id == employer_id, User.active.is_(True),
        UserRole.role.in_([r.value for r in EMPLOYER_ROLES]))))
    return officers - subject_users(session, person_id)


def _send(session: Session, users: set[str], kind: str, params: dict, key: str,
          at: datetime | None = None) -> int:
    return sum(notify(session, u, kind, params, f"{kind}:{key}:{u}", at)
               for u in sorted(users))


def case_listed(session: Session, case: ClearanceCase) -> None:
    _send(session, subject_users(session, case.person_id), "assessment_listed",
          {"regime": case.regime, "case_id": case.id}, case.id)


def case_assigned(session: Session, case: ClearanceCase, investigator_id: str) -> None:
    _send(session, {investigator_id}, "assessment_assigned",
          {"regime": case.regime, "case_id": case.id}, case.investigation_id or case.id)


def case_closed(session: Session, case: ClearanceCase, valid_until: date | None = None) -> None:
    """On a decision, refusal or withdrawal: the subject hears of a decision, the employer
    of the outcome only."""
    view = rules.employer_view(rules.CaseState(case.state))
    params = {"regime": case.regime, "case_id": case.id}
    if valid_until is not None:
        params["valid_until"] = valid_until.isoformat()
    key = f"{case.id}:{(case.decided_at or utcnow()).isoformat()}"
    if view in ("granted", "denied"):
        _send(session, subject_users(session, case.person_id), f"assessment_{view}", params,
              key)
    _send(session, employer_users(session, case.employer_id, case.person_id),
          f"{EMPLOYER_PREFIX}assessment_{view}", params, key)


def clearance_notice(session: Session, person_id: str, employer_id: str, kind: str,
                     params: dict, key: str, at: datetime) -> int:
    """An expiry reminder or an expiry: the subject's notice and the employer's copy."""
    return (_send(session, subject_users(session, person_id), kind, params, key, at)
            + _send(session, employer_users(session, employer_id, person_id),
                    EMPLOYER_PREFIX + kind, params, key, at))

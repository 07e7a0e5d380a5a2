"""Scheduled work (`hozen jobs run`): idempotent and cron-friendly. Expires lapsed
clearances, sends expiry reminders 180/90/30 days ahead (policy), and e-mails queued
notices. Running it twice in a row changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Role
from hozen.audit.services import record
from hozen.clearances import rules
from hozen.clearances.models import Clearance, ClearanceCase
from hozen.notifications.services import notify, send_pending_email
from hozen.policy import get_policy

ACTOR = "system:jobs"


@dataclass(frozen=True)
class JobReport:
    expired: int
    reminders: int
    emails: int


def _recipients(session: Session, clearance: Clearance) -> list[str]:
    """The subject's own account and the security officers of the employer that listed
    them: outcome-level notices only."""
    employer = session.scalar(select(ClearanceCase.employer_id).where(
        ClearanceCase.id == clearance.case_id))
    subjects = session.scalars(select(User.id).where(User.person_id == clearance.person_id))
    officers = session.scalars(select(User.id).join(UserRole).where(
        User.organisation_id == employer, UserRole.role == Role.COMPANY_SECURITY_OFFICER.value))
    return sorted(set(subjects) | set(officers))


def expire_clearances(session: Session, today: date) -> int:
    lapsed = session.scalars(select(Clearance).where(
        Clearance.valid_until < today,
        Clearance.status.in_([rules.ClearanceStatus.ACTIVE.value,
                              rules.ClearanceStatus.SUSPENDED.value])).with_for_update())
    count = 0
    for clearance in lapsed:
        clearance.status = rules.next_clearance_status(
            rules.ClearanceStatus(clearance.status), "expire").value
        record(session, actor=ACTOR, tag="clearances:clearance:expire",
               subject_type="clearance", subject_id=clearance.id,
               details={"valid_until": clearance.valid_until.isoformat()})
        params = {"regime": clearance.regime, "valid_until": clearance.valid_until.isoformat(),
                  "case_id": clearance.case_id}
        for user_id in _recipients(session, clearance):
            notify(session, user_id, "clearance_expired", params,
                   f"clearance_expired:{clearance.id}:{user_id}")
        count += 1
    return count


def send_expiry_reminders(session: Session, today: date) -> int:
    days = sorted(int(d) for d in get_policy().clearance["reminder_days"])
    active = session.scalars(select(Clearance).where(
        Clearance.status == rules.ClearanceStatus.ACTIVE.value, Clearance.valid_until >= today))
    created = 0
    for clearance in active:
        left = (clearance.valid_until - today).days
        due = next((d for d in days if left <= d), None)  # the tightest threshold reached
        if due is None:
            continue
        params = {"regime": clearance.regime, "valid_until": clearance.valid_until.isoformat(),
                  "days": left, "case_id": clearance.case_id}
        for user_id in _recipients(session, clearance):
            created += notify(session, user_id, "clearance_expiring", params,
                              f"clearance_expiring:{clearance.id}:{due}:{user_id}")
    return created


def run_jobs(session: Session, today: date) -> JobReport:
    expired = expire_clearances(session, today)
    reminders = send_expiry_reminders(session, today)
    session.flush()
    return JobReport(expired, reminders, send_pending_email(session))

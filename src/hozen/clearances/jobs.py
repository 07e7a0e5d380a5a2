"""Scheduled work (`hozen jobs run`): idempotent and cron-friendly. Expires lapsed
clearances, sends expiry reminders 180/90/30 days ahead (policy), purges the employer's
copies of notices past retention, and e-mails queued notices. Running it twice in a row
changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hozen.audit.services import record
from hozen.clearances import notices, rules
from hozen.clearances.models import Clearance, ClearanceCase
from hozen.db import utcnow
from hozen.notifications.models import Notification
from hozen.notifications.services import send_pending_email
from hozen.policy import get_policy

ACTOR = "system:jobs"


@dataclass(frozen=True)
class JobReport:
    expired: int
    reminders: int
    emails: int
    purged: int


def _employer(session: Session, clearance: Clearance) -> str:
    return session.scalar(select(ClearanceCase.employer_id).where(
        ClearanceCase.id == clearance.case_id))


def _moment(today: date) -> datetime:
    """When a notice of a run as of `today` is issued: now, moved to that day."""
    return datetime.combine(today, utcnow().timetz())


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
        notices.clearance_notice(session, clearance.person_id, _employer(session, clearance),
                                 "clearance_expired", params, clearance.id, _moment(today))
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
        created += notices.clearance_notice(
            session, clearance.person_id, _employer(session, clearance), "clearance_expiring",
            params, f"{clearance.id}:{due}", _moment(today))
    return created


def purge_employer_copies(session: Session, today: date) -> int:
    """Erase the employer's copies of notices past retention: favourable ones after
    `company_favourable_notice_years`, any other after `company_other_papers_years`."""
    retention = get_policy().retention
    purged = 0
    for kinds, years in (
            (notices.FAVOURABLE_EMPLOYER_KINDS, retention["company_favourable_notice_years"]),
            (None, retention["company_other_papers_years"])):
        cutoff = datetime.combine(rules.add_years(today, -int(years)), time.min, tzinfo=UTC)
        q = update(Notification).where(
            Notification.created_at < cutoff, Notification.purged_at.is_(None),
            Notification.kind.startswith(notices.EMPLOYER_PREFIX))
        q = (q.where(Notification.kind.in_(kinds)) if kinds is not None
             else q.where(Notification.kind.not_in(notices.FAVOURABLE_EMPLOYER_KINDS)))
        purged += session.execute(q.values(params="{}", purged_at=utcnow()).execution_options(
            synchronize_session=False)).rowcount
    if purged:
        record(session, actor=ACTOR, tag="clearances:employer-copies:purge",
               subject_type="notification", subject_id="*", details={"count": purged})
    return purged


def run_jobs(session: Session, today: date) -> JobReport:
    expired = expire_clearances(session, today)
    reminders = send_expiry_reminders(session, today)
    session.flush()
    purged = purge_employer_copies(session, today)
    return JobReport(expired, reminders, send_pending_email(session), purged)

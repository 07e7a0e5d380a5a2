"""Scheduled work of designation, run by `hozen jobs run` (idempotent): open each due
review exactly once, remind before a review falls due, and alert the agency while a
designation is pending disposition (a term ended, or a provisional one unconfirmed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.permissions import Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import new_id, utcnow
from hozen.designations import cui, rules
from hozen.designations.models import Designation, Review
from hozen.designations.rules import Status
from hozen.designations.services import status_today
from hozen.notifications.services import notify
from hozen.policy import get_policy

ACTOR = "system:jobs"
LIVE = [Status.IN_FORCE.value, Status.PROVISIONAL.value, Status.PENDING_DISPOSITION.value]


@dataclass(frozen=True)
class DesignationJobReport:
    reviews_opened: int
    review_reminders: int
    lapse_alerts: int
    cui_reminders: int


def _agency_users(session: Session, d: Designation) -> list[str]:
    """The designation's manager and the agency's officials."""
    officials = users_with_role(session, [d.agency_id], Role.AGENCY_OFFICIAL)
    return sorted(set(officials) | {d.manager_id})


def _send(session: Session, d: Designation, kind: str, key: str, at: datetime,
          **params) -> int:
    params |= {"reference": d.reference, "designation_id": d.id}
    return sum(notify(session, u, kind, params, f"{kind}:{key}:{u}", at)
               for u in _agency_users(session, d))


def run(session: Session, today: date) -> DesignationJobReport:
    at = datetime.combine(today, utcnow().timetz())
    remind = timedelta(days=int(get_policy().designation["review_reminder_days"]))
    opened = reminders = alerts = 0
    for d in session.scalars(select(Designation).where(Designation.status.in_(LIVE))
                             .order_by(Designation.id).with_for_update()):
        status = status_today(d, today)
        due = d.next_review_on
        if due is not None and due <= today and rules.classified(status) and not \
                session.scalar(select(Review.id).where(Review.designation_id == d.id,
                                                       Review.due_on == due)):
            review = Review(id=new_id(), designation_id=d.id, due_on=due, opened_at=at)
            session.add(review)
            session.flush()
            record(session, actor=ACTOR, tag="designations:review:open",
                   subject_type="designation", subject_id=d.id,
                   details={"review": review.id, "due_on": due.isoformat()})
            _send(session, d, "designation_review_due", f"{d.id}:{due}", at,
                  due_on=due.isoformat())
            opened += 1
        elif due is not None and today < due <= today + remind:
            reminders += _send(session, d, "designation_review_soon", f"{d.id}:{due}", at,
                               due_on=due.isoformat())
        if status is Status.PENDING_DISPOSITION:
            # Until the agency renews or lifts: one alert a week, never a declassification.
            week = today.isocalendar()
            # An unconfirmed provisional designation lapsed on its deadline (or when its
            # confirmation was refused); any other at the end of its term.
            since = d.confirm_by or d.term_end or today
            alerts += _send(session, d, "designation_lapsed",
                            f"{d.id}:{week.year}-W{week.week}", at, since=since.isoformat())
    return DesignationJobReport(opened, reminders, alerts, cui.send_reminders(session, today, at))

"""Scheduled work of facility clearance, run by `hozen jobs run` (idempotent): record the
expiry of certifications past their end, and remind the business's security officers and
the agency before a certification ends (once per reminder date)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.permissions import Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import utcnow
from hozen.facilities import rules
from hozen.facilities.models import Facility
from hozen.facilities.rules import FacilityAction as A
from hozen.facilities.services import _officers, _void_changes
from hozen.notifications.services import notify
from hozen.policy import get_policy
from hozen.registry.models import Organisation

ACTOR = "system:jobs"


@dataclass(frozen=True)
class FacilityJobReport:
    expired: int
    reminders: int


def _people(session: Session, f: Facility) -> set[str]:
    agency = users_with_role(session, [f.agency_id], Role.AGENCY_OFFICIAL)
    return _officers(session, f.organisation_id) | set(agency)


def run(session: Session, today: date) -> FacilityJobReport:
    at = datetime.combine(today, utcnow().timetz())
    days = sorted(int(d) for d in get_policy().facilities["expiry_reminder_days"])
    standing = [s.value for s in rules.STANDING]
    expired = reminders = 0
    for f in session.scalars(select(Facility).where(Facility.state.in_(standing))
                             .order_by(Facility.id).with_for_update()):
        if f.valid_until is None:
            continue
        if today > f.valid_until:
            f.state = rules.next_state(rules.FacilityState(f.state), A.EXPIRE).value
            _void_changes(session, f, A.EXPIRE)
            record(session, actor=ACTOR, tag="facilities:facility:expire",
                   subject_type="facility", subject_id=f.id,
                   details={"state": f.state, "valid_until": f.valid_until.isoformat()})
            expired += 1
            continue
        # the nearest reminder date reached and not yet sent
        left = (f.valid_until - today).days
        due = [d for d in days if left <= d]
        if not due:
            continue
        mark = f.valid_until - timedelta(days=due[0])
        org = session.get(Organisation, f.organisation_id)
        for user_id in sorted(_people(session, f)):
            reminders += notify(session, user_id, "facility_expiring",
                                {"organisation": org.name_ja, "facility_id": f.id,
                                 "due_on": f.valid_until.isoformat()},
                                f"facility_expiring:{f.id}:{f.valid_until}:{mark}:{user_id}",
                                at)
    return FacilityJobReport(expired, reminders)

"""Time to access (R7): for every foreign visitor, the time and the number of human steps
from their government's assurance to their first permitted access, counted from the
audit log alone — every action by a person (the assurance, the visit request, each
approval) is a step; what hozen does by itself (a fast-path approval) is not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.models import AuditEvent
from hozen.reciprocity.models import ForeignAssurance, Visitor

STEP_TAGS = ("reciprocity:assurance:submit", "reciprocity:visit:request",
             "reciprocity:visit:approve")


@dataclass(frozen=True)
class TimeToAccess:
    assurance_id: str
    person_id: str
    assured_at: datetime
    first_access_at: datetime | None  # None: no permitted access yet
    hours: float | None
    human_steps: int  # up to the first access (or so far)


def _at(event: AuditEvent) -> datetime:
    return datetime.fromisoformat(event.at)


def _first_permit(session: Session, person_id: str, after_seq: int) -> AuditEvent | None:
    """The first audited decision after `after_seq` that permitted this person anything
    (single decisions name the person as subject; batches list them in the details)."""
    q = select(AuditEvent).where(
        AuditEvent.tag == "access:decision", AuditEvent.seq > after_seq,
        or_(AuditEvent.subject_id == person_id,
            AuditEvent.details.contains(person_id))).order_by(AuditEvent.seq)
    for event in session.scalars(q):
        if any(d[0] == person_id and d[2] for d in json.loads(event.details)["decisions"]):
            return event
    return None


def measure(session: Session, a: ForeignAssurance) -> TimeToAccess | None:
    start = session.scalar(select(AuditEvent).where(
        AuditEvent.tag == "reciprocity:assurance:submit", AuditEvent.subject_id == a.id))
    if start is None:
        return None
    first = _first_permit(session, a.person_id, start.seq)
    visits = list(session.scalars(select(Visitor.visit_id).where(
        Visitor.assurance_id == a.id)))
    steps = select(AuditEvent.seq).where(
        AuditEvent.tag.in_(STEP_TAGS), AuditEvent.actor.like("user:%"),
        AuditEvent.subject_id.in_([a.id, *visits]), AuditEvent.seq >= start.seq)
    if first is not None:
        steps = steps.where(AuditEvent.seq < first.seq)
    counted = len(session.scalars(steps).all())
    hours = None if first is None else round(
        (_at(first) - _at(start)).total_seconds() / 3600, 2)
    return TimeToAccess(a.id, a.person_id, _at(start), _at(first) if first else None, hours,
                        counted)


def time_to_access(session: Session, *, actor: Actor, limit: int = 1000
                   ) -> list[TimeToAccess]:
    """Every personnel assurance's figures, newest first."""
    actor.require(Permission.RECIPROCITY_REPORT_READ)
    rows = session.scalars(select(ForeignAssurance).where(
        ForeignAssurance.kind == "personnel").order_by(ForeignAssurance.submitted_at.desc())
        .limit(limit))
    return [m for a in rows if (m := measure(session, a)) is not None]

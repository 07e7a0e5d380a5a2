"""Reviews and objections of designations: the agency's yearly review (obsolete opens a
lifting proposal) and objections lodged with the oversight inspector, tracked to a
recorded answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Permission, Role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.designations import rules
from hozen.designations.models import Designation, Objection, Proposal, Review
from hozen.designations.proposals import _open_proposal
from hozen.designations.rules import Status
from hozen.designations.schemas import ObjectionAnswer, ObjectionCreate, ReviewRecord
from hozen.designations.services import (
    GOVERNMENT_ROLES,
    _audit,
    access_designation,
    status_today,
    terms,
    today,
)
from hozen.errors import Conflict, NotFound
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page


def record_review(session: Session, review_id: str, data: ReviewRecord, *,
                  actor: Actor) -> Review:
    """The agency records 'still needed' or 'obsolete' with reasons; obsolete opens a
    lifting proposal for a second official to decide."""
    actor.require(Permission.DESIGNATIONS_REVIEW)
    r = get_by_id(session, Review, review_id, for_update=True)
    if r is None:
        raise NotFound("review not found")
    d = access_designation(session, actor, r.designation_id, for_update=True)
    if d.agency_id != actor.organisation_id:
        raise NotFound("review not found")
    if r.still_needed is not None:
        raise Conflict("the review has already been recorded", field="status")
    if not rules.classified(status_today(d)):
        raise Conflict("the designation no longer classifies anything", field="status")
    r.still_needed, r.reasons = data.still_needed, data.reasons
    r.reviewed_by, r.reviewed_at = actor.id, utcnow()
    d.next_review_on = rules.next_review(today(), terms())
    _audit(session, actor, "review", d, review=r.id, still_needed=data.still_needed)
    if not data.still_needed and not session.scalar(select(Proposal.id).where(
            Proposal.designation_id == d.id, Proposal.status == "open")):
        _open_proposal(session, d, {"kind": "lift", "reasons": data.reasons}, actor)
    return r


def file_objection(session: Session, designation_id: str, data: ObjectionCreate, *,
                   actor: Actor) -> Objection:
    actor.require(Permission.DESIGNATIONS_OBJECT)
    d = access_designation(session, actor, designation_id)
    o = Objection(id=new_id(), designation_id=d.id, filed_by=actor.id, text=data.text)
    session.add(o)
    session.flush()
    _audit(session, actor, "objection", d, objection=o.id)
    for user_id in session.scalars(select(User.id).join(UserRole).where(
            UserRole.role == Role.OVERSIGHT_INSPECTOR.value)):
        notify(session, user_id, "designation_objection",
               {"reference": d.reference, "designation_id": d.id},
               f"designation_objection:{o.id}:{user_id}")
    return o


def _objection(o: Objection) -> dict:
    return {"id": o.id, "designation_id": o.designation_id, "text": o.text,
            "filed_at": o.filed_at, "answer": o.answer, "answered_at": o.answered_at}


def list_objections(session: Session, *, actor: Actor, cursor: str | None = None,
                    limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of every objection for the oversight inspector, in the order filed (ids are
    time-ordered), each with its designation's reference, and the cursor of the next
    page."""
    actor.require(Permission.DESIGNATIONS_OBJECTION_ANSWER)
    rows, nxt = page(session, select(Objection), [Objection.id], cursor=cursor, limit=limit)
    refs = dict(session.execute(select(Designation.id, Designation.reference).where(
        Designation.id.in_({o.designation_id for o in rows}))).all()) if rows else {}
    return [_objection(o) | {"reference": refs.get(o.designation_id)} for o in rows], nxt


def designation_objections(session: Session, designation_id: str, *, actor: Actor,
                           cursor: str | None = None,
                           limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of one designation's objections in the order filed: government roles see
    every one, anyone else only their own."""
    d = access_designation(session, actor, designation_id)
    q = select(Objection).where(Objection.designation_id == d.id)
    if not (actor.is_system or actor.roles & GOVERNMENT_ROLES):
        q = q.where(Objection.filed_by == actor.id)
    rows, nxt = page(session, q, [Objection.id], cursor=cursor, limit=limit)
    return [_objection(o) for o in rows], nxt


def designation_reviews(session: Session, designation_id: str, *, actor: Actor,
                        cursor: str | None = None,
                        limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of one designation's reviews, by due date: government roles only."""
    d = access_designation(session, actor, designation_id)
    if not (actor.is_system or actor.roles & GOVERNMENT_ROLES):
        return [], None
    rows, nxt = page(session, select(Review).where(Review.designation_id == d.id),
                     [Review.due_on, Review.id], cursor=cursor, limit=limit)
    return [{"id": r.id, "due_on": r.due_on, "still_needed": r.still_needed,
             "reasons": r.reasons, "reviewed_at": r.reviewed_at} for r in rows], nxt


def answer_objection(session: Session, objection_id: str, data: ObjectionAnswer, *,
                     actor: Actor) -> Objection:
    actor.require(Permission.DESIGNATIONS_OBJECTION_ANSWER)
    o = get_by_id(session, Objection, objection_id, for_update=True)
    if o is None:
        raise NotFound("objection not found")
    if o.answer is not None:
        raise Conflict("the objection has already been answered", field="status")
    o.answer, o.answered_by, o.answered_at = data.answer, actor.id, utcnow()
    record(session, actor=actor.audit_name, tag="designations:objection:answer",
           subject_type="designation", subject_id=o.designation_id,
           details={"objection": o.id})
    notify(session, o.filed_by, "designation_objection_answered",
           {"designation_id": o.designation_id}, f"designation_objection_answered:{o.id}")
    return o


def open_reviews(session: Session, *, actor: Actor, cursor: str | None = None,
                 limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the agency's reviews awaiting its record, oldest due first, and the
    cursor of the next page."""
    actor.require(Permission.DESIGNATIONS_REVIEW)
    rows, nxt = page(session, select(Review).join(Designation).where(
        Review.still_needed.is_(None), Designation.agency_id == actor.organisation_id,
        Designation.status.in_([s.value for s in Status if rules.classified(s)])),
        [Review.due_on, Review.id], cursor=cursor, limit=limit)
    of = {d.id: d for d in session.scalars(select(Designation).where(
        Designation.id.in_([r.designation_id for r in rows])))} if rows else {}
    return [{"id": r.id, "designation_id": r.designation_id,
             "reference": of[r.designation_id].reference,
             "title": of[r.designation_id].title, "due_on": r.due_on} for r in rows], nxt

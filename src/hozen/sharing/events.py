"""Seminars and other events open only to clearance holders (DESIGN R10): eligibility is
checked at registration and again at check-in (a clearance can lapse in between); the
organiser keeps the attendance list; materials carry markings and are read only by
registered people whom the decision permits at their level."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.sharing import rules, standing
from hozen.sharing.communities import _audit, decode_file, manages, person_name, programme_errors
from hozen.sharing.models import EventRegistration, SharedFile, SharingEvent
from hozen.sharing.schemas import (
    EventCreate,
    EventView,
    FileCreate,
    RegistrationView,
)
from hozen.sharing.standing import (
    context,
    eligibility,
    eligibility_view,
    rule_columns,
    rule_of,
    rule_view,
    subject,
)


def create_event(session: Session, data: EventCreate, *, actor: Actor) -> SharingEvent:
    actor.require(Permission.SHARING_EVENT_MANAGE)
    errors = programme_errors(session, data)
    if data.ends_at < data.starts_at:
        errors.append(("ends_at", "end_before_start"))
    if data.starts_at < utcnow():
        errors.append(("starts_at", "start_in_past"))
    if errors:
        raise ValidationFailed(errors)
    e = SharingEvent(id=new_id(), title_ja=data.title_ja, title_en=data.title_en,
                     description=data.description, location=data.location,
                     starts_at=data.starts_at, ends_at=data.ends_at, capacity=data.capacity,
                     organiser_id=actor.id, organisation_id=actor.organisation_id,
                     **rule_columns(data))
    session.add(e)
    session.flush()
    _audit(session, actor, "event:create", "sharing_event", e.id, min_level=e.min_level)
    return e


def read_event(session: Session, event_id: str, *, actor: Actor,
               for_update: bool = False) -> SharingEvent:
    actor.require(Permission.SHARING_EVENT_READ)
    e = get_by_id(session, SharingEvent, event_id, for_update=for_update)
    if e is None:
        raise NotFound("event not found")
    return e


def upcoming(session: Session, *, actor: Actor, cursor: str | None = None,
             limit: int = DEFAULT_PAGE) -> tuple[list[SharingEvent], str | None]:
    """A page of the events not yet over, the soonest to end first (each with the
    caller's eligibility: view), and the cursor of the next page. Ordered by the end, not
    the start, so that one range of the index on (ends_at, id) is both the filter and the
    order: a page never reads the events already past."""
    actor.require(Permission.SHARING_EVENT_READ)
    return page(session, select(SharingEvent).where(SharingEvent.ends_at >= utcnow()),
                [SharingEvent.ends_at, SharingEvent.id], cursor=cursor, limit=limit)


def _registration(session: Session, event_id: str, person_id: str | None
                  ) -> EventRegistration | None:
    if person_id is None:
        return None
    return session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event_id, EventRegistration.person_id == person_id))


def _registered(session: Session, event_id: str) -> int:
    return session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event_id))


def view(session: Session, e: SharingEvent, actor: Actor,
         el: rules.Eligibility | None = None) -> EventView:
    """The event for the caller; `el` their eligibility, if already decided."""
    r = _registration(session, e.id, actor.person_id)
    if el is None and actor.person_id:
        el = eligibility(session, e, actor.person_id)
    return EventView(
        id=e.id, title_ja=e.title_ja, title_en=e.title_en, description=e.description,
        location=e.location, starts_at=e.starts_at, ends_at=e.ends_at, capacity=e.capacity,
        registered=_registered(session, e.id), rule=rule_view(e), organiser_id=e.organiser_id,
        registration=None if r is None else ("checked_in" if r.checked_in_at else "registered"),
        eligibility=eligibility_view(el) if el else None)


def register(session: Session, event_id: str, *, actor: Actor) -> EventRegistration:
    """A person registers: refused with every reason if the rule does not admit them."""
    actor.require(Permission.SHARING_EVENT_ATTEND)
    e = read_event(session, event_id, actor=actor, for_update=True)
    if e.ends_at < utcnow():
        raise Conflict("the event is over", field="event")
    el = eligibility(session, e, actor.person_id)
    if not el.eligible:
        raise ValidationFailed([("person", code) for code in el.reasons])
    if _registration(session, e.id, actor.person_id) is not None:
        raise Conflict("already registered", field="event")
    if _registered(session, e.id) >= e.capacity:
        raise Conflict("the event is full", field="capacity")
    r = EventRegistration(id=new_id(), event_id=e.id, person_id=actor.person_id)
    session.add(r)
    session.flush()
    _audit(session, actor, "event:register", "event_registration", r.id, event=e.id)
    notify(session, actor.id, "event_registered",
           {"event": e.title_en, "starts_at": e.starts_at.isoformat()},
           f"event_registered:{r.id}")
    return r


def _organised(session: Session, event_id: str, actor: Actor,
               for_update: bool = False) -> SharingEvent:
    actor.require(Permission.SHARING_EVENT_MANAGE)
    e = read_event(session, event_id, actor=actor, for_update=for_update)
    if not manages(actor, e.organiser_id):
        raise NotFound("event not found")
    return e


def _registration_view(r: EventRegistration, name: str, el: rules.Eligibility
                       ) -> RegistrationView:
    return RegistrationView(id=r.id, event_id=r.event_id, person_id=r.person_id, name=name,
                            registered_at=r.registered_at, checked_in_at=r.checked_in_at,
                            eligible=el.eligible, reasons=list(el.reasons))


def attendance(session: Session, event_id: str, *, actor: Actor, cursor: str | None = None,
               limit: int = DEFAULT_PAGE) -> tuple[list[RegistrationView], str | None]:
    """A page of the organiser's list, in the order people registered, each with the
    person's live eligibility, and the cursor of the next page."""
    e = _organised(session, event_id, actor)
    rows, nxt = page(session, select(EventRegistration).where(
        EventRegistration.event_id == e.id),
        [EventRegistration.registered_at, EventRegistration.id], cursor=cursor, limit=limit)
    ids = [r.person_id for r in rows]
    named = standing.names(session, ids, actor=actor, purpose="event_attendance")
    known = standing.standings(session, e, ids)
    out = [_registration_view(r, named[r.person_id], known[r.person_id]) for r in rows]
    _audit(session, actor, "event:attendance", "sharing_event", e.id, count=len(out))
    return out, nxt


def check_in(session: Session, registration_id: str, *, actor: Actor) -> EventRegistration:
    """At the door: the rule is checked again; a person it no longer admits is turned
    away with the reasons (and the refusal is recorded)."""
    actor.require(Permission.SHARING_EVENT_MANAGE)
    r = get_by_id(session, EventRegistration, registration_id, for_update=True)
    e = session.get(SharingEvent, r.event_id) if r else None
    if r is None or not manages(actor, e.organiser_id):
        raise NotFound("registration not found")
    if r.checked_in_at is not None:
        raise Conflict("already checked in", field="registration")
    el = eligibility(session, e, r.person_id)
    if not el.eligible:
        raise ValidationFailed([("person", code) for code in el.reasons])
    r.checked_in_at, r.checked_in_by = utcnow(), actor.id
    _audit(session, actor, "event:check-in", "event_registration", r.id, event=e.id)
    return r


def registration_view(session: Session, r: EventRegistration) -> RegistrationView:
    e = session.get(SharingEvent, r.event_id)
    return _registration_view(r, person_name(session, r.person_id),
                              eligibility(session, e, r.person_id))


# --- materials ---------------------------------------------------------------------------------


def add_material(session: Session, event_id: str, data: FileCreate, *,
                 actor: Actor) -> SharedFile:
    e = _organised(session, event_id, actor)
    content = decode_file(data)
    f = SharedFile(id=new_id(), event_id=e.id, title=data.title, filename=data.filename,
                   content_type=data.content_type, size=len(content), content=content,
                   level=data.level, tlp=data.tlp, uploaded_by=actor.id)
    session.add(f)
    session.flush()
    _audit(session, actor, "event:material", "shared_file", f.id, event=e.id, level=f.level)
    return f


def attendee_access(session: Session, event_id: str, *, actor: Actor
                    ) -> tuple[SharingEvent, frozenset[str]]:
    """A registered person whom the rule admits today, and the levels they may read."""
    actor.require(Permission.SHARING_EVENT_ATTEND)
    e = read_event(session, event_id, actor=actor)
    if _registration(session, e.id, actor.person_id) is None:
        raise Forbidden("not registered for this event")
    s, kind = subject(session, actor.person_id)
    rule, ctx = rule_of(e), context()
    el = rules.eligibility(rule, s, kind, ctx)
    if not el.eligible:
        raise Forbidden("access to this event has ended: " + ", ".join(el.reasons))
    return e, rules.visible_levels(rule, s, ctx)


def list_materials(session: Session, event_id: str, *, actor: Actor,
                   cursor: str | None = None, limit: int = DEFAULT_PAGE
                   ) -> tuple[list[SharedFile], str | None]:
    """A page of the materials the attendee may read, oldest first (their contents not
    read), and the cursor of the next page."""
    e, levels = attendee_access(session, event_id, actor=actor)
    return page(session, select(SharedFile).options(defer(SharedFile.content)).where(
        SharedFile.event_id == e.id, SharedFile.level.in_(sorted(levels))),
        [SharedFile.created_at, SharedFile.id], cursor=cursor, limit=limit)


def read_material(session: Session, file_id: str, *, actor: Actor) -> SharedFile:
    actor.require(Permission.SHARING_EVENT_ATTEND)
    f = get_by_id(session, SharedFile, file_id)
    if f is None or f.event_id is None:
        raise NotFound("material not found")
    try:
        _e, levels = attendee_access(session, f.event_id, actor=actor)
    except Forbidden:
        raise NotFound("material not found") from None
    if f.level not in levels:
        raise NotFound("material not found")
    _audit(session, actor, "event:download", "shared_file", f.id)
    return f


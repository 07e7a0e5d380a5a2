"""Tear-lines: from a classified report the agency derives a releasable version (CUI or
TLP:AMBER, the named sensitive parts removed) for uncleared security staff, linked to its
source; a second official, never its author, approves it before release."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access.rules import CESI, CUI, RANKS
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page_kept
from hozen.sharing import intel, stix, taxii
from hozen.sharing.intel_models import StixObject, TearLine
from hozen.sharing.intel_schemas import ReviewDecision, TearLineCreate


def _audit(session: Session, actor: Actor, verb: str, t: TearLine, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"sharing:tearline:{verb}",
           subject_type="intel_tearline", subject_id=t.id,
           details={"source": t.source_id, "target": t.target} | details)


def derive(session: Session, data: TearLineCreate, *, actor: Actor) -> TearLine:
    """A tear-line of a classified object the author may read, for a collection of at
    most CUI that the author may also read; pending a second official's approval."""
    actor.require(Permission.INTEL_TEARLINE_CREATE)
    r, c, source = intel.read_object(session, data.source_id, actor=actor)
    if not r.government:
        raise NotFound("object not found")
    if max(source.level_rank, RANKS[c.level]) < CESI:
        raise ValidationFailed([("source_id", "tearline_source_not_classified")])
    try:
        target = taxii.get_collection(session, r, data.collection_id)
    except NotFound:
        raise ValidationFailed([("collection_id", "collection_unknown")]) from None
    if RANKS[target.level] > CUI:
        raise ValidationFailed([("collection_id", "collection_classified")])
    now = stix.format_timestamp(utcnow())[:-4] + "Z"  # milliseconds, as STIX writes them
    try:
        body = stix.tear_line(source.body, data.remove, data.target,
                              taxii.marking_registry(session, target), str(uuid.uuid4()), now)
    except stix.Invalid as exc:
        raise ValidationFailed([("remove", "invalid")], detail=str(exc)) from None
    t = TearLine(id=new_id(), source_id=source.id, collection_id=target.id,
                 target=data.target, removed=sorted(set(data.remove)), body=body,
                 status="pending", author_id=actor.id)
    session.add(t)
    session.flush()
    _audit(session, actor, "derive", t, removed=t.removed, collection=target.id)
    for user_id in users_with_role(session, [actor.organisation_id], Role.APPROVING_OFFICIAL):
        notify(session, user_id, "tearline_pending", {"target": t.target, "tearline": t.id},
               f"tearline_pending:{t.id}:{user_id}")
    return t


def read(session: Session, tearline_id: str, *, actor: Actor,
         for_update: bool = False) -> TearLine:
    """A tear-line of the actor's agency whose source the actor may read."""
    if not (actor.can(Permission.INTEL_TEARLINE_CREATE)
            or actor.can(Permission.INTEL_TEARLINE_APPROVE)):
        raise NotFound("tear-line not found")
    t = get_by_id(session, TearLine, tearline_id, for_update=for_update)
    if t is None:
        raise NotFound("tear-line not found")
    intel.read_object(session, t.source_id, actor=actor)  # not found unless readable
    return t


def awaiting(session: Session, *, actor: Actor, cursor: str | None = None,
             limit: int = DEFAULT_PAGE) -> tuple[list[TearLine], str | None]:
    """A page of the tear-lines awaiting a second official whose source the approver may
    read, oldest first, and the cursor of the next page."""
    actor.require(Permission.INTEL_TEARLINE_APPROVE)

    def readable(t: TearLine) -> bool:
        try:
            intel.read_object(session, t.source_id, actor=actor)
        except NotFound:
            return False
        return True

    return page_kept(session, select(TearLine).where(TearLine.status == "pending"),
                     [TearLine.created_at, TearLine.id], readable, cursor=cursor, limit=limit)


def decide(session: Session, tearline_id: str, data: ReviewDecision, *,
           actor: Actor) -> TearLine:
    """A second official approves (the tear-line is released into its collection) or
    refuses with reasons. The author may not decide their own tear-line."""
    actor.require(Permission.INTEL_TEARLINE_APPROVE)
    t = read(session, tearline_id, actor=actor, for_update=True)
    if t.author_id == actor.id:
        raise ValidationFailed([("decided_by", "author_cannot_approve")])
    if t.status != "pending":
        raise Conflict(f"the tear-line is {t.status}", field="status")
    if not data.approve and not data.reasons.strip():
        raise ValidationFailed([("reasons", "required")])
    t.decided_by, t.decided_at, t.reasons = actor.id, utcnow(), data.reasons
    if not data.approve:
        t.status = "refused"
        _audit(session, actor, "refuse", t)
        return t
    marks = stix.markings_of(t.body, taxii.marking_registry(
        session, session.get(taxii.IntelCollection, t.collection_id)))
    released = StixObject(
        id=new_id(), collection_id=t.collection_id, stix_id=t.body["id"],
        stix_type=t.body["type"], version=stix.version_of(t.body), body=t.body,
        date_added=utcnow(), level_rank=marks.rank, programmes="", releasable_to="",
        marking_key=marks.key, tlp=marks.tlp, status="approved", submitted_by=t.author_id,
        submitter_organisation_id=actor.organisation_id,  # the agency releases it
        anonymous=False, reviewed_by=actor.id, reviewed_at=t.decided_at)
    session.add(released)
    session.flush()
    t.status, t.released_id = "released", released.id
    _audit(session, actor, "release", t, released=released.id)
    return t

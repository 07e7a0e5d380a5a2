"""Government at the core (DESIGN R9): the agency runs collections and registers who may
handle their objects; a company's submission to a reviewed collection waits for the
agency's review (pending -> approved or refused, audited) before peers see it."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, page
from hozen.registry.models import Organisation, Person
from hozen.sharing import taxii
from hozen.sharing.intel_models import IntelCollection, IntelCollectionMember, StixObject
from hozen.sharing.intel_schemas import CollectionCreate, ReviewDecision


def _government(session: Session, actor: Actor) -> Organisation:
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if org is None or org.kind != "government_body":
        raise Forbidden("only a government body runs threat intelligence collections")
    return org


def create_collection(session: Session, data: CollectionCreate, *,
                      actor: Actor) -> IntelCollection:
    actor.require(Permission.INTEL_COLLECTION_WRITE)
    org = _government(session, actor)
    c = IntelCollection(id=new_id(), title=data.title, description=data.description,
                        level=data.level, programmes=",".join(data.programmes),
                        releasable_to=",".join(data.releasable_to), organisation_id=org.id,
                        government_run=data.government_run,
                        review_required=data.review_required, created_by=actor.id)
    session.add(c)
    session.flush()
    record(session, actor=actor.audit_name, tag="sharing:intel-collection:create",
           subject_type="intel_collection", subject_id=c.id,
           details={"level": c.level, "programmes": data.programmes,
                    "releasable_to": data.releasable_to, "government_run": c.government_run,
                    "review_required": c.review_required})
    return c


def _own_collection(session: Session, actor: Actor, collection_id: str) -> IntelCollection:
    c = get_by_id(session, IntelCollection, collection_id, for_update=True)
    if c is None or c.organisation_id != actor.organisation_id:
        raise NotFound("collection not found")
    return c


def grant(session: Session, collection_id: str, person_id: str, *,
          actor: Actor) -> IntelCollectionMember:
    """Register a person as a handler of a collection's objects (its access list)."""
    actor.require(Permission.INTEL_COLLECTION_WRITE)
    c = _own_collection(session, actor, collection_id)
    if get_by_id(session, Person, person_id) is None:
        raise ValidationFailed([("person_id", "person_unknown")])
    if session.get(IntelCollectionMember, (c.id, person_id)) is not None:
        raise Conflict("already on the access list", field="person_id")
    m = IntelCollectionMember(collection_id=c.id, person_id=person_id, granted_by=actor.id)
    session.add(m)
    record(session, actor=actor.audit_name, tag="sharing:intel-collection:grant",
           subject_type="intel_collection", subject_id=c.id, details={"person": person_id})
    return m


def managed_collection(session: Session, collection_id: str, *,
                       actor: Actor) -> IntelCollection:
    """A collection the actor's agency runs (its objects stay under the access decision),
    or not found alike."""
    if not actor.can(Permission.INTEL_COLLECTION_WRITE):
        raise NotFound("collection not found")
    c = get_by_id(session, IntelCollection, collection_id)
    if c is None or c.organisation_id != actor.organisation_id:
        raise NotFound("collection not found")
    return c


def access_list(session: Session, collection_id: str, *, actor: Actor,
                cursor: str | None = None,
                limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the persons registered on the agency's own collection, earliest grant
    first (ids only: no personal data is read to list them), and the cursor of the next
    page."""
    actor.require(Permission.INTEL_COLLECTION_WRITE)
    c = get_by_id(session, IntelCollection, collection_id)
    if c is None or c.organisation_id != actor.organisation_id:
        raise NotFound("collection not found")
    rows, nxt = page(session, select(IntelCollectionMember).where(
        IntelCollectionMember.collection_id == c.id),
        [IntelCollectionMember.granted_at, IntelCollectionMember.person_id], cursor=cursor,
        limit=limit)
    return [{"person_id": m.person_id, "granted_at": m.granted_at} for m in rows], nxt


def withdraw(session: Session, collection_id: str, person_id: str, *, actor: Actor) -> None:
    actor.require(Permission.INTEL_COLLECTION_WRITE)
    c = _own_collection(session, actor, collection_id)
    m = session.get(IntelCollectionMember, (c.id, person_id))
    if m is None:
        raise NotFound("not on the access list")
    session.delete(m)
    record(session, actor=actor.audit_name, tag="sharing:intel-collection:withdraw",
           subject_type="intel_collection", subject_id=c.id, details={"person": person_id})


def pending(session: Session, *, actor: Actor, cursor: str | None = None,
            limit: int = DEFAULT_PAGE) -> tuple[list[StixObject], str | None]:
    """A page of the submissions awaiting review in the collections of the reviewer's
    agency that the reviewer may read, oldest first, and the cursor of the next page."""
    actor.require(Permission.INTEL_REVIEW)
    r = taxii.reader(session, actor)
    seen = [taxii.visible_clause(session, r, c) for c in taxii.visible_collections(session, r)
            if c.organisation_id == actor.organisation_id]
    if not seen:
        return [], None
    return page(session, select(StixObject).where(or_(*seen), StixObject.status == "pending"),
                [StixObject.date_added, StixObject.id], cursor=cursor, limit=limit)


def read_object(session: Session, object_pk: str, *, actor: Actor,
                for_update: bool = False) -> tuple[taxii.Reader, IntelCollection, StixObject]:
    """A stored object version the actor may see, or not found alike."""
    r = taxii.reader(session, actor)
    o = get_by_id(session, StixObject, object_pk, for_update=for_update)
    if o is None:
        raise NotFound("object not found")
    c = taxii.get_collection(session, r, o.collection_id)
    if session.scalar(select(StixObject.id).where(
            StixObject.id == o.id, taxii.visible_clause(session, r, c))) is None:
        raise NotFound("object not found")
    return r, c, o


def review(session: Session, object_pk: str, data: ReviewDecision, *,
           actor: Actor) -> StixObject:
    """An official of the collection's agency releases a pending submission to peers, or
    refuses it with reasons."""
    actor.require(Permission.INTEL_REVIEW)
    r, c, o = read_object(session, object_pk, actor=actor, for_update=True)
    if c.organisation_id != actor.organisation_id or not r.government:
        raise NotFound("object not found")
    if o.status != "pending":
        raise Conflict(f"the submission is {o.status}", field="status")
    if not data.approve and not data.reasons.strip():
        raise ValidationFailed([("reasons", "required")])
    o.status = "approved" if data.approve else "refused"
    o.reviewed_by, o.reviewed_at, o.review_reasons = actor.id, utcnow(), data.reasons
    record(session, actor=actor.audit_name,
           tag=f"sharing:intel-submission:{'approve' if data.approve else 'refuse'}",
           subject_type="stix_object", subject_id=o.id,
           details={"stix_id": o.stix_id, "collection": c.id,
                    "submitter_organisation": o.submitter_organisation_id})
    return o


def submitter_shown(r: taxii.Reader, o: StixObject) -> bool:
    """The government, and the submitter's own organisation, see who submitted."""
    return r.government or not o.anonymous or \
        o.submitter_organisation_id == r.actor.organisation_id

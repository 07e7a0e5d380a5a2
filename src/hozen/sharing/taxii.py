"""TAXII 2.1 collections and objects, decided by the one access decision (DESIGN R9).

A collection is seen only by a reader `decide_access` permits for its marking; its access
list (or, for a government-run collection, every cleared member) stands in for the
handler register. Each object is filtered again by its own markings: the distinct marking
digests of a collection are decided once each, and the listing is one SQL query over the
permitted digests, the review state and TLP:RED."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from hozen.access import attributes
from hozen.access import rules as access
from hozen.access.models import Programme
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, split_set, utcnow
from hozen.errors import DomainError, Forbidden, NotFound
from hozen.registry.models import Organisation
from hozen.sharing import stix
from hozen.sharing.intel_models import (
    IntelCollection,
    IntelCollectionMember,
    StixObject,
    TaxiiStatus,
)

MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_OBJECTS = 10_000  # in one envelope


class TaxiiBadRequest(DomainError):
    code = "taxii-bad-request"
    status = 400


def today() -> date:
    return utcnow().date()


@dataclass(frozen=True)
class Reader:
    """Who reads, as the decision needs them: attributes read once per request."""

    actor: Actor
    subject: access.Subject
    government: bool  # employed by a government body: sees submitters and pending ones
    context: access.Context


def reader(session: Session, actor: Actor) -> Reader:
    actor.require(Permission.TAXII_READ)
    day = today()
    if actor.person_id:
        subject = attributes.subject(session, actor.person_id, day)
    else:  # a user who is no registered person holds no clearance: unmarked only
        subject = access.Subject(person_id=f"user:{actor.id}")
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    return Reader(actor, subject, org is not None and org.kind == "government_body",
                  access.Context(day.toordinal(), attributes.system_area_rank()))



def collection_item(c: IntelCollection) -> access.Item:
    return access.Item(item_id=c.id, rank=access.RANKS[c.level],
                       compartments=split_set(c.programmes), releasable=split_set(c.releasable_to))


def object_item(c: IntelCollection, m: stix.Markings) -> access.Item:
    """The collection's marking tightened by the object's own."""
    base = collection_item(c)
    releasable = base.releasable if m.releasable is None else base.releasable & m.releasable
    return access.Item(item_id=c.id, rank=max(base.rank, m.rank),
                       compartments=base.compartments | m.programmes, releasable=releasable)


def _members(session: Session, collection_ids, person_id: str | None) -> set[str]:
    if not person_id or not collection_ids:
        return set()
    return set(session.scalars(select(IntelCollectionMember.collection_id).where(
        IntelCollectionMember.person_id == person_id,
        IntelCollectionMember.collection_id.in_(list(collection_ids)))))


def subject_for(r: Reader, c: IntelCollection, members: set[str]) -> access.Subject:
    """The reader as a handler of the collection's objects when on its access list (a
    government-run collection registers every cleared member)."""
    if c.id in members or c.government_run:
        return replace(r.subject, handles=r.subject.handles | {c.id})
    return r.subject


def decide(r: Reader, c: IntelCollection, members: set[str],
           m: stix.Markings | None = None) -> access.Decision:
    item = collection_item(c) if m is None else object_item(c, m)
    return access.decide_access(subject_for(r, c, members), item, r.context)


def visible_collections(session: Session, r: Reader) -> list[IntelCollection]:
    rows = list(session.scalars(select(IntelCollection).order_by(
        IntelCollection.created_at, IntelCollection.id)))
    members = _members(session, [c.id for c in rows], r.actor.person_id)
    return [c for c in rows if decide(r, c, members).permit]


def get_collection(session: Session, r: Reader, collection_id: str) -> IntelCollection:
    """The collection, or not found alike for a missing one and one the reader may not see."""
    c = get_by_id(session, IntelCollection, collection_id)
    if c is None or not decide(r, c, _members(session, [c.id], r.actor.person_id)).permit:
        raise NotFound("collection not found")
    return c


def can_write(r: Reader, c: IntelCollection) -> bool:
    return r.actor.can(Permission.TAXII_WRITE)


# --- what a reader sees of a collection's objects ----------------------------------------------


def _permitted_keys(session: Session, r: Reader, c: IntelCollection) -> list[str]:
    members = _members(session, [c.id], r.actor.person_id)
    keys = session.scalars(select(StixObject.marking_key).where(
        StixObject.collection_id == c.id).distinct())
    return [k for k in keys if decide(r, c, members, stix.parse_key(k)).permit]


def visible_clause(session: Session, r: Reader, c: IntelCollection, o=StixObject):
    """The SQL condition for the objects of `c` the reader may see."""
    keys = _permitted_keys(session, r, c)
    org = r.actor.organisation_id
    own = o.submitter_organisation_id == org if org else false()
    privileged = or_(true() if r.government else false(), own)
    return and_(
        o.collection_id == c.id,
        o.marking_key.in_(keys) if keys else false(),
        or_(o.status == "approved", privileged),
        or_(o.tlp != "RED", privileged),
        # an anonymous submitter's own identity object is not for peers
        or_(o.anonymous.is_(False), o.stix_type != "identity", privileged),
    )


def served(r: Reader, o: StixObject) -> dict:
    """The object as this reader receives it: anonymous to peers where asked."""
    peer = not r.government and o.submitter_organisation_id != r.actor.organisation_id
    return stix.anonymised(o.body) if o.anonymous and peer else o.body


@dataclass(frozen=True)
class Filters:
    added_after: str | None = None  # normalised timestamp
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    after: tuple[str, str] | None = None  # the `next` cursor: (date_added, row id)


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def parse_filters(params: dict[str, str | None]) -> Filters:
    """TAXII query parameters; a malformed one is a 400 naming it."""
    for name, value in params.items():
        if value and "\x00" in value:  # never reaches SQL (PostgreSQL refuses NUL)
            raise TaxiiBadRequest(f"{name} holds a NUL character", field=name)
    try:
        added = params.get("added_after")
        added_after = stix.normalise_timestamp(added) if added else None
    except ValueError:
        raise TaxiiBadRequest("added_after is not a timestamp", field="added_after") from None
    versions = _list(params.get("match[version]")) or ("last",)
    for v in versions:
        if v not in ("last", "first", "all"):
            try:
                stix.normalise_timestamp(v)
            except ValueError:
                raise TaxiiBadRequest("match[version] is not last, first, all or a timestamp",
                                      field="match[version]") from None
    raw_limit = params.get("limit")
    try:
        limit = DEFAULT_LIMIT if raw_limit in (None, "") else int(raw_limit)
    except ValueError:
        raise TaxiiBadRequest("limit is not a number", field="limit") from None
    if limit < 1:
        raise TaxiiBadRequest("limit must be at least 1", field="limit")
    return Filters(added_after, _list(params.get("match[id]")), _list(params.get("match[type]")),
                   versions, _list(params.get("match[spec_version]")), min(limit, MAX_LIMIT),
                   decode_cursor(params.get("next")))


def encode_cursor(o: StixObject) -> str:
    text = f"{stix.format_timestamp(o.date_added)}|{o.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, row = text.partition("|")
        stix.normalise_timestamp(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise TaxiiBadRequest("next is not a cursor this server gave", field="next") from None
    if not row or len(row) > 36 or "\x00" in row:
        raise TaxiiBadRequest("next is not a cursor this server gave", field="next")
    return stamp, row


def _version_clause(session, r: Reader, c: IntelCollection, f: Filters, vis):
    """match[version]: last (default), first, all, or given versions; last and first among
    the versions this reader may see."""
    if "all" in f.versions:
        return true()
    parts = []
    other = aliased(StixObject)
    for v in f.versions:
        if v in ("last", "first"):
            agg = func.max if v == "last" else func.min
            sub = select(agg(other.version)).where(
                other.stix_id == StixObject.stix_id,
                visible_clause(session, r, c, other)).scalar_subquery()
            parts.append(StixObject.version == sub)
        else:
            parts.append(StixObject.version == stix.normalise_timestamp(v))
    return or_(*parts)


@dataclass
class Page:
    objects: list[StixObject]
    more: bool
    next: str | None


def query_objects(session: Session, r: Reader, c: IntelCollection, f: Filters,
                  *, stix_id: str | None = None, versions_all: bool = False) -> Page:
    vis = visible_clause(session, r, c)
    conds = [vis]
    if f.added_after:
        conds.append(StixObject.date_added > stix.parse_timestamp(f.added_after))
    ids = (stix_id,) if stix_id else f.ids
    if ids:
        conds.append(StixObject.stix_id.in_(ids))
    if f.types:
        conds.append(StixObject.stix_type.in_(f.types))
    if f.spec_versions and "2.1" not in f.spec_versions:
        conds.append(false())
    if not versions_all:
        conds.append(_version_clause(session, r, c, f, vis))
    if f.after:
        stamp, row = f.after
        at = stix.parse_timestamp(stamp)
        conds.append(or_(StixObject.date_added > at,
                         and_(StixObject.date_added == at, StixObject.id > row)))
    rows = list(session.scalars(select(StixObject).where(*conds).order_by(
        StixObject.date_added, StixObject.id).limit(f.limit + 1)))
    more = len(rows) > f.limit
    rows = rows[:f.limit]
    return Page(rows, more, encode_cursor(rows[-1]) if more else None)


def audit_read(session: Session, r: Reader, c: IntelCollection, what: str, count: int) -> None:
    record(session, actor=r.actor.audit_name, tag=f"sharing:taxii:{what}",
           subject_type="intel_collection", subject_id=c.id, details={"count": count})


# --- adding objects ---------------------------------------------------------------------------


def marking_registry(session: Session, c: IntelCollection) -> stix.Registry:
    """The marking definitions a submission to `c` may refer to: hozen's levels, every
    registered programme, the collection's REL TO, and definitions it already holds."""
    codes = list(session.scalars(select(Programme.code)))
    reg = stix.registry(codes, [c.releasable_to] if c.releasable_to else [])
    for body in session.scalars(select(StixObject.body).where(
            StixObject.collection_id == c.id, StixObject.stix_type == "marking-definition")):
        reg.add(body)
    return reg


def _clean(text: str, size: int) -> str:
    """Text from a refused object, fit to store (no NUL: PostgreSQL refuses it)."""
    return text[:size].replace("\x00", "\ufffd")


def _failure(raw: object, message: str, index: int) -> dict:
    ident = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    out = {"id": _clean(ident or f"objects[{index}]", 200), "message": _clean(message, 400)}
    if isinstance(raw, dict) and isinstance(raw.get("modified"), str):
        out["version"] = _clean(raw["modified"], 40)
    return out


def add_objects(session: Session, r: Reader, c: IntelCollection, objects: list, *,
                anonymous: bool = False) -> TaxiiStatus:
    """Validate and store each object of an envelope on its own: a refused object leaves
    nothing behind and is named in the status; a version already held is not stored again.
    A company's submission to a reviewed collection waits for the agency (pending to peers)."""
    if not can_write(r, c):
        raise Forbidden("you may not add objects to this collection")
    if not isinstance(objects, list) or not objects:
        raise TaxiiBadRequest("an envelope needs a list of objects", field="objects")
    if len(objects) > MAX_OBJECTS:
        raise TaxiiBadRequest(f"at most {MAX_OBJECTS} objects per envelope", field="objects")
    reg = marking_registry(session, c)
    for raw in objects:  # definitions in the same envelope may be referred to
        if isinstance(raw, dict) and raw.get("type") == "marking-definition" and isinstance(
                raw.get("id"), str):
            reg.add(raw)
    members = _members(session, [c.id], r.actor.person_id)
    status = "pending" if c.review_required and not r.government else "approved"
    held = _held(session, c, objects)
    successes, failures = [], []
    now = utcnow()
    for index, raw in enumerate(objects):
        try:
            body = stix.validate(raw, reg)
            marks = stix.markings_of(body, reg)
            if not decide(r, c, members, marks).permit:
                raise stix.Invalid("its markings are beyond what you may read")
            version = stix.version_of(body)
        except (stix.Invalid, ValueError) as exc:
            failures.append(_failure(raw, str(exc), index))
            continue
        key = (body["id"], version)
        entry = {"id": body["id"], "version": body.get("modified", body.get("created", ""))}
        if key in held:
            successes.append(entry | {"message": "this version is already held"})
            continue
        try:
            _store(session, StixObject(
                id=new_id(), collection_id=c.id, stix_id=body["id"], stix_type=body["type"],
                version=version, body=body, date_added=now, level_rank=marks.rank,
                programmes=",".join(sorted(marks.programmes)),
                releasable_to="" if marks.releasable is None else ",".join(
                    sorted(marks.releasable)),
                marking_key=marks.key, tlp=marks.tlp, status=status,
                submitted_by=r.actor.id, submitter_organisation_id=r.actor.organisation_id,
                anonymous=anonymous))
        except IntegrityError:  # the same version, stored by a concurrent request
            successes.append(entry | {"message": "this version is already held"})
            continue
        held.add(key)
        successes.append(entry | ({"message": "held for agency review before release to peers"}
                                  if status == "pending" else {}))
    st = TaxiiStatus(id=new_id(), user_id=r.actor.id, collection_id=c.id,
                     request_timestamp=now, successes=successes, failures=failures,
                     pendings=[])
    session.add(st)
    session.flush()
    if status == "pending" and successes:
        _tell_reviewers(session, c, st)
    record(session, actor=r.actor.audit_name, tag="sharing:taxii:add",
           subject_type="intel_collection", subject_id=c.id,
           details={"status": st.id, "stored": len(successes), "refused": len(failures),
                    "review": status == "pending", "anonymous": anonymous})
    return st


def _tell_reviewers(session: Session, c: IntelCollection, st: TaxiiStatus) -> None:
    """The collection's agency reviews company submissions (notices name ids only)."""
    from hozen.accounts.permissions import Role
    from hozen.accounts.services import users_with_role
    from hozen.notifications.services import notify

    for user_id in users_with_role(session, [c.organisation_id], Role.AGENCY_OFFICIAL):
        notify(session, user_id, "intel_submission_pending",
               {"count": len(st.successes), "collection": c.id},
               f"intel_submission_pending:{st.id}:{user_id}")


def _held(session: Session, c: IntelCollection, objects: list) -> set[tuple[str, str]]:
    """The (id, version) pairs the collection already holds of the envelope's ids."""
    ids = sorted({o["id"] for o in objects if isinstance(o, dict)
                  and isinstance(o.get("id"), str) and len(o["id"]) <= 120
                  and "\x00" not in o["id"]})  # PostgreSQL refuses NUL in text
    held: set[tuple[str, str]] = set()
    for start in range(0, len(ids), 500):
        held |= set(session.execute(select(StixObject.stix_id, StixObject.version).where(
            StixObject.collection_id == c.id,
            StixObject.stix_id.in_(ids[start:start + 500]))).all())
    return held


def _store(session: Session, row: StixObject) -> None:
    """One object version in a savepoint of its own: a failure leaves nothing behind."""
    with session.begin_nested():
        session.add(row)
        session.flush()


def get_status(session: Session, r: Reader, status_id: str) -> TaxiiStatus:
    st = get_by_id(session, TaxiiStatus, status_id)
    if st is None or st.user_id != r.actor.id:
        raise NotFound("status not found")
    return st


def status_view(st: TaxiiStatus) -> dict:
    return {"id": st.id, "status": "complete",
            "request_timestamp": stix.format_timestamp(st.request_timestamp),
            "total_count": len(st.successes) + len(st.failures) + len(st.pendings),
            "success_count": len(st.successes), "successes": st.successes,
            "failure_count": len(st.failures), "failures": st.failures,
            "pending_count": len(st.pendings), "pendings": st.pendings}


def collection_view(c: IntelCollection, r: Reader) -> dict:
    return {"id": c.id, "title": c.title, "description": c.description,
            "can_read": True, "can_write": can_write(r, c),
            "media_types": [STIX_MEDIA_TYPE]}


def manifest_entry(o: StixObject) -> dict:
    return {"id": o.stix_id, "date_added": stix.format_timestamp(o.date_added),
            "version": o.body.get("modified", o.body.get("created", "")),
            "media_type": STIX_MEDIA_TYPE}


def check_object_id(value: str) -> str:
    if not isinstance(value, str) or len(value) > 120 or "--" not in value \
            or "\x00" in value:
        raise NotFound("object not found")
    return value

"""Access decisions through hozen: whom a caller may ask about (themself; employers their
own staff; the window and oversight anyone), the attributes read once per person of a
batch, the pure decision, and one compact audit record per request (a batch included)."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy.orm import Session, lazyload

from hozen.access import attributes, cache, rules
from hozen.access.schemas import AccessAnswer, AccessRequest, Reason
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import EMPLOYER_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.db import get_by_id, is_id, utcnow
from hozen.errors import NotFound, ValidationFailed
from hozen.facilities.models import ApprovedArea, Facility
from hozen.facilities.rules import IN_FORCE
from hozen.facilities.services import state_today
from hozen.messages import message
from hozen.ops.metrics import count_decisions
from hozen.registry.models import Person

# Roles that may ask about anyone: the window and those who oversee. Not the system
# administrator: running the platform gives no view of anyone's clearance.
SEE_ALL = frozenset({Role.WINDOW_OFFICER, Role.OVERSIGHT_INSPECTOR, Role.AUDITOR})


def may_ask_about(actor: Actor, person: Person | Asked) -> bool:
    return actor.is_system or bool(actor.roles & SEE_ALL) or actor.person_id == person.id \
        or (bool(actor.roles & EMPLOYER_ROLES) and actor.organisation_id is not None
            and person.employer_id == actor.organisation_id)


class Asked(NamedTuple):
    """Whom a decision is about: enough to tell whether the caller may ask."""

    id: str
    employer_id: str | None


def _person(session: Session, actor: Actor, person_id: str,
            tags: dict[str, str] | None = None) -> Asked:
    """The person asked about, if the caller may ask (else not found); cached while the
    person's epoch stands (`tags`: epochs already read, else read now)."""
    def load() -> Asked | None:
        # Only the id and employer are needed here: nationalities load if someone asks.
        row = session.get(Person, person_id, options=[lazyload(Person.nationalities)])
        return Asked(row.id, row.employer_id) if row is not None else None

    person = None
    if is_id(person_id):
        tags = cache.epochs(session, [person_id]) if tags is None else tags
        person = cache.askable.get(person_id, tags.get(cache.person_scope(person_id)), load)
    if person is None or not may_ask_about(actor, person):
        raise NotFound("person not found")
    return person


def _area_rank(session: Session, person: Asked, area_id: str | None, field: str,
               today: date) -> int:
    """The level of the area of access: an approved area of the person's organisation
    (its certification in force) or, for a visitor, of the host of their approved visit;
    else hozen's own registered IT system."""
    from hozen.reciprocity.visits import on_visit

    if area_id is None:
        return attributes.system_area_rank()
    area = get_by_id(session, ApprovedArea, area_id) if is_id(area_id) else None
    f = session.get(Facility, area.facility_id) if area else None
    if area is None or f is None or (f.organisation_id != person.employer_id and getattr(
            on_visit(session, person.id, today), "area_id", None) != area.id):
        raise ValidationFailed([(field, "area_unknown")])
    if area.withdrawn_on is not None or state_today(f, today) not in IN_FORCE:
        return 0
    return rules.RANKS[area.level]


def reasons(codes: tuple[str, ...], lang: str) -> list[Reason]:
    """Each code with its message in `lang`, looked up only now that it is shown."""
    from hozen.web.i18n import translations

    tr = translations(lang)
    return [Reason(code=c, message=tr.gettext(message(c))) for c in codes]


def decide_many(session: Session, requests: list[AccessRequest], *, actor: Actor,
                lang: str = "ja", tags: dict[str, str] | None = None,
                audit: bool = True) -> list[AccessAnswer]:
    """Decide each request (a person's attributes read once); refuse the whole batch,
    naming the request, if any person or item is unknown to the caller. `tags`: the
    decision epochs, if already read in this transaction for these people. `audit`:
    record the decisions as one event (else the caller records them, in the same
    transaction: record_decisions)."""
    actor.require(Permission.ACCESS_CHECK)
    today = utcnow().date()
    ctx_day = today.toordinal()
    people: dict[str, tuple[Asked, rules.Subject]] = {}
    items: dict[str, rules.Item] = {}
    out: list[AccessAnswer] = []
    if tags is None:
        tags = cache.epochs(session, {r.person_id for r in requests if is_id(r.person_id)})
    for n, req in enumerate(requests):
        prefix = f"requests.{n}." if len(requests) > 1 else ""
        if req.person_id not in people:
            try:
                person = _person(session, actor, req.person_id, tags)
            except NotFound:
                if len(requests) == 1:
                    raise
                raise ValidationFailed([(prefix + "person_id", "person_unknown")]) from None
            people[req.person_id] = (person, attributes.subject(session, person.id, today, tags))
        person, subject = people[req.person_id]
        if req.item_id not in items:
            try:
                items[req.item_id] = attributes.item(session, req.item_id, today, tags)
            except LookupError:
                raise ValidationFailed([(prefix + "item_id", "no_such_item")]) from None
        area = _area_rank(session, person, req.area_id, prefix + "area_id", today)
        d = rules.decide_access(subject, items[req.item_id], rules.Context(ctx_day, area))
        out.append(AccessAnswer(person_id=person.id, item_id=req.item_id, permit=d.permit,
                                reasons=reasons(d.reasons, lang)))
    if audit:
        record_decisions(session, actor.audit_name, out)
    count_decisions(a.permit for a in out)  # /metrics: decisions by outcome
    return out


def record_decisions(session: Session, actor_name: str, answers: list[AccessAnswer],
                     request_ids: list[str | None] | None = None) -> None:
    """Record decisions taken together as one audit event (decisions_event)."""
    record(session, **decisions_event(actor_name, answers, request_ids))


def decisions_event(actor_name: str, answers: list[AccessAnswer],
                    request_ids: list[str | None] | None = None) -> dict:
    """The audit event of decisions taken together: a batch, or one caller's checks
    decided in one group (hozen.access.batcher), whose requests' ids are listed beside
    the decisions (`request_ids`, in the same order). Each decision: [person, item,
    permit, reason codes]."""
    people = {a.person_id for a in answers}
    details: dict = {"decisions": [[a.person_id, a.item_id, int(a.permit),
                                    [r.code for r in a.reasons]] for a in answers]}
    if request_ids is not None:
        details["request_ids"] = request_ids
    return {"actor": actor_name, "tag": "access:decision", "subject_type": "person",
            "subject_id": next(iter(people)) if len(people) == 1 else None,
            "details": details}


def decide(session: Session, request: AccessRequest, *, actor: Actor,
           lang: str = "ja") -> AccessAnswer:
    return decide_many(session, [request], actor=actor, lang=lang)[0]


def accessible(session: Session, person_id: str, *, actor: Actor, after: str | None = None,
               limit: int = 50) -> dict:
    """The items the person may read through hozen, a page at a time (cursor: the last
    item id of the previous page)."""
    from hozen.access import visible

    actor.require(Permission.ACCESS_CHECK)
    person = _person(session, actor, person_id)
    if after is not None and not is_id(after):
        raise ValidationFailed([("after", "invalid")])
    today = utcnow().date()
    rows = visible.accessible_items(session, attributes.subject(session, person.id, today),
                                    today, after=after, limit=limit + 1)
    page = rows[:limit]
    record(session, actor=actor.audit_name, tag="access:accessible-items",
           subject_type="person", subject_id=person.id, details={"count": len(page)})
    levels = {v: k for k, v in rules.RANKS.items()}
    return {"items": [{"id": i, "title": t, "level": levels[k]} for i, t, k in page],
            "next": page[-1][0] if len(rows) > limit else None}

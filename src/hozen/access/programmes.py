"""Programmes (compartments) and need-to-know: the agency creates a programme with its
participating organisations and countries; an employer adds its own staff, records their
briefing and signed non-disclosure acknowledgement, and ends membership with a
debriefing. Departures (R15) record continuing obligations; people who handled SDS items
or critical technology are followed up by the window for the policy's years."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hozen.access.models import Departure, FollowUpContact, Membership, Programme
from hozen.access.schemas import (
    Briefing,
    DepartureCreate,
    FollowUpCreate,
    MemberAdd,
    ProgrammeCreate,
)
from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import EMPLOYER_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.clearances.models import Clearance
from hozen.clearances.rules import add_years
from hozen.db import get_by_id, is_id, new_id, split_list, utcnow
from hozen.designations.models import Designation, Item
from hozen.designations.services import GOVERNMENT_ROLES
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.facilities.models import Handler
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, every, page
from hozen.policy import get_policy
from hozen.registry.models import Country, Organisation, Person

CRITICAL_CATEGORIES = ("key_technologies",)  # designations of critical technology


def today() -> date:
    return utcnow().date()


def _audit(session: Session, actor: Actor, verb: str, subject_type: str, subject_id: str,
           **details) -> None:
    record(session, actor=actor.audit_name, tag=f"access:{verb}", subject_type=subject_type,
           subject_id=subject_id, details=details)



# --- programmes ------------------------------------------------------------------------------


def create_programme(session: Session, data: ProgrammeCreate, *, actor: Actor) -> Programme:
    actor.require(Permission.PROGRAMMES_WRITE)
    agency = get_by_id(session, Organisation, actor.organisation_id)
    if agency is None or agency.kind != "government_body":
        raise ValidationFailed([("agency", "designating_agency_required")])
    known = set(session.scalars(select(Country.code).where(Country.code.in_(data.countries))))
    errors = [(f"countries.{i}", "country_unknown") for i, c in enumerate(data.countries)
              if c not in known]
    orgs = set(session.scalars(select(Organisation.id).where(
        Organisation.id.in_([o for o in data.organisations if is_id(o)]))))
    errors += [(f"organisations.{i}", "organisation_unknown")
               for i, o in enumerate(data.organisations) if o not in orgs]
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(Programme.id).where(Programme.code == data.code)):
        raise Conflict("a programme with this code exists", field="code")
    p = Programme(id=new_id(), code=data.code, name_ja=data.name_ja, name_en=data.name_en,
                  agency_id=agency.id, countries=",".join(sorted(set(data.countries))),
                  organisations=",".join(sorted(set(data.organisations) | {agency.id})),
                  created_by=actor.id)
    session.add(p)
    session.flush()
    _audit(session, actor, "programme:create", "programme", p.id, code=p.code)
    return p


def _sees_all(actor: Actor) -> bool:
    return actor.is_system or bool(actor.roles & GOVERNMENT_ROLES)


def access_programme(session: Session, actor: Actor, programme_id: str) -> Programme:
    """Government roles see every programme; others those their organisation takes part
    in."""
    if not actor.can(Permission.PROGRAMMES_READ) or not is_id(programme_id):
        raise NotFound("programme not found")
    p = get_by_id(session, Programme, programme_id)
    if p is None or not (_sees_all(actor) or actor.organisation_id in split_list(p.organisations)):
        raise NotFound("programme not found")
    return p


def programme_views(session: Session, rows: list[Programme], actor: Actor) -> list[dict]:
    """The programmes and their members (all of them for government roles, the caller's
    own staff for an employer): the members of every programme read in one statement."""
    members: dict[str, list[dict]] = {p.id: [] for p in rows}
    if rows:
        q = select(Membership, Person.employer_id).join(Person).where(
            Membership.programme_id.in_(list(members))).order_by(Membership.added_on,
                                                                  Membership.id)
        if not _sees_all(actor):
            q = q.where(Person.employer_id == actor.organisation_id)
        for m, org in session.execute(q):
            members[m.programme_id].append({
                "id": m.id, "person_id": m.person_id, "organisation_id": org,
                "added_on": m.added_on, "briefed_on": m.briefed_on,
                "nda_signed_on": m.nda_signed_on, "ended_on": m.ended_on,
                "need_to_know": m.ended_on is None and m.briefed_on is not None
                and m.nda_signed_on is not None})
    return [{"id": p.id, "code": p.code, "name_ja": p.name_ja, "name_en": p.name_en,
             "agency_id": p.agency_id, "countries": split_list(p.countries),
             "organisations": split_list(p.organisations), "members": members[p.id]}
            for p in rows]


def programme_view(session: Session, p: Programme, actor: Actor) -> dict:
    """The programme and its members (see programme_views)."""
    return programme_views(session, [p], actor)[0]


def list_programmes(session: Session, *, actor: Actor, cursor: str | None = None,
                    limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the programmes the caller may see, by code, and the next page's cursor."""
    actor.require(Permission.PROGRAMMES_READ)
    q = select(Programme)
    if not _sees_all(actor):
        q = q.where(Programme.organisations.contains(actor.organisation_id or "-"))
    rows, nxt = page(session, q, [Programme.code], cursor=cursor, limit=limit)
    return programme_views(session, rows, actor), nxt


def _own_staff(session: Session, actor: Actor, person_id: str, field: str) -> Person:
    person = get_by_id(session, Person, person_id) if is_id(person_id) else None
    if person is None or not (actor.is_system or (
            actor.roles & EMPLOYER_ROLES and person.employer_id == actor.organisation_id)):
        raise ValidationFailed([(field, "not_own_staff")])
    return person


def add_member(session: Session, programme_id: str, data: MemberAdd, *,
               actor: Actor) -> Membership:
    """An employer taking part in the programme adds one of its own staff; need-to-know
    follows only the briefing."""
    actor.require(Permission.PROGRAMMES_BRIEF)
    p = access_programme(session, actor, programme_id)
    person = _own_staff(session, actor, data.person_id, "person_id")
    if person.employer_id not in split_list(p.organisations):
        raise ValidationFailed([("person_id", "organisation_not_in_programme")])
    if session.scalar(select(Membership.id).where(Membership.programme_id == p.id,
                                                  Membership.person_id == person.id,
                                                  Membership.ended_on.is_(None))):
        raise Conflict("the person is already a member", field="person_id")
    m = Membership(id=new_id(), programme_id=p.id, person_id=person.id, added_on=today(),
                   added_by=actor.id)
    session.add(m)
    session.flush()
    _audit(session, actor, "membership:add", "person", person.id, programme=p.code,
           membership=m.id)
    return m


def _membership(session: Session, actor: Actor, membership_id: str) -> Membership:
    m = get_by_id(session, Membership, membership_id, for_update=True) \
        if is_id(membership_id) else None
    person = session.get(Person, m.person_id) if m else None
    if m is None or not (actor.is_system or (actor.roles & EMPLOYER_ROLES and
                                             person.employer_id == actor.organisation_id)):
        raise NotFound("membership not found")
    return m


def brief(session: Session, membership_id: str, data: Briefing, *,
          actor: Actor) -> Membership:
    """The briefing and the signed non-disclosure acknowledgement: need-to-know begins."""
    actor.require(Permission.PROGRAMMES_BRIEF)
    m = _membership(session, actor, membership_id)
    if m.ended_on is not None:
        raise Conflict("the membership has ended", field="status")
    errors = [(f, "date_in_future") for f in ("briefed_on", "nda_signed_on")
              if getattr(data, f) > today()]
    if data.briefed_on < m.added_on:
        errors.append(("briefed_on", "before_membership"))
    if errors:
        raise ValidationFailed(errors)
    m.briefed_on, m.nda_signed_on, m.briefed_by = data.briefed_on, data.nda_signed_on, \
        actor.id
    _audit(session, actor, "membership:brief", "person", m.person_id, membership=m.id)
    return m


# --- departures ------------------------------------------------------------------------------


def _handled_sensitive(session: Session, person_id: str) -> bool:
    """Held an SDS clearance, or was a handler of an SDS item or of critical technology."""
    if session.scalar(select(Clearance.id).where(Clearance.person_id == person_id,
                                                 Clearance.regime == "SDS").limit(1)):
        return True
    return session.scalar(select(Handler.id).join(Item, Item.id == Handler.item_id).join(
        Designation, Designation.id == Item.designation_id).where(
        Handler.person_id == person_id,
        or_(Designation.regime == "SDS", Designation.category.in_(CRITICAL_CATEGORIES)))
        .limit(1)) is not None


def record_departure(session: Session, data: DepartureCreate, *,
                     actor: Actor) -> Departure:
    """Leaving a programme ends that membership (the debriefing); leaving the
    organisation ends every membership and handler entry. Continuing obligations are
    recorded; the window follows up people who handled SDS or critical technology."""
    actor.require(Permission.DEPARTURES_RECORD)
    person = _own_staff(session, actor, data.person_id, "person_id")
    day = today()
    if data.departed_on > day:
        raise ValidationFailed([("departed_on", "date_in_future")])
    memberships = select(Membership).where(Membership.person_id == person.id,
                                           Membership.ended_on.is_(None))
    if data.programme_id is not None:
        memberships = memberships.where(Membership.programme_id == data.programme_id)
        if not session.scalar(select(func.count()).select_from(memberships.subquery())):
            raise ValidationFailed([("programme_id", "not_a_member")])
    elif session.scalar(select(Departure.id).where(
            Departure.person_id == person.id, Departure.organisation_id == person.employer_id,
            Departure.programme_id.is_(None))):
        raise Conflict("the person's departure is already recorded", field="person_id")
    for m in session.scalars(memberships.with_for_update()):
        m.ended_on, m.debriefed_by = data.departed_on, actor.id
    if data.programme_id is None:
        for h in session.scalars(select(Handler).where(Handler.person_id == person.id,
                                                       Handler.removed_on.is_(None))):
            h.removed_on = data.departed_on
    years = int(get_policy().retention["departure_followup_years"])
    follow = data.programme_id is None and _handled_sensitive(session, person.id)
    d = Departure(id=new_id(), person_id=person.id, organisation_id=person.employer_id,
                  programme_id=data.programme_id, departed_on=data.departed_on,
                  obligations=data.obligations,
                  follow_up_until=add_years(data.departed_on, years) if follow else None,
                  recorded_by=actor.id)
    session.add(d)
    session.flush()
    _audit(session, actor, "departure:record", "person", person.id, departure=d.id,
           programme=data.programme_id, follow_up=d.follow_up_until is not None)
    return d


def follow_ups(session: Session, *, actor: Actor, on: date | None = None,
               cursor: str | None = None,
               limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """The window's follow-ups in progress, a page at a time, soonest to end first, with
    the last contact of each (read for the page's rows in one statement)."""
    actor.require(Permission.FOLLOW_UP)
    on = on or today()
    rows, nxt = page(session, select(Departure).where(Departure.follow_up_until >= on),
                     [Departure.follow_up_until, Departure.id], cursor=cursor, limit=limit)
    last = dict(session.execute(
        select(FollowUpContact.departure_id, func.max(FollowUpContact.contacted_on))
        .where(FollowUpContact.departure_id.in_([d.id for d in rows]))
        .group_by(FollowUpContact.departure_id)).all()) if rows else {}
    return [{"id": d.id, "person_id": d.person_id, "organisation_id": d.organisation_id,
             "departed_on": d.departed_on, "follow_up_until": d.follow_up_until,
             "obligations": d.obligations, "last_contact": last.get(d.id)}
            for d in rows], nxt


def record_contact(session: Session, departure_id: str, data: FollowUpCreate, *,
                   actor: Actor) -> FollowUpContact:
    actor.require(Permission.FOLLOW_UP)
    d = get_by_id(session, Departure, departure_id) if is_id(departure_id) else None
    if d is None or d.follow_up_until is None:
        raise NotFound("follow-up not found")
    if data.contacted_on > today():
        raise ValidationFailed([("contacted_on", "date_in_future")])
    c = FollowUpContact(id=new_id(), departure_id=d.id, contacted_on=data.contacted_on,
                        note=data.note, recorded_by=actor.id)
    session.add(c)
    session.flush()
    _audit(session, actor, "follow-up:contact", "person", d.person_id, departure=d.id)
    return c


def remind_follow_ups(session: Session, day: date, at: datetime) -> int:
    """`hozen jobs run`: a reminder to the window's officers for each follow-up without a
    contact in the past year, once per follow-up and year of the period."""
    officers = list(session.scalars(select(User.id).join(UserRole).where(
        UserRole.role == Role.WINDOW_OFFICER.value, User.active.is_(True))))
    sent = 0
    for f in every(follow_ups, session, actor=Actor.system("jobs"), on=day):
        since = f["last_contact"] or f["departed_on"]
        if (day - since).days < 365:
            continue
        period = (day - f["departed_on"]).days // 365
        for user_id in officers:
            sent += notify(session, user_id, "follow_up_due",
                           {"departed_on": f["departed_on"].isoformat(),
                            "follow_up_until": f["follow_up_until"].isoformat()},
                           f"follow_up_due:{f['id']}:{period}:{user_id}", at)
    return sent

"""The attributes decide_access takes, read from the database: a person's clearance,
employer's certification and FOCI position, handler entries, programmes, training and
departure; an item's effective level, designation state, compartments and releasability.
One person's attributes do not depend on the item, so a batch reads them once; both are
cached per process and read afresh when a change moves their epoch (hozen.access.cache)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from hozen.access import cache
from hozen.access import rules as access
from hozen.access.models import Departure, Membership, Programme
from hozen.clearances.models import Clearance
from hozen.db import split_set
from hozen.designations import rules as designation_rules
from hozen.designations.models import CuiAuthorization, Designation, Item
from hozen.designations.services import status_today
from hozen.facilities import foci_service
from hozen.facilities import rules as facility_rules
from hozen.facilities.models import Facility, Handler, TrainingRecord
from hozen.facilities.services import state_today
from hozen.policy import get_policy
from hozen.reciprocity import services as agreements
from hozen.reciprocity import visits
from hozen.registry.models import Organisation, Person, PersonNationality

RANK = access.RANKS
STATUS_ORDER = {"active": 3, "suspended": 2, "expired": 1, "revoked": 0}


# Built once: a person's attributes take a dozen statements, and building one costs about
# as much as running it (every access check that misses the cache runs them).
_P = bindparam("person_id")
_CLEARANCES = select(Clearance).where(Clearance.person_id == _P)
_CUI = select(CuiAuthorization).where(CuiAuthorization.person_id == _P)
_NATIONALITIES = select(PersonNationality.country_code).where(
    PersonNationality.person_id == _P, PersonNationality.status == "current")
_HANDLES = {employed: select(Handler.item_id).where(
    Handler.person_id == _P, Handler.removed_on.is_(None),
    Handler.organisation_id == bindparam("organisation_id") if employed
    else Handler.organisation_id.is_(None)) for employed in (True, False)}
_MEMBERSHIPS = select(Programme.code, Membership.briefed_on, Membership.nda_signed_on) \
    .join_from(Membership, Programme).where(Membership.person_id == _P,
                                            Membership.ended_on.is_(None))
_TRAINED = select(TrainingRecord.trained_on).where(TrainingRecord.person_id == _P) \
    .order_by(TrainingRecord.trained_on.desc()).limit(1)
_DEPARTED = select(Departure.id).where(
    Departure.person_id == _P, Departure.organisation_id == bindparam("organisation_id"),
    Departure.programme_id.is_(None)).limit(1)
_FACILITIES = select(Facility).where(
    Facility.organisation_id == bindparam("organisation_id"),
    Facility.state.in_([s.value for s in facility_rules.IN_FORCE]))

FRESH = object()  # load_subject: read the employer's facts too, not from the cache


def _best_clearance(session: Session, person_id: str, today: date) -> Clearance | None:
    """The clearance that best serves: active and unexpired first, then the highest."""
    rows = list(session.scalars(_CLEARANCES, {"person_id": person_id}))
    if not rows:
        return None
    return max(rows, key=lambda c: (c.status == "active" and c.valid_until >= today,
                                    RANK[c.regime], STATUS_ORDER.get(c.status, 0),
                                    c.valid_until))


def _cui_current(session: Session, person_id: str, today: date) -> bool:
    from hozen.designations import cui

    return any(cui.view(a, today).current
               for a in session.scalars(_CUI, {"person_id": person_id}))


def _facility(session: Session, organisation_id: str, today: date) -> tuple[int, int, bool]:
    """(certified rank, the rank FOCI allows, SDS needs a national-interest approval) of
    the employer's best certification in force."""
    best = None
    for f in session.scalars(_FACILITIES, {"organisation_id": organisation_id}):
        if state_today(f, today) in facility_rules.IN_FORCE and (
                best is None or RANK[f.level] > RANK[best.level]):
            best = f
    if best is None:
        return 0, access.SDS, False
    foci = foci_service.gate_for(session, best)
    allowed = 0
    for level in ("CESI", "SDS"):
        if not [e for e in foci.gate(level) if e[1] != "national_interest_required"]:
            allowed = RANK[level]
    needs = any(e[1] == "national_interest_required" for e in foci.gate("SDS"))
    return RANK[best.level], allowed, needs


Employer = tuple[bool, int, int, bool]  # a government body; the three of _facility
NO_EMPLOYER: Employer = (False, 0, access.SDS, False)


def _employer(session: Session, organisation_id: str | None, today: date,
              tag=FRESH) -> Employer:
    """What a person's decisions read of their employer, the same for all its staff: kept
    per organisation (hozen.access.cache.employers) while the global epoch (`tag`) stands,
    every table read here moving it; read afresh where `tag` is FRESH."""
    if organisation_id is None:
        return NO_EMPLOYER

    def read() -> Employer:
        org = session.get(Organisation, organisation_id)
        if org is None:
            return NO_EMPLOYER
        return (org.kind == "government_body", *_facility(session, org.id, today))

    return read() if tag is FRESH else cache.employers.get((organisation_id, today), tag, read)


def subject(session: Session, person_id: str, today: date,
            tags: dict[str, str] | None = None) -> access.Subject:
    """The person's attributes today, from the cache while their epochs stand (`tags`:
    epochs already read for a batch, else read now)."""
    tags = cache.epochs(session, [person_id]) if tags is None else tags
    return cache.subjects.get(
        (person_id, today), (tags.get(cache.GLOBAL), tags.get(cache.person_scope(person_id))),
        lambda: load_subject(session, person_id, today, tags.get(cache.GLOBAL)))


def load_subject(session: Session, person_id: str, today: date,
                 employer_tag=FRESH) -> access.Subject:
    """The person's attributes as stored now (their employer's from the per-organisation
    cache under `employer_tag`, the global epoch's token, where one is given)."""
    person = session.get(Person, person_id, options=[lazyload(Person.nationalities)])
    if person is None:
        raise LookupError(person_id)
    employer_id = person.employer_id
    p = {"person_id": person_id, "organisation_id": employer_id}
    nationalities = frozenset(session.scalars(_NATIONALITIES, p))
    c = _best_clearance(session, person_id, today)
    government, facility_rank, foci_rank, national_interest = _employer(
        session, employer_id, today, employer_tag)
    handles = frozenset(session.scalars(_HANDLES[employer_id is not None], p))
    members, briefed = set(), set()
    for code, b, nda in session.execute(_MEMBERSHIPS, p):
        members.add(code)
        if b is not None and nda is not None:
            briefed.add(code)
    last = session.scalar(_TRAINED, p)
    months = int(get_policy().facilities["training_refresher_months"])
    departed = employer_id is not None and session.scalar(_DEPARTED, p) is not None
    if nationalities and access.HOME not in nationalities and (
            visit := visits.on_visit(session, person_id, today)) is not None:
        return _visitor(session, person_id, nationalities, employer_id, visit, today)
    foreign = bool(nationalities) and access.HOME not in nationalities
    return access.Subject(
        person_id=person_id, nationalities=nationalities or frozenset({access.HOME}),
        clearance_rank=RANK[c.regime] if c else 0, clearance_status=c.status if c else "",
        clearance_until=c.valid_until.toordinal() if c else 0,
        cui_authorized=_cui_current(session, person_id, today), government=government,
        facility_rank=facility_rank, foci_rank=foci_rank,
        national_interest_needed=national_interest, handles=handles,
        members=frozenset(members), briefed=frozenset(briefed),
        training_due=facility_rules.training_due(last, months).toordinal() if last else 0,
        departed=departed,
        partner_agreement=foreign and agreements.covered(session, nationalities, today))


def _visitor(session: Session, person_id: str, nationalities: frozenset[str],
             employer_id: str | None, v: visits.OnVisit, today: date) -> access.Subject:
    """A partner national during an approved visit: cleared through their government's
    assurance, a briefed member of the visit's programme and a handler of its items
    (their training is their government's). Outside a visit a foreign national is read
    like anyone else and refused with visit_not_approved."""
    facility = visits.facility_level(session, employer_id, today)
    code = v.programme_code
    handles = frozenset(session.scalars(select(Item.id).where(
        ("," + Item.compartments + ",").contains(f",{code},"))))
    return access.Subject(
        person_id=person_id, nationalities=nationalities,
        clearance_rank=RANK[v.level] if v.level else 0,
        clearance_status="active" if v.level else "",
        clearance_until=v.until.toordinal() if v.level else 0,
        facility_rank=RANK[facility] if facility else 0, handles=handles,
        members=frozenset({code}), briefed=frozenset({code}),
        training_due=v.ends_on.toordinal() + 1, visit_approved=True,
        foreign_unrecognised=v.level is None)



def item(session: Session, item_id: str, today: date,
         tags: dict[str, str] | None = None) -> access.Item:
    """The item's attributes today, from the cache while the global epoch stands."""
    tags = cache.epochs(session, []) if tags is None else tags
    return cache.items.get((item_id, today), tags.get(cache.GLOBAL),
                           lambda: load_item(session, item_id, today))


def load_item(session: Session, item_id: str, today: date) -> access.Item:
    row = session.get(Item, item_id)
    if row is None:
        raise LookupError(item_id)
    return item_of(session, row, today)


def item_of(session: Session, row: Item, today: date) -> access.Item:
    d = session.get(Designation, row.designation_id) if row.designation_id else None
    status = status_today(d, today) if d else None
    level = designation_rules.item_level(status, d.regime if d else None,
                                         bool(row.cui_categories),
                                         lifted=row.lifted_on is not None)
    controls = split_set(row.controls)
    releasable = frozenset() if "NOFORN" in controls else split_set(row.releasable_to) | (
        split_set(d.releasable_to) if d and not row.releasable_to else frozenset())
    return access.Item(
        item_id=row.id, rank=RANK[level],
        lapsed=status is designation_rules.Status.PENDING_DISPOSITION,
        compartments=split_set(row.compartments), releasable=releasable)


def system_area_rank() -> int:
    """Access through hozen's pages, API and TAXII happens in its registered IT system."""
    return RANK[str(get_policy().facilities["system_area_level"])]

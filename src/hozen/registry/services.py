"""Registry services: countries, organisations, ownership and people.

Each checks permission, changes state and records the audit event; none commits."""

from __future__ import annotations

import gettext
import json
from datetime import date
from decimal import Decimal

import pycountry
from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from hozen import paging
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.crypto import Keyring, get_keyring
from hozen.db import get_by_id, is_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.paging import page
from hozen.registry import rules
from hozen.registry.models import (
    Country,
    Organisation,
    OwnershipEdge,
    Person,
    PersonNationality,
    PersonSearchToken,
)
from hozen.registry.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
    OwnershipCreate,
    OwnershipUpdate,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
)
from hozen.text import format_era, parse_date

MAX_PAGE = paging.MAX_PAGE



# --- countries ---------------------------------------------------------------------


def sync_countries(session: Session) -> int:
    """Load or refresh ISO 3166-1 countries with Japanese names from pycountry."""
    ja = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"])
    existing = {c.code: c for c in session.scalars(select(Country))}
    for c in pycountry.countries:
        name_en = getattr(c, "common_name", None) or c.name
        name_ja = ja.gettext(c.name)
        row = existing.get(c.alpha_3)
        if row is None:
            session.add(Country(code=c.alpha_3, alpha_2=c.alpha_2, name_en=name_en,
                                name_ja=name_ja))
        elif (row.name_en, row.name_ja) != (name_en, name_ja):
            row.name_en, row.name_ja = name_en, name_ja
    return len(pycountry.countries)


def list_countries(session: Session, *, actor: Actor) -> list[Country]:
    actor.require(Permission.REGISTRY_COUNTRY_READ)
    return list(session.scalars(select(Country).order_by(Country.code)))


def _country_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Country.code)))


# --- organisations -----------------------------------------------------------------


def access_organisation(session: Session, actor: Actor, org_id: str,
                        *, for_update: bool = False) -> Organisation:
    actor.require(Permission.REGISTRY_ORGANISATION_READ)
    if not is_id(org_id):
        raise NotFound("organisation not found")
    q = select(Organisation).where(Organisation.id == org_id)
    org = session.scalar(q.with_for_update(of=Organisation) if for_update else q)
    if org is None:
        raise NotFound("organisation not found")
    return org


def _org_errors(session: Session, org_id: str | None, kind: str, country: str,
                parent_id: str | None, corporate_number: str | None) -> tuple[str | None, list]:
    errors: list[tuple[str, str]] = []
    if session.get(Country, country) is None:
        errors.append(("country_code", "country_unknown"))
    else:
        errors += rules.check_kind_country(kind, country)
    if parent_id is not None:
        if session.get(Organisation, parent_id) is None:
            errors.append(("parent_id", "organisation_unknown"))
        elif org_id is not None:
            parent_of = dict(session.execute(select(Organisation.id, Organisation.parent_id)).all())
            if rules.parent_creates_cycle(org_id, parent_id, parent_of):
                errors.append(("parent_id", "parent_cycle"))
    number, cn_errors = rules.check_corporate_number(corporate_number)
    errors += cn_errors
    if number:
        clash = session.scalar(select(Organisation.id).where(
            Organisation.corporate_number == number, Organisation.id != (org_id or "")))
        if clash:
            errors.append(("corporate_number", "corporate_number_taken"))
    return number, errors


def create_organisation(session: Session, data: OrganisationCreate, *,
                        actor: Actor) -> Organisation:
    actor.require(Permission.REGISTRY_ORGANISATION_WRITE)
    number, errors = _org_errors(session, None, data.kind, data.country_code, data.parent_id,
                                 data.corporate_number)
    if errors:
        raise ValidationFailed(errors)
    org = Organisation(id=new_id(), **data.model_dump(exclude={"corporate_number"}),
                       corporate_number=number)
    session.add(org)
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:organisation:create",
           subject_type="organisation", subject_id=org.id,
           details={"kind": org.kind, "country": org.country_code})
    return org


def update_organisation(session: Session, org_id: str, data: OrganisationUpdate, *,
                        actor: Actor) -> Organisation:
    actor.require(Permission.REGISTRY_ORGANISATION_WRITE)
    org = access_organisation(session, actor, org_id, for_update=True)
    if data.version is not None and data.version != org.version:
        raise Conflict("record changed since it was read", field="version")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    merged = {
        "kind": org.kind, "country_code": org.country_code, "parent_id": org.parent_id,
        "corporate_number": org.corporate_number, **changes,
    }
    number, errors = _org_errors(session, org.id, merged["kind"], merged["country_code"],
                                 merged["parent_id"], merged["corporate_number"])
    if errors:
        raise ValidationFailed(errors)
    for key, value in changes.items():
        setattr(org, key, number if key == "corporate_number" else value)
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:organisation:update",
           subject_type="organisation", subject_id=org.id, details={"fields": sorted(changes)})
    return org


def list_organisations(session: Session, *, actor: Actor, q: str | None = None,
                       kind: str | None = None, cursor: str | None = None,
                       limit: int = 50) -> tuple[list[Organisation], str | None]:
    actor.require(Permission.REGISTRY_ORGANISATION_READ)
    stmt = select(Organisation)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Organisation.name_ja.like(like), Organisation.name_en.ilike(like),
                              Organisation.corporate_number == q.strip()))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    return page(session, stmt, [Organisation.id], cursor=cursor, limit=limit)


# --- ownership ---------------------------------------------------------------------


def _totals(session: Session, owned_id: str, excluding: str | None) -> tuple[Decimal, Decimal]:
    q = select(func.coalesce(func.sum(OwnershipEdge.share_pct), 0),
               func.coalesce(func.sum(OwnershipEdge.voting_pct), 0)).where(
        OwnershipEdge.owned_id == owned_id)
    if excluding:
        q = q.where(OwnershipEdge.id != excluding)
    share, voting = session.execute(q).one()
    return Decimal(share), Decimal(voting)


def create_ownership(session: Session, data: OwnershipCreate, *, actor: Actor) -> OwnershipEdge:
    actor.require(Permission.REGISTRY_OWNERSHIP_WRITE)
    errors: list[tuple[str, str]] = []
    # The lock on the owned organisation serialises changes to its ownership totals.
    owned = session.execute(select(Organisation).where(Organisation.id == data.owned_id)
                            .with_for_update(of=Organisation)).scalar()
    if owned is None:
        errors.append(("owned_id", "organisation_unknown"))
    if (data.owner_organisation_id is None) == (data.owner_person_id is None):
        errors.append(("owner_organisation_id", "owner_required"))
    elif data.owner_organisation_id is not None:
        if session.get(Organisation, data.owner_organisation_id) is None:
            errors.append(("owner_organisation_id", "organisation_unknown"))
        elif data.owner_organisation_id == data.owned_id:
            errors.append(("owner_organisation_id", "owner_is_owned"))
    elif session.get(Person, data.owner_person_id) is None:
        errors.append(("owner_person_id", "person_unknown"))
    if not errors:
        same_owner = (OwnershipEdge.owner_organisation_id == data.owner_organisation_id
                      if data.owner_organisation_id
                      else OwnershipEdge.owner_person_id == data.owner_person_id)
        if session.scalar(select(OwnershipEdge.id).where(
                OwnershipEdge.owned_id == data.owned_id, same_owner)):
            errors.append(("owner_organisation_id" if data.owner_organisation_id
                           else "owner_person_id", "owner_exists"))
    if not errors:
        errors = rules.check_ownership(data.share_pct, data.voting_pct,
                                       *_totals(session, data.owned_id, None))
    if errors:
        raise ValidationFailed(errors)
    edge = OwnershipEdge(id=new_id(), **data.model_dump())
    session.add(edge)
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:ownership:create",
           subject_type="organisation", subject_id=data.owned_id,
           details={"edge": edge.id, "share_pct": str(edge.share_pct),
                    "voting_pct": str(edge.voting_pct)})
    return edge


def _access_edge(session: Session, actor: Actor, edge_id: str) -> OwnershipEdge:
    actor.require(Permission.REGISTRY_OWNERSHIP_READ)
    edge = get_by_id(session, OwnershipEdge, edge_id)
    if edge is None:
        raise NotFound("ownership not found")
    return edge


def update_ownership(session: Session, edge_id: str, data: OwnershipUpdate, *,
                     actor: Actor) -> OwnershipEdge:
    actor.require(Permission.REGISTRY_OWNERSHIP_WRITE)
    edge = _access_edge(session, actor, edge_id)
    session.execute(select(Organisation.id).where(Organisation.id == edge.owned_id)
                    .with_for_update())
    share = data.share_pct if data.share_pct is not None else edge.share_pct
    voting = data.voting_pct if data.voting_pct is not None else edge.voting_pct
    errors = rules.check_ownership(Decimal(share), Decimal(voting),
                                   *_totals(session, edge.owned_id, edge.id))
    if errors:
        raise ValidationFailed(errors)
    edge.share_pct, edge.voting_pct = share, voting
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:ownership:update",
           subject_type="organisation", subject_id=edge.owned_id,
           details={"edge": edge.id, "share_pct": str(share), "voting_pct": str(voting)})
    return edge


def delete_ownership(session: Session, edge_id: str, *, actor: Actor) -> None:
    actor.require(Permission.REGISTRY_OWNERSHIP_WRITE)
    edge = _access_edge(session, actor, edge_id)
    session.delete(edge)
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:ownership:delete",
           subject_type="organisation", subject_id=edge.owned_id, details={"edge": edge_id})


def list_ownership(session: Session, *, actor: Actor, owned_id: str | None = None,
                   owner_organisation_id: str | None = None, cursor: str | None = None,
                   limit: int = paging.DEFAULT_PAGE) -> tuple[list[OwnershipEdge], str | None]:
    """A page of ownership edges (of one owned or owning organisation), oldest first, and
    the cursor of the next page."""
    actor.require(Permission.REGISTRY_OWNERSHIP_READ)
    stmt = select(OwnershipEdge)
    if owned_id:
        stmt = stmt.where(OwnershipEdge.owned_id == owned_id)
    if owner_organisation_id:
        stmt = stmt.where(OwnershipEdge.owner_organisation_id == owner_organisation_id)
    return page(session, stmt, [OwnershipEdge.id], cursor=cursor, limit=limit)


# --- people ------------------------------------------------------------------------


def _aad(person_id: str) -> str:
    return f"hozen:person:{person_id}"


def seal(person_id: str, data: rules.PersonData, ring: Keyring | None = None) -> bytes:
    """A person's record encrypted at rest, bound to their id."""
    doc = {**data.__dict__, "birth_date": data.birth_date.isoformat()}
    return (ring or get_keyring()).encrypt(json.dumps(doc, ensure_ascii=False).encode(),
                                           _aad(person_id))


def _open(person: Person, ring: Keyring | None = None) -> rules.PersonData:
    doc = json.loads((ring or get_keyring()).decrypt(person.pii, _aad(person.id)))
    doc["birth_date"] = date.fromisoformat(doc["birth_date"])
    return rules.PersonData(**doc)


def records_for(session: Session, person_ids: list[str], *, actor: Actor, purpose: str
                ) -> dict[str, rules.PersonData]:
    """The decrypted records of people a service has already found the caller may see
    through its own scope (a visit's visitors, a community's members): the read is
    recorded, naming the service's purpose, like every read of personal data."""
    people = session.scalars(select(Person).where(Person.id.in_(sorted(set(person_ids)))))
    ring = get_keyring()  # once: each call checks the key file for a rotation
    out = {p.id: _open(p, ring) for p in people}
    if out:
        record(session, actor=actor.audit_name, tag="registry:person:read",
               subject_type="person", subject_id=None,
               details={"read": sorted(out), "purpose": purpose})
    return out


def search_tokens(data: rules.PersonData, ring: Keyring | None = None) -> set[bytes]:
    """The keyed hashes a person is found by (names in each script, birth date)."""
    ring = ring or get_keyring()
    values = {ring.blind_index("person.name", k) for k in rules.name_search_keys(data)}
    values.add(ring.blind_index("person.birth", data.birth_date.isoformat()))
    return values


def _tokens(person_id: str, data: rules.PersonData) -> list[PersonSearchToken]:
    """Under each index key being written (two while a key rotation builds its index)."""
    return [PersonSearchToken(person_id=person_id, token=t, key_id=ring.active)
            for ring in get_keyring().indexes() for t in search_tokens(data, ring)]


def _sees_everyone(actor: Actor) -> bool:
    return actor.is_system or bool(actor.roles & WINDOW_ROLES)


def _person_scope(actor: Actor, person=Person):
    """SQL condition for the people this actor may see (deny by default), on `person`
    (the entity or an alias of it)."""
    if _sees_everyone(actor):
        return true()
    conds = []
    if actor.roles & EMPLOYER_ROLES and actor.organisation_id:
        conds.append(person.employer_id == actor.organisation_id)
    if Role.SUBJECT in actor.roles and actor.person_id:
        conds.append(person.id == actor.person_id)
    return or_(*conds) if conds else false()


def access_person(session: Session, actor: Actor, person_id: str,
                  *, for_update: bool = False) -> Person:
    """The person if the actor may see them; NotFound alike for missing and forbidden."""
    if not actor.can(Permission.REGISTRY_PERSON_READ) or not is_id(person_id):
        raise NotFound("person not found")
    q = select(Person).where(Person.id == person_id, _person_scope(actor))
    person = session.scalar(q.with_for_update(of=Person) if for_update else q)
    if person is None:
        raise NotFound("person not found")
    return person


def _public(person: Person, data: rules.PersonData) -> PersonPublic:
    current = [n.country_code for n in person.nationalities if n.status == "current"]
    former = [n.country_code for n in person.nationalities if n.status == "former"]
    return PersonPublic(
        id=person.id, **{k: v for k, v in data.__dict__.items()},
        birth_date_era=format_era(data.birth_date), nationalities=current,
        former_nationalities=former, employer_id=person.employer_id,
        created_at=person.created_at, updated_at=person.updated_at, version=person.version,
    )


def _employer_errors(session: Session, actor: Actor, employer_id: str | None) -> list:
    if employer_id is None:
        return []
    if session.get(Organisation, employer_id) is None:
        return [("employer_id", "organisation_unknown")]
    if not (actor.is_system or actor.roles & WINDOW_ROLES) and (
        employer_id != actor.organisation_id
    ):
        return [("employer_id", "employer_out_of_scope")]
    return []


def _validate_person(session: Session, actor: Actor, raw: dict, current: list[str],
                     former: list[str], *, scoped: bool = True) -> rules.PersonData:
    data, errors = rules.normalise_person(raw, date.today())
    errors += rules.check_nationalities(current, former, _country_codes(session))
    if scoped:
        errors += _employer_errors(session, actor, raw.get("employer_id"))
    if errors or data is None:
        raise ValidationFailed(errors)
    return data


def _set_nationalities(person: Person, current: list[str], former: list[str]) -> None:
    person.nationalities = [PersonNationality(country_code=c, status="current") for c in current]
    person.nationalities += [PersonNationality(country_code=c, status="former") for c in former]


def create_person(session: Session, data: PersonCreate, *, actor: Actor) -> PersonPublic:
    actor.require(Permission.REGISTRY_PERSON_WRITE)
    raw = data.model_dump()
    if raw["employer_id"] is None and actor.roles & EMPLOYER_ROLES and not (
        actor.roles & WINDOW_ROLES
    ):
        raw["employer_id"] = actor.organisation_id
    pdata = _validate_person(session, actor, raw, data.nationalities, data.former_nationalities)
    return _public(*_insert_person(session, actor, raw, pdata, data))


def partner_national_errors(session: Session, data: PersonCreate) -> list:
    """What is wrong with a partner national's details (Latin names expected)."""
    _data, errors = rules.normalise_person(data.model_dump(), date.today())
    errors += rules.check_nationalities(data.nationalities, data.former_nationalities,
                                        _country_codes(session))
    latin = {"family_name_kanji": "family_name_latin", "given_name_kanji": "given_name_latin"}
    return [(latin.get(f, f) if code == "name_required" else f, code) for f, code in errors]


def register_partner_national(session: Session, data: PersonCreate, *,
                              actor: Actor) -> Person:
    """A partner national named in a foreign clearance assurance, registered by the
    partner government's liaison who submits it. The caller (reciprocity) checks the
    liaison's right and the employer; this writes the person as create_person does."""
    raw = data.model_dump()
    pdata = _validate_person(session, actor, raw, data.nationalities,
                             data.former_nationalities, scoped=False)
    return _insert_person(session, actor, raw, pdata, data)[0]


def _insert_person(session: Session, actor: Actor, raw: dict, pdata: rules.PersonData,
                   data: PersonCreate) -> tuple[Person, rules.PersonData]:
    person = Person(id=new_id(), employer_id=raw["employer_id"])
    person.pii = seal(person.id, pdata)
    _set_nationalities(person, data.nationalities, data.former_nationalities)
    session.add(person)
    session.flush()
    session.add_all(_tokens(person.id, pdata))
    record(session, actor=actor.audit_name, tag="registry:person:create", subject_type="person",
           subject_id=person.id, details={"employer_id": person.employer_id})
    return person, pdata


def update_person(session: Session, person_id: str, data: PersonUpdate, *,
                  actor: Actor) -> PersonPublic:
    actor.require(Permission.REGISTRY_PERSON_WRITE)
    person = access_person(session, actor, person_id, for_update=True)
    if data.version is not None and data.version != person.version:
        raise Conflict("record changed since it was read", field="version")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    old = _open(person)
    raw = {**old.__dict__, "employer_id": person.employer_id, **changes}
    current = changes.get("nationalities") or [
        n.country_code for n in person.nationalities if n.status == "current"]
    former = changes.get("former_nationalities")
    if former is None:
        former = [n.country_code for n in person.nationalities if n.status == "former"]
    if "employer_id" not in changes:
        raw.pop("employer_id")  # unchanged employer needs no scope re-check
    pdata = _validate_person(session, actor, raw, current, former)
    if "employer_id" in changes:
        person.employer_id = changes["employer_id"]
    person.pii = seal(person.id, pdata)
    person.updated_at = utcnow()
    _set_nationalities(person, current, former)
    session.query(PersonSearchToken).filter_by(person_id=person.id).delete()
    session.add_all(_tokens(person.id, pdata))
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:person:update", subject_type="person",
           subject_id=person.id, details={"fields": sorted(changes)})
    return _public(person, pdata)


def read_person(session: Session, person_id: str, *, actor: Actor) -> PersonPublic:
    person = access_person(session, actor, person_id)
    record(session, actor=actor.audit_name, tag="registry:person:read", subject_type="person",
           subject_id=person.id)
    return _public(person, _open(person))


def _within(stmt: Select, ranges: list[tuple], after: str | None) -> tuple[Select, list]:
    """`stmt` narrowed to the people in every range, and the key to page it by. A range
    is (an alias, its person-id column, its conditions), read as an index range in
    person-id order, the list's own, starting after the cursor: a search token's
    (token, person_id) entries, one employer's (employer_id, id) (migration 0029). A page
    of a name thousands share, at an employer thousands work for, is where the ranges
    first meet (PostgreSQL merges them, or probes the smaller's ids in the other), never
    sorted out of all of them; each person's own row is read only once on the page."""
    key = Person.id
    for n, (alias, person_id, conds) in enumerate(ranges):
        on = [person_id == Person.id, *conds]
        if n == 0:  # the same id, ordered by the index itself (SQLite would sort person.id)
            key = person_id.label("id")  # page() bounds it by the cursor
        elif after is not None:  # the planner carries no `>` across a join's equality
            on.append(person_id > after)
        stmt = stmt.join(alias, and_(*on))
    return stmt, [key]


def _people_ranges(actor: Actor, tokens: list[bytes], employer_id: str | None
                   ) -> tuple[Select, list]:
    """The people a page is read from, and its ranges: one per search token, then (with
    a token) the actor's scope and the employer filter on an alias of `person` (joined on
    its id: the same row), so that one employer's people are read from the (employer_id,
    id) index alone, not row by row from `person` (the plan a scope on `person` led to).
    Without a token, `person` is read through that index itself."""
    ranges = []
    for n, token in enumerate(tokens):
        held = aliased(PersonSearchToken, name=f"search_token_{n}")
        ranges.append((held, held.person_id, [held.token == token]))
    if not ranges or (employer_id is None and _sees_everyone(actor)):
        stmt = select(Person).where(_person_scope(actor))
        if employer_id is not None:
            stmt = stmt.where(Person.employer_id == employer_id)
        return stmt, ranges
    staff = aliased(Person, name="staff")
    conds = [_person_scope(actor, staff)]
    if employer_id is not None:
        conds.append(staff.employer_id == employer_id)
    return select(Person), [*ranges, (staff, staff.id, conds)]


def list_people(session: Session, *, actor: Actor, q: str | None = None,
                birth_date: str | None = None, employer_id: str | None = None,
                cursor: str | None = None, limit: int = 50
                ) -> tuple[list[PersonPublic], str | None]:
    """Search by exact name (any script, full or family name) and/or birth date through
    the keyed-hash index; every person returned is recorded as read."""
    if not actor.can(Permission.REGISTRY_PERSON_READ):
        return [], None
    ring = get_keyring()
    tokens = []
    if q and q.strip():
        tokens.append(ring.blind_index("person.name", rules.search_key(q)))
    if birth_date and birth_date.strip():
        try:
            iso = parse_date(birth_date).isoformat()
        except ValueError:
            raise ValidationFailed([("birth_date", "date_invalid")]) from None
        tokens.append(ring.blind_index("person.birth", iso))
    stmt, ranges = _people_ranges(actor, tokens, employer_id or None)
    after = paging.decode_cursor(cursor, [Person.id])[0] if cursor else None
    stmt, keys = _within(stmt, ranges, after)
    people, next_cursor = page(session, stmt, keys, cursor=cursor, limit=limit)
    if people:
        record(session, actor=actor.audit_name, tag="registry:person:list",
               subject_type="person", subject_id=None,
               details={"read": [p.id for p in people]})
    return [_public(p, _open(p, ring)) for p in people], next_cursor

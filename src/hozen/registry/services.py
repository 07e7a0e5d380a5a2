"""Registry services: countries, organisations and people (ownership: registry.ownership,
person search: registry.search).

Each checks permission, changes state and records the audit event; none commits."""

from __future__ import annotations

import gettext
import json
from datetime import date

import pycountry
from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session, lazyload

from hozen import paging
from hozen.access.cache import GLOBAL, Cache, epoch
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Permission, Role
from hozen.audit.services import record
from hozen.crypto import Keyring, get_keyring, keyring_for
from hozen.db import is_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.paging import page
from hozen.registry import rules
from hozen.registry.models import (
    Country,
    Organisation,
    Person,
    PersonNationality,
    PersonSearchToken,
)
from hozen.registry.schemas import (
    CountryPublic,
    OrganisationCreate,
    OrganisationUpdate,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
)
from hozen.text import format_era

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


# Every country, read once per process while the global decision epoch stands (a change
# to the country table moves it: hozen.access.cache). 249 rows cost ~1.5 ms through the ORM.
_COUNTRIES = Cache(1)
_COUNTRY_ROWS = select(Country.code, Country.alpha_2, Country.name_en,
                       Country.name_ja).order_by(Country.code)


def _countries(session: Session) -> tuple[CountryPublic, ...]:
    return _COUNTRIES.get("all", epoch(session, GLOBAL), lambda: tuple(
        CountryPublic.model_validate(row._mapping) for row in session.execute(_COUNTRY_ROWS)))


def list_countries(session: Session, *, actor: Actor) -> list[CountryPublic]:
    actor.require(Permission.REGISTRY_COUNTRY_READ)
    return list(_countries(session))


def _country_codes(session: Session) -> set[str]:
    return {c.code for c in _countries(session)}


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


def _tokens(ring: Keyring, person_id: str, data: rules.PersonData) -> list[PersonSearchToken]:
    """Under each index key being written (two while a key rotation builds its index)."""
    return [PersonSearchToken(person_id=person_id, token=t, key_id=r.active)
            for r in ring.indexes() for t in search_tokens(data, r)]


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
    """The person if the actor may see them; NotFound alike for missing and forbidden.
    Their nationalities are read only if asked for (most callers only check access)."""
    if not actor.can(Permission.REGISTRY_PERSON_READ) or not is_id(person_id):
        raise NotFound("person not found")
    q = select(Person).options(lazyload(Person.nationalities)).where(
        Person.id == person_id, _person_scope(actor))
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
    ring = keyring_for(session)  # the key state, held until the commit (key rotation)
    person = Person(id=new_id(), employer_id=raw["employer_id"])
    person.pii = seal(person.id, pdata, ring)
    _set_nationalities(person, data.nationalities, data.former_nationalities)
    session.add(person)
    session.flush()
    session.add_all(_tokens(ring, person.id, pdata))
    record(session, actor=actor.audit_name, tag="registry:person:create", subject_type="person",
           subject_id=person.id, details={"employer_id": person.employer_id})
    return person, pdata


def update_person(session: Session, person_id: str, data: PersonUpdate, *,
                  actor: Actor) -> PersonPublic:
    actor.require(Permission.REGISTRY_PERSON_WRITE)
    ring = keyring_for(session)  # before the row lock: the order a key rotation's step uses
    person = access_person(session, actor, person_id, for_update=True)
    if data.version is not None and data.version != person.version:
        raise Conflict("record changed since it was read", field="version")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    old = _open(person, ring)
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
    person.pii = seal(person.id, pdata, ring)
    person.updated_at = utcnow()
    _set_nationalities(person, current, former)
    session.query(PersonSearchToken).filter_by(person_id=person.id).delete()
    session.add_all(_tokens(ring, person.id, pdata))
    session.flush()
    record(session, actor=actor.audit_name, tag="registry:person:update", subject_type="person",
           subject_id=person.id, details={"fields": sorted(changes)})
    return _public(person, pdata)


def read_person(session: Session, person_id: str, *, actor: Actor) -> PersonPublic:
    person = access_person(session, actor, person_id)
    record(session, actor=actor.audit_name, tag="registry:person:read", subject_type="person",
           subject_id=person.id)
    return _public(person, _open(person))

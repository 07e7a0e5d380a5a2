"""Foreign clearance assurances: a partner government's liaison states that a named
national holds a clearance, or a partner company a facility clearance, at a partner
level until a date. hozen maps the level through the liaison's country's agreement,
never upwards beyond the table, and records the source (the liaison and the partner's
own reference). A liaison sees only their own government's assurances."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access.rules import HOME  # a Japanese national is assessed at home
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import rules
from hozen.reciprocity.models import Agreement, ForeignAssurance
from hozen.reciprocity.schemas import (
    AssuranceView,
    FacilityAssuranceCreate,
    PersonnelAssuranceCreate,
)
from hozen.reciprocity.services import as_rule, today
from hozen.registry import services as registry
from hozen.registry.models import Organisation, PersonNationality


def _audit(session: Session, actor: Actor, verb: str, a: ForeignAssurance, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"reciprocity:assurance:{verb}",
           subject_type="foreign_assurance", subject_id=a.id,
           details={"kind": a.kind, "person": a.person_id,
                    "organisation": a.organisation_id} | details)


def liaison_country(session: Session, actor: Actor) -> str | None:
    """The country whose government the liaison speaks for (None: not a liaison of a
    foreign government)."""
    org = get_by_id(session, Organisation, actor.organisation_id)
    ok = org is not None and org.kind == "foreign_government" and \
        Role.FOREIGN_LIAISON in actor.roles
    return org.country_code if ok else None


def liaison_agreement(session: Session, actor: Actor) -> Agreement:
    """The agreement of the liaison's own government (its organisation's country)."""
    country = liaison_country(session, actor)
    row = session.scalar(select(Agreement).where(Agreement.partner == country)) \
        if country else None
    if row is None:
        raise ValidationFailed([("partner", "no_agreement_with_partner")])
    return row


def nationalities(session: Session, person_id: str) -> frozenset[str]:
    return frozenset(session.scalars(select(PersonNationality.country_code).where(
        PersonNationality.person_id == person_id, PersonNationality.status == "current")))


def _partner_company(session: Session, organisation_id: str | None, field: str) -> list:
    org = get_by_id(session, Organisation, organisation_id)
    if org is None:
        return [(field, "organisation_unknown")]
    if org.kind != "foreign_company":
        return [(field, "not_a_partner_company")]
    return []


def _mapped(a: rules.Agreement, partner_level: str, valid_until: date,
            errors: list) -> str:
    level, mapping = rules.hozen_level(a, partner_level, today())
    errors += [("partner_level" if f in ("partner_level", "level") else f, code)
               for f, code in mapping]
    if valid_until < today():
        errors.append(("valid_until", "assurance_expired"))
    return level or ""


def submit_personnel(session: Session, data: PersonnelAssuranceCreate, *,
                     actor: Actor) -> ForeignAssurance:
    actor.require(Permission.RECIPROCITY_ASSURANCE_SUBMIT)
    row = liaison_agreement(session, actor)
    a = as_rule(row)
    errors: list = []
    if (data.person is None) == (data.person_id is None):
        errors.append(("person", "person_or_person_id"))
    elif data.person is not None:
        errors += [(f"person.{f}", code)
                   for f, code in registry.partner_national_errors(session, data.person)]
        errors += _partner_company(session, data.person.employer_id, "person.employer_id")
        if HOME in data.person.nationalities:
            errors.append(("person.nationalities", "japanese_national"))
        elif not any(rules.covers(a, n) for n in data.person.nationalities):
            errors.append(("person.nationalities", "nationality_not_partner"))
    elif not _known_to_partner(session, data.person_id, row.id):
        errors.append(("person_id", "person_unknown"))
    level = _mapped(a, data.partner_level, data.valid_until, errors)
    if errors:
        raise ValidationFailed(errors)
    if data.person is not None:
        person = registry.register_partner_national(session, data.person, actor=actor)
        person_id, employer_id = person.id, person.employer_id
    else:
        person_id = data.person_id
        employer_id = session.scalar(select(ForeignAssurance.organisation_id).where(
            ForeignAssurance.person_id == person_id).limit(1))
    x = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=row.id,
                         person_id=person_id, organisation_id=employer_id,
                         partner_level=data.partner_level, level=level,
                         valid_until=data.valid_until, reference=data.reference,
                         submitted_by=actor.id)
    session.add(x)
    session.flush()
    _audit(session, actor, "submit", x, level=level, partner=row.partner)
    return x


def _known_to_partner(session: Session, person_id: str | None, agreement_id: str) -> bool:
    """A person named in an earlier assurance under the same agreement."""
    return session.scalar(select(ForeignAssurance.id).where(
        ForeignAssurance.person_id == person_id,
        ForeignAssurance.agreement_id == agreement_id).limit(1)) is not None


def submit_facility(session: Session, data: FacilityAssuranceCreate, *,
                    actor: Actor) -> ForeignAssurance:
    actor.require(Permission.RECIPROCITY_ASSURANCE_SUBMIT)
    row = liaison_agreement(session, actor)
    errors = _partner_company(session, data.organisation_id, "organisation_id")
    org = get_by_id(session, Organisation, data.organisation_id)
    if not errors and not rules.covers(as_rule(row), org.country_code):
        errors.append(("organisation_id", "organisation_not_partner"))
    level = _mapped(as_rule(row), data.partner_level, data.valid_until, errors)
    if errors:
        raise ValidationFailed(errors)
    x = ForeignAssurance(id=new_id(), kind="facility", agreement_id=row.id,
                         organisation_id=org.id, partner_level=data.partner_level,
                         level=level, valid_until=data.valid_until,
                         reference=data.reference, submitted_by=actor.id)
    session.add(x)
    session.flush()
    _audit(session, actor, "submit", x, level=level, partner=row.partner)
    return x


def _visible(actor: Actor, row: ForeignAssurance, session: Session) -> bool:
    if actor.is_system or actor.roles - {Role.FOREIGN_LIAISON}:
        return actor.can(Permission.RECIPROCITY_ASSURANCE_READ)
    country = liaison_country(session, actor)
    return country is not None and session.get(Agreement, row.agreement_id).partner == country


def read(session: Session, assurance_id: str, *, actor: Actor,
         for_update: bool = False) -> ForeignAssurance:
    actor.require(Permission.RECIPROCITY_ASSURANCE_READ)
    row = get_by_id(session, ForeignAssurance, assurance_id, for_update=for_update)
    if row is None or not _visible(actor, row, session):
        raise NotFound("assurance not found")
    return row


def list_assurances(session: Session, *, actor: Actor, ids: Iterable[str] | None = None,
                    cursor: str | None = None, limit: int = DEFAULT_PAGE
                    ) -> tuple[list[ForeignAssurance], str | None]:
    """A page of the assurances the actor may see (of `ids` only, when given), newest
    first (ids are time-ordered), and the cursor of the next page."""
    actor.require(Permission.RECIPROCITY_ASSURANCE_READ)
    q = select(ForeignAssurance)
    if ids is not None:
        q = q.where(ForeignAssurance.id.in_(set(ids)))
    if not actor.is_system and not (actor.roles - {Role.FOREIGN_LIAISON}):
        q = q.join(Agreement, Agreement.id == ForeignAssurance.agreement_id).where(
            Agreement.partner == liaison_country(session, actor))
    return page(session, q, [ForeignAssurance.id], cursor=cursor, limit=limit,
                newest_first=True)


def withdraw(session: Session, assurance_id: str, *, actor: Actor) -> ForeignAssurance:
    """The partner withdraws its assurance: from now on it counts for nothing."""
    actor.require(Permission.RECIPROCITY_ASSURANCE_SUBMIT)
    row = read(session, assurance_id, actor=actor, for_update=True)
    if row.withdrawn_at is not None:
        raise Conflict("the assurance has already been withdrawn", field="withdrawn")
    row.withdrawn_at = utcnow()
    _audit(session, actor, "withdraw", row)
    return row


def view(session: Session, row: ForeignAssurance) -> AssuranceView:
    return views(session, [row])[0]


def views(session: Session, rows: list[ForeignAssurance]) -> list[AssuranceView]:
    """The assurances with their partner, in a fixed number of queries."""
    partners = dict(session.execute(select(Agreement.id, Agreement.partner).where(
        Agreement.id.in_({r.agreement_id for r in rows}))).all())
    return [AssuranceView(
        id=row.id, kind=row.kind, partner=partners[row.agreement_id], person_id=row.person_id,
        organisation_id=row.organisation_id, partner_level=row.partner_level, level=row.level,
        valid_until=row.valid_until, reference=row.reference, submitted_at=row.submitted_at,
        withdrawn=row.withdrawn_at is not None) for row in rows]


def recognised(session: Session, row: ForeignAssurance, on: date) -> str | None:
    """The hozen level the assurance counts as on `on`, or None: withdrawn, expired, its
    agreement not in force, or its level no longer in the table."""
    if row.withdrawn_at is not None or row.valid_until < on:
        return None
    level, errors = rules.hozen_level(as_rule(session.get(Agreement, row.agreement_id)),
                                      row.partner_level, on)
    return None if errors else level

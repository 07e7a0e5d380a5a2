"""Outgoing reciprocity (DESIGN.md R7, R16): a hozen clearance presented to a partner in
the partner's own levels, through that partner's agreement table and never upwards
(rules.partner_level). A clearance assurance for one Japanese person; a Request for Visit
laid out like the Multinational Industrial Security Working Group (MISWG) form; the
alternative labels of an item's confidentiality label (ADatP-4774 style).

Nothing here is stored: an assurance or a request is produced on demand, its personal
data read through the registry (each read audited) and the export itself audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access.rules import HOME
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.clearances.models import Clearance
from hozen.clearances.rules import REGIME_RANK, ClearanceStatus, Regime
from hozen.errors import NotFound, ValidationFailed
from hozen.reciprocity import rules
from hozen.reciprocity.models import Agreement
from hozen.reciprocity.services import as_rule, today
from hozen.registry import services as registry
from hozen.registry.models import Organisation, Person
from hozen.registry.schemas import Id, PersonPublic, Strict

# The authority that certifies a hozen clearance to a partner: the government window.
ISSUING_AUTHORITY = "Cabinet Office of Japan (government window for security clearance)"
ISSUING_AUTHORITY_JA = "内閣府（適性評価の一元的窓口）"
Partner = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3,4}$")]
Errors = list[tuple[str, str]]


# --- schemas -------------------------------------------------------------------------------


class OutgoingAssurance(BaseModel):
    """A Japanese person's clearance as the partner reads it."""

    person_id: str
    partner: str
    agreement: str
    name_latin: str
    birth_date: date
    nationality: str
    hozen_level: str
    partner_level: str
    valid_until: date
    issuing_authority: str
    issuing_authority_ja: str
    table_to_be_confirmed: bool = Field(description="The agreement's table is not yet "
                                                    "confirmed by both governments")
    issued_on: date


class OutgoingVisitCreate(Strict):
    """A Request for Visit abroad, for hozen-cleared visitors (MISWG layout)."""

    multiline_fields = frozenset({"purpose", "host_address"})
    partner: Partner
    host_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    host_address: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    kind: Literal["one_time", "recurring"] = "one_time"
    initiative: Literal["government", "commercial"] = "commercial"
    start: date
    end: date
    purpose: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    programme_code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    visitors: Annotated[list[Id], Field(min_length=1, max_length=50,
                                        description="Person ids of the visitors")]


class OutgoingVisitor(BaseModel):
    person_id: str
    name_latin: str
    birth_date: date
    nationality: str
    hozen_level: str
    partner_level: str
    valid_until: date


class OutgoingVisitRequest(BaseModel):
    partner: str
    agreement: str
    table_to_be_confirmed: bool
    requesting_facility: str
    requesting_country: str
    host_name: str
    host_address: str
    kind: str
    initiative: str
    start: date
    end: date
    purpose: str
    programme_code: str | None
    visitors: list[OutgoingVisitor]
    issuing_authority: str
    issued_on: date


# --- pure helpers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    regime: str
    valid_until: date


def best_current(clearances: Iterable[tuple[str, str, date]], on: date) -> Held | None:
    """The highest active, unexpired clearance of (regime, status, valid_until) rows, the
    longest-valid of that level; None when none is current."""
    current = [Held(r, until) for r, status, until in clearances
               if status == ClearanceStatus.ACTIVE.value and on <= until]
    return max(current, key=lambda h: (REGIME_RANK[Regime(h.regime)], h.valid_until),
               default=None)


def latin_name(family: str | None, given: str | None) -> str | None:
    """As a partner's form writes it: FAMILY, Given."""
    return f"{family.upper()}, {given}" if family and given else None


def presentation_errors(a: rules.Agreement, held: Held | None, on: date, field: str
                        ) -> tuple[str | None, Errors]:
    """The partner level a held clearance is presented as, or why it cannot be: not
    cleared, or no equivalent in the table (agreement_not_in_force is the caller's)."""
    if held is None:
        return None, [(field, "person_not_cleared")]
    level, errors = rules.partner_level(a, held.regime, on)
    return level, [(field, code) for _, code in errors if code != "agreement_not_in_force"]


def alternative_labels(agreements: Iterable[rules.Agreement], level: str,
                       countries: Iterable[str], on: date) -> list[dict]:
    """For each releasable country with an agreement in force whose table gives the
    level an equivalent, the partner's alternative label (rules.alternative_label)."""
    by_partner = {a.partner: a for a in agreements}
    out = []
    for country in sorted(set(countries) - {HOME}):
        a = by_partner.get(country)
        if a is not None and not rules.partner_level(a, level, on)[1]:
            out.append(rules.alternative_label(a, level, on))
    return out


def assurance_rows(a: OutgoingAssurance) -> list[list[str]]:
    """The assurance as (section, item, entry) rows for the PDF."""
    tbc = "yes: table to be confirmed" if a.table_to_be_confirmed else "no"
    return [
        ["1. Person", "Name (Latin)", a.name_latin],
        ["1. Person", "Date of birth", a.birth_date.isoformat()],
        ["1. Person", "Nationality", a.nationality],
        ["2. Clearance", "hozen level", a.hozen_level],
        ["2. Clearance", f"Equivalent level ({a.partner})", a.partner_level],
        ["2. Clearance", "Valid until", a.valid_until.isoformat()],
        ["3. Agreement", "Agreement", a.agreement],
        ["3. Agreement", "Table to be confirmed", tbc],
        ["4. Certification", "Issuing authority", a.issuing_authority],
        ["4. Certification", "発行機関", a.issuing_authority_ja],
        ["4. Certification", "Issued on", a.issued_on.isoformat()],
    ]


def visit_rows(v: OutgoingVisitRequest) -> list[list[str]]:
    """The request as (section, item, entry) rows following the MISWG Request for Visit:
    type of request and visit, dates, requesting facility, facility to be visited,
    purpose, particulars of each visitor, certification of their clearances."""
    kind = {"one_time": "One-time", "recurring": "Recurring"}[v.kind]
    rows = [
        ["1. Type of visit request", "Request", kind],
        ["2. Type of visit", "Initiative", f"{v.initiative.capitalize()} initiative"],
        ["3. Date of visit", "From / To", f"{v.start.isoformat()} – {v.end.isoformat()}"],
        ["4. Requesting facility", "Name", v.requesting_facility],
        ["4. Requesting facility", "Country", v.requesting_country],
        ["5. Facility to be visited", "Name", v.host_name],
        ["5. Facility to be visited", "Address", v.host_address],
        ["5. Facility to be visited", "Country", v.partner],
        ["6. Purpose", "Subject and justification", v.purpose],
        ["6. Purpose", "Programme", v.programme_code or "—"],
    ]
    for i, p in enumerate(v.visitors, 1):
        section = f"7. Visitor {i}"
        rows += [
            [section, "Name (Latin)", p.name_latin],
            [section, "Date of birth", p.birth_date.isoformat()],
            [section, "Nationality", p.nationality],
            [section, f"Clearance ({v.partner} level)", p.partner_level],
            [section, "Clearance (hozen level)", p.hozen_level],
            [section, "Clearance valid until", p.valid_until.isoformat()],
        ]
    tbc = " (table to be confirmed)" if v.table_to_be_confirmed else ""
    rows += [["8. Certification of clearances", "Security authority", v.issuing_authority],
             ["8. Certification of clearances", "Agreement", v.agreement + tbc],
             ["8. Certification of clearances", "Issued on", v.issued_on.isoformat()]]
    return rows


# --- services --------------------------------------------------------------------------------


def _agreement(session: Session, partner: str, on: date) -> tuple[rules.Agreement | None,
                                                                    Errors]:
    row = session.scalar(select(Agreement).where(Agreement.partner == partner))
    if row is None:
        return None, [("partner", "no_agreement_with_partner")]
    a = as_rule(row)
    return a, ([] if rules.in_force(a, on) else [("partner", "agreement_not_in_force")])


def _held(session: Session, person_id: str, on: date) -> Held | None:
    return best_current(session.execute(select(
        Clearance.regime, Clearance.status, Clearance.valid_until).where(
        Clearance.person_id == person_id)).all(), on)


def _is_japanese(person: Person) -> bool:
    return any(n.country_code == HOME and n.status == "current" for n in person.nationalities)


def _person_errors(session: Session, person: Person, a: rules.Agreement | None, on: date,
                   field: str) -> tuple[Held | None, str | None, Errors]:
    """What hozen knows without reading personal data: nationality and clearance."""
    errors: Errors = [] if _is_japanese(person) else [(field, "not_japanese_national")]
    held = _held(session, person.id, on)
    level = None
    if a is not None:
        level, more = presentation_errors(a, held, on, field)
        errors += more
    elif held is None:
        errors.append((field, "person_not_cleared"))
    return held, level, errors


def _read(session: Session, people: list[tuple[str, Person]], *,
          actor: Actor) -> list[PersonPublic]:
    """The people's personal data, each read audited by the registry; refused, naming
    every field, when a name is not on record in Latin letters (a partner's form)."""
    read = [registry.read_person(session, person.id, actor=actor) for _, person in people]
    errors = [(field, "latin_name_required") for (field, _), p in zip(people, read,
                                                                     strict=True)
              if latin_name(p.family_name_latin, p.given_name_latin) is None]
    if errors:
        raise ValidationFailed(errors)
    return read


def issue_assurance(session: Session, person_id: str, partner: str, *,
                    actor: Actor) -> OutgoingAssurance:
    """A Japanese person's clearance assurance for a partner: the equivalent level
    through the partner's table; refused when the agreement is not in force or the level
    has no equivalent. Employers issue for their own staff (NotFound for others)."""
    actor.require(Permission.RECIPROCITY_OUTGOING_ASSURANCE)
    person = registry.access_person(session, actor, person_id)
    on = today()
    a, errors = _agreement(session, partner, on)
    held, level, more = _person_errors(session, person, a, on, "person_id")
    if errors + more:
        raise ValidationFailed(errors + more)
    [data] = _read(session, [("person_id", person)], actor=actor)
    record(session, actor=actor.audit_name, tag="reciprocity:outgoing-assurance:issue",
           subject_type="person", subject_id=person.id,
           details={"partner": a.partner, "hozen_level": held.regime,
                    "partner_level": level})
    return OutgoingAssurance(
        person_id=person.id, partner=a.partner, agreement=a.name_en,
        name_latin=latin_name(data.family_name_latin, data.given_name_latin),
        birth_date=data.birth_date, nationality=HOME, hozen_level=held.regime,
        partner_level=level, valid_until=held.valid_until,
        issuing_authority=ISSUING_AUTHORITY, issuing_authority_ja=ISSUING_AUTHORITY_JA,
        table_to_be_confirmed=not a.confirmed, issued_on=on)


def _visitor_errors(session: Session, data: OutgoingVisitCreate, a: rules.Agreement | None,
                    on: date, *, actor: Actor) -> tuple[list, Errors]:
    found, errors, seen = [], [], set()
    for i, person_id in enumerate(data.visitors):
        field = f"visitors.{i}"
        if person_id in seen:
            errors.append((field, "visitor_repeated"))
            continue
        seen.add(person_id)
        try:
            person = registry.access_person(session, actor, person_id)
        except NotFound:  # missing and out of scope alike
            errors.append((field, "person_unknown"))
            continue
        held, level, more = _person_errors(session, person, a, on, field)
        if held is not None and held.valid_until < data.end:
            more.append((field, "clearance_ends_before_visit"))
        errors += more
        found.append((field, person, held, level))
    return found, errors


def export_visit_request(session: Session, data: OutgoingVisitCreate, *,
                         actor: Actor) -> OutgoingVisitRequest:
    """A Request for Visit to a facility abroad. Every visitor must be in the actor's
    scope, Japanese and cleared with an equivalent in the partner's table; every refusal
    is listed by field (visitors.0, ...). Not stored in this step: the request is
    produced for the partner and the export audited."""
    actor.require(Permission.RECIPROCITY_OUTGOING_VISIT)
    on = today()
    shipped = rules.load_reciprocity()
    a, errors = _agreement(session, data.partner, on)
    errors += rules.visit_errors(data.kind, data.start, data.end, on,
                                 shipped.recurring_max_days, shipped.one_time_max_days)
    found, more = _visitor_errors(session, data, a, on, actor=actor)
    if errors + more:
        raise ValidationFailed(errors + more)
    read = _read(session, [(field, person) for field, person, _, _ in found], actor=actor)
    visitors = [OutgoingVisitor(
        person_id=person.id, name_latin=latin_name(p.family_name_latin, p.given_name_latin),
        birth_date=p.birth_date, nationality=HOME, hozen_level=held.regime,
        partner_level=level, valid_until=held.valid_until)
        for (_, person, held, level), p in zip(found, read, strict=True)]
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    record(session, actor=actor.audit_name, tag="reciprocity:outgoing-visit:export",
           subject_type="person", subject_id=None,
           details={"partner": a.partner, "visitors": [v.person_id for v in visitors],
                    "start": data.start.isoformat(), "end": data.end.isoformat()})
    return OutgoingVisitRequest(
        partner=a.partner, agreement=a.name_en, table_to_be_confirmed=not a.confirmed,
        requesting_facility=org.name_en if org else "—",
        requesting_country=org.country_code if org else HOME,
        host_name=data.host_name, host_address=data.host_address, kind=data.kind,
        initiative=data.initiative, start=data.start, end=data.end, purpose=data.purpose,
        programme_code=data.programme_code, visitors=visitors,
        issuing_authority=ISSUING_AUTHORITY, issued_on=on)


def item_alternative_labels(session: Session, level: str, countries: Iterable[str],
                            agreements: dict[str, Agreement] | None = None) -> list[dict]:
    """The alternative labels of an item releasable to `countries`, from the agreements
    as stored (an administrator may have corrected a table); `agreements` by partner,
    when a list has read those of its page's items at once."""
    wanted = sorted(set(countries) - {HOME})
    if not wanted or level not in rules.HOZEN_LEVELS:
        return []
    rows = [agreements[c] for c in wanted if c in agreements] if agreements is not None \
        else session.scalars(select(Agreement).where(Agreement.partner.in_(wanted)))
    return alternative_labels([as_rule(r) for r in rows], level, wanted, today())

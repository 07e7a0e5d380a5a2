"""Originator control (DESIGN): information received from a partner government carries its
originator; passing it to a third party needs that government's recorded consent, and an
incident involving it is reported to that government's liaison.

The designating agency, or the security officer of a holder, asks; the originator's
liaison grants (with the partner's own reference) or refuses, and may withdraw a grant.
Consent is enforced where information can reach a third party at all: a designation's or
an item's releasability may name a third party only under a grant in force (and the
transfer of an item abroad and the access decision both read that releasability)."""

from __future__ import annotations

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session

from hozen.access.rules import HOME
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import users_with_role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.designations.models import Designation
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import assurances, rules
from hozen.reciprocity.models import OriginatorConsent
from hozen.reciprocity.schemas import ConsentCreate, ConsentDecision, ConsentView
from hozen.registry.models import Country, Organisation

OPEN = ("requested", "granted")  # a second request for the same third party is refused
SEES_ALL = frozenset({Role.WINDOW_OFFICER, Role.APPROVING_OFFICIAL, Role.OVERSIGHT_INSPECTOR,
                      Role.AUDITOR, Role.SYSTEM_ADMIN})


def consented(session: Session, designation_id: str) -> frozenset[str]:
    """The third parties the originator has consented to, and not withdrawn."""
    return frozenset(session.scalars(select(OriginatorConsent.third_party).where(
        OriginatorConsent.designation_id == designation_id,
        OriginatorConsent.status == "granted")))


def releasability_errors(session: Session, field: str, d: Designation | None,
                         codes: list[str]) -> list[tuple[str, str]]:
    """Why a releasability list may not stand on this designation's information."""
    if d is None or d.originator_country is None:
        return []
    return rules.third_party_errors(field, d.originator_country, codes,
                                    consented(session, d.id) if d.id else ())


def liaisons(session: Session, country: str) -> list[str]:
    """The users who speak for a partner government: liaisons of its government bodies."""
    governments = session.scalars(select(Organisation.id).where(
        Organisation.kind == "foreign_government", Organisation.country_code == country))
    return users_with_role(session, list(governments), Role.FOREIGN_LIAISON)


def _audit(session: Session, actor: Actor, verb: str, c: OriginatorConsent) -> None:
    record(session, actor=actor.audit_name, tag=f"reciprocity:originator-consent:{verb}",
           subject_type="originator_consent", subject_id=c.id,
           details={"designation": c.designation_id, "originator": c.originator,
                    "third_party": c.third_party, "status": c.status})


def _tell(session: Session, c: OriginatorConsent, kind: str, users: list[str]) -> None:
    d = session.get(Designation, c.designation_id)
    for user_id in users:
        notify(session, user_id, kind, {"reference": d.reference, "third_party": c.third_party,
                                        "originator": c.originator},
               f"{kind}:{c.id}:{c.status}:{user_id}")


def request_consent(session: Session, designation_id: str, data: ConsentCreate, *,
                    actor: Actor) -> OriginatorConsent:
    """The designating agency's official, or a holder's security officer, asks the
    originator's government to consent to passing the information to a third party."""
    from hozen.designations.services import access_designation

    actor.require(Permission.RECIPROCITY_CONSENT_REQUEST)
    d = access_designation(session, actor, designation_id, for_update=True)
    if Role.AGENCY_OFFICIAL in actor.roles and d.agency_id != actor.organisation_id \
            and Role.COMPANY_SECURITY_OFFICER not in actor.roles:
        raise NotFound("designation not found")
    if d.originator_country is None:
        raise ValidationFailed([("designation_id", "no_originator")])
    third = data.third_party
    if third in (d.originator_country, HOME):
        raise ValidationFailed([("third_party", "not_a_third_party")])
    if third != rules.NATO and session.get(Country, third) is None:
        raise ValidationFailed([("third_party", "country_unknown")])
    if session.scalar(select(OriginatorConsent.id).where(
            OriginatorConsent.designation_id == d.id, OriginatorConsent.third_party == third,
            OriginatorConsent.status.in_(OPEN))) is not None:
        raise Conflict("consent for this third party is already asked for or granted",
                       field="third_party")
    c = OriginatorConsent(id=new_id(), designation_id=d.id, originator=d.originator_country,
                          third_party=third, purpose=data.purpose, status="requested",
                          requested_by=actor.id,
                          requesting_organisation_id=actor.organisation_id)
    session.add(c)
    session.flush()
    _audit(session, actor, "request", c)
    _tell(session, c, "originator_consent_requested", liaisons(session, c.originator))
    return c


def askable(session: Session, actor: Actor) -> list[Designation]:
    """The designations of partner information the caller may ask consent for: its
    agency's own, or those its organisation holds."""
    from hozen.designations.services import in_scope

    if not actor.can(Permission.RECIPROCITY_CONSENT_REQUEST) or \
            not actor.can(Permission.DESIGNATIONS_READ):
        return []
    q = select(Designation).where(Designation.originator_country.is_not(None),
                                  in_scope(actor)).order_by(Designation.reference)
    if Role.COMPANY_SECURITY_OFFICER not in actor.roles:
        q = q.where(Designation.agency_id == actor.organisation_id)
    return list(session.scalars(q))


def _requesters(session: Session, c: OriginatorConsent) -> list[str]:
    d = session.get(Designation, c.designation_id)
    return sorted(set(users_with_role(session, [d.agency_id], Role.AGENCY_OFFICIAL))
                  | set(users_with_role(session, [c.requesting_organisation_id],
                                        Role.COMPANY_SECURITY_OFFICER)) | {c.requested_by})


def _own(session: Session, actor: Actor, consent_id: str) -> OriginatorConsent:
    """A consent asked of the caller's own government (liaisons only)."""
    actor.require(Permission.RECIPROCITY_CONSENT_DECIDE)
    c = get_by_id(session, OriginatorConsent, consent_id, for_update=True)
    if c is None or c.originator != assurances.liaison_country(session, actor):
        raise NotFound("consent not found")
    return c


def decide_consent(session: Session, consent_id: str, data: ConsentDecision, *,
                   actor: Actor) -> OriginatorConsent:
    """The originator's liaison grants or refuses, citing its government's reference."""
    c = _own(session, actor, consent_id)
    if c.status != "requested":
        raise Conflict(f"the request has already been answered ({c.status})", field="status")
    c.status = "granted" if data.grant else "refused"
    c.decided_by, c.decided_at, c.reference, c.note = actor.id, utcnow(), data.reference, \
        data.note
    _audit(session, actor, "grant" if data.grant else "refuse", c)
    _tell(session, c, f"originator_consent_{c.status}", _requesters(session, c))
    return c


def withdraw_consent(session: Session, consent_id: str, *, actor: Actor) -> OriginatorConsent:
    """The originator withdraws a grant: no releasability may name the third party from
    now on; the agency is told to narrow what already does."""
    c = _own(session, actor, consent_id)
    if c.status != "granted":
        raise Conflict("only a granted consent can be withdrawn", field="status")
    c.status, c.withdrawn_at = "withdrawn", utcnow()
    _audit(session, actor, "withdraw", c)
    _tell(session, c, "originator_consent_withdrawn", _requesters(session, c))
    return c


def _scope(session: Session, actor: Actor):
    """Government and oversight see every request; a designating agency those on its
    designations; a liaison those asked of its own government; a security officer those
    its organisation made."""
    if actor.is_system or actor.roles & SEES_ALL:
        return true()
    clauses = []
    if Role.AGENCY_OFFICIAL in actor.roles:
        clauses.append(OriginatorConsent.designation_id.in_(select(Designation.id).where(
            Designation.agency_id == actor.organisation_id)))
    if Role.FOREIGN_LIAISON in actor.roles and (
            country := assurances.liaison_country(session, actor)):
        clauses.append(OriginatorConsent.originator == country)
    if Role.COMPANY_SECURITY_OFFICER in actor.roles:
        clauses.append(OriginatorConsent.requesting_organisation_id == actor.organisation_id)
    return or_(*clauses) if clauses else false()


def list_consents(session: Session, *, actor: Actor, status: str | None = None,
                  designation_id: str | None = None, cursor: str | None = None,
                  limit: int = DEFAULT_PAGE) -> tuple[list[ConsentView], str | None]:
    """A page of the requests in the actor's scope, newest first (ids are time-ordered),
    and the cursor of the next page."""
    actor.require(Permission.RECIPROCITY_CONSENT_READ)
    q = select(OriginatorConsent).where(_scope(session, actor))
    if status is not None:
        q = q.where(OriginatorConsent.status == status)
    if designation_id is not None:
        q = q.where(OriginatorConsent.designation_id == designation_id)
    rows, nxt = page(session, q, [OriginatorConsent.id], cursor=cursor, limit=limit,
                     newest_first=True)
    return views(session, rows), nxt


def read_consent(session: Session, consent_id: str, *, actor: Actor) -> ConsentView:
    actor.require(Permission.RECIPROCITY_CONSENT_READ)
    c = session.scalar(select(OriginatorConsent).where(OriginatorConsent.id == consent_id,
                                                       _scope(session, actor)))
    if c is None:
        raise NotFound("consent not found")
    return view(session, c)


def view(session: Session, c: OriginatorConsent) -> ConsentView:
    return views(session, [c])[0]


def views(session: Session, rows: list[OriginatorConsent]) -> list[ConsentView]:
    """The requests with their designations' references, read in one query."""
    references = dict(session.execute(select(Designation.id, Designation.reference).where(
        Designation.id.in_({c.designation_id for c in rows}))).all())
    return [ConsentView(id=c.id, designation_id=c.designation_id,
                        designation_reference=references[c.designation_id],
                        originator=c.originator, third_party=c.third_party, purpose=c.purpose,
                        status=c.status, requesting_organisation_id=c.requesting_organisation_id,
                        requested_at=c.requested_at, decided_at=c.decided_at,
                        reference=c.reference, note=c.note, withdrawn_at=c.withdrawn_at)
            for c in rows]

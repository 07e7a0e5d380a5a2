"""CUI authorizations (R5): the employer's security officer records the identity check,
the training and the signed agreement of a member of its own staff; the authorization
lasts 5 years (policy) and counts only while the yearly refresher training is current.
Not a suitability assessment: nothing about the person is investigated."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import WINDOW_ROLES, Permission
from hozen.audit.services import record
from hozen.clearances import notices
from hozen.db import get_by_id, new_id, utcnow
from hozen.designations import rules
from hozen.designations.models import CuiAuthorization
from hozen.designations.schemas import CuiGrant, CuiRefresher, CuiRevocation, CuiView
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.registry.services import access_person


def _numbers() -> tuple[int, int]:
    policy = get_policy().clearance
    return int(policy["cui_authorization_years"]), int(policy["cui_refresher_months"])


def view(a: CuiAuthorization, today: date | None = None) -> CuiView:
    _, months = _numbers()
    today = today or utcnow().date()
    failures = rules.cui_failures(a.status, a.valid_until, a.last_training_on, today, months)
    return CuiView(
        id=a.id, person_id=a.person_id, organisation_id=a.organisation_id,
        identity_document=a.identity_document, identity_checked_on=a.identity_checked_on,
        trained_on=a.trained_on, agreement_signed_on=a.agreement_signed_on,
        last_training_on=a.last_training_on,
        refresher_due=rules.refresher_due(a.last_training_on, months), granted_on=a.granted_on,
        valid_until=a.valid_until, status=a.status, current=not failures, failures=failures)


def _audit(session: Session, actor: Actor, verb: str, a: CuiAuthorization, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"designations:cui-authorization:{verb}",
           subject_type="person", subject_id=a.person_id,
           details={"authorization": a.id, "status": a.status, **details})


def grant(session: Session, data: CuiGrant, *, actor: Actor) -> CuiAuthorization:
    actor.require(Permission.CUI_AUTHORIZATION_GRANT)
    try:
        person = access_person(session, actor, data.person_id, for_update=True)
    except NotFound:
        raise ValidationFailed([("person_id", "person_unknown")]) from None
    years, months = _numbers()
    today = utcnow().date()
    errors = rules.cui_grant_errors(data.identity_checked_on, data.trained_on,
                                    data.agreement_signed_on, today, months)
    if person.employer_id is None:
        errors.append(("person_id", "no_employer"))
    if errors:
        raise ValidationFailed(errors)
    if session.scalar(select(CuiAuthorization.id).where(
            CuiAuthorization.person_id == person.id, CuiAuthorization.status == "active",
            CuiAuthorization.valid_until >= today)):
        raise ValidationFailed([("person_id", "cui_authorization_exists")])
    a = CuiAuthorization(
        id=new_id(), person_id=person.id, organisation_id=person.employer_id,
        identity_document=data.identity_document,
        identity_checked_on=data.identity_checked_on, trained_on=data.trained_on,
        agreement_signed_on=data.agreement_signed_on, last_training_on=data.trained_on,
        granted_on=today, valid_until=rules.cui_valid_until(today, years), status="active",
        granted_by=actor.id)
    session.add(a)
    session.flush()
    _audit(session, actor, "grant", a, valid_until=a.valid_until.isoformat())
    return a


def _own(session: Session, actor: Actor, authorization_id: str) -> CuiAuthorization:
    a = get_by_id(session, CuiAuthorization, authorization_id, for_update=True)
    if a is None or not (actor.is_system or actor.roles & WINDOW_ROLES
                         or a.organisation_id == actor.organisation_id):
        raise NotFound("authorization not found")
    return a


def refresher(session: Session, authorization_id: str, data: CuiRefresher, *,
              actor: Actor) -> CuiAuthorization:
    actor.require(Permission.CUI_AUTHORIZATION_GRANT)
    a = _own(session, actor, authorization_id)
    today = utcnow().date()
    if data.trained_on > today:
        raise ValidationFailed([("trained_on", "date_in_future")])
    if data.trained_on < a.last_training_on:
        raise ValidationFailed([("trained_on", "date_too_early")])
    if a.status != "active":
        raise Conflict("the authorization is revoked", field="status")
    a.last_training_on = data.trained_on
    _audit(session, actor, "refresher", a, trained_on=data.trained_on.isoformat())
    return a


def revoke(session: Session, authorization_id: str, data: CuiRevocation, *,
           actor: Actor) -> CuiAuthorization:
    actor.require(Permission.CUI_AUTHORIZATION_GRANT)
    a = _own(session, actor, authorization_id)
    if a.status != "active":
        raise Conflict("the authorization is already revoked", field="status")
    a.status, a.revoked_reason_length = "revoked", len(data.reason)
    _audit(session, actor, "revoke", a, reason_length=len(data.reason))
    return a


def send_reminders(session: Session, today: date, at: datetime) -> int:
    """Remind the person and their employer's officers, once per date, that a refresher
    training or the end of an authorization is near (`hozen jobs run`)."""
    _, months = _numbers()
    ahead = timedelta(days=int(get_policy().clearance["cui_reminder_days"]))
    sent = 0
    for a in session.scalars(select(CuiAuthorization).where(
            CuiAuthorization.status == "active", CuiAuthorization.valid_until >= today)
            .order_by(CuiAuthorization.id)):
        users = notices.subject_users(session, a.person_id) | notices.employer_users(
            session, a.organisation_id, a.person_id)
        due = rules.refresher_due(a.last_training_on, months)
        for kind, when in (("cui_refresher_due", due), ("cui_expiring", a.valid_until)):
            if today <= when <= today + ahead:
                sent += sum(notify(session, u, kind, {"due_on": when.isoformat()},
                                   f"{kind}:{a.id}:{when}:{u}", at) for u in sorted(users))
    return sent


def list_authorizations(session: Session, *, actor: Actor, person_id: str | None = None,
                        cursor: str | None = None, limit: int = DEFAULT_PAGE
                        ) -> tuple[list[CuiView], str | None]:
    """The employer's staff's authorizations; the window and oversight see all. A page,
    newest grant first (ids are time-ordered), and the cursor of the next page."""
    actor.require(Permission.CUI_AUTHORIZATION_READ)
    q = select(CuiAuthorization)
    if not (actor.is_system or actor.roles & WINDOW_ROLES
            or actor.can(Permission.AUDIT_EVENT_READ)):
        q = q.where(CuiAuthorization.organisation_id == actor.organisation_id)
    if person_id:
        q = q.where(CuiAuthorization.person_id == person_id)
    today = utcnow().date()
    rows, nxt = page(session, q, [CuiAuthorization.id], cursor=cursor, limit=limit,
                     newest_first=True)
    if rows:  # person ids and identity documents: a read of personal data, recorded
        record(session, actor=actor.audit_name, tag="designations:cui-authorization:list",
               subject_type="person", subject_id=None,
               details={"read": [a.id for a in rows]})
    return [view(a, today) for a in rows], nxt

"""Agreements: seeded from the shipped policy data on `hozen db upgrade` (an agreement an
administrator has edited is never overwritten), read by officials, liaisons and security
officers, corrected by an administrator with the table checked by the rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, page
from hozen.reciprocity import rules
from hozen.reciprocity.models import Agreement
from hozen.reciprocity.schemas import AgreementUpdate, AgreementView


def today() -> date:
    return utcnow().date()


def sync_agreements(session: Session) -> int:
    """Add the shipped agreements that are not in the database yet; returns how many."""
    present = set(session.scalars(select(Agreement.partner)))
    added = 0
    for a in rules.load_agreements():
        if a.partner in present:
            continue
        session.add(Agreement(
            id=new_id(), partner=a.partner, name_en=a.name_en, name_ja=a.name_ja,
            kind=a.kind, in_force_from=a.in_force_from, in_force_to=a.in_force_to,
            scope=a.scope, levels=list(a.levels), to_hozen=dict(a.to_hozen),
            from_hozen=dict(a.from_hozen), confirmed=a.confirmed,
            date_confirmed=a.date_confirmed))
        added += 1
    session.flush()
    return added


def as_rule(row: Agreement) -> rules.Agreement:
    """The plain value the rules work on."""
    return rules.Agreement(
        partner=row.partner, name_en=row.name_en, name_ja=row.name_ja, kind=row.kind,
        in_force_from=row.in_force_from, in_force_to=row.in_force_to, scope=row.scope,
        levels=tuple(row.levels), to_hozen=dict(row.to_hozen),
        from_hozen=dict(row.from_hozen), confirmed=row.confirmed,
        date_confirmed=row.date_confirmed)


def covered(session: Session, nationalities: frozenset[str], on: date) -> bool:
    """Whether an agreement in force on the day covers one of the nationalities (a
    partner national's standing for CUI: DESIGN, CUI access)."""
    return any(rules.in_force(a, on) and any(rules.covers(a, n) for n in nationalities)
               for a in map(as_rule, session.scalars(select(Agreement))))


def view(row: Agreement, on: date | None = None) -> AgreementView:
    return AgreementView(
        id=row.id, partner=row.partner, name_en=row.name_en, name_ja=row.name_ja,
        kind=row.kind, in_force_from=row.in_force_from, in_force_to=row.in_force_to,
        in_force=rules.in_force(as_rule(row), on or today()), scope=row.scope,
        levels=list(row.levels), to_hozen=dict(row.to_hozen),
        from_hozen=dict(row.from_hozen), confirmed=row.confirmed,
        date_confirmed=row.date_confirmed, updated_at=row.updated_at, version=row.version)


def list_agreements(session: Session, *, actor: Actor, cursor: str | None = None,
                    limit: int = DEFAULT_PAGE) -> tuple[list[Agreement], str | None]:
    """A page of the agreements, oldest in force first (the partner, unique, breaks a tie),
    and the cursor of the next page."""
    actor.require(Permission.RECIPROCITY_AGREEMENT_READ)
    return page(session, select(Agreement), [Agreement.in_force_from, Agreement.partner],
                cursor=cursor, limit=limit)


def read_agreement(session: Session, agreement_id: str, *, actor: Actor,
                   for_update: bool = False) -> Agreement:
    actor.require(Permission.RECIPROCITY_AGREEMENT_READ)
    row = get_by_id(session, Agreement, agreement_id, for_update=for_update)
    if row is None:
        raise NotFound("agreement not found")
    return row


def update_agreement(session: Session, agreement_id: str, data: AgreementUpdate, *,
                     actor: Actor) -> Agreement:
    actor.require(Permission.RECIPROCITY_AGREEMENT_WRITE)
    row = read_agreement(session, agreement_id, actor=actor, for_update=True)
    if data.version != row.version:
        raise Conflict("record changed since it was read", field="version")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "levels" in changes:
        changes["levels"] = tuple(changes["levels"])
    merged = replace(as_rule(row), **changes)
    errors = rules.table_errors(merged)
    if merged.in_force_to is not None and merged.in_force_to < merged.in_force_from:
        errors.append(("in_force_to", "end_before_start"))
    if errors:
        raise ValidationFailed(errors)
    for key, value in changes.items():
        setattr(row, key, list(value) if key == "levels" else value)
    row.updated_by, row.updated_at, row.version = actor.id, utcnow(), row.version + 1
    session.flush()
    record(session, actor=actor.audit_name, tag="reciprocity:agreement:update",
           subject_type="agreement", subject_id=row.id,
           details={"partner": row.partner, "fields": sorted(changes)})
    return row

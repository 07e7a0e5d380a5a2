"""Ownership of organisations (for FOCI): who holds what share and vote of whom. Each
service checks permission, changes state and records the audit event; none commits."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen import paging
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, new_id
from hozen.errors import NotFound, ValidationFailed
from hozen.paging import page
from hozen.registry import rules
from hozen.registry.models import Organisation, OwnershipEdge, Person
from hozen.registry.schemas import OwnershipCreate, OwnershipUpdate


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

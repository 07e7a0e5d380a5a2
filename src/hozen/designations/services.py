"""Designation services: the designation register (指定管理簿) and who sees what, a
designation read whole with its proposals and their comments, and the checks the
proposals share (hozen.designations.proposals proposes, consults and decides). None
commits."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Permission, Role
from hozen.accounts.services import profile
from hozen.audit.services import record
from hozen.db import is_id, split_list, utcnow
from hozen.designations import rules
from hozen.designations.models import Comment, Designation, DesignationHolder, Proposal
from hozen.designations.rules import Status
from hozen.designations.schemas import (
    CommentView,
    DesignationDetail,
    DesignationView,
    ProposalView,
)
from hozen.errors import NotFound
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.registry.models import Country, Organisation

GOVERNMENT_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL,
                              Role.APPROVING_OFFICIAL, Role.OVERSIGHT_INSPECTOR,
                              Role.AUDITOR})


def terms() -> rules.Terms:
    return rules.Terms.from_policy(get_policy().designation)


def today() -> date:
    return utcnow().date()



def _audit(session: Session, actor: Actor, verb: str, d: Designation, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"designations:designation:{verb}",
           subject_type="designation", subject_id=d.id,
           details={"status": d.status, **details})


# --- who sees what ------------------------------------------------------------------------


def in_scope(actor: Actor):
    """Government roles see every designation; a holder's security officer those its
    organisation holds; an expert those they are consulted on."""
    if actor.is_system or actor.roles & GOVERNMENT_ROLES:
        return True
    clauses = []
    if Role.COMPANY_SECURITY_OFFICER in actor.roles and actor.organisation_id:
        clauses.append(Designation.id.in_(select(DesignationHolder.designation_id).where(
            DesignationHolder.organisation_id == actor.organisation_id)))
    if Role.EXTERNAL_EXPERT in actor.roles:
        clauses.append(Designation.id.in_(select(Proposal.designation_id).where(
            Proposal.experts.contains(actor.id))))
    return or_(*clauses) if clauses else False


def access_designation(session: Session, actor: Actor, designation_id: str, *,
                       for_update: bool = False) -> Designation:
    if not actor.can(Permission.DESIGNATIONS_READ) or not is_id(designation_id):
        raise NotFound("designation not found")
    q = select(Designation).where(Designation.id == designation_id, in_scope(actor))
    found = session.scalar(q.with_for_update() if for_update else q)
    if found is None:
        raise NotFound("designation not found")
    return found


def status_today(d: Designation, on: date | None = None) -> Status:
    return rules.effective_status(Status(d.status), on or today(), term_end=d.term_end,
                                  confirm_by=d.confirm_by if d.provisional else None)


def view(session: Session, d: Designation, holders: list[str] | None = None
         ) -> DesignationView:
    holders = _holders(session, d) if holders is None else holders
    now = today()
    status = status_today(d, now)
    overdue = bool(d.next_review_on and d.next_review_on < now and rules.classified(status))
    return DesignationView(
        id=d.id, reference=d.reference, title=d.title, agency_id=d.agency_id,
        manager_id=d.manager_id, regime=d.regime, category=d.category, reasons=d.reasons,
        scope_kind=d.scope_kind, scope=d.scope, holders=holders,
        releasable_to=split_list(d.releasable_to), originator_country=d.originator_country,
        status=status.value, provisional=d.provisional, confirm_by=d.confirm_by,
        term_start=d.term_start, term_end=d.term_end, first_start=d.first_start,
        next_review_on=d.next_review_on, review_overdue=overdue, lifted_on=d.lifted_on,
        version=d.version)


def list_designations(session: Session, *, actor: Actor, cursor: str | None = None,
                      limit: int = DEFAULT_PAGE) -> tuple[list[DesignationView], str | None]:
    """The designation register (指定管理簿) as this actor may see it: a page in the order
    of the reference (unique, so it alone is the key) and the cursor of the next page."""
    actor.require(Permission.DESIGNATIONS_READ)
    rows, nxt = page(session, select(Designation).where(in_scope(actor)),
                     [Designation.reference], cursor=cursor, limit=limit)
    holders: dict[str, list[str]] = {}
    for designation_id, org in session.execute(
            select(DesignationHolder.designation_id, DesignationHolder.organisation_id)
            .where(DesignationHolder.designation_id.in_([d.id for d in rows]))
            .order_by(DesignationHolder.organisation_id)):
        holders.setdefault(designation_id, []).append(org)
    return [view(session, d, holders.get(d.id, [])) for d in rows], nxt


def read_designation(session: Session, designation_id: str, *,
                     actor: Actor) -> DesignationDetail:
    """The designation with its proposals and their comments, in a fixed number of
    statements however many there are."""
    d = access_designation(session, actor, designation_id)
    holders = _holders(session, d)
    current = _current(d, holders)
    comments: dict[str, list[CommentView]] = defaultdict(list)
    q = (select(Comment).join(Proposal, Proposal.id == Comment.proposal_id)
         .where(Proposal.designation_id == d.id).order_by(Comment.created_at, Comment.id))
    if not (actor.is_system or actor.roles & GOVERNMENT_ROLES):
        q = q.where(Comment.author_id == actor.id)  # others' comments: government only
    for c in session.scalars(q):
        comments[c.proposal_id].append(CommentView(
            id=c.id, author_id=c.author_id, organisation_id=c.organisation_id, text=c.text,
            created_at=c.created_at))
    proposals = []
    for p in session.scalars(select(Proposal).where(Proposal.designation_id == d.id)
                             .order_by(Proposal.proposed_at, Proposal.id)):
        change = _proposed(p) if p.kind == "change" else {}
        proposals.append(ProposalView(
            id=p.id, kind=p.kind, status=p.status, reasons=p.reasons, term_end=p.term_end,
            cabinet_reasons=p.cabinet_reasons, category=p.category,
            items=split_list(p.items) if p.items is not None else None, **change,
            direction=rules.change_direction(current, change)
            if change and p.status == "open" else None, proposed_by=p.proposed_by,
            proposed_at=p.proposed_at, decided_by=p.decided_by,
            decision_reasons=p.decision_reasons, comments=comments[p.id]))
    # its reviews and objections are lists of their own, a page at a time (oversight)
    return DesignationDetail(**view(session, d, holders).model_dump(), proposals=proposals)


# --- checks the proposals share ---------------------------------------------------------


def _experts_errors(session: Session, ids: list[str]) -> list[tuple[str, str]]:
    experts = set(session.scalars(select(UserRole.user_id).where(
        UserRole.user_id.in_([i for i in ids if is_id(i)]),
        UserRole.role == Role.EXTERNAL_EXPERT.value)))
    return [(f"experts.{i}", "expert_unknown") for i, e in enumerate(ids) if e not in experts]


def _country_errors(session: Session, field: str, codes: list[str]) -> list[tuple[str, str]]:
    known = set(session.scalars(select(Country.code).where(Country.code.in_(codes))))
    return [(f"{field}.{i}", "country_unknown") for i, c in enumerate(codes) if c not in known]


def _holder_errors(session: Session, holders: list[str]) -> list[tuple[str, str]]:
    known = set(session.scalars(select(Organisation.id).where(
        Organisation.id.in_([h for h in holders if is_id(h)]))))
    errors = [(f"holders.{i}", "organisation_unknown") for i, h in enumerate(holders)
              if h not in known]
    if len(set(holders)) != len(holders):
        errors.append(("holders", "duplicate"))
    return errors


def _holders(session: Session, d: Designation) -> list[str]:
    return sorted(session.scalars(select(DesignationHolder.organisation_id).where(
        DesignationHolder.designation_id == d.id)))


def experts(session: Session, *, actor: Actor) -> list[tuple[str, str]]:
    """The external experts a proposer may invite: (user id, display name)."""
    actor.require(Permission.DESIGNATIONS_PROPOSE)
    users = session.scalars(select(User).join(UserRole).where(
        UserRole.role == Role.EXTERNAL_EXPERT.value, User.active.is_(True)))
    return sorted(((u.id, profile(u)["display_name"]) for u in users), key=lambda e: e[1])


def _current(d: Designation, holders: list[str]) -> dict:
    """What a change would change, as it stands (holders: the designation's, sorted)."""
    return {"scope_kind": d.scope_kind, "scope": d.scope, "holders": holders,
            "releasable_to": split_list(d.releasable_to)}


def _proposed(p) -> dict:
    """What a change proposes, from a request or a stored proposal (None: unchanged)."""
    def listed(v):
        return v if v is None or isinstance(v, list) else split_list(v)
    return {"scope_kind": p.scope_kind, "scope": p.scope, "holders": listed(p.holders),
            "releasable_to": listed(p.releasable_to)}

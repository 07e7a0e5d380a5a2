"""Designation proposals: propose, designate provisionally, propose a change, consult
and comment, decide with a second official. Each checks permission and scope, applies
the pure rules, records the audit event and the notices; none commits. (Periodic reviews
and objections: hozen.designations.oversight.)"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Permission, Role
from hozen.db import get_by_id, new_id, split_list, utcnow
from hozen.designations import rules
from hozen.designations.models import (
    Comment,
    Designation,
    DesignationHolder,
    Item,
    Proposal,
)
from hozen.designations.rules import Status
from hozen.designations.schemas import (
    CommentCreate,
    Decision,
    DesignationCreate,
    ProposalCreate,
)
from hozen.designations.services import (
    _audit,
    _country_errors,
    _current,
    _experts_errors,
    _holder_errors,
    _holders,
    _proposed,
    access_designation,
    status_today,
    terms,
    today,
)
from hozen.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hozen.messages import PROPOSAL_KIND_LABELS, PROPOSAL_OUTCOME_LABELS
from hozen.notifications.services import notify
from hozen.policy import get_policy
from hozen.reciprocity import originator
from hozen.reciprocity.rules import third_party_errors
from hozen.registry.models import Organisation

# --- proposing --------------------------------------------------------------------------


def _agency(session: Session, actor: Actor) -> Organisation:
    agency = get_by_id(session, Organisation, actor.organisation_id)
    if agency is None or agency.kind != "government_body":
        raise ValidationFailed([("agency", "designating_agency_required")])
    return agency


def _designation_errors(session: Session, data: DesignationCreate) -> list[tuple[str, str]]:
    errors = []
    if data.category not in get_policy().designation_categories[data.regime]:
        errors.append(("category", "category_unknown"))
    errors += _holder_errors(session, data.holders)
    errors += _country_errors(session, "releasable_to", data.releasable_to)
    if data.originator_country:
        errors += [("originator_country", code) for _, code in _country_errors(
            session, "originator_country", [data.originator_country])]
        # information received from a partner goes no further without its consent, which
        # can only be asked once the designation exists
        errors += third_party_errors("releasable_to", data.originator_country,
                                     data.releasable_to, ())
    errors += _experts_errors(session, data.experts)
    errors += rules.term_errors(data.term_start, data.term_start, data.term_end, terms(),
                                cabinet_approved=False)
    return errors


REFERENCE_LOCK = 0x686F7A656E_01  # "hozen" + 1: numbering of designations


def _reference(session: Session, regime: str) -> str:
    """The next number of the regime and year (指定番号). Concurrent proposals queue on a
    transaction lock (PostgreSQL; SQLite writes one transaction at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REFERENCE_LOCK})
    year = today().year
    prefix = f"{regime}-{year}-"
    last = session.scalar(select(func.max(Designation.reference)).where(
        Designation.reference.like(prefix + "%")))
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:04d}"


def _new_designation(session: Session, data: DesignationCreate, actor: Actor, *,
                     provisional: bool) -> Designation:
    agency = _agency(session, actor)
    errors = _designation_errors(session, data)
    if provisional and data.term_start != today():
        errors.append(("term_start", "provisional_starts_today"))
    if errors:
        raise ValidationFailed(errors)
    d = Designation(
        id=new_id(), reference=_reference(session, data.regime), title=data.title,
        agency_id=agency.id, manager_id=actor.id, regime=data.regime,
        category=data.category, reasons=data.reasons, scope_kind=data.scope_kind,
        scope=data.scope, releasable_to=",".join(sorted(set(data.releasable_to))),
        originator_country=data.originator_country, term_start=data.term_start,
        term_end=data.term_end, created_by=actor.id,
        status=(Status.PROVISIONAL if provisional else Status.PROPOSED).value,
        provisional=provisional)
    if provisional:
        d.first_start = data.term_start
        d.confirm_by = rules.provisional_deadline(today(), terms())
        d.next_review_on = rules.next_review(data.term_start, terms())
    session.add(d)
    session.flush()
    for org_id in data.holders:
        session.add(DesignationHolder(id=new_id(), designation_id=d.id,
                                      organisation_id=org_id))
    proposal = _open_proposal(session, d, {"kind": "designate", "reasons": data.reasons,
                                           "term_end": data.term_end,
                                           "experts": data.experts}, actor)
    _audit(session, actor, "provisional" if provisional else "propose", d,
           proposal=proposal.id, regime=d.regime)
    return d


def propose_designation(session: Session, data: DesignationCreate, *,
                        actor: Actor) -> Designation:
    """Proposed by the designating agency; in effect only after a second official
    approves it."""
    actor.require(Permission.DESIGNATIONS_PROPOSE)
    if Role.AGENCY_OFFICIAL not in actor.roles:  # a holder proposes liftings only
        raise Forbidden("only a designating agency's official proposes a designation")
    return _new_designation(session, data, actor, provisional=False)


def designate_provisionally(session: Session, data: DesignationCreate, *,
                            actor: Actor) -> Designation:
    """A breakthrough technology: one designating official, in effect at once, to be
    confirmed through the two-person route within the policy's days or it lapses."""
    actor.require(Permission.DESIGNATIONS_PROVISIONAL)
    return _new_designation(session, data, actor, provisional=True)


def _open_proposal(session: Session, d: Designation, data: ProposalCreate | dict,
                   actor: Actor) -> Proposal:
    if session.scalar(select(Proposal.id).where(Proposal.designation_id == d.id,
                                                Proposal.status == "open")):
        raise Conflict("a proposal on this designation is already open", field="kind")
    v = data if isinstance(data, dict) else data.model_dump()

    def joined(key):
        return None if v.get(key) is None else ",".join(v[key])
    p = Proposal(id=new_id(), designation_id=d.id, kind=v["kind"], reasons=v["reasons"],
                 term_end=v.get("term_end"), cabinet_reasons=v.get("cabinet_reasons"),
                 category=v.get("category"), scope_kind=v.get("scope_kind"),
                 scope=v.get("scope"), holders=joined("holders"),
                 releasable_to=joined("releasable_to"), items=joined("items"),
                 experts=",".join(v.get("experts") or ()), proposed_by=actor.id)
    session.add(p)
    session.flush()
    _consult(session, d, p)
    return p


def propose_change(session: Session, designation_id: str, data: ProposalCreate, *,
                   actor: Actor) -> Proposal:
    """A renewal, lifting, downgrade, change of scope (narrowing or widening) or partial
    lifting, proposed by the agency (a holder may propose a lifting, whole or in part);
    it opens a consultation and waits for a second official."""
    actor.require(Permission.DESIGNATIONS_PROPOSE)
    d = access_designation(session, actor, designation_id, for_update=True)
    agency = Role.AGENCY_OFFICIAL in actor.roles and actor.organisation_id == d.agency_id
    holder = Role.COMPANY_SECURITY_OFFICER in actor.roles and bool(session.scalar(
        select(DesignationHolder.id).where(DesignationHolder.designation_id == d.id,
                                           DesignationHolder.organisation_id ==
                                           actor.organisation_id)))
    if not (agency or holder):
        raise Forbidden("only the designating agency or a holder proposes changes")
    if not agency and data.kind not in ("lift", "lift_part"):
        raise ValidationFailed([("kind", "holders_propose_lifting_only")])
    status = status_today(d)
    if not rules.classified(status):
        raise Conflict(f"the designation is {status.value}", field="status")
    if status is Status.PROVISIONAL and data.kind == "renew":
        raise Conflict("confirm the provisional designation first", field="status")
    errors = _experts_errors(session, data.experts) + _change_errors(session, d, data)
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    p = _open_proposal(session, d, data, actor)
    _audit(session, actor, f"propose-{data.kind}", d, proposal=p.id)
    return p


# The fields each kind of proposal may carry (besides kind, reasons and experts).
KIND_FIELDS = {"renew": {"term_end", "cabinet_reasons"}, "lift": set(),
               "downgrade": {"category"}, "lift_part": {"items"},
               "change": {"scope_kind", "scope", "holders", "releasable_to"}}


def _change_errors(session: Session, d: Designation, data: ProposalCreate
                   ) -> list[tuple[str, str]]:
    errors = [(f, "not_for_this_kind") for f in sorted(set().union(*KIND_FIELDS.values()))
              if f not in KIND_FIELDS[data.kind] and getattr(data, f) is not None]
    if data.kind == "renew":
        if data.term_end is None:
            errors.append(("term_end", "required"))
        else:
            errors += rules.term_errors(d.first_start, rules.renewal_start(d.term_end),
                                        data.term_end, terms(),
                                        cabinet_approved=data.cabinet_reasons is not None)
    elif data.kind == "downgrade" and rules.DOWNGRADE[d.regime] != "CUI":
        target = rules.DOWNGRADE[d.regime]
        if data.category is None:
            errors.append(("category", "required"))
        elif data.category not in get_policy().designation_categories[target]:
            errors.append(("category", "category_unknown"))
    elif data.kind == "downgrade" and data.category is not None:
        errors.append(("category", "not_for_this_kind"))  # CUI has no statutory category
    elif data.kind == "lift_part":
        errors += _lift_part_errors(session, d, data.items or [])
    elif data.kind == "change":
        errors += rules.change_errors(_current(d, _holders(session, d)),
                                      _proposed(data))
        if data.holders is not None:
            errors += _holder_errors(session, data.holders)
        if data.releasable_to is not None:
            errors += _country_errors(session, "releasable_to", data.releasable_to)
            errors += originator.releasability_errors(session, "releasable_to", d,
                                                      data.releasable_to)
    return errors


def _lift_part_errors(session: Session, d: Designation, ids: list[str]
                      ) -> list[tuple[str, str]]:
    """The items named must be this designation's, not yet lifted, and not all of them
    (lifting everything is a lifting)."""
    if not ids:
        return [("items", "required")]
    if len(set(ids)) != len(ids):
        return [("items", "duplicate")]
    mine = set(session.scalars(select(Item.id).where(
        Item.designation_id == d.id, Item.lifted_on.is_(None))))
    errors = [(f"items.{i}", "item_unknown") for i, item in enumerate(ids) if item not in mine]
    if not errors and set(ids) == mine:
        errors.append(("items", "lift_whole_instead"))
    return errors


def _consult(session: Session, d: Designation, p: Proposal) -> None:
    """Invite the holders' security officers and the named experts to comment."""
    officers = set(session.scalars(select(User.id).join(UserRole).join(
        DesignationHolder, DesignationHolder.organisation_id == User.organisation_id).where(
        DesignationHolder.designation_id == d.id,
        UserRole.role == Role.COMPANY_SECURITY_OFFICER.value)))
    # ... and the designation's manager, when someone else (a holder) proposes.
    manager = {d.manager_id} - {p.proposed_by}
    for user_id in sorted(officers | set(split_list(p.experts)) | manager):
        notify(session, user_id, "designation_consultation",
               {"reference": d.reference, "kind_label": PROPOSAL_KIND_LABELS[p.kind],
                "designation_id": d.id},
               f"designation_consultation:{p.id}:{user_id}")


def _proposal(session: Session, proposal_id: str, designation_id: str | None) -> Proposal:
    """The proposal; when the caller names its designation (a page's address), it must be
    that one's."""
    p = get_by_id(session, Proposal, proposal_id, for_update=True)
    if p is None or designation_id not in (None, p.designation_id):
        raise NotFound("proposal not found")
    return p


def comment(session: Session, proposal_id: str, data: CommentCreate, *, actor: Actor,
            designation_id: str | None = None) -> Comment:
    """A holder's security officer or an invited expert comments on an open proposal."""
    actor.require(Permission.DESIGNATIONS_COMMENT)
    p = _proposal(session, proposal_id, designation_id)
    d = access_designation(session, actor, p.designation_id)
    invited = actor.id in split_list(p.experts) or (
        Role.COMPANY_SECURITY_OFFICER in actor.roles and session.scalar(
            select(DesignationHolder.id).where(
                DesignationHolder.designation_id == d.id,
                DesignationHolder.organisation_id == actor.organisation_id)))
    if not invited:
        raise NotFound("proposal not found")
    if p.status != "open":
        raise Conflict("the consultation is closed", field="status")
    c = Comment(id=new_id(), proposal_id=p.id, author_id=actor.id,
                organisation_id=actor.organisation_id, text=data.text)
    session.add(c)
    session.flush()
    _audit(session, actor, "comment", d, proposal=p.id, comment=c.id)
    return c


# --- deciding ---------------------------------------------------------------------------


def decide(session: Session, proposal_id: str, data: Decision, *, actor: Actor,
           designation_id: str | None = None) -> Proposal:
    """An approving official other than the proposer decides, having the consultation's
    comments before them (their number is recorded with the decision)."""
    actor.require(Permission.DESIGNATIONS_DECIDE)
    p = _proposal(session, proposal_id, designation_id)
    d = access_designation(session, actor, p.designation_id, for_update=True)
    if p.status != "open":
        raise Conflict("the proposal has already been decided", field="status")
    if errors := rules.two_person_errors(p.proposed_by, actor.id):
        raise Conflict("the approving official must not be the proposer", field=errors[0][0])
    now, day = utcnow(), today()
    p.status = "approved" if data.approve else "rejected"
    p.decided_by, p.decided_at, p.decision_reasons = actor.id, now, data.reasons
    before = _holders(session, d)  # a narrowing tells the holders it removes, too
    if data.approve and p.kind == "change" and p.releasable_to is not None and \
            originator.releasability_errors(session, "releasable_to", d,
                                            split_list(p.releasable_to)):
        raise Conflict("the originator's consent to a country of the change is no longer "
                       "in force", field="releasable_to")
    if data.approve:
        _apply(session, d, p, day)
    elif p.kind == "designate":
        # A refused proposal never takes effect; a refused provisional one lapses now.
        d.status = (Status.PENDING_DISPOSITION if d.provisional else Status.REJECTED).value
        if d.provisional:
            d.confirm_by = day
    seen = session.scalar(select(func.count()).select_from(Comment).where(
        Comment.proposal_id == p.id))
    _audit(session, actor, f"decide-{p.kind}", d, proposal=p.id, outcome=p.status,
           comments_seen=seen)
    _notify_holders(session, d, p, also=before)
    return p


def _apply(session: Session, d: Designation, p: Proposal, day: date) -> None:
    """An approved proposal takes effect at once."""
    t = terms()
    if p.kind == "designate":
        d.status = Status.IN_FORCE.value
        d.confirm_by = None
        if d.first_start is None:
            d.first_start = d.term_start
            d.next_review_on = rules.next_review(d.term_start, t)
    elif p.kind == "renew":
        d.term_start, d.term_end = rules.renewal_start(d.term_end), p.term_end
        d.cabinet_approved = d.cabinet_approved or p.cabinet_reasons is not None
        d.cabinet_reasons = p.cabinet_reasons or d.cabinet_reasons
        d.status = Status.IN_FORCE.value
    elif p.kind == "lift":
        d.status, d.lifted_on = Status.LIFTED.value, day
    elif p.kind == "downgrade":
        if rules.DOWNGRADE[d.regime] == "CUI":
            d.status, d.lifted_on = Status.DOWNGRADED.value, day
        else:
            d.regime, d.category = rules.DOWNGRADE[d.regime], p.category
    elif p.kind == "lift_part":
        for item in session.scalars(select(Item).where(Item.id.in_(split_list(p.items)),
                                                       Item.designation_id == d.id)):
            item.lifted_on, item.lifted_by_proposal = day, p.id
    elif p.kind == "change":
        if p.scope is not None:
            d.scope_kind, d.scope = p.scope_kind, p.scope
        if p.releasable_to is not None:
            d.releasable_to = ",".join(sorted(split_list(p.releasable_to)))
        if p.holders is not None:
            _set_holders(session, d, split_list(p.holders))


def _set_holders(session: Session, d: Designation, holders: list[str]) -> None:
    rows = {h.organisation_id: h for h in session.scalars(select(DesignationHolder).where(
        DesignationHolder.designation_id == d.id))}
    for org_id in set(rows) - set(holders):
        session.delete(rows[org_id])
    for org_id in sorted(set(holders) - set(rows)):
        session.add(DesignationHolder(id=new_id(), designation_id=d.id,
                                      organisation_id=org_id))
    session.flush()


def _notify_holders(session: Session, d: Designation, p: Proposal, *,
                    also: list[str] = ()) -> None:
    """The holders' security officers (and those of holders a change removed) and the
    manager hear the decision."""
    officers = session.scalars(select(User.id).join(UserRole).where(
        User.organisation_id.in_(set(_holders(session, d)) | set(also)),
        UserRole.role == Role.COMPANY_SECURITY_OFFICER.value))
    for user_id in sorted(set(officers) | {d.manager_id}):
        notify(session, user_id, "designation_decided",
               {"reference": d.reference, "kind_label": PROPOSAL_KIND_LABELS[p.kind],
                "outcome_label": PROPOSAL_OUTCOME_LABELS[p.status], "designation_id": d.id},
               f"designation_decided:{p.id}:{user_id}")

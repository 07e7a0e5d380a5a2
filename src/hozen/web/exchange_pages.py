"""Pages of exchange with partners and between companies: government-mediated transfers
(R8), the originator's consent before partner information reaches a third party, and the
time each foreign visitor took to reach a permitted access (R7). Thin: parse the form,
call one service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.accounts.permissions import Role
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import validate
from hozen.facilities import registers
from hozen.messages import N_
from hozen.paging import every
from hozen.reciprocity import assurances, originator, report, transfers
from hozen.reciprocity.models import Agreement, ForeignAssurance
from hozen.reciprocity.schemas import (
    ConsentCreate,
    ConsentDecision,
    TransferCreate,
    TransferCustody,
    TransferDecision,
)
from hozen.reciprocity.transfers import RECEIVERS
from hozen.registry.models import Organisation
from hozen.web.pages import render
from hozen.web.register_pages import held_items, own_staff, person_name
from hozen.web.routes import blank_to_none, form_step

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

TRANSFER_STATUS_LABELS = {"submitted": N_("awaiting the agency"), "approved": N_("approved"),
                          "refused": N_("refused (see the reasons)"),
                          "dispatched": N_("dispatched"), "received": N_("received")}
CONSENT_STATUS_LABELS = {"requested": N_("awaiting the originator"), "granted": N_("granted"),
                         "refused": N_("refused"), "withdrawn": N_("withdrawn")}
FAST_HOURS = 24  # the bar: a permitted access within a day


def _names(s: Session, ids) -> dict[str, str]:
    ids = sorted({i for i in ids if i})
    return {o.id: o.name_ja for o in s.scalars(select(Organisation).where(
        Organisation.id.in_(ids)))} if ids else {}


# --- transfers between companies ----------------------------------------------------------


def _transfer_choices(s: Session, me: Actor) -> dict:
    """For a security officer: the items its organisation holds, their current handlers
    (who carry out a dispatch or receipt) and the businesses that could receive one."""
    if Role.COMPANY_SECURITY_OFFICER not in me.roles or not me.organisation_id:
        return {}
    handlers = every(registers.list_handlers, s, actor=me, current_only=True)
    items = {i.id: i.title for i in held_items(s, me)}
    names = {p.id: person_name(p) for p in own_staff(s, me)}  # a read of personal data
    by_item: dict[str, list[tuple[str, str]]] = {}
    for h in handlers:
        by_item.setdefault(h.item_id, []).append((h.person_id, names.get(h.person_id, "")))
    receivers = list(s.scalars(select(Organisation).where(
        Organisation.kind.in_(RECEIVERS), Organisation.id != me.organisation_id)
        .order_by(Organisation.name_ja)))
    return {"items": items, "handlers": by_item, "receivers": receivers}


def _transfers(request: Request, s: Session, me: Actor, *, status: int = 200,
               errors: dict | None = None, values: dict | None = None,
               failed: str | None = None, cursor: str | None = None):
    found, nxt = transfers.list_transfers(s, actor=me, cursor=cursor)
    rows = transfers.views(s, found)
    choices = _transfer_choices(s, me)
    agency = {t.id for t in found if t.status == "submitted" and transfers.may_decide(s, me, t)}
    orgs = _names(s, [x for t in rows for x in (t.from_organisation_id,
                                                 t.to_organisation_id)])
    s.rollback()  # read only: release the snapshot before the page is sent
    return render(request, "reciprocity/transfers.html", status=status, rows=rows,
                  orgs=orgs, choices=choices, agency=agency, me_org=me.organisation_id,
                  next_cursor=nxt,
                  errors=errors or {},
                  values=values or {}, failed=failed, labels=TRANSFER_STATUS_LABELS)


@router.get("/transfers", dependencies=[page_requires(P.RECIPROCITY_TRANSFER_READ)])
def transfer_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _transfers(request, s, me, cursor=cursor)


async def _transfer_step(request: Request, s: Session, me: Actor, form_name: str, action):
    return await form_step(request, s, action, done="/transfers",
                           refused=lambda form, errors: _transfers(
                               request, s, me, status=422, values=form, failed=form_name,
                               errors=errors))


@router.post("/transfers", dependencies=[page_requires(P.RECIPROCITY_TRANSFER_REQUEST)])
async def request_transfer(request: Request, s: Db, me: Me):
    return await _transfer_step(request, s, me, "transfer", lambda f: transfers.request_transfer(
        s, validate(TransferCreate, blank_to_none(f, ["item_id", "to_organisation_id",
                                                      "reason"]), whole_path=False), actor=me))


@router.post("/transfers/{transfer_id}/decision",
             dependencies=[page_requires(P.RECIPROCITY_TRANSFER_DECIDE, deny_as=404,
                                         reauth="/transfers")])
async def decide_transfer(request: Request, transfer_id: str, s: Db, me: Me):
    return await _transfer_step(request, s, me, f"decide-{transfer_id}", lambda f: transfers.decide(
        s, transfer_id, validate(TransferDecision, {"approve": f.get("approve") or None,
                                                    "reasons": f.get("reasons") or ""},
                                 whole_path=False), actor=me))


def _custody(f: dict) -> TransferCustody:
    return validate(TransferCustody, blank_to_none(f, ["person_id"]) | {
        "note": f.get("note") or ""}, whole_path=False)


@router.post("/transfers/{transfer_id}/dispatch",
             dependencies=[page_requires(P.RECIPROCITY_TRANSFER_CUSTODY, deny_as=404)])
async def dispatch_transfer(request: Request, transfer_id: str, s: Db, me: Me):
    return await _transfer_step(request, s, me, f"custody-{transfer_id}", lambda f: (
        transfers.dispatch(s, transfer_id, _custody(f), actor=me)))


@router.post("/transfers/{transfer_id}/receipt",
             dependencies=[page_requires(P.RECIPROCITY_TRANSFER_CUSTODY, deny_as=404)])
async def receive_transfer(request: Request, transfer_id: str, s: Db, me: Me):
    return await _transfer_step(request, s, me, f"custody-{transfer_id}", lambda f: (
        transfers.receive(s, transfer_id, _custody(f), actor=me)))


# --- originator control ---------------------------------------------------------------------


def _consents(request: Request, s: Session, me: Actor, *, status: int = 200,
              errors: dict | None = None, values: dict | None = None,
              failed: str | None = None, cursor: str | None = None):
    rows, nxt = originator.list_consents(s, actor=me, cursor=cursor)
    own = assurances.liaison_country(s, me)
    originated = originator.askable(s, me)
    orgs = _names(s, [c.requesting_organisation_id for c in rows])
    s.rollback()
    return render(request, "reciprocity/consents.html", status=status, rows=rows, own=own,
                  next_cursor=nxt,
                  originated=originated, orgs=orgs, errors=errors or {},
                  values=values or {}, failed=failed, labels=CONSENT_STATUS_LABELS)


@router.get("/originator-consents", dependencies=[page_requires(P.RECIPROCITY_CONSENT_READ)])
def consent_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    return _consents(request, s, me, cursor=cursor)


async def _consent_step(request: Request, s: Session, me: Actor, form_name: str, action):
    return await form_step(request, s, action, done="/originator-consents",
                           refused=lambda form, errors: _consents(
                               request, s, me, status=422, values=form, failed=form_name,
                               errors=errors))


@router.post("/originator-consents",
             dependencies=[page_requires(P.RECIPROCITY_CONSENT_REQUEST)])
async def request_consent(request: Request, s: Db, me: Me):
    def act(f: dict):
        data = validate(ConsentCreate, blank_to_none(f, ["third_party", "purpose"]),
                        whole_path=False)
        originator.request_consent(s, f.get("designation_id") or "", data, actor=me)
    return await _consent_step(request, s, me, "consent", act)


@router.post("/originator-consents/{consent_id}/decision",
             dependencies=[page_requires(P.RECIPROCITY_CONSENT_DECIDE, deny_as=404)])
async def decide_consent(request: Request, consent_id: str, s: Db, me: Me):
    return await _consent_step(request, s, me, f"decide-{consent_id}", lambda f: (
        originator.decide_consent(s, consent_id, validate(ConsentDecision, {
            "grant": f.get("grant") or None, "reference": f.get("reference") or None,
            "note": f.get("note") or ""}, whole_path=False), actor=me)))


@router.post("/originator-consents/{consent_id}/withdrawal",
             dependencies=[page_requires(P.RECIPROCITY_CONSENT_DECIDE, deny_as=404)])
async def withdraw_consent(request: Request, consent_id: str, s: Db, me: Me):
    return await _consent_step(request, s, me, f"decide-{consent_id}", lambda f: (
        originator.withdraw_consent(s, consent_id, actor=me)))


# --- time to access ---------------------------------------------------------------------------


@router.get("/time-to-access", dependencies=[page_requires(P.RECIPROCITY_REPORT_READ)])
def time_to_access_page(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    """Each foreign visitor's elapsed time and human steps from assurance to first access,
    a page at a time, with the median, the count within a day and the most steps taken
    over every visitor (folded by the database, not read row by row)."""
    summary = report.time_to_access_summary(s, actor=me, within_hours=FAST_HOURS)
    rows, nxt = report.time_to_access_page(s, actor=me, cursor=cursor)
    assured = {i: (partner, reference) for i, partner, reference in s.execute(
        select(ForeignAssurance.id, Agreement.partner, ForeignAssurance.reference)
        .join(Agreement, Agreement.id == ForeignAssurance.agreement_id)
        .where(ForeignAssurance.id.in_([r.assurance_id for r in rows])))}
    s.rollback()
    return render(request, "reciprocity/time_to_access.html", rows=rows, assured=assured,
                  next_cursor=nxt, summary=summary, fast_hours=FAST_HOURS)

"""/api/v1 routes of international reciprocity: thin handlers over the services."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.reciprocity import assurances, originator, report, transfers, visits
from hozen.reciprocity import services as reciprocity
from hozen.reciprocity.schemas import (
    AgreementUpdate,
    AgreementView,
    AssuranceView,
    ConsentCreate,
    ConsentDecision,
    ConsentView,
    FacilityAssuranceCreate,
    PersonnelAssuranceCreate,
    TransferCreate,
    TransferCustody,
    TransferDecision,
    TransferView,
    VisitCreate,
    VisitDecision,
    VisitView,
)
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["reciprocity"],
                   responses=PROBLEM_RESPONSES)


@router.get("/agreements", dependencies=[requires(P.RECIPROCITY_AGREEMENT_READ)])
def list_agreements(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[AgreementView]:
    """Japan's information security agreements with each partner's levels and the
    equivalence table in both directions; `confirmed: false` marks a table to be
    confirmed. Oldest in force first, a page at a time: `next_cursor` fetches the next
    (null on the last)."""
    rows, nxt = reciprocity.list_agreements(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=[reciprocity.view(a) for a in rows], next_cursor=nxt)


@router.get("/agreements/{agreement_id}",
            dependencies=[requires(P.RECIPROCITY_AGREEMENT_READ)])
def read_agreement(agreement_id: str, s: Db, me: Me) -> AgreementView:
    return reciprocity.view(reciprocity.read_agreement(s, agreement_id, actor=me))


@router.patch("/agreements/{agreement_id}",
              dependencies=[requires(P.RECIPROCITY_AGREEMENT_WRITE)])
def update_agreement(agreement_id: str, body: AgreementUpdate, s: Db, me: Me) -> AgreementView:
    """An administrator corrects the table or the term: the whole table is checked (no
    partner level maps upwards, every level is the partner's own)."""
    return reciprocity.view(reciprocity.update_agreement(s, agreement_id, body, actor=me))


# --- foreign clearance assurances ------------------------------------------------------------


@router.post("/foreign-assurances/personnel", status_code=201,
             dependencies=[requires(P.RECIPROCITY_ASSURANCE_SUBMIT)])
def submit_personnel(body: PersonnelAssuranceCreate, s: Db, me: Me) -> AssuranceView:
    """A partner government's liaison assures that a national holds a clearance at a
    partner level until a date; hozen records the hozen level its agreement maps it to
    (never upwards). The person is registered with the assurance."""
    return assurances.view(s, assurances.submit_personnel(s, body, actor=me))


@router.post("/foreign-assurances/facility", status_code=201,
             dependencies=[requires(P.RECIPROCITY_ASSURANCE_SUBMIT)])
def submit_facility(body: FacilityAssuranceCreate, s: Db, me: Me) -> AssuranceView:
    """A partner company's facility clearance, as its government assures it."""
    return assurances.view(s, assurances.submit_facility(s, body, actor=me))


@router.get("/foreign-assurances", dependencies=[requires(P.RECIPROCITY_ASSURANCE_READ)])
def list_assurances(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[AssuranceView]:
    """Every assurance for government roles; a liaison's own government's for a liaison.
    Newest first, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = assurances.list_assurances(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=assurances.views(s, rows), next_cursor=nxt)


@router.get("/foreign-assurances/{assurance_id}",
            dependencies=[requires(P.RECIPROCITY_ASSURANCE_READ, deny_as=404)])
def read_assurance(assurance_id: str, s: Db, me: Me) -> AssuranceView:
    return assurances.view(s, assurances.read(s, assurance_id, actor=me))


@router.post("/foreign-assurances/{assurance_id}/withdrawal",
             dependencies=[requires(P.RECIPROCITY_ASSURANCE_SUBMIT, deny_as=404)])
def withdraw_assurance(assurance_id: str, s: Db, me: Me) -> AssuranceView:
    return assurances.view(s, assurances.withdraw(s, assurance_id, actor=me))


# --- visit requests --------------------------------------------------------------------------


@router.post("/visits", status_code=201, dependencies=[requires(P.RECIPROCITY_VISIT_REQUEST)])
def request_visit(body: VisitCreate, s: Db, me: Me) -> VisitView:
    """Partner nationals visit a host's approved area for a programme. Approved at once
    when the agreement and the programme pre-authorise the visitors' countries and every
    check passes (`fast_path`); otherwise by the programme's agency and the host."""
    return visits.view(s, visits.request_visit(s, body, actor=me), actor=me)


@router.get("/visits", dependencies=[requires(P.RECIPROCITY_VISIT_READ)])
def list_visits(s: Db, me: Me, cursor: PageCursor = None,
                limit: Limit = 50) -> Page[VisitView]:
    """The requests the caller may see, newest first, a page at a time: `next_cursor`
    fetches the next (null on the last)."""
    rows, nxt = visits.list_visits(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=visits.views(s, rows, actor=me), next_cursor=nxt)


@router.get("/visits/{visit_id}", dependencies=[requires(P.RECIPROCITY_VISIT_READ,
                                                         deny_as=404)])
def read_visit(visit_id: str, s: Db, me: Me) -> VisitView:
    return visits.view(s, visits.read(s, visit_id, actor=me), actor=me)


@router.post("/visits/{visit_id}/decision",
             dependencies=[requires(P.RECIPROCITY_VISIT_DECIDE, deny_as=404)])
def decide_visit(visit_id: str, body: VisitDecision, s: Db, me: Me) -> VisitView:
    """The programme's agency or the host's security officer approves or refuses (with
    reasons); both must approve."""
    return visits.view(s, visits.decide(s, visit_id, body, actor=me), actor=me)


@router.get("/reports/time-to-access", dependencies=[requires(P.RECIPROCITY_REPORT_READ)])
def time_to_access(s: Db, me: Me, cursor: PageCursor = None,
                   limit: Limit = 50) -> Page[dict]:
    """For every foreign visitor: hours and human steps from their government's assurance
    to their first permitted access, counted from the audit log; newest assurance first, a
    page at a time: `next_cursor` fetches the next (null on the last). A page may hold
    fewer rows than `limit` (an assurance the audit log does not show submitted has no
    figures). The aggregates are the report /reports/timeliness' visit tables."""
    rows, nxt = report.time_to_access_page(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=[m.__dict__ for m in rows], next_cursor=nxt)


# --- originator control --------------------------------------------------------------------

ConsentStatus = Literal["requested", "granted", "refused", "withdrawn"]


@router.post("/designations/{designation_id}/originator-consents", status_code=201,
             dependencies=[requires(P.RECIPROCITY_CONSENT_REQUEST, deny_as=404)])
def request_consent(designation_id: str, body: ConsentCreate, s: Db, me: Me) -> ConsentView:
    """The designating agency or a holder asks the partner government whose information
    the designation holds to consent to its passing to a third party; until it grants,
    no releasability may name that third party."""
    return originator.view(s, originator.request_consent(s, designation_id, body, actor=me))


@router.get("/originator-consents", dependencies=[requires(P.RECIPROCITY_CONSENT_READ)])
def list_consents(s: Db, me: Me,
                  status: Annotated[ConsentStatus | None, Query()] = None,
                  cursor: PageCursor = None, limit: Limit = 50) -> Page[ConsentView]:
    """Requests for the originator's consent: a liaison sees those asked of its own
    government, an agency those on its designations, a company those it made. Newest
    first, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = originator.list_consents(s, actor=me, status=status, cursor=cursor,
                                         limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/originator-consents/{consent_id}",
            dependencies=[requires(P.RECIPROCITY_CONSENT_READ, deny_as=404)])
def read_consent(consent_id: str, s: Db, me: Me) -> ConsentView:
    return originator.read_consent(s, consent_id, actor=me)


@router.post("/originator-consents/{consent_id}/decision",
             dependencies=[requires(P.RECIPROCITY_CONSENT_DECIDE, deny_as=404)])
def decide_consent(consent_id: str, body: ConsentDecision, s: Db, me: Me) -> ConsentView:
    """The originator's liaison grants or refuses, citing its government's reference."""
    return originator.view(s, originator.decide_consent(s, consent_id, body, actor=me))


@router.post("/originator-consents/{consent_id}/withdrawal",
             dependencies=[requires(P.RECIPROCITY_CONSENT_DECIDE, deny_as=404)])
def withdraw_consent(consent_id: str, s: Db, me: Me) -> ConsentView:
    return originator.view(s, originator.withdraw_consent(s, consent_id, actor=me))


# --- government-mediated transfers between companies -----------------------------------------


@router.post("/transfers", status_code=201,
             dependencies=[requires(P.RECIPROCITY_TRANSFER_REQUEST)])
def request_transfer(body: TransferCreate, s: Db, me: Me) -> TransferView:
    """A company's security officer asks to pass a classified item it holds to another
    company, at home or abroad; the item's designating agency decides (DESIGN R8)."""
    return transfers.view(s, transfers.request_transfer(s, body, actor=me))


@router.get("/transfers", dependencies=[requires(P.RECIPROCITY_TRANSFER_READ)])
def list_transfers(s: Db, me: Me, cursor: PageCursor = None,
                   limit: Limit = 50) -> Page[TransferView]:
    """Every transfer for government roles; a company's own, sent or received, for its
    security officer. Newest first, a page at a time: `next_cursor` fetches the next
    (null on the last)."""
    rows, nxt = transfers.list_transfers(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=transfers.views(s, rows), next_cursor=nxt)


@router.get("/transfers/{transfer_id}",
            dependencies=[requires(P.RECIPROCITY_TRANSFER_READ, deny_as=404)])
def read_transfer(transfer_id: str, s: Db, me: Me) -> TransferView:
    return transfers.view(s, transfers.read(s, transfer_id, actor=me))


@router.post("/transfers/{transfer_id}/decision",
             dependencies=[requires(P.RECIPROCITY_TRANSFER_DECIDE, deny_as=404, otp=True)])
def decide_transfer(transfer_id: str, body: TransferDecision, s: Db, me: Me) -> TransferView:
    """An official of the item's designating agency approves, or refuses with reasons."""
    return transfers.view(s, transfers.decide(s, transfer_id, body, actor=me))


@router.post("/transfers/{transfer_id}/dispatch",
             dependencies=[requires(P.RECIPROCITY_TRANSFER_CUSTODY, deny_as=404)])
def dispatch_transfer(transfer_id: str, body: TransferCustody, s: Db, me: Me) -> TransferView:
    """The sender's security officer records, once approved, that its handler passed the
    item on (a custody `transfer` event)."""
    return transfers.view(s, transfers.dispatch(s, transfer_id, body, actor=me))


@router.post("/transfers/{transfer_id}/receipt",
             dependencies=[requires(P.RECIPROCITY_TRANSFER_CUSTODY, deny_as=404)])
def receive_transfer(transfer_id: str, body: TransferCustody, s: Db, me: Me) -> TransferView:
    """The receiver's security officer records, once dispatched, that its handler took the
    item in (a custody `receipt` event)."""
    return transfers.view(s, transfers.receive(s, transfer_id, body, actor=me))

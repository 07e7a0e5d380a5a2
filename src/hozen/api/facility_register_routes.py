"""/api/v1 routes of a qualified business's registers: the handler register, the custody
log (append-only: no route changes or deletes an event), incidents, training records,
inspections, research participants and the contract's specification. Thin handlers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.facilities import contract, custody, incidents, inspections, registers
from hozen.facilities.register_schemas import (
    CustodyCreate,
    CustodyView,
    FindingView,
    HandlerCreate,
    HandlerView,
    IncidentClose,
    IncidentCreate,
    IncidentView,
    InspectionCreate,
    InspectionView,
    ParticipantCreate,
    ParticipantView,
    SpecificationCreate,
    SpecificationView,
    TrainingCreate,
    TrainingStatus,
    WhereView,
)
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["facilities"],
                   responses=PROBLEM_RESPONSES)
ITEM = "/items/{item_id}"
ONE = "/facilities/{facility_id}"


# --- the handler register ----------------------------------------------------------------------


@router.post(ITEM + "/handlers", status_code=201,
             dependencies=[requires(P.FACILITIES_CUSTODY, deny_as=404)])
def add_handler(item_id: str, body: HandlerCreate, s: Db, me: Me) -> HandlerView:
    """Add a cleared person of the caller's own staff to the item's handler register."""
    return registers.handler_view(registers.add_handler(s, item_id, body.person_id, actor=me))


@router.get(ITEM + "/handlers", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def item_handlers(item_id: str, s: Db, me: Me, current_only: bool = False,
                  cursor: PageCursor = None, limit: Limit = 50) -> Page[HandlerView]:
    """The item's handlers per organisation (a security officer: its own), a page at a
    time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = registers.list_handlers(s, item_id, actor=me, current_only=current_only,
                                        cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/item-handlers", dependencies=[requires(P.FACILITIES_READ)])
def handler_register(s: Db, me: Me, current_only: bool = False, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[HandlerView]:
    """The handler register as the caller may see it, by organisation and day added, a
    page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = registers.list_handlers(s, actor=me, current_only=current_only,
                                        cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/item-handlers/{handler_id}/removal",
             dependencies=[requires(P.FACILITIES_CUSTODY, deny_as=404)])
def remove_handler(handler_id: str, s: Db, me: Me) -> HandlerView:
    """Take a handler off the register (the entry is kept, with the day of removal)."""
    return registers.handler_view(registers.remove_handler(s, handler_id, actor=me))


# --- the custody log ---------------------------------------------------------------------------


@router.post("/custody-events", status_code=201,
             dependencies=[requires(P.FACILITIES_CUSTODY)])
def record_custody(body: CustodyCreate, s: Db, me: Me) -> CustodyView:
    """Log a receipt, handling, copy, transfer, return or witnessed destruction."""
    return custody.custody_view(custody.record_custody(s, body, actor=me))


@router.get(ITEM + "/custody", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def custody_log(item_id: str, s: Db, me: Me, cursor: PageCursor = None,
                limit: Limit = 50) -> Page[CustodyView]:
    """The item's custody events, oldest first, a page at a time."""
    rows, nxt = custody.custody_log(s, item_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.get("/custody/where", dependencies=[requires(P.FACILITIES_READ)])
def where_is(s: Db, me: Me, cursor: PageCursor = None,
             limit: Limit = 50) -> Page[WhereView]:
    """Where every item is: per item and organisation, its latest custody event, a page
    at a time."""
    rows, nxt = custody.where_is(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


# --- incidents ---------------------------------------------------------------------------------


@router.post("/incidents", status_code=201, dependencies=[requires(P.FACILITIES_CUSTODY)])
def report_incident(body: IncidentCreate, s: Db, me: Me) -> IncidentView:
    """Report a loss, leak, unauthorised access or mishandling."""
    return incidents.incident_view(s, incidents.report_incident(s, body, actor=me))


@router.get("/incidents", dependencies=[requires(P.FACILITIES_READ)])
def list_incidents(s: Db, me: Me, status: Literal["open", "closed"] | None = None,
                   cursor: PageCursor = None, limit: Limit = 50) -> Page[IncidentView]:
    """Newest first, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = incidents.list_incidents(s, actor=me, status=status, cursor=cursor,
                                         limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/incidents/{incident_id}/closure",
             dependencies=[requires(P.FACILITIES_INCIDENT_CLOSE, deny_as=404)])
def close_incident(incident_id: str, body: IncidentClose, s: Db, me: Me) -> IncidentView:
    i = incidents.close_incident(s, incident_id, body.closing_note, actor=me)
    return incidents.incident_view(s, i)


# --- training ----------------------------------------------------------------------------------


@router.post("/training-records", status_code=201,
             dependencies=[requires(P.FACILITIES_CUSTODY)])
def record_training(body: TrainingCreate, s: Db, me: Me) -> TrainingStatus:
    registers.record_training(s, body.person_id, body.kind, body.trained_on, actor=me)
    return registers.training_status(s, body.person_id, actor=me)


@router.get("/people/{person_id}/training",
            dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def training_status(person_id: str, s: Db, me: Me) -> TrainingStatus:
    return registers.training_status(s, person_id, actor=me)


@router.get("/training/overdue", dependencies=[requires(P.FACILITIES_CUSTODY)])
def overdue_training(s: Db, me: Me, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[TrainingStatus]:
    """Own staff who handle or are cleared and whose refresher is overdue, a page at a
    time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = registers.overdue_training(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


# --- inspections -------------------------------------------------------------------------------


@router.post(ONE + "/inspections", status_code=201,
             dependencies=[requires(P.FACILITIES_INSPECT, deny_as=404)])
def record_inspection(facility_id: str, body: InspectionCreate, s: Db,
                      me: Me) -> InspectionView:
    """A self-inspection (the business) or an on-site inspection (the agency)."""
    i = inspections.record_inspection(s, facility_id, body, actor=me)
    return inspections.inspection_view(s, i)


@router.get(ONE + "/inspections", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def list_inspections(facility_id: str, s: Db, me: Me, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[InspectionView]:
    """The facility's inspections, the latest held first, a page at a time."""
    rows, nxt = inspections.list_inspections(s, facility_id, actor=me, cursor=cursor,
                                             limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/facility-findings/{finding_id}/closure",
             dependencies=[requires(P.FACILITIES_INSPECT, deny_as=404)])
def close_finding(finding_id: str, s: Db, me: Me) -> FindingView:
    """Close a finding once its corrective action is done."""
    return inspections.close_finding(s, finding_id, actor=me)


@router.get("/facility-findings/overdue", dependencies=[requires(P.FACILITIES_READ)])
def overdue_findings(s: Db, me: Me, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[FindingView]:
    """Open corrective actions past their due date, oldest due first, a page at a time."""
    rows, nxt = inspections.overdue_findings(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


# --- research participants and the specification ---------------------------------------------


@router.post(ONE + "/participants", status_code=201,
             dependencies=[requires(P.FACILITIES_CUSTODY, deny_as=404)])
def add_participant(facility_id: str, body: ParticipantCreate, s: Db,
                    me: Me) -> ParticipantView:
    p = contract.add_participant(s, facility_id, body.person_id, body.screened_on, actor=me)
    return contract.participant_view(p)


@router.get(ONE + "/participants", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def list_participants(facility_id: str, s: Db, me: Me, cursor: PageCursor = None,
                      limit: Limit = 50) -> Page[ParticipantView]:
    """The project's participants in the order they joined, a page at a time."""
    rows, nxt = contract.list_participants(s, facility_id, actor=me, cursor=cursor,
                                           limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/research-participants/{participant_id}/removal",
             dependencies=[requires(P.FACILITIES_CUSTODY, deny_as=404)])
def remove_participant(participant_id: str, s: Db, me: Me) -> ParticipantView:
    return contract.participant_view(contract.remove_participant(s, participant_id, actor=me))


@router.post(ONE + "/specification", status_code=201,
             dependencies=[requires(P.FACILITIES_CERTIFY, deny_as=404)])
def add_specification(facility_id: str, body: SpecificationCreate, s: Db,
                      me: Me) -> SpecificationView:
    """The agency adds an item to the confidentiality contract's specification."""
    e = contract.add_specification(s, facility_id, body, actor=me)
    return contract.specification_view(e)


@router.get(ONE + "/specification", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def read_specification(facility_id: str, s: Db, me: Me, cursor: PageCursor = None,
                       limit: Limit = 50) -> Page[SpecificationView]:
    """The contract's specification in the order recorded, a page at a time."""
    rows, nxt = contract.read_specification(s, facility_id, actor=me, cursor=cursor,
                                            limit=limit)
    return Page(items=rows, next_cursor=nxt)

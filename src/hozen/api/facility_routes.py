"""/api/v1 routes of facility clearance and FOCI: thin handlers over the services."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.facilities import foci_service
from hozen.facilities import services as facilities
from hozen.facilities.checklist import load_checklist
from hozen.facilities.schemas import (
    ChangeDecision,
    ChangeReportCreate,
    ChecklistRecord,
    FacilityApplication,
    FacilityDecision,
    FacilityPropose,
    FacilityView,
    FociDeclare,
    FociView,
    MitigationCreate,
)
from hozen.registry.schemas import Page

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["facilities"],
                   responses=PROBLEM_RESPONSES)
ONE = "/facilities/{facility_id}"
ORG = "/organisations/{organisation_id}"


@router.get("/facilities", dependencies=[requires(P.FACILITIES_READ)])
def list_facilities(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[FacilityView]:
    """Certifications as the caller may see them (a security officer: its own), newest
    first, a page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = facilities.list_facilities(s, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/facilities", status_code=201, dependencies=[requires(P.FACILITIES_PROPOSE)])
def propose(body: FacilityPropose, s: Db, me: Me) -> FacilityView:
    """The agency proposes a business, or a research project of a university."""
    return facilities.view(s, facilities.propose(s, body, actor=me))


@router.get("/facility-checklist", dependencies=[requires(P.FACILITIES_READ)])
def checklist() -> dict:
    """The certification checklist with each control's regimes and references."""
    c = load_checklist()
    return {"version": c.version,
            "regimes": [{"id": k, "ja": ja, "en": en} for k, ja, en in c.regimes],
            "controls": [{"id": x.id, "group": x.group, "ja": x.title_ja, "en": x.title_en,
                          "required": x.required, "regimes": list(x.tags),
                          "refs": {k: list(v) for k, v in x.refs}} for x in c.controls]}


@router.get(ONE, dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def read(facility_id: str, s: Db, me: Me) -> FacilityView:
    return facilities.read_facility(s, facility_id, actor=me)


@router.post(ONE + "/application", dependencies=[requires(P.FACILITIES_APPLY, deny_as=404)])
def apply(facility_id: str, body: FacilityApplication, s: Db, me: Me) -> FacilityView:
    return facilities.view(s, facilities.apply(s, facility_id, body, actor=me))


@router.post(ONE + "/review", dependencies=[requires(P.FACILITIES_CERTIFY, deny_as=404)])
def start_review(facility_id: str, s: Db, me: Me) -> FacilityView:
    return facilities.view(s, facilities.start_review(s, facility_id, actor=me))


@router.post(ONE + "/checklist", dependencies=[requires(P.FACILITIES_CERTIFY, deny_as=404)])
def record_checklist(facility_id: str, body: ChecklistRecord, s: Db, me: Me) -> FacilityView:
    return facilities.view(s, facilities.record_checklist(s, facility_id, body, actor=me))


@router.get(ONE + "/crosswalk", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def crosswalk(facility_id: str, s: Db, me: Me) -> dict:
    """Per regime, which of its controls have evidence (entered once for all)."""
    return facilities.crosswalk_view(s, facility_id, actor=me)


@router.get(ONE + "/blockers", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def blockers(facility_id: str, s: Db, me: Me) -> list[dict]:
    """What still bars certification, field by field."""
    f = facilities.access_facility(s, me, facility_id)
    return [{"field": f_, "code": c} for f_, c in facilities.certification_errors(s, f)]


def _decision(name: str, action, permission: P, doc: str):
    def handler(facility_id: str, body: FacilityDecision, s: Db, me: Me) -> FacilityView:
        return facilities.view(s, action(s, facility_id, body, actor=me))
    handler.__name__, handler.__doc__ = name, doc
    router.post(ONE + f"/{name.replace('_', '-')}",
                dependencies=[requires(permission, deny_as=404)])(handler)


_decision("certify", facilities.certify, P.FACILITIES_CERTIFY,
          "Certify for the policy's period once nothing bars it.")
_decision("refuse", facilities.refuse, P.FACILITIES_CERTIFY, "Refuse, with reasons.")
_decision("suspend", facilities.suspend, P.FACILITIES_CERTIFY, "Suspend, with reasons.")
_decision("reinstate", facilities.reinstate, P.FACILITIES_CERTIFY,
          "Reinstate a suspended certification (no open critical finding).")
_decision("revoke", facilities.revoke, P.FACILITIES_CERTIFY, "Revoke, with reasons.")
_decision("withdraw", facilities.withdraw, P.FACILITIES_READ,
          "Withdraw (the agency, or the business itself).")
_decision("national_interest", facilities.approve_national_interest,
          P.FACILITIES_NATIONAL_INTEREST,
          "A national-interest approval for SDS access of a mitigated business.")


@router.post(ONE + "/changes", status_code=201,
             dependencies=[requires(P.FACILITIES_APPLY, deny_as=404)])
def report_change(facility_id: str, body: ChangeReportCreate, s: Db, me: Me) -> dict:
    """Report a change before making it; it takes effect once approved."""
    c = facilities.report_change(s, facility_id, body, actor=me)
    return {"id": c.id, "status": c.status}


@router.post("/facility-changes/{change_id}/decision",
             dependencies=[requires(P.FACILITIES_CERTIFY, deny_as=404)])
def decide_change(change_id: str, body: ChangeDecision, s: Db, me: Me) -> dict:
    c = facilities.decide_change(s, change_id, body, actor=me)
    return {"id": c.id, "status": c.status}


# --- FOCI --------------------------------------------------------------------------------------


@router.get(ORG + "/foci", dependencies=[requires(P.FACILITIES_READ, deny_as=404)])
def foci(organisation_id: str, s: Db, me: Me) -> FociView:
    """Effective foreign ownership and voting power from the ownership graph, the board,
    declared debt and revenue, mitigations, and what each level still needs."""
    return foci_service.assess(s, organisation_id, actor=me)


@router.get(ORG + "/ownership.svg", dependencies=[requires(P.FACILITIES_READ, deny_as=404)],
            response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def ownership_picture(organisation_id: str, s: Db, me: Me) -> Response:
    """The ownership graph, foreign paths highlighted."""
    return Response(foci_service.picture(s, organisation_id, actor=me),
                    media_type="image/svg+xml", headers={"cache-control": "no-store"})


@router.post(ORG + "/foci-declarations", status_code=201,
             dependencies=[requires(P.FACILITIES_FOCI_DECLARE, deny_as=404)])
def declare(organisation_id: str, body: FociDeclare, s: Db, me: Me) -> FociView:
    foci_service.declare(s, organisation_id, body, actor=me)
    return foci_service.assess(s, organisation_id, actor=me)


@router.post(ORG + "/foci-mitigations", status_code=201,
             dependencies=[requires(P.FACILITIES_FOCI_MITIGATE, deny_as=404)])
def mitigate(organisation_id: str, body: MitigationCreate, s: Db, me: Me) -> FociView:
    foci_service.record_mitigation(s, organisation_id, body, actor=me)
    return foci_service.assess(s, organisation_id, actor=me)

"""/api/v1 routes of outgoing reciprocity: a Japanese person's clearance assurance and a
Request for Visit abroad, as JSON or as a PDF a partner reads."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Me
from hozen.pdf import table_pdf
from hozen.reciprocity import outgoing
from hozen.reciprocity.outgoing import (
    OutgoingAssurance,
    OutgoingVisitCreate,
    OutgoingVisitRequest,
)

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["reciprocity"],
                   responses=PROBLEM_RESPONSES)
Partner = Annotated[str, Query(pattern=r"^[A-Z]{3,4}$",
                               description="ISO 3166 alpha-3 code, or NATO")]
SECTION_HEADERS = ["Section", "Item", "Entry"]
WIDTHS = (55, 60, 162)


def _pdf(title: str, rows: list[list[str]], filename: str) -> Response:
    body = table_pdf(title, SECTION_HEADERS, rows, widths=WIDTHS)
    return Response(body, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{filename}"',
                             "cache-control": "no-store"})


@router.get("/people/{person_id}/assurance",
            dependencies=[requires(P.RECIPROCITY_OUTGOING_ASSURANCE, deny_as=404)])
def assurance(person_id: str, partner: Partner, s: Db, me: Me) -> OutgoingAssurance:
    """A Japanese person's clearance as the partner reads it: the partner's equivalent
    level through its agreement's table (never upwards), validity and the issuing
    authority; 422 when the agreement is not in force or the level has no equivalent."""
    return outgoing.issue_assurance(s, person_id, partner, actor=me)


@router.get("/people/{person_id}/assurance.pdf", response_class=Response,
            dependencies=[requires(P.RECIPROCITY_OUTGOING_ASSURANCE, deny_as=404)])
def assurance_pdf(person_id: str, partner: Partner, s: Db, me: Me) -> Response:
    a = outgoing.issue_assurance(s, person_id, partner, actor=me)
    return _pdf(f"Personnel security clearance assurance — {a.partner}",
                outgoing.assurance_rows(a), "assurance.pdf")


@router.post("/outgoing-visit-requests/export", response_model=None,
             dependencies=[requires(P.RECIPROCITY_OUTGOING_VISIT)])
def export_visit_request(body: OutgoingVisitCreate, s: Db, me: Me,
                         format: Literal["json", "pdf"] = "json"
                         ) -> OutgoingVisitRequest | Response:
    """A Request for Visit abroad laid out like the MISWG form; every visitor is checked
    (in scope, Japanese, cleared with an equivalent) and every refusal named by field.
    Not stored: produced for the partner and audited."""
    v = outgoing.export_visit_request(s, body, actor=me)
    if format == "pdf":
        return _pdf(f"Request for Visit — {v.partner}", outgoing.visit_rows(v),
                    "request-for-visit.pdf")
    return v

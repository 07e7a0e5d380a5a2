"""/api/v1 routes of the reports: each report as JSON (the default), CSV or PDF; and the
clearance allowances employers record (R12). Thin: parse, call one service, render."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Me
from hozen.clearances.rules import Regime
from hozen.db import report_reader, utcnow
from hozen.reports import burden as burden_service
from hozen.reports.exports import MEDIA, export, to_json
from hozen.reports.schemas import AllowanceCreate, ReportQuery
from hozen.reports.services import build_report
from hozen.web.i18n import translations
from hozen.web.pages import language

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["reports"],
                   responses=PROBLEM_RESPONSES)

Format = Annotated[Literal["json", "csv", "pdf"], Query(alias="format")]
# ?format=csv and ?format=pdf answer the same report as a file.
EXPORTS = {200: {"content": {"text/csv": {"schema": {"type": "string"}},
                             "application/pdf": {"schema": {"type": "string",
                                                            "format": "binary"}}}}}
Year = Annotated[int | None, Query(ge=2000, le=2100)]


def respond(request: Request, s: Db, me: Me, name: str, query: ReportQuery, fmt: str):
    with report_reader(s) as reader:
        report = build_report(reader, name, query, actor=me, today=utcnow().date())
    s.rollback()  # a report writes nothing: end the read before rendering
    if fmt == "json":
        return to_json(report)
    body = export(report, fmt, translations(language(request)).gettext)
    suffix = query.year if query.year else utcnow().date().isoformat()
    return Response(body, media_type=MEDIA[fmt], headers={
        "content-disposition": f'attachment; filename="{name}-{suffix}.{fmt}"',
        "cache-control": "no-store"})


@router.get("/reports/timeliness", dependencies=[requires(P.REPORTS_TIMELINESS_READ)],
            responses=EXPORTS)
def timeliness(request: Request, s: Db, me: Me, year: Year = None,
               regime: Regime | None = None,
               target_days: Annotated[int, Query(ge=1, le=3650)] = 60,
               fmt: Format = "json"):
    """Median and 90th-percentile days per regime and phase, the share decided within
    `target_days`, the backlog by age, monthly trends, designation reviews on time and
    foreign visitors' time to access."""
    return respond(request, s, me, "timeliness",
                   ReportQuery(year=year, regime=regime, target_days=target_days), fmt)


@router.get("/reports/burden", dependencies=[requires(P.REPORTS_BURDEN_READ)],
            responses=EXPORTS)
def burden(request: Request, s: Db, me: Me, year: Year = None, fmt: Format = "json"):
    """Hours, fees and allowances per organisation, sector and year (R12); a company's
    security officer gets its own organisation's figures only."""
    return respond(request, s, me, "burden", ReportQuery(year=year), fmt)


@router.get("/reports/annual", dependencies=[requires(P.REPORTS_ANNUAL_READ)],
            responses=EXPORTS)
def annual(request: Request, s: Db, me: Me, year: Year = None, fmt: Format = "json"):
    """The yearly report to the Diet for `year` (default: this year)."""
    return respond(request, s, me, "annual", ReportQuery(year=year), fmt)


@router.get("/reports/due-dates", dependencies=[requires(P.REPORTS_DUE_DATES_READ)],
            responses=EXPORTS)
def due_dates(request: Request, s: Db, me: Me,
              horizon_days: Annotated[int, Query(ge=1, le=3650)] = 180,
              fmt: Format = "json"):
    """What expires or falls due within `horizon_days`: clearances, certifications,
    designation reviews and terms (a company's own only)."""
    return respond(request, s, me, "due-dates", ReportQuery(horizon_days=horizon_days), fmt)


@router.post("/clearance-allowances", status_code=201,
             dependencies=[requires(P.REPORTS_ALLOWANCE_RECORD)])
def record_allowance(body: AllowanceCreate, s: Db, me: Me) -> dict:
    """An allowance the caller's organisation paid one of its staff for a period."""
    row = burden_service.record_allowance(s, body, actor=me)
    return {"id": row.id, "person_id": row.person_id, "organisation_id": row.organisation_id,
            "amount_yen": row.amount_yen, "period_start": row.period_start,
            "period_end": row.period_end}

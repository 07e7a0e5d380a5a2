"""Pages of the reports: the dashboard (each role's charts, drawn server-side as SVG,
each with its table) and one page per report with its CSV and PDF downloads; and the
handler register as PDF. Thin: parse the query, call one service, render."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.clearances.rules import Regime
from hozen.db import report_reader, utcnow
from hozen.errors import NotFound
from hozen.facilities import registers
from hozen.messages import N_
from hozen.paging import every
from hozen.pdf import table_pdf
from hozen.reports import burden as burden_service
from hozen.reports import svg as charts
from hozen.reports.exports import MEDIA, cell, export
from hozen.reports.schemas import AllowanceCreate, Report, ReportQuery
from hozen.reports.services import available, build_report
from hozen.web.i18n import translations
from hozen.web.pages import language, render
from hozen.web.register_pages import own_staff, person_name
from hozen.web.routes import blank_to_none, form_step, parse

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
Format = Annotated[Literal["html", "csv", "pdf"], Query(alias="format")]
Year = Annotated[int | None, Query(ge=2000, le=2100)]

TITLES = {"timeliness": N_("Timeliness"), "burden": N_("Burden and cost"),
          "annual": N_("Annual report"), "due-dates": N_("Due dates")}
# What each report puts on the dashboard (the rest is on its own page).
DASHBOARD = {"timeliness": ("phases", "monthly", "backlog"), "burden": ("organisations",
             "years"), "annual": ("assessments", "designations"), "due-dates": ("months",)}


def figures(report: Report, gettext, keys: tuple[str, ...] | None = None) -> list[dict]:
    """Each table with its chart as an SVG image (data: URL, which the page's content
    security policy allows) and its cells as text."""
    out = []
    for t in report.tables:
        if keys is not None and t.key not in keys:
            continue
        svg = charts.svg(t, gettext)
        out.append({"key": t.key, "title": gettext(t.title), "note": gettext(t.note)
                    if t.note else "", "headers": [gettext(label) for _, label in t.columns],
                    "rows": [[cell(v, gettext) for v in row] for row in t.rows],
                    "chart": "data:image/svg+xml;base64," + base64.b64encode(
                        svg.encode()).decode() if svg else None})
    return out


def _page(request: Request, s: Session, me: Actor, name: str, query: ReportQuery,
          fmt: str, *, status: int = 200, errors: dict | None = None,
          values: dict | None = None):
    with report_reader(s) as reader:
        report = build_report(reader, name, query, actor=me, today=utcnow().date())
    s.rollback()  # a report writes nothing: end the read before rendering
    gettext = translations(language(request)).gettext
    if fmt != "html":
        suffix = query.year if query.year else utcnow().date().isoformat()
        return Response(export(report, fmt, gettext), media_type=MEDIA[fmt], headers={
            "content-disposition": f'attachment; filename="{name}-{suffix}.{fmt}"',
            "cache-control": "no-store"})
    records = name == "burden" and me.can(P.REPORTS_ALLOWANCE_RECORD)
    staff = [(p.id, person_name(p)) for p in own_staff(s, me)] if records else []
    # (the staff list is read through the registry, which records the read: committed)
    return render(request, "report_page.html", status=status, name=name, title=TITLES[name],
                  report=report, figures=figures(report, gettext), params=report.params,
                  records=records, staff=staff, errors=errors or {}, values=values or {})


@router.get("/dashboard", dependencies=[page_requires(P.REPORTS_DASHBOARD_READ)])
def dashboard(request: Request, s: Db, me: Me, year: Year = None):
    """The caller's reports in charts: the window and oversight see every figure, a
    company's security officer its own costs and due dates."""
    started = time.perf_counter()
    gettext = translations(language(request)).gettext
    today = utcnow().date()
    sections = []
    with report_reader(s) as reader:
        for name in available(me):
            report = build_report(reader, name, ReportQuery(year=year), actor=me,
                                  today=today, tables=DASHBOARD[name])
            sections.append({"name": name, "title": TITLES[name],
                             "figures": figures(report, gettext, DASHBOARD[name])})
    s.rollback()
    return render(request, "dashboard.html", sections=sections, year=year,
                  elapsed_ms=round(1000 * (time.perf_counter() - started)))


@router.get("/reports/timeliness", dependencies=[page_requires(P.REPORTS_TIMELINESS_READ)])
def timeliness_page(request: Request, s: Db, me: Me, year: Year = None,
                    regime: Regime | None = None,
                    target_days: Annotated[int, Query(ge=1, le=3650)] = 60,
                    fmt: Format = "html"):
    return _page(request, s, me, "timeliness",
                 ReportQuery(year=year, regime=regime, target_days=target_days), fmt)


@router.get("/reports/burden", dependencies=[page_requires(P.REPORTS_BURDEN_READ)])
def burden_page(request: Request, s: Db, me: Me, year: Year = None, fmt: Format = "html"):
    return _page(request, s, me, "burden", ReportQuery(year=year), fmt)


@router.post("/reports/burden/allowances",
             dependencies=[page_requires(P.REPORTS_ALLOWANCE_RECORD)])
async def record_allowance(request: Request, s: Db, me: Me):
    """An employer records a clearance allowance it paid one of its staff (R12)."""
    def act(form: dict) -> None:
        values = blank_to_none(form, ["person_id", "amount_yen", "period_start",
                                      "period_end"])
        burden_service.record_allowance(s, parse(AllowanceCreate, values), actor=me)

    return await form_step(request, s, act, done="/reports/burden", refused=lambda form, errors:
                           _page(request, s, me, "burden", ReportQuery(), "html", status=422,
                                 errors=errors, values=form))


@router.get("/reports/annual", dependencies=[page_requires(P.REPORTS_ANNUAL_READ)])
def annual_page(request: Request, s: Db, me: Me, year: Year = None, fmt: Format = "html"):
    return _page(request, s, me, "annual", ReportQuery(year=year), fmt)


@router.get("/reports/due-dates", dependencies=[page_requires(P.REPORTS_DUE_DATES_READ)])
def due_dates_page(request: Request, s: Db, me: Me,
                   horizon_days: Annotated[int, Query(ge=1, le=3650)] = 180,
                   fmt: Format = "html"):
    return _page(request, s, me, "due-dates", ReportQuery(horizon_days=horizon_days), fmt)


def _title(s: Session, me: Actor, item_id: str) -> str:
    try:
        return registers.access_item(s, me, item_id).title
    except NotFound:  # an item no longer held: its id stands in
        return item_id


@router.get("/registers/handlers.pdf", dependencies=[page_requires(P.FACILITIES_CUSTODY)])
def handler_register_pdf(request: Request, s: Db, me: Me) -> Response:
    """The handler register (取扱者名簿) of the caller's organisation as a PDF."""
    tr = translations(language(request))
    names = {p.id: person_name(p) for p in own_staff(s, me)}
    handlers = every(registers.list_handlers, s, actor=me)  # the whole register
    titles = {i: _title(s, me, i) for i in {h.item_id for h in handlers}}
    headers = [tr.gettext(h) for h in (N_("Item"), N_("Handler"), N_("Added"),
                                       N_("Removed"))]
    rows = [[titles[h.item_id], names.get(h.person_id, h.person_id), h.added_on.isoformat(),
             h.removed_on.isoformat() if h.removed_on else ""] for h in handlers]
    body = table_pdf(tr.gettext("Handler register"), headers, rows, widths=(40, 30, 15, 15))
    return Response(body, media_type="application/pdf",
                    headers={"content-disposition": 'attachment; filename="handlers.pdf"',
                             "cache-control": "no-store"})

"""The dashboard and report pages through the real application with real sign-in: each
chart is an SVG image drawn server-side with its table beside it; the downloads are CSV
and PDF; a company's officer sees its own figures only; bad input gets a 4xx page; the
handler register downloads as PDF."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest

from hozen.accounts.permissions import Role
from hozen.db import new_id, session_factory
from hozen.facilities.models import Handler
from tests.functional.test_outgoing import pdf_text
from tests.functional.test_reports import YEAR, Data, data  # noqa: F401
from tests.pages import element, text

WO, CSO, SUB = Role.WINDOW_OFFICER, Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


def charts_of(html: str) -> list[str]:
    return [base64.b64decode(m).decode() for m in
            re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)]


def test_the_windows_dashboard_draws_every_chart_with_its_table(web, data: Data):  # noqa: F811
    page = web(data.world.users[WO]).get(f"/dashboard?year={YEAR}")
    assert page.status_code == 200, page.text[:300]
    svgs = charts_of(page.text)
    assert len(svgs) >= 6 and all(s.startswith("<svg") and "<path" in s for s in svgs)
    for name in ("timeliness", "burden", "annual", "due-dates"):
        assert f'id="report-{name}"' in page.text
    phases = element(page.text, 'id="timeliness-phases"')
    assert "<img" in phases and "<table" in phases and "34.5" in text(phases)
    assert 'alt="Chart: Days per phase' in phases


def test_a_company_dashboard_shows_its_own_costs_and_due_dates(web, data: Data):  # noqa: F811
    page = web(data.world.users[CSO]).get("/dashboard")
    assert page.status_code == 200
    assert 'id="report-burden"' in page.text and 'id="report-due-dates"' in page.text
    assert 'id="report-timeliness"' not in page.text and 'id="report-annual"' not in page.text
    assert data.world.other_company.name_ja not in page.text
    assert web(data.world.users[CSO]).get("/reports/annual").status_code == 403


def test_a_subject_has_no_dashboard(web, data: Data):  # noqa: F811
    browser = web(data.world.users[SUB])
    assert browser.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in browser.get("/").text


@pytest.mark.parametrize("name", ["timeliness", "burden", "annual", "due-dates"])
def test_each_report_page_and_its_downloads(web, data: Data, name):  # noqa: F811
    browser = web(data.world.users[WO])
    page = browser.get(f"/reports/{name}")
    assert page.status_code == 200 and 'id="download-pdf"' in page.text
    r = browser.get(f"/reports/{name}?format=csv")
    assert r.headers["content-type"].startswith("text/csv") and r.content[:3] == b"\xef\xbb\xbf"
    r = browser.get(f"/reports/{name}?format=pdf")
    assert r.headers["content-type"] == "application/pdf" and r.content[:4] == b"%PDF"


@pytest.mark.parametrize("url", ["/reports/annual?year=3000", "/reports/burden?year=x",
                                 "/reports/timeliness?format=docx",
                                 "/reports/due-dates?horizon_days=0"])
def test_bad_input_on_a_page_is_a_4xx(web, data: Data, url):  # noqa: F811
    assert web(data.world.users[WO]).get(url).status_code == 400


def test_the_handler_register_as_pdf(web, clean, data: Data):  # noqa: F811
    from hozen.designations.models import Designation, DesignationHolder, Item

    w = data.world
    with session_factory(clean)() as s:
        d = s.query(Designation).filter_by(reference="R-0").one()
        s.add(DesignationHolder(id=new_id(), designation_id=d.id, organisation_id=w.company.id))
        item = Item(id=new_id(), title="設計図面", kind="document", owner_id=w.gov.id,
                    designation_id=d.id, created_by=w.users[Role.AGENCY_OFFICIAL].user_id)
        s.add(item)
        s.flush()
        s.add(Handler(id=new_id(), item_id=item.id, organisation_id=w.company.id,
                      person_id=w.staff.id, added_on=date(YEAR, 5, 1),
                      added_by=w.users[CSO].user_id))
        s.commit()
    r = web(w.users[CSO]).get("/registers/handlers.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    body = pdf_text(r.content)
    assert "Handler register" in body  # the page's language (English in these tests)
    assert "設計図面" in body and f"{YEAR}-05-01" in body
    assert web(w.users[WO]).get("/registers/handlers.pdf").status_code == 403


def test_the_officer_records_an_allowance_on_the_burden_page(web, clean, data: Data):  # noqa: F811
    from sqlalchemy import func, select

    from hozen.reports.models import ClearanceAllowance

    w = data.world
    officer = web(w.users[CSO])
    page = officer.get("/reports/burden")
    assert 'action="/reports/burden/allowances"' in page.text
    assert f'value="{w.staff.id}"' in page.text  # its own staff to choose from
    assert f'value="{w.outsider.id}"' not in page.text

    def count() -> int:
        with session_factory(clean)() as s:
            return s.scalar(select(func.count()).select_from(ClearanceAllowance))

    before = count()
    r = officer.post("/reports/burden/allowances", {
        "person_id": w.outsider.id, "amount_yen": "1000", "period_start": "2025-01-01",
        "period_end": "2025-01-31"})
    assert r.status_code == 422 and 'id="e-person_id"' in r.text and count() == before
    r = officer.post("/reports/burden/allowances", {
        "person_id": w.staff.id, "amount_yen": "", "period_start": "2025-01-01",
        "period_end": "2025-01-31"})
    assert r.status_code == 422 and 'id="e-amount_yen"' in r.text and count() == before
    r = officer.post("/reports/burden/allowances", {
        "person_id": w.staff.id, "amount_yen": "1000", "period_start": "2025-01-01",
        "period_end": "2025-01-31"})
    assert r.status_code == 303 and r.headers["location"] == "/reports/burden"
    assert count() == before + 1
    assert 'action="/reports/burden/allowances"' not in web(w.users[WO]).get(
        "/reports/burden").text

"""The window's dashboard in real Chromium, in Japanese (issue 9, must show): every chart
— an SVG drawn by matplotlib on the server — loads and is drawn (the page's content
security policy lets the data: images through), each beside its table; the page's
screenshot is saved for the README at docs/dashboard.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.db import unit_of_work, utcnow
from hozen.web.i18n import translations
from tests.browser.helpers import sign_in_as
from tests.functional.test_reports import YEAR, _burden, _cases, _designations_and_more

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"


@pytest.fixture(scope="module")
def measured(live_server, engine):
    """The reports' known-answer data set, written once for the module."""
    with unit_of_work(engine) as s:
        today = utcnow().date()
        _cases(s, live_server.world, today)
        _burden(s, live_server.world)
        _designations_and_more(s, live_server.world, today)
    return live_server


def test_the_windows_dashboard_renders_its_charts(page: Page, measured):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1400, "height": 1100})
    sign_in_as(page, measured, Role.WINDOW_OFFICER, f"/dashboard?year={YEAR}")
    expect(page.locator("h1")).to_have_text(translations("ja").gettext("Dashboard"))
    charts = page.locator("figure.chart img")
    assert charts.count() >= 6
    for i in range(charts.count()):
        img = charts.nth(i)
        img.scroll_into_view_if_needed()
        # decoded and drawn: an SVG that failed (or was blocked) has no natural size
        assert img.evaluate("el => el.complete && el.naturalWidth > 0"), i
        table = img.locator("xpath=ancestor::section[1]//table")
        expect(table).to_have_count(1)
    phases = page.locator("#timeliness-phases table")
    expect(phases).to_contain_text("34.5")  # the median of the 50 decided cases
    expect(page.locator("#report-burden")).to_be_visible()
    expect(page.locator("#report-annual")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 20_000


def test_a_company_officer_sees_its_own_costs(page: Page, measured):
    sign_in_as(page, measured, Role.COMPANY_SECURITY_OFFICER, "/dashboard")
    expect(page.locator("#report-burden figure.chart img")).not_to_have_count(0)
    expect(page.locator("#report-timeliness")).to_have_count(0)
    expect(page.locator("#report-burden")).not_to_contain_text(
        measured.world.other_company.name_ja)

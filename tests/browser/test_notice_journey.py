"""A mass notice in real Chromium (English pages): the window officer composes a notice
to the security officers of companies, previews whom it reaches, sends it and sees that
nobody has read it yet; the company's security officer finds it in the inbox and marks
it read; the window officer then sees the receipt, with when."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def test_the_window_sends_a_notice_and_sees_who_has_read_it(page: Page, live_server):
    server = live_server
    sign_in(page, server, server.username(Role.WINDOW_OFFICER), "/notices", lang="en")
    page.get_by_label("Title").fill("Year-end security arrangements")
    page.get_by_label("Text").fill("The window is closed from 28 December to 3 January.")
    page.get_by_label("Company", exact=True).check()
    page.get_by_role("button", name="Preview recipients").click()
    expect(page.locator("#preview")).to_contain_text(
        "This notice would reach 1 security officer(s) in 2 organisation(s).")
    expect(page.locator("#preview")).to_contain_text("1 chosen organisation(s) have no "
                                                     "security officer")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("h1")).to_have_text("Year-end security arrangements")
    expect(page.locator("#read-count")).to_have_text("0 of 1 recipient(s) have read it.")
    notice_url = page.url

    sign_in(page, server, server.username(Role.COMPANY_SECURITY_OFFICER), "/inbox", lang="en")
    notice = page.locator("#notices li[data-kind=mass_notice]")
    expect(notice).to_contain_text("Notice from the government")
    expect(notice).to_contain_text("The window is closed from 28 December to 3 January.")
    page.get_by_role("button", name="Mark all as read").click()

    sign_in(page, server, server.username(Role.WINDOW_OFFICER), "/notices", lang="en")
    expect(page.locator("#sent")).to_contain_text("Year-end security arrangements")
    page.goto(notice_url)
    expect(page.locator("#read-count")).to_have_text("1 of 1 recipient(s) have read it.")
    expect(page.locator("#receipts tbody tr.read time")).to_have_count(1)

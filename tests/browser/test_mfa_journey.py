"""The second factor in real Chromium: an officer's first sign-in enrols an authenticator
from the QR page (the code computed with pyotp from the key shown), and an adjudication
submitted after the re-authentication has gone stale passes through the re-authentication
page and back to the form."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from hozen.accounts.models import WebSession
from hozen.accounts.permissions import Role
from hozen.clearances.models import ClearanceCase
from hozen.clearances.rules import AREAS
from hozen.db import session_factory, utcnow
from hozen.web.i18n import translations
from tests.authenticator import AUTHENTICATOR
from tests.browser.helpers import sign_in_as
from tests.clearance_helpers import run_to_adjudication

pytestmark = pytest.mark.browser
tr = translations("ja").gettext


def test_an_officer_enrols_from_the_qr_page_then_signs_in_with_a_code(page: Page,
                                                                       live_server):
    server = live_server
    username = server.username(Role.INVESTIGATOR)
    page.goto(f"{server.url}/login?next=/casework")
    page.get_by_label(tr("User name")).fill(username)
    page.get_by_label(tr("Password")).fill(server.password)
    page.get_by_role("button", name=tr("Sign in")).click()
    expect(page).to_have_url(f"{server.url}/login/enrol?next=%2Fcasework")
    qr = page.locator("#mfa-qr")
    expect(qr).to_be_visible()
    # the data: SVG rendered under the page's CSP (a blocked image has no natural width)
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    page.get_by_label(tr("Code")).fill("000000")
    page.get_by_role("button", name=tr("Confirm and continue")).click()
    expect(page.locator("#mfa-error")).to_be_visible()
    page.get_by_label(tr("Code")).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name=tr("Confirm and continue")).click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    AUTHENTICATOR.learn(username, f'id="mfa-secret">{secret}<')
    AUTHENTICATOR.last_step[username] = pyotp.TOTP(secret).timecode(utcnow())
    AUTHENTICATOR.learn_recovery(username, page.content())
    page.locator("#continue").click()
    expect(page).to_have_url(f"{server.url}/casework")
    # signed out and in again: now the code step, no enrolment
    sign_in_as(page, server, Role.INVESTIGATOR, "/casework")
    expect(page.locator("#investigation-queue")).to_be_visible()


def test_an_adjudication_after_stale_re_authentication_goes_through_the_reauth_page(
        page: Page, live_server, engine):
    server, world = live_server, live_server.world
    with httpx.Client(base_url=server.url) as api:
        case_id = run_to_adjudication(api, world)
    sign_in_as(page, server, Role.ADJUDICATOR, f"/casework/{case_id}")
    with session_factory(engine)() as s:  # six minutes pass
        s.execute(update(WebSession).where(
            WebSession.user_id == world.users[Role.ADJUDICATOR].user_id).values(
            reauth_at=utcnow() - timedelta(minutes=6)))
        s.commit()
    form = page.locator("#adjudication-form")
    for area in AREAS:
        form.locator(f"textarea[name={area}-reasons]").fill("問題なし")
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server.url}/reauth?next=%2Fcasework%2F{case_id}")
    with session_factory(engine)() as s:
        assert s.get(ClearanceCase, case_id).state == "adjudication"  # not replayed
    page.get_by_label(tr("Password")).fill(server.password)
    page.get_by_label(tr("Code")).fill(AUTHENTICATOR.code(server.username(Role.ADJUDICATOR)))
    page.get_by_role("button", name=tr("Confirm")).click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    form = page.locator("#adjudication-form")  # the user submits again
    for area in AREAS:
        form.locator(f"textarea[name={area}-reasons]").fill("問題なし")
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    expect(page.locator("#case-state")).to_have_text(tr("Granted"))

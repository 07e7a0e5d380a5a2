"""A seminar open only to clearance holders, in real Chromium (English pages): a cleared
member sees the seminar among the events they are eligible for and registers; a person
without a clearance sees that they are not eligible, and why, with no way to register;
the organiser sees the registration on the attendance list and checks the member in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.db import new_id, unit_of_work, utcnow
from hozen.facilities.models import TrainingRecord
from hozen.sharing.models import SharingEvent
from tests.browser.helpers import post_status, sign_in
from tests.factories import cheap_argon2, make_clearance, make_person, make_user

pytestmark = pytest.mark.browser

AGENCY = Role.AGENCY_OFFICIAL



def test_a_cleared_member_registers_and_an_uncleared_person_sees_why_not(
        page: Page, live_server, engine):
    server, world = live_server, live_server.world
    today = utcnow().date()
    agency = world.users[AGENCY]
    start = utcnow().replace(microsecond=0) + timedelta(days=5)
    with unit_of_work(engine) as s, cheap_argon2():
        # Two officials of the government body (no facility clearance needed): one holds
        # a CESI clearance and is trained, the other holds no clearance.
        cleared = make_person(s, employer_id=world.gov.id, given_name_kanji="花子")
        make_clearance(s, cleared.id, "CESI", sponsor_id=world.gov.id,
                       employer_id=world.gov.id, listed_by=agency.user_id)
        s.add(TrainingRecord(id=new_id(), person_id=cleared.id, organisation_id=world.gov.id,
                             kind="initial", recorded_by=agency.user_id,
                             trained_on=today - timedelta(days=10)))
        bare = make_person(s, employer_id=world.gov.id, given_name_kanji="次郎")
        member = make_user(s, Role.SUBJECT, world.gov.id, person_id=cleared.id)
        outsider = make_user(s, Role.SUBJECT, world.gov.id, person_id=bare.id)
        event = SharingEvent(id=new_id(), title_ja="サイバー脅威セミナー",
                             title_en="Cyber threat seminar", location="Room 3",
                             starts_at=start, ends_at=start + timedelta(hours=2), capacity=30,
                             organiser_id=agency.user_id, organisation_id=world.gov.id,
                             min_level="CESI")
        s.add(event)
        event_id = event.id

    # The cleared member finds it among the events they are eligible for, and registers.
    sign_in(page, server, member.username, "/events", lang="en")
    eligible = page.locator("#eligible-events")
    expect(eligible).to_contain_text("Cyber threat seminar")
    expect(page.locator("#ineligible-events")).to_have_count(0)
    eligible.get_by_role("link", name="Cyber threat seminar").click()
    expect(page).to_have_url(f"{server.url}/events/{event_id}")
    expect(page.locator(".eligibility")).to_have_attribute("data-eligible", "yes")
    assert post_status(page, lambda: page.get_by_role("button", name="Register").click()) == 303
    expect(page).to_have_url(f"{server.url}/events/{event_id}")
    expect(page.locator("#standing")).to_have_attribute("data-registration", "registered")
    expect(page.locator(".registration")).to_contain_text("You are registered")
    expect(page.get_by_role("button", name="Register")).to_have_count(0)

    # The person without a clearance is told they are not eligible, and why.
    sign_in(page, server, outsider.username, "/events", lang="en")
    expect(page.locator("#eligible-events")).not_to_contain_text("Cyber threat seminar")
    why = page.locator(f"#ineligible-events #event-{event_id}")
    expect(why).to_contain_text("Cyber threat seminar")
    expect(why.locator('[data-code="no_clearance"]')).to_have_text(
        "The person holds no clearance.")
    page.goto(f"{server.url}/events/{event_id}")
    expect(page.locator(".eligibility")).to_have_attribute("data-eligible", "no")
    expect(page.locator("#standing .why-not")).to_contain_text("The person holds no clearance.")
    expect(page.get_by_role("button", name="Register")).to_have_count(0)

    # The organiser sees the registration, eligible now, and checks the member in.
    sign_in(page, server, agency.username, f"/events/{event_id}", lang="en")
    row = page.locator(f'#attendance tr[data-person="{cleared.id}"]')
    expect(row).to_have_attribute("data-eligible", "yes")
    assert post_status(page, lambda: row.get_by_role("button", name="Check in").click()) == 303
    expect(page.locator(f'#attendance tr[data-person="{cleared.id}"]')).to_contain_text("UTC")
    expect(page.locator(f'#attendance tr[data-person="{cleared.id}"]').get_by_role(
        "button", name="Check in")).to_have_count(0)

"""An access decision explained in real Chromium, in Japanese: the company's security
officer asks whether a member of staff may read an item; the explain page lists the
missing briefing and the lapsed clearance (and nothing else); the officer records the
briefing on the programmes page, the clearance is renewed, and the same request is
permitted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hozen.access.models import Membership, Programme
from hozen.accounts.permissions import Role
from hozen.db import new_id, unit_of_work, utcnow
from hozen.designations.models import Designation, Item
from hozen.facilities.models import Facility, Handler, TrainingRecord
from tests.browser.helpers import ja, sign_in_as
from tests.factories import make_clearance, make_person

pytestmark = pytest.mark.browser

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def test_explain_a_denial_fix_it_and_be_permitted(page: Page, live_server, engine):
    server, world = live_server, live_server.world
    today = utcnow().date()
    agency, cso = world.users[AGENCY].user_id, world.users[CSO].user_id
    with unit_of_work(engine) as s:
        staff = make_person(s, world.company.id, family_name_kanji="高橋",
                            given_name_kanji="誠")
        make_clearance(s, staff.id, "CESI", sponsor_id=world.gov.id,
                       employer_id=world.company.id, listed_by=cso,
                       granted_on=today - timedelta(days=3700),
                       valid_until=today - timedelta(days=1))  # lapsed yesterday
        d = Designation(id=new_id(), reference=f"CESI-J-{new_id()[-6:]}", title="衛星暗号",
                        agency_id=world.gov.id, manager_id=agency, regime="CESI",
                        category="key_technologies", reasons="試験", scope_kind="technology",
                        scope="衛星", status="in_force", first_start=today,
                        term_start=today, term_end=today + timedelta(days=1000),
                        created_by=agency)
        s.add(d)
        s.flush()
        item = Item(id=new_id(), title="鍵管理方式 設計書", kind="document",
                    owner_id=world.gov.id, designation_id=d.id, compartments="SATCOM",
                    created_by=agency)
        programme = Programme(id=new_id(), code="SATCOM", name_ja="衛星通信", name_en="Satcom",
                              agency_id=world.gov.id,
                              organisations=f"{world.gov.id},{world.company.id}",
                              created_by=agency)
        s.add_all([item, programme])
        s.flush()
        s.add_all([
            Facility(id=new_id(), organisation_id=world.company.id, level="CESI",
                     state="certified", agency_id=world.gov.id, proposed_by=agency,
                     certified_on=today, valid_until=today + timedelta(days=1000)),
            Handler(id=new_id(), item_id=item.id, organisation_id=world.company.id,
                    person_id=staff.id, added_on=today, added_by=cso),
            Membership(id=new_id(), programme_id=programme.id, person_id=staff.id,
                       added_on=today, added_by=cso),
            TrainingRecord(id=new_id(), person_id=staff.id, organisation_id=world.company.id,
                           kind="initial", trained_on=today, recorded_by=cso)])
        staff_id, item_id = staff.id, item.id

    # The officer asks: denied, for the missing briefing and the lapsed clearance only.
    sign_in_as(page, server, CSO, f"/people/{staff_id}/access")
    page.locator("#f-item_id").fill(item_id)
    page.get_by_role("button", name=ja("Decide and explain")).click()
    expect(page.locator("#decision")).to_have_text(ja("Denied"))
    rows = page.locator("#reasons tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#reasons tr[data-code=clearance_expired]")).to_contain_text(
        ja("The person's clearance has expired."))
    expect(page.locator("#reasons tr[data-code=not_briefed]")).to_contain_text(
        ja("A briefing and a signed non-disclosure acknowledgement."))
    explain = page.url.removeprefix(server.url)

    # The officer records the briefing on the programmes page.
    page.goto(server.url + "/programmes")
    member = page.locator("#programme-SATCOM tr", has_text="高橋")
    member.locator("input[name=briefed_on]").fill(today.isoformat())
    member.locator("input[name=nda_signed_on]").fill(today.isoformat())
    member.get_by_role("button", name=ja("Record the briefing")).click()
    expect(page.locator("#programme-SATCOM tr", has_text="高橋")).to_contain_text(
        ja("briefed %(date)s") % {"date": today.isoformat()})

    # Still denied for the clearance alone; renewed (the renewal flow is tested with the
    # clearance suites), the same request is permitted.
    page.goto(server.url + explain)
    expect(page.locator("#reasons tbody tr")).to_have_count(1)
    with unit_of_work(engine) as s:
        make_clearance(s, staff_id, "CESI", sponsor_id=world.gov.id,
                       employer_id=world.company.id, listed_by=cso)
    page.goto(server.url + explain)
    expect(page.locator("#decision")).to_have_text(ja("Permitted"))
    expect(page.locator("#reasons")).to_have_count(0)
    # and the overview lists the item among what the person may see
    page.goto(server.url + f"/people/{staff_id}/access")
    expect(page.locator(f"#accessible tr[data-item='{item_id}']")).to_have_count(1)

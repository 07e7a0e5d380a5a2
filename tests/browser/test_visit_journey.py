"""A partner national's visit in real Chromium, in Japanese: the UK liaison assures its
company's facility clearance and an engineer's clearance through the forms, then requests
a visit for a programme that does not pre-authorise the United Kingdom. It needs both
decisions: the programme's agency approves, then the host's security officer, and the
request reads "approved". During the visit, in the visit's area, the engineer may read
the programme's item releasable to the United Kingdom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hozen.access.models import Programme
from hozen.accounts.permissions import Role
from hozen.db import new_id, unit_of_work, utcnow
from hozen.designations.models import Designation, DesignationHolder, Item
from hozen.facilities.models import ApprovedArea, Facility
from hozen.reciprocity.models import ForeignAssurance
from hozen.web.i18n import translations
from tests.browser.helpers import ja, post_status, second_step
from tests.factories import cheap_argon2, make_org, make_user

pytestmark = pytest.mark.browser

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def sign_in(page: Page, server, username: str, path: str) -> None:
    """helpers.sign_in_as for a user beyond the world's one per role."""
    sign_out = page.get_by_role("button", name=ja("Sign out"))
    if page.url.startswith(server.url) and sign_out.count():
        sign_out.click()
        expect(page).to_have_url(server.url + "/login")
    page.goto(f"{server.url}/login?next={path}")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(server.password)
    page.get_by_role("button", name="ログイン").click()
    second_step(page, server, username, path, translations("ja").gettext)
    expect(page).to_have_url(server.url + path)
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def test_a_uk_engineer_visits_after_both_approvals(page: Page, live_server, engine):
    server, world = live_server, live_server.world
    today = utcnow().date()
    agency = world.users[AGENCY].user_id
    with unit_of_work(engine) as s, cheap_argon2():
        mod = make_org(s, kind="foreign_government", country_code="GBR",
                       name_en="UK Ministry of Defence", name_ja="英国国防省")
        company = make_org(s, kind="foreign_company", country_code="GBR",
                           name_en="Albion Aero Ltd", name_ja="アルビオン航空")
        liaison = make_user(s, Role.FOREIGN_LIAISON, mod.id)
        # The host's certification in force, with an SDS room.
        facility = Facility(id=new_id(), organisation_id=world.company.id, level="SDS",
                            state="certified", agency_id=world.gov.id, proposed_by=agency,
                            certified_on=today, valid_until=today + timedelta(days=1000))
        s.add(facility)
        s.flush()
        room = ApprovedArea(id=new_id(), facility_id=facility.id, kind="room",
                            name="第一保全室", level="SDS")
        # SATCOM names Italy only: the UK company takes part, but its visitors need both
        # approvals.
        satcom = Programme(id=new_id(), code="SATCOM", name_ja="衛星通信", name_en="Satcom",
                           agency_id=world.gov.id, countries="ITA",
                           organisations=f"{world.gov.id},{world.company.id},{company.id}",
                           created_by=agency)
        d = Designation(id=new_id(), reference=f"SDS-J-{new_id()[-6:]}", title="衛星防護",
                        agency_id=world.gov.id, manager_id=agency, regime="SDS",
                        category="defence", reasons="試験", scope_kind="technology",
                        scope="衛星", status="in_force", first_start=today, term_start=today,
                        term_end=today + timedelta(days=1000), created_by=agency)
        s.add_all([room, satcom, d])
        s.flush()
        item = Item(id=new_id(), title="衛星通信 共同設計書", kind="document",
                    owner_id=world.gov.id, designation_id=d.id, compartments="SATCOM",
                    releasable_to="GBR", created_by=agency)
        s.add_all([item, DesignationHolder(id=new_id(), designation_id=d.id,
                                           organisation_id=world.company.id)])
        ids = {"company": company.id, "room": room.id, "satcom": satcom.id, "item": item.id}
    until = (today + timedelta(days=700)).isoformat()

    # The liaison assures the company's facility clearance, then the engineer's clearance.
    sign_in(page, server, liaison.username, "/foreign-assurances")
    form = page.locator("#facility-form")
    form.locator("#facility-organisation_id").select_option(ids["company"])
    form.locator("#facility-partner_level").select_option("SECRET")
    form.locator("#facility-valid_until").fill(until)
    form.locator("#facility-reference").fill("UKFSC-77")
    assert post_status(page, lambda: form.locator("button[type=submit]").click()) == 303
    form = page.locator("#personnel-form")
    form.get_by_label(ja("Family name (Latin)")).fill("Hughes")
    form.get_by_label(ja("Given name (Latin)")).fill("Owen")
    form.get_by_label(ja("Birth date")).fill("1984-02-29")
    expect(form.locator("#personnel-nationalities")).to_have_value("GBR")
    form.get_by_label(ja("Employer")).select_option(ids["company"])
    form.locator("#personnel-partner_level").select_option("SECRET")
    form.locator("#personnel-valid_until").fill(until)
    form.locator("#personnel-reference").fill("UKDVA-2026-0042")
    assert post_status(page, lambda: form.locator("button[type=submit]").click()) == 303
    expect(page).to_have_url(server.url + "/foreign-assurances")
    row = page.locator("#assurance-list tr[data-kind=personnel]")
    expect(row).to_contain_text("UKDVA-2026-0042")
    expect(row.locator(".levels")).to_contain_text("SECRET")
    expect(row.locator(".levels")).to_contain_text("特定秘密")  # SECRET counts as SDS
    with unit_of_work(engine) as s:
        assurance_id, person_id = s.execute(select(
            ForeignAssurance.id, ForeignAssurance.person_id).where(
            ForeignAssurance.reference == "UKDVA-2026-0042")).one()

    # The request: SATCOM does not pre-authorise GBR, so it awaits both decisions.
    page.goto(server.url + "/visits")
    form = page.locator("#visit-form")
    form.locator("#visit-programme_id").select_option(ids["satcom"])
    form.locator("#visit-area_id").select_option(ids["room"])
    form.locator("#visit-starts_on").fill(today.isoformat())
    form.locator("#visit-ends_on").fill((today + timedelta(days=4)).isoformat())
    form.get_by_label(ja("Purpose")).fill("設計審査")
    form.locator(f"input[name=visitors][value='{assurance_id}']").check()
    assert post_status(page, lambda: form.locator("button[type=submit]").click()) == 303
    card = page.locator("#visit-list section.visit")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "submitted")
    expect(card.locator("li[data-code=country_not_preauthorised]")).to_have_count(1)
    expect(card.locator(".decision")).to_have_count(0)  # the liaison does not decide
    visit = card.get_attribute("id")

    # The programme's agency approves: still awaiting the host.
    sign_in(page, server, world.users[AGENCY].username, "/visits")
    card = page.locator(f"#{visit}")
    assert post_status(page, lambda: card.get_by_role(
        "button", name=ja("Approve")).click()) == 303
    expect(card).to_have_attribute("data-status", "submitted")
    expect(card.locator(".agency-decided")).to_contain_text(ja("approved"))
    expect(card.locator(".decision")).to_have_count(0)

    # The host's security officer approves: approved.
    sign_in(page, server, world.users[CSO].username, "/visits")
    card = page.locator(f"#{visit}")
    assert post_status(page, lambda: card.get_by_role(
        "button", name=ja("Approve")).click()) == 303
    expect(card).to_have_attribute("data-status", "approved")
    expect(card.locator(".visit-status")).to_have_text(ja("approved"))
    page.goto(server.url + "/visits/" + visit.removeprefix("visit-"))
    expect(page.locator(f"#{visit}")).to_have_attribute("data-status", "approved")

    # During the visit, in the visit's room, the engineer may read SATCOM's item.
    window = world.users[Role.WINDOW_OFFICER]
    r = page.request.post(f"{server.url}/api/v1/access/check?lang=en", headers=window.headers,
                          data={"person_id": person_id, "item_id": ids["item"],
                                "action": "read", "area_id": ids["room"]})
    assert r.status == 200, r.text()
    assert r.json()["permit"] is True, r.json()

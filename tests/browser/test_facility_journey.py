"""A facility clearance in real Chromium, in Japanese: the agency proposes the company →
its security officer applies → the agency reviews the checklist and finds the company
flagged for a foreign parent's indirect 30% share → the FOCI review shows the ownership
picture with the foreign path in red → the agency records a special security agreement
→ the company is certified."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.db import unit_of_work
from hozen.facilities.picture import HIGHLIGHT, edge_gid
from tests.browser.helpers import ja, sign_in_as
from tests.factories import cheap_argon2, make_org, make_ownership, make_user

pytestmark = pytest.mark.browser

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def test_apply_flagged_mitigate_certify(page: Page, live_server, engine):
    server, world = live_server, live_server.world
    with unit_of_work(engine) as s:
        parent = make_org(s, kind="foreign_company", country_code="USA",
                          name_ja="米国親会社", name_en="US Parent Inc")
        holding = make_org(s, name_ja="日本持株会社", name_en="JP Holdings")
        make_ownership(s, holding.id, parent.id, share="60", voting="60")
        make_ownership(s, world.company.id, holding.id, share="50", voting="50")
        with cheap_argon2():
            deputy = make_user(s, CSO, world.company.id, username="deputy_officer")
        parent_id, holding_id = parent.id, holding.id

    # The agency proposes the company.
    sign_in_as(page, server, AGENCY, "/facilities")
    form = page.locator("#propose-form")
    form.locator("#f-organisation_id").select_option(world.company.id)
    form.locator("#f-level").select_option("CESI")
    form.get_by_role("button", name=ja("Propose")).click()
    expect(page).to_have_url(re.compile(r".*/facilities/[0-9a-f-]{36}$"))
    record = page.url.removeprefix(server.url)
    expect(page.locator("#facility-state")).to_have_text(ja("proposed by the agency"))

    # Its security officer applies, naming a deputy and an approved room.
    sign_in_as(page, server, CSO, record)
    apply = page.locator("#apply-form")
    apply.locator("#f-internal_rules").fill("保全規程 第1版")
    apply.locator("#f-governance").fill("取締役会が保全責任者を監督する")
    apply.locator("#f-training_plan").fill("着任時及び毎年の保全教育")
    apply.locator("#f-security_officer_id").select_option(world.users[CSO].user_id)
    apply.locator("#f-deputy_officer_id").select_option(deputy.user_id)
    apply.locator("#f-area-0-name").fill("第一保全室")
    apply.get_by_role("button", name=ja("Apply")).click()
    expect(page.locator("#facility-state")).to_have_text(ja("applied"))

    # The agency reviews: every control met, yet FOCI bars certification.
    sign_in_as(page, server, AGENCY, record)
    page.get_by_role("button", name=ja("Start the review")).click()
    expect(page.locator("#facility-state")).to_have_text(ja("under review"))
    checks = page.locator("#checklist-form input[type=checkbox]")
    for i in range(checks.count()):
        checks.nth(i).check()
    page.get_by_role("button", name=ja("Record the checklist")).click()
    expect(page.locator("#blockers li")).to_have_count(1)
    expect(page.locator("#blockers li[data-code=foci_unmitigated]")).to_have_count(1)

    # The FOCI review: 30% American through the holding company, drawn in red.
    page.locator("#foci-link").click()
    expect(page.locator("#foci-status")).to_contain_text(ja("Flagged for FOCI"))
    expect(page.locator("#total-share")).to_have_text("30.00%")
    expect(page.locator("#paths tbody tr")).to_contain_text("米国親会社 → 日本持株会社")
    for owner, owned in ((parent_id, holding_id), (holding_id, world.company.id)):
        edge = page.locator(f"#ownership-picture svg [id='{edge_gid(owner, owned)}'] path")
        expect(edge.first).to_have_attribute("stroke", HIGHLIGHT)

    # The agency records a special security agreement; nothing bars CESI any more.
    mitigation = page.locator("#mitigation-form")
    mitigation.locator("#f-instrument").select_option("special_security_agreement")
    mitigation.locator("#f-reference").fill("SSA-2026-001")
    mitigation.locator("#f-terms").fill("外国株主は保全情報に接しない。保全委員会を置く。")
    mitigation.locator("#f-signed_on").fill("2026-11-01")
    mitigation.get_by_role("button", name=ja("Record the mitigation")).click()
    expect(page.locator("#mitigations")).to_contain_text("SSA-2026-001")
    expect(page.locator(".gate[data-level=CESI]")).to_have_text(ja("no FOCI bar"))

    # Certified.
    page.goto(server.url + record)
    expect(page.locator("#no-blockers")).to_be_visible()
    certify = page.locator("#certify-form")
    certify.locator("textarea").fill("審査の結果、基準を満たす。")
    certify.get_by_role("button", name=ja("Certify")).click()
    expect(page.locator("#facility-state")).to_have_text(ja("certified"))

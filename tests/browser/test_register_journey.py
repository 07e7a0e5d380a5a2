"""The handling records in real Chromium, in Japanese: the security officer of a certified
company puts a cleared member of staff on the handler register of an item it holds →
records its receipt → a destruction without a witness is refused at the witness field →
the witnessed destruction is recorded → "where every item is" shows it destroyed → the
officer reports an incident involving that person → the certifying agency's official sees
it and closes it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.db import session_factory, unit_of_work
from tests.browser.helpers import ja, post_status, sign_in_as
from tests.factories import make_person
from tests.functional.test_designations import extra_user, in_force, make_item
from tests.functional.test_facilities import REASONS, all_met, application
from tests.functional.test_facility_registers import clear, post

pytestmark = pytest.mark.browser

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def certified_company_with_an_item(server, engine) -> tuple[str, str, str]:
    """Through the API: the company certified for CESI with an approved container, a
    CESI designation it holds with one item, its staff member cleared for CESI and a
    colleague to witness. (item id, cleared person id, witness id)"""
    world = server.world
    with session_factory(engine)() as s:
        deputy = extra_user(s, [CSO], world.company.id)
        clear(s, world.staff.id, "CESI", world)
    with unit_of_work(engine) as s:
        witness = make_person(s, world.company.id, given_name_kanji="次郎").id
    u = world.users
    with httpx.Client(base_url=server.url) as api:
        f = post(api, u[AGENCY], "/facilities",
                 {"organisation_id": world.company.id, "level": "CESI"}, 201)
        post(api, u[CSO], f"/facilities/{f['id']}/application", application(
            world, deputy_officer_id=deputy.user_id,
            areas=[{"kind": "container", "name": "保管庫", "level": "CESI"}]))
        post(api, u[AGENCY], f"/facilities/{f['id']}/review")
        post(api, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
        post(api, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
        d = in_force(api, world)
        item = make_item(api, world, designation_id=d["id"], title="試作電池の設計書")
    return item["id"], world.staff.id, witness


def test_handler_custody_destruction_and_an_incident_closed(page: Page, live_server, engine):
    server = live_server
    item, cleared, witness = certified_company_with_an_item(server, engine)

    # The officer puts the cleared member of staff on the item's handler register.
    sign_in_as(page, server, CSO, "/registers")
    form = page.locator("#handler-form")
    form.locator("#handler-item_id").select_option(item)
    form.locator("#handler-person_id").select_option(cleared)
    form.get_by_role("button", name=ja("Add to the register")).click()
    expect(page.locator(f"#handler-list tr[data-person='{cleared}']")).to_contain_text(
        "山田 太郎")

    # The receipt, into the approved container.
    custody = page.locator("#custody-form")
    custody.locator("#custody-kind").select_option("receipt")
    custody.locator("#custody-item_id").select_option(item)
    custody.locator("#custody-person_id").select_option(cleared)
    custody.locator("#custody-area_id").select_option(label="保管庫 (重要経済安保情報)")
    custody.get_by_role("button", name=ja("Record")).click()
    row = page.locator(f"#where-list tr[data-item='{item}']")
    expect(row).to_have_attribute("data-status", "held")
    expect(row).to_contain_text("保管庫")

    # A destruction needs a witness: refused, the error at the witness field.
    custody = page.locator("#custody-form")
    custody.locator("#custody-kind").select_option("destruction")
    custody.locator("#custody-item_id").select_option(item)
    custody.locator("#custody-person_id").select_option(cleared)
    custody.locator("#custody-note").fill("シュレッダーで裁断")
    assert post_status(page, custody.get_by_role("button", name=ja("Record")).click) == 422
    expect(page.locator("#e-custody-witness_person_id")).to_have_text(
        ja("This field is required."))
    expect(row).to_have_attribute("data-status", "held")

    # The witnessed destruction: the form kept what was chosen.
    custody = page.locator("#custody-form")
    expect(custody.locator("#custody-kind")).to_have_value("destruction")
    expect(custody.locator("#custody-note")).to_have_value("シュレッダーで裁断")
    custody.locator("#custody-witness_person_id").select_option(witness)
    custody.get_by_role("button", name=ja("Record")).click()
    expect(row).to_have_attribute("data-status", "destroyed")
    expect(row.locator(".where-status")).to_have_text(ja("destroyed"))
    row.get_by_role("link").click()
    expect(page.locator("#custody-list tbody tr")).to_have_count(2)
    expect(page.locator("#custody-list tbody tr").nth(1)).to_contain_text("山田 次郎")

    # An incident involving the handler.
    page.goto(server.url + "/registers")
    report = page.locator("#incident-form")
    report.locator("#incident-kind").select_option("mishandling")
    report.locator("#incident-severity").select_option("medium")
    report.locator("#incident-occurred_on").fill("2026-01-15")
    report.locator("#incident-description").fill("立会人なしで裁断しようとした")
    report.locator(f"#incident-person_ids input[value='{cleared}']").check()
    report.locator(f"#incident-item_ids input[value='{item}']").check()
    report.get_by_role("button", name=ja("Report")).click()
    card = page.locator("#incident-list .incident[data-status=open]")
    expect(card).to_contain_text("立会人なしで裁断しようとした")
    expect(card.locator(".involved")).to_contain_text("山田 太郎")

    # The certifying agency's official sees it and closes it.
    sign_in_as(page, server, AGENCY, "/registers")
    card = page.locator("#incident-list .incident", has_text="立会人なしで裁断しようとした")
    expect(card).to_have_attribute("data-status", "open")
    expect(card.locator(".involved")).not_to_contain_text("山田")  # not its staff
    card.locator("textarea[name=closing_note]").fill("手順を再教育したことを確認した")
    card.get_by_role("button", name=ja("Close the incident")).click()
    card = page.locator("#incident-list .incident", has_text="立会人なしで裁断しようとした")
    expect(card).to_have_attribute("data-status", "closed")
    expect(card).to_contain_text("手順を再教育したことを確認した")

"""The pages of transfers between companies, the originator's consent and time to access,
through the real application with real sign-in: each form carries out its step or shows
the page again (422) with the error at its field and writes nothing; each role sees only
its scope."""

from __future__ import annotations

from datetime import timedelta

from hozen.accounts.permissions import Role
from hozen.db import utcnow
from hozen.reciprocity.models import OriginatorConsent, TransferRequest
from tests.factories import make_org
from tests.functional.test_clearance_pages import count, writes_nothing
from tests.functional.test_designations import extra_user, in_force
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import (
    Setup,
    add_handler,
    world,  # noqa: F401
)
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_visits import check, engineer, post, uk, visit  # noqa: F401
from tests.pages import element, text

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def redirected(r, to: str) -> None:
    assert r.status_code == 303, r.text[:3000]
    assert r.headers["location"] == to


def test_a_transfer_is_asked_approved_dispatched_and_received_through_the_page(
        client, web, engine, registers: Setup):  # noqa: F811
    u = registers.world.users
    officer = web(u[CSO])
    page = officer.get("/transfers")
    assert page.status_code == 200
    form = element(page.text, 'id="transfer-form"')
    assert registers.cesi["id"] in form  # an item the company handles
    assert registers.world.other_company.id in form
    # a refusal: no reason given
    with writes_nothing(engine):
        r = officer.post("/transfers", {"item_id": registers.cesi["id"],
                                        "to_organisation_id": registers.world.other_company.id,
                                        "reason": ""})
        assert r.status_code == 422
        assert element(r.text, 'id="e-transfer-reason"')
    redirected(officer.post("/transfers", {
        "item_id": registers.sds["id"], "to_organisation_id": registers.world.other_company.id,
        "reason": "共同試験のため"}), "/transfers")
    assert count(engine, TransferRequest) == 1
    agency = web(u[AGENCY])
    listed = element(agency.get("/transfers").text, 'id="transfer-list"')
    assert "awaiting the agency" in text(listed) and "approve-form" in listed
    t_id = listed.split('<tr id="transfer-')[1].split('"')[0]
    # the company cannot decide; the agency approves
    assert "approve-form" not in officer.get("/transfers").text
    assert officer.post(f"/transfers/{t_id}/decision", {"approve": "true"}).status_code == 404
    redirected(agency.post(f"/transfers/{t_id}/decision", {"approve": "true"}), "/transfers")
    mine = officer.get("/transfers").text
    assert "Record dispatch" in mine
    with writes_nothing(engine):  # only a current handler carries it out
        r = officer.post(f"/transfers/{t_id}/dispatch", {"person_id": registers.sds_cleared})
        assert r.status_code == 422 and "not a current handler" in r.text
    add_handler(client, registers, registers.sds, registers.sds_cleared)
    custody = element(officer.get("/transfers").text, f'id="custody-{t_id}-person_id"')
    assert registers.sds_cleared in custody and "花子" in text(custody)  # the handler, named
    redirected(officer.post(f"/transfers/{t_id}/dispatch", {
        "person_id": registers.sds_cleared, "note": "封緘して送付"}), "/transfers")
    assert "dispatched" in text(element(agency.get("/transfers").text, f'id="transfer-{t_id}"'))
    # people outside: a subject has no such page
    assert web(u[Role.SUBJECT]).get("/transfers").status_code == 403


def test_the_originator_consents_through_the_page(client, session, web, engine,
                                                  registers: Setup):  # noqa: F811
    w = registers.world
    u = w.users
    us_gov = make_org(session, kind="foreign_government", country_code="USA",
                      name_en="US DoD", name_ja="米国国防総省")
    session.commit()
    us = extra_user(session, [Role.FOREIGN_LIAISON], us_gov.id)
    d = in_force(client, w, originator_country="USA", releasable_to=["USA"])
    officer = web(u[CSO])
    page = officer.get("/originator-consents")
    assert d["id"] in element(page.text, 'id="consent-form"')
    with writes_nothing(engine):
        r = officer.post("/originator-consents", {"designation_id": d["id"],
                                                  "third_party": "JPN", "purpose": "共有"})
        assert r.status_code == 422
        assert "not a third party" in text(element(r.text, 'id="e-consent-third_party"'))
    redirected(officer.post("/originator-consents", {
        "designation_id": d["id"], "third_party": "GBR", "purpose": "日英共同開発"}),
        "/originator-consents")
    liaison = web(us)
    listed = liaison.get("/originator-consents").text
    assert "grant-form" in listed and "GBR" in text(element(listed, 'id="consent-list"'))
    c_id = listed.split('<tr id="consent-')[1].split('"')[0]
    with writes_nothing(engine):  # a grant names the partner's reference
        r = liaison.post(f"/originator-consents/{c_id}/decision", {"grant": "true",
                                                                    "reference": ""})
        assert r.status_code == 422
        assert element(r.text, f'id="e-decide-{c_id}-reference"')
    redirected(liaison.post(f"/originator-consents/{c_id}/decision", {
        "grant": "true", "reference": "DoD-77"}), "/originator-consents")
    row = text(element(officer.get("/originator-consents").text, f'id="consent-{c_id}"'))
    assert "granted" in row and "DoD-77" in row
    assert "withdraw-form" in liaison.get("/originator-consents").text
    redirected(liaison.post(f"/originator-consents/{c_id}/withdrawal", {}),
               "/originator-consents")
    with engine.connect() as c:
        assert c.execute(OriginatorConsent.__table__.select()).one().status == "withdrawn"
    # the officer decides nothing for the originator
    assert officer.post(f"/originator-consents/{c_id}/withdrawal", {}).status_code == 404


def test_time_to_access_shows_each_visitor_and_the_summary(client, web, uk):  # noqa: F811
    window = uk.s.world.users[Role.WINDOW_OFFICER]
    today = utcnow().date()
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    post(client, uk.liaison, "/foreign-assurances/facility",
         {"organisation_id": uk.company.id, "partner_level": "SECRET",
          "valid_until": (today + timedelta(days=900)).isoformat(), "reference": "UKFSC-1"},
         201)
    post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
    assert check(client, window, a["person_id"], uk.shared["id"], uk.s.sds_area)[0]
    page = web(window).get("/time-to-access")
    assert page.status_code == 200
    summary = element(page.text, 'id="tta-summary"')
    assert text(element(summary, 'class="visitors"')) == "1"
    assert text(element(summary, 'class="reached"')) == "1"
    assert text(element(summary, 'class="most-steps"')) == "2"  # assurance, request
    row = text(element(page.text, f'data-assurance="{a["id"]}"'))
    assert "GBR" in row and "UKDVA-2026-0042" in row
    assert web(uk.liaison).get("/time-to-access").status_code == 403
    # the timeliness report counts the visitor in the month of the assurance
    r = client.get("/api/v1/reports/timeliness", headers=window.headers)
    assert r.status_code == 200, r.text
    [row] = r.json()["tables"]["visit_monthly"]
    assert (row["month"], row["assured"], row["reached"], row["within_day"]) == (
        today.strftime("%Y-%m"), 1, 1, 1)

"""The pages of foreign clearance assurances and visit requests, through the real
application with real sign-in: a UK liaison submits assurances and requests visits with
the forms; a refused form shows the page again (422) with each error at its field and
writes nothing; the programme's agency and the host's security officer decide on the
request's card; each role sees only what its scope allows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.db import session_factory, utcnow
from hozen.reciprocity.models import ForeignAssurance, VisitRequest
from tests.factories import make_org
from tests.functional.test_clearance_pages import count, writes_nothing
from tests.functional.test_designations import extra_user
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_facility_registers import world  # noqa: F401
from tests.functional.test_visits import Uk, engineer, post, uk  # noqa: F401
from tests.pages import element, text

AGENCY, CSO, SUBJECT = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


def today():
    return utcnow().date()


@pytest.fixture
def gb(uk) -> Uk:  # noqa: F811
    """The API tests' scenario: a UK liaison and a UK company, programme GCAP
    pre-authorising GBR, a certified host with an SDS room and a CESI container."""
    return uk


def error_at(html: str, form: str, field: str) -> str:
    return text(element(html, f'id="e-{form}-{field}"'))


def redirected(r, to: str) -> None:
    assert r.status_code == 303, r.text[:3000]
    assert r.headers["location"] == to


def refused(r) -> str:
    assert r.status_code == 422, r.text[:3000]
    return r.text


def personnel_form(gb: Uk, **changes) -> dict:
    return {"family_name_latin": "Hughes", "given_name_latin": "Owen",
            "birth_date": "1984-02-29", "nationalities": "GBR", "employer_id": gb.company.id,
            "partner_level": "SECRET",
            "valid_until": (today() + timedelta(days=700)).isoformat(),
            "reference": "UKDVA-2026-0042"} | changes


def visit_form(gb: Uk, chosen: list[str], **changes) -> dict:
    return {"kind": "one_time", "programme_id": gb.programme["id"], "area_id": gb.s.sds_area,
            "starts_on": today().isoformat(),
            "ends_on": (today() + timedelta(days=4)).isoformat(), "purpose": "設計審査",
            "visitors": chosen} | changes


def value_of(html: str, input_id: str) -> str:
    """The value of an input (a void element: `element` does not read it)."""
    return re.search(rf'<input id="{input_id}"[^>]*\bvalue="([^"]*)"', html)[1]


def card(html: str, visit_id: str) -> str:
    return element(html, f'id="visit-{visit_id}"')


@pytest.fixture
def other_programme(client, gb: Uk) -> dict:
    """A programme that does not pre-authorise GBR but in which a UK company takes part."""
    w = gb.s.world
    return post(client, w.users[AGENCY], "/programmes",
                {"code": "SATCOM", "name_ja": "衛星通信", "name_en": "SATCOM",
                 "countries": ["ITA"], "organisations": [w.company.id, gb.company.id]}, 201)


# --- foreign clearance assurances -----------------------------------------------------------


def test_a_liaison_submits_both_kinds_of_assurance_through_the_forms(web, engine, gb: Uk):
    browser = web(gb.liaison)
    page = browser.get("/foreign-assurances")
    assert page.status_code == 200
    form = element(page.text, 'id="personnel-form"')
    employers = element(form, 'id="personnel-employer_id"')
    assert gb.company.id in employers and gb.s.world.company.id not in employers
    levels = text(element(form, 'id="personnel-partner_level"'))
    assert "SECRET → Specially designated secret" in levels
    assert "OFFICIAL-SENSITIVE → Controlled unclassified information" in levels
    assert value_of(form, "personnel-nationalities") == "GBR"
    element(page.text, 'id="facility-form"')

    redirected(browser.post("/foreign-assurances/personnel", personnel_form(gb)),
               "/foreign-assurances")
    redirected(browser.post("/foreign-assurances/facility", {
        "organisation_id": gb.company.id, "partner_level": "SECRET",
        "valid_until": (today() + timedelta(days=900)).isoformat(),
        "reference": "UKFSC-77"}), "/foreign-assurances")
    assert count(engine, ForeignAssurance) == 2
    rows = element(browser.get("/foreign-assurances").text, 'id="assurance-list"')
    personnel = text(element(rows, 'data-kind="personnel"'))
    assert "UKDVA-2026-0042" in personnel and "SECRET → Specially designated secret" in personnel
    assert "Albion Aero Ltd" in personnel and "GBR" in personnel
    assert "UKFSC-77" in text(element(rows, 'data-kind="facility"'))


@pytest.mark.parametrize("changes, form, field, code_text", [
    ({"partner_level": "MOST SECRET"}, "personnel", "partner_level",
     "not one of the partner's levels"),
    ({"valid_until": "2001-01-01"}, "personnel", "valid_until", "assurance has expired"),
    ({"nationalities": "JPN"}, "personnel", "nationalities", "assessed in Japan"),
    ({"nationalities": "FRA"}, "personnel", "nationalities", "not a national of the partner"),
    ({"family_name_latin": ""}, "personnel", "family_name_latin", "family and given names"),
    ({"given_name_latin": "渡辺"}, "personnel", "given_name_latin", "Latin letters"),
    ({"birth_date": ""}, "personnel", "birth_date", "required"),
    ({"reference": ""}, "personnel", "reference", "required"),
])
def test_a_refused_personnel_assurance_shows_the_error_at_its_field(web, engine, gb: Uk, changes,
                                                                    form, field, code_text):
    browser = web(gb.liaison)
    with writes_nothing(engine):
        html = refused(browser.post("/foreign-assurances/personnel",
                                    personnel_form(gb, **changes)))
    assert code_text in error_at(html, form, field)
    element(html, f'href="#{form}-{field}"')  # the summary links to the field
    # what was typed is kept, and only in the refused form
    assert value_of(html, "personnel-reference") == changes.get("reference", "UKDVA-2026-0042")
    assert "invalid" not in element(html, 'id="facility-form"')


def test_a_japanese_company_is_no_partner_employer(web, engine, gb: Uk):
    browser = web(gb.liaison)
    with writes_nothing(engine):
        html = refused(browser.post("/foreign-assurances/personnel", personnel_form(
            gb, employer_id=gb.s.world.company.id)))
        assert "company of the partner's country" in error_at(html, "personnel", "employer_id")
        html = refused(browser.post("/foreign-assurances/facility", {
            "organisation_id": gb.s.world.company.id, "partner_level": "SECRET",
            "valid_until": (today() + timedelta(days=900)).isoformat(), "reference": "X-1"}))
        assert "company of the partner's country" in error_at(html, "facility",
                                                              "organisation_id")
        html = refused(browser.post("/foreign-assurances/facility", {
            "organisation_id": gb.company.id, "partner_level": "",
            "valid_until": "", "reference": "X-1"}))
        error_at(html, "facility", "partner_level")
        error_at(html, "facility", "valid_until")


def test_a_withdrawn_assurance_is_marked_and_cannot_be_withdrawn_twice(client, web, engine,
                                                                       gb: Uk):
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    browser = web(gb.liaison)
    row = element(browser.get("/foreign-assurances").text, f'data-assurance="{a["id"]}"')
    assert 'data-withdrawn="no"' in row and "withdrawal" in row
    redirected(browser.post(f"/foreign-assurances/{a['id']}/withdrawal"), "/foreign-assurances")
    row = element(browser.get("/foreign-assurances").text, f'data-assurance="{a["id"]}"')
    assert 'data-withdrawn="yes"' in row and "withdrawal" not in row
    with writes_nothing(engine):
        html = refused(browser.post(f"/foreign-assurances/{a['id']}/withdrawal"))
    error_at(html, f"assurance-{a['id']}", "withdrawn")
    # another government's liaison: not found, alike for missing and forbidden
    us = web(us_liaison(engine))
    assert us.post(f"/foreign-assurances/{a['id']}/withdrawal").status_code == 404
    html = us.get("/foreign-assurances").text
    assert a["id"] not in html and "UKDVA" not in html


def _session(engine):
    return session_factory(engine)()


def us_liaison(engine):
    """A liaison of another partner government (USA)."""
    s = _session(engine)
    try:
        usdod = make_org(s, kind="foreign_government", country_code="USA", name_en="DoD")
        s.commit()
        return extra_user(s, [Role.FOREIGN_LIAISON], usdod.id)
    finally:
        s.close()


# --- visit requests --------------------------------------------------------------------------


def test_a_preauthorised_request_is_approved_at_once(client, web, engine, gb: Uk):
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    browser = web(gb.liaison)
    form = element(browser.get("/visits").text, 'id="visit-form"')
    programmes = text(element(form, 'id="visit-programme_id"'))
    assert "GCAP — GCAP (pre-authorised)" in programmes
    areas = element(form, 'id="visit-area_id"')
    assert gb.s.sds_area in areas and gb.s.cesi_area in areas and "第一保全室" in areas
    assert a["id"] in element(form, 'id="visit-visitors"')
    assert "UKDVA-2026-0042" in text(element(form, 'id="visit-visitors"'))

    redirected(browser.post("/visits", visit_form(gb, [a["id"]])), "/visits")
    v = _only_visit(engine)
    html = card(browser.get("/visits").text, v)
    assert 'data-status="approved"' in html and 'data-fast-path="yes"' in html
    assert "GCAP" in html and "第一保全室" in html
    assert "SECRET → Specially designated secret" in text(element(html, "<table"))
    assert "decision" not in html  # nothing left to decide
    assert browser.get(f"/visits/{v}").status_code == 200


def _only_visit(engine) -> str:
    s = _session(engine)
    try:
        return s.scalars(select(VisitRequest.id)).one()
    finally:
        s.close()


@pytest.mark.parametrize("changes, field", [
    ({"visitors": []}, "visitors"),
    ({"area_id": ""}, "area_id"),
    ({"programme_id": ""}, "programme_id"),
    ({"ends_on": "2001-01-01"}, "ends_on"),
    ({"kind": "forever"}, "kind"),
    ({"purpose": ""}, "purpose"),
])
def test_a_refused_request_shows_the_error_at_its_field(client, web, engine, gb: Uk, changes,
                                                        field):
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    browser = web(gb.liaison)
    with writes_nothing(engine):
        html = refused(browser.post("/visits", visit_form(gb, [a["id"]], **changes)))
    assert error_at(html, "visit", field)
    if field == "visitors":
        assert "required" in error_at(html, "visit", field)
    else:  # the chosen visitor stays ticked
        assert "checked" in element(html, 'id="visit-visitors"')


def test_another_governments_assurance_is_no_visitor(client, web, engine, gb: Uk):
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    us_programme = post(client, gb.s.world.users[AGENCY], "/programmes",
                        {"code": "RADAR", "name_ja": "レーダー", "name_en": "RADAR",
                         "countries": ["USA"], "organisations": [gb.s.world.company.id]}, 201)
    us = web(us_liaison(engine))
    html = us.get("/visits").text
    assert "UKDVA" not in html and "GCAP" not in element(html, 'id="visit-programme_id"')
    with writes_nothing(engine):
        html = refused(us.post("/visits", visit_form(gb, [a["id"]],
                                                     programme_id=us_programme["id"])))
    assert "No such assurance" in error_at(html, "visit", "visitors")


def test_outside_the_preauthorised_countries_the_agency_and_the_host_decide(
        client, web, engine, gb: Uk, other_programme):
    w = gb.s.world
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    liaison = web(gb.liaison)
    programmes = text(element(liaison.get("/visits").text, 'id="visit-programme_id"'))
    assert "SATCOM — SATCOM" in programmes and "SATCOM — SATCOM (pre" not in programmes
    redirected(liaison.post("/visits", visit_form(gb, [a["id"]],
                                                  programme_id=other_programme["id"])),
               "/visits")
    v = _only_visit(engine)
    html = card(liaison.get("/visits").text, v)
    assert 'data-status="submitted"' in html and 'data-fast-path="no"' in html
    assert 'data-code="country_not_preauthorised"' in html
    assert "does not pre-authorise" in html
    assert "decision" not in html  # a liaison does not decide

    # another company's officer sees nothing of it
    other = web(gb.s.other_cso)
    assert f'id="visit-{v}"' not in other.get("/visits").text
    assert other.get(f"/visits/{v}").status_code == 404
    assert other.post(f"/visits/{v}/decision", {"approve": "true"}).status_code == 404

    # the agency: a refusal needs reasons; then it approves
    agency = web(w.users[AGENCY])
    html = card(agency.get("/visits").text, v)
    assert "Your decision as the programme's agency" in html
    with writes_nothing(engine):
        html = refused(agency.post(f"/visits/{v}/decision", {"approve": "false",
                                                             "reasons": ""}))
    error_at(html, f"decide-{v}", "reasons")
    redirected(agency.post(f"/visits/{v}/decision", {"approve": "true"}), "/visits")
    html = card(agency.get("/visits").text, v)
    assert 'data-status="submitted"' in html and "decision" not in html
    assert "approved" in text(element(html, 'class="agency-decided"'))
    assert "not decided yet" in text(element(html, 'class="host-decided"'))
    # a second decision by the same side is a conflict: the page says so
    with writes_nothing(engine):
        html = refused(agency.post(f"/visits/{v}/decision", {"approve": "true"}))
    assert "not possible in the present state" in text(element(html, 'class="summary"'))

    # the host approves: approved
    host = web(w.users[CSO])
    html = card(host.get("/visits").text, v)
    assert "Your decision as the host" in html
    redirected(host.post(f"/visits/{v}/decision", {"approve": "true"}), "/visits")
    page = host.get(f"/visits/{v}")
    assert page.status_code == 200
    assert 'data-status="approved"' in card(page.text, v)
    assert "approved" in text(element(card(page.text, v), 'class="visit-status"'))


def test_a_host_refuses_with_reasons(client, web, engine, gb: Uk, other_programme):
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    v = post(client, gb.liaison, "/visits", {
        "kind": "one_time", "programme_id": other_programme["id"],
        "host_organisation_id": gb.s.world.company.id, "area_id": gb.s.sds_area,
        "starts_on": today().isoformat(), "ends_on": today().isoformat(),
        "purpose": "設計審査", "visitors": [a["id"]]}, 201)["id"]
    host = web(gb.s.world.users[CSO])
    redirected(host.post(f"/visits/{v}/decision", {"approve": "false",
                                                   "reasons": "受入体制が整っていない。"}),
               "/visits")
    html = card(web(gb.liaison).get("/visits").text, v)
    assert 'data-status="refused"' in html and "受入体制が整っていない。" in html
    assert "decision" not in card(web(gb.s.world.users[AGENCY]).get("/visits").text, v)


# --- who sees what ---------------------------------------------------------------------------


def test_each_role_sees_its_scope(client, web, engine, gb: Uk):
    w = gb.s.world
    a = post(client, gb.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=gb.company.id, today=today()), 201)
    post(client, gb.liaison, "/visits", {
        "kind": "one_time", "programme_id": gb.programme["id"],
        "host_organisation_id": w.company.id, "area_id": gb.s.sds_area,
        "starts_on": today().isoformat(), "ends_on": today().isoformat(),
        "purpose": "設計審査", "visitors": [a["id"]]}, 201)
    subject = web(w.users[SUBJECT])
    assert subject.get("/visits").status_code == 403
    assert subject.get("/foreign-assurances").status_code == 403
    host = web(w.users[CSO])
    assert host.get("/foreign-assurances").status_code == 403
    html = host.get("/visits").text
    assert 'data-status="approved"' in html and 'id="visit-form"' not in html
    # the window reads every assurance (with a link to the person) but submits none
    window = web(w.users[Role.WINDOW_OFFICER]).get("/foreign-assurances").text
    assert f'href="/people/{a["person_id"]}"' in window
    assert 'id="personnel-form"' not in window and "withdrawal" not in window
    # a liaison whose organisation is no partner government: told so, no forms
    html = web(w.users[Role.FOREIGN_LIAISON]).get("/foreign-assurances")
    assert html.status_code == 200 and 'id="no-agreement"' in html.text
    assert 'id="personnel-form"' not in html.text
    assert 'id="visit-form"' not in web(w.users[Role.FOREIGN_LIAISON]).get("/visits").text
    # a programme with neither GBR nor a UK company is not offered to the UK liaison
    post(client, w.users[AGENCY], "/programmes",
         {"code": "NAVAL", "name_ja": "艦艇", "name_en": "NAVAL", "countries": [],
          "organisations": [w.company.id]}, 201)
    assert "NAVAL" not in element(web(gb.liaison).get("/visits").text,
                                  'id="visit-programme_id"')

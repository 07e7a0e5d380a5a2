"""Outgoing reciprocity through the API: a Japanese person's clearance assurance for a
partner (JSON and PDF), a Request for Visit abroad (JSON and PDF), who may ask for whose
(the window for anyone, an employer for its own staff, "not found" alike for missing and
hidden), every refusal with its code, the audit of each, and the alternative labels of an
item releasable to partners."""

from __future__ import annotations

import io
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.reciprocity.models import Agreement
from hozen.reciprocity.services import today
from tests.factories import (
    World,
    assert_unchanged,
    detached_world,
    make_clearance,
    make_person,
    snapshot,
)
from tests.functional.test_designations import LABEL_NS, in_force, make_item, read_item

API = "/api/v1"
WO, CSO, AGENCY, SUBJECT, INV = (Role.WINDOW_OFFICER, Role.COMPANY_SECURITY_OFFICER,
                                 Role.AGENCY_OFFICIAL, Role.SUBJECT, Role.INVESTIGATOR)


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def clear(session, world: World, person_id: str, regime: str = "SDS", **kw) -> None:
    make_clearance(session, person_id, regime, sponsor_id=world.gov.id,
                   employer_id=world.company.id, listed_by=world.users[CSO].user_id, **kw)
    session.commit()


def person(session, world: World, employer=None, **kw) -> str:
    p = make_person(session, employer_id=(employer or world.company).id, **kw)
    session.commit()
    return p.id


def tags(session) -> list[tuple[str, str | None]]:
    out = [(e.tag, e.subject_id) for e in session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq))]
    session.rollback()  # never hold a transaction open across requests
    return out


def assurance(client, login, person_id: str, partner: str = "GBR", suffix: str = ""):
    return client.get(f"{API}/people/{person_id}/assurance{suffix}",
                      params={"partner": partner}, headers=login.headers)


def codes(r) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return [(e["field"], e["code"]) for e in r.json()["errors"]]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    # the CJK font's text comes back as UTF-16 code units: drop their zero bytes
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\x00", "")


# --- the clearance assurance -----------------------------------------------------------------


def test_the_window_issues_an_assurance_in_the_partners_level(client, world, session):
    clear(session, world, world.staff.id, valid_until=today() + timedelta(days=400))
    r = assurance(client, world.users[WO], world.staff.id)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got | {"agreement": None, "issuing_authority": None,
                  "issuing_authority_ja": None} == {
        "person_id": world.staff.id, "partner": "GBR", "agreement": None,
        "name_latin": "YAMADA, Taro", "birth_date": "1980-01-02", "nationality": "JPN",
        "hozen_level": "SDS", "partner_level": "SECRET",
        "valid_until": (today() + timedelta(days=400)).isoformat(),
        "issuing_authority": None, "issuing_authority_ja": None,
        "table_to_be_confirmed": True, "issued_on": today().isoformat()}
    assert "United Kingdom" in got["agreement"] and "Cabinet Office" in got["issuing_authority"]
    events = tags(session)
    assert ("registry:person:read", world.staff.id) in events
    assert ("reciprocity:outgoing-assurance:issue", world.staff.id) in events
    # a NATO table: CESI is NATO CONFIDENTIAL
    other = person(session, world)
    clear(session, world, other, "CESI")
    assert assurance(client, world.users[WO], other, "NATO").json()["partner_level"] == \
        "NATO CONFIDENTIAL"


def test_the_assurance_as_pdf(client, world, session):
    clear(session, world, world.staff.id)
    r = assurance(client, world.users[CSO], world.staff.id, "USA", ".pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "SECRET" in text and "YAMADA, Taro" in text and "1980-01-02" in text
    assert ("reciprocity:outgoing-assurance:issue", world.staff.id) in tags(session)


def test_an_employer_issues_for_its_own_staff_only(client, world, session):
    clear(session, world, world.staff.id)
    clear(session, world, world.outsider.id)
    u = world.users
    assert assurance(client, u[CSO], world.staff.id).status_code == 200
    before = snapshot(session.get_bind())
    for login, target in ((u[CSO], world.outsider.id), (u[AGENCY], world.staff.id),
                          (u[SUBJECT], world.staff.id), (u[INV], world.staff.id),
                          (u[WO], "00000000-0000-0000-0000-000000000000")):
        for suffix in ("", ".pdf"):
            r = assurance(client, login, target, suffix=suffix)
            assert r.status_code == 404, (login.username, r.text)
    assert_unchanged(before, snapshot(session.get_bind()))


def test_refusals_name_their_code(client, world, session):
    wo = world.users[WO]
    uncleared = person(session, world)
    assert codes(assurance(client, wo, uncleared)) == [("person_id", "person_not_cleared")]
    cesi = person(session, world)
    clear(session, world, cesi, "CESI")  # the UK table gives CESI no equivalent
    assert codes(assurance(client, wo, cesi)) == [("person_id", "hozen_level_not_in_table")]
    assert codes(assurance(client, wo, cesi, "XYZ")) == [
        ("partner", "no_agreement_with_partner")]
    foreign = person(session, world, nationalities=["USA"])
    clear(session, world, foreign)
    assert codes(assurance(client, wo, foreign)) == [("person_id", "not_japanese_national")]
    kanji_only = person(session, world, family_name_latin=None, given_name_latin=None)
    clear(session, world, kanji_only)
    assert codes(assurance(client, wo, kanji_only)) == [("person_id", "latin_name_required")]
    suspended = person(session, world)
    clear(session, world, suspended, status="suspended")
    assert codes(assurance(client, wo, suspended)) == [("person_id", "person_not_cleared")]
    r = client.get(f"{API}/people/{cesi}/assurance", headers=wo.headers)
    assert r.status_code == 422 and r.json()["field"] == "partner"
    # the agreement ended yesterday
    clear(session, world, world.staff.id)
    session.execute(update(Agreement).where(Agreement.partner == "GBR")
                    .values(in_force_to=today() - timedelta(days=1)))
    session.commit()
    before = snapshot(session.get_bind())
    assert codes(assurance(client, wo, world.staff.id)) == [
        ("partner", "agreement_not_in_force")]
    assert codes(assurance(client, wo, world.staff.id, suffix=".pdf")) == [
        ("partner", "agreement_not_in_force")]
    assert_unchanged(before, snapshot(session.get_bind()))  # nothing audited when refused


# --- the Request for Visit -------------------------------------------------------------------


def visit_body(*visitors: str, **changes) -> dict:
    start = today() + timedelta(days=10)
    return {"partner": "GBR", "host_name": "Albion Aero Ltd",
            "host_address": "1 Runway Road, Filton, Bristol BS34, United Kingdom",
            "kind": "one_time", "initiative": "commercial", "start": start.isoformat(),
            "end": (start + timedelta(days=2)).isoformat(),
            "purpose": "Joint design review of the GCAP airframe.", "programme_code": "GCAP",
            "visitors": list(visitors)} | changes


def export(client, login, body: dict, fmt: str | None = None):
    return client.post(f"{API}/outgoing-visit-requests/export",
                       params={"format": fmt} if fmt else None, headers=login.headers,
                       json=body)


def test_a_request_for_visit_lists_each_visitor_in_the_partners_level(client, world,
                                                                        session):
    second = person(session, world, family_name_latin="Suzuki", given_name_latin="Hanako",
                    birth_date="1985-06-07")
    clear(session, world, world.staff.id)
    clear(session, world, second)
    r = export(client, world.users[CSO], visit_body(world.staff.id, second))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["partner"] == "GBR" and got["table_to_be_confirmed"] is True
    assert got["requesting_facility"] == world.company.name_en
    assert got["host_name"] == "Albion Aero Ltd" and got["programme_code"] == "GCAP"
    assert [(v["person_id"], v["name_latin"], v["birth_date"], v["nationality"],
             v["partner_level"]) for v in got["visitors"]] == [
        (world.staff.id, "YAMADA, Taro", "1980-01-02", "JPN", "SECRET"),
        (second, "SUZUKI, Hanako", "1985-06-07", "JPN", "SECRET")]
    events = tags(session)
    assert ("reciprocity:outgoing-visit:export", None) in events
    assert {("registry:person:read", world.staff.id),
            ("registry:person:read", second)} <= set(events)


def test_a_request_for_visit_as_pdf(client, world, session):
    clear(session, world, world.staff.id)
    r = export(client, world.users[WO], visit_body(world.staff.id), "pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for words in ("Request for Visit", "Requesting facility", "Facility to be visited",
                  "Albion Aero Ltd", "YAMADA, Taro", "SECRET"):
        assert words in text, words


def test_every_refused_visitor_is_named(client, world, session):
    clear(session, world, world.staff.id)
    clear(session, world, world.outsider.id)
    cesi = person(session, world)
    clear(session, world, cesi, "CESI")
    short = person(session, world)
    clear(session, world, short, valid_until=today() + timedelta(days=11))
    uncleared = person(session, world)
    body = visit_body(world.staff.id, world.outsider.id, cesi, world.staff.id, uncleared,
                      short, "00000000-0000-0000-0000-000000000000")
    before = snapshot(session.get_bind())
    assert codes(export(client, world.users[CSO], body)) == [
        ("visitors.1", "person_unknown"),  # another company's: hidden like a missing one
        ("visitors.2", "hozen_level_not_in_table"),
        ("visitors.3", "visitor_repeated"),
        ("visitors.4", "person_not_cleared"),
        ("visitors.5", "clearance_ends_before_visit"),
        ("visitors.6", "person_unknown")]
    assert_unchanged(before, snapshot(session.get_bind()))
    # the window sees every person: the other company's visitor is fine for it
    assert export(client, world.users[WO], visit_body(world.outsider.id)).status_code == 200


def test_a_request_for_visit_checks_partner_and_dates(client, world, session):
    clear(session, world, world.staff.id)
    wo = world.users[WO]
    start = today() + timedelta(days=5)
    assert codes(export(client, wo, visit_body(
        world.staff.id, partner="XYZ", end=(start - timedelta(days=1)).isoformat(),
        start=start.isoformat()))) == [("partner", "no_agreement_with_partner"),
                                       ("end", "end_before_start")]
    assert codes(export(client, wo, visit_body(
        world.staff.id, start=(today() - timedelta(days=1)).isoformat()))) == [
        ("start", "start_in_past")]
    assert ("end", "too_long") in codes(export(client, wo, visit_body(
        world.staff.id, end=(start + timedelta(days=60)).isoformat(),
        start=start.isoformat())))
    r = export(client, wo, visit_body())
    assert r.status_code == 422 and r.json()["field"] == "visitors"
    r = export(client, wo, visit_body(world.staff.id, unexpected=1))
    assert r.status_code == 422
    r = export(client, wo, visit_body(world.staff.id), "docx")
    assert r.status_code == 422 and r.json()["field"] == "format"


@pytest.mark.parametrize("role", [SUBJECT, INV, Role.FOREIGN_LIAISON, Role.AUDITOR])
def test_only_the_window_and_employers_export_requests_for_visit(client, world, session,
                                                                 role):
    clear(session, world, world.staff.id)
    assert export(client, world.users[role], visit_body(world.staff.id)).status_code == 403


# --- alternative labels ----------------------------------------------------------------------


def test_an_item_releasable_to_gbr_and_usa_carries_their_alternative_labels(client, world):
    sds = in_force(client, world, regime="SDS", category="defence",
                   releasable_to=["USA", "GBR"])
    item = make_item(client, world, designation_id=sds["id"], releasable_to=["USA", "GBR"])
    alts = read_item(client, world.users[CSO], item["id"])["label"]["alternative_labels"]
    assert alts == [
        {"policy_identifier": "GBR", "classification": "SECRET", "to_be_confirmed": True},
        {"policy_identifier": "USA", "classification": "SECRET", "to_be_confirmed": True}]
    r = client.get(f"{API}/items/{item['id']}/label.xml", headers=world.users[CSO].headers)
    root = ET.fromstring(r.content)
    assert root.find(f".//{LABEL_NS}Classification").text == "SDS"
    got = [(a.get("ToBeConfirmed"), a.find(f".//{LABEL_NS}PolicyIdentifier").text,
            a.find(f".//{LABEL_NS}Classification").text)
           for a in root.iter(f"{LABEL_NS}AlternativeConfidentialityLabel")]
    assert got == [("true", "GBR", "SECRET"), ("true", "USA", "SECRET")]
    # CESI has no UK equivalent; an item not releasable has no alternative label
    cesi = in_force(client, world, releasable_to=["USA", "GBR"])
    item = make_item(client, world, designation_id=cesi["id"], releasable_to=["USA", "GBR"])
    assert read_item(client, world.users[CSO], item["id"])["label"]["alternative_labels"] == [
        {"policy_identifier": "USA", "classification": "CONFIDENTIAL", "to_be_confirmed": True}]
    item = make_item(client, world, designation_id=cesi["id"])
    assert read_item(client, world.users[CSO], item["id"])["label"]["alternative_labels"] == []

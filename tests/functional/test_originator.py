"""Originator control end to end: information a partner government provided (a
designation with an originator) cannot be made releasable to a third party — by the
designation, a change of it, or an item — until that government's liaison records its
consent; the consent is asked, granted, refused and withdrawn through the API, each
notified and audited; an incident involving the information is reported to the
originator's liaison."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.notifications.models import Notification
from tests.factories import Login, assert_unchanged, make_org, snapshot
from tests.functional.test_designations import (
    change,
    decide,
    designation_body,
    detail,
    extra_user,
    in_force,
    make_item,
    open_proposal,
)
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import (
    Setup,
    incident,
    world,  # noqa: F401
)
from tests.functional.test_facility_registers import s as registers  # noqa: F401

API = "/api/v1"
AGENCY, APPROVER, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, \
    Role.COMPANY_SECURITY_OFFICER


def liaison(session, country: str) -> Login:
    gov = make_org(session, kind="foreign_government", country_code=country,
                   name_en=f"{country} government", name_ja=f"{country}政府")
    session.commit()
    return extra_user(session, [Role.FOREIGN_LIAISON], gov.id)


def codes(r) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in r.json()["errors"]}


def ask(client, login: Login, designation_id: str, third_party: str = "GBR"):
    return client.post(f"{API}/designations/{designation_id}/originator-consents",
                       headers=login.headers,
                       json={"third_party": third_party, "purpose": "日英伊共同開発での共有"})


def answer(client, login: Login, consent_id: str, grant: bool = True):
    return client.post(f"{API}/originator-consents/{consent_id}/decision",
                       headers=login.headers,
                       json={"grant": grant, "reference": "DoD-2026-117", "note": ""})


def told(session, user_id: str, kind: str) -> int:
    n = len(list(session.scalars(select(Notification.id).where(
        Notification.user_id == user_id, Notification.kind == kind))))
    session.rollback()
    return n


@pytest.fixture
def us(session):
    return liaison(session, "USA")


def test_a_third_party_needs_the_originators_consent(client, session, world, us):  # noqa: F811
    u = world.users
    agency = u[AGENCY]
    r = client.post(f"{API}/designations", headers=agency.headers, json={
        **designation_body(world), "originator_country": "USA", "releasable_to": ["USA", "GBR"]})
    assert r.status_code == 422 and codes(r) == {("releasable_to.1",
                                                  "originator_consent_required")}
    d = in_force(client, world, originator_country="USA", releasable_to=["USA"])
    r = client.post(f"{API}/items", headers=agency.headers, json={
        "title": "設計書", "kind": "document", "designation_id": d["id"],
        "releasable_to": ["GBR"]})
    assert r.status_code == 422 and codes(r) == {("releasable_to.0",
                                                  "originator_consent_required")}
    r = change(client, agency, d["id"], "change", releasable_to=["USA", "GBR"])
    assert r.status_code == 422 and codes(r) == {("releasable_to.1",
                                                  "originator_consent_required")}

    # the agency asks; the US liaison is told; the UK (the third party) sees nothing
    uk = liaison(session, "GBR")
    r = ask(client, agency, d["id"])
    assert r.status_code == 201, r.text
    consent = r.json()
    assert consent["status"] == "requested" and consent["originator"] == "USA"
    assert told(session, us.user_id, "originator_consent_requested") == 1
    assert client.get(f"{API}/originator-consents/{consent['id']}",
                      headers=uk.headers).status_code == 404
    assert client.get(f"{API}/originator-consents", headers=uk.headers).json()["items"] == []
    assert answer(client, uk, consent["id"]).status_code == 404
    assert ask(client, agency, d["id"]).status_code == 409  # already asked
    r = ask(client, agency, d["id"], "USA")
    assert r.status_code == 422 and codes(r) == {("third_party", "not_a_third_party")}
    r = ask(client, agency, d["id"], "ZZZ")
    assert r.status_code == 422 and codes(r) == {("third_party", "country_unknown")}
    plain = in_force(client, world)
    r = ask(client, agency, plain["id"])
    assert r.status_code == 422 and codes(r) == {("designation_id", "no_originator")}
    # neither the agency nor a company decides for the originator
    assert answer(client, agency, consent["id"]).status_code == 404
    assert answer(client, u[CSO], consent["id"]).status_code == 404

    # the US grants: the change now goes through the second official
    r = answer(client, us, consent["id"])
    assert r.status_code == 200 and r.json()["status"] == "granted"
    assert r.json()["reference"] == "DoD-2026-117"
    assert told(session, agency.user_id, "originator_consent_granted") == 1
    assert answer(client, us, consent["id"]).status_code == 409
    r = change(client, agency, d["id"], "change", releasable_to=["USA", "GBR"])
    assert r.status_code == 201, r.text
    p = open_proposal(client, world, d["id"])
    assert decide(client, u[APPROVER], p["id"]).status_code == 200
    assert detail(client, agency, d["id"])["releasable_to"] == ["GBR", "USA"]
    make_item(client, world, designation_id=d["id"], releasable_to=["GBR"])

    # the US withdraws: nothing more may name the UK
    r = client.post(f"{API}/originator-consents/{consent['id']}/withdrawal",
                    headers=us.headers, json={})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert told(session, agency.user_id, "originator_consent_withdrawn") == 1
    r = client.post(f"{API}/items", headers=agency.headers, json={
        "title": "設計書2", "kind": "document", "designation_id": d["id"],
        "releasable_to": ["GBR"]})
    assert r.status_code == 422 and codes(r) == {("releasable_to.0",
                                                  "originator_consent_required")}
    tags = set(session.scalars(select(AuditEvent.tag).where(
        AuditEvent.subject_id == consent["id"])))
    session.rollback()
    assert tags == {"reciprocity:originator-consent:request",
                    "reciprocity:originator-consent:grant",
                    "reciprocity:originator-consent:withdraw"}


def test_a_refusal_is_final_and_a_change_pending_consent_is_refused_at_decision(
        client, session, world, us):  # noqa: F811
    u = world.users
    agency = u[AGENCY]
    d = in_force(client, world, originator_country="USA", releasable_to=["USA"])
    first = ask(client, agency, d["id"]).json()
    r = answer(client, us, first["id"], grant=False)
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert told(session, agency.user_id, "originator_consent_refused") == 1
    r = change(client, agency, d["id"], "change", releasable_to=["USA", "GBR"])
    assert r.status_code == 422
    # asked again and granted, proposed, then withdrawn before the second official
    # decides: the approval is refused and nothing changes
    again = ask(client, agency, d["id"]).json()
    assert answer(client, us, again["id"]).status_code == 200
    assert change(client, agency, d["id"], "change",
                  releasable_to=["USA", "GBR"]).status_code == 201
    client.post(f"{API}/originator-consents/{again['id']}/withdrawal", headers=us.headers,
                json={})
    p = open_proposal(client, world, d["id"])
    r = decide(client, u[APPROVER], p["id"])
    assert r.status_code == 409, r.text
    assert detail(client, agency, d["id"])["releasable_to"] == ["USA"]


def test_who_asks_and_who_sees(client, session, engine, world, us):  # noqa: F811
    u = world.users
    d = in_force(client, world, originator_country="USA", releasable_to=["USA"])
    # a holder's security officer may ask; an outsider company's may not even see it
    r = ask(client, u[CSO], d["id"], "AUS")
    assert r.status_code == 201, r.text
    mine = r.json()["id"]
    for role in (Role.SUBJECT, Role.INVESTIGATOR, Role.EXTERNAL_EXPERT):
        assert ask(client, u[role], d["id"], "ITA").status_code == 404, role
    other = extra_user(session, [CSO], world.other_company.id)
    before = snapshot(engine)
    assert ask(client, other, d["id"], "ITA").status_code == 404
    assert_unchanged(before, snapshot(engine))
    assert client.get(f"{API}/originator-consents", headers=other.headers
                      ).json()["items"] == []
    seen = {c["id"] for c in client.get(f"{API}/originator-consents",
                                        headers=u[CSO].headers).json()["items"]}
    assert seen == {mine}
    for role in (Role.WINDOW_OFFICER, Role.OVERSIGHT_INSPECTOR, AGENCY):
        r = client.get(f"{API}/originator-consents?status=requested", headers=u[role].headers)
        assert mine in {c["id"] for c in r.json()["items"]}, role
    r = client.get(f"{API}/originator-consents?status=bogus", headers=u[AGENCY].headers)
    assert r.status_code == 422
    r = client.post(f"{API}/designations/{d['id']}/originator-consents", headers=u[CSO].headers,
                    json={"third_party": "gbr", "purpose": ""})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"third_party", "purpose"}
    assert client.get(f"{API}/originator-consents", headers=u[Role.SUBJECT].headers
                      ).status_code == 403


def test_an_incident_is_reported_to_the_originators_liaison(
        client, session, registers: Setup):  # noqa: F811
    us = liaison(session, "USA")
    uk = liaison(session, "GBR")
    cso = registers.world.users[CSO]
    r = client.post(f"{API}/incidents", headers=cso.headers, json=incident(registers))
    assert r.status_code == 201, r.text
    assert told(session, us.user_id, "originator_incident") == 1
    assert told(session, uk.user_id, "originator_incident") == 0
    # an incident with no partner information tells no liaison
    r = client.post(f"{API}/incidents", headers=cso.headers,
                    json=incident(registers, item_ids=[registers.sds["id"]]))
    assert r.status_code == 201, r.text
    assert told(session, us.user_id, "originator_incident") == 1


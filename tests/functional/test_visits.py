"""Foreign clearance assurances and visit requests, end to end through the API, and the
scenario from the seed: a UK engineer with a partner SECRET clearance visits a Japanese
company in a joint-development programme. Before approval every access is refused with
the right reasons; after the fast-path approval the items releasable to GBR are
permitted and the others still refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.cli.main import app as cli
from hozen.notifications.models import Notification
from hozen.reciprocity.models import Agreement
from tests.factories import Login, assert_unchanged, make_org, snapshot
from tests.functional.test_designations import extra_user, in_force, make_item
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import (
    Setup,
    world,  # noqa: F401
)
from tests.functional.test_facility_registers import s as registers  # noqa: F401

API = "/api/v1"
AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def post(client, login: Login, path: str, body: dict, status: int = 200) -> dict:
    r = client.post(f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


def check(client, login: Login, person_id: str, item_id: str, area_id: str | None = None):
    body = {"person_id": person_id, "item_id": item_id, "action": "read"}
    if area_id:
        body["area_id"] = area_id
    r = client.post(f"{API}/access/check?lang=en", headers=login.headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()["permit"], {x["code"] for x in r.json()["reasons"]}


@dataclass
class Uk:
    s: Setup
    liaison: Login
    company: object
    programme: dict
    shared: dict  # SDS item of the programme releasable to GBR
    cesi_shared: dict  # CESI item of the programme releasable to GBR
    japan_only: dict  # SDS item of the programme, not releasable
    other: dict  # SDS item releasable to GBR but outside the programme


@pytest.fixture
def uk(client, session, registers: Setup) -> Uk:  # noqa: F811
    w = registers.world
    mod = make_org(session, kind="foreign_government", country_code="GBR",
                   name_en="UK Ministry of Defence", name_ja="英国国防省")
    company = make_org(session, kind="foreign_company", country_code="GBR",
                       name_en="Albion Aero Ltd",
                       name_ja="アルビオン航空")
    session.commit()
    liaison = extra_user(session, [Role.FOREIGN_LIAISON], mod.id)
    programme = post(client, w.users[AGENCY], "/programmes",
                     {"code": "GCAP", "name_ja": "次期戦闘機", "name_en": "GCAP",
                      "countries": ["GBR", "ITA"], "organisations": [w.company.id]}, 201)
    sds = in_force(client, w, regime="SDS", category="defence")
    cesi = in_force(client, w)
    return Uk(registers, liaison, company, programme,
              make_item(client, w, designation_id=sds["id"], title="共同設計書",
                        compartments=["GCAP"], releasable_to=["GBR"]),
              make_item(client, w, designation_id=cesi["id"], title="試験計画",
                        compartments=["GCAP"], releasable_to=["GBR"]),
              make_item(client, w, designation_id=sds["id"], title="国内限り",
                        compartments=["GCAP"]),
              make_item(client, w, designation_id=sds["id"], title="別事業",
                        releasable_to=["GBR"]))


def engineer(**changes) -> dict:
    return {"person": {"family_name_latin": "Hughes", "given_name_latin": "Owen",
                       "birth_date": "1984-02-29", "nationalities": ["GBR"],
                       "employer_id": changes.pop("employer_id")},
            "partner_level": "SECRET",
            "valid_until": (changes.pop("today") + timedelta(days=700)).isoformat(),
            "reference": "UKDVA-2026-0042"} | changes


def visit(uk: Uk, visitors: list[str], **changes) -> dict:
    from hozen.db import utcnow

    start = utcnow().date()
    return {"kind": "one_time", "programme_id": uk.programme["id"],
            "host_organisation_id": uk.s.world.company.id, "area_id": uk.s.sds_area,
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=4)).isoformat(),
            "purpose": "設計審査", "visitors": visitors} | changes


def facility_assurance(client, uk: Uk, today) -> dict:
    return post(client, uk.liaison, "/foreign-assurances/facility",
                {"organisation_id": uk.company.id, "partner_level": "SECRET",
                 "valid_until": (today + timedelta(days=900)).isoformat(),
                 "reference": "UKFSC-77"}, 201)


def test_a_uk_engineer_reaches_permitted_access_in_two_human_steps(client, session, uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    w, window = uk.s.world, uk.s.world.users[Role.WINDOW_OFFICER]
    facility_assurance(client, uk, today)
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    assert (a["partner"], a["partner_level"], a["level"]) == ("GBR", "SECRET", "SDS")
    person = a["person_id"]
    # before any visit: every access refused, naming the missing visit; the host's area
    # is not one the engineer may name yet
    for item in (uk.shared, uk.cesi_shared, uk.japan_only, uk.other):
        permit, reasons = check(client, window, person, item["id"])
        assert not permit and "visit_not_approved" in reasons
    r = client.post(f"{API}/access/check", headers=window.headers,
                    json={"person_id": person, "item_id": uk.shared["id"],
                          "area_id": uk.s.sds_area})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "area_unknown"
    assert "not_releasable" in check(client, window, person, uk.japan_only["id"])[1]
    # the programme pre-authorises GBR: approved at once, no approval step
    v = post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
    assert v["status"] == "approved" and v["fast_path"] and v["fast_path_reasons"] == []
    assert [x["level"] for x in v["visitors"]] == ["SDS"]
    assert check(client, window, person, uk.shared["id"], uk.s.sds_area) == (True, set())
    assert check(client, window, person, uk.cesi_shared["id"], uk.s.sds_area) == (True, set())
    permit, reasons = check(client, window, person, uk.japan_only["id"], uk.s.sds_area)
    assert not permit and reasons == {"not_releasable"}
    permit, reasons = check(client, window, person, uk.other["id"], uk.s.sds_area)
    assert not permit and reasons == {"not_registered_handler"}
    # only in the visit's area: the host's other area is not the engineer's to name
    r = client.post(f"{API}/access/check", headers=window.headers,
                    json={"person_id": person, "item_id": uk.shared["id"],
                          "area_id": uk.s.cesi_area})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "area_unknown"
    # human steps from the assurance to the permitted access: the assurance and the request
    steps = session.scalars(select(AuditEvent.tag).where(
        AuditEvent.tag.like("reciprocity:%")).order_by(AuditEvent.seq)).all()
    session.rollback()
    assert steps == ["reciprocity:assurance:submit", "reciprocity:assurance:submit",
                     "reciprocity:visit:request"]
    told = session.scalars(select(Notification.kind).where(
        Notification.user_id == w.users[CSO].user_id)).all()
    session.rollback()
    assert "visit_approved" in told
    # the report counts them from the audit log: two human steps, within the hour
    r = client.get(f"{API}/reports/time-to-access", headers=window.headers)
    assert r.status_code == 200
    mine = {m["assurance_id"]: m for m in r.json()["items"]}[a["id"]]
    assert mine["human_steps"] == 2 and 0 <= mine["hours"] < 1
    out = CliRunner().invoke(cli, ["report", "time-to-access"])
    assert out.exit_code == 0, out.output
    assert a["id"] in out.output and "at most 2 human steps" in out.output
    assert client.get(f"{API}/reports/time-to-access",
                      headers=uk.liaison.headers).status_code == 403


def test_outside_the_preauthorised_countries_both_sides_approve(client, session, uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    w = uk.s.world
    facility_assurance(client, uk, today)
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    other = post(client, w.users[AGENCY], "/programmes",
                 {"code": "SATCOM", "name_ja": "衛星通信", "name_en": "SATCOM",
                  "countries": ["ITA"], "organisations": [w.company.id]}, 201)
    v = post(client, uk.liaison, "/visits", visit(uk, [a["id"]], programme_id=other["id"]),
             201)
    assert v["status"] == "submitted" and v["fast_path_reasons"] == [
        "country_not_preauthorised"]
    permit, reasons = check(client, w.users[Role.WINDOW_OFFICER], a["person_id"],
                            uk.shared["id"])
    assert not permit and "visit_not_approved" in reasons
    # neither the liaison nor another company's officer decides
    r = client.post(f"{API}/visits/{v['id']}/decision", headers=uk.s.other_cso.headers,
                    json={"approve": True})
    assert r.status_code == 404
    r = client.post(f"{API}/visits/{v['id']}/decision", headers=uk.liaison.headers,
                    json={"approve": True})
    assert r.status_code == 404
    v = post(client, w.users[AGENCY], f"/visits/{v['id']}/decision", {"approve": True})
    assert v["status"] == "submitted" and v["agency_decided"] and not v["host_decided"]
    r = client.post(f"{API}/visits/{v['id']}/decision", headers=w.users[AGENCY].headers,
                    json={"approve": True})
    assert r.status_code == 409
    v = post(client, w.users[CSO], f"/visits/{v['id']}/decision", {"approve": True})
    assert v["status"] == "approved" and not v["fast_path"]
    satcom = make_item(client, w, designation_id=in_force(client, w)["id"],
                       compartments=["SATCOM"], releasable_to=["GBR"])
    assert check(client, w.users[Role.WINDOW_OFFICER], a["person_id"], satcom["id"],
                 uk.s.sds_area) == (True, set())
    r = client.get(f"{API}/reports/time-to-access", headers=w.users[AGENCY].headers)
    mine = {m["assurance_id"]: m for m in r.json()["items"]}[a["id"]]
    assert mine["human_steps"] == 4  # assurance, request, the agency's and the host's
    # the SATCOM visit admits to SATCOM's items only: GCAP's are not handled
    permit, reasons = check(client, w.users[Role.WINDOW_OFFICER], a["person_id"],
                            uk.shared["id"], uk.s.sds_area)
    assert not permit and {"not_registered_handler", "not_programme_member"} <= reasons


def test_a_refusal_needs_reasons_and_ends_the_request(client, session, uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    w = uk.s.world
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    v = post(client, uk.liaison, "/visits",
             visit(uk, [a["id"]], programme_id=post(
                 client, w.users[AGENCY], "/programmes",
                 {"code": "NAVAL", "name_ja": "艦艇", "name_en": "NAVAL", "countries": [],
                  "organisations": [w.company.id]}, 201)["id"]), 201)
    r = client.post(f"{API}/visits/{v['id']}/decision", headers=w.users[CSO].headers,
                    json={"approve": False})
    assert r.status_code == 422 and "reasons" in r.text
    v = post(client, w.users[CSO], f"/visits/{v['id']}/decision",
             {"approve": False, "reasons": "受入体制が整っていない。"})
    assert v["status"] == "refused"
    r = client.post(f"{API}/visits/{v['id']}/decision", headers=w.users[AGENCY].headers,
                    json={"approve": True})
    assert r.status_code == 409


def test_assurances_map_through_the_table_and_never_upwards(client, session, uk: Uk, engine):
    from hozen.db import utcnow

    today = utcnow().date()
    before = snapshot(engine)
    for body, field, code in [
        (engineer(employer_id=uk.company.id, today=today, partner_level="MOST SECRET"),
         "partner_level", "partner_level_unknown"),
        (engineer(employer_id=uk.company.id, today=today,
                  valid_until=(today - timedelta(days=1)).isoformat()),
         "valid_until", "assurance_expired"),
        (engineer(employer_id=uk.s.world.company.id, today=today),
         "person.employer_id", "not_a_partner_company"),
    ]:
        r = client.post(f"{API}/foreign-assurances/personnel", headers=uk.liaison.headers,
                        json=body)
        assert r.status_code == 422, r.text
        assert {(e["field"], e["code"]) for e in r.json()["errors"]} >= {(field, code)}
    french = engineer(employer_id=uk.company.id, today=today)
    french["person"]["nationalities"] = ["FRA"]
    r = client.post(f"{API}/foreign-assurances/personnel", headers=uk.liaison.headers,
                    json=french)
    assert r.status_code == 422 and "nationality_not_partner" in r.text
    assert_unchanged(before, snapshot(engine))
    # OFFICIAL-SENSITIVE counts as CUI: never a classified clearance
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today,
                      partner_level="OFFICIAL-SENSITIVE"), 201)
    assert a["level"] == "CUI"


def test_an_ended_agreement_stops_a_visitor_at_once(client, session, uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    window = uk.s.world.users[Role.WINDOW_OFFICER]
    facility_assurance(client, uk, today)
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
    assert check(client, window, a["person_id"], uk.shared["id"], uk.s.sds_area)[0]
    session.execute(Agreement.__table__.update().where(Agreement.partner == "GBR")
                    .values(in_force_to=today - timedelta(days=1)))
    session.commit()
    permit, reasons = check(client, window, a["person_id"], uk.shared["id"], uk.s.sds_area)
    assert not permit and "foreign_clearance_not_recognised" in reasons
    # a withdrawn assurance likewise
    session.execute(Agreement.__table__.update().where(Agreement.partner == "GBR")
                    .values(in_force_to=None))
    session.commit()
    post(client, uk.liaison, f"/foreign-assurances/{a['id']}/withdrawal", {})
    permit, reasons = check(client, window, a["person_id"], uk.shared["id"], uk.s.sds_area)
    assert not permit and "foreign_clearance_not_recognised" in reasons


def test_a_liaison_sees_only_its_own_governments_records(client, session, uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    usdod = make_org(session, kind="foreign_government", country_code="USA", name_en="DoD")
    session.commit()
    us = extra_user(session, [Role.FOREIGN_LIAISON], usdod.id)
    assert client.get(f"{API}/foreign-assurances", headers=us.headers).json()["items"] == []
    r = client.get(f"{API}/foreign-assurances/{a['id']}", headers=us.headers)
    assert r.status_code == 404
    r = client.post(f"{API}/foreign-assurances/{a['id']}/withdrawal", headers=us.headers)
    assert r.status_code == 404
    v = post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
    r = client.post(f"{API}/visits", headers=us.headers, json=visit(uk, [a["id"]]))
    assert r.status_code == 422 and "assurance_unknown" in r.text
    assert client.get(f"{API}/visits/{v['id']}", headers=us.headers).status_code == 404
    assert [x["id"] for x in client.get(f"{API}/visits", headers=uk.liaison.headers
                                        ).json()["items"]] == [v["id"]]
    subject = uk.s.world.users[Role.SUBJECT]
    assert client.get(f"{API}/visits", headers=subject.headers).status_code == 403


def test_a_partner_national_reads_cui_through_the_agreement_without_a_visit(
        client, session, uk: Uk):
    """A British engineer on the Japanese company's staff, with a CUI authorization from
    its security officer: CUI releasable to GBR is open without any visit while the UK
    agreement is in force; CUI not releasable to GBR and classified items stay shut."""
    from hozen.db import utcnow
    from tests.factories import make_person

    w = uk.s.world
    today = utcnow().date()
    person = make_person(session, employer_id=w.company.id, nationalities=["GBR"],
                         family_name_latin="Hughes", given_name_latin="Owen").id
    session.commit()
    when = (today - timedelta(days=3)).isoformat()
    post(client, w.users[CSO], "/cui-authorizations",
         {"person_id": person, "identity_document": "passport", "identity_checked_on": when,
          "trained_on": when, "agreement_signed_on": when}, 201)
    rel = make_item(client, w, title="技術仕様", cui_categories=["EXPT"],
                    releasable_to=["GBR"])
    home = make_item(client, w, title="国内仕様", cui_categories=["EXPT"])
    window = w.users[Role.WINDOW_OFFICER]
    assert check(client, window, person, rel["id"]) == (True, set())
    assert check(client, window, person, home["id"]) == (False, {"not_releasable"})
    permit, reasons = check(client, window, person, uk.cesi_shared["id"])
    assert not permit and "visit_not_approved" in reasons
    r = client.get(f"{API}/people/{person}/accessible-items", headers=window.headers)
    assert r.status_code == 200, r.text
    listed = {i["id"] for i in r.json()["items"]}
    assert rel["id"] in listed and home["id"] not in listed
    # the agreements covering the UK end (its own and NATO's): the standing ends with them
    session.execute(Agreement.__table__.update().where(Agreement.partner.in_(["GBR", "NATO"]))
                    .values(in_force_to=today - timedelta(days=1)))
    session.commit()
    assert check(client, window, person, rel["id"]) == (False, {"visit_not_approved"})
    r = client.get(f"{API}/people/{person}/accessible-items", headers=window.headers)
    assert rel["id"] not in {i["id"] for i in r.json()["items"]}


def test_those_who_see_a_visit_see_who_comes_and_the_read_is_recorded(client, session,
                                                                       uk: Uk):
    from hozen.db import utcnow

    today = utcnow().date()
    w = uk.s.world
    a = post(client, uk.liaison, "/foreign-assurances/personnel",
             engineer(employer_id=uk.company.id, today=today), 201)
    v = post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
    for login in (uk.liaison, w.users[CSO], w.users[AGENCY], w.users[Role.WINDOW_OFFICER]):
        r = client.get(f"{API}/visits/{v['id']}", headers=login.headers)
        assert r.status_code == 200
        assert [x["name_latin"] for x in r.json()["visitors"]] == ["Hughes Owen"]
    reads = session.scalars(select(AuditEvent.details).where(
        AuditEvent.tag == "registry:person:read",
        AuditEvent.actor == f"user:{w.users[CSO].user_id}")).all()
    session.rollback()
    assert any(a["person_id"] in d and '"visit"' in d for d in reads)

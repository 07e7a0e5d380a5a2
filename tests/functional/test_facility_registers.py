"""A qualified business's registers through the API: the handler register (cleared own
staff only, under a certification at the item's level), the custody log (append-only,
destruction witnessed), incidents (aftercare events, originator to notify), training
records, inspections, research participants and the contract's specification. Every
refusal names its field and writes nothing; other organisations and subjects are denied."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hozen.accounts.permissions import Role
from hozen.api.gates import iter_routes
from hozen.audit.models import AuditEvent
from hozen.clearances.models import Clearance, ClearanceCase, ReportableEvent
from hozen.db import new_id, utcnow
from hozen.designations.models import Designation
from hozen.facilities import custody
from hozen.facilities.incidents import INCIDENT_EVENT_KIND
from hozen.facilities.models import CustodyEvent, Facility
from tests.factories import (
    Login,
    World,
    assert_unchanged,
    detached_world,
    make_org,
    make_person,
    snapshot,
)
from tests.functional.test_designations import extra_user, in_force, make_item, other_agency
from tests.functional.test_facilities import REASONS, all_met, application, deputy  # noqa: F401

API = "/api/v1"
AGENCY, CSO, SUBJECT = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


def today() -> date:
    return utcnow().date()  # the services' today (UTC)


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def call(client, login: Login, method: str, path: str, body=None, expect=200, **params):
    r = client.request(method, f"{API}{path}", headers=login.headers, json=body,
                       params=params or None)
    assert r.status_code == expect, r.text
    return r.json()


def post(client, login, path, body=None, status=200):
    return call(client, login, "POST", path, body, status)


def get(client, login, path, expect=200, **params):
    return call(client, login, "GET", path, None, expect, **params)


def refused(client, login, path, body, *expected: tuple[str, str], status=422):
    """A refusal naming each (field, code) expected."""
    r = client.post(f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == status, r.text
    got = {(e["field"], e["code"]) for e in r.json().get("errors", [])}
    assert set(expected) <= got, (expected, got)


def clear(session, person_id: str, regime: str, world: World, *, status: str = "active",
          valid_until: date | None = None) -> None:
    """Fixture state: a granted case and its clearance (the clearance flow is tested
    elsewhere)."""
    case = ClearanceCase(id=new_id(), person_id=person_id, regime=regime,
                         sponsor_id=world.gov.id, employer_id=world.company.id,
                         listed_by=world.users[CSO].user_id, state="granted")
    session.add(case)
    session.flush()
    session.add(Clearance(id=new_id(), person_id=person_id, case_id=case.id, regime=regime,
                          sponsor_id=world.gov.id, granted_on=today() - timedelta(days=30),
                          valid_until=valid_until or today() + timedelta(days=1000),
                          status=status))
    session.commit()


@dataclass
class Setup:
    world: World
    facility: dict
    sds_area: str
    cesi_area: str
    cesi: dict  # an item under a CESI designation from a partner (USA); company and other
    sds: dict  # an item under an SDS designation held by the company only
    lifted: dict  # an item of a designation the company held, now lifted: unmarked
    cleared: str  # company staff with a CESI clearance (world.staff)
    sds_cleared: str  # company staff with an SDS clearance
    bare: str  # company staff without a clearance
    other_cso: Login


@pytest.fixture
def s(client, session, world, deputy) -> Setup:  # noqa: F811
    u = world.users
    f = post(client, u[AGENCY], "/facilities",
             {"organisation_id": world.company.id, "level": "SDS"}, 201)
    areas = [{"kind": "room", "name": "第一保全室", "level": "SDS"},
             {"kind": "container", "name": "保管庫", "level": "CESI"}]
    post(client, u[CSO], f"/facilities/{f['id']}/application",
         application(world, deputy_officer_id=deputy.user_id, areas=areas))
    post(client, u[AGENCY], f"/facilities/{f['id']}/review")
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    area = {a["level"]: a["id"] for a in f["areas"]}
    cesi_d = in_force(client, world, originator_country="USA",
                      holders=[world.company.id, world.other_company.id])
    sds_d = in_force(client, world, regime="SDS", category="defence")
    lifted_d = in_force(client, world)
    lifted = make_item(client, world, designation_id=lifted_d["id"], title="旧資料")
    session.execute(update(Designation).where(Designation.id == lifted_d["id"])
                    .values(status="lifted", lifted_on=today()))
    sds_cleared = make_person(session, world.company.id, given_name_kanji="花子").id
    bare = make_person(session, world.company.id, given_name_kanji="次郎").id
    session.commit()
    clear(session, world.staff.id, "CESI", world)
    clear(session, sds_cleared, "SDS", world)
    return Setup(world, f, area["SDS"], area["CESI"],
                 make_item(client, world, designation_id=cesi_d["id"]),
                 make_item(client, world, designation_id=sds_d["id"], title="作戦計画"),
                 lifted,
                 world.staff.id, sds_cleared, bare,
                 extra_user(session, [CSO], world.other_company.id))


def state(session):
    return snapshot(session.get_bind())


def add_handler(client, s: Setup, item: dict, person_id: str) -> dict:
    return post(client, s.world.users[CSO], f"/items/{item['id']}/handlers",
                {"person_id": person_id}, 201)


# --- the handler register ----------------------------------------------------------------------


def test_the_handler_register_takes_cleared_own_staff_at_the_items_level(client, session, s):
    u, cso = s.world.users, s.world.users[CSO]
    h = add_handler(client, s, s.cesi, s.cleared)
    assert h["current"] and h["organisation_id"] == s.world.company.id
    add_handler(client, s, s.sds, s.sds_cleared)
    add_handler(client, s, s.cesi, s.sds_cleared)  # SDS covers CESI
    expired = make_person(session, s.world.company.id, given_name_kanji="三郎").id
    session.commit()
    clear(session, expired, "CESI", s.world, valid_until=today() - timedelta(days=1))
    before = state(session)
    path = f"/items/{s.cesi['id']}/handlers"
    refused(client, cso, path, {"person_id": s.bare}, ("person_id", "person_not_cleared"))
    refused(client, cso, path, {"person_id": expired}, ("person_id", "person_not_cleared"))
    refused(client, cso, f"/items/{s.sds['id']}/handlers", {"person_id": s.cleared},
            ("person_id", "clearance_below_level"))
    refused(client, cso, path, {"person_id": s.world.outsider.id},
            ("person_id", "not_own_staff"))
    refused(client, cso, path, {"person_id": new_id()}, ("person_id", "not_own_staff"))
    refused(client, cso, f"/items/{s.lifted['id']}/handlers", {"person_id": s.cleared},
            ("item_id", "not_classified"))
    refused(client, cso, path, {"person_id": s.cleared}, status=409)
    assert_unchanged(before, state(session))
    listed = get(client, u[AGENCY], path)["items"]  # the agency sees every organisation's
    assert {x["person_id"] for x in listed} == {s.cleared, s.sds_cleared}
    removed = post(client, cso, f"/item-handlers/{h['id']}/removal")
    assert removed["removed_on"] == today().isoformat() and not removed["current"]
    post(client, cso, f"/item-handlers/{h['id']}/removal", status=409)
    assert [x["person_id"] for x in get(client, cso, path, current_only="true")["items"]] \
        == [s.sds_cleared]
    assert len(get(client, cso, "/item-handlers")["items"]) == 3


def test_the_handler_register_needs_a_certification_in_force_at_the_level(
        client, session, s):
    cso = s.world.users[CSO]
    session.execute(update(Facility).values(level="CESI"))
    session.commit()
    before = state(session)
    refused(client, cso, f"/items/{s.sds['id']}/handlers", {"person_id": s.sds_cleared},
            ("item_id", "facility_level_insufficient"))
    assert_unchanged(before, state(session))
    post(client, s.world.users[AGENCY], f"/facilities/{s.facility['id']}/suspend", REASONS)
    before = state(session)
    refused(client, cso, f"/items/{s.cesi['id']}/handlers", {"person_id": s.cleared},
            ("item_id", "facility_not_certified"))
    assert_unchanged(before, state(session))


# --- the custody log -----------------------------------------------------------------------------


def event(s: Setup, item: dict, kind: str, person: str, **fields) -> dict:
    return {"item_id": item["id"], "kind": kind, "person_id": person} | fields


def test_custody_is_logged_by_handlers_and_shows_where_every_item_is(client, s):
    u, cso = s.world.users, s.world.users[CSO]
    add_handler(client, s, s.cesi, s.cleared)
    add_handler(client, s, s.sds, s.sds_cleared)
    ev = "/custody-events"
    post(client, cso, ev, event(s, s.sds, "receipt", s.sds_cleared, area_id=s.sds_area), 201)
    post(client, cso, ev, event(s, s.cesi, "receipt", s.cleared, area_id=s.cesi_area), 201)
    post(client, cso, ev, event(s, s.cesi, "copy", s.cleared, copies=2), 201)
    post(client, cso, ev, event(s, s.cesi, "transfer", s.cleared,
                                to_organisation_id=s.world.other_company.id), 201)
    d = post(client, cso, ev, event(s, s.cesi, "destruction", s.cleared,
                                    witness_person_id=s.bare, note="裁断"), 201)
    assert d["witness_person_id"] == s.bare
    log = get(client, cso, f"/items/{s.cesi['id']}/custody")["items"]
    assert [e["kind"] for e in log] == ["receipt", "copy", "transfer", "destruction"]
    where = {w["item_id"]: w for w in get(client, cso, "/custody/where")["items"]}
    assert where[s.cesi["id"]]["status"] == "destroyed"
    held = where[s.sds["id"]]
    assert (held["status"], held["person_id"], held["area_id"], held["level"]) == (
        "held", s.sds_cleared, s.sds_area, "SDS")
    assert len(get(client, u[AGENCY], "/custody/where")["items"]) == 2
    assert get(client, s.other_cso, "/custody/where")["items"] == []  # per organisation
    assert get(client, s.other_cso, f"/items/{s.cesi['id']}/custody")["items"] == []


def test_custody_refuses_an_uncleared_handler_and_an_unwitnessed_destruction(
        client, session, s):
    cso = s.world.users[CSO]
    add_handler(client, s, s.cesi, s.cleared)
    add_handler(client, s, s.sds, s.sds_cleared)
    stranger = make_org(session)
    session.commit()
    ev = "/custody-events"
    before = state(session)
    refused(client, cso, ev, event(s, s.cesi, "receipt", s.bare),
            ("person_id", "not_a_handler"))
    refused(client, cso, ev, event(s, s.cesi, "destruction", s.cleared),
            ("witness_person_id", "required"))
    refused(client, cso, ev, event(s, s.cesi, "destruction", s.cleared,
                                   witness_person_id=s.cleared),
            ("witness_person_id", "same_person"))
    refused(client, cso, ev, event(s, s.cesi, "destruction", s.cleared,
                                   witness_person_id=s.world.outsider.id),
            ("witness_person_id", "not_own_staff"))
    refused(client, cso, ev, event(s, s.cesi, "transfer", s.cleared),
            ("to_organisation_id", "required"))
    refused(client, cso, ev, event(s, s.cesi, "transfer", s.cleared,
                                   to_organisation_id=stranger.id),
            ("to_organisation_id", "not_a_holder"))
    refused(client, cso, ev, event(s, s.cesi, "copy", s.cleared), ("copies", "required"))
    refused(client, cso, ev, event(s, s.cesi, "receipt", s.cleared, copies=1,
                                   witness_person_id=s.bare),
            ("copies", "not_for_this_kind"), ("witness_person_id", "not_for_this_kind"))
    refused(client, cso, ev, event(s, s.sds, "handling", s.sds_cleared, area_id=s.cesi_area),
            ("area_id", "area_below_level"))
    refused(client, cso, ev, event(s, s.cesi, "handling", s.cleared, area_id=new_id()),
            ("area_id", "area_unknown"))
    future = (utcnow() + timedelta(hours=2)).isoformat()
    refused(client, cso, ev, event(s, s.cesi, "handling", s.cleared, occurred_at=future),
            ("occurred_at", "date_in_future"))
    refused(client, cso, ev, event(s, s.lifted, "receipt", s.cleared),
            ("item_id", "not_classified"))
    refused(client, s.other_cso, ev, event(s, s.sds, "receipt", s.sds_cleared),
            ("item_id", "item_not_held"))
    assert_unchanged(before, state(session))
    # a handler whose clearance is suspended is refused, though still on the register
    session.execute(update(Clearance).where(Clearance.person_id == s.cleared)
                    .values(status="suspended"))
    session.commit()
    before = state(session)
    refused(client, cso, ev, event(s, s.cesi, "handling", s.cleared),
            ("person_id", "person_not_cleared"))
    assert_unchanged(before, state(session))
    # the database refuses an unwitnessed destruction too
    session.add(CustodyEvent(item_id=s.cesi["id"], organisation_id=s.world.company.id,
                             kind="destruction", person_id=s.cleared, occurred_at=utcnow(),
                             recorded_by=s.world.users[CSO].user_id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_custody_is_append_only(client, app, session, s):
    cso = s.world.users[CSO]
    add_handler(client, s, s.cesi, s.cleared)
    e = post(client, cso, "/custody-events", event(s, s.cesi, "receipt", s.cleared), 201)
    methods = {m for r in iter_routes(app.routes) if "custody" in getattr(r, "path", "")
               for m in getattr(r, "methods", ())}
    assert methods <= {"GET", "POST"}
    assert not [n for n in vars(custody) if n.startswith(("update", "delete", "edit",
                                                          "change", "remove"))]
    before = state(session)
    for method in ("PUT", "PATCH", "DELETE"):
        r = client.request(method, f"{API}/custody-events/{e['id']}", headers=cso.headers,
                           json={"note": "改ざん"})
        assert r.status_code in (404, 405), r.text
    assert_unchanged(before, state(session))


# --- incidents ---------------------------------------------------------------------------------


def incident(s: Setup, **changes) -> dict:
    return {"kind": "leak", "severity": "high", "occurred_on": today().isoformat(),
            "description": "保管庫の施錠漏れ", "item_ids": [s.cesi["id"]],
            "person_ids": [s.cleared]} | changes


def test_an_incident_is_reported_marked_for_the_originator_and_closed(client, session, s):
    u, cso = s.world.users, s.world.users[CSO]
    i = post(client, cso, "/incidents", incident(s), 201)
    assert i["status"] == "open" and i["originator_to_notify"] == ["USA"]
    details = session.scalar(select(AuditEvent.details).where(
        AuditEvent.tag == "facilities:incident:report"))
    session.rollback()
    assert json.loads(details)["originator_to_notify"] == {"USA": [s.cesi["id"]]}
    elsewhere = other_agency(session)
    before = state(session)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    refused(client, cso, "/incidents", incident(s, occurred_on=tomorrow),
            ("occurred_on", "date_in_future"))
    refused(client, cso, "/incidents", incident(s, person_ids=[s.world.outsider.id]),
            ("person_ids.0", "not_own_staff"))
    refused(client, s.other_cso, "/incidents", incident(s, item_ids=[s.sds["id"]],
                                                        person_ids=[]),
            ("item_ids.0", "item_not_held"))
    post(client, cso, f"/incidents/{i['id']}/closure", {"closing_note": "x"}, 404)
    post(client, elsewhere, f"/incidents/{i['id']}/closure", {"closing_note": "x"}, 404)
    assert_unchanged(before, state(session))
    assert [x["id"] for x in get(client, u[AGENCY], "/incidents", status="open")["items"]
            ] == [i["id"]]
    assert get(client, s.other_cso, "/incidents")["items"] == []
    closed = post(client, u[AGENCY], f"/incidents/{i['id']}/closure",
                  {"closing_note": "再発防止策を確認した"})
    assert closed["status"] == "closed" and closed["closing_note"]
    post(client, u[AGENCY], f"/incidents/{i['id']}/closure", {"closing_note": "x"}, 409)
    assert get(client, cso, "/incidents", status="open")["items"] == []


def test_an_incident_involving_a_person_files_a_reportable_event(client, session, s):
    i = post(client, s.world.users[CSO], "/incidents",
             incident(s, person_ids=[s.cleared, s.bare]), 201)
    events = session.scalars(select(ReportableEvent).order_by(ReportableEvent.person_id))
    got = sorted((e.person_id, e.kind, e.occurred_on.isoformat()) for e in events)
    session.rollback()
    assert got == sorted((p, INCIDENT_EVENT_KIND, i["occurred_on"])
                         for p in (s.cleared, s.bare))


# --- training ----------------------------------------------------------------------------------


def test_training_records_due_dates_and_overdue_staff(client, session, s):
    u, cso = s.world.users, s.world.users[CSO]
    old = (today() - timedelta(days=400)).isoformat()
    t = post(client, cso, "/training-records",
             {"person_id": s.cleared, "kind": "initial", "trained_on": old}, 201)
    assert t["overdue"] and t["last_trained_on"] == old
    overdue = {x["person_id"] for x in get(client, cso, "/training/overdue")["items"]}
    assert overdue == {s.cleared, s.sds_cleared}  # cleared staff; never trained counts
    t = post(client, cso, "/training-records", {"person_id": s.cleared, "kind": "refresher",
                                                 "trained_on": today().isoformat()}, 201)
    assert not t["overdue"] and t["due_on"] > today().isoformat() and len(t["records"]) == 2
    assert get(client, u[AGENCY], f"/people/{s.cleared}/training")["overdue"] is False
    reads = session.scalars(select(AuditEvent.subject_id).where(
        AuditEvent.tag == "facilities:training:read")).all()
    session.rollback()
    assert s.cleared in reads  # a read of a person's records is recorded
    get(client, s.other_cso, f"/people/{s.cleared}/training", 404)
    before = state(session)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    refused(client, cso, "/training-records", {"person_id": s.cleared, "kind": "refresher",
                                               "trained_on": tomorrow},
            ("trained_on", "date_in_future"))
    refused(client, cso, "/training-records", {"person_id": s.world.outsider.id,
                                               "kind": "initial", "trained_on": old},
            ("person_id", "not_own_staff"))
    assert_unchanged(before, state(session))
    assert {x["person_id"] for x in get(client, cso, "/training/overdue")["items"]} \
        == {s.sds_cleared}


# --- inspections -------------------------------------------------------------------------------


def finding(**changes) -> dict:
    return {"severity": "minor", "text": "掲示が古い", "control_id": None} | changes


def test_inspections_their_findings_and_overdue_corrective_actions(client, session, s):
    u, cso, fid = s.world.users, s.world.users[CSO], s.facility["id"]
    path = f"/facilities/{fid}/inspections"
    held = today() - timedelta(days=30)
    control = all_met()["results"].popitem()[0]
    body = {"kind": "self", "held_on": held.isoformat(), "summary": "年次自己点検",
            "findings": [finding(control_id=control)]}
    own = post(client, cso, path, body, 201)
    assert own["findings"][0]["control_id"] == control
    major = finding(severity="major", action="鍵の交換",
                    due_on=(today() - timedelta(days=1)).isoformat())
    on_site = post(client, u[AGENCY], path, body | {"kind": "on_site", "findings": [major]},
                   201)
    [late] = get(client, cso, "/facility-findings/overdue")["items"]
    assert late["id"] == on_site["findings"][0]["id"] and late["overdue"]
    elsewhere = other_agency(session)
    before = state(session)
    refused(client, cso, path, body | {"findings": [finding(severity="critical")]},
            ("findings.0.action", "corrective_action_required"))
    refused(client, cso, path, body | {"findings": [finding(control_id="NO-SUCH")]},
            ("findings.0.control_id", "unknown_control"))
    refused(client, cso, path, body | {"findings": [major | {
        "due_on": (held - timedelta(days=1)).isoformat()}]},
            ("findings.0.due_on", "due_before_inspection"))
    refused(client, cso, path, body | {"findings": [finding(action="直す")]},
            ("findings.0.due_on", "required"))
    refused(client, cso, path, body | {"held_on": (today() + timedelta(days=1)).isoformat()},
            ("held_on", "date_in_future"))
    refused(client, cso, path, body | {"kind": "on_site"}, ("kind", "on_site_by_agency"))
    refused(client, u[AGENCY], path, body, ("kind", "self_inspection_by_business"))
    post(client, elsewhere, path, body | {"kind": "on_site"}, 404)
    post(client, cso, f"/facility-findings/{late['id']}/closure", None, 404)  # the agency's
    assert_unchanged(before, state(session))
    closed = post(client, u[AGENCY], f"/facility-findings/{late['id']}/closure")
    assert closed["closed_on"] == today().isoformat() and not closed["overdue"]
    post(client, u[AGENCY], f"/facility-findings/{late['id']}/closure", None, 409)
    post(client, cso, f"/facility-findings/{own['findings'][0]['id']}/closure")
    assert get(client, cso, "/facility-findings/overdue")["items"] == []
    assert sorted(i["kind"] for i in get(client, u[AGENCY], path)["items"]) == ["on_site",
                                                                        "self"]


# --- research participants -----------------------------------------------------------------------


def test_research_participants_foreign_nationals_screened_first(client, session, s):
    u = s.world.users
    uni = make_org(session, kind="university", name_ja="テスト大学", name_en="Test Univ")
    session.commit()
    uni_cso = extra_user(session, [CSO], uni.id)
    japanese = make_person(session, uni.id).id
    dual = make_person(session, uni.id, nationalities=["JPN", "USA"]).id
    session.commit()
    f = post(client, u[AGENCY], "/facilities",
             {"organisation_id": uni.id, "level": "CESI", "project": "量子暗号の研究"}, 201)
    path = f"/facilities/{f['id']}/participants"
    p = post(client, uni_cso, path, {"person_id": japanese}, 201)
    assert p["joined_on"] == today().isoformat() and p["screened_on"] is None
    before = state(session)
    refused(client, uni_cso, path, {"person_id": dual},
            ("screened_on", "foreign_participant_unscreened"))
    refused(client, uni_cso, path, {"person_id": s.cleared}, ("person_id", "not_own_staff"))
    refused(client, uni_cso, path, {"person_id": japanese}, status=409)
    refused(client, s.world.users[CSO], f"/facilities/{s.facility['id']}/participants",
            {"person_id": s.cleared}, ("facility_id", "not_a_research_project"))
    post(client, s.world.users[CSO], path, {"person_id": s.cleared}, 404)
    assert_unchanged(before, state(session))
    screened = (today() - timedelta(days=3)).isoformat()
    post(client, uni_cso, path, {"person_id": dual, "screened_on": screened}, 201)
    left = post(client, uni_cso, f"/research-participants/{p['id']}/removal")
    assert left["left_on"] == today().isoformat()
    post(client, uni_cso, f"/research-participants/{p['id']}/removal", None, 409)
    assert len(get(client, u[AGENCY], path)["items"]) == 2


# --- the security classification specification -------------------------------------------------


def test_the_specification_takes_the_items_level_up_to_the_certified_one(
        client, session, s):
    u, fid = s.world.users, s.facility["id"]
    path = f"/facilities/{fid}/specification"
    line = {"item_id": s.cesi["id"], "departments": ["研究開発部"], "handling": "保全室内のみ",
            "return_rule": "契約終了時に返却"}
    e = post(client, u[AGENCY], path, line, 201)
    assert e["level"] == "CESI" and e["departments"] == ["研究開発部"]
    unheld = in_force(client, s.world, holders=[s.world.other_company.id])
    elsewhere = make_item(client, s.world, designation_id=unheld["id"])
    other = other_agency(session)
    before = state(session)
    refused(client, u[AGENCY], path, line, status=409)
    refused(client, u[AGENCY], path, line | {"item_id": s.lifted["id"]},
            ("item_id", "not_classified"))
    refused(client, u[AGENCY], path, line | {"item_id": elsewhere["id"]},
            ("item_id", "not_a_holder"))
    refused(client, u[AGENCY], path, line | {"item_id": new_id()}, ("item_id", "no_such_item"))
    post(client, u[CSO], path, line, 404)
    post(client, other, path, line, 404)
    assert_unchanged(before, state(session))
    session.execute(update(Facility).values(level="CESI"))
    session.commit()
    refused(client, u[AGENCY], path, line | {"item_id": s.sds["id"]},
            ("item_id", "above_facility_level"))
    post(client, u[AGENCY], f"/facilities/{fid}/suspend", REASONS)
    refused(client, u[AGENCY], path, line | {"item_id": s.sds["id"]},
            ("facility", "not_certified"))
    assert [x["item_id"] for x in get(client, u[CSO], path)["items"]] == [s.cesi["id"]]


# --- denials -----------------------------------------------------------------------------------


def test_another_organisations_officer_and_a_subject_are_denied(client, session, s):
    u, other, subject = s.world.users, s.other_cso, s.world.users[SUBJECT]
    h = add_handler(client, s, s.sds, s.sds_cleared)
    fid = s.facility["id"]
    before = state(session)
    for method, path, body in [
            ("POST", f"/items/{s.sds['id']}/handlers", {"person_id": s.sds_cleared}),
            ("GET", f"/items/{s.sds['id']}/handlers", None),
            ("GET", f"/items/{s.sds['id']}/custody", None),
            ("POST", f"/item-handlers/{h['id']}/removal", None),
            ("GET", f"/people/{s.sds_cleared}/training", None),
            ("GET", f"/facilities/{fid}/inspections", None),
            ("POST", f"/facilities/{fid}/inspections",
             {"kind": "self", "held_on": today().isoformat(), "summary": "x"}),
            ("POST", f"/facilities/{fid}/specification",
             {"item_id": s.sds["id"], "departments": ["x"], "handling": "x",
              "return_rule": "x"}),
            ("GET", f"/facilities/{fid}/specification", None)]:
        for login in (other, subject):
            call(client, login, method, path, body, 404)
    for method, path in [("GET", "/custody/where"), ("POST", "/custody-events"),
                         ("GET", "/incidents"), ("POST", "/incidents"),
                         ("POST", "/training-records"), ("GET", "/training/overdue"),
                         ("GET", "/item-handlers"), ("GET", "/facility-findings/overdue")]:
        call(client, subject, method, path, {}, 403)
    call(client, u[AGENCY], "POST", f"/items/{s.sds['id']}/handlers",
         {"person_id": s.sds_cleared}, 404)  # the register is the business's to keep
    assert get(client, other, f"/items/{s.cesi['id']}/handlers")["items"] == []
    assert_unchanged(before, state(session))

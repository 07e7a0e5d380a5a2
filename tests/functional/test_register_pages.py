"""The pages of a qualified business's handling records, through the real application with
real sign-in: the handler register, the custody log and where every item is, incidents,
training, and on a facility's record its inspections, research participants and the
contract's specification. Each form's valid post redirects and writes; a refused one
shows the page again (422) with the error at the field and writes nothing but the record
of what the page showed; another organisation's officer cannot open an item it does not
hold."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.db import new_id, session_factory
from hozen.facilities.models import (
    CustodyEvent,
    Handler,
    Incident,
    InspectionFinding,
    ResearchParticipant,
    SpecificationEntry,
    TrainingRecord,
)
from hozen.web.register_pages import JST
from tests.factories import make_org, make_person
from tests.functional.test_clearance_pages import writes_nothing
from tests.functional.test_designations import extra_user, other_agency
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import (  # noqa: F401
    Setup,
    add_handler,
    post,
    s,
    today,
    world,
)
from tests.pages import element, text

AGENCY, CSO, SUBJECT = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


@pytest.fixture
def reg(s) -> Setup:  # noqa: F811
    """The API tests' set-up: a certified company with approved areas, cleared and
    uncleared staff, a CESI item it shares with another company and an SDS item."""
    return s


def count(engine, model, *where) -> int:
    with session_factory(engine)() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def error_at(html: str, form: str, field: str) -> str:
    """The error shown at a field of one of the page's forms."""
    return text(element(html, f'id="e-{form}-{field}"'))


def redirected(r, to: str = "/registers") -> None:
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"] == to


def refused(r) -> str:
    assert r.status_code == 422, r.text[:2000]
    return r.text


# --- /registers per role -----------------------------------------------------------------------


def test_each_role_sees_its_sections_and_names_only_in_its_scope(web, reg: Setup):
    cso = web(reg.world.users[CSO]).get("/registers")
    assert cso.status_code == 200
    for form in ("handler-form", "custody-form", "incident-form", "training-form"):
        element(cso.text, f'id="{form}"')
    assert "山田 花子" in element(cso.text, 'id="handler-person_id"')  # own staff
    assert "佐々木" not in cso.text  # another organisation's staff
    agency = web(reg.world.users[AGENCY]).get("/registers")
    assert agency.status_code == 200
    for section in ("where-list", "incident-list", "late-list"):
        element(agency.text, f'id="{section}"')
    assert 'id="handler-form"' not in agency.text and 'id="custody-form"' not in agency.text
    assert web(reg.world.users[SUBJECT]).get("/registers").status_code == 403


# --- the handler register ----------------------------------------------------------------------


def test_adding_and_removing_a_handler(web, engine, reg: Setup):
    cso = web(reg.world.users[CSO])
    page = cso.get("/registers").text
    assert reg.cesi["title"] in element(page, 'id="handler-item_id"')
    assert reg.lifted["id"] not in element(page, 'id="handler-item_id"')  # not classified
    redirected(cso.post("/registers/handlers", {"item_id": reg.cesi["id"],
                                                "person_id": reg.cleared}))
    [h] = _handlers(engine)
    assert (h.item_id, h.person_id, h.removed_on) == (reg.cesi["id"], reg.cleared, None)
    row = element(cso.get("/registers").text, f'data-handler="{h.id}"')
    assert "山田 太郎" in text(row)
    with writes_nothing(engine):
        html = refused(cso.post("/registers/handlers", {"item_id": reg.cesi["id"],
                                                        "person_id": reg.bare}))
    assert "holds no active, unexpired clearance" in error_at(html, "handler", "person_id")
    assert 'value="' + reg.bare + '" selected' in element(html, 'id="handler-person_id"')
    with writes_nothing(engine):
        html = refused(cso.post("/registers/handlers", {"person_id": reg.cleared}))
    assert error_at(html, "handler", "item_id") == "This field is required."
    redirected(cso.post(f"/registers/handlers/{h.id}/removal"))
    assert _handlers(engine)[0].removed_on == today()
    with writes_nothing(engine):
        html = refused(cso.post(f"/registers/handlers/{h.id}/removal"))
    assert "not possible in the present state" in text(element(html, 'class="summary"'))
    other = web(reg.other_cso)
    assert other.post(f"/registers/handlers/{h.id}/removal").status_code == 404


def _handlers(engine) -> list[Handler]:
    with session_factory(engine)() as db:
        return list(db.scalars(select(Handler)))


# --- the custody log ---------------------------------------------------------------------------


def custody(item: dict, kind: str, person: str, **fields) -> dict:
    return {"item_id": item["id"], "kind": kind, "person_id": person} | fields


def test_custody_events_and_an_unwitnessed_destruction(client, web, engine, reg: Setup):
    add_handler(client, reg, reg.cesi, reg.cleared)
    cso = web(reg.world.users[CSO])

    def ago(hours: int) -> str:  # as a datetime-local field gives it: Japan time
        return (datetime.now(JST) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")

    # the page shows every kind's fields: only the chosen kind's are sent
    redirected(cso.post("/registers/custody", custody(
        reg.cesi, "receipt", reg.cleared, area_id=reg.cesi_area, witness_person_id=reg.bare,
        copies="3", note="受領", occurred_at=ago(3))))
    redirected(cso.post("/registers/custody", custody(reg.cesi, "copy", reg.cleared,
                                                      copies="2", occurred_at=ago(2))))
    with writes_nothing(engine):
        html = refused(cso.post("/registers/custody",
                                custody(reg.cesi, "destruction", reg.cleared, note="裁断")))
    assert error_at(html, "custody", "witness_person_id") == "This field is required."
    assert "裁断" in element(html, 'id="custody-note"')  # the form keeps what was typed
    assert 'class="error"' not in element(html, 'id="handler-form"')  # only the failed one
    soon = ago(-2)
    with writes_nothing(engine):
        html = refused(cso.post("/registers/custody", custody(
            reg.cesi, "handling", reg.cleared, occurred_at=soon)))
    assert error_at(html, "custody", "occurred_at") == "The date cannot be in the future."
    with writes_nothing(engine):
        html = refused(cso.post("/registers/custody",
                                custody(reg.cesi, "copy", reg.cleared, copies="two")))
    assert error_at(html, "custody", "copies")
    with writes_nothing(engine):
        html = refused(cso.post("/registers/custody", custody(reg.cesi, "receipt", reg.bare)))
    assert "not a current handler" in error_at(html, "custody", "person_id")
    earlier = ago(1)
    redirected(cso.post("/registers/custody", custody(
        reg.cesi, "destruction", reg.cleared, witness_person_id=reg.bare, occurred_at=earlier)))
    assert count(engine, CustodyEvent) == 3
    where = element(cso.get("/registers").text, f'data-item="{reg.cesi["id"]}"')
    assert 'data-status="destroyed"' in where and "destroyed" in text(where)
    log = cso.get(f"/registers/items/{reg.cesi['id']}")
    assert log.status_code == 200
    kinds = re.findall(r'<tr data-kind="(\w+)"', element(log.text, 'id="custody-list"'))
    assert kinds == ["receipt", "copy", "destruction"]  # oldest first
    assert earlier.replace("T", " ") in log.text  # shown in Japan time
    assert "山田 次郎" in text(element(log.text, 'id="custody-list"'))  # the witness
    assert "山田 太郎" in text(element(log.text, 'id="item-handler-list"'))


def test_an_item_page_is_not_found_outside_the_holders(client, web, reg: Setup):
    add_handler(client, reg, reg.sds, reg.sds_cleared)
    other = web(reg.other_cso)
    assert other.get(f"/registers/items/{reg.sds['id']}").status_code == 404  # not held
    assert other.get(f"/registers/items/{new_id()}").status_code == 404
    assert other.get("/registers/items/not-an-id").status_code == 404
    shared = other.get(f"/registers/items/{reg.cesi['id']}")  # held by both: its own log
    assert shared.status_code == 200 and 'data-kind="' not in shared.text
    agency = web(reg.world.users[AGENCY]).get(f"/registers/items/{reg.sds['id']}")
    assert agency.status_code == 200 and f'data-person="{reg.sds_cleared}"' in agency.text
    assert "山田" not in text(element(agency.text, 'id="item-handler-list"'))  # no names
    assert web(reg.world.users[SUBJECT]).get(
        f"/registers/items/{reg.sds['id']}").status_code == 404


# --- incidents ---------------------------------------------------------------------------------


def incident_form(reg: Setup, **changes) -> dict:
    return {"kind": "leak", "severity": "high", "occurred_on": today().isoformat(),
            "description": "保管庫の施錠漏れ", "item_ids": [reg.cesi["id"]],
            "person_ids": [reg.cleared]} | changes


def test_an_incident_is_reported_and_the_agency_concerned_closes_it(web, engine, session,
                                                                    reg: Setup):
    cso = web(reg.world.users[CSO])
    tomorrow = (today() + timedelta(days=1)).isoformat()
    with writes_nothing(engine):
        html = refused(cso.post("/registers/incidents", incident_form(reg,
                                                                      occurred_on=tomorrow)))
    assert error_at(html, "incident", "occurred_on") == "The date cannot be in the future."
    assert f'value="{reg.cleared}" checked' in element(html, 'id="incident-person_ids"')
    with writes_nothing(engine):
        html = refused(cso.post("/registers/incidents", incident_form(reg, description="")))
    assert error_at(html, "incident", "description") == "This field is required."
    redirected(cso.post("/registers/incidents", incident_form(reg)))
    [i] = _incidents(engine)
    assert (i.status, i.person_ids, i.item_ids) == ("open", reg.cleared, reg.cesi["id"])
    card = element(cso.get("/registers").text, f'id="incident-{i.id}"')
    assert "山田 太郎" in text(card) and "USA" in text(card)
    assert "incident-closure" not in card  # the agency closes
    elsewhere = web(other_agency(session))
    assert f'id="incident-{i.id}"' in elsewhere.get("/registers").text
    assert "incident-closure" not in element(elsewhere.get("/registers").text,
                                             f'id="incident-{i.id}"')
    assert elsewhere.post(f"/registers/incidents/{i.id}/closure",
                          {"closing_note": "x"}).status_code == 404
    agency = web(reg.world.users[AGENCY])
    card = element(agency.get("/registers").text, f'id="incident-{i.id}"')
    assert "incident-closure" in card and "山田" not in text(card)  # no staff names
    with writes_nothing(engine):
        html = refused(agency.post(f"/registers/incidents/{i.id}/closure",
                                   {"closing_note": " "}))
    assert error_at(html, f"close-{i.id}", "closing_note") == "This field is required."
    redirected(agency.post(f"/registers/incidents/{i.id}/closure",
                           {"closing_note": "再発防止策を確認した"}))
    assert _incidents(engine)[0].status == "closed"
    assert "再発防止策を確認した" in cso.get("/registers").text
    assert cso.post(f"/registers/incidents/{i.id}/closure",
                    {"closing_note": "x"}).status_code == 404


def _incidents(engine) -> list[Incident]:
    with session_factory(engine)() as db:
        return list(db.scalars(select(Incident)))


# --- training ----------------------------------------------------------------------------------


def test_training_is_recorded_and_the_overdue_listed(web, engine, reg: Setup):
    cso = web(reg.world.users[CSO])
    overdue = element(cso.get("/registers").text, 'id="overdue-training"')
    assert f'data-person="{reg.cleared}"' in overdue  # cleared, never trained
    with writes_nothing(engine):
        html = refused(cso.post("/registers/training", {
            "person_id": reg.cleared, "kind": "refresher",
            "trained_on": (today() + timedelta(days=1)).isoformat()}))
    assert error_at(html, "training", "trained_on") == "The date cannot be in the future."
    with writes_nothing(engine):
        html = refused(cso.post("/registers/training", {
            "person_id": reg.world.outsider.id, "kind": "initial",
            "trained_on": today().isoformat()}))
    assert "own organisation" in error_at(html, "training", "person_id")
    redirected(cso.post("/registers/training", {"person_id": reg.cleared, "kind": "initial",
                                                "trained_on": today().isoformat()}))
    assert count(engine, TrainingRecord, TrainingRecord.person_id == reg.cleared) == 1
    overdue = element(cso.get("/registers").text, 'id="overdue-training"')
    assert f'data-person="{reg.cleared}"' not in overdue


# --- on the facility's record ------------------------------------------------------------------


def test_inspections_their_findings_and_closure(web, engine, reg: Setup):
    fid = reg.facility["id"]
    record = f"/facilities/{fid}"
    cso = web(reg.world.users[CSO])
    page = cso.get(record).text
    form = element(page, 'id="inspection-form"')
    assert 'name="kind" value="self"' in form
    assert 'id="spec-form"' not in page  # the agency's
    held = (today() - timedelta(days=10)).isoformat()
    due = (today() - timedelta(days=1)).isoformat()
    body = {"kind": "self", "held_on": held, "summary": "年次自己点検"}
    with writes_nothing(engine):
        html = refused(cso.post(record + "/inspections", body | {
            "finding-1-severity": "major", "finding-1-text": "施錠の不備"}))
    assert "corrective action" in text(element(html, 'id="e-findings.1.action"'))
    assert "施錠の不備" in element(html, 'id="inspection-form"')
    with writes_nothing(engine):
        html = refused(cso.post(record + "/inspections", body | {"kind": "on_site"}))
    assert "on-site inspection" in text(element(html, 'class="summary"'))
    redirected(cso.post(record + "/inspections", body | {
        "finding-0-severity": "minor", "finding-0-text": "掲示が古い"}), record)
    agency = web(reg.world.users[AGENCY])
    assert 'name="kind" value="on_site"' in element(agency.get(record).text,
                                                    'id="inspection-form"')
    redirected(agency.post(record + "/inspections", body | {
        "kind": "on_site", "finding-2-severity": "major", "finding-2-text": "鍵の管理",
        "finding-2-action": "鍵の交換", "finding-2-due_on": due}), record)
    late = _finding(engine, "鍵の管理")
    assert f'data-finding="{late.id}"' in element(cso.get("/registers").text,
                                                  'id="late-list"')
    # the business closes its own findings only; the agency the on-site ones
    assert f'findings/{late.id}/closure' not in cso.get(record).text
    assert cso.post(f"{record}/findings/{late.id}/closure").status_code == 404
    redirected(agency.post(f"{record}/findings/{late.id}/closure"), record)
    assert _finding(engine, "鍵の管理").closed_on == today()
    with writes_nothing(engine):
        html = refused(agency.post(f"{record}/findings/{late.id}/closure"))
    assert "not possible in the present state" in text(element(html, 'class="summary"'))
    mine = _finding(engine, "掲示が古い")
    redirected(cso.post(f"{record}/findings/{mine.id}/closure"), record)
    assert web(reg.other_cso).get(record).status_code == 404


def _finding(engine, text_: str) -> InspectionFinding:
    with session_factory(engine)() as db:
        return db.scalar(select(InspectionFinding).where(InspectionFinding.text == text_))


def test_the_agency_adds_to_the_specification(web, engine, reg: Setup):
    record = f"/facilities/{reg.facility['id']}"
    agency = web(reg.world.users[AGENCY])
    form = element(agency.get(record).text, 'id="spec-form"')
    assert reg.cesi["id"] in form and reg.lifted["id"] not in form
    line = {"item_id": reg.cesi["id"], "departments": "研究開発部、品質保証部",
            "handling": "保全室内のみ", "return_rule": "契約終了時に返却"}
    with writes_nothing(engine):
        html = refused(agency.post(record + "/specification", line | {"departments": ""}))
    assert text(element(html, 'id="e-departments"'))
    with writes_nothing(engine):
        html = refused(agency.post(record + "/specification", line | {"item_id": ""}))
    assert text(element(html, 'id="e-item_id"')) == "This field is required."
    redirected(agency.post(record + "/specification", line), record)
    with session_factory(engine)() as db:
        [e] = db.scalars(select(SpecificationEntry)).all()
    assert e.item_id == reg.cesi["id"] and "品質保証部" in e.departments
    row = element(web(reg.world.users[CSO]).get(record).text, f'data-item="{reg.cesi["id"]}"')
    assert "研究開発部、品質保証部" in text(row) and reg.cesi["title"] in text(row)
    assert web(reg.world.users[CSO]).post(record + "/specification", line).status_code == 404


def test_research_participants_of_a_project(web, client, engine, session, reg: Setup):
    uni = make_org(session, kind="university", name_ja="テスト大学", name_en="Test Univ")
    session.commit()
    uni_cso = extra_user(session, [CSO], uni.id)
    japanese = make_person(session, uni.id, given_name_kanji="一郎").id
    dual = make_person(session, uni.id, given_name_kanji="二郎",
                       nationalities=["JPN", "USA"]).id
    session.commit()
    f = post(client, reg.world.users[AGENCY], "/facilities",
             {"organisation_id": uni.id, "level": "CESI", "project": "量子暗号の研究"}, 201)
    record = f"/facilities/{f['id']}"
    officer = web(uni_cso)
    assert "山田 二郎" in element(officer.get(record).text, 'id="participant-form"')
    redirected(officer.post(record + "/participants", {"person_id": japanese}), record)
    with writes_nothing(engine):
        html = refused(officer.post(record + "/participants", {"person_id": dual}))
    assert "screened before joining" in text(element(html, 'id="e-screened_on"'))
    screened = (today() - timedelta(days=3)).isoformat()
    redirected(officer.post(record + "/participants", {"person_id": dual,
                                                       "screened_on": screened}), record)
    with session_factory(engine)() as db:
        first = db.scalar(select(ResearchParticipant).where(
            ResearchParticipant.person_id == japanese))
    redirected(officer.post(f"{record}/participants/{first.id}/removal"), record)
    assert count(engine, ResearchParticipant, ResearchParticipant.left_on.is_not(None)) == 1
    with writes_nothing(engine):
        html = refused(officer.post(f"{record}/participants/{first.id}/removal"))
    assert "not possible in the present state" in text(element(html, 'class="summary"'))
    agency = web(reg.world.users[AGENCY]).get(record).text
    rows = element(agency, 'id="participant-list"')
    assert rows.count("data-participant=") == 2 and "山田" not in text(rows)
    assert 'id="participant-form"' not in agency
    assert web(reg.world.users[CSO]).post(record + "/participants",
                                        {"person_id": reg.cleared}).status_code == 404

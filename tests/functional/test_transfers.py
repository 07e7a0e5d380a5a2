"""Government-mediated transfers of classified items between companies (DESIGN R8),
through the API. Without the designating agency's approval the receiver holds nothing:
its handler register refuses the item, the custody log refuses a transfer to it and the
access decision refuses its cleared staff (not_registered_handler). With approval the
sender's log shows the dispatch, the receiver's the receipt, and the receiver's cleared
handler is permitted. Every refusal names its field (or hides the transfer) and writes
nothing; every step is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.facilities.models import CustodyEvent
from hozen.notifications.models import Notification
from tests.authenticator import Coded, code_use_left_out
from tests.factories import Login, assert_unchanged, make_org, make_person
from tests.functional.test_designations import extra_user, in_force, make_item, other_agency
from tests.functional.test_facilities import REASONS, all_met, application, deputy  # noqa: F401
from tests.functional.test_facility_registers import (
    Setup,
    call,
    clear,
    get,
    post,
    refused,
    state,
    today,
    world,  # noqa: F401
)
from tests.functional.test_facility_registers import s as registers  # noqa: F401

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def check(client, login: Login, person_id: str, item_id: str) -> tuple[bool, set[str]]:
    r = client.post("/api/v1/access/check", headers=login.headers,
                    json={"person_id": person_id, "item_id": item_id, "action": "read"})
    assert r.status_code == 200, r.text
    return r.json()["permit"], {x["code"] for x in r.json()["reasons"]}


@dataclass
class Parties:
    s: Setup
    receiver_cso: Login  # the other company's security officer
    receiver_staff: str  # its staff with an SDS clearance, trained
    receiver_area: str  # its SDS area
    sender_handler: str  # the company's SDS-cleared handler of the SDS item


@pytest.fixture
def p(client, session, registers: Setup) -> Parties:  # noqa: F811
    """The company (certified SDS) holds the SDS item with a handler; the other company
    is certified SDS too, with a cleared and trained person, but does not hold it."""
    w, u, other = registers.world, registers.world.users, registers.other_cso
    other_deputy = extra_user(session, [CSO], w.other_company.id)
    f = post(client, u[AGENCY], "/facilities",
             {"organisation_id": w.other_company.id, "level": "SDS"}, 201)
    post(client, other, f"/facilities/{f['id']}/application", application(
        w, security_officer_id=other.user_id, deputy_officer_id=other_deputy.user_id,
        areas=[{"kind": "room", "name": "受領保全室", "level": "SDS"}]))
    post(client, u[AGENCY], f"/facilities/{f['id']}/review")
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    staff = make_person(session, w.other_company.id, given_name_kanji="受領").id
    session.commit()
    clear(session, staff, "SDS", w)
    post(client, other, "/training-records",
         {"person_id": staff, "kind": "initial", "trained_on": today().isoformat()}, 201)
    post(client, u[CSO], f"/items/{registers.sds['id']}/handlers",
         {"person_id": registers.sds_cleared}, 201)
    return Parties(registers, other, staff, f["areas"][0]["id"], registers.sds_cleared)


def ask(client, p: Parties, item: dict | None = None, status: int = 201, **changes) -> dict:
    body = {"item_id": (item or p.s.sds)["id"], "to_organisation_id":
            p.s.world.other_company.id, "reason": "共同開発の試作のため"} | changes
    return post(client, p.s.world.users[CSO], "/transfers", body, status)


def tags(session, transfer_id: str) -> list[str]:
    rows = session.scalars(select(AuditEvent.tag).where(
        AuditEvent.subject_id == transfer_id).order_by(AuditEvent.seq)).all()
    session.rollback()
    return list(rows)


def test_an_approved_transfer_is_dispatched_and_received_and_permits_the_receiver(
        client, session, p):
    w, u, other = p.s.world, p.s.world.users, p.receiver_cso
    item = p.s.sds["id"]
    # Without a request, and while the request awaits the agency, the receiver holds nothing.
    for _ in range(2):
        call(client, other, "POST", f"/items/{item}/handlers", {"person_id": p.receiver_staff},
             404)
        refused(client, u[CSO], "/custody-events",
                {"item_id": item, "kind": "transfer", "person_id": p.sender_handler,
                 "to_organisation_id": w.other_company.id},
                ("to_organisation_id", "not_a_holder"))
        permit, reasons = check(client, other, p.receiver_staff, item)
        assert not permit and "not_registered_handler" in reasons
        if _ == 0:
            t = ask(client, p)
            assert (t["status"], t["foreign"], t["decided_at"]) == ("submitted", False, None)
    custody = {"person_id": p.sender_handler, "note": "手渡し"}
    call(client, u[CSO], "POST", f"/transfers/{t['id']}/dispatch", custody, 409)
    # The designating agency approves: the receiver now holds the item.
    t = post(client, Coded(u[AGENCY]), f"/transfers/{t['id']}/decision",
             {"approve": True, "reasons": "契約に基づく"})
    assert t["status"] == "approved" and t["decided_at"]
    post(client, other, f"/items/{item}/handlers", {"person_id": p.receiver_staff}, 201)
    receipt = {"person_id": p.receiver_staff, "area_id": p.receiver_area}
    call(client, other, "POST", f"/transfers/{t['id']}/receipt", receipt, 409)  # not sent
    t = post(client, u[CSO], f"/transfers/{t['id']}/dispatch", custody)
    assert t["status"] == "dispatched" and t["dispatch_event_id"]
    call(client, u[CSO], "POST", f"/transfers/{t['id']}/dispatch", custody, 409)  # once
    call(client, u[CSO], "POST", f"/transfers/{t['id']}/receipt", receipt, 404)  # not its side
    t = post(client, other, f"/transfers/{t['id']}/receipt", receipt)
    assert t["status"] == "received" and t["receipt_event_id"] and t["received_at"]
    # Both custody logs: the sender's dispatch to the receiver, the receiver's receipt.
    sent = get(client, u[CSO], f"/items/{item}/custody")["items"]
    assert [(e["kind"], e["to_organisation_id"], e["id"]) for e in sent] == [
        ("transfer", w.other_company.id, t["dispatch_event_id"])]
    got = get(client, other, f"/items/{item}/custody")["items"]
    assert [(e["kind"], e["person_id"], e["area_id"], e["id"]) for e in got] == [
        ("receipt", p.receiver_staff, p.receiver_area, t["receipt_event_id"])]
    permit, reasons = check(client, other, p.receiver_staff, item)
    assert permit, reasons
    assert tags(session, t["id"]) == [f"reciprocity:transfer:{v}" for v in (
        "request", "approve", "dispatch", "receive")]
    rows = session.scalars(select(CustodyEvent.organisation_id).where(
        CustodyEvent.item_id == item).order_by(CustodyEvent.recorded_at)).all()
    session.rollback()
    assert rows == [w.company.id, w.other_company.id]
    # each step told the side that acts next, naming the item by id only
    told = session.execute(select(Notification.user_id, Notification.kind, Notification.params)
                           .where(Notification.kind.like("transfer_%"))).all()
    session.rollback()
    kinds = {(user, kind) for user, kind, _params in told}
    assert (w.users[AGENCY].user_id, "transfer_requested") in kinds
    assert (w.users[Role.COMPANY_SECURITY_OFFICER].user_id, "transfer_approved") in kinds
    assert any(kind == "transfer_dispatched" and user != w.users[AGENCY].user_id
               for user, kind in kinds)
    assert all(json.loads(params) == {"item": item} for _u, _k, params in told)


def test_a_refused_transfer_leaves_the_receiver_without_the_item(client, session, p):
    u, other = p.s.world.users, p.receiver_cso
    t = ask(client, p)
    before = state(session)
    refused(client, Coded(u[AGENCY]), f"/transfers/{t['id']}/decision", {"approve": False},
            ("reasons", "required"))
    assert_unchanged(code_use_left_out(before), code_use_left_out(state(session)))
    t = post(client, Coded(u[AGENCY]), f"/transfers/{t['id']}/decision",
             {"approve": False, "reasons": "必要性が認められない"})
    assert (t["status"], t["decision_reasons"]) == ("refused", "必要性が認められない")
    call(client, Coded(u[AGENCY]), "POST", f"/transfers/{t['id']}/decision", {"approve": True},
         409)
    call(client, u[CSO], "POST", f"/transfers/{t['id']}/dispatch",
         {"person_id": p.sender_handler}, 409)
    call(client, other, "POST", f"/items/{p.s.sds['id']}/handlers",
         {"person_id": p.receiver_staff}, 404)
    permit, reasons = check(client, other, p.receiver_staff, p.s.sds["id"])
    assert not permit and "not_registered_handler" in reasons
    assert tags(session, t["id"]) == ["reciprocity:transfer:request",
                                      "reciprocity:transfer:refuse"]


def test_a_request_names_each_bad_field_and_writes_nothing(client, session, p):
    w, u = p.s.world, p.s.world.users
    cso = u[CSO]
    unmarked = make_item(client, w, title="公開資料")
    session.rollback()
    before = state(session)
    good = {"item_id": p.s.sds["id"], "to_organisation_id": w.other_company.id,
            "reason": "理由"}
    for changes, expected in [
            ({"reason": ""}, ("reason", "invalid")),
            ({"reason": None}, ("reason", "invalid")),
            ({"item_id": "no-such-item"}, ("item_id", "item_not_held")),
            ({"item_id": unmarked["id"]}, ("item_id", "item_not_held")),
            ({"to_organisation_id": "no-such-org"},
             ("to_organisation_id", "organisation_unknown")),
            ({"to_organisation_id": w.company.id}, ("to_organisation_id", "same_organisation")),
            ({"to_organisation_id": w.gov.id}, ("to_organisation_id", "not_a_business")),
            ({"extra": 1}, ("extra", "invalid"))]:
        r = client.post("/api/v1/transfers", headers=cso.headers, json=good | changes)
        assert r.status_code == 422, (changes, r.text)
        assert expected in {(e["field"], e["code"]) for e in r.json()["errors"]}, r.json()
    # the other company already holds the CESI item (a holder of its designation)
    refused(client, cso, "/transfers", good | {"item_id": p.s.cesi["id"]},
            ("to_organisation_id", "already_holds"))
    assert_unchanged(before, state(session))
    t = ask(client, p)
    before = state(session)
    for path, body, field in [("decision", {"approve": "maybe"}, "approve"),
                              ("dispatch", {}, "person_id"),
                              ("dispatch", {"person_id": p.s.bare}, None)]:
        login = Coded(u[AGENCY]) if path == "decision" else cso
        r = client.post(f"/api/v1/transfers/{t['id']}/{path}", headers=login.headers,
                        json=body)
        if field is None:  # the transfer is not approved yet
            assert r.status_code == 409, r.text
        else:
            assert r.status_code == 422 and field in {e["field"] for e in r.json()["errors"]}
    assert_unchanged(code_use_left_out(before), code_use_left_out(state(session)))


def test_dispatch_is_by_a_current_handler(client, session, p):
    u = p.s.world.users
    t = ask(client, p)
    post(client, Coded(u[AGENCY]), f"/transfers/{t['id']}/decision", {"approve": True})
    before = state(session)
    refused(client, u[CSO], f"/transfers/{t['id']}/dispatch", {"person_id": p.s.bare},
            ("person_id", "not_a_handler"))
    assert_unchanged(before, state(session))


def test_abroad_the_item_must_be_releasable_and_the_facility_assured(client, session, p):
    w, u = p.s.world, p.s.world.users
    abroad = make_org(session, kind="foreign_company", country_code="GBR",
                      name_en="Albion Aero Ltd", name_ja="アルビオン航空")
    session.commit()
    refused(client, u[CSO], "/transfers",
            {"item_id": p.s.sds["id"], "to_organisation_id": abroad.id, "reason": "輸出"},
            ("to_organisation_id", "not_releasable_to_receiver"),
            ("to_organisation_id", "no_facility_assurance"))
    shared_d = in_force(client, w, regime="SDS", category="defence")
    shared = make_item(client, w, designation_id=shared_d["id"], title="共同設計書",
                       releasable_to=["GBR"])
    r = client.post("/api/v1/transfers", headers=u[CSO].headers, json={
        "item_id": shared["id"], "to_organisation_id": abroad.id, "reason": "輸出"})
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("to_organisation_id", "no_facility_assurance")}


def test_each_side_sees_its_own_transfers_and_others_are_denied(client, session, p):
    w, u, other = p.s.world, p.s.world.users, p.receiver_cso
    t = ask(client, p)
    outsider_org = make_org(session)
    session.commit()
    outsider = extra_user(session, [CSO], outsider_org.id)
    elsewhere = other_agency(session)
    assert [x["id"] for x in get(client, u[CSO], "/transfers")["items"]] == [t["id"]]
    assert get(client, other, f"/transfers/{t['id']}")["status"] == "submitted"  # receiver
    assert [x["id"] for x in get(client, u[Role.OVERSIGHT_INSPECTOR], "/transfers")["items"]
            ] == [t["id"]]
    assert get(client, outsider, "/transfers") == {"items": [], "next_cursor": None}
    before = state(session)
    for login in (outsider, u[Role.SUBJECT], u[Role.FOREIGN_LIAISON]):
        call(client, login, "GET", f"/transfers/{t['id']}", None, 404)
    for login in (other, outsider, u[CSO], u[Role.APPROVING_OFFICIAL]):  # not the agency
        call(client, login, "POST", f"/transfers/{t['id']}/decision", {"approve": True}, 404)
    # an official of another agency is not the designating one
    call(client, Coded(elsewhere), "POST", f"/transfers/{t['id']}/decision", {"approve": True},
         404)
    for login in (u[AGENCY], u[Role.SUBJECT]):
        call(client, login, "POST", "/transfers", {
            "item_id": p.s.sds["id"], "to_organisation_id": w.other_company.id,
            "reason": "x"}, 403)
    for missing in ("no-such-thing", "0" * 36):
        call(client, u[Role.WINDOW_OFFICER], "GET", f"/transfers/{missing}", None, 404)
    assert_unchanged(code_use_left_out(before), code_use_left_out(state(session)))
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.tag == "reciprocity:transfer:request")).one()
    session.rollback()
    assert json.loads(event.details) == {"item": p.s.sds["id"], "from": w.company.id,
                                         "to": w.other_company.id, "level": "SDS"}

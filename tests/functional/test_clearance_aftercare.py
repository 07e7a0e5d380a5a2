"""Continuous evaluation, complaints, own data and corrections, burden, renewal."""

import pytest

from hozen.accounts.permissions import Role
from hozen.clearances.rules import AREAS
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, full_questionnaire, run_to_adjudication
from tests.factories import make_world


@pytest.fixture
def granted(client, session):
    world = make_world(session)
    case_id = run_to_adjudication(client, world)
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(world.users[Role.ADJUDICATOR]), json=favourable_decisions())
    assert r.json()["state"] == "granted"
    return world, case_id


def verification(client, world):
    return client.get(f"/api/v1/people/{world.staff.id}/clearance-verification",
                      params={"purpose": "programme P-1"},
                      headers=world.users[Role.AGENCY_OFFICIAL].headers).json()


def test_adverse_event_reopens_and_a_denial_revokes(client, granted):
    world, case_id = granted
    u = world.users
    r = client.post("/api/v1/reportable-events", headers=u[Role.SUBJECT].headers,
                    json={"person_id": world.staff.id, "kind": "arrest",
                          "occurred_on": "2026-01-05", "details": "EVENT-DETAIL-991"})
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    # the subject may report only about themself
    other = client.post("/api/v1/reportable-events", headers=u[Role.SUBJECT].headers,
                        json={"person_id": world.outsider.id, "kind": "arrest",
                              "occurred_on": "2026-01-05", "details": "x"})
    assert other.status_code == 422 and other.json()["field"] == "person_id"
    r = client.post(f"/api/v1/reportable-events/{event_id}/assessment",
                    headers=u[Role.WINDOW_OFFICER].headers, json={"adverse": True})
    assert r.json() == {"reopened_cases": [case_id]}
    again = client.post(f"/api/v1/reportable-events/{event_id}/assessment",
                        headers=u[Role.WINDOW_OFFICER].headers, json={"adverse": False})
    assert again.status_code == 409
    assert verification(client, world)["status"] == "active"  # until the new decision
    deny = favourable_decisions()
    deny["decisions"][1] = {"area": AREAS[1], "favourable": False, "reasons": "逮捕歴"}
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(u[Role.ADJUDICATOR]), json=deny)
    assert r.json()["state"] == "denied"
    assert verification(client, world)["status"] == "revoked"
    cso = client.get("/api/v1/clearance-cases", headers=u[Role.COMPANY_SECURITY_OFFICER].headers)
    assert "EVENT-DETAIL-991" not in cso.text and "逮捕歴" not in cso.text


def test_adverse_event_blocks_reuse(client, granted):
    world, _ = granted
    u = world.users
    r = client.post("/api/v1/reportable-events", headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": world.staff.id, "kind": "financial_trouble",
                          "occurred_on": "2026-02-01", "details": "破産申立て"})
    client.post(f"/api/v1/reportable-events/{r.json()['id']}/assessment",
                headers=u[Role.WINDOW_OFFICER].headers, json={"adverse": True})
    # the reopened case goes back to adjudication; a new SDS case cannot reuse the old
    # investigation because an adverse report arrived after it
    case_id = run_to_adjudication(client, world, regime="SDS")
    file = client.get(f"/api/v1/clearance-cases/{case_id}", headers=u[Role.WINDOW_OFFICER].headers)
    assert file.json()["reused_investigation"] is False


def test_complaint_is_answered_and_only_the_subject_and_window_see_it(client, granted):
    world, case_id = granted
    u = world.users
    r = client.post(f"/api/v1/clearance-cases/{case_id}/complaints",
                    headers=u[Role.SUBJECT].headers,
                    json={"kind": "employer_treatment",
                          "text": "COMPLAINT-TEXT-55 配置転換\n詳細は別紙"})
    assert r.status_code == 201
    complaint_id = r.json()["id"]
    assert client.post(f"/api/v1/clearance-cases/{case_id}/complaints",
                       headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                       json={"kind": "assessment", "text": "x"}).status_code == 404
    listed = client.get("/api/v1/complaints",
                        headers=u[Role.WINDOW_OFFICER].headers).json()["items"]
    assert [c["text"] for c in listed] == ["COMPLAINT-TEXT-55 配置転換\n詳細は別紙"]
    r = client.post(f"/api/v1/complaints/{complaint_id}/answer",
                    headers=u[Role.WINDOW_OFFICER].headers,
                    json={"handling": "会社に照会", "answer": "是正を指導しました"})
    assert r.json()["status"] == "answered"
    mine = client.get("/api/v1/me/complaints", headers=u[Role.SUBJECT].headers).json()["items"]
    assert mine[0]["answer"] == "是正を指導しました"
    for role in (Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL):
        for path in ("/api/v1/complaints", "/api/v1/me/complaints"):
            r = client.get(path, headers=u[role].headers)
            assert r.status_code == 403 and "COMPLAINT-TEXT" not in r.text


def test_own_data_and_correction(client, granted):
    world, case_id = granted
    u = world.users
    data = client.get("/api/v1/me/personal-data", headers=u[Role.SUBJECT].headers).json()
    assert data["person"]["id"] == world.staff.id
    assert data["questionnaires"][case_id]["residences"]
    r = client.post("/api/v1/me/corrections", headers=u[Role.SUBJECT].headers,
                    json={"field": "title", "value": "主任", "reason": "昇任のため"})
    assert r.status_code == 201
    request_id = r.json()["id"]
    r = client.post(f"/api/v1/corrections/{request_id}/decision",
                    headers=u[Role.WINDOW_OFFICER].headers,
                    json={"accepted": True, "note": "人事記録で確認"})
    assert r.json()["status"] == "accepted"
    assert client.post(f"/api/v1/corrections/{request_id}/decision",
                       headers=u[Role.WINDOW_OFFICER].headers,
                       json={"accepted": False, "note": "x"}).status_code == 409


def test_burden_record_each_party_its_own_share(client, granted):
    world, case_id = granted
    u = world.users
    ok = client.post(f"/api/v1/clearance-cases/{case_id}/burden",
                     headers=u[Role.SUBJECT].headers,
                     json={"step": "questionnaire", "party": "subject", "minutes": 95})
    assert ok.status_code == 201
    wrong = client.post(f"/api/v1/clearance-cases/{case_id}/burden",
                        headers=u[Role.SUBJECT].headers,
                        json={"step": "questionnaire", "party": "window", "minutes": 5})
    assert wrong.status_code == 422 and wrong.json()["field"] == "party"
    negative = client.post(f"/api/v1/clearance-cases/{case_id}/burden",
                           headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                           json={"step": "listing", "party": "security_officer",
                                 "cost_yen": -1})
    assert negative.status_code == 422 and negative.json()["field"] == "cost_yen"


def test_renewal_prefills_the_questionnaire(client, granted):
    world, case_id = granted
    u = world.users
    r = client.post(f"/api/v1/clearance-cases/{case_id}/renewal",
                    headers=u[Role.COMPANY_SECURITY_OFFICER].headers)
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    assert client.post(f"/api/v1/clearance-cases/{case_id}/renewal",
                       headers=u[Role.COMPANY_SECURITY_OFFICER].headers).status_code == 409
    subject = u[Role.SUBJECT].headers
    client.post(f"/api/v1/clearance-cases/{new_id}/consent", headers=subject,
                json={"family_consent": True})
    # nothing retyped: the pre-filled answers are complete and can be submitted as they are
    r = client.post(f"/api/v1/clearance-cases/{new_id}/submission", headers=subject)
    assert r.status_code == 200, r.text
    file = client.get(f"/api/v1/clearance-cases/{new_id}", headers=u[Role.WINDOW_OFFICER].headers)
    assert file.json()["questionnaire"]["residences"] == full_questionnaire()["residences"]

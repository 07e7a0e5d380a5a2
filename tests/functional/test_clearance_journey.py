"""The whole assessment journey through the API, on the real database."""

import pytest

from hozen.accounts.permissions import Role
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import make_world

FINDING = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
           "source": "信用情報機関", "summary": "SENTINEL-FINDING-7731 返済遅延1件"}


@pytest.fixture
def world(session):
    return make_world(session)


def test_journey_to_granted_and_outcome_only_for_the_employer(client, world):
    u = world.users
    case_id = run_to_adjudication(client, world, findings=[FINDING])
    base = f"/api/v1/clearance-cases/{case_id}"
    r = client.post(base + "/adjudication", headers=with_code(u[Role.ADJUDICATOR]),
                    json=favourable_decisions())
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "granted"

    cso = client.get("/api/v1/clearance-cases", headers=u[Role.COMPANY_SECURITY_OFFICER].headers)
    assert cso.status_code == 200
    [view] = cso.json()["items"]
    assert set(view) == {"id", "person_id", "regime", "status", "valid_until"}
    assert view["status"] == "granted" and view["valid_until"]
    assert "SENTINEL" not in cso.text

    ver = client.get(f"/api/v1/people/{world.staff.id}/clearance-verification",
                     params={"purpose": "visit V-1"}, headers=u[Role.AGENCY_OFFICIAL].headers)
    assert ver.status_code == 200
    assert ver.json() == {"status": "active", "level": "CESI", "regime": "CESI",
                          "valid_until": view["valid_until"]}

    file = client.get(base, headers=u[Role.ADJUDICATOR].headers)
    assert file.status_code == 200 and "SENTINEL-FINDING-7731" in file.text
    assert client.get(base, headers=u[Role.COMPANY_SECURITY_OFFICER].headers).status_code == 404


def test_investigator_cannot_adjudicate(client, world, session):
    from hozen.accounts.models import User, UserRole
    from hozen.accounts.services import actor_for

    u = world.users
    # give the investigator the adjudicator role too: separation of duties still holds
    user = session.get(User, u[Role.INVESTIGATOR].user_id)
    user.role_rows.append(UserRole(role=Role.ADJUDICATOR.value))
    session.commit()
    assert Role.ADJUDICATOR in actor_for(user).roles
    case_id = run_to_adjudication(client, world, findings=[FINDING])
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(u[Role.INVESTIGATOR]), json=favourable_decisions())
    assert r.status_code == 409 and r.json()["field"] == "adjudicator"


def test_refusal_and_withdrawal_look_the_same_to_the_employer(client, world, session):
    from tests.factories import make_person

    u = world.users
    other = make_person(session, employer_id=world.company.id, family_name_kanji="木村")
    session.commit()
    cso = u[Role.COMPANY_SECURITY_OFFICER].headers
    ids = []
    for person in (world.staff.id, other.id):
        r = client.post("/api/v1/clearance-cases", headers=cso,
                        json={"person_id": person, "regime": "SDS", "sponsor_id": world.gov.id})
        ids.append(r.json()["id"])
    subject = u[Role.SUBJECT].headers
    assert client.post(f"/api/v1/clearance-cases/{ids[0]}/refusal",
                       headers=subject).status_code == 200
    # the subject cannot act on someone else's case
    assert client.post(f"/api/v1/clearance-cases/{ids[1]}/refusal",
                       headers=subject).status_code == 404
    views = {v["id"]: v for v in client.get("/api/v1/clearance-cases", headers=cso).json()["items"]}
    assert views[ids[0]]["status"] == "not_proceeding"
    assert views[ids[1]]["status"] == "in_progress"


def test_reuse_of_an_investigation(client, world):
    u = world.users
    first = run_to_adjudication(client, world, regime="SDS")
    assert client.post(f"/api/v1/clearance-cases/{first}/adjudication",
                       headers=with_code(u[Role.ADJUDICATOR]),
                       json=favourable_decisions()).status_code == 200
    # a CESI case for the same person reuses the SDS investigation: no new investigation
    r = client.post("/api/v1/clearance-cases", headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": world.staff.id, "regime": "CESI",
                          "sponsor_id": world.gov.id})
    second = r.json()["id"]
    base = f"/api/v1/clearance-cases/{second}"
    subject = u[Role.SUBJECT].headers
    from tests.clearance_helpers import full_questionnaire

    client.post(base + "/consent", headers=subject, json={"family_consent": True})
    client.patch(base + "/questionnaire", headers=subject, json=full_questionnaire())
    client.post(base + "/submission", headers=subject)
    r = client.post(base + "/intake", headers=u[Role.WINDOW_OFFICER].headers, json={})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "adjudication" and r.json()["reused_investigation"] is True


def test_questionnaire_gap_and_future_dates_name_the_field(client, world):
    u = world.users
    r = client.post("/api/v1/clearance-cases", headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": world.staff.id, "regime": "CESI",
                          "sponsor_id": world.gov.id})
    base = f"/api/v1/clearance-cases/{r.json()['id']}"
    subject = u[Role.SUBJECT].headers
    client.post(base + "/consent", headers=subject, json={"family_consent": False})
    gap = {"residences": [{"start": "2010-01-01", "end": "2015-01-01", "country_code": "JPN",
                           "address": "x"}]}
    # a draft is saved as the subject goes: the gap is refused only at submission
    r = client.patch(base + "/questionnaire", headers=subject, json=gap)
    assert r.status_code == 200, r.text
    r = client.post(base + "/submission", headers=subject)
    assert r.status_code == 422 and r.json()["field"] == "residences"
    assert ("residences", "unexplained_gap") in {
        (e["field"], e["code"]) for e in r.json()["errors"]}
    overlap = {"residences": [
        {"start": "2010-01-01", "end": "2015-01-01", "country_code": "JPN", "address": "x"},
        {"start": "2014-01-01", "country_code": "JPN", "address": "y"}]}
    r = client.patch(base + "/questionnaire", headers=subject, json=overlap)
    assert r.status_code == 422 and r.json()["field"] == "residences"
    future = {"travel": [{"country_code": "USA", "start": "2099-01-01", "end": "2099-01-05",
                          "purpose": "x"}]}
    r = client.patch(base + "/questionnaire", headers=subject, json=future)
    assert r.status_code == 422 and r.json()["field"] == "travel.0"
    family = {"family": [{"relation": "spouse", "family_name": "a", "given_name": "b",
                          "birth_date": "1980-01-01", "nationalities": ["JPN"]}]}
    r = client.patch(base + "/questionnaire", headers=subject, json=family)
    assert r.status_code == 422 and r.json()["field"] == "family"
    r = client.post(base + "/submission", headers=subject)
    assert r.status_code == 422

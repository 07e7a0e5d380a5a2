"""A full, valid questionnaire and a helper that drives a case through the API."""

from __future__ import annotations

from datetime import date, timedelta

from hozen.accounts.permissions import Role
from hozen.clearances.rules import AREAS, add_years


def full_questionnaire(today: date | None = None, *, family: bool = True) -> dict:
    today = today or date.today()
    start = add_years(today, -12)
    mid = add_years(today, -4)
    q = {
        "residences": [
            {"start": start.isoformat(), "end": (mid - timedelta(days=1)).isoformat(),
             "country_code": "JPN", "address": "東京都千代田区永田町1-6-1"},
            {"start": mid.isoformat(), "end": None, "country_code": "JPN",
             "address": "神奈川県横浜市中区本町6-50-10"},
        ],
        "employment": [
            {"start": start.isoformat(), "end": None, "kind": "employed",
             "employer": "富士見重工業株式会社", "title": "技師"},
        ],
        "travel": [{"country_code": "USA", "start": "2023-08-01", "end": "2023-08-10",
                    "purpose": "観光"}],
        "foreign_accounts": [],
        "areas": {area: {"yes": False, "details": ""} for area in AREAS},
    }
    if family:
        q["family"] = [{"relation": "spouse", "family_name": "山田", "given_name": "花子",
                        "birth_date": "1982-03-04", "nationalities": ["JPN"],
                        "former_nationalities": [], "address": "同上"}]
    return q


def favourable_decisions(reason: str = "問題なし") -> dict:
    return {"decisions": [{"area": a, "favourable": True, "reasons": reason} for a in AREAS]}


def run_to_adjudication(client, world, *, regime: str = "CESI", findings=()) -> str:
    """List the world's staff person, consent, answer, submit, take in, investigate."""
    u = world.users
    r = client.post("/api/v1/clearance-cases", headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": world.staff.id, "regime": regime,
                          "sponsor_id": world.gov.id})
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    subject = u[Role.SUBJECT].headers
    base = f"/api/v1/clearance-cases/{case_id}"
    assert client.post(base + "/consent", headers=subject,
                       json={"family_consent": True}).status_code == 200
    assert client.patch(base + "/questionnaire", headers=subject,
                        json=full_questionnaire()).status_code == 200
    assert client.post(base + "/submission", headers=subject).status_code == 200
    r = client.post(base + "/intake", headers=u[Role.WINDOW_OFFICER].headers,
                    json={"investigator_id": u[Role.INVESTIGATOR].user_id})
    assert r.status_code == 200, r.text
    if r.json()["state"] == "investigation":
        for finding in findings:
            assert client.post(base + "/findings", headers=u[Role.INVESTIGATOR].headers,
                               json=finding).status_code == 201
        r = client.post(base + "/investigation-completion",
                        headers=u[Role.INVESTIGATOR].headers)
        assert r.status_code == 200, r.text
    return case_id

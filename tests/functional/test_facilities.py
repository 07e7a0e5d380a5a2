"""Facility clearance through the API: propose → apply → review against the checklist →
certify; FOCI from the ownership graph blocks certification until mitigated; changes
are reported first and reopen review; the state machine refuses out-of-order steps."""

from __future__ import annotations

import pytest

from hozen.accounts.permissions import Role
from hozen.facilities.checklist import load_checklist
from tests.factories import (
    World,
    assert_unchanged,
    detached_world,
    make_org,
    make_ownership,
    snapshot,
)

API = "/api/v1"
AGENCY, APPROVER, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
REASONS = {"reasons": "審査の結果による。"}


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def post(client, login, path, body=None, status=200):
    r = client.post(f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


def application(world: World, **changes) -> dict:
    cso = world.users[CSO].user_id
    return {"internal_rules": "保全規程（第1版）", "governance": "取締役会が保全責任者を監督する",
            "training_plan": "着任時及び毎年の教育", "security_officer_id": cso,
            "deputy_officer_id": world.users[CSO + "_deputy"].user_id
            if (CSO + "_deputy") in world.users else cso,
            "areas": [{"kind": "room", "name": "第一保全室", "level": "CESI"}]} | changes


def all_met() -> dict:
    return {"results": {c.id: {"met": True, "evidence": f"{c.id} の証跡"}
                        for c in load_checklist().controls}}


@pytest.fixture
def deputy(session, world):
    from tests.functional.test_designations import extra_user
    return extra_user(session, [CSO], world.company.id)


def under_review(client, world, deputy, level="CESI") -> dict:
    u = world.users
    f = post(client, u[AGENCY], "/facilities",
             {"organisation_id": world.company.id, "level": level}, 201)
    assert f["state"] == "proposed"
    body = application(world, deputy_officer_id=deputy.user_id,
                       areas=[{"kind": "room", "name": "第一保全室", "level": level}])
    f = post(client, u[CSO], f"/facilities/{f['id']}/application", body)
    assert f["state"] == "applied" and len(f["areas"]) == 1
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/review")
    assert f["state"] == "under_review"
    return f


def test_propose_apply_review_certify(client, world, deputy):
    u = world.users
    f = under_review(client, world, deputy)
    blockers = client.get(f"{API}/facilities/{f['id']}/blockers", headers=u[AGENCY].headers)
    assert any(b["code"] == "control_not_met" for b in blockers.json())
    r = client.post(f"{API}/facilities/{f['id']}/certify", headers=u[AGENCY].headers,
                    json=REASONS)
    assert r.status_code == 422, r.text
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    assert f["state"] == "certified" and f["valid_until"] > f["certified_on"]
    walk = client.get(f"{API}/facilities/{f['id']}/crosswalk", headers=u[CSO].headers).json()
    assert walk["regimes"]["NISPOM"]["complete"] and walk["shared"]


def test_a_foreign_parents_indirect_share_flags_and_blocks_until_mitigated(
        client, world, deputy, session):
    u = world.users
    usa = make_org(session, kind="foreign_company", country_code="USA", name_ja="米国親会社",
                   name_en="US Parent")
    holding = make_org(session, name_ja="日本持株会社", name_en="JP Holding")
    make_ownership(session, holding.id, usa.id, share="60", voting="60")
    make_ownership(session, world.company.id, holding.id, share="50", voting="50")
    session.commit()
    foci = client.get(f"{API}/organisations/{world.company.id}/foci",
                      headers=u[AGENCY].headers).json()
    assert foci["flagged"] and abs(foci["total_share_pct"] - 30) < 1e-9
    assert foci["countries"][0]["country"] == "USA"
    assert foci["paths"][0]["ids"] == [usa.id, holding.id, world.company.id]
    assert foci["gate"]["CESI"] == ["foci_unmitigated"]
    f = under_review(client, world, deputy)
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    before = snapshot(session.get_bind())
    r = client.post(f"{API}/facilities/{f['id']}/certify", headers=u[AGENCY].headers,
                    json=REASONS)
    assert r.status_code == 422 and "foci_unmitigated" in r.text
    assert_unchanged(before, snapshot(session.get_bind()))
    post(client, u[AGENCY], f"/organisations/{world.company.id}/foci-mitigations",
         {"instrument": "special_security_agreement", "reference": "SSA-2026-1",
          "terms": "外国株主は保全情報にアクセスしない", "signed_on": "2026-01-05"}, 201)
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    assert f["state"] == "certified"
    svg = client.get(f"{API}/organisations/{world.company.id}/ownership.svg",
                     headers=u[CSO].headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


def test_a_change_is_reported_first_and_reopens_review(client, world, deputy):
    u = world.users
    f = under_review(client, world, deputy)
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    c = post(client, u[CSO], f"/facilities/{f['id']}/changes",
             {"kinds": ["address"], "description": "本社を移転する"}, 201)
    r = client.post(f"{API}/facilities/{f['id']}/changes", headers=u[CSO].headers,
                    json={"kinds": ["officers"], "description": "二件目"})
    assert r.status_code == 409  # one change under review at a time
    state = client.get(f"{API}/facilities/{f['id']}", headers=u[CSO].headers).json()
    assert state["state"] == "change_pending" and state["changes"][0]["status"] == "pending"
    d = post(client, u[AGENCY], f"/facility-changes/{c['id']}/decision",
             {"approve": True, "reasons": "確認した"})
    assert d["status"] == "approved"
    state = client.get(f"{API}/facilities/{f['id']}", headers=u[CSO].headers).json()
    assert state["state"] == "certified"


def test_out_of_order_steps_are_refused(client, world, deputy, session):
    u = world.users
    f = post(client, u[AGENCY], "/facilities",
             {"organisation_id": world.company.id, "level": "CESI"}, 201)
    before = snapshot(session.get_bind())
    for path, login, body in [("/review", u[AGENCY], None), ("/certify", u[AGENCY], REASONS),
                              ("/reinstate", u[AGENCY], REASONS),
                              ("/changes", u[CSO], {"kinds": ["owner"],
                                                    "description": "x"})]:
        r = client.post(f"{API}/facilities/{f['id']}{path}", headers=login.headers, json=body)
        assert r.status_code == 409, (path, r.text)
    assert_unchanged(before, snapshot(session.get_bind()))


def test_jobs_remind_once_before_the_end_and_expire_after_it(client, world, deputy, session):
    from datetime import date, timedelta

    from sqlalchemy import update
    from typer.testing import CliRunner

    from hozen.cli.main import app as cli
    from hozen.facilities.models import Facility

    u = world.users
    f = under_review(client, world, deputy)
    post(client, u[AGENCY], f"/facilities/{f['id']}/checklist", all_met())
    f = post(client, u[AGENCY], f"/facilities/{f['id']}/certify", REASONS)
    end = date.fromisoformat(f["valid_until"])

    def run(day: date) -> tuple[int, int]:
        out = CliRunner().invoke(cli, ["jobs", "run", "--today", day.isoformat()])
        assert out.exit_code == 0, out.output
        line = next(x for x in out.output.splitlines() if x.startswith("facility"))
        expired, reminders = (int(n) for n in
                              line.replace(",", "").split()[3::3][:2])
        return expired, reminders

    assert run(end - timedelta(days=181)) == (0, 0)
    first = run(end - timedelta(days=180))
    assert first[0] == 0 and first[1] >= 2  # the officers and the agency
    assert run(end - timedelta(days=170)) == (0, 0)  # once per reminder date
    assert run(end - timedelta(days=30))[1] == first[1]
    assert client.get(f"{API}/facilities/{f['id']}",
                      headers=u[CSO].headers).json()["state"] == "certified"
    # past its end: expired at once on reading, recorded by the job
    session.execute(update(Facility).where(Facility.id == f["id"]).values(
        valid_until=date.today() - timedelta(days=1)))
    session.commit()
    assert client.get(f"{API}/facilities/{f['id']}",
                      headers=u[CSO].headers).json()["state"] == "expired"
    assert run(date.today()) == (1, 0)
    assert run(date.today()) == (0, 0)

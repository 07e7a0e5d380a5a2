"""Programmes, briefings and departures through the API: need-to-know begins with a
recorded briefing and a signed acknowledgement; departures end memberships and handler
entries, record continuing obligations, and start the window's follow-up of people who
handled SDS; hozen jobs run reminds a year after the last contact, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hozen.access.models import Membership
from hozen.accounts.permissions import Role
from hozen.cli.main import app as cli
from hozen.db import new_id, utcnow
from hozen.facilities.models import Handler
from hozen.notifications.models import Notification
from tests.factories import (
    World,
    assert_unchanged,
    detached_world,
    make_clearance,
    make_org,
    make_person,
    snapshot,
)

API = "/api/v1"
AGENCY, CSO, WINDOW = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER, Role.WINDOW_OFFICER


def today():
    return utcnow().date()


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def post(client, login, path, body, status=200):
    r = client.post(f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == status, r.text
    return r.json()


def programme(client, world, code="GCAP", **kw) -> dict:
    return post(client, world.users[AGENCY], "/programmes",
                {"code": code, "name_ja": "次期戦闘機", "name_en": "GCAP",
                 "countries": ["GBR", "ITA"], "organisations": [world.company.id]} | kw, 201)


def test_membership_needs_a_briefing_for_need_to_know(client, world, session):
    u = world.users
    p = programme(client, world)
    assert p["code"] == "GCAP" and sorted(p["organisations"]) == sorted(
        [world.company.id, world.gov.id])
    r = client.post(f"{API}/programmes", headers=u[AGENCY].headers,
                    json={"code": "GCAP", "name_ja": "重複", "name_en": "dup"})
    assert r.status_code == 409
    m = post(client, u[CSO], f"/programmes/{p['id']}/members",
             {"person_id": world.staff.id}, 201)
    assert m["need_to_know"] is False
    # another company's staff, or a company outside the programme: refused, nothing written
    before = snapshot(session.get_bind())
    r = client.post(f"{API}/programmes/{p['id']}/members", headers=u[CSO].headers,
                    json={"person_id": world.outsider.id})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_own_staff"
    future = (today() + timedelta(days=1)).isoformat()
    r = client.post(f"{API}/programme-members/{m['id']}/briefing", headers=u[CSO].headers,
                    json={"briefed_on": future, "nda_signed_on": today().isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "briefed_on"
    assert_unchanged(before, snapshot(session.get_bind()))
    b = post(client, u[CSO], f"/programme-members/{m['id']}/briefing",
             {"briefed_on": today().isoformat(), "nda_signed_on": today().isoformat()})
    assert b["need_to_know"] is True
    seen = client.get(f"{API}/programmes/{p['id']}", headers=u[CSO].headers).json()
    assert [x["need_to_know"] for x in seen["members"]] == [True]
    # the other company's officer sees no programme it does not take part in
    other = client.get(f"{API}/programmes", headers=u[CSO].headers).json()
    assert [x["code"] for x in other["items"]] == ["GCAP"] and other["next_cursor"] is None


def test_a_company_outside_the_programme_cannot_add_members(client, world, session):
    p = programme(client, world, code="SATCOM", organisations=[])
    r = client.post(f"{API}/programmes/{p['id']}/members",
                    headers=world.users[CSO].headers, json={"person_id": world.staff.id})
    assert r.status_code == 404  # the programme is not the company's to see


def test_departure_ends_memberships_and_handlers_and_starts_follow_up(client, world,
                                                                     session):
    u = world.users
    p = programme(client, world)
    m = post(client, u[CSO], f"/programmes/{p['id']}/members",
             {"person_id": world.staff.id}, 201)
    make_clearance(session, world.staff.id, "SDS", sponsor_id=world.gov.id,
                   employer_id=world.company.id, listed_by=u[CSO].user_id)
    from hozen.designations.models import Item
    item = Item(id=new_id(), title="x", kind="document", owner_id=world.gov.id,
                created_by=u[AGENCY].user_id)
    session.add(item)
    session.flush()
    session.add(Handler(id=new_id(), item_id=item.id, organisation_id=world.company.id,
                        person_id=world.staff.id, added_on=today(),
                        added_by=u[CSO].user_id))
    session.commit()
    d = post(client, u[CSO], "/departures",
             {"person_id": world.staff.id, "departed_on": today().isoformat(),
              "obligations": "退職後も守秘義務を負う"}, 201)
    assert d["follow_up_until"] is not None  # held an SDS clearance
    ended = session.get(Membership, m["id"])
    assert ended.ended_on == today()
    assert session.scalar(select(Handler.removed_on).where(
        Handler.person_id == world.staff.id)) == today()
    session.rollback()
    r = client.post(f"{API}/departures", headers=u[CSO].headers,
                    json={"person_id": world.staff.id, "departed_on": today().isoformat(),
                          "obligations": "重複"})
    assert r.status_code == 409
    # the departed person is denied classified access: person_departed
    follow = client.get(f"{API}/follow-ups", headers=u[WINDOW].headers).json()["items"]
    assert [f["id"] for f in follow] == [d["id"]] and follow[0]["last_contact"] is None
    assert client.get(f"{API}/follow-ups", headers=u[CSO].headers).status_code == 403

    runner = CliRunner()

    def reminders(day) -> int:
        out = runner.invoke(cli, ["jobs", "run", "--today", day.isoformat()])
        assert out.exit_code == 0, out.output
        line = next(x for x in out.output.splitlines() if x.startswith("departure"))
        return int(line.split()[-1])

    assert reminders(today() + timedelta(days=300)) == 0
    first = reminders(today() + timedelta(days=366))
    assert first >= 1
    assert reminders(today() + timedelta(days=370)) == 0  # once in that year
    post(client, u[WINDOW], f"/follow-ups/{d['id']}/contacts",
         {"contacted_on": today().isoformat(), "note": "近況を確認した"}, 201)
    kinds = session.scalars(select(Notification.kind).where(
        Notification.kind == "follow_up_due"))
    assert len(list(kinds)) == first
    session.rollback()


def test_leaving_one_programme_is_its_debriefing(client, world, session):
    u = world.users
    p = programme(client, world)
    m = post(client, u[CSO], f"/programmes/{p['id']}/members",
             {"person_id": world.staff.id}, 201)
    other = make_org(session)
    stranger = make_person(session, other.id)
    session.commit()
    r = client.post(f"{API}/departures", headers=u[CSO].headers,
                    json={"person_id": stranger.id, "departed_on": today().isoformat(),
                          "obligations": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_id"
    d = post(client, u[CSO], "/departures",
             {"person_id": world.staff.id, "programme_id": p["id"],
              "departed_on": today().isoformat(), "obligations": "プログラムの守秘義務"}, 201)
    assert d["follow_up_until"] is None
    assert session.get(Membership, m["id"]).ended_on == today()
    session.rollback()
    r = client.post(f"{API}/departures", headers=u[CSO].headers,
                    json={"person_id": world.staff.id, "programme_id": p["id"],
                          "departed_on": today().isoformat(), "obligations": "再度"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "not_a_member"


def _walk(client, login, limit: int) -> list[str]:
    codes, cursor = [], None
    while True:
        r = client.get(f"{API}/programmes", headers=login.headers,
                       params={"limit": limit} | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) == limit or page["next_cursor"] is None
        codes += [p["code"] for p in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            return codes


def test_programmes_are_listed_a_page_at_a_time(client, world):
    mine = ["P1", "P3", "P4", "P6", "P7"]
    for code in ["P7", "P2", "P4", "P1", "P6", "P5", "P3"]:
        programme(client, world, code=code,
                  organisations=[world.company.id] if code in mine else [])
    assert _walk(client, world.users[AGENCY], 2) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert _walk(client, world.users[CSO], 2) == mine  # the company's own, in code order
    assert _walk(client, world.users[CSO], 100) == mine
    r = client.get(f"{API}/programmes", headers=world.users[CSO].headers,
                   params={"cursor": "not-a-cursor"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"

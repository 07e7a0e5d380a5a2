"""Agreements through the API and the page: shipped with the upgrade, read by everyone who
works with partners, corrected only by an administrator, and only into a table the rules
accept (no upward mapping, levels from the partner's own set); every correction audited
and never overwritten by the next upgrade."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import upgrade
from hozen.reciprocity import rules
from hozen.reciprocity.models import Agreement
from tests.factories import assert_unchanged, detached_world, snapshot
from tests.pages import element

API = "/api/v1"
SHIPPED = {a.partner: a for a in rules.load_agreements()}


@pytest.fixture
def world(session):
    return detached_world(session)


def agreements(client, login) -> dict[str, dict]:
    r = client.get(f"{API}/agreements", headers=login.headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None  # the shipped agreements fit on one page
    return {a["partner"]: a for a in r.json()["items"]}


def test_the_shipped_agreements_are_loaded(client, world):
    rows = agreements(client, world.users[Role.FOREIGN_LIAISON])
    assert set(rows) == set(SHIPPED) >= {"USA", "NATO", "FRA", "AUS", "GBR", "IND", "ITA",
                                         "KOR", "DEU"}
    uk = rows["GBR"]
    assert uk["in_force_from"] == "2014-01-01" and uk["in_force"] is True
    assert uk["to_hozen"]["SECRET"] == "SDS" and uk["confirmed"] is False
    assert rows["USA"]["in_force_from"].startswith("2007-08")


@pytest.mark.parametrize("role", list(Role))
def test_who_reads_and_who_corrects(client, world, role):
    login = world.users[role]
    r = client.get(f"{API}/agreements", headers=login.headers)
    assert r.status_code == (403 if role is Role.SUBJECT else 200)
    row = agreements(client, world.users[Role.SYSTEM_ADMIN])["GBR"]
    r = client.patch(f"{API}/agreements/{row['id']}", headers=login.headers,
                     json={"confirmed": True, "version": row["version"]})
    assert r.status_code == (200 if role is Role.SYSTEM_ADMIN else 403), r.text


def test_an_upward_table_is_refused_without_a_write(client, world, engine):
    admin = world.users[Role.SYSTEM_ADMIN]
    uk = agreements(client, admin)["GBR"]
    before = snapshot(engine)
    lowest = uk["levels"][0]
    r = client.patch(f"{API}/agreements/{uk['id']}", headers=admin.headers,
                     json={"to_hozen": uk["to_hozen"] | {lowest: "SDS"},
                           "version": uk["version"]})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith("to_hozen") for e in r.json()["errors"])
    r = client.patch(f"{API}/agreements/{uk['id']}", headers=admin.headers,
                     json={"to_hozen": {"MOST SECRET": "SDS"}, "version": uk["version"]})
    assert r.status_code == 422 and "to_hozen" in r.text
    r = client.patch(f"{API}/agreements/{uk['id']}", headers=admin.headers,
                     json={"to_hozen": {lowest: "TOP"}, "version": uk["version"]})
    assert r.status_code == 422
    assert_unchanged(before, snapshot(engine))


def test_a_correction_is_audited_versioned_and_kept_by_the_upgrade(client, world, session,
                                                                   database_url):
    admin = world.users[Role.SYSTEM_ADMIN]
    uk = agreements(client, admin)["GBR"]
    r = client.patch(f"{API}/agreements/{uk['id']}", headers=admin.headers,
                     json={"confirmed": True, "scope": "GCAP and defence equipment",
                           "version": uk["version"]})
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] is True and r.json()["version"] == uk["version"] + 1
    stale = client.patch(f"{API}/agreements/{uk['id']}", headers=admin.headers,
                         json={"confirmed": False, "version": uk["version"]})
    assert stale.status_code == 409
    tags = session.scalars(select(AuditEvent.tag).where(
        AuditEvent.subject_id == uk["id"])).all()
    session.rollback()
    assert tags == ["reciprocity:agreement:update"]
    upgrade(database_url)  # the shipped data does not overwrite the correction
    row = session.scalar(select(Agreement).where(Agreement.partner == "GBR"))
    session.rollback()
    assert row.confirmed is True and row.scope == "GCAP and defence equipment"


def test_an_agreement_ended_is_shown_not_in_force(client, world):
    admin = world.users[Role.SYSTEM_ADMIN]
    kor = agreements(client, admin)["KOR"]
    r = client.patch(f"{API}/agreements/{kor['id']}", headers=admin.headers,
                     json={"in_force_to": "2020-01-01", "version": kor["version"]})
    assert r.status_code == 200 and r.json()["in_force"] is False
    r = client.patch(f"{API}/agreements/{kor['id']}", headers=admin.headers,
                     json={"in_force_to": "2000-01-01", "version": kor["version"] + 1})
    assert r.status_code == 422 and "in_force_to" in r.text


def test_unknown_agreement_is_404(client, world):
    admin = world.users[Role.SYSTEM_ADMIN]
    for bad in ("nope", "01a21acf-2fcd-7eb2-a084-76839ee64755"):
        r = client.get(f"{API}/agreements/{bad}", headers=admin.headers)
        assert r.status_code == 404


def test_the_page_shows_each_table(world, web):
    browser = web(world.users[Role.COMPANY_SECURITY_OFFICER])  # English pages
    page = browser.get("/agreements")
    assert page.status_code == 200
    uk = element(page.text, 'id="agreement-GBR"')
    assert "United Kingdom" in uk and "table to be confirmed" in uk
    assert 'data-level="SECRET"' in uk and "Specially designated secret" in uk
    assert web(world.users[Role.SUBJECT]).get("/agreements").status_code == 403

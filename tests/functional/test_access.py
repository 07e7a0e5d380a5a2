"""Access decisions against the database: the attributes read for a person and an item,
the SQL of "what may I see" equal to filtering every item through decide_access, and the
API (single and batch, every decision audited, scoped to whom the caller may ask about)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hozen.access import attributes, rules, visible
from hozen.access.models import Departure, Membership, Programme
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import new_id, utcnow
from hozen.designations.models import CuiAuthorization, Designation, Item
from hozen.facilities.models import Facility, Handler, TrainingRecord
from tests.factories import (
    World,
    detached_world,
    make_clearance,
    make_org,
    make_person,
)

API = "/api/v1"
CSO, WINDOW = Role.COMPANY_SECURITY_OFFICER, Role.WINDOW_OFFICER


def today():
    return utcnow().date()


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def _designation(session, world: World, rng: random.Random) -> Designation:
    """A designation in a random state, written directly (its flow is tested elsewhere)."""
    status = rng.choice(["in_force", "in_force", "provisional", "pending_disposition",
                         "lifted", "downgraded"])
    t = today()
    ended = rng.random() < 0.2
    d = Designation(
        id=new_id(), reference=f"T-{new_id()[-12:]}", title="試験", agency_id=world.gov.id,
        manager_id=world.users[Role.AGENCY_OFFICIAL].user_id,
        regime=rng.choice(["CESI", "SDS"]), category="key_technologies", reasons="試験",
        scope_kind="technology", scope="試験", status=status,
        releasable_to=rng.choice(["", "USA", "GBR,USA"]),
        provisional=status == "provisional",
        confirm_by=t + timedelta(days=rng.choice([-1, 30])) if status == "provisional"
        else None,
        first_start=t - timedelta(days=400), term_start=t - timedelta(days=400),
        term_end=t - timedelta(days=1) if ended else t + timedelta(days=900),
        created_by=world.users[Role.AGENCY_OFFICIAL].user_id)
    session.add(d)
    session.flush()
    return d


def _item(session, world: World, rng: random.Random, designations: list) -> Item:
    d = rng.choice([None, *designations])
    item = Item(id=new_id(), title=f"item {rng.random():.6f}", kind="document",
                owner_id=world.gov.id, designation_id=d.id if d else None,
                cui_categories=rng.choice(["", "", "EXPT", "PRVCY,PROPIN"]),
                controls=rng.choice(["", "", "NOFORN"]),
                compartments=rng.choice(["", "", "ALPHA", "ALPHA,BRAVO", "BRAVO"]),
                releasable_to=rng.choice(["", "", "USA", "GBR"]),
                lifted_on=today() if d and rng.random() < 0.1 else None,
                created_by=world.users[Role.AGENCY_OFFICIAL].user_id)
    session.add(item)
    session.flush()
    return item


def _person(session, world: World, rng: random.Random, items: list, programmes: dict):
    """A person with random attributes: clearance, employer certification, handler
    entries, programmes, training, CUI authorization, departure, nationality."""
    employer = rng.choice([world.company, world.gov])
    nationality = rng.choice([["JPN"], ["JPN"], ["JPN"], ["USA"], ["JPN", "USA"]])
    p = make_person(session, employer.id, nationalities=nationality)
    cso = world.users[CSO].user_id
    if rng.random() < 0.7:
        make_clearance(session, p.id, rng.choice(["CESI", "SDS"]), sponsor_id=world.gov.id,
                       employer_id=employer.id, listed_by=cso,
                       status=rng.choice(["active", "active", "active", "suspended",
                                          "revoked", "expired"]),
                       valid_until=today() + timedelta(days=rng.choice([-1, 300])))
    for item in rng.sample(items, k=min(len(items), rng.randint(0, 12))):
        session.add(Handler(id=new_id(), item_id=item.id, organisation_id=employer.id,
                            person_id=p.id, added_on=today(), added_by=cso))
    for programme in programmes.values():
        roll = rng.random()
        if roll < 0.6:
            session.add(Membership(id=new_id(), programme_id=programme.id, person_id=p.id,
                                   added_on=today(), added_by=cso,
                                   briefed_on=today() if roll < 0.45 else None,
                                   nda_signed_on=today() if roll < 0.45 else None))
    if rng.random() < 0.8:
        session.add(TrainingRecord(id=new_id(), person_id=p.id, organisation_id=employer.id,
                                   kind="initial", recorded_by=cso,
                                   trained_on=today() - timedelta(
                                       days=rng.choice([10, 400]))))
    if rng.random() < 0.3:
        session.add(CuiAuthorization(
            id=new_id(), person_id=p.id, organisation_id=employer.id,
            identity_document="passport", identity_checked_on=today(), trained_on=today(),
            agreement_signed_on=today(), last_training_on=today(), granted_on=today(),
            valid_until=today() + timedelta(days=1000), status="active", granted_by=cso))
    if rng.random() < 0.1:
        session.add(Departure(id=new_id(), person_id=p.id, organisation_id=employer.id,
                              departed_on=today(), obligations="守秘義務", recorded_by=cso))
    session.flush()
    return p


def _varied(session, world: World, rng: random.Random) -> tuple[list, list]:
    """Items and people of random attributes, committed: (items, people)."""
    session.add(Facility(id=new_id(), organisation_id=world.company.id,
                         level=rng.choice(["CESI", "SDS"]), state="certified",
                         agency_id=world.gov.id,
                         proposed_by=world.users[Role.AGENCY_OFFICIAL].user_id,
                         certified_on=today(), valid_until=today() + timedelta(days=900)))
    programmes = {}
    for code in ("ALPHA", "BRAVO"):
        programmes[code] = Programme(id=new_id(), code=code, name_ja=code, name_en=code,
                                     agency_id=world.gov.id, organisations=world.company.id,
                                     created_by=world.users[Role.AGENCY_OFFICIAL].user_id)
        session.add(programmes[code])
    session.flush()
    designations = [_designation(session, world, rng) for _ in range(8)]
    items = [_item(session, world, rng, designations) for _ in range(60)]
    people = [_person(session, world, rng, items, programmes) for _ in range(25)]
    session.commit()
    return items, people


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_what_may_i_see_equals_filtering_every_item_through_decide_access(
        session, world, seed):
    items, people = _varied(session, world, random.Random(seed))
    t = today()
    ctx = rules.Context(t.toordinal(), attributes.system_area_rank())
    permits = total = 0
    for p in people:
        s = attributes.subject(session, p.id, t)
        expected = sorted(i.id for i in items
                          if rules.decide_access(s, attributes.item_of(session, i, t),
                                                 ctx).permit)
        found = [row[0] for row in visible.accessible_items(session, s, t, limit=1000)]
        assert found == expected, (s, set(found) ^ set(expected))
        permits += len(expected)
        total += len(items)
    # the data set is varied enough to mean something: some but not all are visible
    assert 0 < permits < total


def test_small_pages_merge_the_branches_in_id_order(session, world):
    """Each branch of the query is cut at the page size before the merge: paging with a
    small page through every branch gives the whole list, in id order, each item once."""
    _, people = _varied(session, world, random.Random(4))
    t = today()
    for p in people:
        s = attributes.subject(session, p.id, t)
        whole = [row[0] for row in visible.accessible_items(session, s, t, limit=1000)]
        paged, after = [], None
        while page := visible.accessible_items(session, s, t, after=after, limit=2):
            paged += [i for i, _, _ in page]
            after = page[-1][0]
        assert paged == whole


def test_paging_by_cursor_returns_each_item_once(session, world):
    items = [Item(id=new_id(), title=f"公開資料 {n}", kind="document", owner_id=world.gov.id,
                  created_by=world.users[Role.AGENCY_OFFICIAL].user_id) for n in range(7)]
    session.add_all(items)
    session.commit()
    s = attributes.subject(session, world.staff.id, today())
    seen, after = [], None
    while True:
        page = visible.accessible_items(session, s, today(), after=after, limit=3)
        seen += [i for i, _, _ in page]
        if len(page) < 3:
            break
        after = page[-1][0]
    assert sorted(seen) == sorted(i.id for i in items) and len(seen) == len(set(seen))


def test_the_api_decides_explains_and_audits(client, session, world):
    u = world.users
    d = _designation(session, world, random.Random(5))
    d.status, d.regime = "in_force", "CESI"
    item = Item(id=new_id(), title="設計書", kind="document", owner_id=world.gov.id,
                designation_id=d.id, created_by=u[Role.AGENCY_OFFICIAL].user_id)
    session.add(item)
    session.commit()
    body = {"person_id": world.staff.id, "item_id": item.id}
    r = client.post(f"{API}/access/check", headers=u[CSO].headers, json=body,
                    params={"lang": "en"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["permit"] is False
    codes = [x["code"] for x in answer["reasons"]]
    assert codes[0] == "no_clearance" and "not_registered_handler" in codes
    assert all(x["message"] and x["message"] != x["code"] for x in answer["reasons"])
    ja = client.post(f"{API}/access/check", headers=u[CSO].headers, json=body).json()
    assert ja["reasons"][0]["message"] != answer["reasons"][0]["message"]
    events = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.tag == "access:decision", AuditEvent.subject_id == world.staff.id))
    session.rollback()  # SQLite: never hold a transaction across requests
    assert events == 2
    # a batch: one audit record for all its decisions
    batch = client.post(f"{API}/access/check-batch", headers=u[WINDOW].headers,
                        json={"requests": [body, body | {"person_id": world.outsider.id}]})
    assert batch.status_code == 200 and len(batch.json()) == 2
    # the company's officer may not ask about another company's staff
    r = client.post(f"{API}/access/check", headers=u[CSO].headers,
                    json=body | {"person_id": world.outsider.id})
    assert r.status_code == 404
    r = client.post(f"{API}/access/check", headers=u[CSO].headers,
                    json=body | {"item_id": new_id()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "item_id"
    page = client.get(f"{API}/people/{world.staff.id}/accessible-items",
                      headers=u[CSO].headers)
    assert page.status_code == 200 and item.id not in [i["id"] for i in page.json()["items"]]


def test_other_org_and_subject_scoping(client, session, world):
    other = make_org(session)
    stranger = make_person(session, other.id)
    session.commit()
    r = client.get(f"{API}/people/{stranger.id}/accessible-items",
                   headers=world.users[CSO].headers)
    assert r.status_code == 404

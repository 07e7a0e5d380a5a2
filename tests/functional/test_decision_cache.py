"""The decision cache (issue 10): attributes cached per process never outlive a change
that affects a decision — made in this process, in another server process, by a bulk
statement, or rolled back."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update

from hozen.access import attributes, cache
from hozen.access.models import Departure, Membership, Programme
from hozen.accounts.permissions import Role
from hozen.clearances.models import Clearance
from hozen.db import new_id, utcnow
from hozen.designations.models import CuiAuthorization, Designation, Item
from hozen.facilities.models import Facility, Handler, TrainingRecord
from hozen.registry.models import OwnershipEdge, PersonNationality
from tests.factories import detached_world, make_clearance, make_person
from tests.functional.test_access import _varied
from tests.servers import served

API = "/api/v1"
CSO = Role.COMPANY_SECURITY_OFFICER


def today():
    return utcnow().date()


def _fresh(session, people, items) -> None:
    """Every cached subject and item equals what the database says now."""
    t = today()
    for p in people:
        assert attributes.subject(session, p.id, t) == attributes.load_subject(session, p.id, t)
    for i in items:
        assert attributes.item(session, i.id, t) == attributes.load_item(session, i.id, t)


def _changes(session, rng: random.Random, world, people, items) -> list:
    """Changes of every kind a decision reads, each a function of no arguments."""
    def one(model, **where):
        q = select(model).filter_by(**where) if where else select(model)
        rows = list(session.scalars(q))
        return rng.choice(rows) if rows else None

    def clearance():
        c = one(Clearance)
        if c:
            c.status = rng.choice(["active", "suspended", "revoked", "expired"])
            c.valid_until = today() + timedelta(days=rng.choice([-1, 300]))

    def handler():
        h = one(Handler)
        if h:
            h.removed_on = None if h.removed_on else today()

    def membership():
        m = one(Membership)
        if m:
            m.briefed_on = None if m.briefed_on else today()
            m.nda_signed_on = m.briefed_on

    def training():
        t = one(TrainingRecord)
        if t:
            t.trained_on = today() - timedelta(days=rng.choice([5, 800]))

    def departure():
        p = rng.choice(people)
        session.add(Departure(id=new_id(), person_id=p.id, organisation_id=p.employer_id,
                              departed_on=today(), obligations="守秘義務",
                              recorded_by=world.users[CSO].user_id))

    def cui():
        a = one(CuiAuthorization)
        if a:
            a.status = "revoked" if a.status == "active" else "active"

    def nationality():
        n = one(PersonNationality)
        if n:
            n.status = "former" if n.status == "current" else "current"

    def employer():
        p = rng.choice(people)
        p.employer_id = world.gov.id if p.employer_id == world.company.id else world.company.id

    def facility():
        f = one(Facility)
        if f:
            f.state = "suspended" if f.state == "certified" else "certified"

    def designation():
        d = one(Designation)
        if d:
            d.status = rng.choice(["in_force", "lifted", "downgraded", "pending_disposition"])
            d.releasable_to = rng.choice(["", "USA"])

    def item():
        i = rng.choice(items)
        i.compartments = rng.choice(["", "ALPHA", "BRAVO"])
        i.lifted_on = None if i.lifted_on else today()

    def programme():
        p = one(Programme)
        if p:
            p.organisations = "" if p.organisations else world.company.id

    return [clearance, handler, membership, training, departure, cui, nationality, employer,
            facility, designation, item, programme]


@pytest.mark.parametrize("seed", [1, 2])
def test_cached_attributes_follow_every_kind_of_change(session, seed):
    rng = random.Random(seed)
    world = detached_world(session)
    items, people = _varied(session, world, rng)
    people = people[:8]
    items = items[:20]
    cache.subjects.clear()
    cache.items.clear()
    _fresh(session, people, items)  # fills the caches
    session.commit()
    hits = cache.subjects.hits
    _fresh(session, people, items)  # nothing changed: served from the caches
    assert cache.subjects.hits >= hits + len(people)
    session.commit()
    changes = _changes(session, rng, world, people, items)
    for change in changes + [rng.choice(changes) for _ in range(24)]:
        change()
        session.commit()
        _fresh(session, people, items)
        session.commit()


def test_a_bulk_statement_and_a_rollback_move_the_epoch(session):
    world = detached_world(session)
    _varied(session, world, random.Random(7))
    person_id = session.scalars(select(Clearance.person_id)).first()
    t = today()
    attributes.subject(session, person_id, t)  # cached
    session.commit()
    # a bulk UPDATE through the session (no ORM object flushed)
    session.execute(update(Clearance).where(Clearance.person_id == person_id)
                    .values(status="revoked"))
    session.commit()
    after = attributes.subject(session, person_id, t)
    assert after.clearance_status == "revoked"
    assert after == attributes.load_subject(session, person_id, t)
    session.commit()
    # a change read inside its transaction, then rolled back: never served again
    session.execute(update(Clearance).where(Clearance.person_id == person_id)
                    .values(status="active", valid_until=t + timedelta(days=99)))
    inside = attributes.subject(session, person_id, t)
    assert inside.clearance_status == "active"
    session.rollback()
    assert attributes.subject(session, person_id, t) == after
    session.rollback()


def test_another_server_process_sees_each_change_on_its_next_request(session, tmp_path):
    """Two `hozen serve` processes: decisions asked of B, changes made through A's API
    (and one by a third process writing the database), B's next answer follows each."""
    w = detached_world(session)
    gov_user = w.users[Role.AGENCY_OFFICIAL].user_id
    t = today()
    facility = Facility(id=new_id(), organisation_id=w.company.id, level="SDS",
                        state="certified", agency_id=w.gov.id, proposed_by=gov_user,
                        certified_on=t, valid_until=t + timedelta(days=900))
    programme = Programme(id=new_id(), code="CACHE", name_ja="CACHE", name_en="CACHE",
                          agency_id=w.gov.id, organisations=w.company.id,
                          created_by=gov_user)
    designation = Designation(
        id=new_id(), reference=f"C-{new_id()[-12:]}", title="試験", agency_id=w.gov.id,
        manager_id=gov_user, regime="SDS", category="key_technologies", reasons="試験",
        scope_kind="technology", scope="試験", status="in_force", releasable_to="",
        provisional=False, first_start=t - timedelta(days=10),
        term_start=t - timedelta(days=10), term_end=t + timedelta(days=900),
        created_by=gov_user)
    session.add_all([facility, programme, designation])
    session.flush()
    item = Item(id=new_id(), title="cache test", kind="document", owner_id=w.gov.id,
                designation_id=designation.id, cui_categories="", controls="",
                compartments="CACHE", releasable_to="", created_by=gov_user)
    session.add(item)
    session.flush()
    make_clearance(session, w.staff.id, "SDS", sponsor_id=w.gov.id,
                   employer_id=w.company.id, listed_by=w.users[CSO].user_id)
    handler = Handler(id=new_id(), item_id=item.id, organisation_id=w.company.id,
                      person_id=w.staff.id, added_on=t, added_by=w.users[CSO].user_id)
    session.add_all([handler, TrainingRecord(
        id=new_id(), person_id=w.staff.id, organisation_id=w.company.id, kind="initial",
        recorded_by=w.users[CSO].user_id, trained_on=t - timedelta(days=10))])
    session.commit()
    ids = (facility.id, programme.id, item.id, handler.id)
    session.expunge_all()
    facility_id, programme_id, item_id, handler_id = ids
    cso = {"Authorization": f"Bearer {w.users[CSO].token}"}
    window = {"Authorization": f"Bearer {w.users[Role.WINDOW_OFFICER].token}"}

    with served(tmp_path / "a.log") as a, served(tmp_path / "b.log") as b:
        def permit_on_b() -> tuple[bool, list[str]]:
            r = httpx.post(f"{b.url}{API}/access/check", headers=window, timeout=10,
                           json={"person_id": w.staff.id, "item_id": item_id})
            assert r.status_code == 200, r.text
            return r.json()["permit"], [x["code"] for x in r.json()["reasons"]]

        def on_a(path: str, body: dict | None = None) -> dict:
            r = httpx.post(f"{a.url}{API}{path}", headers=cso, json=body or {}, timeout=10)
            assert r.status_code in (200, 201), r.text
            return r.json()

        first = permit_on_b()
        assert first[0] is False and first[1]  # not a member of the programme
        assert permit_on_b() == first  # asked again: the same (now cached) answer
        member = on_a(f"/programmes/{programme_id}/members", {"person_id": w.staff.id})
        assert permit_on_b()[0] is False  # a member, not yet briefed
        on_a(f"/programme-members/{member['id']}/briefing",
             {"briefed_on": t.isoformat(), "nda_signed_on": t.isoformat()})
        assert permit_on_b() == (True, [])
        on_a(f"/item-handlers/{handler_id}/removal")
        assert permit_on_b()[0] is False
        # a third process (this test) registers the handler again, then suspends the
        # employer's certification and restores it
        session.add(Handler(id=new_id(), item_id=item_id, organisation_id=w.company.id,
                            person_id=w.staff.id, added_on=t,
                            added_by=w.users[CSO].user_id))
        session.commit()
        assert permit_on_b() == (True, [])
        session.execute(update(Facility).where(Facility.id == facility_id)
                        .values(state="suspended"))
        session.commit()
        assert permit_on_b()[0] is False
        session.execute(update(Facility).where(Facility.id == facility_id)
                        .values(state="certified"))
        session.commit()
        assert permit_on_b() == (True, [])
        on_a("/departures", {"person_id": w.staff.id, "departed_on": t.isoformat(),
                             "obligations": "守秘義務の継続"})
        assert permit_on_b()[0] is False


def test_an_owners_nationality_reaches_the_cached_attributes_of_the_owned_companys_staff(
        session):
    """A company's FOCI position reads the nationality of the people who own it: a change
    there moves its staff's decisions, though it is another person's record."""
    world = detached_world(session)
    _, people = _varied(session, world, random.Random(5))
    staff = [p for p in people if p.employer_id == world.company.id]
    owner = make_person(session)
    session.add(OwnershipEdge(owned_id=world.company.id, owner_person_id=owner.id,
                              share_pct=Decimal("60"), voting_pct=Decimal("60")))
    session.commit()
    t = today()
    before = {p.id: attributes.subject(session, p.id, t) for p in staff}  # cached
    session.commit()
    nationality = session.scalars(select(PersonNationality).where(
        PersonNationality.person_id == owner.id)).one()
    nationality.country_code = "USA"  # a foreign owner of 60 %: FOCI to mitigate
    session.commit()
    after = {p.id: attributes.subject(session, p.id, t) for p in staff}
    assert after == {p.id: attributes.load_subject(session, p.id, t) for p in staff}
    assert any(after[p] != before[p] for p in after)  # the change mattered
    session.rollback()

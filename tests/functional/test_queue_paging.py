"""The clearance work queues and a collection's access list, a page at a time (issue 10):
every queue walked in small pages with out-of-scope rows mixed in gives exactly the
caller's own rows, oldest first; a queue the caller's roles do not give is refused; a bad
cursor or limit is a 422 naming the field; and a page costs as many statements with many
rows as with few."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from hozen.accounts.permissions import Role
from hozen.clearances import views
from hozen.clearances.models import ClearanceCase, Finding, Investigation
from hozen.db import new_id, utcnow
from hozen.errors import Forbidden, ValidationFailed
from hozen.sharing import intel
from hozen.sharing.intel_models import IntelCollectionMember
from tests.factories import make_collection, make_org, make_person, make_user, make_world
from tests.functional.test_statement_counts import counting, statements
from tests.pages import element

API = "/api/v1"
WO, INV, ADJ = Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR
T0 = utcnow().replace(microsecond=0) - timedelta(days=30)


class Cases:
    """Cases written directly in the queue states, each submitted at a given minute (a
    few at the same minute, so the id breaks the tie)."""

    def __init__(self, s, world):
        self.s, self.world = s, world
        self.person = make_person(s, employer_id=world.company.id)
        self.minute = 0

    def add(self, state: str, *, investigator: str | None = None,
            found_by: tuple[str, ...] = (), minute: int | None = None,
            imported: bool = False) -> str:
        """`imported`: a clearance brought in from a legacy system (no investigation, never
        submitted), here in `state` (adjudication: reopened by an adverse event)."""
        if minute is None:
            self.minute += 1
            minute = self.minute // 2  # two cases to a minute
        inv_id = None
        if state in ("investigation", "adjudication") and not imported:
            inv_id = new_id()
            self.s.add(Investigation(id=inv_id, person_id=self.person.id, regime="CESI",
                                     investigator_id=investigator))
            self.s.flush()
            for user_id in found_by:
                self.s.add(Finding(investigation_id=inv_id, area="criminal_record",
                                   severity="minor", found_on=T0.date(), content=b"\x00",
                                   recorded_by=user_id))
        case = ClearanceCase(id=new_id(), person_id=self.person.id, regime="CESI",
                             sponsor_id=self.world.gov.id, employer_id=self.world.company.id,
                             state=state, investigation_id=inv_id,
                             submitted_at=None if imported else T0 + timedelta(minutes=minute))
        self.s.add(case)
        self.s.flush()
        return case.id


@pytest.fixture
def queues(session):
    """Every queue holding the caller's rows and, mixed in, rows that are not theirs: the
    other investigator's cases, cases the adjudicator investigated or recorded a finding
    on, and cases in states no queue holds. Gives (world, other investigator, cases,
    expected ids per queue in order)."""
    world = make_world(session)
    inv, adj = world.users[INV].user_id, world.users[ADJ].user_id
    other = make_user(session, INV, world.gov.id)
    c = Cases(session, world)
    want: dict[str, list[str]] = {"intake": [], "investigation": [], "adjudication": []}
    for k in range(7):
        want["intake"].append(c.add("submitted"))
        c.add("draft")
        c.add("granted")
        want["investigation"].append(c.add("investigation", investigator=inv))
        c.add("investigation", investigator=other.user_id)
        # the adjudicator may adjudicate what others investigated and found...
        want["adjudication"].append(c.add("adjudication", investigator=other.user_id,
                                          found_by=(other.user_id,) * (k % 2)))
        # ...but never what they investigated or recorded a finding on
        c.add("adjudication", investigator=adj)
        c.add("adjudication", investigator=other.user_id, found_by=(other.user_id, adj))
        # another investigator's (the world's), past investigation: the adjudicator's
        want["adjudication"].append(c.add("adjudication", investigator=inv))
        if k % 3 == 0:  # an imported clearance reopened: no one investigated it
            want["adjudication"].append(c.add("adjudication", imported=True))
    want = {q: _ordered(session, ids) for q, ids in want.items()}
    session.commit()  # and no read after it: under SQLite it would hold the app's writes
    return world, other, c, want


def _ordered(s, ids) -> list[str]:
    rows = [s.get(ClearanceCase, i) for i in ids]  # never submitted (imported) first
    return [r.id for r in sorted(rows, key=lambda r: (r.submitted_at is not None,
                                                      r.submitted_at or T0, r.id))]


def _walk(client, login, queue: str, limit: int) -> list[str]:
    got, cursor, pages = [], None, 0
    while True:
        url = f"{API}/clearance-queue/{queue}?limit={limit}" + (
            f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=login.headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        got += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return got
        assert len(page["items"]) == limit and pages < 50


@pytest.mark.parametrize("role, queue", [(WO, "intake"), (INV, "investigation"),
                                         (ADJ, "adjudication")])
@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_each_queue_walked_in_pages_is_exactly_the_callers_own_oldest_first(
        client, queues, role, queue, limit):
    world, _, _, want = queues
    assert len(want[queue]) == 7 + (7 + 3 if queue == "adjudication" else 0)
    assert _walk(client, world.users[role], queue, limit) == want[queue]


def test_the_other_investigator_walks_only_their_own_cases(client, queues):
    world, other, _, want = queues
    theirs = _walk(client, other, "investigation", 2)
    assert len(theirs) == 7  # theirs in investigation; those past it are not
    assert not set(theirs) & set(want["investigation"])
    assert _walk(client, world.users[INV], "investigation", 2) == want["investigation"]


def test_the_combined_queue_gives_the_first_page_of_each_with_its_cursor(session, queues):
    world, _, _, want = queues
    for role, queue in ((WO, "intake"), (INV, "investigation"), (ADJ, "adjudication")):
        actor = world.users[role].actor
        q = views.work_queue(session, actor=actor, limit=3)
        assert [i.id for i in getattr(q, queue)] == want[queue][:3]
        assert set(q.next_cursors) == {queue}  # only the queues the role gives
        assert all(getattr(q, other) == [] for other in views.QUEUES if other != queue)
        rest, _ = views.queue_page(session, queue, actor=actor, cursor=q.next_cursors[queue],
                                   limit=100)
        assert [i.id for i in rest] == want[queue][3:]
        # the page of a queue at a cursor given for it
        again = views.work_queue(session, actor=actor, limit=3,
                                 cursors={queue: q.next_cursors[queue]})
        assert [i.id for i in getattr(again, queue)] == want[queue][3:6]


def test_the_combined_api_queue_keeps_its_lists_and_adds_the_cursors(client, queues):
    world, _, c, want = queues
    for k in range(50):  # past the first page of 50
        want["intake"].append(c.add("submitted", minute=10_000 + k))
    c.s.commit()
    r = client.get(f"{API}/clearance-queue", headers=world.users[WO].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["id"] for i in body["intake"]] == want["intake"][:50]
    assert (body["investigation"], body["adjudication"]) == ([], [])
    nxt = body["next_cursors"]["intake"]
    r = client.get(f"{API}/clearance-queue/intake?cursor={nxt}",
                   headers=world.users[WO].headers)
    assert [i["id"] for i in r.json()["items"]] == want["intake"][50:]
    assert r.json()["next_cursor"] is None
    adj = client.get(f"{API}/clearance-queue", headers=world.users[ADJ].headers).json()
    assert adj["next_cursors"] == {"adjudication": None}


@pytest.mark.parametrize("role, queue", [(WO, "adjudication"), (WO, "investigation"),
                                         (INV, "intake"), (INV, "adjudication"),
                                         (ADJ, "intake"), (ADJ, "investigation")])
def test_a_queue_the_callers_role_does_not_give_is_refused(client, session, queues, role,
                                                           queue):
    world = queues[0]
    r = client.get(f"{API}/clearance-queue/{queue}", headers=world.users[role].headers)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    with pytest.raises(Forbidden):
        views.queue_page(session, queue, actor=world.users[role].actor)


@pytest.mark.parametrize("role", [Role.SUBJECT, Role.COMPANY_SECURITY_OFFICER,
                                  Role.SYSTEM_ADMIN, Role.AGENCY_OFFICIAL])
def test_roles_without_casework_are_refused_every_queue(client, queues, role):
    world = queues[0]
    for queue in ("intake", "investigation", "adjudication", "nonsense"):
        r = client.get(f"{API}/clearance-queue/{queue}", headers=world.users[role].headers)
        assert r.status_code == 403, r.text


@pytest.mark.parametrize("url, field", [
    ("/clearance-queue/nonsense", "queue"),
    ("/clearance-queue/INTAKE", "queue"),
    ("/clearance-queue/" + "x" * 17, "queue"),
    ("/clearance-queue/intake?cursor=not-a-cursor", "cursor"),
    ("/clearance-queue/intake?cursor=" + "A" * 201, "cursor"),
    ("/clearance-queue/intake?cursor=a%00b", "cursor"),
    ("/clearance-queue/intake?cursor=WyJ4IiwieSJd", "cursor"),  # ["x","y"]: not a time
    ("/clearance-queue/intake?limit=0", "limit"),
    ("/clearance-queue/intake?limit=101", "limit"),
    ("/clearance-queue/intake?limit=ten", "limit"),
])
def test_bad_queue_cursor_or_limit_is_a_422_naming_the_field(client, queues, url, field):
    world = queues[0]
    r = client.get(API + url, headers=world.users[WO].headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}, r.json()


def test_a_bad_queue_name_is_refused_by_the_service_too(session, queues):
    world = queues[0]
    with pytest.raises(ValidationFailed) as exc:
        views.queue_page(session, "nonsense", actor=world.users[WO].actor)
    assert exc.value.errors == [("queue", "invalid")]


def test_queues_of_gives_each_roles_own_queue_in_order():
    assert views.queues_of(set()) == []
    assert views.queues_of({Role.SUBJECT, Role.AUDITOR}) == []
    assert views.queues_of({ADJ, WO}) == ["intake", "adjudication"]
    assert views.queues_of(set(Role)) == ["intake", "investigation", "adjudication"]


# --- the casework page ---------------------------------------------------------------------


def _links(html: str, table_id: str) -> list[str]:
    return re.findall(r'href="/casework/([0-9a-f-]{36})"', element(html, f'id="{table_id}"'))


@pytest.mark.parametrize("role, queue, table", [
    (WO, "intake", "intake"), (INV, "investigation", "investigation-queue"),
    (ADJ, "adjudication", "adjudication-queue")])
def test_the_casework_page_walks_each_queue_by_its_next_link(web, queues, role, queue, table):
    world, _, c, want = queues
    for k in range(50):  # past the first page of 50, for each queue
        if queue == "intake":
            want[queue].append(c.add("submitted", minute=10_000 + k))
        elif queue == "investigation":
            want[queue].append(c.add("investigation", minute=10_000 + k,
                                     investigator=world.users[INV].user_id))
        else:
            want[queue].append(c.add("adjudication", minute=10_000 + k,
                                     investigator=world.users[INV].user_id))
            c.add("adjudication", minute=10_000 + k, investigator=world.users[ADJ].user_id)
    c.s.commit()
    browser = web(world.users[role])
    got, url = [], "/casework"
    for _ in range(5):
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        got += _links(page.text, table)
        m = re.search(rf'id="{table}-next-page" href="([^"]+)"', page.text)
        if m is None:
            break
        url = m[1]
        assert url.startswith(f"/casework?{queue}_cursor=")
    assert got == want[queue]


def test_the_casework_page_refuses_a_bad_cursor(web, queues):
    world = queues[0]
    page = web(world.users[WO]).get("/casework?intake_cursor=not-a-cursor")
    assert page.status_code == 422
    assert "/casework/" not in page.text  # the error page, no queue


# --- a collection's access list --------------------------------------------------------------


@pytest.fixture
def access(session):
    """The agency's collection with 7 handlers (three granted at the same moment, so the
    person id breaks the tie), and another agency's collection with its own handlers."""
    world = make_world(session)
    agency = world.users[Role.AGENCY_OFFICIAL]
    other_gov = make_org(session, kind="government_body", name_ja="他省", name_en="Other")
    other = make_user(session, Role.AGENCY_OFFICIAL, other_gov.id)
    mine, theirs = make_collection(session, agency).id, make_collection(session, other).id
    people = [make_person(session, employer_id=world.gov.id) for _ in range(7)]
    for k, p in enumerate(people):
        intel.grant(session, mine, p.id, actor=agency.actor)
        intel.grant(session, theirs, p.id, actor=other.actor)
        session.flush()
        session.execute(update(IntelCollectionMember).where(
            IntelCollectionMember.person_id == p.id).values(
            granted_at=T0 + timedelta(minutes=min(k, 3))))
    want = [p.id for p in sorted(people, key=lambda p: (min(people.index(p), 3), p.id))]
    session.commit()
    return world, other, mine, theirs, want


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_the_access_list_walked_in_pages_is_exactly_the_collections_own(session, access,
                                                                        limit):
    world, other, mine, theirs, want = access
    got, cursor = [], None
    while True:
        rows, cursor = intel.access_list(session, mine, actor=world.users[
            Role.AGENCY_OFFICIAL].actor, cursor=cursor, limit=limit)
        assert len(rows) <= limit
        got += [r["person_id"] for r in rows]
        if cursor is None:
            break
        assert len(rows) == limit
    assert got == want
    rows, _ = intel.access_list(session, theirs, actor=other.actor, limit=100)
    assert [r["person_id"] for r in rows] == want  # granted at the same moments there


def test_another_agencys_access_list_is_not_found(session, access):
    from hozen.errors import NotFound

    world, other, mine, theirs, _ = access
    with pytest.raises(NotFound):
        intel.access_list(session, theirs, actor=world.users[Role.AGENCY_OFFICIAL].actor)
    with pytest.raises(NotFound):
        intel.access_list(session, mine, actor=other.actor)


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4IiwieSJd", "A" * 201])
def test_a_bad_access_list_cursor_names_the_cursor(session, access, cursor):
    world, _, mine, _, _ = access
    with pytest.raises(ValidationFailed) as exc:
        intel.access_list(session, mine, actor=world.users[Role.AGENCY_OFFICIAL].actor,
                          cursor=cursor)
    assert exc.value.errors == [("cursor", "cursor_invalid")]


def test_the_collection_page_walks_the_access_list_by_its_next_link(session, web, access):
    world, _, mine, _, want = access
    agency = world.users[Role.AGENCY_OFFICIAL]
    for k in range(50):  # past the first page of 50
        p = make_person(session, employer_id=world.gov.id)
        intel.grant(session, mine, p.id, actor=agency.actor)
        session.flush()
        session.execute(update(IntelCollectionMember).where(
            IntelCollectionMember.person_id == p.id).values(
            granted_at=T0 + timedelta(hours=1, minutes=k)))
        want.append(p.id)
    session.commit()
    browser = web(agency)
    got, url = [], f"/intel/collections/{mine}"
    for _ in range(4):
        page = browser.get(url)
        assert page.status_code == 200, page.text[:300]
        got += re.findall(r"<li><code>([0-9a-f-]{36})</code>", element(page.text, 'id="members"'))
        m = re.search(r'id="members-next-page" href="([^"]+)"', page.text)
        if m is None:
            break
        url = m[1]
        assert url.startswith(f"/intel/collections/{mine}?members_cursor=")
    assert got == want
    bad = browser.get(f"/intel/collections/{mine}?members_cursor=not-a-cursor")
    assert bad.status_code == 422


# --- statements per page stay flat as rows grow ------------------------------------------------


def test_queue_pages_do_not_grow_with_their_rows(client, engine, queues):
    world, _, c, _ = queues
    lists = [(world.users[WO], "/clearance-queue/intake?limit=50"),
             (world.users[INV], "/clearance-queue/investigation?limit=50"),
             (world.users[ADJ], "/clearance-queue/adjudication?limit=50")]
    lists += [(world.users[r], "/clearance-queue") for r in (WO, INV, ADJ)]
    few = {(r.username, p): statements(client, engine, r, p) for r, p in lists}
    for _ in range(40):
        c.add("submitted")
        c.add("investigation", investigator=world.users[INV].user_id)
        c.add("adjudication", investigator=world.users[INV].user_id,
              found_by=(world.users[INV].user_id,))
        c.add("adjudication", investigator=world.users[ADJ].user_id)
    c.s.commit()
    assert {(r.username, p): statements(client, engine, r, p) for r, p in lists} == few


def test_access_list_pages_do_not_grow_with_their_rows(session, engine, access):
    world, _, mine, _, _ = access
    agency = world.users[Role.AGENCY_OFFICIAL]

    def count() -> int:
        with counting(engine) as seen:
            rows, _ = intel.access_list(session, mine, actor=agency.actor, limit=50)
        session.rollback()
        assert rows
        return len(seen)

    few = count()
    for _ in range(30):
        intel.grant(session, mine, make_person(session, employer_id=world.gov.id).id,
                    actor=agency.actor)
    session.commit()
    assert count() == few


def test_following_one_queues_next_link_keeps_the_others_place(session, web, queues):
    """A user with two queues pages the adjudication queue while on a later page of the
    intake: the adjudication queue's next link keeps the intake's cursor."""
    from hozen.accounts.models import UserRole

    world, _, c, _ = queues
    both = make_user(session, WO, world.gov.id)
    session.add(UserRole(user_id=both.user_id, role=ADJ.value))
    for k in range(55):  # more than a page of the adjudication queue
        c.add("adjudication", minute=20_000 + k, investigator=world.users[INV].user_id)
    for k in range(55):  # and of the intake
        c.add("submitted", minute=20_000 + k)
    session.commit()
    browser = web(both)
    first = browser.get("/casework")
    intake_next = re.search(r'id="intake-next-page" href="([^"]+)"', first.text)[1]
    intake_cursor = intake_next.split("intake_cursor=")[1].split("#")[0]
    second = browser.get(intake_next)
    assert second.status_code == 200
    link = re.search(r'id="adjudication-queue-next-page" href="([^"]+)"', second.text)[1]
    link = link.replace("&amp;", "&")
    assert f"intake_cursor={intake_cursor}" in link and "adjudication_cursor=" in link
    third = browser.get(link)
    assert third.status_code == 200
    # the intake stays on its second page while the adjudication queue moves on
    assert _links(third.text, "intake") == _links(second.text, "intake")
    assert _links(third.text, "adjudication-queue") != _links(second.text, "adjudication-queue")

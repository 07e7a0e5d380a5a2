"""Cursor pagination of the remaining lists of communities, events, the inbox and the audit
log (issue 10 item 3): a community's members, posts and files, an event's attendance and
materials, a user's notifications and the audit log, each walked to its end a few rows a
page with rows out of the list (another community's or event's, above the reader's level,
another user's) interleaved and times that tie. Every row the reader may see comes
exactly once, in order, every page but the last full; a reader who may see fewer rows
sees only those, whatever cursor they send; a cursor this server did not hand out is a
422 naming `cursor`; and the pages link to the next until every row is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import new_id, session_factory, utcnow
from hozen.notifications.models import Notification
from hozen.notifications.services import notify
from hozen.paging import encode_cursor
from hozen.sharing.models import (
    Community,
    CommunityMember,
    CommunityPost,
    EventRegistration,
    SharedFile,
    SharingEvent,
)
from tests.factories import Login, World, make_person
from tests.functional.test_communities import Hub, hub  # noqa: F401
from tests.functional.test_designations import assert_problem
from tests.functional.test_list_cursors import BAD_CURSORS
from tests.functional.test_list_paging_registers import (
    LIMIT,
    Listed,
    check_walks,
    follow,
    get,
)

N = 7  # rows of each kind in each list
AGO = Role.AGENCY_OFFICIAL
RULE = {"min_level": "CUI", "regimes": "", "programmes": "", "nationalities": "",
        "organisation_kinds": "", "releasable_to": ""}
LEVELS = ("CESI", "CUI", "UNMARKED")  # the CUI-only member reads the last two


@dataclass
class Readers:
    world: World
    manager: Login  # the agency official who manages the community and organises the event
    cleared: Login  # an admitted member and registered attendee with a CESI clearance
    cui: Login  # likewise with a CUI authorization only
    community: str
    other_community: str
    event: str
    other_event: str


def _container(session, world: World, k: int) -> tuple[Community, SharingEvent]:
    manager, start = world.users[AGO].user_id, utcnow() + timedelta(days=3)
    c = Community(id=new_id(), name_ja=f"会{k}", name_en=f"Circle {k}", manager_id=manager,
                  **RULE)
    e = SharingEvent(id=new_id(), title_ja=f"会合{k}", title_en=f"Meeting {k}",
                     location="会議室", starts_at=start, ends_at=start + timedelta(hours=2),
                     capacity=1000, organiser_id=manager, **RULE)
    session.add_all([c, e])
    session.flush()
    return c, e


def add_rows(session, r: Readers, n: int) -> None:
    """n people applying to and registered for both communities and both events, n posts,
    files and materials in each at each level in turn, and n notices to the one member
    (every other one to the other member too): times tie in threes, so the order rests on
    the id as well."""
    base, ago = utcnow() - timedelta(days=1), r.world.users[AGO].user_id
    for k in range(n):
        at = base + timedelta(minutes=k // 3)
        person = make_person(session, employer_id=r.world.gov.id,
                             given_name_kanji="員" + "一" * (k % 5))
        for community, event in ((r.community, r.event), (r.other_community, r.other_event)):
            session.add(CommunityMember(id=new_id(), community_id=community,
                                        person_id=person.id, applied_at=at,
                                        status=("applied", "admitted", "refused")[k % 3]))
            session.add(EventRegistration(id=new_id(), event_id=event, person_id=person.id,
                                          registered_at=at))
            level, author = LEVELS[k % 3], r.cleared.person_id
            session.add(CommunityPost(id=new_id(), community_id=community, author_id=author,
                                      title=f"投稿{k}", body="本文", level=level, tlp="AMBER",
                                      created_at=at))
            for container in ({"community_id": community}, {"event_id": event}):
                session.add(SharedFile(id=new_id(), title=f"資料{k}", filename="a.txt",
                                       content_type="text/plain", size=1, content=b"x",
                                       level=level, tlp="GREEN", uploaded_by=ago,
                                       created_at=at, **container))
        for login in (r.cleared, r.cui)[:1 + k % 2]:
            notify(session, login.user_id, "community_admitted", {"community": f"Circle {k}"},
                   f"paging-more-b:{login.user_id}:{new_id()}", at)
    session.commit()


@pytest.fixture
def readers(session, hub: Hub) -> Readers:  # noqa: F811
    w = hub.world
    (c, e), (other_c, other_e) = _container(session, w, 0), _container(session, w, 1)
    for login in (hub.cleared, hub.cui):
        for community, event in ((c, e), (other_c, other_e)):
            session.add(CommunityMember(id=new_id(), community_id=community.id,
                                        person_id=login.person_id, status="admitted"))
            session.add(EventRegistration(id=new_id(), event_id=event.id,
                                          person_id=login.person_id))
    session.commit()
    r = Readers(w, w.users[AGO], hub.cleared, hub.cui, c.id, other_c.id, e.id, other_e.id)
    add_rows(session, r, N)
    return r


# --- what each reader may see, in SQL here (never through the services) -------------------


def _levels(r: Readers, who: str) -> tuple[str, ...]:
    return LEVELS if who == "cleared" else LEVELS[1:]


LISTS: dict[str, Listed] = {
    "members": Listed(CommunityMember, ("applied_at", "id"), False, {
        "manager": lambda r: CommunityMember.community_id == r.community},
        path=lambda r: f"/communities/{r.community}/members"),
    "posts": Listed(CommunityPost, ("created_at", "id"), True, {
        "cleared": lambda r: (CommunityPost.community_id == r.community)
        & CommunityPost.level.in_(_levels(r, "cleared")),
        "cui": lambda r: (CommunityPost.community_id == r.community)
        & CommunityPost.level.in_(_levels(r, "cui"))},
        path=lambda r: f"/communities/{r.community}/posts"),
    "files": Listed(SharedFile, ("created_at", "id"), True, {
        "cleared": lambda r: (SharedFile.community_id == r.community)
        & SharedFile.level.in_(_levels(r, "cleared")),
        "cui": lambda r: (SharedFile.community_id == r.community)
        & SharedFile.level.in_(_levels(r, "cui"))},
        path=lambda r: f"/communities/{r.community}/files"),
    "attendance": Listed(EventRegistration, ("registered_at", "id"), False, {
        "manager": lambda r: EventRegistration.event_id == r.event},
        path=lambda r: f"/events/{r.event}/attendance"),
    "materials": Listed(SharedFile, ("created_at", "id"), False, {
        "cleared": lambda r: (SharedFile.event_id == r.event)
        & SharedFile.level.in_(_levels(r, "cleared")),
        "cui": lambda r: (SharedFile.event_id == r.event)
        & SharedFile.level.in_(_levels(r, "cui"))},
        path=lambda r: f"/events/{r.event}/materials"),
    "notifications": Listed(Notification, ("created_at", "id"), True, {
        "cleared": lambda r: Notification.user_id == r.cleared.user_id,
        "cui": lambda r: Notification.user_id == r.cui.user_id}, path=lambda r:
        "/me/notifications"),
}


@pytest.mark.parametrize("name", LISTS)
def test_each_list_walks_to_its_end_in_order_within_the_readers_scope(client, engine, readers,
                                                                      name):
    listed = LISTS[name]
    check_walks(client, engine, listed, readers, listed.path(readers))


def test_a_walk_shows_the_rows_of_the_list_and_only_them(client, readers):
    """The rows out of each list (another community's or event's, another user's) exist,
    and no walk ever shows one; the member list names each person with their standing."""
    pages = []
    cursor = None
    while True:
        body = get(client, readers.manager, f"/communities/{readers.community}/members",
                   limit=LIMIT, **({"cursor": cursor} if cursor else {})).json()
        pages += body["items"]
        if (cursor := body["next_cursor"]) is None:
            break
    assert {m["community_id"] for m in pages} == {readers.community}
    assert all(m["name"] for m in pages)
    mine = {m["person_id"]: m for m in pages}
    assert mine[readers.cleared.person_id]["active"] is True
    assert {m["status"] for m in pages} == {"applied", "admitted", "refused"}


def test_a_reader_outside_a_list_is_refused_as_before(client, readers):
    """Authorization is unchanged by paging: another manager's community is not found, a
    non-member and a non-attendee are refused, and the audit log is for auditors only."""
    w = readers.world
    cso = w.users[Role.COMPANY_SECURITY_OFFICER]
    for path in (f"/communities/{readers.community}/members",
                 f"/events/{readers.event}/attendance"):
        assert get(client, cso, path).status_code == 404, path
        assert get(client, cso, path, cursor=encode_cursor(
            [utcnow().isoformat(), new_id()])).status_code == 404, path
    for path in (f"/communities/{readers.community}/posts",
                 f"/communities/{readers.community}/files",
                 f"/events/{readers.event}/materials"):
        assert get(client, readers.manager, path).status_code == 403, path
    assert get(client, readers.cleared, "/audit/events").status_code == 403


@pytest.mark.parametrize("name", LISTS)
def test_a_bad_cursor_or_limit_is_a_422_naming_it(client, readers, name):
    listed = LISTS[name]
    login = getattr(readers, next(iter(listed.scope)))
    bad_cursors = dict(BAD_CURSORS)
    bad_cursors["not a time"] = bad_cursors.pop("two keys")  # (time, id): a time comes first
    for label, bad in bad_cursors.items():
        r = get(client, login, listed.path(readers), cursor=bad)
        assert r.status_code == 422, (name, label, r.text)
        assert_problem(r, 422, "cursor")
    for limit in (0, 101, "all"):
        assert_problem(get(client, login, listed.path(readers), limit=limit), 422, "limit")


# --- the audit log: keyed by its sequence number ----------------------------------------------


def _seqs(engine, after: int) -> list[int]:
    with session_factory(engine)() as s:
        return list(s.scalars(select(AuditEvent.seq).where(AuditEvent.seq > after)
                              .order_by(AuditEvent.seq)))


def test_the_audit_log_walks_by_sequence_number(client, engine, readers):
    auditor = readers.world.users[Role.AUDITOR]
    with session_factory(engine)() as s:
        top = s.scalar(select(func.max(AuditEvent.seq)))
    after = top - 9  # the last ten events, and whatever the walk itself appends
    before = _seqs(engine, after)
    seen, cursor, pages = [], None, 0
    while True:
        body = get(client, auditor, "/audit/events", after=after, limit=LIMIT,
                   **({"cursor": cursor} if cursor else {})).json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) == LIMIT or body["next_cursor"] is None
        seen += [e["seq"] for e in body["items"]]
        pages += 1
        if (cursor := body["next_cursor"]) is None:
            break
    assert pages >= 5 and seen == sorted(set(seen)) and set(before) <= set(seen)
    assert seen == [q for q in _seqs(engine, after) if q <= seen[-1]]
    # the cursor is the sequence number of the last row: the next page follows it
    first = get(client, auditor, "/audit/events", after=after, limit=3).json()
    rest = get(client, auditor, "/audit/events", after=after, limit=3,
               cursor=first["next_cursor"]).json()
    assert rest["items"][0]["seq"] == seen[3]
    for label, bad in {"not JSON": "Zm9v", "a string": encode_cursor(["12"]),
                       "a number out of range": encode_cursor([2**63]),
                       "a negative number": encode_cursor([-1]),
                       "true": encode_cursor([True]), "two keys": encode_cursor([1, 2]),
                       "too long": "A" * 201}.items():
        r = get(client, auditor, "/audit/events", cursor=bad)
        assert r.status_code == 422, (label, r.text)
        assert_problem(r, 422, "cursor")
    assert_problem(get(client, auditor, "/audit/events", after=2**63), 422, "after")


# --- the pages: a "next page" link for each list, followed to the end ---------------------------


def _expected(engine, readers: Readers, name: str, who: str) -> set[str]:
    listed = LISTS[name]
    with session_factory(engine)() as s:
        return set(s.scalars(select(listed.model.id).where(listed.scope[who](readers))))


def test_the_pages_link_to_the_next_until_every_row_is_shown(web, engine, session, readers):
    add_rows(session, readers, 52)  # more than a page (50) of each list
    manager, cleared, cui = web(readers.manager), web(readers.cleared), web(readers.cui)
    community, event = f"/communities/{readers.community}", f"/events/{readers.event}"
    for browser, who, url, name, marker, link in (
            (manager, "manager", community, "members", 'id="member-', "members-next-page"),
            (manager, "manager", event, "attendance", 'id="registration-',
             "attendance-next-page"),
            (cleared, "cleared", community, "posts", 'id="post-', "posts-next-page"),
            (cui, "cui", community, "posts", 'id="post-', "posts-next-page"),
            (cleared, "cleared", community, "files", 'data-file="', "files-next-page"),
            (cleared, "cleared", event, "materials", 'data-file="', "materials-next-page"),
            (cui, "cui", event, "materials", 'data-file="', "materials-next-page"),
            (cleared, "cleared", "/inbox", "notifications", 'data-notice="', "next-page")):
        expected = _expected(engine, readers, name, who)
        seen = follow(browser, url, marker, link)
        assert len(seen) == len(set(seen)) and set(seen) == expected, (name, who)
        # more than a page of each; the CUI member reads a third fewer posts and materials
        assert len(seen) > (30 if who == "cui" else 50), (name, who)
    assert manager.get(f"{community}?members_cursor=Zm9v").status_code == 422
    assert cleared.get(f"{community}?posts_cursor=Zm9v").status_code == 422
    assert manager.get(f"{event}?attendance_cursor=Zm9v").status_code == 422
    assert cleared.get("/inbox?cursor=Zm9v").status_code == 422

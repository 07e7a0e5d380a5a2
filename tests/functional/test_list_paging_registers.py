"""Cursor pagination of the lists that were capped or read whole (issue 10 item 3): the
candidate list, ownership, the handler register, custody logs, where every item is, and
mass notices. Each is walked to its end a few rows a page, with rows the reader may see
interleaved with rows they may not: every row they may see comes exactly once, in the
list's order, every page but the last is full, and no reader pages into another's rows,
even with a cursor another reader was given. A cursor this server did not hand out is a
422 naming `cursor`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.clearances.models import ClearanceCase
from hozen.db import new_id, session_factory, utcnow
from hozen.facilities.models import CustodyEvent, Handler
from hozen.notifications.notice_models import MassNotice
from hozen.paging import decode_cursor, encode_cursor
from hozen.registry.models import OwnershipEdge
from tests.factories import Login, make_org, make_ownership, make_person
from tests.functional.test_designations import assert_problem, extra_user
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import Setup, world  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_list_cursors import BAD_CURSORS

API = "/api/v1"
N = 7  # rows of each kind, shared between two organisations
LIMIT = 2  # small pages: a walk crosses several
CSO, AGENCY = Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL


@dataclass
class Readers:
    window: Login
    cso: Login  # the company's security officer
    other_cso: Login  # the other company's
    agency: Login  # the agency official of the government body
    other_agency: Login  # an official of another agency
    setup: Setup
    owned: str  # an organisation with N owners
    retired: set[str]  # cases past the employer's retention: the window's only


@pytest.fixture
def readers(session, registers: Setup) -> Readers:  # noqa: F811
    w, s = registers.world, registers
    other_gov = make_org(session, kind="government_body", name_ja="他省", name_en="Other")
    owned = make_org(session, name_ja="被所有社", name_en="Owned")
    session.commit()
    other_agency = extra_user(session, [AGENCY], other_gov.id)
    orgs = (w.company.id, w.other_company.id)
    cso_user = w.users[CSO].user_id
    now = utcnow()
    retired = set()
    for k in range(N):
        org = orgs[k % 2]
        person = make_person(session, employer_id=org, given_name_kanji="一" * (k + 1))
        # the company's candidate list; two of its cases are past retention (kept only
        # by the window), so a page of the employer's is read across them
        gone = k in (2, 4)
        case = ClearanceCase(id=new_id(), person_id=person.id, regime="CESI",
                             sponsor_id=w.gov.id, employer_id=org, listed_by=cso_user,
                             state="refused" if gone else "listed",
                             updated_at=now - timedelta(days=800) if gone else now)
        if gone:
            retired.add(case.id)
        owner = make_org(session, name_ja=f"株主{k}", name_en=f"Owner {k}")
        make_ownership(session, owned.id, owner.id)
        make_ownership(session, owner.id, w.company.id)  # not among owned's owners
        session.add_all([case, Handler(
            id=new_id(), item_id=s.cesi["id"], organisation_id=org, person_id=person.id,
            added_on=now.date() - timedelta(days=k % 3), added_by=cso_user)])
        # custody of the CESI item at both organisations, some at the same moment
        session.add(CustodyEvent(
            id=new_id(), item_id=s.cesi["id"], organisation_id=org, kind="handling",
            person_id=person.id, occurred_at=now - timedelta(hours=k // 3), note=f"{k}",
            recorded_by=cso_user))
        session.add(MassNotice(
            id=new_id(), title=f"通知{k}", body="本文", audience=json.dumps({}),
            sender_id=cso_user, sender_organisation_id=(w.gov.id, other_gov.id)[k % 2]))
    session.add(CustodyEvent(id=new_id(), item_id=s.sds["id"], organisation_id=w.company.id,
                             kind="receipt", person_id=s.sds_cleared, occurred_at=now,
                             recorded_by=cso_user))
    session.commit()
    return Readers(w.users[Role.WINDOW_OFFICER], w.users[CSO], s.other_cso, w.users[AGENCY],
                   other_agency, s, owned.id, retired)


# --- what each reader may see, in SQL here (never through the services) -------------------


@dataclass
class Listed:
    model: type
    keys: tuple[str, ...]  # the order of the list
    newest_first: bool
    scope: dict[str, Callable[[Readers], object]]  # reader -> the rows they may see
    path: Callable[[Readers], str] = None  # the path, when it names an object
    id_field: str = "id"  # the field of an answer that names its row
    shared: bool = False  # every reader sees the same rows (else each fewer than the first)


def _cesi(r: Readers) -> str:
    return r.setup.cesi["id"]


def _latest(r: Readers):
    """Per item and organisation, the last event: where each item is."""
    ev, e = CustodyEvent.__table__.alias("ev").c, CustodyEvent
    later = select(ev.id).where(
        ev.item_id == e.item_id, ev.organisation_id == e.organisation_id,
        (ev.occurred_at > e.occurred_at)
        | ((ev.occurred_at == e.occurred_at) & (ev.recorded_at > e.recorded_at))
        | ((ev.occurred_at == e.occurred_at) & (ev.recorded_at == e.recorded_at)
           & (ev.id > e.id)))
    return ~later.exists()


HANDLER_ORDER = ("organisation_id", "added_on", "id")
EVENT_ORDER = ("occurred_at", "recorded_at", "id")
LISTS: dict[str, Listed] = {
    "/clearance-cases": Listed(ClearanceCase, ("id",), False, {
        "window": lambda r: True,
        "cso": lambda r: (ClearanceCase.employer_id == r.cso.org_id)
        & ClearanceCase.id.not_in(r.retired),
        "other_cso": lambda r: (ClearanceCase.employer_id == r.other_cso.org_id)
        & ClearanceCase.id.not_in(r.retired)}),
    "/ownership?owned_id": Listed(OwnershipEdge, ("id",), False, {
        "window": lambda r: OwnershipEdge.owned_id == r.owned},
        path=lambda r: f"/ownership?owned_id={r.owned}"),
    "/item-handlers": Listed(Handler, HANDLER_ORDER, False, {
        "window": lambda r: True, "cso": lambda r: Handler.organisation_id == r.cso.org_id,
        "other_cso": lambda r: Handler.organisation_id == r.other_cso.org_id}),
    "/items/{item_id}/handlers": Listed(Handler, HANDLER_ORDER, False, {
        "window": lambda r: Handler.item_id == _cesi(r),
        "cso": lambda r: (Handler.item_id == _cesi(r))
        & (Handler.organisation_id == r.cso.org_id),
        "other_cso": lambda r: (Handler.item_id == _cesi(r))
        & (Handler.organisation_id == r.other_cso.org_id)},
        path=lambda r: f"/items/{_cesi(r)}/handlers"),
    "/items/{item_id}/custody": Listed(CustodyEvent, EVENT_ORDER, False, {
        "window": lambda r: CustodyEvent.item_id == _cesi(r),
        "cso": lambda r: (CustodyEvent.item_id == _cesi(r))
        & (CustodyEvent.organisation_id == r.cso.org_id),
        "other_cso": lambda r: (CustodyEvent.item_id == _cesi(r))
        & (CustodyEvent.organisation_id == r.other_cso.org_id)},
        path=lambda r: f"/items/{_cesi(r)}/custody"),
    "/custody/where": Listed(CustodyEvent, ("item_id", "organisation_id"), False, {
        "window": _latest,
        "cso": lambda r: _latest(r) & (CustodyEvent.organisation_id == r.cso.org_id),
        "other_cso": lambda r: _latest(r)
        & (CustodyEvent.organisation_id == r.other_cso.org_id)},
        id_field="event_id"),
    "/notices": Listed(MassNotice, ("id",), True, {
        "window": lambda r: True,
        "agency": lambda r: MassNotice.sender_organisation_id == r.agency.org_id,
        "other_agency": lambda r: MassNotice.sender_organisation_id
        == r.other_agency.org_id}),
}


def get(client, login: Login, path: str, **params):
    """GET of an API path that may carry a query of its own (kept alongside `params`)."""
    path, _, query = path.partition("?")
    fixed = dict(p.split("=", 1) for p in query.split("&") if p)
    return client.get(API + path, headers=login.headers, params=fixed | params)


def walk(client, login: Login, path: str, limit: int = LIMIT) -> list[list[dict]]:
    """Follow next_cursor to the end; the pages in order."""
    pages, cursor = [], None
    while len(pages) < 100:
        r = get(client, login, path, limit=limit, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"}, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


def visible(engine, listed: Listed, readers: Readers, who: str) -> dict[str, tuple]:
    """id -> the ordering keys of the rows `who` may see."""
    m = listed.model
    cols = [getattr(m, k) for k in listed.keys]
    with session_factory(engine)() as s:
        rows = s.execute(select(m.id, *cols).select_from(m).where(
            listed.scope[who](readers))).all()
    return {row[0]: tuple(_naive(v) for v in row[1:]) for row in rows}


def _naive(v):
    # SQLite hands times back without their zone; compare in UTC either way
    return v.replace(tzinfo=None) if isinstance(v, datetime) else v


def check_walks(client, engine, listed: Listed, readers: Readers, path: str) -> None:
    """Every reader's walk: each visible row once, in order, every page but the last full;
    and with each cursor the first reader (who sees the most) was given, each reader sees
    only their rows after it."""
    lead = next(iter(listed.scope))
    everything = visible(engine, listed, readers, lead)
    for who in listed.scope:
        expected = visible(engine, listed, readers, who)
        assert who == lead or 0 < len(expected) < len(everything) or (
            listed.shared and expected == everything), (path, who)
        pages = walk(client, getattr(readers, who), path, LIMIT)
        assert len(pages) == -(-len(expected) // LIMIT), (path, who, [len(p) for p in pages])
        assert all(len(p) == LIMIT for p in pages[:-1]), (path, who)
        rows = [x[listed.id_field] for p in pages for x in p]
        assert len(rows) == len(set(rows)) and set(rows) == set(expected), (path, who)
        keys = [expected[i] for i in rows]
        assert keys == sorted(keys, reverse=listed.newest_first), (path, who)
    assert len(walk(client, getattr(readers, lead), path, LIMIT)) >= 2, path
    cursors, cursor = [], None
    while True:
        r = get(client, getattr(readers, lead), path, limit=LIMIT,
                **({"cursor": cursor} if cursor else {}))
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        cursors.append(cursor)
    cols = [getattr(listed.model, k) for k in listed.keys]
    for who in listed.scope:
        mine = visible(engine, listed, readers, who)
        for cursor in cursors:
            after = tuple(_naive(v) for v in decode_cursor(cursor, cols))
            r = get(client, getattr(readers, who), path, limit=100, cursor=cursor)
            assert r.status_code == 200, r.text
            later = [i for i, k in mine.items()
                     if (k < after if listed.newest_first else k > after)]
            assert [x[listed.id_field] for x in r.json()["items"]] == sorted(
                later, key=mine.get, reverse=listed.newest_first), (path, who)


@pytest.mark.parametrize("name", LISTS)
def test_each_list_walks_to_its_end_in_order_within_the_readers_scope(client, engine, readers,
                                                                      name):
    listed = LISTS[name]
    path = listed.path(readers) if listed.path else name
    check_walks(client, engine, listed, readers, path)


@pytest.mark.parametrize("name", LISTS)
def test_a_bad_cursor_or_limit_is_a_422_naming_it(client, readers, name):
    listed = LISTS[name]
    path = listed.path(readers) if listed.path else name
    bad_cursors = BAD_CURSORS | {"keys short of the list's": encode_cursor(
        ["x"] * (len(listed.keys) - 1))}
    if len(listed.keys) == 2:  # (item, organisation): two strings are a cursor
        del bad_cursors["two keys"]
    for label, bad in bad_cursors.items():
        r = get(client, readers.window, path, cursor=bad)
        assert r.status_code == 422, (path, label, r.text)
        assert_problem(r, 422, "cursor")
    for limit in (0, 101, "all"):
        assert_problem(get(client, readers.window, path, limit=limit), 422, "limit")


def test_reads_of_people_are_recorded_for_the_page_read(client, session, readers):
    """The handler register records the rows of each page it hands out, and only them."""
    from hozen.audit.models import AuditEvent

    first = client.get(f"{API}/item-handlers", headers=readers.cso.headers,
                       params={"limit": LIMIT}).json()
    read = session.scalars(select(AuditEvent).where(
        AuditEvent.tag == "facilities:handler:read").order_by(AuditEvent.seq.desc())).first()
    assert len(first["items"]) == LIMIT and first["next_cursor"]
    details = json.loads(read.details) if isinstance(read.details, str) else read.details
    assert details["read"] == [h["id"] for h in first["items"]]


# --- the pages: a "next page" link, followed to the end ---------------------------------------


def follow(browser, url: str, marker: str, link_id: str = "next-page") -> list[str]:
    """The ids shown (after `marker`) on a page and every page its link leads to."""
    import re

    seen: list[str] = []
    for _ in range(30):
        r = browser.get(url)
        assert r.status_code == 200, r.text[:300]
        seen += dict.fromkeys(re.findall(re.escape(marker) + r'([0-9a-f-]{36})"', r.text))
        link = re.search(rf'<a id="{link_id}" href="([^"]+)"', r.text)
        if link is None:
            return seen
        url = link[1].replace("&amp;", "&")
    raise AssertionError("the pages never ended")


def test_the_pages_link_to_the_next_until_every_row_is_shown(web, engine, session, readers):
    s, w = readers.setup, readers.setup.world
    now = utcnow()
    for k in range(52):  # more than a page (50) of each
        person = make_person(session, employer_id=w.company.id, given_name_kanji="多" * (k + 1))
        session.add_all([
            ClearanceCase(id=new_id(), person_id=person.id, regime="CESI",
                          sponsor_id=w.gov.id, employer_id=w.company.id,
                          listed_by=w.users[CSO].user_id, state="listed"),
            Handler(id=new_id(), item_id=s.cesi["id"], organisation_id=w.company.id,
                    person_id=person.id, added_on=now.date(), added_by=w.users[CSO].user_id),
            CustodyEvent(id=new_id(), item_id=s.cesi["id"], organisation_id=w.company.id,
                         kind="handling", person_id=person.id, occurred_at=now,
                         recorded_by=w.users[CSO].user_id),
            MassNotice(id=new_id(), title=f"多{k}", body="本文", audience="{}",
                       sender_id=w.users[CSO].user_id, sender_organisation_id=w.gov.id)])
    session.commit()
    cso, window = web(readers.cso), web(readers.window)
    cases = follow(cso, "/candidates", 'data-case="')
    assert set(cases) == set(visible(engine, LISTS["/clearance-cases"], readers, "cso"))
    assert len(cases) == len(set(cases)) > 50
    handlers = follow(cso, "/registers", 'data-handler="', "handlers-next-page")
    assert set(handlers) == set(visible(engine, LISTS["/item-handlers"], readers, "cso"))
    assert len(handlers) == len(set(handlers)) > 50
    item = f"/registers/items/{s.cesi['id']}"
    log = follow(window, item, 'data-event="')
    assert set(log) == set(visible(engine, LISTS["/items/{item_id}/custody"], readers,
                                   "window")) and len(log) == len(set(log)) > 50
    notices = follow(window, "/notices", 'data-notice="')
    assert set(notices) == set(visible(engine, LISTS["/notices"], readers, "window"))
    assert len(notices) == len(set(notices)) > 50
    for browser, url in ((cso, "/candidates?cursor=Zm9v"),
                         (cso, "/registers?handlers_cursor=Zm9v"),
                         (cso, "/registers?where_cursor=Zm9v"),
                         (window, f"{item}?cursor=Zm9v"), (window, "/notices?cursor=Zm9v")):
        assert browser.get(url).status_code == 422, url  # a cursor not handed out

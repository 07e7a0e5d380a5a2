"""Cursor pagination of the window's casework lists and of the sharing lists (issue 10
item 3): complaints (the window's, and a subject's own), reportable events not yet
assessed, open correction requests, communities and upcoming events. Each is walked to
its end a few rows a page, with rows out of the list (another's, already assessed or
decided, over) interleaved: every row the reader may see comes exactly once, in order,
every page but the last full; and the pages link to the next until every row is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.clearances.models import ClearanceCase, Complaint, CorrectionRequest, ReportableEvent
from hozen.clearances.services import _seal
from hozen.db import new_id, utcnow
from hozen.sharing.models import Community, SharingEvent
from tests.factories import Login, World, detached_world, make_person
from tests.functional.test_designations import assert_problem
from tests.functional.test_list_cursors import BAD_CURSORS
from tests.functional.test_list_paging_registers import (
    LIMIT,
    Listed,
    check_walks,
    follow,
    get,
    visible,
)

N = 7
WO, SUBJECT, AGO = Role.WINDOW_OFFICER, Role.SUBJECT, Role.AGENCY_OFFICIAL


@dataclass
class Readers:
    window: Login
    subject: Login  # world.staff's own account
    world: World


def _case(session, world: World, person_id: str) -> ClearanceCase:
    case = ClearanceCase(id=new_id(), person_id=person_id, regime="CESI",
                         sponsor_id=world.gov.id, employer_id=world.company.id,
                         listed_by=world.users[Role.COMPANY_SECURITY_OFFICER].user_id,
                         state="denied")
    session.add(case)
    session.flush()
    return case


def add_rows(session, world: World, n: int, *, stranger: str | None = None) -> None:
    """n of each row, every other one out of its list (another person's complaint, an
    assessed event, a decided request, an event already over)."""
    window, now = world.users[WO].user_id, utcnow()
    mine = _case(session, world, world.staff.id)
    theirs = _case(session, world, stranger or make_person(
        session, employer_id=world.company.id, given_name_kanji="他人").id)
    for k in range(n):
        out = k % 2 == 1
        c = Complaint(id=new_id(), case_id=(theirs if out else mine).id, kind="assessment",
                      status="answered" if k % 3 == 2 else "open")
        c.content = _seal("complaint", c.id, {"text": f"苦情{k}"})
        e = ReportableEvent(id=new_id(), person_id=world.staff.id, kind="arrest",
                            occurred_on=now.date(), reported_by=window,
                            adverse=False if out else None)
        e.details = _seal("event", e.id, {"text": f"事象{k}"})
        r = CorrectionRequest(id=new_id(), person_id=world.staff.id,
                              status="rejected" if out else "open")
        r.content = _seal("correction", r.id, {"field": "title", "value": f"主任{k}",
                                               "reason": "昇進"})
        rule = {"min_level": "CUI", "regimes": "", "programmes": "", "nationalities": "",
                "organisation_kinds": "", "releasable_to": ""}
        community = Community(id=new_id(), name_ja=f"会{k}", name_en=f"Circle {k}",
                              manager_id=window, **rule)
        start = now - timedelta(days=3) if out else now + timedelta(days=1 + k // 4)
        event = SharingEvent(id=new_id(), title_ja=f"会合{k}", title_en=f"Meeting {k}",
                             location="会議室", starts_at=start,
                             ends_at=start + timedelta(hours=2), capacity=10,
                             organiser_id=window, **rule)
        session.add_all([c, e, r, community, event])
    session.commit()


@pytest.fixture
def readers(session) -> Readers:
    world = detached_world(session)
    add_rows(session, world, N)
    return Readers(world.users[WO], world.users[SUBJECT], world)


def _own(r: Readers):
    return Complaint.case_id.in_(
        select(ClearanceCase.id).where(
            ClearanceCase.person_id == r.world.staff.id))


LISTS: dict[str, Listed] = {
    "/complaints": Listed(Complaint, ("id",), False, {"window": lambda r: True}),
    "/me/complaints": Listed(Complaint, ("id",), False, {"subject": _own}),
    "/reportable-events": Listed(ReportableEvent, ("id",), False, {
        "window": lambda r: ReportableEvent.adverse.is_(None)}),
    "/corrections": Listed(CorrectionRequest, ("id",), False, {
        "window": lambda r: CorrectionRequest.status == "open"}),
    "/communities": Listed(Community, ("id",), False, {
        "window": lambda r: True, "subject": lambda r: True}, shared=True),
    "/events": Listed(SharingEvent, ("ends_at", "id"), False, {
        "window": lambda r: SharingEvent.ends_at >= utcnow(),
        "subject": lambda r: SharingEvent.ends_at >= utcnow()}, shared=True),
}


@pytest.mark.parametrize("path", LISTS)
def test_each_list_walks_to_its_end_in_order(client, engine, readers, path):
    listed = LISTS[path]
    shown = visible(engine, listed, readers, next(iter(listed.scope)))
    everything = visible(engine, Listed(listed.model, listed.keys, False, {
        "all": lambda r: True}), readers, "all")
    assert len(shown) > LIMIT  # more than one page
    # rows out of the list (another's, assessed, decided, over) lie between its rows
    assert path in ("/communities", "/complaints") or len(shown) < len(everything)
    check_walks(client, engine, listed, readers, path)


def test_a_subject_pages_through_their_own_complaints_only(client, session, engine,
                                                           readers):
    """Another subject, with complaints of their own: neither sees the other's, whatever
    cursor they send."""
    from tests.factories import make_user

    other = make_person(session, employer_id=readers.world.company.id, given_name_kanji="乙")
    other_login = make_user(session, SUBJECT, readers.world.company.id, other.id)
    session.commit()
    add_rows(session, readers.world, 4, stranger=other.id)
    readers.other = other_login
    listed = Listed(Complaint, ("id",), False, {
        "subject": _own, "other": lambda r: Complaint.case_id.in_(
            select(ClearanceCase.id).where(
                ClearanceCase.person_id == other.id))})
    mine, theirs = (visible(engine, listed, readers, w) for w in ("subject", "other"))
    assert mine and theirs and not set(mine) & set(theirs)
    for who, expected in (("subject", mine), ("other", theirs)):
        login = getattr(readers, who)
        seen, cursor = [], None
        while True:
            body = get(client, login, "/me/complaints", limit=LIMIT,
                       **({"cursor": cursor} if cursor else {})).json()
            seen += [c["id"] for c in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(expected), who
    # the window's cursors, sent by a subject: only their own rows after it
    first = get(client, readers.window, "/complaints", limit=1).json()
    after = first["items"][0]["id"]
    r = get(client, readers.subject, "/me/complaints", limit=100,
            cursor=first["next_cursor"]).json()
    assert [c["id"] for c in r["items"]] == sorted(i for i in mine if i > after)


@pytest.mark.parametrize("path", LISTS)
def test_a_bad_cursor_or_limit_is_a_422_naming_it(client, readers, path):
    login = getattr(readers, next(iter(LISTS[path].scope)))
    bad_cursors = dict(BAD_CURSORS)
    if len(LISTS[path].keys) == 2:  # (ends_at, id): a time is a key, not a string
        bad_cursors["not a time"] = bad_cursors.pop("two keys")
    for label, bad in bad_cursors.items():
        r = get(client, login, path, cursor=bad)
        assert r.status_code == 422, (path, label, r.text)
        assert_problem(r, 422, "cursor")
    for limit in (0, 101, "all"):
        assert_problem(get(client, login, path, limit=limit), 422, "limit")


def test_the_pages_link_to_the_next_until_every_row_is_shown(web, engine, session, readers):
    add_rows(session, readers.world, 2 * 52)  # more than a page (50) of each, in each list
    window = web(readers.window)
    for name, list_path, marker in (
            ("complaints", "/complaints", 'id="complaint-'),
            ("events", "/reportable-events", 'id="event-'),
            ("corrections", "/corrections", 'id="correction-')):
        listed = LISTS[list_path]
        scope = dict(listed.scope)
        if name == "complaints":  # the page lists the open ones
            scope = {"window": lambda r: Complaint.status == "open"}
        expected = visible(engine, Listed(listed.model, listed.keys, False, scope), readers,
                           "window")
        seen = follow(window, "/casework/aftercare", marker, f"{name}-next-page")
        assert len(seen) == len(set(seen)) and set(seen) == set(expected), name
        assert len(seen) > 50, name
        assert window.get(f"/casework/aftercare?{name}_cursor=Zm9v").status_code == 422
    for path, marker in (("/communities", 'data-community="'), ("/events", 'data-event="')):
        expected = visible(engine, LISTS[path], readers, "window")
        seen = follow(window, path, marker)
        assert len(seen) == len(set(seen)) and set(seen) == set(expected) and len(seen) > 50
        assert window.get(f"{path}?cursor=Zm9v").status_code == 422, path

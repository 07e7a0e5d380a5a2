"""Access checks decided in groups (hozen.access.batcher), against a real `hozen serve`:
checks asked at once share transactions yet each gets its own answer and refusal, and
its decision is in the audit log exactly once, with its request id (one event per caller
per group: one chain link per batch); a check is answered only once its audit record is
committed, so when a group's transaction fails no check of it is answered as decided
and every check that was answered is in the log."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select, text

from hozen.access.schemas import AccessRequest
from hozen.access.services import decide
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import new_id
from hozen.designations.models import Item
from tests.factories import detached_world
from tests.servers import served

API = "/api/v1/access/check"
CSO = Role.COMPANY_SECURITY_OFFICER


def _items(session, world, n: int) -> list[str]:
    ids = []
    for k in range(n):
        item = Item(id=new_id(), title=f"group {k}", kind="document", owner_id=world.gov.id,
                    created_by=world.users[Role.AGENCY_OFFICIAL].user_id)
        session.add(item)
        ids.append(item.id)
    session.commit()
    return ids


def _ask_all(url: str, asks: list[tuple[dict, dict]]) -> list[httpx.Response]:
    """Every check sent at once (one connection each), in order of the list; from a
    thread of its own (a browser test may have left an event loop running in this one)."""
    async def ask() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await asyncio.gather(*(client.post(API, headers=h, json=b)
                                          for h, b in asks))

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ask()).result()


def _group_counts(url: str) -> tuple[float, float]:
    """(groups, checks) from the server's /metrics."""
    body = httpx.get(url + "/metrics", timeout=10).text
    count = float(re.search(r"^hozen_access_check_groups_count (\S+)$", body, re.M)[1])
    total = float(re.search(r"^hozen_access_check_groups_sum (\S+)$", body, re.M)[1])
    return count, total


def _events(session) -> list[AuditEvent]:
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.tag == "access:decision")))
    session.rollback()
    return rows


def _logged(events: list[AuditEvent]) -> list[tuple[str, AuditEvent, list]]:
    """(request id, event, decision) of every decision in the log: an event of one
    check carries its request id in its own column, one of several lists theirs."""
    out = []
    for e in events:
        details = json.loads(e.details)
        ids = details.get("request_ids")
        if ids is None:
            assert len(details["decisions"]) == 1
            ids = [e.request_id]
        else:
            assert e.request_id is None and len(ids) == len(details["decisions"]) > 1
        out += [(i, e, d) for i, d in zip(ids, details["decisions"], strict=True)]
    return out


def test_checks_asked_at_once_share_groups_and_keep_their_own_answers(session, tmp_path):
    w = detached_world(session)
    items = _items(session, w, 5)
    cso, window = w.users[CSO].headers, w.users[Role.WINDOW_OFFICER].headers
    good = [(h, {"person_id": p, "item_id": i})
            for n in range(24) for h, p, i in
            [(window if n % 2 else cso, w.staff.id, items[n % 5])]]
    refused = [
        (cso, {"person_id": w.outsider.id, "item_id": items[0]}),  # not their staff: 404
        (cso, {"person_id": w.staff.id, "item_id": new_id()}),  # no such item: 422
        ({"Authorization": "Bearer hzn_" + "A" * 43}, {"person_id": w.staff.id,
                                                       "item_id": items[0]}),  # 401
    ]
    expected = {}
    for h, b in good:  # the same decisions taken one by one, in-process
        who = w.users[CSO] if h is cso else w.users[Role.WINDOW_OFFICER]
        expected[b["item_id"]] = decide(session, AccessRequest(**b), actor=who.actor,
                                        lang="en").model_dump()
    session.rollback()  # nothing of these in the log
    asks = good[:12] + refused + good[12:]
    with served(tmp_path / "serve.log") as server:
        responses = _ask_all(server.url, asks)
        groups, checks = _group_counts(server.url)
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 12 + [404, 422, 401] + [200] * 12, statuses
    assert responses[13].json()["errors"][0]["field"] == "item_id"
    for (_h, b), r in zip(asks, responses, strict=True):
        if r.status_code == 200:
            got = r.json()
            assert (got["person_id"], got["item_id"]) == (b["person_id"], b["item_id"])
            want = expected[b["item_id"]]
            assert got["permit"] == want["permit"]
            assert [x["code"] for x in got["reasons"]] == [x["code"] for x in want["reasons"]]
    assert checks == len(asks) and groups < checks  # some checks shared a transaction
    # each answered check's decision logged once, under its request id and its caller;
    # nothing for refusals; a caller's checks of one group share one event
    events = _events(session)
    logged = _logged(events)
    answered = Counter(r.headers["x-request-id"] for r in responses if r.status_code == 200)
    assert Counter(i for i, _e, _d in logged) == answered
    by_request = {i: (e, d) for i, e, d in logged}
    for (h, b), r in zip(asks, responses, strict=True):
        if r.status_code == 200:
            e, d = by_request[r.headers["x-request-id"]]
            who = w.users[CSO] if h is cso else w.users[Role.WINDOW_OFFICER]
            got = r.json()
            assert e.actor == f"user:{who.user_id}"
            assert d == [b["person_id"], b["item_id"], int(got["permit"]),
                         [x["code"] for x in got["reasons"]]]


def _poison(session, item_id: str) -> None:
    """A real fault: the database itself refuses the audit record of one item's check."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "CREATE FUNCTION hozen_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.details LIKE '%{item_id}%' THEN RAISE EXCEPTION 'refused'; "
            "END IF; RETURN NEW; END $$"))
        session.execute(text("CREATE TRIGGER hozen_test_refuse BEFORE INSERT ON audit_event "
                             "FOR EACH ROW EXECUTE FUNCTION hozen_test_refuse()"))
    else:
        session.execute(text(
            "CREATE TRIGGER hozen_test_refuse BEFORE INSERT ON audit_event "
            f"WHEN NEW.details LIKE '%{item_id}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    session.commit()


@pytest.fixture
def poisoned(session):
    yield
    session.rollback()
    session.execute(text("DROP TRIGGER IF EXISTS hozen_test_refuse" + (
        " ON audit_event" if session.get_bind().dialect.name == "postgresql" else "")))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP FUNCTION IF EXISTS hozen_test_refuse()"))
    session.commit()


def test_no_check_is_answered_unless_its_audit_record_is_committed(session, tmp_path,
                                                                   poisoned):
    w = detached_world(session)
    items = _items(session, w, 4)
    bad = items[0]
    _poison(session, bad)
    window = w.users[Role.WINDOW_OFFICER].headers
    asks = [(window, {"person_id": w.staff.id, "item_id": items[n % 4]}) for n in range(40)]
    with served(tmp_path / "serve.log") as server:
        responses = _ask_all(server.url, asks)
        after = httpx.post(server.url + API, headers=window, timeout=30,
                           json={"person_id": w.staff.id, "item_id": items[1]})
    # (SQLite reports the trigger's refusal as a constraint failure: 409; PostgreSQL: 500)
    failed = [r for r in responses if r.status_code != 200]
    assert {r.status_code for r in failed} <= {409, 500}
    # every check of the refused item failed, and so did whatever shared its group
    assert all(r.status_code != 200 for (_h, b), r in zip(asks, responses, strict=True)
               if b["item_id"] == bad)
    assert len(failed) >= 10
    assert after.status_code == 200  # the server goes on deciding
    # no acknowledged decision lost; nothing recorded for a check that was not answered
    events = _events(session)
    answered = Counter(r.headers["x-request-id"] for r in responses if r.status_code == 200)
    answered[after.headers["x-request-id"]] += 1
    assert Counter(i for i, _e, _d in _logged(events)) == answered
    assert not any(bad in e.details for e in events)


def test_a_group_records_one_event_per_caller_listing_each_request(session):
    """decide_group itself: three checks by two callers (and a refusal) in one group."""
    from hozen.access.batcher import Check, decide_group

    w = detached_world(session)
    items = _items(session, w, 2)
    session.rollback()
    cso, window = w.users[CSO].token, w.users[Role.WINDOW_OFFICER].token
    loop = asyncio.new_event_loop()

    def check(token, person, item, rid):
        return Check(token, AccessRequest(person_id=person, item_id=item), "en", rid,
                     loop.create_future())

    group = [check(cso, w.staff.id, items[0], "req-a-0001"),
             check(window, w.staff.id, items[1], "req-b-0002"),
             check(cso, w.outsider.id, items[0], "req-c-0003"),  # not their staff: 404
             check(cso, w.staff.id, items[1], "req-d-0004")]
    outcomes = decide_group(group)
    loop.close()
    assert [getattr(o, "status", 200) for o in outcomes] == [200, 200, 404, 200]
    events = sorted(_events(session), key=lambda e: e.actor != f"user:{w.users[CSO].user_id}")
    assert [e.actor for e in events] == [f"user:{w.users[CSO].user_id}",
                                         f"user:{w.users[Role.WINDOW_OFFICER].user_id}"]
    first, second = (json.loads(e.details) for e in events)
    assert first["request_ids"] == ["req-a-0001", "req-d-0004"] and events[0].request_id is None
    assert [d[:2] for d in first["decisions"]] == [[w.staff.id, items[0]], [w.staff.id, items[1]]]
    assert events[0].subject_id == w.staff.id  # one person: named
    assert "request_ids" not in second and events[1].request_id == "req-b-0002"
    assert [d[:2] for d in second["decisions"]] == [[w.staff.id, items[1]]]
    assert [i for i, _e, _d in _logged(events)] == ["req-a-0001", "req-d-0004", "req-b-0002"]


def test_a_failed_group_records_nothing_and_leaves_its_connection_fit_for_the_next(
        session, poisoned):
    """decide_group itself, when the database refuses the group's audit record: the error
    is SQLAlchemy's (as from any session), nothing of the group is written, and the next
    group, on the same pool, is decided in a transaction of its own again."""
    from sqlalchemy.exc import DBAPIError

    from hozen.access.batcher import Check, decide_group
    from hozen.config import get_settings
    from hozen.db import get_engine

    w = detached_world(session)
    bad, good = _items(session, w, 2)
    _poison(session, bad)
    session.rollback()
    cso = w.users[CSO].token
    loop = asyncio.new_event_loop()

    def group(item, rid):
        return [Check(cso, AccessRequest(person_id=w.staff.id, item_id=item), "en", rid,
                      loop.create_future())]

    with pytest.raises(DBAPIError):
        decide_group(group(bad, "req-bad-0001"))
    assert decide_group(group(good, "req-good-0002"))[0].permit is not None
    loop.close()
    assert [i for i, _e, _d in _logged(_events(session))] == ["req-good-0002"]
    engine = get_engine(get_settings())
    if engine.dialect.name == "postgresql":  # the pooled connection left autocommit mode
        with engine.connect() as conn:
            assert conn.connection.driver_connection.autocommit is False
            conn.execute(text("SELECT 1"))
            assert conn.connection.driver_connection.info.transaction_status != 0  # not IDLE

"""The access check's own way through the HTTP stack (hozen.api.check_path): a
well-formed check is answered without FastAPI's routing, exactly as the route answers
it; anything else reaches the route with its body intact, and is answered (or refused)
as ever."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from hozen.accounts.permissions import Role
from hozen.api.check_path import CheckPath, check_route, well_formed
from hozen.app import create_app
from hozen.db import new_id
from hozen.designations.models import Item
from tests.factories import detached_world

PATH = "/api/v1/access/check"
CSO, WINDOW = Role.COMPANY_SECURITY_OFFICER, Role.WINDOW_OFFICER
JSON = {"content-type": "application/json"}


@pytest.fixture
def world(session):
    w = detached_world(session)
    item = Item(id=new_id(), title="path", kind="document", owner_id=w.gov.id,
                created_by=w.users[Role.AGENCY_OFFICIAL].user_id)
    session.add(item)
    session.commit()
    w.item = item.id
    return w


@pytest.fixture
def both(clean):
    """A client of the application as served, and one of the same application without
    the check path (every check through the route)."""
    plain = create_app()
    plain.user_middleware = [m for m in plain.user_middleware if m.cls is not CheckPath]
    with TestClient(create_app()) as served, TestClient(plain) as route:
        yield served, route


def _same(served: TestClient, route: TestClient, headers: dict, body: bytes,
          query: str = "") -> int:
    """Ask both; they answer alike (status, type, body, the bearer challenge)."""
    a = served.post(PATH + query, headers=headers, content=body)
    b = route.post(PATH + query, headers=headers, content=body)
    assert (a.status_code, a.headers.get("content-type")) == (
        b.status_code, b.headers.get("content-type")), (a.text, b.text)
    assert a.json() == b.json()
    assert a.headers.get("www-authenticate") == b.headers.get("www-authenticate")
    for name in ("x-request-id", "content-security-policy", "cache-control"):
        assert name in a.headers, name
    return a.status_code


def test_well_formed_checks_are_answered_as_the_route_answers_them(world, both):
    served, route = both
    cso, window = world.users[CSO].headers, world.users[WINDOW].headers
    ok = json.dumps({"person_id": world.staff.id, "item_id": world.item}).encode()
    cases = [
        (cso | JSON, ok, "", 200),
        (window | JSON, ok, "?lang=en", 200),
        (cso | {"content-type": "application/json; charset=utf-8"}, ok, "?lang=ja", 200),
        (cso | JSON, json.dumps({"person_id": world.outsider.id,  # not their staff
                                 "item_id": world.item}).encode(), "", 404),
        (cso | JSON, json.dumps({"person_id": world.staff.id,
                                 "item_id": new_id()}).encode(), "", 422),
        (cso | JSON, json.dumps({"person_id": world.staff.id, "item_id": world.item,
                                 "area_id": new_id()}).encode(), "", 422),
        ({"authorization": "Bearer hzn_" + "A" * 43} | JSON, ok, "", 401),
    ]
    for headers, body, query, status in cases:
        assert _same(served, route, headers, body, query) == status, (headers, body)


def test_anything_else_reaches_the_route_and_is_answered_as_ever(world, both):
    served, route = both
    cso = world.users[CSO].headers
    ok = {"person_id": world.staff.id, "item_id": world.item}
    cases = [
        ({} | JSON, json.dumps(ok).encode(), ""),  # no token
        ({"authorization": "Basic eDp5"} | JSON, json.dumps(ok).encode(), ""),
        ({"authorization": "Bearer "} | JSON, json.dumps(ok).encode(), ""),
        (cso | {"content-type": "text/plain"}, json.dumps(ok).encode(), ""),
        (cso, json.dumps(ok).encode(), ""),  # no content type
        (cso | JSON, b"{not json", ""),
        (cso | JSON, b"", ""),
        (cso | JSON, b"[1, 2]", ""),
        (cso | JSON, json.dumps({"person_id": world.staff.id}).encode(), ""),
        (cso | JSON, json.dumps(ok | {"extra": 1}).encode(), ""),
        (cso | JSON, json.dumps(ok | {"item_id": "not-an-id"}).encode(), ""),
        (cso | JSON, json.dumps(ok | {"action": "write"}).encode(), ""),
        (cso | JSON, json.dumps(ok | {"person_id": world.staff.id + "\u0000"}).encode(), ""),
        (cso | JSON, json.dumps(ok).encode(), "?lang=fr"),
    ]
    for headers, body, query in cases:
        assert _same(served, route, headers, body, query) >= 400, (headers, body, query)
    # a query parameter the route does not know: the route's answer (it ignores it)
    assert _same(served, route, cso | JSON, json.dumps(ok).encode(), "?lang=en&x=1") == 200


class Inner:
    """The application behind the check path: records what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(app, headers: dict, chunks: list[bytes], query: bytes = b"", *, cut: bool = False,
          root: str = "") -> int:
    """Status answered to a POST of `chunks` (`cut`: the client goes away after them)."""
    scope = {"type": "http", "method": "POST", "path": root + PATH, "query_string": query,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "scheme": "http",
             "root_path": root, "raw_path": PATH.encode(), "http_version": "1.1",
             "asgi": {"version": "3.0"}, "state": {}}
    parts = [{"type": "http.request", "body": c, "more_body": cut or n < len(chunks) - 1}
             for n, c in enumerate(chunks)]
    sent = []

    async def receive():
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"] if sent else 0


def test_the_route_is_not_reached_by_a_well_formed_check(world, client):
    app = client.app
    inner = Inner()
    path = CheckPath(inner, route=check_route(app), handlers=app.exception_handlers)
    cso = world.users[CSO].headers
    body = json.dumps({"person_id": world.staff.id, "item_id": world.item}).encode()
    # a body in three pieces is read whole and answered here
    assert _call(path, cso | JSON, [body[:5], body[5:20], body[20:]]) == 200
    assert inner.bodies == []
    # a refusal of the decision itself is answered here too, by the application's handler
    assert _call(path, cso | JSON, [json.dumps(
        {"person_id": world.outsider.id, "item_id": world.item}).encode()]) == 404
    assert inner.bodies == []
    # what does not validate reaches the route with every byte, however it came
    bad = json.dumps({"person_id": world.staff.id}).encode()
    assert _call(path, cso | JSON, [bad[:7], bad[7:]]) == 299
    assert inner.bodies == [bad]
    assert _call(path, cso | JSON, [body], b"lang=de") == 299
    assert inner.bodies[-1] == body
    # a client gone before its whole body came: the route hears of it, as it always has
    assert _call(path, cso | JSON, [body[:9]], cut=True) == 299
    assert inner.bodies[-1] == body[:9]
    assert _call(path, cso | JSON, [], cut=True) == 299
    assert inner.bodies[-1] == b""
    # behind a root path (uvicorn --root-path) the check is still answered here
    before = len(inner.bodies)
    assert _call(path, cso | JSON, [body], root="/hozen") == 200
    assert len(inner.bodies) == before


@pytest.mark.parametrize(("headers", "query", "expected"), [
    ({"authorization": "Bearer abc", "content-type": "application/json"}, b"",
     ("abc", "ja")),
    ({"authorization": "bearer  abc ", "content-type": "Application/JSON"}, b"lang=en",
     ("abc", "en")),
    ({"content-type": "application/json", "authorization": "Bearer abc"}, b"lang=ja",
     ("abc", "ja")),
    ({"authorization": "Bearer abc", "content-type": "application/json"}, b"lang=EN", None),
    ({"authorization": "Bearer abc", "content-type": "application/jsonx"}, b"", None),
    ({"authorization": "Token abc", "content-type": "application/json"}, b"", None),
    ({"authorization": "Bearer", "content-type": "application/json"}, b"", None),
    ({"content-type": "application/json"}, b"", None),
    ({"authorization": "Bearer abc"}, b"", None),
])
def test_well_formed_reads_the_token_language_and_type(headers, query, expected):
    scope = {"query_string": query,
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    assert well_formed(scope) == expected


def test_the_first_authorization_header_counts_as_for_the_route():
    scope = {"query_string": b"", "headers": [
        (b"authorization", b"Basic eDp5"), (b"authorization", b"Bearer abc"),
        (b"content-type", b"application/json")]}
    assert well_formed(scope) is None

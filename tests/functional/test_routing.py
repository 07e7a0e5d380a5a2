"""Route matching by index (hozen.api.routing) picks exactly the route a linear scan of
the application's routes picks (Starlette's rule: the first full match, else the first
match for another method), for every route of the application, for paths no route
serves and for their slash redirects; and over HTTP answers as the router would."""

import re

import pytest
from fastapi import APIRouter
from starlette.routing import Match

from hozen.api.routing import Indexed, candidates, include, key, literal, route_path


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict:
    return {"type": "http", "method": method, "path": root_path + path,
            "root_path": root_path, "headers": [], "query_string": b""}


def _scan(routes, scope):
    """The route, and its child scope, a linear scan hands the request to."""
    partial = None
    for route in routes:
        match, child = route.matches(dict(scope))
        if match == Match.FULL:
            return route, child
        if match == Match.PARTIAL and partial is None:
            partial = route, child
    return partial


def _same(a, b) -> bool:
    """The same route (itself, not an equal one) with the same child scope, or both none."""
    return (a is None and b is None) or (a is not None and b is not None
                                         and a[0] is b[0] and a[1] == b[1])


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _paths(app) -> set[str]:
    """Every route's path, and paths near them that no route (or another) serves."""
    out = {"/nope", "/api/v1/nope", "/api/v1/people/x1/nope", "/", "/api/v1/people/",
           "/static", "/static/hozen.css", "/static/", "/taxii2/", "/api", "/api/v1",
           "/api/v1/", "//", "/api//v1/me", "/healthz/", "/healthz/x"}
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            concrete = _concrete(path)
            out |= {concrete, concrete + "/", concrete + "/x1", concrete.rstrip("/"),
                    concrete.rsplit("/", 1)[0] or "/"}
    return out - {""}


def test_the_application_router_looks_routes_up_by_index(app):
    indexed = app.router.middleware_stack
    assert isinstance(indexed, Indexed)
    assert len(indexed.routes) > 300 and indexed.routes == tuple(app.router.routes)
    assert not any(hasattr(r, "original_router") for r in app.router.routes)  # flat


def test_every_route_is_picked_as_a_linear_scan_picks_it(app):
    indexed, routes = app.router.middleware_stack, app.router.routes
    seen = 0
    for path in _paths(app):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            scope = _scope(path, method)
            expected = _scan(routes, scope)
            assert _same(indexed.pick(dict(scope)), expected), (method, path)
            seen += expected is not None and expected[0].matches(dict(scope))[0] == Match.FULL
    assert seen > 300  # every route of the application was picked, not a few


def test_each_path_is_matched_only_against_routes_that_could_match_it(app):
    """Fewer candidates than routes for an API path: the point of the index."""
    indexed = app.router.middleware_stack
    assert len(indexed.lookup("/api/v1/designations")) < 20
    assert len(indexed.lookup("/api/v1/access/check")) < 10
    assert len(indexed.lookup("/static/hozen.css")) < 5
    for path in _paths(app):  # and never fewer than every route that matches
        matching = [r for r in app.router.routes
                    if r.matches(_scope(path, "GET"))[0] != Match.NONE]
        assert set(map(id, matching)) <= set(map(id, indexed.lookup(path))), path


def test_slash_redirects_go_where_a_linear_scan_finds_a_route(app):
    indexed, routes = app.router.middleware_stack, app.router.routes
    redirected = 0
    for path in _paths(app):
        scope = _scope(path)
        if _scan(routes, scope) is not None or path == "/":
            assert indexed.pick(dict(scope)) is not None
            continue
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        expected = _scan(routes, _scope(other)) is not None
        found = indexed.redirect(scope)
        assert (found is not None) == expected, path
        if found is not None:
            assert found["path"] == other
            redirected += 1
    assert redirected > 10


def test_a_path_is_looked_up_without_the_root_path(app):
    indexed = app.router.middleware_stack
    scope = _scope("/api/v1/countries", root_path="/hozen")
    assert route_path(scope) == "/api/v1/countries"
    picked = indexed.pick(dict(scope))
    assert picked[0].path == "/api/v1/countries"
    assert _same(picked, _scan(app.router.routes, scope))


def test_keys_literals_and_candidates():
    assert literal("/api/v1/people/{person_id}/records") == "/api/v1/people/"
    assert literal("/healthz") == "/healthz"
    assert key("/api/v1/people/x1/records") == "/api/v1/people"
    assert key("/api/v1/people/x1", 2) == "/api/v1"
    assert key("/me") == "/me" and key("/") == "/"

    class Route:
        def __init__(self, path):
            self.path = path

    people, person, other, relative = (Route("/api/v1/people"), Route("/api/v1/people/{id}"),
                                       Route("/api/v1/peoples"), Route("relative"))
    routes = [people, person, other, relative]
    assert candidates(routes, "/api/v1/people") == (people, person, other, relative)
    # (a prefix of the key: a necessary condition only, its regex decides)
    assert candidates(routes, "/api/v1/peoples") == (people, other, relative)
    assert candidates(routes, "/api/v1/peo") == (people, person, other, relative)
    assert candidates(routes, "/api/v1/person") == (relative,)
    assert candidates(routes, "/api/v1") == tuple(routes)
    assert candidates(routes, "/api/v2/people") == (relative,)  # always asked


def test_included_routers_are_refused_by_the_index(app):
    router, inner = APIRouter(), APIRouter()

    @inner.get("/x")
    def x():
        return {}

    router.include_router(inner)
    with pytest.raises(ValueError, match="include"):
        Indexed(router)
    with pytest.raises(ValueError, match="route by route"):
        include(APIRouter(), router)


def test_a_route_added_after_the_index_is_still_served(app, client):
    @app.get("/added-later", include_in_schema=False)
    def added():
        return {"added": True}

    assert client.get("/added-later").json() == {"added": True}
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/nope", 404), ("GET", "/nope", 404), ("GET", "/healthz", 200),
    ("DELETE", "/healthz", 405), ("GET", "/static/hozen.css", 200),
    ("GET", "/static/nope.css", 404)])
def test_answers_over_http(client, method, path, status):
    r = client.request(method, path, follow_redirects=False)
    assert r.status_code == status, r.text
    if path.startswith("/api/") and status == 404:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_a_slash_redirect_over_http(app, client):
    indexed = app.router.middleware_stack
    path = next(p for p in sorted(_paths(app))
                if indexed.pick(_scope(p)) is None and indexed.redirect(_scope(p)))
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"].endswith(
        path.rstrip("/") if path.endswith("/") else path + "/")

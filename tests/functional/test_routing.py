"""Route matching with literal-prefix checks (hozen.api.routing) picks exactly the route
FastAPI's own matching picks, for every route of the application and for paths no
route serves."""

import re

import pytest
from starlette.routing import Match

from hozen.api.gates import iter_routes
from hozen.api.routing import literal, prefixes, route_path


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict:
    return {"type": "http", "method": method, "path": root_path + path,
            "root_path": root_path, "headers": [], "query_string": b""}


def _pick(routes, scope, prefiltered: bool):
    """The top-level route the router would hand the request to, and how it matched."""
    partial = None
    for route in routes:
        matches = route.matches if prefiltered else type(route).matches.__get__(route)
        match, _ = matches(dict(scope))
        if match == Match.FULL:
            return route, Match.FULL
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (partial, Match.PARTIAL) if partial is not None else (None, Match.NONE)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_every_route_is_matched_as_without_the_prefix_checks(app):
    routes = app.router.routes
    assert any(route.matches.__name__ == "prefiltered" for route in routes)
    seen = 0
    for leaf in iter_routes(routes):
        path = getattr(leaf, "path", None)
        if not isinstance(path, str):
            continue
        for method in sorted(getattr(leaf, "methods", None) or {"GET"}) + ["PATCH"]:
            scope = _scope(_concrete(path) if path != "/static" else "/static/app.css", method)
            assert _pick(routes, scope, True) == _pick(routes, scope, False), (method, path)
            seen += 1
    assert seen > 300  # every route of the application, not a few


def test_each_route_of_an_included_router_matches_as_without_its_prefix_check(app):
    """Every route is asked with the paths of every route (and a few no route serves):
    with its prefix check it answers exactly what it answers without."""
    leaves = [r for r in iter_routes(app.router.routes)
              if isinstance(getattr(r, "path", None), str)]
    checked = [r for r in leaves if getattr(r.matches, "__name__", "") == "prefiltered"]
    assert len(checked) > 300
    paths = {_concrete(r.path) for r in leaves} | {"/nope", "/api/v1/nope", "/static/app.css"}
    for route in checked:
        plain = type(route).matches.__get__(route)
        for path in paths:
            scope = _scope(path)
            assert route.matches(dict(scope)) == plain(dict(scope)), (route.path, path)


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/people/x1/nope", "/",
                                  "/api/v1/people/", "/static", "/taxii2/"])
def test_paths_no_route_serves_or_redirects_are_answered_alike(app, path):
    routes = app.router.routes
    assert _pick(routes, _scope(path), True) == _pick(routes, _scope(path), False)


def test_a_path_is_checked_without_the_root_path(app):
    routes = app.router.routes
    scope = _scope("/api/v1/countries", root_path="/hozen")
    assert route_path(scope) == "/api/v1/countries"
    route, match = _pick(routes, scope, True)
    assert match == Match.FULL and (route, match) == _pick(routes, scope, False)


def test_literal_prefixes():
    assert literal("/api/v1/people/{person_id}/records") == "/api/v1/people/"
    assert literal("/healthz") == "/healthz"

    class Leaf:
        path = "relative"

    assert prefixes(Leaf()) is None  # a path not from the root: always asked


def test_unknown_paths_are_refused_over_http(client):
    assert client.get("/api/v1/nope").status_code == 404
    assert client.get("/healthz").status_code == 200

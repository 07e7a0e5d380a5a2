"""Route matching by index: a request is matched only against the routes that could
match its path.

FastAPI matches a request against the application's routes one by one, each a regular
expression, and an included router resolves each request through its own machinery
again (FastAPI 0.165: effective route contexts, scope keys set and restored for each
route asked; ~5 % of the server's CPU under the mixed load of bench/load.py). So hozen's
routers are not included but their routes added, as they are, to the application's own
list (`include`: each was built with its router's prefix, tags, responses and route
class), and the application's router looks a request up first (`index`): the routes
whose literal prefix (the path before its first `{parameter}`) agrees with the request
path's first three segments, in the application's order. The first that matches in full
is the one FastAPI's own matching would pick, since no route outside that list can
match; failing that, the first that matches for another method (405), likewise; failing
that, a redirect to the path with its trailing slash added or removed if a route matches
that, else the router's 404: each as FastAPI's own matching answers. (With FastAPI's
telemetry off, as hozen has it, its matching records nothing else.)
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.routing import Match, Mount

SEGMENTS = 3  # a request path is looked up by its first three: /api/v1/designations


def route_path(scope) -> str:
    """The path routes match against (without the root path, as Starlette does)."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and path != root and path[len(root)] == "/":
        return path[len(root):]
    return path


def literal(path: str) -> str:
    """The part of a route's path before its first parameter."""
    return path.split("{", 1)[0]


def key(path: str, segments: int = SEGMENTS) -> str:
    """A path's first `segments` segments, as it begins: the index's key."""
    return "/".join(path.split("/", segments + 1)[:segments + 1])


def include(parent: APIRouter, router: APIRouter) -> None:
    """Add `router`'s routes to `parent`'s list, as they are, in their order."""
    if any(getattr(r, "original_router", None) is not None for r in router.routes):
        raise ValueError("a router whose routers are included cannot be added route by route")
    parent.routes.extend(router.routes)


def candidates(routes: Sequence, k: str) -> tuple:
    """The routes, in order, that could match a path beginning with `k`: those whose
    literal prefix `k` begins with, or which begins with `k`. (A route whose path is not
    from the root could match anything: it is always a candidate.)"""
    found = []
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str) or not path.startswith("/"):
            found.append(route)
            continue
        prefix = path if isinstance(route, Mount) else literal(path)
        if k.startswith(prefix) or prefix.startswith(k):
            found.append(route)
    return tuple(found)


class Indexed:
    """The application router's matching by index (see the module's docstring). Its own
    matching (`fallback`) serves what is not HTTP, and every request once a route has
    been added since the index was built (it would not know that route)."""

    def __init__(self, router: APIRouter) -> None:
        if router.middleware_stack != router.app:  # nothing between router and routes
            raise ValueError("the router has middleware of its own")
        if getattr(router, "_low_priority_routes", None):
            raise ValueError("the router has low-priority routes (not indexed)")
        if any(getattr(r, "original_router", None) is not None for r in router.routes):
            raise ValueError("every router must be added with include(), not included")
        self.router, self.fallback = router, router.app
        self.routes = tuple(router.routes)
        prefixes = {literal(getattr(r, "path", "") or "") for r in self.routes}
        self.index = {k: candidates(self.routes, k) for k in
                      {key(p, n) for p in prefixes for n in range(1, SEGMENTS + 1)}}

    def lookup(self, path: str) -> tuple:
        """The candidates for `path`: its key's, or for a key the index does not hold
        (a path no route's prefix names, a static file), those among a shorter key's."""
        k = key(path)
        found = self.index.get(k)
        if found is not None:
            return found
        for n in range(SEGMENTS - 1, 0, -1):  # (a key's are candidates for every longer)
            wider = self.index.get(key(path, n))
            if wider is not None:
                return candidates(wider, k)
        return candidates(self.routes, k)

    def pick(self, scope) -> tuple | None:
        """(route, child scope) of the route the router hands the request to: the first
        that matches in full, else the first that matches for another method (405)."""
        partial = None
        for route in self.lookup(route_path(scope)):
            match, child_scope = route.matches(scope)
            if match == Match.FULL:
                return route, child_scope
            if match == Match.PARTIAL and partial is None:
                partial = route, child_scope
        return partial

    def redirect(self, scope) -> dict | None:
        """The scope of the path with its trailing slash added or removed, where no route
        matches the path but one matches that (the router redirects there)."""
        path = route_path(scope)
        if not self.router.redirect_slashes or path == "/":
            return None
        other = dict(scope)
        other["path"] = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
        if any(route.matches(other)[0] != Match.NONE
               for route in self.lookup(route_path(other))):
            return other
        return None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or len(self.router.routes) != len(self.routes):
            return await self.fallback(scope, receive, send)
        scope.setdefault("router", self.router)  # as the router's own matching does
        picked = self.pick(scope)
        if picked is not None:
            route, child_scope = picked
            scope.update(child_scope)
            return await route.handle(scope, receive, send)
        other = self.redirect(scope)
        if other is not None:
            return await RedirectResponse(str(URL(scope=other)))(scope, receive, send)
        await self.router.default(scope, receive, send)


def index(router: APIRouter) -> None:
    """Have `router` (the application's) look a request's route up by index."""
    router.middleware_stack = Indexed(router)

"""Faster route matching: each top-level route first checks the path's literal prefix.

FastAPI matches a request against the application's routes one by one, each a regular
expression (and, for an included router, against each of its routes in turn): about 360
of them, ~1 ms of CPU for a route near the end of the list. A route's path can only match
a request path that begins with the literal text before its first `{parameter}`, so
each top-level route (an included router, a mount, a route) is given the tuple of its
routes' literal prefixes, and is asked to match only when the path starts with one; so
is each route of an included router, with its own.
Matching, its order and its outcome (full, partial for another method, none) are
unchanged: the check is a necessary condition of any match.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import Match, Mount


def route_path(scope) -> str:
    """The path routes match against (without the root path, as Starlette does)."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and path != root and path[len(root)] == "/":
        return path[len(root):]
    return path


def literal(path: str) -> str:
    """The part of a route's path before its first parameter."""
    return path.split("{", 1)[0]


def _leaves(route) -> Iterable:
    inner = getattr(route, "original_router", None)  # FastAPI's lazily included router
    if inner is None:
        yield route
        return
    for child in inner.routes:
        yield from _leaves(child)


def prefixes(route) -> tuple[str, ...] | None:
    """The literal prefixes a request path must start with for `route` to match it;
    None when that cannot be told (the route is then always asked)."""
    found = set()
    for leaf in _leaves(route):
        path = getattr(leaf, "path", None)
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        found.add(literal(path) if not isinstance(leaf, Mount) else path)
    return tuple(sorted(found)) or None


def prefilter(routes: list) -> None:
    """Give every route of this list, and every route of the routers included in it, a
    literal-prefix check before its own matching."""
    for top in routes:
        for route in {id(r): r for r in (top, *_leaves(top))}.values():
            known = prefixes(route)
            if known is not None:
                route.matches = _checked(route.matches, known)


def _checked(matches, known: tuple[str, ...]):
    def prefiltered(scope):
        if scope["type"] in ("http", "websocket") and not route_path(scope).startswith(known):
            return Match.NONE, {}
        return matches(scope)

    return prefiltered

"""The access check's own way through the HTTP stack (issue 10: p99 at 1,000 checks/s).

POST /api/v1/access/check is the busiest route by far, and FastAPI's general machinery
(routing, dependency solving, body parsing, validation, serialising the answer) cost
about three times the rest of a check's HTTP side. A well-formed check — a bearer
token, a JSON body that validates as an AccessRequest, no query string but `lang` —
is answered here instead: the same batcher, the same exception handlers, the same
answer. Anything else goes on to the route, which answers (or refuses) it as it always
has, so every refusal of a malformed request stays FastAPI's own.

Pure ASGI, innermost of hozen's middleware: the request id, security headers, access
log line, metrics and body size limit apply as to every route."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from hozen.access.batcher import batcher
from hozen.access.schemas import AccessRequest
from hozen.api.gates import bearer_token, iter_routes
from hozen.api.routing import route_path

_LANG = {b"": "ja", b"lang=ja": "ja", b"lang=en": "en"}
_JSON = frozenset({b"application/json", b"application/json; charset=utf-8"})


def well_formed(scope) -> tuple[str, str] | None:
    """(bearer token, language) of a check this path answers; None: the route's."""
    lang = _LANG.get(scope["query_string"])
    if lang is None:
        return None
    authorization = content_type = None
    for name, value in scope["headers"]:  # (names are lower case in ASGI; first counts)
        if name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.lower()
    token = bearer_token(authorization or "")
    if token is None or content_type not in _JSON:
        return None
    return token, lang


def check_route(app):
    """The route a check path stands in for: POST /api/v1/access/check's."""
    from hozen.api.access_routes import check

    return next(r for r in iter_routes(app.router.routes)
                if getattr(r, "endpoint", None) is check)


class CheckPath:
    def __init__(self, app, *, route, handlers: dict) -> None:
        self.app = app
        self.route = route  # the route it stands in for (its template names the metrics)
        self.handlers = handlers  # the application's exception handlers

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" \
                or route_path(scope) != self.route.path or (asked := well_formed(scope)) is None:
            return await self.app(scope, receive, send)
        scope["route"] = self.route  # (metrics and the access line name it, whatever follows)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away mid-body:
                return await self.app(scope, _replay(body, receive, message), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            request = AccessRequest.model_validate_json(body)
        except ValidationError:  # the route refuses it, naming the field, as ever
            return await self.app(scope, _replay(body, receive), send)
        try:
            answer = await batcher.submit(asked[0], request, asked[1])
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = await handler(Request(scope, receive), exc)
        else:
            response = Response(answer.model_dump_json(), media_type="application/json")
        await response(scope, receive, send)

    def _handler(self, exc: Exception):
        """The application's handler of this exception's class, as the route's exception
        middleware finds it; none for what reaches the server error middleware (Exception,
        500), which answers 500 and re-raises, logged as a failure."""
        for cls in type(exc).__mro__:
            if cls in (Exception, BaseException):
                return None
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def _replay(body: bytes, receive, then: dict | None = None):
    """A `receive` that gives the body already read (followed by `then`, the message that
    cut it short, if one did), then goes on as the original."""
    queued = [{"type": "http.request", "body": body, "more_body": then is not None}]
    if then is not None:
        queued.append(then)

    async def replay():
        return queued.pop(0) if queued else await receive()

    return replay

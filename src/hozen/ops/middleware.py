"""One pure ASGI middleware per request: the metrics and the access log line, both by
route template, never by the raw path or its query string."""

from __future__ import annotations

import logging
import time

from hozen.ops import metrics
from hozen.ops.logging import ACCESS_LOGGER

log = logging.getLogger(ACCESS_LOGGER)


def _user_id(scope) -> str | None:
    """The signed-in user's opaque id, where the route's gate resolved one."""
    actor = (scope.get("state") or {}).get("actor")
    return getattr(actor, "id", None)


class ObservedRequests:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, send_status)
        except BaseException:
            failed, status = True, 500
            raise
        finally:
            seconds = time.perf_counter() - started
            method, route = scope.get("method", ""), metrics.route_template(scope)
            metrics.observe_request(method, route, status, seconds)
            extra = {"method": method, "route": route, "status": status,
                     "duration_ms": round(seconds * 1000, 1), "user_id": _user_id(scope)}
            log.log(logging.ERROR if failed else logging.INFO, "%s %s %s", method, route,
                    status, extra=extra, exc_info=failed)

"""A request body size limit for the whole application (OWASP ASVS V13.1, issue 11 item 8).

Pure ASGI: a declared Content-Length over the limit is refused before a byte is read; a
body without one (chunked) is counted as it streams, and refused the moment it passes the
limit, whatever the application had begun to answer. Routes keep their own, smaller
limits (CSV imports, shared files, TAXII envelopes) on top of this one."""

from __future__ import annotations

import json

from hozen.messages import message

TYPE = "https://hozen.example/problems/too-large"


class BodyTooLarge(Exception):
    """Raised from `receive` once the streamed body passes the limit."""


def too_large_body(limit: int) -> bytes:
    return json.dumps({
        "type": TYPE, "title": "The request body is too large", "status": 413,
        "field": "body", "max_bytes": limit,
        "errors": [{"field": "body", "code": "body_too_large",
                    "message": message("body_too_large")}],
    }).encode()


def declared_length(headers) -> int | None:
    """The Content-Length header as a number; None when absent or not a number."""
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send) -> None:
        body = too_large_body(self.max_bytes)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = declared_length(scope["headers"])
        if length is not None and length > self.max_bytes:
            return await self._refuse(send)
        seen = 0
        over = False
        started = False

        async def counting_receive():
            nonlocal seen, over
            message_ = await receive()
            if message_["type"] == "http.request":
                seen += len(message_.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise BodyTooLarge
            return message_

        async def guarded_send(message_):
            nonlocal started
            if over:  # whatever the application answers to the cut body is dropped
                return
            started = started or message_["type"] == "http.response.start"
            await send(message_)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(send)

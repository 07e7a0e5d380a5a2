"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives, with
hozen's settings pointed at it while the block runs."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from hozen.config import get_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_inbox(monkeypatch) -> Iterator[Inbox]:
    handler = Inbox()
    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("HOZEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HOZEN_SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        yield handler
    finally:
        server.stop()
        monkeypatch.delenv("HOZEN_SMTP_HOST")
        get_settings.cache_clear()

"""A live hozen server for real-browser tests.

The real application (`hozen.app.create_app()`) is served by uvicorn in a background
thread on a free loopback port, against the test database chosen by tests/conftest.py
(SQLite file or PostgreSQL). The server is started once per test session; each test that
asks for `live_server` gets a freshly wiped database holding one world
(`factories.make_world`: one user per role) and the base URL to point Chromium at.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import pytest
import uvicorn

from tests.factories import PASSWORD, World, make_world


@dataclass
class LiveServer:
    url: str
    world: World
    password: str = PASSWORD

    def username(self, role) -> str:
        return self.world.users[role].username


class _ThreadedServer:
    """uvicorn in a daemon thread, bound to a socket we opened (no port race)."""

    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="hozen-live-server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the hozen live server thread died while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("the hozen live server did not start within 20 s")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="session")
def _hozen_server(engine):
    """The real app on a free 127.0.0.1 port for the whole session (stopped after)."""
    from hozen.app import create_app

    server = _ThreadedServer(create_app())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_server(_hozen_server, clean) -> LiveServer:
    """A wiped database (`clean`) with one world in it, and the URL of the server that
    serves it."""
    from hozen.db import session_factory

    s = session_factory(clean)()
    try:
        world = make_world(s)
    finally:
        s.close()
    return LiveServer(url=_hozen_server.url, world=world)

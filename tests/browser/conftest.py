"""A live hozen server for real-browser tests.

The real application (`hozen.app.create_app()`) is served by uvicorn in a background
thread on a free loopback port, against the test database chosen by tests/conftest.py
(SQLite file or PostgreSQL), after the database has been wiped and given one world
(`factories.make_world`: one user per role). Browser tests are marked
`pytest.mark.browser` (see test_pages.py).
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


def _wipe(config, engine) -> None:
    """tests/conftest.py's `wipe`, taken from the conftest pytest already loaded (importing
    that file again would run its set-up twice and point the settings elsewhere)."""
    for plugin in config.pluginmanager.get_plugins():
        if (getattr(plugin, "__file__", "") or "").endswith("tests/conftest.py") and hasattr(
                plugin, "wipe"):
            plugin.wipe(engine)
            return
    raise RuntimeError("tests/conftest.py is not loaded")


@pytest.fixture(scope="module")
def live_server(request, engine):
    """Wipe the test database, create one world, serve the real app on a free 127.0.0.1
    port in a background thread; yield the base URL and the world; stop the server.

    Module scope: building a world hashes a dozen Argon2 passwords, so the tests of a
    module share one world and each uses data of its own."""
    from hozen.app import create_app
    from hozen.db import session_factory

    _wipe(request.config, engine)
    s = session_factory(engine)()
    try:
        world = make_world(s)
    finally:
        s.close()
    server = _ThreadedServer(create_app())
    server.start()
    try:
        yield LiveServer(url=server.url, world=world)
    finally:
        server.stop()

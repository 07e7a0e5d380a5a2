"""A pooled connection is tested before use only after sitting idle (hozen.db): one in
steady use costs no extra round trip, and one that broke while idle is replaced before
a request sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from hozen import db


@pytest.fixture
def pool(database_url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.2)
    now = [1000.0]
    e = create_engine(database_url, pool_size=1, max_overflow=0)
    db._ping_after_idle(e, clock=lambda: now[0])
    e.now = now
    pings = []
    real = e.dialect.do_ping
    e.dialect.do_ping = lambda conn: pings.append(1) or real(conn)
    e.pings = pings
    yield e
    e.dispose()


def test_a_connection_in_steady_use_is_not_pinged(pool):
    engine, now = pool, pool.now
    for _ in range(5):
        with engine.connect() as c:
            assert c.execute(text("SELECT 1")).scalar() == 1
        now[0] += 0.05  # used again well within the idle second
    assert engine.pings == []


def test_a_connection_idle_for_long_is_pinged_first(pool):
    engine, now = pool, pool.now
    with engine.connect() as c:
        c.execute(text("SELECT 1"))
    now[0] += 0.5
    with engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1
    assert engine.pings == [1]


def test_a_connection_broken_while_idle_is_replaced_before_use(pool):
    engine, now = pool, pool.now
    with engine.connect() as c:
        c.execute(text("SELECT 1"))
        broken = c.connection.dbapi_connection
    broken.close()  # as a server restart or an idle timeout would leave it
    now[0] += 0.5
    with engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1
        assert c.connection.dbapi_connection is not broken
    assert engine.pings == [1]

"""The audit chain's lock and head (hozen.audit.services.locked_head): on PostgreSQL read
in one pipeline on the session's own driver connection; a failure there surfaces as
SQLAlchemy's own error, as any statement's would, and a dead link is not reused."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hozen.audit import services as audit
from hozen.audit.rules import GENESIS
from hozen.db import make_engine


@pytest.fixture
def private(database_url):
    e = make_engine(database_url)
    yield e
    e.dispose()


def test_the_head_of_the_chain_is_read_under_the_lock(private, session):
    audit.record(session, actor="system", tag="test:head:one", subject_type="test")
    session.commit()
    want = audit.head(session)
    session.rollback()
    with Session(private) as s:
        assert audit.locked_head(s) == want != (0, GENESIS)
        s.rollback()


def test_a_link_broken_under_the_lock_raises_sqlalchemys_error(private):
    with Session(private) as s:
        connection = s.connection()
        raw = connection.connection.driver_connection
        raw.close()  # as a server gone away would leave it
        with pytest.raises(DBAPIError):
            audit.locked_head(s)
        assert connection.invalidated or private.dialect.name == "sqlite"
    with Session(private) as s:  # the pool goes on with a live link
        assert audit.locked_head(s)[0] >= 0
        s.rollback()

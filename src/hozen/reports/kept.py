"""Figures kept in step with the rows they count, in the writer's own transaction.

Before each flush a keeper reads what the rows it is about to change add up to; after
the flush it reads them again and adds the difference to its figures. So no write path
through the ORM can forget them, and a flush that is rolled back leaves nothing behind
to be applied by a later one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def keep(name: str, before: Callable[[Session], Any | None],
         after: Callable[[Connection, Any], None]) -> None:
    """Keep figures in step with every flush: `before(session)` reads what the rows about
    to change add up to now (None: this flush changes none of them); `after(connection,
    what before read)` reads them again and applies the difference."""
    pending = "hozen.kept." + name

    @event.listens_for(Session, "before_flush")
    def _before_flush(session: Session, _context, _instances) -> None:
        state = before(session)
        if state is not None:
            session.info.setdefault(pending, []).append(state)

    @event.listens_for(Session, "after_soft_rollback")
    def _forget(session: Session, _previous) -> None:
        session.info.pop(pending, None)

    @event.listens_for(Session, "after_flush")
    def _after_flush(session: Session, _context) -> None:
        states = session.info.pop(pending, None)
        if states:
            conn = session.connection()
            for state in states:
                after(conn, state)

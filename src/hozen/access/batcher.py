"""Access checks decided in groups: one transaction, one epoch read and one commit for
every check waiting, however many callers are asking at once.

POST /access/check hands its token and request to a thread of its own process. The
thread takes every check queued since its last pass, and in one transaction reads the
decision and accounts epochs, resolves each caller's token (cached), decides each check
(cached attributes), records one audit event per caller for the group (issue 10: one
chain link per batch; each decision listed with its request's id), and commits; only
then are the answers released. A check is therefore never answered before its audit record is
durable, and every check is decided on epochs read after it arrived, so a change
committed before the question is always seen. One check's refusal (unknown token,
person or item) is its own; a failure of the transaction fails every check of the group
and none is answered as decided.

On PostgreSQL the group's transaction takes two round trips: BEGIN, the chain lock, the
chain head and the epochs sent as one pipeline, then the audit rows and COMMIT as
another (`_decide_pipelined`); the checks are decided between the two from what the
caches hold, reading through a session only what they lack. On SQLite, whose round
trips cost nothing, the same steps run through one session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hozen.access import cache
from hozen.access import services as access
from hozen.access.schemas import AccessAnswer, AccessRequest
from hozen.accounts.permissions import Permission
from hozen.accounts.tokens import cached_actor
from hozen.audit.rules import GENESIS
from hozen.audit.services import (
    CHAIN_LOCK_KEY,
    HEAD_SQL,
    INSERT_SQL,
    LOCK_SQL,
    append,
    chained,
    new_event,
    request_id_var,
)
from hozen.config import get_settings
from hozen.db import get_engine, is_id, session_factory
from hozen.errors import DomainError, Unauthenticated
from hozen.ops.metrics import GROUPS

log = logging.getLogger(__name__)
MAX_GROUP = 256


@dataclass
class Check:
    token: str
    request: AccessRequest
    lang: str
    request_id: str | None
    answer: asyncio.Future  # of the event loop that asked


class Batcher:
    """The queue of checks waiting and the thread deciding them."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Check] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, token: str, request: AccessRequest, lang: str) -> asyncio.Future:
        """Queue a check (from a running event loop); its answer comes on that loop."""
        answer = asyncio.get_running_loop().create_future()
        self._queue.put(Check(token, request, lang, request_id_var.get(), answer))
        self._ensure_running()
        return answer

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hozen-access-checks",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                outcomes = decide_group(group)
            except BaseException as exc:  # noqa: BLE001 — every waiting caller must hear
                log.exception("access check group failed")
                outcomes = [exc] * len(group)
            release(group, outcomes)


def release(group: list[Check], outcomes: list) -> None:
    """Answer every check, with one wake-up of each event loop that asked."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for check, outcome in zip(group, outcomes, strict=True):
        by_loop.setdefault(check.answer.get_loop(), []).append((check.answer, outcome))
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a loop closed: no one waits there now
            loop.call_soon_threadsafe(_answer, answers)


def _answer(answers: list) -> None:
    for future, outcome in answers:
        if future.done():  # the caller went away (cancelled)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def decide_group(group: list[Check]) -> list[AccessAnswer | DomainError]:
    """Decide a group of checks in one transaction: the answers and refusals, to be
    released only once it has committed."""
    engine = get_engine(get_settings())
    if engine.dialect.name == "postgresql":
        outcomes = _decide_pipelined(engine, group)
    else:
        with session_factory(engine)() as session:
            tags = cache.epochs(session, _people(group), accounts=True)
            outcomes, events = _decide(session, group, tags)
            append(session, events)
            session.commit()
    GROUPS.observe(len(group))
    return outcomes


def _people(group: list[Check]) -> set[str]:
    return {c.request.person_id for c in group if is_id(c.request.person_id)}


def _decide(session: Session, group: list[Check], tags: dict[str, str],
            ) -> tuple[list[AccessAnswer | DomainError], list[dict]]:
    """Each check's answer or refusal, and the audit events of the answers: one per
    caller (a lone check's as it would be on its own, its request id in the event's own
    column). `session` reads only what the caches lack."""
    outcomes: list[AccessAnswer | DomainError] = []
    by_caller: dict[str, tuple[list[str | None], list[AccessAnswer]]] = {}
    for check in group:
        try:
            actor = cached_actor(session, check.token, tags.get(cache.ACCOUNTS))
            if actor is None:
                raise Unauthenticated("a valid bearer token is required")
            actor.require(Permission.ACCESS_CHECK)
            answer = access.decide_many(session, [check.request], actor=actor,
                                        lang=check.lang, tags=tags, audit=False)[0]
        except DomainError as refusal:  # nothing of this check is recorded
            outcomes.append(refusal)
            continue
        outcomes.append(answer)
        ids, answers = by_caller.setdefault(actor.audit_name, ([], []))
        ids.append(check.request_id)
        answers.append(answer)
    events = []
    for caller, (ids, answers) in by_caller.items():
        reset = request_id_var.set(ids[0] if len(ids) == 1 else None)
        try:
            events.append(new_event(**access.decisions_event(
                caller, answers, None if len(ids) == 1 else ids)))
        finally:
            request_id_var.reset(reset)
    return outcomes, events


def _decide_pipelined(engine, group: list[Check]) -> list[AccessAnswer | DomainError]:
    """On PostgreSQL, the group's transaction in two round trips instead of five: BEGIN,
    the chain lock, the chain head and the epochs sent as one pipeline (the head read
    only once the lock is held); the checks decided; then the audit rows and COMMIT as a
    second. The connection is in autocommit mode so that psycopg sends no BEGIN of its
    own (it would wait for that one's answer). The chain lock is held while the group is
    decided: from cached attributes, in well under a millisecond."""
    keys = cache.epoch_keys(_people(group), accounts=True)
    proxied = engine.raw_connection()  # the pool's: pinged after idling, replaced if broken
    raw = proxied.driver_connection
    statement = LOCK_SQL
    try:
        raw.autocommit = True
        with raw.pipeline():
            raw.execute("BEGIN")
            raw.execute(LOCK_SQL, (CHAIN_LOCK_KEY,))
            head = raw.execute(HEAD_SQL)
            tokens = raw.execute(cache.EPOCHS_SQL, (keys,))
        link = head.fetchone() or (0, GENESIS)
        with session_factory(engine)() as session:  # only for what the caches lack
            outcomes, events = _decide(session, group, dict(tokens.fetchall()))
        statement = INSERT_SQL
        with raw.pipeline():
            if events:
                raw.cursor().executemany(INSERT_SQL, chained(link[0], link[1], events))
            raw.execute("COMMIT")
        raw.autocommit = False
    except BaseException as exc:
        _abandon(proxied, raw, exc)
        if isinstance(exc, psycopg.Error):  # as SQLAlchemy would raise it
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
        raise
    finally:
        proxied.close()
    return outcomes


def _abandon(proxied, raw, exc: BaseException) -> None:
    """Roll back what the failed group began; a connection that cannot be brought back
    to idle, out of autocommit, is not pooled again."""
    with contextlib.suppress(psycopg.Error):
        if not raw.closed and not raw.broken:
            raw.execute("ROLLBACK")  # (in autocommit mode, sent as it is)
            raw.autocommit = False
    if raw.closed or raw.broken or raw.autocommit:
        proxied.invalidate(exc)


batcher = Batcher()

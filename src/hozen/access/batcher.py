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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from dataclasses import dataclass

from hozen.access import cache
from hozen.access import services as access
from hozen.access.schemas import AccessAnswer, AccessRequest
from hozen.accounts.permissions import Permission
from hozen.accounts.tokens import cached_actor
from hozen.audit.services import request_id_var
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
    outcomes: list[AccessAnswer | DomainError] = []
    by_caller: dict[str, tuple[list[str | None], list[AccessAnswer]]] = {}
    with session_factory(get_engine(get_settings()))() as session:
        tags = cache.epochs(session, {c.request.person_id for c in group
                                      if is_id(c.request.person_id)}, accounts=True)
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
        for caller, (ids, answers) in by_caller.items():
            # One chain link per caller per group; a lone check's event is as it would
            # be on its own (its request id in the event's own column).
            reset = request_id_var.set(ids[0] if len(ids) == 1 else None)
            try:
                access.record_decisions(session, caller, answers,
                                        None if len(ids) == 1 else ids)
            finally:
                request_id_var.reset(reset)
        session.commit()
    GROUPS.observe(len(group))
    return outcomes


batcher = Batcher()

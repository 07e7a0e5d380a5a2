"""The threads a route's handler runs in (hozen.api.gates: gate, handler, answer checked,
commit, in one trip).

anyio's threads, which Starlette's run_in_threadpool uses, cost ~30 µs of CPU a trip on
one core (a capacity limiter, a cancel scope, a queue built on Python conditions); these
cost ~3: a fixed number of threads taking trips from one queue, each answered on the
event loop that asked. As with anyio's: the trip runs in a copy of the caller's context
(the request id), and runs to its end even if the caller is cancelled (a transaction is
never left half done in a thread): the cancellation takes effect after.

At most HOZEN_WORKER_THREADS trips run at once on PostgreSQL (each holds a connection,
and more only queue on the audit chain's lock); 40 on SQLite, as anyio's own default
(a request there holds the database's one write lock from its first statement)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

import anyio

from hozen.config import get_settings

T = TypeVar("T")
SQLITE_THREADS = 40


class Threads:
    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        """A forked process (a server's worker) has none of its parent's threads."""
        self._jobs, self._lock, self._threads = queue.SimpleQueue(), threading.Lock(), []

    async def run(self, fn: Callable[..., T], *args) -> T:
        """fn(*args) in one of the threads; its answer (or exception) here."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._start()
        self._jobs.put((contextvars.copy_context(), fn, args, loop, done))
        with anyio.CancelScope(shield=True):  # the trip runs to its end, as anyio's do
            return await done

    def size(self) -> int:
        settings = get_settings()
        return SQLITE_THREADS if settings.is_sqlite else settings.worker_threads

    def _start(self) -> None:
        if self._threads:
            return
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._work, daemon=True,
                                                  name=f"hozen-handler-{n}")
                                 for n in range(self.size())]
                for thread in self._threads:
                    thread.start()

    def _work(self) -> None:
        while True:
            context, fn, args, loop, done = self._jobs.get()
            try:
                outcome = (context.run(fn, *args), None)
            except BaseException as exc:  # noqa: BLE001 — the caller raises it
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # the loop closed: no one waits now
                loop.call_soon_threadsafe(_settle, done, *outcome)
            del context, fn, args, done, outcome  # (nothing of a request outlives its trip)


def _settle(done: asyncio.Future, result, exc: BaseException | None) -> None:
    if done.done():  # the caller was cancelled outright
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(result)


threads = Threads()

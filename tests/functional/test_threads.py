"""The threads handlers run in (hozen.api.threads): answers and exceptions come back to
the caller, the caller's context goes with the trip, no more run at once than the pool
holds, a cancelled caller waits for its trip to end, and a forked process starts its own."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

import anyio
import pytest

from hozen.api.threads import SQLITE_THREADS, Threads, threads
from hozen.config import get_settings

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")


def run(main, *args):
    """asyncio.run(main(*args)) in a thread of its own: this process's main thread may
    hold a running loop already (a browser test's playwright does)."""
    out: dict = {}

    def target():
        try:
            out["value"] = asyncio.run(main(*args))
        except BaseException as exc:  # noqa: BLE001 — raised again in the caller
            out["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class Few(Threads):
    def size(self) -> int:
        return 2


def test_an_answer_comes_back_from_a_handler_thread_with_the_callers_context():
    def job(x):
        seen = marker.get()
        marker.set("changed in the thread")
        return x * 2, seen, threading.current_thread().name

    async def main():
        marker.set("the request's")
        answer = await threads.run(job, 21)
        return answer, marker.get()

    (doubled, seen, name), after = run(main)
    assert doubled == 42 and seen == "the request's" and name.startswith("hozen-handler-")
    assert after == "the request's"  # nothing set in the thread comes back


def test_an_exception_is_raised_to_the_caller():
    def job():
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        run(threads.run, job)


def test_the_pool_size_follows_the_database():
    settings = get_settings()
    expected = SQLITE_THREADS if settings.is_sqlite else settings.worker_threads
    assert Threads().size() == expected


def test_no_more_trips_run_at_once_than_the_pool_holds():
    pool, running, peak, lock = Few(), [0], [0], threading.Lock()

    def job():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return True

    async def main():
        return await asyncio.gather(*(pool.run(job) for _ in range(10)))

    assert run(main) == [True] * 10
    assert peak[0] == 2


def test_a_cancelled_caller_waits_for_its_trip_to_end():
    finished, seen = threading.Event(), []

    def job():
        time.sleep(0.2)
        finished.set()

    async def main():
        with anyio.move_on_after(0.05) as scope:
            await threads.run(job)
            seen.append(finished.is_set())  # back only once the trip has ended
            await anyio.sleep(5)  # the cancellation takes effect here
            seen.append("not cancelled")
        return scope.cancelled_caught

    assert run(main) is True
    assert seen == [True]


def test_a_forked_process_starts_threads_of_its_own():
    assert run(threads.run, lambda: 1) == 1  # the parent's threads are running
    pid = os.fork()
    if pid == 0:  # the child: the parent's threads are gone, its own answer
        ok = False
        try:
            ok = run(asyncio.wait_for, threads.run(lambda: 42), 5) == 42
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    pytest.fail("the forked process's trip never ran")

"""A small HTTP/1.1 load generator for the benchmarks: keep-alive connections on
loopback, open loop at a fixed rate (each latency counted from the moment the request
was due, so a slow server cannot hide its queue: no coordinated omission) or closed
loop on one connection (latency of one request at a time).

Kept in pure asyncio with a minimal response parser so that one core drives a few
thousand requests a second; run it pinned to a core of its own (`taskset -c 0`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
# Told of each request's outcome: (index, status, body, latency in ms); status 0 means
# no answer (a transport error), so a caller can keep figures per kind and ids of writes.
OnResponse = Callable[[int, int, bytes, float], None]


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    unsent: int = 0  # open loop: due more than `grace` seconds ago when a connection freed
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))]

    @property
    def bad(self) -> int:
        """Errors and answers other than 2xx."""
        return self.errors + self.unsent + sum(
            n for s, n in self.statuses.items() if not 200 <= s < 300)


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def send(self, req: Request) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        method, path, headers, body = req
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {k.strip().lower(): v.strip() for k, _, v in
                (ln.partition(":") for ln in lines[1:] if ln)}
        if "content-length" in hdrs:
            data = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            data = b"".join(parts)
        else:
            data = await self.reader.read()
        if hdrs.get("connection") == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _open_loop(base: str, make: Callable[[int], Request], rate: float,
                     seconds: float, connections: int, grace: float,
                     on_response: OnResponse | None = None,
                     max_requests: int | None = None) -> Result:
    u = urlsplit(base)
    total = int(rate * seconds)
    if max_requests is not None:
        total = min(total, max_requests)
    result = Result()
    start = time.perf_counter() + 0.05
    nxt = 0

    async def worker() -> None:
        nonlocal nxt
        conn = _Conn(u.hostname, u.port)
        while True:
            i = nxt
            if i >= total:
                break
            nxt += 1
            due = start + i / rate
            if time.perf_counter() > due + grace:  # saturated: what is this late is lost
                result.unsent += 1
                continue
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                status, body = await conn.send(make(i))
                result.statuses[status] = result.statuses.get(status, 0) + 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                conn.close()
                if on_response:
                    on_response(i, 0, b"", (time.perf_counter() - due) * 1000)
                continue
            result.latencies_ms.append((time.perf_counter() - due) * 1000)
            if on_response:
                on_response(i, status, body, result.latencies_ms[-1])
        conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result


async def _closed_loop(base: str, make: Callable[[int], Request], count: int) -> Result:
    u = urlsplit(base)
    conn = _Conn(u.hostname, u.port)
    result = Result()
    t0 = time.perf_counter()
    for i in range(count):
        sent = time.perf_counter()
        try:
            status, _ = await conn.send(make(i))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            conn.close()
            continue
        result.latencies_ms.append((time.perf_counter() - sent) * 1000)
        result.statuses[status] = result.statuses.get(status, 0) + 1
    result.seconds = time.perf_counter() - t0
    conn.close()
    return result


def open_loop(base: str, make: Callable[[int], Request], *, rate: float, seconds: float,
              connections: int = 64, grace: float = 5.0, on_response: OnResponse | None = None,
              max_requests: int | None = None) -> Result:
    """Requests due at `rate` a second for `seconds` (at most `max_requests` of them), on
    up to `connections` at once; a request still unsent `grace` seconds after it was due
    is counted unsent, not sent (so a saturated server ends the run instead of dragging
    it on). `on_response` hears of every request sent."""
    return asyncio.run(_open_loop(base, make, rate, seconds, connections, grace, on_response,
                                  max_requests))


def closed_loop(base: str, make: Callable[[int], Request], count: int) -> Result:
    """`count` requests one after another on one connection."""
    return asyncio.run(_closed_loop(base, make, count))

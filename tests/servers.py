"""`hozen serve` in processes of its own, on free loopback ports, for the tests that need
real servers (several processes over one database, clients that speak HTTP)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HOZEN = Path(sys.executable).with_name("hozen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(log: Path, *args: str, env: dict | None = None) -> Iterator[str]:
    """A server's base URL once /healthz answers; stopped gracefully (SIGINT) after."""
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(HOZEN), "serve", "--host", "127.0.0.1", "--port",
                                 str(port), *args], stdout=out, stderr=subprocess.STDOUT,
                                env=env or os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "hozen serve did not start in 30 s"
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

"""`hozen serve` in processes of its own, on free loopback ports, for the tests that need
real servers (several processes over one database, real HTTP clients, the log output)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOZEN = Path(sys.executable).with_name("hozen")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log: Path
    proc: subprocess.Popen

    def stop(self) -> None:
        """Graceful (SIGINT), so the last log lines are written; idempotent."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def served(log: Path, *args: str, env: dict | None = None) -> Iterator[Server]:
    """A running server once /healthz answers (its output in `log`); stopped after."""
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(HOZEN), "serve", "--host", "127.0.0.1", "--port",
                                 str(port), *args], stdout=out, stderr=subprocess.STDOUT,
                                env=env or os.environ.copy())
    server = Server(f"http://127.0.0.1:{port}", log, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "hozen serve did not start in 60 s"
            time.sleep(0.2)
        yield server
    finally:
        server.stop()

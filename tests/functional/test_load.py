"""The load test (bench/load.py, issue 11) at a small bounded size against a real
`hozen serve` on the test database: the mixed workload loses no acknowledged write, each
write has its audit event, nothing answers 5xx and the audit chain verifies. Correctness
only: no figure of speed is asserted here."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from bench import load

from hozen.accounts.actor import Actor
from hozen.db import new_id
from hozen.synth.run import generate
from tests.factories import cheap_argon2
from tests.servers import served

MIX = {"checks": 5, "reads": 3, "writes": 2}


def test_mixed_load_loses_no_write_and_keeps_the_audit_chain(clean, database_url, tmp_path):
    generate(clean, people=120, orgs=12, items=40, seed=7, actor=Actor.system("generate"))
    with cheap_argon2():
        callers = load.prepare(database_url, working_set=40)
    with served(tmp_path / "serve.log") as server, ThreadPoolExecutor(1) as own:
        # from a thread of its own: a browser test may have left this thread's event loop
        # running, and the load generator runs one of its own
        run = own.submit(load.drive, server.url, callers, mix=MIX, rate=60, seconds=3,
                         max_requests=150, connections=8).result()
    env = os.environ.copy()
    fig = load.figures(run) | load.check(database_url, callers, run.acked, env)
    assert fig["requests"] == 150
    assert fig["errors_transport"] == fig["errors_5xx"] == fig["unsent"] == 0, fig
    for kind in MIX:  # each kind was asked and answered (a run of 401s cannot pass)
        assert fig[f"{kind}_requests"] > 0 and fig[f"{kind}_non_2xx"] == 0, fig
    writes = {w for w, _, _ in run.acked}
    assert writes == {"burden", "event"} and fig["writes_acknowledged"] == len(run.acked)
    assert fig["writes_lost"] == fig["writes_unaudited"] == 0, fig
    assert fig["chain_verified"], fig["chain_report"]

    # the check can fail: a write acknowledged yet not stored is lost and unaudited
    ghost = run.acked + [("burden", new_id(), "load-ghost-request")]
    missing = load.check(database_url, callers, ghost, env, chain=False)
    assert missing["writes_lost"] == 1 and missing["writes_unaudited"] == 1

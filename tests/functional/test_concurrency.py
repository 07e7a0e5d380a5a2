"""Concurrent decisions (issue 11, item 6), over HTTP against two real `hozen serve`
processes sharing the configured database (SQLite or PostgreSQL): twenty adjudicators
deciding one case at once record exactly one decision, and two approving officials
deciding one designation proposal at once record one approval; every other request gets
a clean 409 problem naming the field, never a 5xx."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import AreaDecision, Clearance, ClearanceCase
from hozen.clearances.rules import AREAS
from hozen.cli.main import app as cli
from hozen.designations.models import Designation, Proposal
from tests.authenticator import with_code
from tests.clearance_helpers import run_to_adjudication
from tests.factories import Login, cheap_argon2, detached_world, make_user
from tests.servers import served

API = "/api/v1"
ADJUDICATORS = 20
RACES = 4  # designation proposals, each decided by two officials at once


@pytest.fixture
def world(session):
    return detached_world(session)


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory) -> list[str]:
    """Two server processes over the test database (each test writes its own data);
    requests alternate between them. (Not `--workers 2`: uvicorn's supervisor kills a
    worker that starts slowly on a loaded machine.) Each runs its handlers in 2 threads,
    fewer than the requests racing for one row's lock: the request holding the lock must
    still end its transaction (hozen.api.gates._ending), or both servers hang."""
    logs = tmp_path_factory.mktemp("concurrency")
    env = os.environ | {"HOZEN_WORKER_THREADS": "2"}
    with ExitStack() as stack:
        yield [stack.enter_context(served(logs / f"serve-{n}.log", env=env)).url
               for n in range(2)]


def extra_users(session, role: Role, org_id: str, n: int) -> list[Login]:
    with cheap_argon2():
        users = [make_user(session, role, org_id) for _ in range(n)]
    session.commit()
    session.expunge_all()
    return users


def race(requests: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Send the requests at once, one thread and one connection each; their responses in
    the same order (a transport error fails the test)."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def one(k: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait(timeout=60)
            try:
                responses[k] = requests[k](client)
            except httpx.HTTPError as exc:
                responses[k] = exc

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(r, httpx.Response) for r in responses), responses
    return responses


def assert_one_winner(responses: list[httpx.Response], field: str) -> int:
    """Exactly one 200; every other a 409 problem naming `field`. The winner's index."""
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    for r in responses:
        if r.status_code != 200:
            assert r.status_code == 409, (r.status_code, r.text[:300])
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["field"] == field, r.text
    return statuses.index(200)


def audit_events(session, tag: str, subject_id: str) -> list[tuple[str, dict]]:
    got = session.execute(select(AuditEvent.actor, AuditEvent.details).where(
        AuditEvent.tag == tag, AuditEvent.subject_id == subject_id)).all()
    session.rollback()  # (on SQLite an open transaction holds the write lock)
    return [(actor, json.loads(details)) for actor, details in got]


def decisions(favourable: bool) -> dict:
    return {"decisions": [{"area": a, "favourable": favourable, "reasons": "審査の結果"}
                          for a in AREAS]}


def test_twenty_concurrent_adjudications_record_one_decision(client, world, session, servers):
    case_id = run_to_adjudication(client, world)
    adjudicators = extra_users(session, Role.ADJUDICATOR, world.gov.id, ADJUDICATORS)
    path = f"{API}/clearance-cases/{case_id}/adjudication"

    coded = [with_code(a) for a in adjudicators]  # each with a code of their own

    def adjudicate(k: int):  # even: grant, odd: deny, so the outcome shows who won
        return lambda c: c.post(servers[k % 2] + path, headers=coded[k],
                                json=decisions(favourable=k % 2 == 0))

    responses = race([adjudicate(k) for k in range(ADJUDICATORS)])
    w = assert_one_winner(responses, "state")
    winner, outcome = adjudicators[w], "granted" if w % 2 == 0 else "denied"
    assert responses[w].json()["state"] == outcome

    case = session.get(ClearanceCase, case_id)
    assert case.state == outcome
    rows = session.scalars(select(AreaDecision).where(AreaDecision.case_id == case_id)).all()
    assert sorted(r.area for r in rows) == sorted(AREAS)  # one set of seven, not twenty
    assert {r.adjudicator_id for r in rows} == {winner.user_id}
    assert {r.favourable for r in rows} == {outcome == "granted"}
    held = session.scalar(select(func.count()).select_from(Clearance).where(
        Clearance.case_id == case_id))
    session.rollback()
    assert held == (1 if outcome == "granted" else 0)
    [(actor, details)] = audit_events(session, "clearances:case:adjudicate", case_id)
    assert actor == f"user:{winner.user_id}" and details["outcome"] == outcome
    verify = CliRunner().invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_two_officials_approving_one_designation_at_once_record_one_approval(
        client, world, session, servers):
    from tests.functional.test_designations import open_proposal, propose

    officials = [world.users[Role.APPROVING_OFFICIAL],
                 *extra_users(session, Role.APPROVING_OFFICIAL, world.gov.id, 1)]
    for _ in range(RACES):  # several races: each must come out the same way
        d = propose(client, world)
        p = open_proposal(client, world, d["id"])
        path = f"{API}/designation-proposals/{p['id']}/decision"
        coded = [with_code(o) for o in officials]  # each with a code of their own
        responses = race([  # each official through a server of their own
            (lambda c, h=h, base=base, path=path: c.post(base + path, headers=h, json={
                "approve": True, "reasons": "必要性を確認した。"}))
            for h, base in zip(coded, servers, strict=True)])
        w = assert_one_winner(responses, "status")
        assert responses[w].json() == {"id": p["id"], "status": "approved"}

        proposal = session.get(Proposal, p["id"])
        assert proposal.status == "approved"
        assert proposal.decided_by == officials[w].user_id
        assert session.get(Designation, d["id"]).status == "in_force"
        session.rollback()
        events = audit_events(session, "designations:designation:decide-designate", d["id"])
        assert [(a, e["outcome"]) for a, e in events] == [
            (f"user:{officials[w].user_id}", "approved")]
    verify = CliRunner().invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output

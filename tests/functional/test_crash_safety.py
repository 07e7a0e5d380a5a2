"""Crash safety (issue 11, item 5): a real process (`hozen import`, `hozen serve`) killed
with SIGKILL in the middle of its transaction, over the configured database (SQLite or
PostgreSQL), leaves no partial record; the audit chain still verifies; and the work done
again completes exactly once. Each kill is made to land inside a transaction, and the
test shows that it did before it kills: the import is stopped (SIGSTOP) at a moment it
holds an open write transaction; the adjudication is held there by a lock the test
takes (on SQLite, after its writes, by a pause loaded into the server: PAUSE_HOOK)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.audit.services import CHAIN_LOCK_KEY
from hozen.clearances.models import AreaDecision, Clearance, ClearanceCase
from hozen.cli.main import app as cli
from hozen.db import get_engine_for_url, session_factory, upgrade
from hozen.notifications.models import Notification
from hozen.registry.models import ImportJob, ImportReject, Person, PersonNationality
from hozen.registry.models import PersonSearchToken as Token
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.conftest import IS_SQLITE, scratch_url
from tests.factories import detached_world, make_org
from tests.functional.test_bulk_import import FAMILY, GIVEN, HEAD
from tests.servers import HOZEN, served

ROWS, BATCH = 30_000, 2_000
NAMES = [(f, g) for f in FAMILY for g in GIVEN]


def verify_audit(env: dict | None = None) -> None:
    """`hozen audit verify` on the test database, or in a process of its own on the
    database `env` names."""
    if env is None:
        result = CliRunner().invoke(cli, ["audit", "verify"])
        assert result.exit_code == 0, result.output
        return
    done = subprocess.run([str(HOZEN), "audit", "verify"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def scalar(session, query):
    value = session.scalar(query)
    session.rollback()  # (on SQLite an open transaction holds the write lock)
    return value


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


# SQLite is looked at from a process of its own: a connection opened and closed in the
# test's process, beside its pooled ones, while another process is stopped and killed
# around it, once took the test process down with SIGBUS (the WAL index is mapped).
_SQLITE_PEEK = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[3]), isolation_level=None)
if sys.argv[2] == "BEGIN IMMEDIATE":
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        print(json.dumps(True)); sys.exit(0)
    print(json.dumps(False)); sys.exit(0)
print(json.dumps(conn.execute(sys.argv[2], json.loads(sys.argv[4])).fetchone()[0]))
"""


def _sqlite_peek(engine, sql: str, params: dict, timeout: float = 15):
    out = subprocess.run([sys.executable, "-c", _SQLITE_PEEK, sqlite_path(str(engine.url)),
                          sql, str(timeout), json.dumps(params)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def peek(engine, sql: str, **params):
    """One value read beside a running process without taking SQLite's write lock (the
    engine begins every SQLite transaction IMMEDIATE)."""
    if IS_SQLITE:
        return _sqlite_peek(engine, sql, params)
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def holds_write_transaction(engine) -> bool:
    """Whether another connection is inside a transaction that has written (PostgreSQL:
    a backend with a transaction id) or holds the write lock (SQLite)."""
    if not IS_SQLITE:
        return peek(engine, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid() "
                            "AND backend_xid IS NOT NULL") > 0
    return _sqlite_peek(engine, "BEGIN IMMEDIATE", {}, timeout=0)


def stopped(pid: int) -> bool:
    """Every thread of the process is stopped (SIGSTOP has landed)."""
    tasks = Path(f"/proc/{pid}/task")
    return all(p.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] in "Tt"
               for p in tasks.iterdir())


def kill_inside_transaction(proc: subprocess.Popen, ready: Callable[[], bool],
                            inside: Callable[[], bool], timeout: float = 60) -> None:
    """SIGKILL `proc` once `ready()` holds, at a moment it is `inside()` a transaction:
    it is stopped, looked at, and killed there, or let run a moment longer."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, "the process finished before it could be killed"
        assert time.monotonic() < deadline, "never caught inside a transaction"
        if ready():
            proc.send_signal(signal.SIGSTOP)
            while not stopped(proc.pid):
                time.sleep(0.001)
            if inside():
                proc.kill()
                proc.wait(timeout=30)
                return
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.005)


def wait_for_dead_backends(engine) -> None:
    """On PostgreSQL, until the killed process's server backends have rolled back."""
    deadline = time.monotonic() + 30
    while not IS_SQLITE and holds_write_transaction(engine):
        assert time.monotonic() < deadline, "a dead client's transaction stayed open"
        time.sleep(0.05)


# --- bulk import ----------------------------------------------------------------------


def write_people(path: Path, employer: str) -> int:
    """ROWS people, each with a name and birth date of their own; one row in 1,000 bad
    (an impossible date or an unknown country). The number of good rows."""
    good = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for k in range(ROWS):
            (fam, sei, lfam), (giv, mei, lgiv) = NAMES[k % len(NAMES)]
            born, nat = (date(1950, 1, 1) + timedelta(days=k // len(NAMES))).isoformat(), "JPN"
            if k % 1000 == 999:
                born, nat = ("1980-02-30", nat) if k % 2000 == 999 else (born, "ZZZ")
            else:
                good += 1
            w.writerow([fam, giv, sei, mei, lfam, lgiv, born, nat, employer])
    return good


def run_import(path: Path, log: Path, env: dict) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([str(HOZEN), "import", str(path), "--batch", str(BATCH)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)


@pytest.fixture
def import_db(tmp_path) -> Iterator[tuple[object, dict]]:
    """A database of its own for the importer the test kills (its engine, and the
    environment that points `hozen` at it). The worker's shared test database is never
    open in a process that is stopped and killed: on SQLite two runs beside it left it
    malformed, and every later test of the worker failed with it."""
    url = scratch_url(tmp_path, "crash_import")
    upgrade(url)
    engine = get_engine_for_url(url)
    yield engine, os.environ | {"HOZEN_DATABASE_URL": url}
    engine.dispose()


def assert_whole_batches(session, env: dict) -> ImportJob:
    """No partial batch: the people are exactly those the job counts, each with their
    nationality and search tokens, no token without its person; every batch audited."""
    job = session.scalars(select(ImportJob)).one()
    session.expunge(job)
    session.rollback()
    assert job.imported + job.rejected == job.rows_done
    assert job.batches == -(-job.rows_done // BATCH)
    assert scalar(session, select(func.count()).select_from(Person)) == job.imported
    for child in (PersonNationality, Token):
        orphans = select(func.count()).select_from(Person).where(
            ~select(child.person_id).where(child.person_id == Person.id).exists())
        assert scalar(session, orphans) == 0, f"a person without {child.__tablename__}"
    strays = select(func.count()).select_from(Token).where(
        ~select(Person.id).where(Person.id == Token.person_id).exists())
    assert scalar(session, strays) == 0  # (tokens have no foreign key)
    assert scalar(session, select(func.count(func.distinct(ImportReject.line)))) == job.rejected
    assert scalar(session, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.tag == "registry:person:import")) == job.batches
    verify_audit(env)
    return job


def test_an_import_killed_mid_batch_keeps_whole_batches_and_resumes_exactly_once(
        import_db, tmp_path):
    engine, env = import_db
    session = session_factory(engine)()
    employer = make_org(session).id
    session.commit()
    path = tmp_path / "people.csv"
    good = write_people(path, employer)
    log = tmp_path / "import.log"
    # On SQLite, no connection of this process stays open while another is stopped and
    # killed beside it: every look meanwhile is from a process of its own (peek).
    session.close()
    engine.dispose()

    proc = run_import(path, log, env)
    try:
        kill_inside_transaction(
            proc, ready=lambda: (peek(engine, "SELECT max(rows_done) FROM import_job") or 0)
            >= BATCH, inside=lambda: holds_write_transaction(engine))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    wait_for_dead_backends(engine)

    job = assert_whole_batches(session, env)
    assert job.status == "running" and job.finished_at is None
    assert 0 < job.rows_done < ROWS and job.rows_done % BATCH == 0
    assert integrity(engine) == "ok"

    session.close()
    engine.dispose()
    done = subprocess.run([str(HOZEN), "import", str(path), "--batch", str(BATCH)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"resumed after row {job.rows_done}" in done.stdout
    assert f"rows {ROWS}, imported {good}, rejected {ROWS - good}" in done.stdout

    job = assert_whole_batches(session, env)
    assert (job.status, job.rows_done, job.imported, job.batches) == (
        "done", ROWS, good, ROWS // BATCH)
    # exactly once: each row of the file is one person, told apart by their keyed name and
    # birth-date tokens (a row imported twice would give two people with the same set)
    tokens: dict[str, set[bytes]] = {}
    for person_id, token in session.execute(select(Token.person_id, Token.token)):
        tokens.setdefault(person_id, set()).add(token)
    session.rollback()
    assert len(tokens) == good
    assert len({frozenset(t) for t in tokens.values()}) == good
    for tag in ("registry:import:start", "registry:import:finish"):
        assert scalar(session, select(func.count()).select_from(AuditEvent).where(
            AuditEvent.tag == tag)) == 1
    session.close()
    assert integrity(engine) == "ok"


def integrity(engine) -> str:
    """SQLite's own check of the file, every page and index ("ok"); PostgreSQL: "ok"."""
    if not IS_SQLITE:
        return "ok"
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA integrity_check").scalar()


# --- adjudication ---------------------------------------------------------------------

ADJUDICATE_TAG = "clearances:case:adjudicate"
# Loaded by the server's Python at start-up (PYTHONPATH) when the test asks: the first
# transaction that would audit `PAUSE_TAG` writes everything it holds, says so in
# `PAUSE_MARK`, and waits there, its transaction open, to be killed. (SQLite has one
# writer at a time, so no lock the test could take would hold it there.) And always:
# the adjudication (the service) says in `GATE_MARK` that it is reached, its caller's
# code (X-Hozen-OTP) checked and audited, then waits for `GATE_GO` before it begins, so
# that the test's lock stops the adjudication itself, not the check of the code.
PAUSE_HOOK = '''
import os, time
if os.environ.get("GATE_MARK"):
    import hozen.clearances.services as clearances
    _adjudicate = clearances.adjudicate

    def _gated(*args, **kwargs):
        open(os.environ["GATE_MARK"], "w").close()
        while not os.path.exists(os.environ["GATE_GO"]):
            time.sleep(0.02)
        return _adjudicate(*args, **kwargs)

    clearances.adjudicate = _gated
if os.environ.get("PAUSE_TAG"):
    import hozen.audit.services as audit
    _append = audit._append_pending

    def _paused(session):
        tags = [item["tag"] for _, item in session.info.get(audit._PENDING, [])]
        if os.environ["PAUSE_TAG"] in tags:
            session.flush()
            open(os.environ["PAUSE_MARK"], "w").close()
            time.sleep(3600)
        _append(session)

    audit._append_pending = _paused
'''


def server_env(where: str, tmp_path: Path) -> tuple[dict, Path | None, Path, Path]:
    """The server's environment with the hooks loaded: the file that says it has paused
    (on SQLite "after writing"; else None), the one that says the adjudication is
    reached, and the one that lets it begin."""
    env = os.environ.copy()
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(PAUSE_HOOK)
    gate, go = tmp_path / "reached", tmp_path / "go"
    path = os.pathsep.join(filter(None, [str(tmp_path / "hook"), env.get("PYTHONPATH")]))
    env |= {"PYTHONPATH": path, "GATE_MARK": str(gate), "GATE_GO": str(go)}
    if not (IS_SQLITE and where == "after writing"):
        return env, None, gate, go
    mark = tmp_path / "paused"
    return env | {"PAUSE_TAG": ADJUDICATE_TAG, "PAUSE_MARK": str(mark)}, mark, gate, go


@contextmanager
def held(engine, where: str, case_id: str) -> Iterator[None]:
    """A lock that stops the server's adjudication inside its transaction: "before
    writing", waiting for the case (PostgreSQL: its row; SQLite: the write lock); "after
    writing", its rows written, waiting to append its audit event (PostgreSQL: the audit
    chain's lock; SQLite: the pause hook instead, see PAUSE_HOOK). Released on leaving."""
    if IS_SQLITE:
        if where == "after writing":
            yield
            return
        lock = sqlite3.connect(sqlite_path(str(engine.url)), timeout=15, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lock.close()
        return
    with engine.connect() as lock:
        if where == "after writing":
            lock.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
        else:
            lock.execute(text("SELECT id FROM clearance_case WHERE id = :id FOR UPDATE"),
                         {"id": case_id})
        try:
            yield
        finally:
            lock.rollback()


def wait_held(engine, where: str, mark: Path | None, request: threading.Thread) -> None:
    """Until the server's adjudication is held inside its transaction."""
    if mark is not None:
        wait_until(mark.exists)
    elif IS_SQLITE:  # its transaction waits to begin (busy_timeout): nothing to look at
        time.sleep(1.5)
        assert request.is_alive()
    else:
        wait_for_blocked_backend(engine, where)


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the server never got there"
        time.sleep(0.02)


def wait_for_blocked_backend(engine, where: str) -> None:
    """Until the server's backend waits for the test's lock; "after writing", it has
    written the decisions and the clearance already (it holds their write locks)."""
    waiting = ("SELECT pid FROM pg_locks WHERE NOT granted AND locktype = "
               + ("'advisory'" if where == "after writing" else "'transactionid'")
               + " LIMIT 1")
    wait_until(lambda: peek(engine, waiting) is not None)
    if where == "after writing":
        written = peek(engine, "SELECT count(DISTINCT c.relname) FROM pg_locks l "
                               "JOIN pg_class c ON c.oid = l.relation WHERE l.pid = :pid "
                               "AND l.mode = 'RowExclusiveLock' AND c.relname IN "
                               "('area_decision', 'clearance', 'clearance_case')",
                       pid=peek(engine, waiting))
        assert written == 3


def case_record(session, case_id: str) -> dict:
    """What an adjudication changes: the case, its decisions, clearance and notices, and
    the audit log's length."""
    state = {"case": tuple(session.execute(select(
        ClearanceCase.state, ClearanceCase.decided_at, ClearanceCase.version,
        ClearanceCase.updated_at).where(ClearanceCase.id == case_id)).one())}
    for model in (AreaDecision, Clearance):
        state[model.__tablename__] = scalar(session, select(func.count()).select_from(
            model).where(model.case_id == case_id))
    state["notices"] = scalar(session, select(func.count()).select_from(Notification)
                              .where(Notification.params.contains(case_id)))
    state["audit"] = scalar(session, select(func.max(AuditEvent.seq)).where(
        AuditEvent.tag.not_like("accounts:mfa:%")))  # (the code is used up before)
    return state


@pytest.mark.parametrize("where", ["before writing", "after writing"])
def test_an_adjudication_killed_mid_transaction_leaves_the_case_unchanged(
        client, session, tmp_path, engine, where):
    world = detached_world(session)
    case_id = run_to_adjudication(client, world)
    adjudicator = with_code(world.users[Role.ADJUDICATOR])
    path = f"/api/v1/clearance-cases/{case_id}/adjudication"
    before = case_record(session, case_id)
    assert before["case"][0] == "adjudication" and before["area_decision"] == 0

    outcome: list = []
    env, mark, gate, go = server_env(where, tmp_path)
    with served(tmp_path / "serve-1.log", env=env) as server:
        def adjudicate() -> None:
            try:
                outcome.append(httpx.post(server.url + path, headers=adjudicator,
                                          json=favourable_decisions(), timeout=120))
            except httpx.HTTPError as exc:  # the server died under the request
                outcome.append(exc)

        request = threading.Thread(target=adjudicate)
        request.start()
        wait_until(gate.exists)  # the code is checked: the adjudication is next
        with held(engine, where, case_id):
            go.touch()
            wait_held(engine, where, mark, request)
            server.proc.kill()
            server.proc.wait(timeout=30)
            request.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError), outcome
    wait_for_dead_backends(engine)

    assert case_record(session, case_id) == before  # no decision, clearance, notice, event
    verify_audit()

    with served(tmp_path / "serve-2.log") as server:
        r = httpx.post(server.url + path, headers=with_code(world.users[Role.ADJUDICATOR]),
                       json=favourable_decisions(),
                       timeout=60)
    assert r.status_code == 200 and r.json()["state"] == "granted", r.text
    after = case_record(session, case_id)
    assert after["case"][0] == "granted"
    assert (after["area_decision"], after["clearance"]) == (7, 1)
    events = session.scalars(select(AuditEvent.details).where(
        AuditEvent.tag == ADJUDICATE_TAG, AuditEvent.subject_id == case_id)).all()
    session.rollback()
    assert [json.loads(e)["outcome"] for e in events] == ["granted"]
    verify_audit()

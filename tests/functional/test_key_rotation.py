"""`hozen keys rotate` on the real database: every ciphertext ends under the new key set
and reads the same, search by name answers before, during (an interrupted run) and after,
writes made behind the batches or by a process still holding the old key file are
caught, a row that cannot be decrypted stops the old keys' retirement, the audit chain
verifies, and backups made before and after restore with the right key file."""

from __future__ import annotations

import base64
import json
import logging
import re
import stat
import threading
import time
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from hozen import backup, crypto
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.cli.main import app as cli
from hozen.crypto import ciphertext_key_id, load_keyring
from hozen.db import Base, import_all_models, unit_of_work
from hozen.keyrotation import NOT_SEALED, SEALED, RotationError, person_data, rotate
from hozen.registry import services as registry
from hozen.registry.models import Person, PersonSearchToken
from hozen.registry.schemas import PersonCreate, PersonUpdate
from hozen.registry.search import list_people
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import detached_world
from tests.functional.test_clearance_journey import FINDING

runner = CliRunner()
SYSTEM = Actor.system("test")


def run(*args: str):
    return runner.invoke(cli, list(args))


def plaintexts(engine, ring) -> dict[tuple[str, str], bytes]:
    """Every sealed value, decrypted with `ring`."""
    out = {}
    with engine.connect() as conn:
        for spec in SEALED:
            if spec.kind is None:
                continue
            for row_id, blob in conn.execute(text(
                    f"SELECT {spec.key}, {spec.column} FROM {spec.table} "
                    f"WHERE {spec.column} IS NOT NULL")):
                out[(f"{spec.table}.{spec.column}", row_id)] = ring.decrypt(
                    bytes(blob), spec.aad(row_id))
    return out


def key_ids(engine) -> dict[str, set[str]]:
    """The key sets the ciphertext of each sealed column is under."""
    out = {}
    with engine.connect() as conn:
        for spec in SEALED:
            out[f"{spec.table}.{spec.column}"] = {ciphertext_key_id(bytes(b)) for (b,) in
                                                  conn.execute(text(
                f"SELECT {spec.column} FROM {spec.table} WHERE {spec.column} IS NOT NULL"))}
    return out


def key_material(ring) -> set[str]:
    """Every key of the ring, as the key file writes it (base64) and in hex."""
    return {enc(k) for ks in ring.sets.values() for k in (ks.enc, ks.idx)
            for enc in (lambda b: base64.b64encode(b).decode(), bytes.hex)}


def words(output: str) -> set[str]:
    return set(re.split(r"[\s\"',:{}\[\]]+", output))


def search(client, headers, q: str) -> set[str]:
    r = client.get("/api/v1/people", headers=headers, params={"q": q, "limit": 100})
    assert r.status_code == 200, r.text
    return {p["id"] for p in r.json()["items"]}


@pytest.fixture
def populated(key_file, client, session):
    """People (several names), users, a clearance case with findings and decisions."""
    world = detached_world(session)
    case_id = run_to_adjudication(client, world, findings=[FINDING])
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(world.users[Role.ADJUDICATOR]), json=favourable_decisions())
    assert r.status_code == 200, r.text
    wo = world.users[Role.WINDOW_OFFICER].headers
    people = {}
    for n, family in enumerate(["青木", "石井", "上田", "江藤", "大野", "加藤", "木村"]):
        r = client.post("/api/v1/people", headers=wo, json={
            "family_name_kanji": family, "given_name_kanji": "花子",
            "birth_date": f"198{n}-03-0{n + 1}", "nationalities": ["JPN"]})
        assert r.status_code == 201, r.text
        people[family + "花子"] = r.json()["id"]
    session.rollback()
    return world, people


def test_every_binary_column_is_rotated_or_known_to_hold_no_ciphertext():
    import_all_models()
    binary = {(t.name, c.name) for t in Base.metadata.tables.values() for c in t.c
              if c.type.python_type is bytes}
    assert binary == {(s.table, s.column) for s in SEALED} | NOT_SEALED


def test_rotation_re_encrypts_everything_and_search_answers_throughout(
        populated, key_file, client, engine):
    world, people = populated
    wo = world.users[Role.WINDOW_OFFICER].headers
    old = load_keyring(key_file)
    before = plaintexts(engine, old)
    assert len({k[0] for k in before}) >= 5  # people, users, questionnaire, finding, decision
    assert all(search(client, wo, name) == {pid} for name, pid in people.items())

    stopped = run("keys", "rotate", "--batch", "2", "--max-batches", "3", "--settle", "0")
    assert stopped.exit_code == 3, stopped.output
    during = load_keyring(key_file)
    assert during.active == old.active and during.next not in (None, old.active)
    ids = key_ids(engine)["person.pii"]
    assert ids == {old.active, during.next}  # half done: both sets hold people
    # both kinds of people are found, and new writes go under the new set at once
    assert all(search(client, wo, name) == {pid} for name, pid in people.items())
    r = client.post("/api/v1/people", headers=wo, json={
        "family_name_kanji": "途中", "given_name_kanji": "登録", "birth_date": "1991-01-01",
        "nationalities": ["JPN"]})
    added = r.json()["id"]
    assert search(client, wo, "途中登録") == {added}
    renamed = people.pop("木村花子")
    r = client.patch(f"/api/v1/people/{renamed}", headers=wo,
                     json={"family_name_kanji": "改名"})
    assert r.status_code == 200, r.text
    assert search(client, wo, "改名花子") == {renamed} and not search(client, wo, "木村花子")
    with engine.connect() as conn:
        pii = conn.scalar(select(Person.pii).where(Person.id == added))
    assert ciphertext_key_id(bytes(pii)) == during.next
    status = json.loads(run("keys", "rotate", "--status").output)
    assert status["step"] == "reencrypt" and status["remaining"]["person.pii"] > 0
    assert not key_material(during) & words(json.dumps(status))

    done = run("keys", "rotate", "--batch", "2", "--settle", "0")
    assert done.exit_code == 0, done.output
    after = load_keyring(key_file)
    assert after.active == during.next and set(after.sets) == {during.next}
    assert all(v <= {after.active} for v in key_ids(engine).values())
    reread = plaintexts(engine, after)  # the new set alone reads everything, unchanged
    assert {k: v for k, v in reread.items() if k[1] not in (added, renamed)} == \
        {k: v for k, v in before.items() if k[1] != renamed}
    with engine.connect() as conn:
        labels = set(conn.scalars(select(PersonSearchToken.key_id).distinct()))
    assert labels == {after.active}
    assert all(search(client, wo, name) == {pid} for name, pid in people.items())
    assert search(client, wo, "改名花子") == {renamed} and search(client, wo, "途中登録") == {added}
    # the old key file is kept, owner only; nothing printed holds key material
    kept = key_file.with_name(f"{key_file.name}.{old.active}.retired")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert set(load_keyring(kept).sets) == {old.active, after.active}
    for output in (stopped.output, done.output):
        assert not key_material(during) & words(output) and "花子" not in output
    assert run("audit", "verify").exit_code == 0
    with engine.connect() as conn:
        events = conn.execute(select(AuditEvent.tag, AuditEvent.details).where(
            AuditEvent.tag.like("keys:rotation:%"))).all()
    tags = [t for t, _ in events]
    for tag in ("start", "resume", "batch", "switch", "retire", "complete"):
        assert f"keys:rotation:{tag}" in tags
    assert not any("花子" in str(d) for _, d in events)
    again = json.loads(run("keys", "rotate", "--status").output)
    assert again["step"] == "idle" and not any(again["remaining"].values())


def test_writes_behind_the_batches_and_by_a_stale_process_are_caught(
        populated, key_file, session, engine):
    """A process still holding the old key file writes a person under the old key and
    old index after the batches passed it, both before and after the index switch."""
    _world, people = populated
    stale = load_keyring(key_file)
    victims = iter(sorted(people.values()))
    seen = []

    def stale_write(_seconds: float) -> None:
        ring = load_keyring(key_file)
        seen.append((ring.active, ring.next))
        pid = next(victims)
        with engine.begin() as conn:
            blob = conn.scalar(select(Person.pii).where(Person.id == pid))
            plain = ring.decrypt(bytes(blob), f"hozen:person:{pid}")
            conn.execute(update(Person.__table__).where(Person.id == pid).values(
                pii=stale.encrypt(plain, f"hozen:person:{pid}")))
            conn.execute(PersonSearchToken.__table__.delete().where(
                PersonSearchToken.person_id == pid))
            conn.execute(PersonSearchToken.__table__.insert(), [
                {"person_id": pid, "token": t, "key_id": stale.active}
                for t in registry.search_tokens(person_data(plain), stale)])
        if len(seen) == 2:  # after the switch: searches use the new index for everyone
            for name, person in people.items():
                if person != pid:
                    found, _ = list_people(session, actor=SYSTEM, q=name)
                    assert [p.id for p in found] == [person]
            session.rollback()

    out = rotate(engine, key_file, actor=SYSTEM, batch=3, settle=0, sleep=stale_write)
    assert out.step == "done" and len(seen) == 2
    assert seen[0][1] is not None and seen[1] == (out.key_id, None)  # before, after switch
    assert all(v <= {out.key_id} for v in key_ids(engine).values())
    with engine.connect() as conn:
        assert set(conn.scalars(select(PersonSearchToken.key_id).distinct())) == {out.key_id}
    for name, pid in people.items():
        found, _ = list_people(session, actor=SYSTEM, q=name)
        assert [p.id for p in found] == [pid]


def test_a_row_that_cannot_be_decrypted_keeps_the_old_keys(populated, key_file, engine):
    old = load_keyring(key_file)
    with engine.begin() as conn:
        finding_id, blob = conn.execute(text("SELECT id, content FROM finding")).first()
        blob = bytes(blob)
        conn.execute(text("UPDATE finding SET content = :b WHERE id = :i"),
                     {"b": blob[:-1] + bytes([blob[-1] ^ 1]), "i": finding_id})
    result = run("keys", "rotate", "--settle", "0")
    assert result.exit_code == 1 and "finding.content" in result.output
    assert finding_id in result.output  # the id, to investigate; never its content
    ring = load_keyring(key_file)
    assert old.active in ring.sets and ring.next  # nothing retired, still re-encrypting
    with engine.begin() as conn:  # repaired (e.g. from a backup): the rotation finishes
        conn.execute(text("UPDATE finding SET content = :b WHERE id = :i"),
                     {"b": blob, "i": finding_id})
    finished = run("keys", "rotate", "--settle", "0", "--no-keep")
    assert finished.exit_code == 0, finished.output
    assert set(load_keyring(key_file).sets) == {ring.next}
    assert not list(key_file.parent.glob("*.retired"))


def test_a_second_rotation_cannot_run_beside_the_first(populated, key_file, engine):
    import fcntl

    with open(key_file.with_name(key_file.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(RotationError, match="another rotation"):
            rotate(engine, key_file, actor=SYSTEM, settle=0)
    assert len(load_keyring(key_file).sets) == 1


def test_backups_restore_with_the_key_file_they_need(populated, key_file, tmp_path, engine,
                                                     session):
    before_dump, after_dump = tmp_path / "before.dump", tmp_path / "after.dump"
    assert run("backup", str(before_dump)).exit_code == 0
    old = load_keyring(key_file).active
    assert run("keys", "rotate", "--settle", "0").exit_code == 0
    new = load_keyring(key_file).active
    assert run("backup", str(after_dump)).exit_code == 0
    assert json.loads(backup.manifest_path(after_dump).read_text())["key_id"] == new
    session.rollback()
    restored = run("restore", str(after_dump), "--force")
    assert restored.exit_code == 0, restored.output
    assert run("audit", "verify").exit_code == 0
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Person))
    assert n > 0 and plaintexts(engine, load_keyring(key_file))
    refused = run("restore", str(before_dump), "--force")  # made under the retired set
    assert refused.exit_code != 0 and old in refused.output


def test_add_only_then_resume_as_for_several_hosts(populated, key_file, engine):
    first = load_keyring(key_file).active
    added = run("keys", "rotate", "--add-only")
    assert added.exit_code == 3, added.output
    ring = load_keyring(key_file)
    assert ring.active == first and ring.next and ring.next in added.output
    assert key_ids(engine)["person.pii"] == {first}  # nothing re-encrypted yet
    again = run("keys", "rotate", "--add-only")  # never a third set
    assert again.exit_code == 1 and "under way" in again.output
    assert load_keyring(key_file) == ring
    done = run("keys", "rotate", "--settle", "0")
    assert done.exit_code == 0, done.output
    assert set(load_keyring(key_file).sets) == {ring.next}
    assert key_ids(engine)["person.pii"] == {ring.next}


WRITES_BESIDE = 300


def test_writes_beside_a_running_rotation_are_kept_and_found(populated, key_file, engine):
    """People renamed and added by another connection while the rotation runs."""
    _world, people = populated
    expected = {pid: name for name, pid in people.items()}
    done = threading.Event()

    def write() -> None:
        n = 0
        # bounded: a writer that outpaced the sweep (batch 2) could keep the rotation from
        # ever finding the table quiet, and grow it for as long as it ran
        while (not done.is_set() or n < 6) and n < WRITES_BESIDE:
            pid = sorted(people.values())[n % len(people)]  # all named 花子
            with unit_of_work(engine) as s:
                registry.update_person(s, pid, PersonUpdate(family_name_kanji=f"改{n}"),
                                       actor=SYSTEM)
            expected[pid] = f"改{n}花子"
            with unit_of_work(engine) as s:
                p = registry.create_person(s, PersonCreate(
                    family_name_kanji=f"新{n}", given_name_kanji="次郎",
                    birth_date="1990-01-01", nationalities=["JPN"]), actor=SYSTEM)
            expected[p.id] = f"新{n}次郎"
            with unit_of_work(engine) as s:  # found at once, whichever step the rotation is at
                for who in (pid, p.id):
                    found, _ = list_people(s, actor=SYSTEM, q=expected[who])
                    assert [f.id for f in found] == [who]
            n += 1

    errors = []

    def guarded() -> None:
        try:
            write()
        except BaseException as exc:  # reported by the test's own thread
            errors.append(exc)

    writer = threading.Thread(target=guarded)
    writer.start()
    try:
        out = rotate(engine, key_file, actor=SYSTEM, batch=2, settle=0)
    finally:
        done.set()
        writer.join()
    assert not errors and out.step == "done"
    assert all(v <= {out.key_id} for v in key_ids(engine).values())
    with unit_of_work(engine) as s:
        for pid, name in expected.items():
            found, _ = list_people(s, actor=SYSTEM, q=name)
            assert [p.id for p in found] == [pid], name


class _Signal(logging.Handler):
    def __init__(self, *events: threading.Event) -> None:
        super().__init__(logging.INFO)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        for event in self.events:
            event.set()


def step_waiting(engine) -> bool:
    """PostgreSQL: is a rotation's step seen waiting for the key-state lock? (SQLite
    cannot tell: there the step waits for the write lock, which the request holds.)"""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        for _ in range(300):  # a bound: a step that never waits fails the test
            if conn.scalar(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT "
                    "granted AND (classid::bigint << 32 | objid::bigint) = :k"),
                    {"k": crypto.KEY_STATE_LOCK}):
                return True
            time.sleep(0.05)
    return False


def held_beside_rotation(monkeypatch, engine, request: Callable, rotation: Callable):
    """Runs `request` in a thread of its own, held just after its first read of the key
    file until the rotation (run here once the request has read the file) logs that its
    next step waits for the requests that read the key file (on PostgreSQL: until the
    step is seen waiting), or until the rotation ends: the interleaving in which a
    rotation's steps would fall between a request's read of the key state and its
    commit. The rotation's outcome and the request's result."""
    read, go, logged = (threading.Event() for _ in range(3))
    result = []
    real = crypto._keyring_cached

    def reading(*args):
        ring = real(*args)
        if threading.current_thread() is held and not read.is_set():
            read.set()
            go.wait(60)  # a bound, so a broken lock fails the test rather than hanging it
            assert not logged.is_set() or step_waiting(engine)
        return ring

    def run() -> None:
        try:
            result.append(request())
        except BaseException as exc:  # reported by the test's own thread
            result.append(exc)
        finally:
            read.set()

    monkeypatch.setattr(crypto, "_keyring_cached", reading)
    keys_log, signal = logging.getLogger("hozen.keys"), _Signal(logged, go)
    level = keys_log.level
    keys_log.addHandler(signal)
    keys_log.setLevel(logging.INFO)
    held = threading.Thread(target=run)
    held.start()
    try:
        read.wait()
        out = rotation()
    finally:
        go.set()
        held.join()
        keys_log.removeHandler(signal)
        keys_log.setLevel(level)
    if isinstance(result[0], BaseException):
        raise result[0]
    return out, result[0]


def test_a_search_that_read_the_key_file_before_the_switch_is_answered(
        populated, key_file, engine, monkeypatch):
    """The search chose the old index; without the key-state lock the rotation would
    switch the index and delete the old index's tokens before its query ran, and it
    would find no one."""
    _world, people = populated
    name, pid = sorted(people.items())[0]
    old = load_keyring(key_file)

    def search() -> tuple[list[str], str]:
        with unit_of_work(engine) as s:
            found, _ = list_people(s, actor=SYSTEM, q=name)
            return [p.id for p in found], load_keyring(key_file).active

    out, (found, active) = held_beside_rotation(
        monkeypatch, engine, search, partial(rotate, engine, key_file, actor=SYSTEM, batch=2,
                                             settle=0))
    assert found == [pid]
    assert active == old.active  # the index had not switched when the search committed
    assert out.step == "done" and out.key_id != old.active


def test_a_person_written_with_the_key_file_read_before_the_rotation_is_rotated(
        populated, key_file, engine, monkeypatch):
    """The write read the key file before the rotation added its set (so it seals under
    the old key and indexes under the old index alone); without the key-state lock it
    would commit after the rotation ended: under a retired key, found by no search."""
    old = load_keyring(key_file)

    def write() -> str:
        with unit_of_work(engine) as s:
            return registry.create_person(s, PersonCreate(
                family_name_kanji="保留", given_name_kanji="三郎", birth_date="1975-05-05",
                nationalities=["JPN"]), actor=SYSTEM).id

    out, pid = held_beside_rotation(
        monkeypatch, engine, write, partial(rotate, engine, key_file, actor=SYSTEM, batch=2,
                                            settle=0))
    assert out.step == "done" and out.key_id != old.active
    assert set(load_keyring(key_file).sets) == {out.key_id}
    with engine.connect() as conn:
        pii = conn.scalar(select(Person.pii).where(Person.id == pid))
        labels = set(conn.scalars(select(PersonSearchToken.key_id).where(
            PersonSearchToken.person_id == pid)))
    assert ciphertext_key_id(bytes(pii)) == out.key_id and labels == {out.key_id}
    with unit_of_work(engine) as s:
        found, _ = list_people(s, actor=SYSTEM, q="保留三郎")
        assert [p.id for p in found] == [pid]


def test_a_step_waits_for_a_request_holding_the_key_state_only_so_long(
        populated, key_file, engine, monkeypatch):
    """A transaction that read the key state and does not end: the rotation gives up
    (resumable), rather than keeping the requests queued behind its step waiting."""
    monkeypatch.setattr(crypto, "KEY_STEP_WAIT_MS", 500)  # (SQLite: its 15 s busy timeout)
    before = load_keyring(key_file)
    with unit_of_work(engine) as s:
        assert crypto.keyring_for(s) == before
        with pytest.raises(RotationError, match="did not end"):
            rotate(engine, key_file, actor=SYSTEM, settle=0)
    assert load_keyring(key_file) == before
    assert rotate(engine, key_file, actor=SYSTEM, settle=0).step == "done"


def test_an_import_batch_prepared_before_a_rotation_began_is_written_under_its_keys(
        populated, key_file, engine):
    """A bulk import prepares (seals and indexes) a batch outside any transaction; if a
    rotation adds its key set in between, the batch is written under the key file as it
    is when written: sealed under the new set and indexed under both."""
    from datetime import date

    from hozen.registry import bulk

    first = load_keyring(key_file).active
    prepared = bulk._prepare([(2, {"family_name_kanji": "輸入", "given_name_kanji": "四郎",
                                   "birth_date": "1980-04-04", "nationalities": "JPN"})],
                             {"JPN"}, set(), date.today())
    assert prepared.keys[0] == first and len(prepared.people) == 1
    assert run("keys", "rotate", "--add-only").exit_code == 3
    ring = load_keyring(key_file)
    with unit_of_work(engine) as s:
        out = bulk._write_people(s, prepared, SYSTEM)
    assert out.created == [prepared.people[0][0]]  # the same person, made again
    with engine.connect() as conn:
        pii = conn.scalar(select(Person.pii).where(Person.id == out.created[0]))
        labels = set(conn.scalars(select(PersonSearchToken.key_id).where(
            PersonSearchToken.person_id == out.created[0])))
    assert ciphertext_key_id(bytes(pii)) == ring.next and labels == {first, ring.next}
    assert run("keys", "rotate", "--settle", "0").exit_code == 0
    with unit_of_work(engine) as s:
        found, _ = list_people(s, actor=SYSTEM, q="輸入四郎")
        assert [p.id for p in found] == out.created

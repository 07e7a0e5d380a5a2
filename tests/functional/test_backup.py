"""`hozen backup` and `hozen restore` on the real database (SQLite, or PostgreSQL through
pg_dump/pg_restore): a restore returns every table to the backup point and its audit chain
verifies; a dump that does not match its manifest, a newer schema, another dialect, a
missing key set or a database holding data (without --force) is refused before anything is
written; a backup taken while another connection writes is a consistent copy."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from hozen import backup
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.audit.services import record
from hozen.clearances.models import AreaDecision, Clearance, ClearanceCase
from hozen.cli.main import app as cli
from hozen.db import make_engine, session_factory
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import assert_unchanged, detached_world, snapshot

runner = CliRunner()


def adjudicated_case(client, world) -> str:
    case_id = run_to_adjudication(client, world)
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(world.users[Role.ADJUDICATOR]), json=favourable_decisions())
    assert r.status_code == 200 and r.json()["state"] == "granted", r.text
    return case_id


def rows(session, model) -> int:
    n = session.scalar(select(func.count()).select_from(model))
    session.rollback()  # an open transaction would hold locks the restore needs
    return n


def run(*args: str):
    return runner.invoke(cli, list(args))


def assert_restored(at_backup: dict, engine) -> None:
    """Every table as at the backup point, and one event more: the restore's own."""
    now = snapshot(engine)
    assert not at_backup["audit_event"] - now["audit_event"]
    [added] = (now["audit_event"] - at_backup["audit_event"]).elements()
    assert "backup:database:restore" in added
    assert_unchanged(at_backup, now | {"audit_event": at_backup["audit_event"]})


@pytest.fixture
def backed_up(client, session, engine, tmp_path):
    """People, a decided clearance case and their audit records, backed up; returns
    (dump path, the world, every table's rows at the backup point)."""
    world = detached_world(session)
    adjudicated_case(client, world)
    session.rollback()
    dump = tmp_path / "hozen.dump"
    result = run("backup", str(dump))
    assert result.exit_code == 0, result.output
    return dump, world, snapshot(engine)


def test_restore_returns_to_the_backup_point_and_the_chain_verifies(
        backed_up, client, session, engine):
    dump, world, at_backup = backed_up
    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["sha256"] == backup.sha256_file(dump)
    assert manifest["dialect"] == engine.dialect.name and manifest["revision"]
    assert manifest["audit_seq"] == rows(session, AuditEvent) > 0
    assert (dump.stat().st_mode & 0o777) == 0o600  # the whole record: owner only
    assert set(manifest) == {"format", "created_at", "dialect", "revision", "audit_seq",
                             "audit_head", "sha256", "size", "key_id",
                             "key_ids"}  # no key material
    assert manifest["key_ids"] == [manifest["key_id"]]

    # more data after the backup: a person, through the API and so audited
    r = client.post("/api/v1/people", headers=world.users[
        Role.COMPANY_SECURITY_OFFICER].headers, json={
        "family_name_kanji": "後藤", "given_name_kanji": "一郎", "birth_date": "1990-04-01",
        "nationalities": ["JPN"], "employer_id": world.company.id})
    assert r.status_code == 201, r.text
    changed = snapshot(engine)
    assert changed != at_backup

    refused = run("restore", str(dump))  # the database holds data: not without --force
    assert refused.exit_code == 2 and "not empty" in refused.output and "--force" in refused.output
    assert_unchanged(changed, snapshot(engine))

    restored = run("restore", str(dump), "--force")
    assert restored.exit_code == 0, restored.output
    assert f"verified {manifest['audit_seq'] + 1} events" in restored.output  # + the restore
    assert_restored(at_backup, engine)
    assert rows(session, ClearanceCase) == 1 and rows(session, Clearance) == 1
    assert rows(session, AreaDecision) == 7
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output
    # the restored database is in service: the API reads and writes it
    cso = world.users[Role.COMPANY_SECURITY_OFFICER].headers
    listed = client.get("/api/v1/clearance-cases", headers=cso)
    assert listed.status_code == 200
    assert [c["status"] for c in listed.json()["items"]] == ["granted"]
    assert run("audit", "verify").exit_code == 0


def test_restore_removes_tables_the_backup_did_not_have(backed_up, engine):
    """As a later migration's table would be: it goes, so `hozen db upgrade` can make it."""
    dump, _world, at_backup = backed_up
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE added_after_backup (id INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO added_after_backup (id) VALUES (1)"))
    result = run("restore", str(dump), "--force")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        assert "added_after_backup" not in inspect(conn).get_table_names()
    assert_restored(at_backup, engine)


def test_restore_into_an_empty_database_needs_no_force(backed_up, engine):
    from tests.conftest import wipe

    dump, _world, at_backup = backed_up
    wipe(engine)  # what `hozen db upgrade` leaves: reference data only
    result = run("restore", str(dump))
    assert result.exit_code == 0, result.output
    assert_restored(at_backup, engine)


def test_a_tampered_dump_is_refused_and_nothing_is_written(backed_up, engine):
    dump, _world, at_backup = backed_up
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    result = run("restore", str(dump), "--force")
    assert result.exit_code == 2 and "sha256" in result.output, result.output
    assert_unchanged(at_backup, snapshot(engine))
    backup.manifest_path(dump).unlink()
    missing = run("restore", str(dump), "--force")
    assert missing.exit_code == 2 and "manifest" in missing.output


@pytest.mark.parametrize(("field", "value", "message"), [
    ("revision", "9999", "newer schema (revision 9999)"),
    ("key_id", "kmissing", "lacks key set 'kmissing'"),
    ("dialect", "oracle", "backup is of a oracle database"),
    ("format", 99, "not valid"),
])
def test_a_manifest_this_hozen_cannot_honour_is_refused(backed_up, engine, field, value,
                                                        message):
    dump, _world, at_backup = backed_up
    path = backup.manifest_path(dump)
    doc = json.loads(path.read_text())
    path.write_text(json.dumps(doc | {field: value}))
    result = run("restore", str(dump), "--force")
    assert result.exit_code == 2 and message in result.output, result.output
    assert_unchanged(at_backup, snapshot(engine))


def test_a_restore_whose_audit_chain_does_not_verify_exits_non_zero(session, engine,
                                                                     tmp_path):
    detached_world(session)
    seq, last = session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                .order_by(AuditEvent.seq.desc()).limit(1)).one()
    session.rollback()
    with engine.begin() as conn:  # the log accepts inserts: a forged event at its head
        conn.execute(AuditEvent.__table__.insert().values(
            seq=seq + 1, at="2026-01-01T00:00:00.000000Z", actor="system:forger",
            tag="registry:person:create", subject_type="person", details="{}",
            prev_hash=last, hash="f" * 64))
    dump = tmp_path / "forged.dump"
    assert run("backup", str(dump)).exit_code == 0
    result = run("restore", str(dump), "--force")
    assert result.exit_code == 1, result.output
    assert f"BROKEN at sequence {seq + 1}" in result.output
    assert "does not verify" in result.output


def test_a_checkpoint_signed_after_the_backup_is_set_aside_not_left_claiming(
        backed_up, session):
    """(tests/functional/test_restore_audit.py shows what is kept and recorded.)"""
    from hozen.cli.audit_commands import checkpoint_log

    dump, _world, _ = backed_up
    log = checkpoint_log()
    assert not log.exists()
    try:
        detached_world(session)  # events after the backup point, then a signed checkpoint
        signed = run("audit", "checkpoint")
        assert signed.exit_code == 0, signed.output
        seq = int(signed.output.split()[1].split(":")[0])
        result = run("restore", str(dump), "--force")
        assert result.exit_code == 0, result.output
        assert f"set aside 1 later checkpoints (sequence {seq})" in result.output
        assert "truncated tail" not in result.output and log.read_text() == ""
    finally:
        for path in log.parent.glob(log.stem + "*"):
            path.unlink()


def test_backup_refuses_to_overwrite_and_says_the_key_file_is_not_in_it(backed_up):
    dump, _world, _ = backed_up
    before = dump.read_bytes()
    again = run("backup", str(dump))
    assert again.exit_code == 2 and "not overwritten" in again.output
    assert dump.read_bytes() == before
    for command in ("backup", "restore"):
        helptext = " ".join(run(command, "--help").output.split())
        assert "key file is NOT in the backup" in helptext or \
            "key file is not in the backup" in helptext


TRANSACTION = 3  # events per writer transaction


def test_a_backup_taken_while_another_connection_writes_is_consistent(
        clean, database_url, session, tmp_path):
    """A writer commits transactions of three audit events without pause, on its own
    connection, before, during and after the backup; the copy holds a whole prefix of
    them: every transaction all or nothing, a chain that verifies to the manifest's head."""
    committed = []
    stop, errors = threading.Event(), []

    def writer() -> None:
        engine = make_engine(database_url)
        try:
            new_session = session_factory(engine)
            i = 0
            while not stop.is_set():
                with new_session() as s:
                    for k in range(TRANSACTION):
                        record(s, actor="system:writer", tag="test:backup:write",
                               subject_type="writer", details={"i": i, "k": k})
                    s.commit()
                committed.append(i)
                i += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(committed) < 5 and thread.is_alive():
            stop.wait(0.01)
        dump = tmp_path / "live.dump"
        manifest = backup.backup(database_url, dump)
        at_backup = len(committed)
        while len(committed) < at_backup + 5 and thread.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert errors == [] and not thread.is_alive()
    written = len(committed)
    assert manifest.audit_seq % TRANSACTION == 0 and manifest.audit_seq < written * TRANSACTION

    result = run("restore", str(dump), "--force")
    assert result.exit_code == 0, result.output
    assert f"verified {manifest.audit_seq + 1} events" in result.output  # + the restore's
    got = session.execute(text("SELECT details FROM audit_event WHERE tag <> "
                               "'backup:database:restore' ORDER BY seq")).scalars().all()
    session.rollback()
    keys = [(d["i"], d["k"]) for d in map(json.loads, got)]
    n = manifest.audit_seq // TRANSACTION
    assert 5 <= n < written
    assert keys == [(i, k) for i in range(n) for k in range(TRANSACTION)]  # a whole prefix


def test_pg_binaries_are_found_in_one_place():
    path = backup.pg_binary("pg_dump")
    assert path.endswith("/pg_dump")
    with pytest.raises(backup.BackupError, match="not found"):
        backup.pg_binary("pg_no_such_program")

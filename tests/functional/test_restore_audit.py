"""`hozen restore` leaves its own trace and nothing that lies (issue 11): the restore is
the next event of the restored audit chain (which backup, when, by whom and on which
host); checkpoints signed after the backup point, whose events are gone, are set aside
in a file of their own instead of claiming a tail that no longer exists; and a backup
taken half-way through a key rotation names both key sets, so no keyring that lacks
either can restore it, and the right one decrypts every row."""

from __future__ import annotations

import json
import os
import shutil
import socket

import pytest
from sqlalchemy import func, select

from hozen import backup
from hozen.audit.models import AuditCheckpoint, AuditEvent
from hozen.cli import audit_commands
from hozen.config import get_settings
from hozen.crypto import load_keyring
from hozen.registry.models import Person
from tests.factories import detached_world
from tests.functional.test_backup import backed_up, rows, run  # noqa: F401  (fixture)
from tests.functional.test_key_rotation import (  # noqa: F401  (fixtures)
    key_ids,
    plaintexts,
    populated,
)


def last_event(session) -> AuditEvent:
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    session.expunge(event)  # its values stay loaded: no read (and no lock) after
    session.rollback()
    return event


@pytest.fixture
def checkpoint_log():
    log = audit_commands.checkpoint_log()
    assert not log.exists()
    yield log
    for path in log.parent.glob(log.stem + "*"):
        path.unlink()


def test_a_restore_is_the_next_event_of_the_restored_chain(
        backed_up, session):  # noqa: F811
    dump, _world, _ = backed_up
    manifest = backup.read_manifest(dump)
    restored = run("restore", str(dump), "--force")
    assert restored.exit_code == 0, restored.output

    event = last_event(session)
    assert (event.seq, event.prev_hash) == (manifest.audit_seq + 1, manifest.audit_head)
    assert event.tag == "backup:database:restore" and event.actor == "system:cli"
    details = json.loads(event.details)
    assert details["sha256"] == manifest.sha256 and details["backup"] == str(dump.resolve())
    assert details["backup_created_at"] == manifest.created_at
    assert details["backup_audit_head"] == f"{manifest.audit_seq}:{manifest.audit_head}"
    assert details["host"] == socket.gethostname() and details["os_user"]
    assert details["superseded_checkpoints"] == [] and details["set_aside_to"] is None
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert f"verified {manifest.audit_seq + 1} events" in verify.output

    again = run("restore", str(dump), "--force")  # each restore is its own event
    assert again.exit_code == 0, again.output
    assert last_event(session).seq == manifest.audit_seq + 1  # the chain starts again there
    assert rows(session, AuditEvent) == manifest.audit_seq + 1


def test_checkpoints_after_the_backup_point_are_set_aside_and_earlier_ones_kept(
        session, engine, tmp_path, checkpoint_log):
    detached_world(session)
    early = run("audit", "checkpoint")  # held by the backup: it stays
    assert early.exit_code == 0, early.output
    dump = tmp_path / "hozen.dump"
    assert run("backup", str(dump)).exit_code == 0
    session.rollback()
    detached_world(session)  # events after the backup point, then two signed checkpoints
    later = [run("audit", "checkpoint") for _ in range(2)]
    assert all(r.exit_code == 0 for r in later)
    lines = checkpoint_log.read_text().splitlines()
    assert len(lines) == 3
    kept, gone = lines[:1], lines[1:]

    restored = run("restore", str(dump), "--force")
    assert restored.exit_code == 0, restored.output
    seqs = [json.loads(line)["seq"] for line in gone]
    assert f"set aside 2 later checkpoints (sequence {seqs[0]}, {seqs[1]})" in restored.output
    assert checkpoint_log.read_text().splitlines() == kept
    [aside] = [p for p in checkpoint_log.parent.glob(checkpoint_log.stem + ".superseded-*")]
    assert aside.read_text().splitlines() == gone and (aside.stat().st_mode & 0o777) == 0o600
    details = json.loads(last_event(session).details)
    assert details["superseded_checkpoints"] == [
        f"{json.loads(line)['seq']}:{json.loads(line)['hash']}" for line in gone]
    assert details["set_aside_to"] == str(aside)
    assert rows(session, AuditCheckpoint) == 1  # the database's own: as at the backup
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "checked 2 checkpoints/anchors" in verify.output  # the early one, stored and logged


def test_a_backup_half_way_through_a_rotation_needs_both_key_sets(
        populated, key_file, engine, session, tmp_path):  # noqa: F811
    before_rotation = tmp_path / "before-rotation.key"
    shutil.copy(key_file, before_rotation)
    old = load_keyring(key_file).active
    stopped = run("keys", "rotate", "--batch", "2", "--max-batches", "3", "--settle", "0")
    assert stopped.exit_code == 3, stopped.output
    new = load_keyring(key_file).next
    assert key_ids(engine)["person.pii"] == {old, new}  # rows under both sets

    dump = tmp_path / "mid-rotation.dump"
    made = run("backup", str(dump))
    assert made.exit_code == 0, made.output
    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["key_id"] == old and manifest["key_ids"] == sorted({old, new})
    everything = plaintexts(engine, load_keyring(key_file))
    done = run("keys", "rotate", "--settle", "0")  # finished: the old set retired
    assert done.exit_code == 0, done.output
    assert set(load_keyring(key_file).sets) == {new}

    # the key file kept from before the rotation holds the backup's active set, not its next
    for lacking, path in ((new, before_rotation), (old, key_file)):
        with using_key_file(path):
            refused = run("restore", str(dump), "--force")
        assert refused.exit_code == 2 and f"lacks key set {lacking!r}" in refused.output

    both = tmp_path / "both.key"
    doc = json.loads(key_file.read_text())
    doc["sets"] |= json.loads(before_rotation.read_text())["sets"]
    both.write_text(json.dumps(doc))
    with using_key_file(both):
        restored = run("restore", str(dump), "--force")
        assert restored.exit_code == 0, restored.output
        assert key_ids(engine)["person.pii"] == {old, new}
        assert plaintexts(engine, load_keyring(both)) == everything  # every row reads
        resumed = run("keys", "rotate", "--settle", "0", "--no-keep")
        assert resumed.exit_code == 0, resumed.output
        assert run("audit", "verify").exit_code == 0
        assert plaintexts(engine, load_keyring(both).only(new)) == everything
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Person)) > 0


class using_key_file:
    """HOZEN_KEY_FILE pointing at `path` for the block."""

    def __init__(self, path) -> None:
        self.path = path

    def __enter__(self):
        self.before = os.environ["HOZEN_KEY_FILE"]
        os.environ["HOZEN_KEY_FILE"] = str(self.path)
        get_settings.cache_clear()

    def __exit__(self, *exc):
        os.environ["HOZEN_KEY_FILE"] = self.before
        get_settings.cache_clear()

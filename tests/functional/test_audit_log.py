"""The audit log on the real database (SQLite or PostgreSQL): events are written in the
same transaction as the change, the table is append-only, reads of personal data are
recorded, and `hozen audit verify` / `hozen audit checkpoint` catch tampering."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import hozen
from hozen.accounts.permissions import Role
from hozen.audit import services as audit
from hozen.audit.models import AuditEvent
from hozen.audit.rules import GENESIS, HASHED_FIELDS, event_hash
from hozen.cli.main import app as cli
from hozen.config import get_settings
from hozen.registry.models import Organisation
from tests.factories import SYSTEM, make_org, make_person, make_user

# --- helpers ---------------------------------------------------------------------------


def _migration():
    """The foundation migration, to restore exactly the triggers it created."""
    path = next((Path(hozen.__file__).parent / "migrations" / "versions").glob("0001_*.py"))
    spec = importlib.util.spec_from_file_location("hozen_migration_0001_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_pg(engine) -> bool:
    return engine.dialect.name == "postgresql"


def events(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(*AuditEvent.__table__.columns).order_by(AuditEvent.seq))
        return [dict(r) for r in rows.mappings()]


def organisation_ids(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Organisation.id).order_by(Organisation.id)))


def head(engine) -> tuple[int, str]:
    rows = events(engine)
    return (rows[-1]["seq"], rows[-1]["hash"]) if rows else (0, GENESIS)


def hozen_cli(*args: str):
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def verify_ok(session) -> audit.VerifyReport:
    report = audit.verify(session, trusted_keys=set())
    session.rollback()
    return report


def assert_append_only(engine) -> None:
    seq = head(engine)[0]
    assert seq, "need at least one event"
    statements = [f"UPDATE audit_event SET actor = 'user:mallory' WHERE seq = {seq}",
                  f"DELETE FROM audit_event WHERE seq = {seq}"]
    if is_pg(engine):  # PostgreSQL's TRUNCATE skips row triggers: a statement trigger stops it
        statements.append("TRUNCATE audit_event")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))


@pytest.fixture
def keys(tmp_path):
    """A checkpoint key directory of this test's own (the log file lives beside the key),
    so signed checkpoints never leak into other tests."""
    key_file = tmp_path / "keys" / "audit-checkpoint.key"
    old = os.environ.get("HOZEN_CHECKPOINT_KEY_FILE")
    os.environ["HOZEN_CHECKPOINT_KEY_FILE"] = str(key_file)
    get_settings.cache_clear()
    assert get_settings().checkpoint_key_file == key_file
    yield key_file
    if old is None:
        os.environ.pop("HOZEN_CHECKPOINT_KEY_FILE", None)
    else:
        os.environ["HOZEN_CHECKPOINT_KEY_FILE"] = old
    get_settings.cache_clear()


@pytest.fixture
def attacker(clean):
    """Someone with direct database access: drops the append-only triggers and runs SQL.
    The triggers are put back afterwards, exactly as the migration creates them."""
    engine = clean
    with engine.begin() as conn:
        if is_pg(engine):
            conn.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))

    def run(sql: str, **params) -> int:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).rowcount

    try:
        yield run
    finally:
        migration = _migration()
        with engine.begin() as conn:
            if is_pg(engine):
                conn.execute(text("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE"))
                conn.execute(text(migration._PG_TRIGGER))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
                for statement in migration._SQLITE_TRIGGERS:
                    conn.execute(text(statement))
        if head(engine)[0]:
            assert_append_only(engine)  # later tests keep their protection


def some_events(session, n_orgs: int = 6) -> list[str]:
    """A short real chain: organisations made through the service, one event each."""
    ids = [make_org(session).id for _ in range(n_orgs)]
    session.commit()
    return ids


# --- same transaction -------------------------------------------------------------------


def test_rolled_back_service_call_leaves_no_event(session, engine):
    make_org(session)
    make_person(session)
    session.rollback()
    assert events(engine) == []
    assert organisation_ids(engine) == []


def test_committed_service_call_leaves_exactly_one_chained_event(session, engine):
    org = make_org(session)
    session.commit()
    [row] = events(engine)
    assert row["tag"] == "registry:organisation:create"
    assert row["actor"] == SYSTEM.audit_name == "system:test"
    assert (row["subject_type"], row["subject_id"]) == ("organisation", org.id)
    assert json.loads(row["details"]) == {"kind": "company", "country": "JPN"}
    assert (row["seq"], row["prev_hash"]) == (1, GENESIS)
    assert row["hash"] == event_hash(row)
    assert row["request_id"] is None  # not in a request
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", row["at"])
    assert verify_ok(session).ok


def test_person_event_carries_no_personal_data(session, engine):
    person = make_person(session, family_name_kanji="薬師寺", given_name_kanji="涼子",
                         family_name_kana="ヤクシジ", given_name_kana="リョウコ",
                         family_name_latin="Yakushiji", given_name_latin="Ryoko",
                         birth_date="1977-11-23")
    session.commit()
    [row] = [r for r in events(engine) if r["tag"] == "registry:person:create"]
    assert (row["subject_type"], row["subject_id"]) == ("person", person.id)
    stored = json.dumps(row, ensure_ascii=False, default=str).lower()
    for clear in ("薬師寺", "涼子", "ヤクシジ", "リョウコ", "yakushiji", "ryoko",
                  "1977-11-23", "19771123", "昭和52"):
        assert clear.lower() not in stored


def test_events_of_one_transaction_are_consecutive_and_linked(session, engine):
    some_events(session, 3)
    make_org(session)
    make_org(session)
    session.commit()
    rows = events(engine)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    for before, row in zip(rows, rows[1:], strict=False):
        assert row["prev_hash"] == before["hash"]
        assert row["hash"] == event_hash(row)


def test_record_then_rollback_before_any_sql_discards_the_event(session, engine):
    """The rolled-back unit of work had not touched the database yet; its queued event
    must not ride along with the next commit on the same session."""
    audit.record(session, actor="system:test", tag="test:thing:change",
                 subject_type="thing", subject_id="rolled-back")
    session.rollback()
    org = make_org(session)
    session.commit()
    assert [(r["tag"], r["subject_id"]) for r in events(engine)] == [
        ("registry:organisation:create", org.id)]


def test_savepoint_rollback_keeps_the_event_of_the_outer_change(session, engine):
    """A change committed by the outer transaction keeps its audit event even when a
    nested savepoint (say, an attempt that hit a constraint) is rolled back."""
    kept = make_org(session)
    savepoint = session.begin_nested()
    make_org(session)
    savepoint.rollback()
    session.commit()
    assert organisation_ids(engine) == [kept.id]
    assert [(r["tag"], r["subject_id"]) for r in events(engine)] == [
        ("registry:organisation:create", kept.id)]


# --- append-only --------------------------------------------------------------------------


def test_update_and_delete_on_audit_event_are_refused_by_the_database(session, engine):
    some_events(session, 3)
    before = events(engine)
    for sql in ("UPDATE audit_event SET details = '{}' WHERE seq = 2",
                "UPDATE audit_event SET seq = 99 WHERE seq = 3",
                "DELETE FROM audit_event WHERE seq = 1",
                "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert events(engine) == before


# --- hozen audit verify ---------------------------------------------------------------------


def test_verify_on_an_empty_chain_passes(clean, keys):
    result = hozen_cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"verified 0 events; head 0:{GENESIS}" in result.output


def test_verify_passes_on_an_intact_chain_and_prints_the_count(world, engine, keys):
    n, head_hash = head(engine)
    assert n == len(events(engine)) > 10
    result = hozen_cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"verified {n} events; head {n}:{head_hash}" in result.output
    assert "BROKEN" not in result.output
    assert head(engine) == (n, head_hash)  # verifying writes nothing to the chain


def _forge_insert(run, engine, at: int) -> None:
    """Renumber the tail up by one and slip in a forged row at `at`, its link and own
    hash recomputed correctly."""
    rows = {r["seq"]: r for r in events(engine)}
    for seq in sorted(rows, reverse=True):
        if seq >= at:
            run("UPDATE audit_event SET seq = :new WHERE seq = :old", new=seq + 1, old=seq)
    forged = {**rows[at], "actor": "user:mallory", "prev_hash": rows[at - 1]["hash"]}
    forged["hash"] = event_hash(forged)
    cols = [*HASHED_FIELDS, "hash"]
    run(f"INSERT INTO audit_event ({', '.join(cols)}) VALUES "
        f"({', '.join(':' + c for c in cols)})", **{c: forged[c] for c in cols})


TAMPERING = {
    # name: (what the attacker does, first broken sequence)
    "edit actor": (lambda run, e: run("UPDATE audit_event SET actor = 'user:x' WHERE seq = 4"), 4),
    "edit details": (lambda run, e: run(
        "UPDATE audit_event SET details = '{\"kind\":\"company\"}' WHERE seq = 3"), 3),
    "edit time": (lambda run, e: run(
        "UPDATE audit_event SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 6"), 6),
    "edit subject": (lambda run, e: run(
        "UPDATE audit_event SET subject_id = NULL WHERE seq = 2"), 2),
    "edit own hash": (lambda run, e: run(
        "UPDATE audit_event SET hash = :h WHERE seq = 5", h="0" * 63 + "1"), 5),
    "edit last row": (lambda run, e: run("UPDATE audit_event SET tag = 'x:y:z' WHERE seq = 6"), 6),
    "delete first": (lambda run, e: run("DELETE FROM audit_event WHERE seq = 1"), 1),
    "delete middle": (lambda run, e: run("DELETE FROM audit_event WHERE seq = 3"), 3),
    "renumber after delete": (lambda run, e: (
        run("DELETE FROM audit_event WHERE seq = 3"),
        [run("UPDATE audit_event SET seq = :n WHERE seq = :o", n=s - 1, o=s) for s in (4, 5, 6)],
    ), 3),
    "swap two rows": (lambda run, e: (
        run("UPDATE audit_event SET seq = -1 WHERE seq = 2"),
        run("UPDATE audit_event SET seq = 2 WHERE seq = 5"),
        run("UPDATE audit_event SET seq = 5 WHERE seq = -1"),
    ), 2),
    "insert forged row": (lambda run, e: _forge_insert(run, e, 3), 4),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_verify_names_the_first_broken_sequence_after_tampering(kind, session, engine,
                                                                attacker, keys):
    some_events(session, 6)
    assert hozen_cli("audit", "verify").exit_code == 0
    tamper, broken = TAMPERING[kind]
    tamper(attacker, engine)
    result = hozen_cli("audit", "verify")
    assert result.exit_code != 0, result.output
    assert f"BROKEN at sequence {broken}:" in result.output
    assert f"({broken - 1} events verified before it)" in result.output


# --- checkpoints and expected heads ---------------------------------------------------------


def test_checkpoint_then_truncated_tail_fails_verification(session, engine, attacker, keys):
    some_events(session, 5)
    n, head_hash = head(engine)
    result = hozen_cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    match = re.search(r"checkpoint (\d+):([0-9a-f]{64}) signed by ([0-9a-f]{64})", result.output)
    assert match and (int(match[1]), match[2]) == (n, head_hash)
    # The key lives outside the database, readable by its owner only; the log beside it.
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    log = keys.parent / "audit-checkpoints.jsonl"
    [logged] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (logged["seq"], logged["hash"], logged["public_key"]) == (n, head_hash, match[3])
    # The checkpoint is itself an audit event, appended after the signed head.
    assert events(engine)[-1]["tag"] == "audit:checkpoint:create"
    ok = hozen_cli("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert f"verified {n + 1} events" in ok.output
    assert "checked 2 checkpoints/anchors" in ok.output  # stored row + log line

    attacker("DELETE FROM audit_event WHERE seq >= :s", s=n - 1)  # drop the tail
    remaining = hozen_cli("audit", "verify")
    assert remaining.exit_code != 0, remaining.output
    assert "truncated" in remaining.output
    assert f"sequence {n}" in remaining.output
    # Deleting the stored checkpoints too does not help: the log outside the database
    # still holds the signed head.
    attacker("DELETE FROM audit_checkpoint")
    still = hozen_cli("audit", "verify")
    assert still.exit_code != 0, still.output
    assert "truncated" in still.output


def test_checkpoint_on_an_empty_chain_does_not_raise_a_false_alarm(clean, engine, keys):
    """Right after `hozen db upgrade` the chain is empty; a checkpoint of that head
    (0:GENESIS) is a true statement and must verify."""
    result = hozen_cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    assert f"checkpoint 0:{GENESIS}" in result.output
    verified = hozen_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "verified 1 events" in verified.output  # the checkpoint's own event


def test_checkpoint_by_an_untrusted_key_or_with_a_bad_signature_fails(session, engine, keys):
    some_events(session, 3)
    assert hozen_cli("audit", "checkpoint").exit_code == 0
    assert hozen_cli("audit", "verify").exit_code == 0
    stranger = "ab" * 32
    untrusted = hozen_cli("audit", "verify", "--public-key", stranger)
    assert untrusted.exit_code != 0, untrusted.output
    assert "untrusted key" in untrusted.output
    # Rewrite the stored checkpoint (no trigger guards that table) and remove the log.
    (keys.parent / "audit-checkpoints.jsonl").unlink()
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_checkpoint SET seq = 2"))
    forged = hozen_cli("audit", "verify")
    assert forged.exit_code != 0, forged.output
    assert "bad signature" in forged.output


def test_expect_head(session, engine, keys):
    some_events(session, 4)
    seq, head_hash = head(engine)
    right = hozen_cli("audit", "verify", "--expect-head", f"{seq}:{head_hash}")
    assert right.exit_code == 0, right.output
    assert "checked 1 checkpoints/anchors" in right.output
    earlier = hozen_cli("audit", "verify", "--expect-head", f"2:{events(engine)[1]['hash']}")
    assert earlier.exit_code == 0, earlier.output

    wrong_hash = head_hash[:-1] + ("0" if head_hash[-1] != "0" else "1")
    wrong = hozen_cli("audit", "verify", "--expect-head", f"{seq}:{wrong_hash}")
    assert wrong.exit_code != 0, wrong.output
    assert f"differs from anchor at sequence {seq}" in wrong.output
    beyond = hozen_cli("audit", "verify", "--expect-head", f"{seq + 3}:{head_hash}")
    assert beyond.exit_code != 0, beyond.output
    assert "truncated" in beyond.output
    malformed = hozen_cli("audit", "verify", "--expect-head", "abc")
    assert malformed.exit_code == 2, malformed.output


# --- reads of personal data through the API ---------------------------------------------


_READERS = (Role.WINDOW_OFFICER, Role.AUDITOR, Role.COMPANY_SECURITY_OFFICER)


@pytest.fixture
def world(session):
    """A small world (fewer password hashes than make_world): an employer with a member
    of staff, another company with an outsider, and one user per reading role."""
    gov = make_org(session, kind="government_body", name_ja="内閣府テスト", name_en="CAO test")
    company, other = make_org(session), make_org(session)
    staff = make_person(session, employer_id=company.id)
    outsider = make_person(session, employer_id=other.id, family_name_kanji="佐々木",
                           family_name_latin="Sasaki", family_name_kana="ササキ")
    users = {role: make_user(session, role,
                             company.id if role is Role.COMPANY_SECURITY_OFFICER else gov.id)
             for role in _READERS}
    session.commit()
    return SimpleNamespace(staff=staff, outsider=outsider, users=users)


def test_person_read_through_the_api_is_recorded(world, client, engine, session):
    officer = world.users[Role.WINDOW_OFFICER]
    before = head(engine)[0]
    r = client.get(f"/api/v1/people/{world.staff.id}",
                   headers={**officer.headers, "X-Request-Id": "audit-read-0001"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == world.staff.id
    new = [e for e in events(engine) if e["seq"] > before]
    reads = [e for e in new if e["tag"] == "registry:person:read"]
    assert len(reads) == 1, new
    [read] = reads
    assert read["actor"] == f"user:{officer.user_id}"
    assert (read["subject_type"], read["subject_id"]) == ("person", world.staff.id)
    assert read["request_id"] == "audit-read-0001"
    for clear in ("山田", "Yamada", "ヤマダ", "1980-01-02"):
        assert clear not in read["details"]
    assert verify_ok(session).ok


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMPANY_SECURITY_OFFICER])
def test_refused_person_read_records_no_read(role, world, client, engine):
    """404 for a role that may not see this person: nothing was read, so no read event
    may claim otherwise."""
    reader = world.users[role]
    r = client.get(f"/api/v1/people/{world.outsider.id}", headers=reader.headers)
    assert r.status_code == 404
    assert not [e for e in events(engine) if e["tag"] == "registry:person:read"
                and e["actor"] == f"user:{reader.user_id}"]


def test_person_search_records_whom_it_read(world, client, engine):
    officer = world.users[Role.WINDOW_OFFICER]
    before = head(engine)[0]
    r = client.get("/api/v1/people", params={"q": "Yamada"}, headers=officer.headers)
    assert r.status_code == 200, r.text
    returned = {p["id"] for p in r.json()["items"]}
    assert world.staff.id in returned
    [listed] = [e for e in events(engine)
                if e["seq"] > before and e["tag"] == "registry:person:list"]
    assert listed["actor"] == f"user:{officer.user_id}"
    assert set(json.loads(listed["details"])["read"]) == returned
    assert "Yamada" not in listed["details"]

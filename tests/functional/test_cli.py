"""The hozen command: upgrade, demo data, users and tokens."""

from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.models import ApiToken, User
from hozen.audit.models import AuditEvent
from hozen.cli.main import app
from hozen.demo import USERS
from hozen.registry.models import Organisation, Person

runner = CliRunner()


def count(session, model):
    """Read, then end the transaction: on SQLite an open one holds the write lock."""
    value = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return value


def test_db_upgrade(clean):
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output


def test_demo_load_once(session):
    first = runner.invoke(app, ["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "hozen-demo-2026" in first.output
    users, people = count(session, User), count(session, Person)
    assert users == len(USERS) == 13
    assert people >= 10 and count(session, Organisation) >= 10
    again = runner.invoke(app, ["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert count(session, User) == users and count(session, Person) == people
    # the demo data went through the services: everything audited, chain intact
    assert count(session, AuditEvent) >= users + people
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_token_create_prints_once_and_stores_hash(session):
    runner.invoke(app, ["demo", "load"])
    result = runner.invoke(app, ["token", "create", "window"])
    assert result.exit_code == 0
    raw = result.output.strip()
    assert raw.startswith("hzn_")
    stored = session.scalars(select(ApiToken.token_hash)).all()
    session.rollback()
    assert raw not in stored and len(stored) == 1
    assert runner.invoke(app, ["token", "create", "nobody"]).exit_code == 2


def test_user_create_validates(session):
    runner.invoke(app, ["demo", "load"])
    org = session.scalars(select(Organisation.id)).first()
    session.rollback()
    ok = runner.invoke(app, ["user", "create", "newofficer", org, "--role", "auditor",
                             "--password", "a-long-password-1"])
    assert ok.exit_code == 0, ok.output
    short = runner.invoke(app, ["user", "create", "other", org, "--role", "auditor",
                                "--password", "short"])
    assert short.exit_code == 2 and "password" in short.output
    bad_role = runner.invoke(app, ["user", "create", "x2", org, "--role", "king",
                                   "--password", "a-long-password-1"])
    assert bad_role.exit_code == 2


def test_policy_export_cedar_writes_the_policy_set(tmp_path):
    from hozen.access import cedar

    result = runner.invoke(app, ["policy", "export-cedar", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = result.output.split()
    assert [p.rsplit("/", 1)[-1] for p in written] == [cedar.POLICY_FILE, cedar.SCHEMA_FILE]
    assert (tmp_path / "out" / cedar.POLICY_FILE).read_text(encoding="utf-8") \
        == cedar.policy_text()

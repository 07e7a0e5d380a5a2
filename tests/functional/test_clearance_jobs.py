"""hozen jobs run: expiry, reminders and e-mail; idempotent."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import Clearance
from hozen.cli.main import app as cli
from hozen.notifications.models import Notification
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import make_world
from tests.smtp import smtp_inbox

runner = CliRunner()


@pytest.fixture
def granted(client, session):
    world = make_world(session)
    case_id = run_to_adjudication(client, world, regime="SDS")
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(world.users[Role.ADJUDICATOR]), json=favourable_decisions())
    assert r.json()["state"] == "granted"
    row = session.scalar(select(Clearance).where(Clearance.case_id == case_id))
    clearance = SimpleNamespace(id=row.id, valid_until=row.valid_until)
    session.rollback()  # plain values kept: a rolled-back row would reload and hold a lock
    return world, clearance


def snapshot(session):
    counts = (session.scalar(select(func.count()).select_from(Notification)),
              session.scalar(select(func.count()).select_from(AuditEvent)),
              tuple(session.scalars(select(Clearance.status).order_by(Clearance.id))))
    session.rollback()
    return counts


def run(day: date) -> str:
    result = runner.invoke(cli, ["jobs", "run", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_reminders_once_per_threshold_and_second_run_changes_nothing(granted, session):
    world, clearance = granted
    assert "reminders 0" in run(clearance.valid_until - timedelta(days=200))
    day = clearance.valid_until - timedelta(days=85)  # inside the 90-day threshold
    out = run(day)
    assert "reminders 2" in out  # the subject and the company security officer
    before = snapshot(session)
    assert "expired 0, reminders 0, e-mails 0" in run(day)
    assert snapshot(session) == before
    recipients = set(session.scalars(select(Notification.user_id).where(
        Notification.kind.like("%clearance_expiring"))))
    session.rollback()
    assert recipients == {world.users[Role.SUBJECT].user_id,
                          world.users[Role.COMPANY_SECURITY_OFFICER].user_id}
    # the next threshold (30 days) sends one more each
    assert "reminders 2" in run(clearance.valid_until - timedelta(days=10))


def test_expiry_and_idempotence(granted, session):
    _, clearance = granted
    day = clearance.valid_until + timedelta(days=1)
    assert "expired 1" in run(day)
    assert session.get(Clearance, clearance.id).status == "expired"
    session.rollback()
    before = snapshot(session)
    assert "expired 0, reminders 0, e-mails 0" in run(day)
    assert snapshot(session) == before


def test_email_over_a_real_smtp_server_in_the_recipients_language(granted, session,
                                                                   monkeypatch):
    from hozen.accounts.models import User
    from hozen.accounts.services import seal_profile

    world, clearance = granted
    session.rollback()
    subject = session.get(User, world.users[Role.SUBJECT].user_id)
    subject.profile = seal_profile(subject.id, "山田 太郎", "taro@example.test")
    officer = session.get(User, world.users[Role.COMPANY_SECURITY_OFFICER].user_id)
    officer.profile = seal_profile(officer.id, "Officer", "cso@example.test")
    officer.language = "en"
    session.commit()
    with smtp_inbox(monkeypatch) as handler:
        out = run(clearance.valid_until - timedelta(days=20))
        # subject: listed, granted, reminder; security officer: granted, reminder
        assert "e-mails 5" in out
        assert "e-mails 0" in run(clearance.valid_until - timedelta(days=20))
    bodies: dict[str, list[str]] = {}
    for m in handler.messages:
        bodies.setdefault(m["To"], []).append(m.get_payload(decode=True).decode())
    assert set(bodies) == {"taro@example.test", "cso@example.test"}
    assert any("有効期限" in b for b in bodies["taro@example.test"])
    assert any("expires on" in b for b in bodies["cso@example.test"])
    assert any("valid until" in b for b in bodies["cso@example.test"])
    for m in handler.messages:  # no names, no findings: only the notice's parameters
        assert "山田" not in m.as_string() and "Yamada" not in m.as_string()


def test_reminders_reach_the_in_app_inbox_in_each_language(granted, client):
    world, clearance = granted
    run(clearance.valid_until - timedelta(days=20))
    subject = world.users[Role.SUBJECT].headers
    ja = [n for n in client.get("/api/v1/me/notifications", headers=subject).json()["items"]
          if n["kind"] == "clearance_expiring"]
    assert len(ja) == 1
    assert "有効期限" in ja[0]["body"] and clearance.valid_until.isoformat() in ja[0]["body"]
    en = [n for n in client.get("/api/v1/me/notifications", params={"lang": "en"},
                                headers=subject).json()["items"]
          if n["kind"] == "clearance_expiring"]
    assert "expires on" in en[0]["body"]
    # nobody else's inbox holds them
    other = client.get("/api/v1/me/notifications", headers=world.users[Role.AUDITOR].headers)
    assert other.status_code == 200 and other.json()["items"] == []
    bad = client.get("/api/v1/me/notifications", params={"lang": "fr"}, headers=subject)
    assert bad.status_code == 422 and bad.json()["field"] == "lang"

"""Sign-in throttling through the real form: slowed, then refused with 429, alike for
known and unknown names; the state is in the database, refusals are audited."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hozen.accounts import throttle
from hozen.accounts.models import LoginAttempt
from hozen.audit.models import AuditEvent
from hozen.db import utcnow
from tests.authenticator import sign_in as complete_sign_in
from tests.factories import PASSWORD, make_world


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture(autouse=True)
def delays(monkeypatch):
    """The delays asked for, without waiting them out."""
    asked = []

    async def record(seconds):
        asked.append(seconds)

    monkeypatch.setattr(throttle, "pause", record)
    return asked


def sign_in(client, username, password):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"},
                       follow_redirects=False)


def throttled_events(session):
    session.rollback()
    return session.scalars(select(AuditEvent).where(
        AuditEvent.tag == "accounts:login:throttled")).all()


def test_five_failures_slow_then_refuse_even_the_right_password(client, session, world,
                                                                delays):
    user = next(iter(world.users.values()))
    for _ in range(throttle.ACCOUNT_LIMIT):
        assert sign_in(client, user.username, "wrong-password!").status_code == 401
    assert delays == [0, 0, 1, 2, 4]
    r = sign_in(client, user.username, PASSWORD)
    assert r.status_code == 429 and "hozen_session" not in r.cookies
    assert 14 * 60 < int(r.headers["retry-after"]) <= 15 * 60
    assert "サインインの失敗が続いたため" in r.text or "Too many failed sign-ins" in r.text
    assert r.headers["cache-control"] == "no-store"
    [event] = throttled_events(session)
    assert event.subject_id == user.actor.id and event.actor == "anonymous"
    assert user.username not in event.details and PASSWORD not in event.details
    # a refused attempt checked no password and is not counted: still exactly five
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 5


def test_an_unknown_name_is_refused_exactly_like_a_known_one(client, session, world):
    known = next(iter(world.users.values())).username
    answers = {}
    for name in (known, "no-such-user"):
        for _ in range(throttle.ACCOUNT_LIMIT):
            sign_in(client, name, "wrong-password!")
        r = sign_in(client, name, "wrong-password!")
        answers[name] = (r.status_code, r.text.replace(name, "NAME"),
                         sorted(k for k in r.headers if k not in ("x-request-id",
                                                                  "content-length")))
    assert answers[known] == answers["no-such-user"]
    assert answers[known][0] == 429
    unknown = [e for e in throttled_events(session) if e.subject_id is None]
    assert len(unknown) == 1 and "no-such-user" not in unknown[0].details
    assert throttle.account_key("no-such-user").hex() in unknown[0].details


def test_a_success_resets_the_count_for_the_name(client, session, world):
    user = next(iter(world.users.values()))
    for _ in range(throttle.ACCOUNT_LIMIT - 1):
        sign_in(client, user.username, "wrong-password!")
    # a success is the whole sign-in: the password and then the code (enrolment here)
    assert "hozen_session" in complete_sign_in(client, user.username).cookies
    for _ in range(throttle.ACCOUNT_LIMIT - 1):
        assert sign_in(client, user.username, "wrong-password!").status_code == 401
    assert "hozen_session" in complete_sign_in(client, user.username).cookies


def test_twenty_failures_from_one_address_refuse_every_name(client, session, world):
    for n in range(throttle.ADDRESS_LIMIT):
        assert sign_in(client, f"guess{n}", "wrong-password!").status_code == 401
    user = next(iter(world.users.values()))
    r = sign_in(client, user.username, PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    [event] = throttled_events(session)
    assert '"scope":"address"' in event.details.replace(" ", "")


def test_behind_a_trusted_proxy_each_client_has_its_own_count(clean, session, world,
                                                              monkeypatch):
    """Behind a reverse proxy every peer is the proxy: with HOZEN_TRUSTED_PROXIES set,
    one client's failures do not lock out the others."""
    from fastapi.testclient import TestClient

    from hozen.app import create_app
    from hozen.config import get_settings

    monkeypatch.setenv("HOZEN_TRUSTED_PROXIES", "testclient")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as proxied:
            attacker = {"x-forwarded-for": "203.0.113.66"}
            for n in range(throttle.ADDRESS_LIMIT):
                proxied.headers.update(attacker)
                assert sign_in(proxied, f"guess{n}", "wrong-password!").status_code == 401
            assert sign_in(proxied, "guess-more", "x").status_code == 429
            proxied.headers.update({"x-forwarded-for": "203.0.113.7"})
            user = next(iter(world.users.values()))
            assert sign_in(proxied, user.username, PASSWORD).status_code == 303
    finally:
        monkeypatch.delenv("HOZEN_TRUSTED_PROXIES")
        get_settings.cache_clear()


def test_names_and_addresses_are_stored_only_as_keyed_hashes(client, session, world):
    sign_in(client, "yamada.taro", "wrong-password!")
    row = session.scalars(select(LoginAttempt)).one()
    assert row.account_key == throttle.account_key("yamada.taro") and not row.ok
    assert row.address_key == throttle.address_key("testclient")
    assert b"yamada" not in row.account_key and len(row.account_key) == 16


def test_concurrent_attempts_count_each_other_before_any_password_is_checked(session,
                                                                              world):
    """Each attempt is committed before it is judged: five still being checked refuse a
    sixth, so parallel guesses cannot pass the limit together."""
    pending = [throttle.begin_attempt(session, "target", f"10.0.0.{n}")
               for n in range(throttle.ACCOUNT_LIMIT)]
    assert not any(a.verdict.refused for a in pending)
    assert throttle.begin_attempt(session, "target", "10.0.0.99").verdict.refused


def test_attempts_older_than_the_window_are_pruned(session, world):
    old = utcnow() - throttle.WINDOW - timedelta(seconds=1)
    session.add_all([LoginAttempt(account_key=throttle.account_key("a"),
                                  address_key=throttle.address_key("x"), at=old, ok=False),
                     LoginAttempt(account_key=throttle.account_key("b"),
                                  address_key=throttle.address_key("x"), at=utcnow(),
                                  ok=False)])
    session.commit()
    assert throttle.prune(session) == 1
    session.commit()
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


def test_the_login_path_prunes_at_most_once_a_minute(session, world, monkeypatch):
    monkeypatch.setattr(throttle, "_last_prune", [])
    start = utcnow()

    def stale_row():
        session.add(LoginAttempt(account_key=b"k" * 16, address_key=b"a" * 16,
                                 at=start - throttle.WINDOW - timedelta(minutes=1), ok=False))
        session.commit()

    def rows() -> int:
        n = session.scalar(select(func.count()).select_from(LoginAttempt))
        session.rollback()  # on SQLite an open read holds the write lock
        return n

    stale_row()
    throttle.begin_attempt(session, "someone", "10.0.0.1", now=start)
    assert rows() == 1  # the stale row went; the attempt's own row stays
    stale_row()
    throttle.begin_attempt(session, "someone", "10.0.0.1", now=start + timedelta(seconds=30))
    assert rows() == 3  # not within the minute
    throttle.begin_attempt(session, "someone", "10.0.0.1", now=start + timedelta(minutes=2))
    assert rows() == 3  # the stale row went, a third attempt came

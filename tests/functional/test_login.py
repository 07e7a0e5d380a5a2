"""Sign-in: same path for unknown users and wrong passwords; sessions rotate."""

import argon2
import pytest
from sqlalchemy import select

from hozen.accounts import services as accounts
from hozen.accounts.models import WebSession
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.errors import Unauthenticated
from tests.authenticator import sign_in
from tests.factories import PASSWORD, make_world


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def verify_calls(monkeypatch):
    calls = []
    real = argon2.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(hash_)
        return real(self, hash_, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def test_unknown_user_and_wrong_password_take_the_same_path(session, world, verify_calls):
    username = next(iter(world.users.values())).username
    for name, password in ((username, "wrong-password!"), ("no-such-user", "whatever-pass")):
        with pytest.raises(Unauthenticated) as exc:
            accounts.authenticate(session, name, password)
        assert str(exc.value) == "wrong user name or password"
    assert len(verify_calls) == 2  # one Argon2 verification each, never a shortcut
    assert all(h.startswith("$argon2") for h in verify_calls)
    session.commit()
    fails = session.scalars(select(AuditEvent).where(AuditEvent.tag == "accounts:login:fail"))
    assert len(fails.all()) == 2


def test_login_sets_fresh_session_each_time(client, session, world):
    user = next(iter(world.users.values()))
    ids = set()
    for _ in range(2):  # enrolment the first time, the code step the second
        r = sign_in(client, user.username)
        ids.add(r.cookies.get("hozen_session"))
    assert None not in ids
    assert len(ids) == 2
    stored = session.scalars(select(WebSession.id_hash)).all()
    assert not (ids & set(stored))  # only hashes are stored


def test_login_rejects_offsite_next(client, world):
    for role in (Role.SUBJECT, Role.WINDOW_OFFICER):  # signed in; on to the code step
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={"username": world.users[role].username,
                                        "password": PASSWORD, "csrf_token": token,
                                        "next": "//evil.example/x"},
                        follow_redirects=False)
        assert r.headers["location"] in ("/", "/login/enrol?next=%2F")


def test_wrong_password_page_is_401_in_japanese(client, world):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "x", "password": "y", "csrf_token": token})
    assert r.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません" in r.text

"""The steps after a password run in worker threads, not on the event loop: checking a
code, starting the session, confirming an enrolment and recording a re-authentication
(each a database write that may wait for a lock). While one is in progress every other
request of the process is still answered. Shown by ordering, not timing, as in
test_signin_off_loop: the step is held until another request has been answered; had it
run on the loop, that answer would come only after it let go. The other request is one
that reads no database (a language switch): the held step is inside its transaction,
and on SQLite every transaction takes the write lock, so /healthz would wait for the
lock whether or not the loop were free."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from hozen.accounts import mfa
from hozen.accounts import services as accounts
from hozen.accounts.permissions import Role
from tests.authenticator import AUTHENTICATOR, csrf, sign_in
from tests.factories import PASSWORD, make_world

HOLD = 10  # seconds a held step waits at most (a failing run ends, never hangs)


class Held:
    """A function of ours that says when it begins, then waits to be let go."""

    def __init__(self, real) -> None:
        self.real, self.order = real, []
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, *args, **kwargs):
        self.order.append("step begins")
        self.entered.set()
        self.release.wait(HOLD)
        self.order.append("step ends")
        return self.real(*args, **kwargs)


def hold(monkeypatch, module, name: str) -> Held:
    held = Held(getattr(module, name))
    monkeypatch.setattr(module, name, held)
    return held


def while_held(client: TestClient, held: Held, send):
    """Send one request in a thread; once its step is held, send another to the same
    application (one event loop); then let the step go. The request's answer."""
    answers: list = []
    sender = threading.Thread(target=lambda: answers.append(send()))
    sender.start()
    try:
        assert held.entered.wait(60), "the step was never reached"
        assert client.get("/lang/en?next=/", follow_redirects=False).status_code == 303
        held.order.append("other answered")
    finally:
        held.release.set()
        sender.join(60)
    assert held.order == ["step begins", "other answered", "step ends"]
    return answers[0]


@pytest.fixture
def world(session):
    return make_world(session)


def password_step(client: TestClient, username: str) -> tuple[str, str]:
    """The password step: (the CSRF token, where it sends the browser)."""
    token = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token, "next": "/"}, follow_redirects=False)
    return token, r.headers["location"]


@pytest.mark.parametrize("step", ["code checked", "session started"])
def test_a_sign_in_code_being_checked_does_not_hold_up_other_requests(
        app, world, monkeypatch, step):
    user = world.users[Role.WINDOW_OFFICER]
    with TestClient(app) as c:
        sign_in(c, user.username)  # enrols
    held = (hold(monkeypatch, mfa, "verify") if step == "code checked"
            else hold(monkeypatch, accounts, "start_session"))
    with TestClient(app) as c:
        token, location = password_step(c, user.username)
        assert location.startswith("/login/code")
        code = AUTHENTICATOR.code(user.username)
        r = while_held(c, held, lambda: c.post(
            "/login/code", data={"code": code, "csrf_token": token, "next": "/"},
            follow_redirects=False))
    assert (r.status_code, r.headers["location"]) == (303, "/") and "hozen_session" in r.cookies


def test_an_enrolment_being_confirmed_does_not_hold_up_other_requests(app, world,
                                                                      monkeypatch):
    user = world.users[Role.INVESTIGATOR]
    held = hold(monkeypatch, mfa, "confirm_enrolment")
    with TestClient(app) as c:
        token, location = password_step(c, user.username)
        assert location.startswith("/login/enrol")
        AUTHENTICATOR.learn(user.username, c.get(location).text)
        code = AUTHENTICATOR.code(user.username)
        r = while_held(c, held, lambda: c.post(
            "/login/enrol", data={"code": code, "csrf_token": token, "next": "/"},
            follow_redirects=False))
    assert r.status_code == 200 and "hozen_session" in r.cookies
    assert len(AUTHENTICATOR.learn_recovery(user.username, r.text)) == 10


def test_a_re_authentication_being_recorded_does_not_hold_up_other_requests(
        app, world, monkeypatch):
    user = world.users[Role.ADJUDICATOR]
    with TestClient(app) as c:
        sign_in(c, user.username)  # enrols; the session is this client's
        token = csrf(c.get("/inbox").text)
        held = hold(monkeypatch, mfa, "reauthenticated")
        code = AUTHENTICATOR.code(user.username)
        r = while_held(c, held, lambda: c.post(
            "/reauth", data={"password": PASSWORD, "code": code, "next": "/casework",
                             "csrf_token": token}, follow_redirects=False))
    assert (r.status_code, r.headers["location"]) == (303, "/casework")

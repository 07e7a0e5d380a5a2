"""A sign-in's password check (Argon2, ~50-100 ms of CPU) runs in a worker thread, not
on the event loop: while one is in progress, every other request of the process is still
answered (issue 11). Shown by ordering, not timing: the verifier is held until /healthz
has answered; had it run on the loop, /healthz would answer only after it let go."""

from __future__ import annotations

import re
import threading

import pytest

from hozen.accounts import services as accounts
from hozen.accounts.permissions import Role
from tests.factories import PASSWORD, make_world

HOLD = 10  # seconds the held verifier waits at most (a failing run ends, never hangs)


class HeldHasher:
    """The real Argon2 hasher, whose verify() says when it begins and then waits to be let
    go before it verifies."""

    def __init__(self, real) -> None:
        self.real, self.order = real, []
        self.entered, self.release = threading.Event(), threading.Event()

    def verify(self, hashed, password):
        self.order.append("verify begins")
        self.entered.set()
        self.release.wait(HOLD)
        self.order.append("verify ends")
        return self.real.verify(hashed, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def held(monkeypatch) -> HeldHasher:
    hasher = HeldHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    return hasher


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def while_held(client, held: HeldHasher, send) -> object:
    """Send one request in a thread; once its verifier is held, ask /healthz on the same
    application (one event loop); then let the verifier go. The request's answer."""
    answers: list = []
    sender = threading.Thread(target=lambda: answers.append(send()))
    sender.start()
    try:
        assert held.entered.wait(60), "the password was never checked"
        assert client.get("/healthz").status_code == 200
        held.order.append("healthz answered")
    finally:
        held.release.set()
        sender.join(60)
    assert held.order == ["verify begins", "healthz answered", "verify ends"]
    return answers[0]


def test_a_sign_in_being_checked_does_not_hold_up_other_requests(client, session, held):
    user = make_world(session).users[Role.WINDOW_OFFICER]
    token = csrf(client.get("/login").text)
    r = while_held(client, held, lambda: client.post(
        "/login", data={"username": user.username, "password": PASSWORD,
                        "csrf_token": token, "next": "/"}, follow_redirects=False))
    assert r.status_code == 303 and r.headers["location"].startswith("/login/")  # the code


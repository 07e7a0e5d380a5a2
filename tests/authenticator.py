"""The test user's authenticator app: the secret is read off the enrolment page (as a
person would type it), codes are computed with pyotp, and no time step is used twice (the
server refuses a replayed code). Shared by every sign-in helper: the TestClient ones
(`sign_in` here, the `web` fixture) and the browser ones (tests/browser/helpers.py), and
by the high-risk API calls (`with_code`, `Coded`: X-Hozen-OTP)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from sqlalchemy import select, update

from hozen.accounts import mfa, mfa_rules
from hozen.accounts.models import MfaCredential, User
from hozen.db import get_engine, unit_of_work, utcnow
from tests.factories import PASSWORD


@dataclass
class Authenticator:
    secrets: dict[str, str] = field(default_factory=dict)
    last_step: dict[str, int] = field(default_factory=dict)
    recovery: dict[str, list[str]] = field(default_factory=dict)

    def learn(self, username: str, page: str) -> str:
        """Read the key off an enrolment page (a new enrolment starts afresh)."""
        m = re.search(r'id="mfa-secret">([^<]+)<', page)
        assert m, "no authenticator key on the page"
        secret = html.unescape(m[1]).replace(" ", "")
        self.secrets[username] = secret
        self.last_step.pop(username, None)
        return secret

    def learn_recovery(self, username: str, page: str) -> list[str]:
        codes = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", page)
        self.recovery[username] = codes
        return codes

    def code(self, username: str) -> str:
        """A code of a time step this user has not used: this step's or the next (the
        server accepts one step of drift). A user signed in more often than that would
        wait up to 30 s for the next step: instead the time is moved, the way tests age
        reauth_at, by clearing the user's last used step in the database (the replay
        refusal itself is proved in tests/functional/test_mfa.py)."""
        secret = self.secrets[username]
        now = mfa_rules.step_at(utcnow())
        free = [s for s in (now, now + 1) if s > self.last_step.get(username, -1)]
        if not free:
            _forget_last_step(username)
            free = [now]
        self.last_step[username] = free[0]
        return mfa_rules.code_at_step(secret, free[0])


def _forget_last_step(username: str) -> None:
    with unit_of_work(get_engine()) as s:
        s.execute(update(MfaCredential).where(MfaCredential.user_id == select(
            User.id).where(User.username == username).scalar_subquery()).values(last_step=None))


AUTHENTICATOR = Authenticator()


def enrol(user_id: str, username: str) -> None:
    """Enrol a user through the services, as the enrolment page does (the key the page
    would show, confirmed with a code from it); their recovery codes are not kept."""
    with unit_of_work(get_engine()) as s:
        user = s.get(User, user_id)
        AUTHENTICATOR.secrets[username] = mfa.begin_enrolment(s, user)
        AUTHENTICATOR.last_step.pop(username, None)
        mfa.confirm_enrolment(s, user, AUTHENTICATOR.code(username))


def with_code(login) -> dict[str, str]:
    """The headers of a high-risk API call: the user's token and a fresh code in
    X-Hozen-OTP, the user enrolled first if not yet (the API refuses a token alone)."""
    with unit_of_work(get_engine()) as s:
        enrolled = mfa.is_enrolled(s, login.user_id)
    if not enrolled:
        enrol(login.user_id, login.username)
    assert login.username in AUTHENTICATOR.secrets, f"{login.username}: key unknown"
    return login.headers | {mfa.OTP_HEADER: AUTHENTICATOR.code(login.username)}


@dataclass
class Coded:
    """A login whose `headers` carry a fresh code each time they are read (for helpers
    that take a login and send its headers)."""

    login: object

    def __getattr__(self, name: str):
        return getattr(self.login, name)

    @property
    def headers(self) -> dict[str, str]:
        return with_code(self.login)


def code_use_left_out(state: dict) -> dict:
    """A snapshot (tests.factories.snapshot) without what using a code writes: the
    credential's last step (and an enrolment's recovery codes), the throttle's attempt,
    and the accounts:mfa:* audit events (the MFA tables move no decision epoch:
    hozen.access.cache.UNRELATED). A high-risk call the service refuses must leave the
    rest unchanged."""
    kept = {t: rows for t, rows in state.items() if t not in (
        "mfa_credential", "mfa_recovery_code", "login_attempt")}
    kept["audit_event"] = type(state["audit_event"])({
        row: n for row, n in state["audit_event"].items()
        if not any(isinstance(v, str) and v.startswith("accounts:mfa:") for v in row)})
    return kept


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def sign_in(client, username: str, password: str = PASSWORD, next: str = "/"):
    """Sign in through the real forms, with the code step or the enrolment a role needs;
    the last response (it carries the session cookie when all went well)."""
    anon = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": anon, "next": next},
                    follow_redirects=False)
    location = r.headers.get("location", "") if r.status_code == 303 else ""
    if location.startswith("/login/enrol"):
        AUTHENTICATOR.learn(username, client.get(location).text)
        r = client.post("/login/enrol", data={"code": AUTHENTICATOR.code(username),
                                              "csrf_token": anon, "next": next},
                        follow_redirects=False)
        AUTHENTICATOR.learn_recovery(username, r.text)
    elif location.startswith("/login/code"):
        r = client.post("/login/code", data={"code": AUTHENTICATOR.code(username),
                                             "csrf_token": anon, "next": next},
                        follow_redirects=False)
    return r

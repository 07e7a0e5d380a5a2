"""The second factor through the real app: enrolment at sign-in, the code step, wrong,
replayed and recovery codes, throttling of codes, the subject's choice, re-authentication
before high-risk actions (time moved by ageing the session's reauth_at in the database)
and the X-Hozen-OTP header of high-risk API calls, which a token alone never passes."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from hozen.accounts import mfa_rules, throttle
from hozen.accounts.models import MfaCredential, RecoveryCode, UserRole, WebSession
from hozen.accounts.permissions import Permission, Role, role_has
from hozen.api.gates import HozenRoute, iter_routes
from hozen.audit.models import AuditEvent
from hozen.clearances.models import ClearanceCase
from hozen.clearances.rules import AREAS
from hozen.db import session_factory, utcnow
from tests.authenticator import AUTHENTICATOR, csrf, enrol, sign_in
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import PASSWORD, make_world, snapshot
from tests.pages import Web


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def anon(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        c.cookies.set("hozen_lang", "en")
        yield c


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    async def pause(seconds):
        return None

    monkeypatch.setattr(throttle, "pause", pause)


def password_step(client, username: str, password: str = PASSWORD, next: str = "/"):
    token = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token, "next": next},
                    follow_redirects=False)
    return r, token


def code_step(client, token: str, code: str, next: str = "/"):
    return client.post("/login/code", data={"code": code, "csrf_token": token, "next": next},
                       follow_redirects=False)


def events(engine, tag: str) -> list[AuditEvent]:
    with session_factory(engine)() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))


def age_reauth(engine, user_id: str, minutes: float) -> None:
    with session_factory(engine)() as s:
        s.execute(update(WebSession).where(WebSession.user_id == user_id)
                  .values(reauth_at=utcnow() - timedelta(minutes=minutes)))
        s.commit()


# --- enrolment at sign-in ------------------------------------------------------------


def test_an_officer_enrols_before_any_session_exists(anon, engine, world):
    user = world.users[Role.INVESTIGATOR]
    r, token = password_step(anon, user.username, next="/casework")
    assert (r.status_code, r.headers["location"]) == (303, "/login/enrol?next=%2Fcasework")
    assert "hozen_session" not in r.cookies
    assert anon.get("/", follow_redirects=False).headers["location"].startswith("/login")
    page = anon.get(r.headers["location"]).text
    assert 'src="data:image/svg+xml' in page and 'id="mfa-qr"' in page
    secret = AUTHENTICATOR.learn(user.username, page)
    assert secret == AUTHENTICATOR.learn(user.username, anon.get(
        "/login/enrol").text)  # a reload offers the same key
    r = anon.post("/login/enrol", data={"code": "000000", "csrf_token": token,
                                           "next": "/casework"}, follow_redirects=False)
    assert r.status_code == 422 and "hozen_session" not in r.cookies
    assert "wrong or has already been used" in r.text
    r = anon.post("/login/enrol", data={"code": AUTHENTICATOR.code(user.username),
                                           "csrf_token": token, "next": "/casework"},
                     follow_redirects=False)
    assert r.status_code == 200 and "hozen_session" in r.cookies
    codes = AUTHENTICATOR.learn_recovery(user.username, r.text)
    assert len(codes) == 10 and 'href="/casework"' in r.text
    assert anon.get("/casework", follow_redirects=False).status_code == 200
    with session_factory(engine)() as s:
        cred = s.get(MfaCredential, user.user_id)
        assert cred.confirmed_at is not None and secret.encode() not in cred.secret
        hashes = s.scalars(select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.user_id)).all()
        assert len(hashes) == 10 and not set(codes) & set(hashes)
    [enrolled] = events(engine, "accounts:mfa:enrol")
    [failed] = events(engine, "accounts:mfa:fail")
    for event in (enrolled, failed):
        assert event.subject_id == user.user_id
        assert secret not in str(event.details) and not any(c in str(event.details)
                                                            for c in codes)


def test_the_second_step_needs_the_signed_pending_state(anon, world):
    for path in ("/login/code", "/login/enrol"):
        r = anon.get(path + "?next=/people", follow_redirects=False)
        assert r.headers["location"] == "/login?next=%2Fpeople"
    user = world.users[Role.WINDOW_OFFICER]
    password_step(anon, user.username)
    pending = anon.cookies.get("hozen_mfa_pending")
    anon.cookies.clear()
    token = csrf(anon.get("/login").text)
    anon.cookies.set("hozen_mfa_pending", pending[:-4] + "0000")
    r = anon.post("/login/enrol", data={"code": "123456", "next": "/", "csrf_token": token},
                  follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/login?next=%2F" and "hozen_session" not in r.cookies


# --- the code step -------------------------------------------------------------------


def test_sign_in_with_a_code_and_a_replayed_code_is_refused(app, engine, world):
    user = world.users[Role.ADJUDICATOR]
    with TestClient(app) as first, TestClient(app) as second, TestClient(app) as third:
        assert "hozen_session" in sign_in(first, user.username).cookies  # enrols
        code = AUTHENTICATOR.code(user.username)
        r, token = password_step(second, user.username, next="/casework")
        assert (r.status_code, r.headers["location"]) == (303,
                                                          "/login/code?next=%2Fcasework")
        r = code_step(second, token, code, "/casework")
        assert (r.status_code, r.headers["location"]) == (303, "/casework")
        assert "hozen_session" in r.cookies
        r, token = password_step(third, user.username)
        r = code_step(third, token, code)  # the same code again: refused
        assert r.status_code == 401 and "hozen_session" not in r.cookies
        r = code_step(third, token, "12345")
        assert r.status_code == 401
    assert len(events(engine, "accounts:mfa:fail")) == 2
    assert len(events(engine, "accounts:mfa:success")) == 1


def test_a_recovery_code_signs_in_once(app, engine, world):
    user = world.users[Role.WINDOW_OFFICER]
    with TestClient(app) as c:
        sign_in(c, user.username)
        recovery = AUTHENTICATOR.recovery[user.username][0]
    for typed, status in ((recovery.lower().replace("-", " "), 303), (recovery, 401)):
        with TestClient(app) as c:
            r, token = password_step(c, user.username)
            assert code_step(c, token, typed).status_code == status
    [used] = events(engine, "accounts:mfa:recovery-used")
    assert '"remaining":9' in used.details.replace(" ", "")


def test_wrong_codes_count_as_failed_sign_ins_then_are_refused(app, engine, world):
    user = world.users[Role.INVESTIGATOR]
    with TestClient(app) as c:
        sign_in(c, user.username)  # enrolled
    with TestClient(app) as c:
        r, token = password_step(c, user.username)
        for _ in range(throttle.ACCOUNT_LIMIT):
            assert code_step(c, token, "000000").status_code == 401
        r = code_step(c, token, AUTHENTICATOR.code(user.username))  # even the right one
        assert r.status_code == 429 and "hozen_session" not in r.cookies
        assert int(r.headers["retry-after"]) > 0
        # and the password step, too, is refused now
        r, _ = password_step(c, user.username)
        assert r.status_code == 429
    assert len(events(engine, "accounts:mfa:fail")) == throttle.ACCOUNT_LIMIT
    assert len(events(engine, "accounts:login:throttled")) == 2


def test_a_subject_signs_in_with_the_password_alone_and_may_enrol(app, engine, world):
    user = world.users[Role.SUBJECT]
    with TestClient(app) as c:
        r, _ = password_step(c, user.username)
        assert (r.status_code, r.headers["location"]) == (303, "/")
        assert "hozen_session" in r.cookies
        c.cookies.set("hozen_lang", "en")
        page = c.get("/account/security").text
        assert "optional for you" in page
        token = csrf(c.get("/inbox").text)
        AUTHENTICATOR.learn(user.username, page)
        r = c.post("/account/security/enrol", data={"code": "000000", "csrf_token": token})
        assert r.status_code == 422
        r = c.post("/account/security/enrol",
                   data={"code": AUTHENTICATOR.code(user.username), "csrf_token": token})
        assert r.status_code == 200 and len(AUTHENTICATOR.learn_recovery(
            user.username, r.text)) == 10
    with TestClient(app) as c:  # from now on the subject's sign-in asks for a code
        r, _ = password_step(c, user.username)
        assert r.headers["location"] == "/login/code?next=%2F"


# --- re-authentication ---------------------------------------------------------------


def _adjudication_form() -> dict[str, str]:
    return {f"{a}-{k}": v for a in AREAS for k, v in (("favourable", "yes"),
                                                      ("reasons", "問題なし"))}


def test_a_stale_session_re_authenticates_before_adjudicating(client, engine, world, web):
    user = world.users[Role.ADJUDICATOR]
    case_id = run_to_adjudication(client, world)
    adjudicator: Web = web(user)
    url = f"/casework/{case_id}"
    age_reauth(engine, user.user_id, 5.5)
    r = adjudicator.post(url + "/adjudication", _adjudication_form())
    assert (r.status_code, r.headers["location"]) == (303, "/reauth?next=" + url.replace(
        "/", "%2F"))
    with session_factory(engine)() as s:
        assert s.get(ClearanceCase, case_id).state == "adjudication"  # nothing done
    page = adjudicator.get(r.headers["location"])
    assert page.status_code == 200 and 'name="code"' in page.text
    r = adjudicator.post("/reauth", {"password": "wrong-password!", "next": url,
                                     "code": AUTHENTICATOR.code(user.username)})
    assert r.status_code == 401
    r = adjudicator.post("/reauth", {"password": PASSWORD, "next": url,
                                     "code": AUTHENTICATOR.code(user.username)})
    assert (r.status_code, r.headers["location"]) == (303, url)
    r = adjudicator.post(url + "/adjudication", _adjudication_form())  # the user again
    assert (r.status_code, r.headers["location"]) == (303, url)
    with session_factory(engine)() as s:
        assert s.get(ClearanceCase, case_id).state == "granted"
    assert len(events(engine, "accounts:reauth")) == 1


def test_re_authentication_lasts_five_minutes(client, engine, world, web):
    user = world.users[Role.ADJUDICATOR]
    case_id = run_to_adjudication(client, world)
    adjudicator = web(user)
    age_reauth(engine, user.user_id, 4.5)  # still fresh: straight through
    r = adjudicator.post(f"/casework/{case_id}/adjudication", _adjudication_form())
    assert (r.status_code, r.headers["location"]) == (303, f"/casework/{case_id}")


def test_new_recovery_codes_need_re_authentication(engine, world, web):
    user = world.users[Role.WINDOW_OFFICER]
    officer = web(user)
    old = list(AUTHENTICATOR.recovery[user.username])
    age_reauth(engine, user.user_id, 10)
    r = officer.post("/account/security/recovery-codes")
    assert r.headers["location"] == "/reauth?next=%2Faccount%2Fsecurity"
    officer.post("/reauth", {"password": PASSWORD, "next": "/account/security",
                             "code": AUTHENTICATOR.code(user.username)})
    r = officer.post("/account/security/recovery-codes")
    new = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", r.text)
    assert r.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == user.user_id)) == 10


# --- the API: X-Hozen-OTP on high-risk calls ---------------------------------------------


def test_high_risk_api_calls_of_an_enrolled_user_need_a_fresh_code(app, client, engine,
                                                                  world):
    user = world.users[Role.ADJUDICATOR]
    case_id = run_to_adjudication(client, world)
    url = f"/api/v1/clearance-cases/{case_id}/adjudication"
    with TestClient(app) as c:
        sign_in(c, user.username)  # enrols: from now on the API asks for codes
    body = favourable_decisions()
    r = client.post(url, headers=user.headers, json=body)
    assert r.status_code == 401 and r.json()["field"] == "X-Hozen-OTP"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post(url, headers=user.headers | {"X-Hozen-OTP": "000000"}, json=body)
    assert r.status_code == 403 and r.json()["field"] == "X-Hozen-OTP"
    code = AUTHENTICATOR.code(user.username)
    with session_factory(engine)() as s:
        assert s.get(ClearanceCase, case_id).state == "adjudication"
    r = client.post(url, headers=user.headers | {"X-Hozen-OTP": code}, json=body)
    assert r.status_code == 200, r.text
    r = client.post(url, headers=user.headers | {"X-Hozen-OTP": code}, json=body)
    assert r.status_code == 403  # once only
    # a read is not high-risk: no code asked
    assert client.get("/api/v1/me", headers=user.headers).status_code == 200
    fails = events(engine, "accounts:mfa:fail")
    assert len(fails) == 2 and all(code not in str(e.details) for e in fails)


def otp_routes(app) -> dict[tuple[str, str], Permission]:
    """(METHOD, path) of every high-risk API action, with its permission."""
    return {(m, r.path): r.gate.permission for r in iter_routes(app.routes)
            if isinstance(r, HozenRoute) and r.gate.otp for m in r.methods}


def holder(world, permission: Permission):
    """The world's user whose role holds `permission` (one per high-risk action)."""
    [role] = [r for r in Role if role_has({r}, permission)]
    return world.users[role]


def test_only_roles_that_must_enrol_hold_the_high_risk_api_actions(app):
    routes = otp_routes(app)
    assert len(routes) == 5
    for (_method, path), permission in routes.items():
        roles = [r for r in Role if role_has({r}, permission)]
        assert roles and Role.SUBJECT not in roles, path
        assert all(mfa_rules.mfa_required([r.value]) for r in roles), (path, roles)


def test_a_token_alone_never_carries_out_a_high_risk_api_action(app, client, engine, world):
    """Service accounts made at the command line and users who never enrolled: refused
    (403, naming X-Hozen-OTP) whatever they send, audited, nothing else written."""
    for (method, path), permission in otp_routes(app).items():
        user = holder(world, permission)
        url = re.sub(r"\{\w+\}", "any", path)
        before = snapshot(engine)
        for sent in ({}, {"X-Hozen-OTP": "123456"}, {"X-Hozen-OTP": "ABCD-EFGH-IJKL-MNOP"}):
            r = client.request(method, url, headers=user.headers | sent, json={})
            assert r.status_code == 403, (path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            problem = r.json()
            assert problem["field"] == "X-Hozen-OTP" and "enrol in MFA" in problem["title"]
        after = snapshot(engine)
        refusals = after.pop("audit_event") - before.pop("audit_event")
        assert after == before, path
        assert refusals.total() == 3, path
    refused = events(engine, "accounts:mfa:refused")
    assert len(refused) == 15 and {e.subject_id for e in refused} == {
        holder(world, p).user_id for p in otp_routes(app).values()}
    assert all(json.loads(e.details) == {"purpose": "api", "reason": "not-enrolled"}
               for e in refused)
    assert not events(engine, "accounts:mfa:fail")  # no code was even looked at


def test_once_enrolled_the_same_token_may_act_with_a_code(client, engine, world):
    user = world.users[Role.ADJUDICATOR]
    case_id = run_to_adjudication(client, world)
    url = f"/api/v1/clearance-cases/{case_id}/adjudication"
    assert client.post(url, headers=user.headers,
                       json=favourable_decisions()).status_code == 403
    enrol(user.user_id, user.username)
    r = client.post(url, headers=user.headers, json=favourable_decisions())
    assert r.status_code == 401 and r.json()["field"] == "X-Hozen-OTP"
    r = client.post(url, headers=user.headers | {"X-Hozen-OTP": AUTHENTICATOR.code(
        user.username)}, json=favourable_decisions())
    assert r.status_code == 200 and r.json()["state"] == "granted", r.text


# --- the web: no high-risk action without a second factor -------------------------------


def test_a_password_alone_never_opens_a_high_risk_page(app, client, engine, world):
    """A subject signs in with the password alone (no re-authentication recorded); were
    the adjudicator's role given to them later, the adjudication would still send them
    to re-authenticate, which without a second factor is refused."""
    user = world.users[Role.SUBJECT]
    case_id = run_to_adjudication(client, world)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.cookies.set("hozen_lang", "en")
        r, _ = password_step(c, user.username)
        assert "hozen_session" in r.cookies
        with session_factory(engine)() as s:
            assert s.scalar(select(WebSession.reauth_at).where(
                WebSession.user_id == user.user_id)) is None
            s.add(UserRole(user_id=user.user_id, role=Role.ADJUDICATOR.value))
            s.commit()
        token = csrf(c.get("/inbox").text)
        url = f"/casework/{case_id}"
        r = c.post(url + "/adjudication", data=_adjudication_form() | {"csrf_token": token},
                   follow_redirects=False)
        assert r.headers["location"] == "/reauth?next=" + url.replace("/", "%2F")
        page = c.get(r.headers["location"])
        assert page.status_code == 200 and 'name="password"' not in page.text
        assert 'href="/account/security"' in page.text
        r = c.post("/reauth", data={"password": PASSWORD, "next": url, "csrf_token": token},
                   follow_redirects=False)
        assert r.status_code == 403 and "you have not set one up" in r.text
        r = c.post(url + "/adjudication", data=_adjudication_form() | {"csrf_token": token},
                   follow_redirects=False)
        assert r.headers["location"].startswith("/reauth")
    with session_factory(engine)() as s:
        assert s.get(ClearanceCase, case_id).state == "adjudication"
        assert s.scalar(select(WebSession.reauth_at).where(
            WebSession.user_id == user.user_id)) is None
    assert not events(engine, "accounts:reauth")


def test_every_other_role_is_made_to_enrol_at_sign_in(anon, world):
    for role in Role:
        if role is Role.SUBJECT:
            continue
        anon.cookies.clear()
        r, _ = password_step(anon, world.users[role].username)
        assert r.headers["location"].startswith("/login/enrol"), role
        assert "hozen_session" not in r.cookies, role


# --- the demonstration ----------------------------------------------------------------


def test_demo_users_are_enrolled_and_demo_code_prints_a_code_that_signs_in(app, clean,
                                                                          monkeypatch):
    from typer.testing import CliRunner

    from hozen.cli.main import app as cli
    from hozen.config import get_settings
    from hozen.demo import DEMO_PASSWORD
    from tests.factories import cheap_argon2

    runner = CliRunner()
    with cheap_argon2():
        loaded = runner.invoke(cli, ["demo", "load"])
    assert loaded.exit_code == 0 and "hozen demo code USER" in loaded.output
    code = runner.invoke(cli, ["demo", "code", "window"])
    assert code.exit_code == 0 and re.fullmatch(r"\d{6}\n", code.output)
    with TestClient(app) as c:
        r, token = password_step(c, "window", DEMO_PASSWORD)
        assert r.headers["location"] == "/login/code?next=%2F"
        assert "hozen_session" in code_step(c, token, code.output.strip()).cookies
    with TestClient(app) as c:  # the subject chooses: not enrolled
        r, _ = password_step(c, "subject", DEMO_PASSWORD)
        assert "hozen_session" in r.cookies
    assert runner.invoke(cli, ["demo", "code", "subject"]).exit_code == 2
    monkeypatch.setenv("HOZEN_ENV", "production")
    get_settings.cache_clear()
    try:
        refused = runner.invoke(cli, ["demo", "code", "window"])
        assert refused.exit_code == 2 and "development only" in refused.output
    finally:
        monkeypatch.setenv("HOZEN_ENV", "development")
        get_settings.cache_clear()

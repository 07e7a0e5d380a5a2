"""Transport and browser security headers; web sessions rotate on sign-in and expire."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hozen.accounts.models import WebSession
from hozen.accounts.permissions import Role
from hozen.app import create_app
from hozen.config import Settings
from hozen.db import utcnow
from tests.authenticator import sign_in as mfa_sign_in
from tests.factories import PASSWORD, make_world

BROWSER_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@pytest.fixture
def world(session):
    return make_world(session)


def sign_in(client, username):
    return mfa_sign_in(client, username, PASSWORD)  # with the code step a role needs


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/openapi.json",
                                  "/no-such-page", "/static/hozen.css"])
def test_every_response_carries_the_browser_headers(client, path):
    r = client.get(path)
    for name, value in BROWSER_HEADERS.items():
        assert r.headers[name] == value, name
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert "script-src 'self'" in csp


def test_no_hsts_over_plain_http(client):
    assert "strict-transport-security" not in client.get("/login").headers


def test_hsts_when_behind_tls(clean):
    with TestClient(create_app(Settings(cookie_secure=True))) as tls:
        for path in ("/login", "/healthz", "/static/hozen.css"):
            assert (tls.get(path).headers["strict-transport-security"]
                    == "max-age=63072000; includeSubDomains")


def test_signed_in_pages_and_api_answers_are_not_stored(client, world):
    officer = world.users[Role.WINDOW_OFFICER]
    r = client.get("/api/v1/organisations", headers=officer.headers)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert client.get("/api/v1/organisations").headers["cache-control"] == "no-store"  # 401
    assert sign_in(client, officer.username).headers["cache-control"] == "no-store"
    assert client.get("/").headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(client):
    r = client.get("/static/hozen.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")


def test_sign_in_replaces_a_session_id_the_browser_already_had(client, session, world):
    user = world.users[Role.WINDOW_OFFICER]
    first = sign_in(client, user.username).cookies["hozen_session"]
    client.cookies.set("hozen_session", first)  # signing in again, e.g. a planted id
    second = sign_in(client, user.username).cookies["hozen_session"]
    assert second != first
    assert len(session.scalars(select(WebSession)).all()) == 2


def test_an_expired_session_is_sent_to_sign_in(client, session, world):
    user = world.users[Role.WINDOW_OFFICER]
    sign_in(client, user.username)
    assert client.get("/", follow_redirects=False).status_code == 200
    session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_session_cookie_is_http_only_and_secure_behind_tls(clean, session, world,
                                                               monkeypatch):
    monkeypatch.setenv("HOZEN_COOKIE_SECURE", "true")
    from hozen.config import get_settings

    get_settings.cache_clear()
    try:
        with TestClient(create_app(), base_url="https://testserver") as tls:
            cookie = sign_in(tls, world.users[Role.WINDOW_OFFICER].username).headers[
                "set-cookie"]
    finally:
        monkeypatch.delenv("HOZEN_COOKIE_SECURE")
        get_settings.cache_clear()
    assert "hozen_session=" in cookie
    assert all(f in cookie.lower() for f in ("httponly", "secure", "samesite=lax"))

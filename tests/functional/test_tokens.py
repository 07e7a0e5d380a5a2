"""API tokens a signed-in user issues for themself: shown once, stored as a hash, expiring,
revocable; sent as bearer or as HTTP Basic's password (never the account password)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hozen.accounts import tokens
from hozen.accounts.models import ApiToken
from hozen.accounts.permissions import Role
from hozen.accounts.services import sha256_hex
from hozen.db import utcnow
from hozen.errors import NotFound, ValidationFailed
from tests.factories import PASSWORD, cheap_argon2, make_org, make_user
from tests.pages import element

MT = "application/taxii+json;version=2.1"


@pytest.fixture
def people(session):
    with cheap_argon2():
        org = make_org(session)
        a = make_user(session, Role.COMPANY_SECURITY_OFFICER, org.id)
        b = make_user(session, Role.AUDITOR, org.id)
    session.commit()
    return a, b


def test_issue_stores_only_a_hash_and_revoke(session, people):
    a, b = people
    row, raw = tokens.issue(session, "taxii client", 30, actor=a.actor)
    assert raw.startswith("hzn_") and row.token_hash == sha256_hex(raw)
    assert raw not in {t for (t,) in session.execute(select(ApiToken.token_hash))}
    assert row.expires_at - utcnow() < timedelta(days=30, minutes=1)
    assert row.id in {t.id for t in tokens.list_tokens(session, actor=a.actor)}
    assert row.id not in {t.id for t in tokens.list_tokens(session, actor=b.actor)}
    with pytest.raises(NotFound):  # another user's token is not found
        tokens.revoke(session, row.id, actor=b.actor)
    tokens.revoke(session, row.id, actor=a.actor)
    assert row.revoked_at is not None
    assert row.id not in {t.id for t in tokens.list_tokens(session, actor=a.actor)}


@pytest.mark.parametrize("label, days", [("", 30), ("x" * 101, 30), ("ok", 0), ("ok", 366),
                                         ("a\x00b", 30)])
def test_bad_token_requests_are_refused(session, people, label, days):
    with pytest.raises(ValidationFailed):
        tokens.issue(session, label, days, actor=people[0].actor)


@pytest.mark.parametrize("header, ok", [
    ("Bearer hzn_abc", "hzn_abc"), ("bearer  hzn_abc ", "hzn_abc"),
    ("Basic " + base64.b64encode(b"me:hzn_abc").decode(), "hzn_abc"),
    ("Basic " + base64.b64encode(b"me:account-password").decode(), None),
    ("Basic " + base64.b64encode(b"hzn_abc").decode(), None),
    ("Basic !!!", None), ("Basic " + base64.b64encode(b"\xff:\xfe").decode(), None),
    ("Digest x", None), ("", None), ("Bearer", None)])
def test_the_token_in_a_header(header, ok):
    assert tokens.token_from_header(header) == ok


def test_the_tokens_page_shows_a_new_token_once(web, session, people):
    a, _ = people
    w = web(a)
    r = w.post("/tokens", {"label": "my TAXII client", "days": "7"})
    assert r.status_code == 303 and r.headers["location"] == "/tokens"
    assert "hzn_" not in r.headers["location"]
    page = w.get("/tokens").text
    raw = element(page, 'id="token-value"').split(">")[1].split("<")[0]
    assert raw.startswith("hzn_")
    assert "hzn_" not in w.get("/tokens").text  # shown only once
    ok = w.client.get("/taxii2/", headers={"Accept": MT, "Authorization": f"Bearer {raw}"})
    assert ok.status_code == 200
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(raw)))
    token_id = row.id
    assert row.label == "my TAXII client"
    session.rollback()
    r = w.post(f"/tokens/{token_id}/revocation")
    assert r.status_code == 303
    gone = w.client.get("/taxii2/", headers={"Accept": MT, "Authorization": f"Bearer {raw}"})
    assert gone.status_code == 401


def test_the_account_password_is_never_a_token(web, client, people):
    a, _ = people
    basic = base64.b64encode(f"{a.username}:{PASSWORD}".encode()).decode()
    r = client.get("/taxii2/", headers={"Accept": MT, "Authorization": f"Basic {basic}"})
    assert r.status_code == 401


def test_bad_token_forms_and_someone_elses_token(web, session, people):
    a, b = people
    w = web(a)
    assert w.post("/tokens", {"label": "", "days": "7"}).status_code == 422
    assert w.post("/tokens", {"label": "x", "days": "9999"}).status_code == 422
    assert w.post("/tokens", {"label": "x", "days": "abc"}).status_code == 422
    row, _ = tokens.issue(session, "b's", 5, actor=b.actor)
    session.commit()
    assert w.post(f"/tokens/{row.id}/revocation").status_code == 404
    assert w.post("/tokens/nope/revocation").status_code == 404
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.id == row.id)) is None
    session.rollback()


def test_an_expired_token_is_refused(client, session, people):
    a, _ = people
    row, raw = tokens.issue(session, "short", 1, actor=a.actor)
    session.execute(update(ApiToken).where(ApiToken.id == row.id)
                    .values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    r = client.get("/taxii2/", headers={"Accept": MT, "Authorization": f"Bearer {raw}"})
    assert r.status_code == 401

"""`hozen user mfa-enrol`: an operator enrols a service account (a user only used through
API tokens, who cannot sign in on the web pages) with a new TOTP secret, printed once
with the recovery codes; its high-risk API calls then pass with a code from it and are
refused without one. An enrolled user keeps their secret unless --replace; every
enrolment is audited, and the secret reaches neither the audit log nor the logs."""

from __future__ import annotations

import json
import logging
import re

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hozen.accounts import mfa
from hozen.accounts.models import User
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.cli.main import app as cli
from hozen.db import session_factory, unit_of_work
from hozen.errors import Forbidden, Unauthenticated
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import make_world

runner = CliRunner()
TAG = "accounts:mfa:operator-enrol"


@pytest.fixture
def world(session):
    return make_world(session)


def enrol(username: str, *args: str):
    return runner.invoke(cli, ["user", "mfa-enrol", username, *args])


def issued(output: str) -> tuple[str, str, list[str]]:
    """The URI, the base32 secret and the recovery codes printed."""
    uri = re.search(r"^otpauth URI: (otpauth://\S+)$", output, re.M)[1]
    secret = re.search(r"^secret \(base32\): ([A-Z2-7]+)$", output, re.M)[1]
    codes = re.findall(r"^  ([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})$", output, re.M)
    return uri, secret, codes


def audited(engine) -> list[dict]:
    with session_factory(engine)() as s:
        return [json.loads(d) for d in s.scalars(
            select(AuditEvent.details).where(AuditEvent.tag == TAG).order_by(AuditEvent.seq))]


def test_a_service_account_enrolled_at_the_command_line_acts_with_a_code(
        client, engine, world, caplog):
    caplog.set_level(logging.DEBUG)
    service = world.users[Role.ADJUDICATOR]
    case_id = run_to_adjudication(client, world)
    url = f"/api/v1/clearance-cases/{case_id}/adjudication"
    r = client.post(url, headers=service.headers, json=favourable_decisions())
    assert r.status_code == 403 and r.json()["field"] == "X-Hozen-OTP"  # not enrolled

    result = enrol(service.username)
    assert result.exit_code == 0, result.output
    uri, secret, codes = issued(result.output)
    assert pyotp.parse_uri(uri).secret == secret and service.username in uri
    assert len(codes) == len(set(codes)) >= 8

    r = client.post(url, headers=service.headers, json=favourable_decisions())
    assert r.status_code == 401 and r.json()["field"] == "X-Hozen-OTP"  # no code sent
    r = client.post(url, headers=service.headers | {"X-Hozen-OTP": pyotp.TOTP(secret).now()},
                    json=favourable_decisions())
    assert r.status_code == 200 and r.json()["state"] == "granted", r.text

    assert audited(engine) == [{"replaced": False, "recovery_codes": len(codes)}]
    with session_factory(engine)() as s:
        details = " ".join(s.scalars(select(AuditEvent.details)))
    assert secret not in details and not any(c in details for c in codes)
    assert secret not in caplog.text and not any(c in caplog.text for c in codes)


def verifies(engine, user_id: str, code: str) -> bool:
    try:
        with unit_of_work(engine) as s:
            mfa.verify(s, user_id, code, purpose="test")
    except Unauthenticated:
        return False
    return True


def test_an_enrolled_user_keeps_the_secret_unless_replace_is_given(engine, world):
    service = world.users[Role.WINDOW_OFFICER]
    with unit_of_work(engine) as s:  # an enrolment begun on the web pages, never confirmed
        pending = mfa.begin_enrolment(s, s.get(User, service.user_id))
    first = enrol(service.username)
    assert first.exit_code == 0, first.output
    _, old_secret, old_codes = issued(first.output)
    assert old_secret != pending  # a new secret, not the one shown on the web page

    refused = enrol(service.username)
    assert refused.exit_code == 2 and "already enrolled" in refused.output
    assert "otpauth" not in refused.output
    assert verifies(engine, service.user_id, old_codes[0])  # still the first secret's codes

    replaced = enrol(service.username, "--replace")
    assert replaced.exit_code == 0, replaced.output
    _, new_secret, new_codes = issued(replaced.output)
    assert new_secret != old_secret and not set(new_codes) & set(old_codes)
    assert not verifies(engine, service.user_id, old_codes[1])
    assert not verifies(engine, service.user_id, pyotp.TOTP(old_secret).now())
    assert verifies(engine, service.user_id, pyotp.TOTP(new_secret).now())
    assert verifies(engine, service.user_id, new_codes[0])
    assert audited(engine) == [{"replaced": False, "recovery_codes": len(old_codes)},
                               {"replaced": True, "recovery_codes": len(new_codes)}]


def test_an_unknown_user_is_refused_and_only_an_operator_enrols(engine, world):
    result = enrol("nobody")
    assert result.exit_code == 2 and "no such active user: nobody" in result.output
    assert "otpauth" not in result.output
    gone = world.users[Role.INVESTIGATOR]
    with unit_of_work(engine) as s:
        s.get(User, gone.user_id).active = False
    result = enrol(gone.username)  # a deactivated user gets no new second factor
    assert result.exit_code == 2 and "no such active user" in result.output
    assert "otpauth" not in result.output
    with unit_of_work(engine) as s, pytest.raises(Forbidden):
        mfa.enrol_by_operator(s, world.users[Role.ADJUDICATOR].username, replace=True,
                              actor=world.users[Role.SYSTEM_ADMIN].actor)
    assert audited(engine) == []
    with session_factory(engine)() as s:
        assert not mfa.is_enrolled(s, world.users[Role.ADJUDICATOR].user_id)

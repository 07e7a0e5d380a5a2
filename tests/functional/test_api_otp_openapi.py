"""The OpenAPI document declares what a high-risk API action asks of its caller (issue
11): the X-Hozen-OTP header, required of every caller (a token alone never suffices) yet
optional in the schema, so that the gate, not schema validation, answers its absence
(after the permission, naming the header), and the 401/403/429 answers a missing, wrong
or throttled code, or a user not enrolled in MFA, gets."""

from __future__ import annotations

import pytest

from hozen.api.gates import HozenRoute, iter_routes
from hozen.app import create_app

HIGH_RISK = {("post", "/api/v1/clearance-cases/{case_id}/adjudication"),
             ("post", "/api/v1/clearances/{clearance_id}/revocation"),
             ("post", "/api/v1/designations/provisional"),
             ("post", "/api/v1/designation-proposals/{proposal_id}/decision"),
             ("post", "/api/v1/transfers/{transfer_id}/decision")}


@pytest.fixture(scope="module")
def app():
    return create_app()


def otp_operations(app) -> set[tuple[str, str]]:
    """(method, path) of every route whose gate asks for a code."""
    return {(m.lower(), r.path) for r in iter_routes(app.routes)
            if isinstance(r, HozenRoute) and r.gate.otp for m in r.methods}


def test_the_high_risk_actions_are_the_routes_that_ask_for_a_code(app):
    assert otp_operations(app) == HIGH_RISK


def test_each_high_risk_action_declares_the_optional_code_header_and_its_refusals(app):
    doc = app.openapi()
    for method, path in HIGH_RISK:
        op = doc["paths"][path][method]
        headers = [p for p in op.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["X-Hozen-OTP"], (path, headers)
        (header,) = headers
        assert header.get("required", False) is False  # the gate refuses its absence
        assert "MFA" in header["description"] and "required" in header["description"]
        assert "never suffices" in header["description"]
        assert header["schema"].get("anyOf") or header["schema"].get("type") == "string"
        for status, word in (("401", "X-Hozen-OTP"), ("403", "X-Hozen-OTP"),
                             ("403", "not enrolled in MFA"), ("429", "codes")):
            answer = op["responses"][status]
            assert word in answer["description"], (path, status, answer["description"])
            assert "application/problem+json" in answer["content"]
        assert "200" in op["responses"] or "201" in op["responses"]


def test_no_other_operation_mentions_the_code(app):
    doc = app.openapi()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if (method, path) in HIGH_RISK:
                continue
            names = [p["name"] for p in op.get("parameters", [])]
            assert "X-Hozen-OTP" not in names, (method, path)
            assert "X-Hozen-OTP" not in op["responses"].get("401", {}).get("description", "")

"""hozen.api.gates: the route checks its gate in the handler's own trip, before anything
else is said about the request, and commits only an answer that matches its schema."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hozen.accounts.permissions import Permission, Role
from hozen.api.gates import HozenRoute, requires
from hozen.api.routes import Db, Me
from hozen.audit.models import AuditEvent
from hozen.db import session_factory
from hozen.registry.models import Organisation
from hozen.registry.schemas import OrganisationCreate, OrganisationPublic
from tests.factories import detached_world

API = "/api/v1"
BAD_ORG = {"kind": "no-such-kind", "name_ja": "", "country_code": 7}  # 422 for the allowed


@pytest.fixture
def world(session):
    return detached_world(session)


def counts(engine) -> tuple[int, int]:
    with session_factory(engine)() as s:
        return (s.scalar(select(func.count()).select_from(Organisation)),
                s.scalar(select(func.count()).select_from(AuditEvent)))


def test_a_malformed_request_is_refused_by_its_gate_before_it_is_validated(client, world):
    """No token: 401; a role without the permission: 403; only a caller who may use the
    route learns what is wrong with the body (422 naming the field)."""
    path = f"{API}/organisations"
    assert client.post(path, json=BAD_ORG).status_code == 401
    assert client.post(path, json=BAD_ORG,
                       headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    refused = client.post(path, json=BAD_ORG, headers=world.users[Role.SUBJECT].headers)
    assert refused.status_code == 403
    assert "kind" not in refused.text
    told = client.post(path, json=BAD_ORG, headers=world.users[Role.WINDOW_OFFICER].headers)
    assert told.status_code == 422
    assert told.headers["content-type"].startswith("application/problem+json")
    assert "kind" in told.text


def test_a_404_gate_refuses_a_malformed_request_as_not_found(client, world):
    """A route whose refusal must not reveal existence refuses a caller without the
    permission with 404 even when the body is malformed (a 422 would tell it is there)."""
    path = f"{API}/clearance-cases/{'0' * 26}/burden"
    bad = {"step": "x", "party": "window", "minutes": "many"}
    hidden = client.post(path, json=bad, headers=world.users[Role.AUDITOR].headers)
    assert hidden.status_code == 404
    assert "minutes" not in hidden.text
    told = client.post(path, json=bad, headers=world.users[Role.WINDOW_OFFICER].headers)
    assert told.status_code == 422
    assert "minutes" in told.text


def test_an_answer_that_fails_its_response_model_writes_nothing(clean, engine, world):
    """The handler wrote an organisation (and its audit event), then answered something
    its response model refuses: a server error, and nothing it wrote is committed."""
    from hozen.app import create_app
    from hozen.registry import services as registry

    router = APIRouter(route_class=HozenRoute)

    @router.post(f"{API}/test-broken-answer", status_code=201,
                 dependencies=[requires(Permission.REGISTRY_ORGANISATION_WRITE)])
    def broken(body: OrganisationCreate, s: Db, me: Me) -> OrganisationPublic:
        registry.create_organisation(s, body, actor=me)
        return {"id": "not an organisation"}  # fails OrganisationPublic

    app = create_app()
    app.include_router(router)
    before = counts(engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(f"{API}/test-broken-answer", json={
            "kind": "research_institute", "name_ja": "壊れた応答", "name_en": "Broken answer",
            "country_code": "JPN"}, headers=world.users[Role.WINDOW_OFFICER].headers)
    assert r.status_code == 500
    assert counts(engine) == before


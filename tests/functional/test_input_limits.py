"""Input limits (issue 11 item 8): one request body limit for the whole application,
declared or streamed; every list's page size capped."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.app import create_app
from hozen.audit.models import AuditEvent
from hozen.config import Settings
from hozen.paging import MAX_PAGE
from hozen.registry.models import Organisation
from tests.factories import make_world

LIMIT = 64 * 1024  # the smallest limit the settings allow


@pytest.fixture
def world(session):
    return make_world(session)


@pytest.fixture
def small(clean):
    with TestClient(create_app(Settings(max_body_bytes=LIMIT))) as c:
        yield c


def assert_too_large(r):
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["field"] == "body" and body["status"] == 413 and body["max_bytes"] == LIMIT
    assert body["errors"][0] == {"field": "body", "code": "body_too_large",
                                 "message": "The request is larger than the server accepts."}
    assert r.headers["x-content-type-options"] == "nosniff"  # still under the headers


def org_json(padding: int) -> bytes:
    return (b'{"kind":"company","name_ja":"\xe5\xa4\xa7\xe3\x81\x8d\xe3\x81\x84","name_en":"Big",'
            b'"country_code":"JPN","notes":"' + b"x" * padding + b'"}')


def test_the_default_limit_is_ten_megabytes_and_configurable(monkeypatch):
    assert Settings().max_body_bytes == 10 * 1024 * 1024
    monkeypatch.setenv("HOZEN_MAX_BODY_BYTES", "1048576")
    assert Settings().max_body_bytes == 1048576
    monkeypatch.setenv("HOZEN_MAX_BODY_BYTES", "10")
    with pytest.raises(ValueError):
        Settings()


def test_a_declared_length_over_the_limit_is_refused_before_the_route_runs(small, session,
                                                                           world):
    officer = world.users[Role.WINDOW_OFFICER]
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    r = small.post("/api/v1/organisations", content=org_json(LIMIT),
                   headers={**officer.headers, "content-type": "application/json"})
    assert_too_large(r)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_streamed_body_is_counted_and_cut_at_the_limit(small, session, world):
    officer = world.users[Role.WINDOW_OFFICER]
    chunks = (org_json(LIMIT)[i:i + 4096] for i in range(0, LIMIT + 200, 4096))
    r = small.post("/api/v1/organisations", content=chunks,
                   headers={**officer.headers, "content-type": "application/json"})
    assert "content-length" not in r.request.headers  # chunked: no declared length
    assert_too_large(r)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Organisation)) == 3  # the world's


def test_a_streamed_form_is_cut_too(small):
    token = re.search(r'name="csrf_token" value="([^"]+)"', small.get("/login").text)[1]
    form = f"csrf_token={token}&username=x&password=".encode() + b"y" * LIMIT
    r = small.post("/login", content=(form[i:i + 8192] for i in range(0, len(form), 8192)),
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert_too_large(r)


def test_a_body_within_the_limit_goes_through(small, world):
    officer = world.users[Role.WINDOW_OFFICER]
    r = small.post("/api/v1/organisations", json={"kind": "company", "name_ja": "小さい",
                                                  "name_en": "Small", "country_code": "JPN"},
                   headers=officer.headers)
    assert r.status_code == 201, r.text


# Lists whose page is deliberately larger than MAX_PAGE, with their own cap: ids only,
# read in one SQL query (access.accessible).
OWN_CAPS = {"/api/v1/people/{person_id}/accessible-items": 500}


def test_every_list_caps_its_page_size():
    """Every `limit` parameter of the API declares a maximum, MAX_PAGE unless listed
    above (the TAXII endpoints are outside the OpenAPI: sharing.taxii.MAX_LIMIT)."""
    spec = create_app().openapi()
    capped = 0
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                if param["name"] == "limit":
                    maximum = param["schema"].get("maximum")
                    assert maximum is not None, path
                    assert maximum <= OWN_CAPS.get(path, MAX_PAGE), path
                    capped += 1
    assert capped >= 10


def test_a_page_size_over_the_cap_names_the_field(client, world):
    officer = world.users[Role.WINDOW_OFFICER]
    r = client.get("/api/v1/organisations", params={"limit": MAX_PAGE + 1},
                   headers=officer.headers)
    assert r.status_code == 422 and r.json()["field"] == "limit"

"""Every TAXII route, by hand: each is in the table below, gated by an API token (bearer or
Basic), answers 401 as a TAXII error without one; and what each of the 12 roles may do
there (with the same clearance, only the role differs): every role reads, only the
agency's officials and companies' security officers add objects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hozen.accounts import tokens
from hozen.accounts.permissions import Role
from hozen.api.gates import Gate, iter_routes
from hozen.api.taxii_routes import TaxiiRoute
from hozen.db import unit_of_work
from tests.factories import (
    assert_unchanged,
    cheap_argon2,
    make_collection,
    make_intel_member,
    make_org,
    snapshot,
    stix_indicator,
)

MT = "application/taxii+json;version=2.1"
C = "/taxii2/hozen/collections/{collection_id}"
TAXII = {
    ("GET", "/taxii2/"): "read",
    ("GET", "/taxii2/hozen/"): "read",
    ("GET", "/taxii2/hozen/collections/"): "read",
    ("GET", C + "/"): "read",
    ("GET", C + "/objects/"): "read",
    ("POST", C + "/objects/"): "write",
    ("GET", C + "/objects/{object_id}/"): "read",
    ("GET", C + "/objects/{object_id}/versions/"): "read",
    ("GET", C + "/manifest/"): "read",
    ("GET", "/taxii2/hozen/status/{status_id}/"): "read",
}
WRITERS = {Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER}


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app
    from tests.conftest import wipe

    wipe(engine)
    with cheap_argon2(), unit_of_work(engine) as s:
        gov = make_org(s, kind="government_body")
        users = {role: make_intel_member(s, role, gov.id, regime="CESI") for role in Role
                 if role is not Role.SUBJECT}
        company = make_org(s)
        users[Role.SUBJECT] = make_intel_member(s, Role.SUBJECT, company.id, regime="CESI",
                                                sponsor_id=gov.id)
        collection = make_collection(s, users[Role.AGENCY_OFFICIAL], level="CUI",
                                     government_run=True).id
        toks = {role: tokens.issue(s, "matrix", 5, actor=u.actor)[1] for role, u in users.items()}
    app = create_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        obj = stix_indicator(1)
        r = client.post(f"/taxii2/hozen/collections/{collection}/objects/",
                        json={"objects": [obj]},
                        headers={"Accept": MT, "Content-Type": MT,
                                 "Authorization": f"Bearer {toks[Role.AGENCY_OFFICIAL]}"})
        assert r.status_code == 202
        yield dict(app=app, client=client, tokens=toks, collection=collection,
                   object_id=obj["id"], status_id=r.json()["id"])


def _url(env, path: str) -> str:
    return path.format(collection_id=env["collection"], object_id=env["object_id"],
                       status_id=env["status_id"])


def test_every_taxii_route_is_in_the_table(env):
    seen = set()
    for route in iter_routes(env["app"].routes):
        path = getattr(route, "path", "")
        if not path.startswith("/taxii2"):
            continue
        for method in route.methods:
            seen.add((method, path))
            assert (method, path) in TAXII, f"add {method} {path} to TAXII"
            assert isinstance(route, TaxiiRoute) and isinstance(route.gate, Gate)
            assert route.gate.channel == "taxii" and route.gate.permission is not None
    assert seen == set(TAXII)


@pytest.mark.parametrize("method, path", list(TAXII))
@pytest.mark.parametrize("auth", ["none", "Bearer nothing", "Basic bm9ib2R5Og==", "Token x"])
def test_no_token_is_401_as_a_taxii_error_everywhere(env, method, path, auth):
    headers = {"Accept": MT, "Content-Type": MT} | (
        {} if auth == "none" else {"Authorization": auth})
    r = env["client"].request(method, _url(env, path), headers=headers,
                              json={"objects": [stix_indicator(2)]} if method == "POST" else None)
    assert r.status_code == 401 and r.headers["content-type"] == MT
    assert r.json()["http_status"] == "401" and r.headers["www-authenticate"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("method, path", list(TAXII))
def test_what_each_role_may_do(env, role, method, path):
    headers = {"Accept": MT, "Content-Type": MT,
               "Authorization": f"Bearer {env['tokens'][role]}"}
    url = _url(env, path)
    if path.endswith("/status/{status_id}/"):  # a status belongs to who posted
        expected = 200 if role is Role.AGENCY_OFFICIAL else 404
        assert env["client"].get(url, headers=headers).status_code == expected
        return
    if method == "GET":
        assert env["client"].get(url, headers=headers).status_code == 200
        return
    obj = stix_indicator(3)
    r = env["client"].post(url, json={"objects": [obj]}, headers=headers)
    if role in WRITERS:
        assert r.status_code == 202 and r.json()["success_count"] == 1, r.text
    else:
        assert r.status_code == 403 and r.headers["content-type"] == MT, r.text


def test_a_refused_post_writes_nothing(env, engine):
    before = snapshot(engine)
    r = env["client"].post(_url(env, C + "/objects/"), json={"objects": [stix_indicator(4)]},
                           headers={"Accept": MT, "Content-Type": MT,
                                    "Authorization": f"Bearer {env['tokens'][Role.AUDITOR]}"})
    assert r.status_code == 403
    assert_unchanged(before, snapshot(engine))

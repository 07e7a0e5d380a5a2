"""Schemathesis over the whole OpenAPI document, as each of the 12 roles and signed out.

Each role's run starts afresh from the demo data set, every user with a person record and
an API token of its own. Every operation gets a few derandomized examples (positive and
negative) from each role its gate admits, and one from the signed-out client; each role
also tries a deterministic slice of the operations its gate refuses. Three positive
examples in four aim at real ids (the caller's own person and organisation first). The
checks: no 5xx, every answer documented (status, content type, body schema), negative data
refused, a refused caller never gets a 2xx, and every role gets at least one 2xx from each
endpoint family (OpenAPI tag) its permissions open, so a run of nothing but 401s fails.
Counts per role are printed (run with -s) and written to fuzz-summary-<role>.json in
pytest's base temporary directory."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from hozen.accounts.permissions import Role
from hozen.db import session_factory
from tests.conftest import wipe
from tests.fuzz_helpers import (
    ID_TABLES,
    IdPool,
    Tally,
    demo_accounts,
    families_of,
    gated_operations,
    id_table,
    path_params,
)

# Examples per operation for a role its gate admits; the signed-out client gets one of
# every operation, and each role one of every REFUSAL_SAMPLE-th operation its gate
# refuses (a different slice per role; the role × route matrix proves every refusal).
# Bounded so that the run per database stays within about three minutes; raise
# HOZEN_FUZZ_EXAMPLES for a deeper run by hand.
EXAMPLES = int(os.environ.get("HOZEN_FUZZ_EXAMPLES", "3"))
REFUSAL_SAMPLE = 6
# Every answer documented: status, content type and body schema; and no 5xx.
CONFORMS = [not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance]
CHECKS = [*CONFORMS, negative_data_rejection]
# In-process requests, but on a loaded CI machine a PDF report can take seconds.
TIMEOUT = 60
REFUSED = {401, 403, 404}
FAILURE_CHARS = int(os.environ.get("HOZEN_FUZZ_FAILURE_CHARS", "2000"))
# Derandomized (the same examples every run, as CI needs) and never shrunk: failures are
# collected and reported together instead.
FUZZ_SETTINGS = {"derandomize": True, "database": None, "deadline": None,
                 "phases": [Phase.generate], "suppress_health_check": list(HealthCheck),
                 "print_blob": False}


@pytest.fixture(scope="module")
def fuzz_app(engine):
    from hozen.app import create_app

    return create_app()


@pytest.fixture(scope="module")
def api(fuzz_app):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app)
    operations = sorted((r.ok() for r in schema.get_all_operations()),
                        key=lambda o: (o.path, o.method))
    return operations, gated_operations(fuzz_app)


def aim(case, data, pool: IdPool, own: dict[str, list[str]]) -> None:
    """Replace generated ids in the path, and in a JSON body's top level, by real ones;
    the caller's own person and organisation come first (the simplest draw)."""
    def real(table: str | None) -> str | None:
        ids = pool.ids(table, own.get(table, [])) if table else []
        return ids[data.draw(st.integers(0, len(ids) - 1))] if ids else None

    for name in path_params(case.path):
        if (value := real(id_table(case.path, name))) is not None:
            case.path_parameters[name] = value
    if isinstance(case.body, dict):
        for key, value in list(case.body.items()):
            if isinstance(value, str) and (new := real(ID_TABLES.get(key))) is not None:
                case.body[key] = new


def fuzz_operation(operation, gated, headers: dict, own: dict, examples: int,
                   expect_refusal: set | None, pool: IdPool, tally: Tally) -> None:
    strategies = {mode: operation.as_strategy(mode) for mode in GenerationMode}

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(data=st.data())
    def example(data):
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
        case = data.draw(strategies[mode])
        # Three positive examples in four aim at real rows (a negative one keeps its
        # invalid parts, which an id put in their place could make valid).
        if mode is GenerationMode.POSITIVE and data.draw(st.integers(0, 3)) < 3:
            aim(case, data, pool, own)
        label = f"{operation.method.upper()} {operation.path} [{mode.value}]"
        try:
            response = case.call(headers=headers, timeout=TIMEOUT)
        except Exception as exc:  # an unhandled error is a finding too
            tally.failures.append(f"{label}: raised {exc!r}"[:FAILURE_CHARS])
            return
        tally.add(gated, response.status_code)
        if expect_refusal is not None and response.status_code not in expect_refusal:
            tally.failures.append(f"{label}: {response.status_code} where a refusal "
                                  f"{sorted(expect_refusal)} was due")
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, FailureGroup) as exc:  # all reported at the end
            tally.failures.append(f"{label} → {response.status_code}: {exc}"[:FAILURE_CHARS])

    example()


@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "signed-out"])
def test_fuzz_openapi(role, api, engine, tmp_path_factory):
    operations, gated = api
    started = time.monotonic()
    wipe(engine)
    with session_factory(engine)() as session:
        accounts = demo_accounts(session)
        session.commit()
    account = accounts[role] if role else None
    headers = account.headers if account else {}
    own = {"person": [account.person_id], "organisation": [account.organisation_id]} \
        if account else {}
    tally = Tally()
    seeded = time.monotonic()
    pool = IdPool(engine)
    shift = [*Role].index(role) if role else 0
    for n, operation in enumerate(operations):
        op = gated[(operation.method.upper(), operation.path)]
        allowed = op.permission is None or (role is not None and op.allows(role))
        if not allowed and role is not None and (n + shift) % REFUSAL_SAMPLE:
            continue
        refusal = None if allowed else ({401} if role is None else REFUSED)
        fuzz_operation(operation, op, headers, own, EXAMPLES if allowed else 1, refusal, pool,
                       tally)

    name = role.value if role else "signed-out"
    summary = {name: tally.summary() | {
        "seconds": {"seed": round(seeded - started, 1),
                    "fuzz": round(time.monotonic() - seeded, 1)}}}
    print(f"\nfuzz {name}: {json.dumps(summary[name])}")
    out = tmp_path_factory.getbasetemp() / f"fuzz-summary-{name}.json"
    out.write_text(json.dumps(summary, indent=1))
    assert not tally.failures, "\n\n".join(tally.failures[:20]) + (
        f"\n… and {len(tally.failures) - 20} more" if len(tally.failures) > 20 else "")
    if role is not None:
        missing = families_of(role, gated.values()) - tally.ok_families
        assert not missing, (f"{role.value} got no 2xx from {sorted(missing)}:\n"
                             + "\n".join(tally.answers_in(missing)))
        assert tally.statuses["2xx"] > 0
    else:
        assert tally.ok_families <= {"health"}


def test_every_api_operation_declares_its_problem_answers(client):
    """Regression (found by the fuzzer): 401/403/404/409 were undeclared and 422 was
    declared as FastAPI's application/json body while the API answers problem+json."""
    from hozen.api.problems import PROBLEM_RESPONSES

    document = client.get("/api/v1/openapi.json").json()
    for path, methods in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in methods.items():
            for status in PROBLEM_RESPONSES:
                declared = operation["responses"].get(str(status), {}).get("content", {})
                assert list(declared) == ["application/problem+json"], (method, path, status)


def test_problem_answers_match_the_declared_schema(client, session):
    import jsonschema_rs

    from hozen.api.problems import PROBLEM_SCHEMA
    from tests.factories import make_org, make_user

    login = make_user(session, Role.WINDOW_OFFICER, make_org(session).id)
    session.commit()
    answers = {
        401: client.get("/api/v1/organisations", headers={"Authorization": "Bearer x"}),
        403: client.get("/api/v1/audit/events", headers=login.headers),
        404: client.get(f"/api/v1/people/{uuid.uuid4()}", headers=login.headers),
        422: client.get("/api/v1/organisations?limit=0", headers=login.headers),
    }
    for status, r in answers.items():
        assert r.status_code == status
        assert r.headers["content-type"] == "application/problem+json"
        jsonschema_rs.validate(PROBLEM_SCHEMA, r.json())


def test_report_exports_are_declared(client):
    """Regression (found by the fuzzer): ?format=pdf answered application/pdf, and
    ?format=csv text/csv, where the document declared JSON only."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for name in ("timeliness", "burden", "annual", "due-dates"):
        content = paths[f"/api/v1/reports/{name}"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "text/csv", "application/pdf"} <= set(content), name


def test_answers_the_fuzzer_found_undeclared_now_conform(client, session, api):
    """Regression (found by the fuzzer with more examples): an item without a marking
    answered label.xml with an undeclared 204, and POST /notices?dry_run=true with an
    undeclared 200."""
    from tests.factories import make_org, make_user

    operations, _ = api
    by_key = {(o.method.upper(), o.path): o for o in operations}
    org = make_org(session, kind="government_body")
    agency = make_user(session, Role.AGENCY_OFFICIAL, org.id)
    window = make_user(session, Role.WINDOW_OFFICER, org.id)
    session.commit()

    item = client.post("/api/v1/items", json={"title": "unmarked memo", "kind": "document"},
                       headers=agency.headers)
    assert item.status_code == 201, item.text
    label = client.get(f"/api/v1/items/{item.json()['id']}/label.xml", headers=agency.headers)
    assert label.status_code == 204
    case = by_key[("GET", "/api/v1/items/{item_id}/label.xml")].Case(
        path_parameters={"item_id": item.json()["id"]})
    case.validate_response(label, checks=CONFORMS)

    notice = {"title": "t", "body": "b", "kinds": ["company"]}
    preview = client.post("/api/v1/notices?dry_run=true", headers=window.headers, json=notice)
    assert preview.status_code == 200, preview.text
    case = by_key[("POST", "/api/v1/notices")].Case(body=notice, query={"dry_run": True},
                                                     media_type="application/json")
    case.validate_response(preview, checks=CONFORMS)

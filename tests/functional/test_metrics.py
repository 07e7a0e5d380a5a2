"""Prometheus metrics at /metrics (issue 9, item 8), through the real application.

- Who may scrape: a loopback client, or anyone with the configured bearer token; anyone
  else is told "not found"; loopback can be turned off.
- Requests are counted and timed by method, route TEMPLATE and status: the raw path (with
  a person's id) and query strings never appear.
- Access decisions are counted by outcome at the service; queue sizes and the audit
  chain's length are counted at scrape time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import ClearanceCase
from hozen.config import get_settings
from hozen.designations import items
from hozen.designations.schemas import ItemCreate
from hozen.notifications.models import Notification
from tests.factories import detached_world

LOCAL = ("127.0.0.1", 40000)
TOKEN = "m" * 40


@pytest.fixture
def local(app):
    with TestClient(app, client=LOCAL) as c:
        yield c


@pytest.fixture
def world(session):
    return detached_world(session)


def scrape(client, **kw) -> dict[tuple[str, tuple], float]:
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def token_settings(monkeypatch):
    monkeypatch.setenv("HOZEN_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("HOZEN_METRICS_TOKEN")
    get_settings.cache_clear()


def test_only_loopback_or_the_token_may_scrape(app, local, monkeypatch):
    scrape(local)
    with TestClient(app, client=("203.0.113.9", 5555)) as remote:
        assert remote.get("/metrics").status_code == 404
        assert remote.get("/metrics", headers={"Authorization": "Bearer " + TOKEN}
                          ).status_code == 404  # no token configured: none works
        monkeypatch.setenv("HOZEN_METRICS_TOKEN", TOKEN)
        monkeypatch.setenv("HOZEN_METRICS_LOOPBACK", "false")
        get_settings.cache_clear()
        try:
            scrape(remote, headers={"Authorization": "Bearer " + TOKEN})
            for wrong in ("Bearer " + "x" * 40, "Basic " + TOKEN, TOKEN, ""):
                assert remote.get("/metrics", headers={"Authorization": wrong}
                                  ).status_code == 404, wrong
            assert local.get("/metrics").status_code == 404  # loopback turned off
        finally:
            get_settings.cache_clear()


def test_a_short_token_is_refused_by_the_settings(monkeypatch):
    from pydantic import ValidationError

    from hozen.config import Settings

    monkeypatch.setenv("HOZEN_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError):
        Settings()


def test_requests_are_counted_by_route_template_not_path(local, world):
    officer, staff = world.users[Role.WINDOW_OFFICER], world.staff.id
    route = "/api/v1/people/{person_id}"
    before = scrape(local)
    for _ in range(3):
        assert local.get(f"/api/v1/people/{staff}", headers=officer.headers).status_code == 200
    assert local.get("/api/v1/people/" + "0" * 36, headers=officer.headers).status_code == 404
    assert local.get("/api/v1/people?q=ヤマダ", headers=officer.headers).status_code == 200
    assert local.get("/no/such/page/" + staff).status_code == 404
    after = scrape(local)
    ok = {"method": "GET", "route": route, "status": "200"}
    assert value(after, "hozen_http_requests_total", **ok) - value(
        before, "hozen_http_requests_total", **ok) == 3
    assert value(after, "hozen_http_requests_total", method="GET", route=route,
                 status="404") - value(before, "hozen_http_requests_total", method="GET",
                                       route=route, status="404") == 1
    assert value(after, "hozen_http_request_duration_seconds_count", **ok) - value(
        before, "hozen_http_request_duration_seconds_count", **ok) == 3
    assert value(after, "hozen_http_requests_total", method="GET", route="/api/v1/people",
                 status="200") >= 1
    assert value(after, "hozen_http_requests_total", method="GET", route="<unmatched>",
                 status="404") >= 1
    text = local.get("/metrics").text
    assert staff not in text and "ヤマダ" not in text and "q=" not in text
    assert "/no/such/page" not in text


def test_access_decisions_are_counted_by_outcome(local, world, session):
    agency = world.users[Role.AGENCY_OFFICIAL].actor
    open_item = items.create_item(session, ItemCreate(title="公開の手引き", kind="document"),
                                  actor=agency).id
    cui_item = items.create_item(session, ItemCreate(title="管理対象の手引き", kind="document",
                                                     cui_categories=["PRVCY"]), actor=agency).id
    session.commit()
    officer = world.users[Role.WINDOW_OFFICER]
    before = scrape(local)
    r = local.post("/api/v1/access/check-batch", headers=officer.headers, json={"requests": [
        {"person_id": world.staff.id, "item_id": open_item},
        {"person_id": world.staff.id, "item_id": cui_item}]})
    assert r.status_code == 200, r.text
    assert [a["permit"] for a in r.json()] == [True, False]
    after = scrape(local)
    for outcome in ("permit", "deny"):
        assert value(after, "hozen_access_decisions_total", outcome=outcome) - value(
            before, "hozen_access_decisions_total", outcome=outcome) == 1


def test_queues_and_the_audit_chain_are_counted_at_scrape_time(local, world, engine):
    samples = scrape(local)
    with engine.connect() as c:
        cases = {state: n for state, n in c.execute(
            select(ClearanceCase.state, func.count()).group_by(ClearanceCase.state))}
        unsent = c.scalar(select(func.count()).select_from(Notification).where(
            Notification.emailed_at.is_(None)))
        chain = c.scalar(select(func.max(AuditEvent.seq)))
    assert chain and value(samples, "hozen_audit_chain_length") == chain
    assert value(samples, "hozen_notifications_unsent") == unsent
    assert {dict(k[1])["state"]: v for k, v in samples.items()
            if k[0] == "hozen_clearance_cases"} == cases
    assert ("hozen_visits_open", (("status", "awaiting_decision"),)) in samples

"""Prometheus metrics at /metrics (issue 9, item 8).

What is measured: requests and their latency by method, route TEMPLATE and status (never
the raw path: an id in a path stands for a person); access decisions by outcome; queue
sizes (clearance cases by state, open visits, notifications not yet e-mailed) and the
length of the audit chain, counted at scrape time with cheap COUNT queries. No label ever
carries personal data.

Who may scrape: a client on the loopback interface (HOZEN_METRICS_LOOPBACK, default on),
or anyone presenting HOZEN_METRICS_TOKEN as a bearer token; anyone else is told "not
found". Behind a reverse proxy on the same host every client looks local: there, turn
loopback off and use the token (or do not proxy /metrics).

Counters live in the process: with several workers each answers for itself (scrape each,
or run one worker per port)."""

from __future__ import annotations

import hmac
from datetime import date

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen.config import Settings

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUESTS = Counter("hozen_http_requests", "HTTP requests answered",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("hozen_http_request_duration_seconds", "Time to answer a request",
                    ["method", "route", "status"], registry=REGISTRY,
                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
DECISIONS = Counter("hozen_access_decisions", "Access decisions taken",
                    ["outcome"], registry=REGISTRY)
GROUPS = Histogram("hozen_access_check_groups", "Access checks decided in one transaction",
                   registry=REGISTRY, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
CASES = Gauge("hozen_clearance_cases", "Clearance cases by state", ["state"],
              registry=REGISTRY)
VISITS = Gauge("hozen_visits_open", "Visits awaiting a decision, or approved and under way",
               ["status"], registry=REGISTRY)
UNSENT = Gauge("hozen_notifications_unsent", "Notifications not yet e-mailed (and not purged)",
               registry=REGISTRY)
AUDIT = Gauge("hozen_audit_chain_length", "Events in the hash-chained audit log",
              registry=REGISTRY)

UNMATCHED = "<unmatched>"  # a request no route answered (its path is not recorded)


def route_template(scope) -> str:
    """The template of the route that answered (`/api/v1/people/{person_id}`), never the
    path asked for."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static/{path}"
    return UNMATCHED


# Each series found once (labels() looks it up under a lock, per call): a few routes and
# statuses each, so the map stays as small as the metrics themselves.
_SERIES: dict[tuple[str, str, int], tuple] = {}
_OUTCOMES = {True: DECISIONS.labels("permit"), False: DECISIONS.labels("deny")}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    series = _SERIES.get((method, route, status))
    if series is None:
        series = _SERIES[method, route, status] = (
            REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route, str(status)))
    series[0].inc()
    series[1].observe(seconds)


def count_decisions(permits) -> None:
    """One count per decision taken: `permits` are the decisions' permit flags."""
    for permit in permits:
        _OUTCOMES[bool(permit)].inc()


def update_queues(session: Session, today: date) -> None:
    """Queue sizes and the audit chain's length, counted now."""
    from hozen.audit.models import AuditEvent
    from hozen.clearances.models import ClearanceCase
    from hozen.notifications.models import Notification
    from hozen.reciprocity.models import VisitRequest

    by_state = {state: n for state, n in session.execute(
        select(ClearanceCase.state, func.count()).group_by(ClearanceCase.state))}
    CASES.clear()
    for state, n in by_state.items():
        CASES.labels(state).set(n)
    VISITS.labels("awaiting_decision").set(session.scalar(
        select(func.count()).select_from(VisitRequest).where(
            VisitRequest.status == "submitted")) or 0)
    VISITS.labels("under_way").set(session.scalar(
        select(func.count()).select_from(VisitRequest).where(
            VisitRequest.status == "approved", VisitRequest.starts_on <= today,
            VisitRequest.ends_on >= today)) or 0)
    UNSENT.set(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.emailed_at.is_(None), Notification.purged_at.is_(None))) or 0)
    # the chain is numbered from 1 without gaps: its head is its length (an index read)
    AUDIT.set(session.scalar(select(func.max(AuditEvent.seq))) or 0)


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def may_scrape(settings: Settings, client_host: str | None, authorization: str) -> bool:
    """A loopback client (when allowed), or the configured bearer token."""
    if settings.metrics_loopback and (client_host in LOOPBACK or (
            client_host or "").startswith("127.")):
        return True
    token = settings.metrics_token
    scheme, _, raw = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        raw.strip().encode(), token.encode())


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

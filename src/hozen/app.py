"""The ASGI application: API, pages and health check in one process."""

from __future__ import annotations

import importlib
import logging
import random
import re
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from hozen.api import problems
from hozen.api.gates import HozenRoute, LoginRequired, ReauthRequired, public
from hozen.api.routing import include, index
from hozen.audit.services import request_id_var
from hozen.config import Settings, get_settings
from hozen.crypto import get_keyring
from hozen.db import utcnow
from hozen.errors import DomainError, NotFound

log = logging.getLogger("hozen")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    (b"permissions-policy",
     b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
_ids = random.Random()  # request ids correlate log lines; they need not be secret
# Only behind TLS (HOZEN_COOKIE_SECURE=true): browsers then refuse plain HTTP for 2 years.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")


class RequestContext:
    """Pure ASGI middleware: a request id for logs and audit, and security headers.
    Nothing but the static files may be cached: pages and API answers hold vetting data."""

    def __init__(self, app, hsts: bool = False) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS] if hsts else [])
        self.no_store = [*self.headers, NO_STORE]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _REQUEST_ID.match(incoming) else f"{_ids.getrandbits(64):016x}"
        token = request_id_var.set(rid)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                cached = static or any(k.lower() == b"cache-control" for k, _ in headers)
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(self.headers if cached else self.no_store)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id_var.reset(token)


# The modules of hozen's routers, in the order their routes are matched
# (hozen.api.routing): the access checks first (the busiest routes; no other route's
# path overlaps theirs).
ROUTERS = (
    "hozen.api.access_routes",
    "hozen.api.routes",
    "hozen.api.clearance_routes",
    "hozen.api.aftercare_routes",
    "hozen.api.designation_routes",
    "hozen.api.cui_routes",
    "hozen.api.facility_routes",
    "hozen.api.facility_register_routes",
    "hozen.api.reciprocity_routes",
    "hozen.api.outgoing_routes",
    "hozen.api.sharing_routes",
    "hozen.api.report_routes",
    "hozen.api.taxii_routes",
    "hozen.web.routes",
    "hozen.web.clearance_pages",
    "hozen.web.designation_pages",
    "hozen.web.cui_pages",
    "hozen.web.facility_pages",
    "hozen.web.register_pages",
    "hozen.web.access_pages",
    "hozen.web.reciprocity_pages",
    "hozen.web.exchange_pages",
    "hozen.web.intel_pages",
    "hozen.web.sharing_pages",
    "hozen.api.notice_routes",
    "hozen.web.notice_pages",
    "hozen.web.report_pages",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_safe_to_start()
    get_keyring()  # fail at start, not at the first request, if the key is unusable
    from hozen.web.i18n import LANGUAGES, translations

    for lang in LANGUAGES:  # read now, not by the first page a worker serves (~0.1 s)
        translations(lang)
    app = FastAPI(title="hozen", version="0.1.0", docs_url="/api/docs", redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="保全 — security clearance platform API",
                  # No OpenTelemetry export, even if OTEL_* is set: spans would carry raw
                  # paths (an id stands for a person) and query strings (a name searched
                  # for). hozen's own metrics and logs never do. (And it is looked up on
                  # every request.)
                  telemetry={"tracing": False, "metrics": False, "logs": False,
                             "auto_configure": False})
    # The static files first, then every router's routes in the order of ROUTERS.
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"),
              name="static")
    for module in ROUTERS:
        include(app.router, importlib.import_module(module).router)

    ops = APIRouter(route_class=HozenRoute)

    @ops.get("/healthz", dependencies=[public()], tags=["health"])
    def healthz(request: Request) -> dict:
        request.state.db.execute(text("SELECT 1"))
        return {"status": "ok"}

    @ops.get("/metrics", dependencies=[public()], tags=["health"], include_in_schema=False)
    def metrics_page(request: Request):
        from hozen.ops import metrics

        if not metrics.may_scrape(get_settings(), request.client.host if request.client
                                  else None, request.headers.get("authorization", "")):
            raise NotFound("not found")
        metrics.update_queues(request.state.db, utcnow().date())
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    include(app.router, ops)
    index(app.router)  # a request is matched only against the routes that could match it
    _handlers(app)
    from hozen.api.check_path import CheckPath, check_route
    from hozen.ops.limits import BodyLimit
    from hozen.ops.middleware import ObservedRequests

    app.add_middleware(CheckPath, handlers=app.exception_handlers, route=check_route(app))
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObservedRequests)  # inside RequestContext: the request id is set
    app.add_middleware(RequestContext, hsts=settings.cookie_secure)
    return app


def serving_app() -> FastAPI:
    """The application of a serving process (`hozen serve`, gunicorn): its garbage
    collector tuned not to stall requests (hozen.ops.collector)."""
    from hozen.ops import collector

    app = create_app()
    app.router.lifespan_context = _serving
    collector.settle()
    return app


@asynccontextmanager
async def _serving(app: FastAPI):
    """While serving on PostgreSQL: the work requests hand to anyio's threads (an async
    form page's steps, a gate checked after a 422) runs in at most `worker_threads` of
    them, as handlers' trips run in as many of hozen's own (hozen.api.threads). (Not on
    SQLite, where a request holds the database's one write lock from its first statement,
    and a form page may then wait for a thread while holding it.)"""
    import anyio.to_thread

    settings = get_settings()
    if not settings.is_sqlite:
        anyio.to_thread.current_default_thread_limiter().total_tokens = \
            settings.worker_threads
    yield


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _handlers(app: FastAPI) -> None:
    from hozen.web import pages

    @app.exception_handler(DomainError)
    async def domain(request: Request, exc: DomainError):
        if isinstance(exc, ReauthRequired) and not _is_api(request):
            return pages.redirect(exc.extra["location"])
        if isinstance(exc, LoginRequired) and not _is_api(request):
            return pages.login_redirect(request)
        if _is_api(request):
            return problems.domain_problem(exc)
        return pages.error_page(request, exc.status, exc.code)

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError):
        if _is_api(request):
            return await problems.on_validation(request, exc)
        return pages.error_page(request, 400, "validation-error")

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException):
        if _is_api(request):
            return await problems.on_http(request, exc)
        return pages.error_page(request, exc.status_code, "http-error")

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError):
        if _is_api(request):
            return await problems.on_integrity(request, exc)
        return pages.error_page(request, 409, "conflict")

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError):
        if _is_api(request):
            return await problems.on_stale(request, exc)
        return pages.error_page(request, 409, "conflict")

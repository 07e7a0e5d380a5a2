"""Route declarations and the transaction each request owns.

Every route is a `HozenRoute`: it must declare `requires(Permission.X)` or `public()`,
or the application refuses to start (deny by default). The route opens one session;
a handler that returns commits it, a handler that raises rolls it back.

A gate is only declared as a dependency: the route checks it (`Gate.check`) itself, in
the same trip to a worker thread as the handler. A plain (sync) handler's request takes
one such trip: gate, handler, validating the answer against the response model, commit.
(FastAPI alone would take four: one for each sync dependency, the handler, the
validation, and the commit.) A request whose parameters or body fail validation is
refused by its gate first, as before: no caller without access learns anything from
a 422. The handler's session and actor (`Db`, `Me`) are filled in by the route too:
FastAPI solves only the parameters the request carries."""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import quote

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Header, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_typed_signature
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hozen.accounts import services as accounts
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.api.threads import threads
from hozen.config import get_settings
from hozen.db import get_engine, session_factory
from hozen.errors import DomainError, Forbidden, NotFound, Unauthenticated

SESSION_COOKIE = "hozen_session"


class LoginRequired(DomainError):
    """A page needs a signed-in user: the browser is sent to the login page."""

    code = "login-required"
    status = 303


class ReauthRequired(LoginRequired):
    """A high-risk action needs password and code proved within 5 minutes: the browser
    is sent to the re-authentication page (extra["location"]), then back to the form."""

    code = "reauth-required"


@dataclass(frozen=True)
class Gate:
    permission: Permission | None  # None: public
    channel: str = "api"  # "api": bearer token; "web": session cookie
    deny_as: int = 403  # 404 where even the refusal must not reveal existence
    # High-risk actions. Pages: re-authentication within 5 minutes, then back to this page
    # (True) or to the path given (a form's page; {name}s are the route's parameters).
    reauth: str | bool = False
    otp: bool = False  # API: a user enrolled in MFA, with a fresh code in X-Hozen-OTP

    async def __call__(self, request: Request) -> None:
        """Only the declaration (FastAPI resolves it without a thread): the route checks
        the gate in its handler's trip (HozenRoute)."""

    def check(self, request: Request) -> Actor | None:
        """The actor this request may act as (None: public), or the refusal raised."""
        if self.permission is None:
            return None
        actor = request.state.actor = resolve_actor(request, self.channel)
        if not actor.can(self.permission):
            if self.deny_as == 404:
                raise NotFound("not found")
            raise Forbidden(f"permission {self.permission.value} required")
        if self.reauth and self.channel == "web":
            require_fresh_reauth(request, self.reauth)
        if self.otp and self.channel == "api":
            _require_otp(request, actor)
        return actor


@dataclass(frozen=True)
class GroupedGate(Gate):
    """The gate of a route deciding in groups (hozen.access.batcher), which resolves the
    token itself: here only its presence is checked, on the event loop (no thread)."""

    async def __call__(self, request: Request) -> None:
        raw = bearer(request)
        if raw is None:
            raise Unauthenticated("a valid bearer token is required")
        request.state.bearer = raw


def bearer(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    return bearer_token(request.headers.get("authorization", ""))


def bearer_token(authorization: str) -> str | None:
    """The token of an Authorization header's value `Bearer <token>`, if it is one."""
    scheme, _, raw = authorization.partition(" ")
    return (raw.strip() or None) if scheme.lower() == "bearer" else None


OTP_DOC = ("A current code from the caller's authenticator app (or one of their recovery "
           "codes), each accepted once: required, and the token's user must be enrolled in "
           "MFA (a token alone never suffices). User not enrolled: 403; missing: 401; "
           "wrong or reused: 403; too many wrong codes: 429.")
OTP_HEADER = Header(alias="X-Hozen-OTP", description=OTP_DOC)
OTP_RESPONSES = {401: "No valid API token, or no X-Hozen-OTP code",
                 403: "Permission refused, the token's user is not enrolled in MFA (no "
                      "X-Hozen-OTP code can be accepted), or the code is wrong or was used",
                 429: "Too many wrong codes or sign-ins: wait Retry-After seconds"}


@dataclass(frozen=True)
class OtpGate(Gate):
    """The gate of a high-risk API action: its X-Hozen-OTP header is a parameter here
    only so that the OpenAPI document declares it (Gate._require_otp reads it)."""

    async def __call__(self, request: Request,
                       x_hozen_otp: Annotated[str | None, OTP_HEADER] = None) -> None:
        """Only the declaration, as Gate's."""


def requires(permission: Permission, *, deny_as: int = 403, grouped: bool = False,
             otp: bool = False):
    """The route needs `permission` (API token). `grouped`: the handler authenticates in
    a group of its own (hozen.access.batcher); the gate only checks that a bearer token
    was sent, and the route opens no session. `otp`: a high-risk action (X-Hozen-OTP)."""
    if grouped:
        return Depends(GroupedGate(permission, "api", deny_as))
    if otp:
        return Depends(OtpGate(permission, "api", deny_as, otp=True))
    return Depends(Gate(permission, "api", deny_as))


def page_requires(permission: Permission, *, deny_as: int = 403, reauth: str | bool = False):
    return Depends(Gate(permission, "web", deny_as, reauth=reauth))


def require_fresh_reauth(request: Request, back: str | bool) -> None:
    """Raise ReauthRequired unless this web session proved password and code within 5
    minutes (also for a handler whose form decides whether the action is high-risk)."""
    from hozen.accounts.mfa_rules import reauth_fresh
    from hozen.db import utcnow
    from hozen.web.pages import safe_next

    if reauth_fresh(request.state.web_session.reauth_at, utcnow()):
        return
    if isinstance(back, str):  # never the POST itself: the user submits the form again
        target = back.format(**{k: quote(str(v), safe="")
                                for k, v in request.path_params.items()})
    elif request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = "/"
    raise ReauthRequired("confirm your password and code first",
                         location="/reauth?next=" + quote(safe_next(target), safe=""))


def _require_otp(request: Request, actor: Actor) -> None:
    from hozen.accounts import mfa, throttle

    session: Session = request.state.db
    session.rollback()  # only read so far: on SQLite, let go of the lock for the check
    address = throttle.client_address(request.client.host if request.client else None,
                                      request.headers.get("x-forwarded-for", ""),
                                      get_settings().trusted_proxy_set)
    mfa.check_api_otp(session, actor.id, actor.username,
                      request.headers.get(mfa.OTP_HEADER), address)


def taxii_requires(permission: Permission):
    """TAXII 2.1: an API token as bearer or Basic password; refusals read as not found."""
    return Depends(Gate(permission, "taxii", 404))


def public(channel: str = "api"):
    return Depends(Gate(None, channel))


async def db(request: Request) -> Session:
    """The request's session. A HozenRoute's handler has it filled in by the route, which
    FastAPI then does not solve (nor `actor`)."""
    return request.state.db


ACTOR_PENDING = object()  # what a public route's handler gets for its actor


async def actor(request: Request) -> Actor:
    """The actor of a route with a permission, which its route fills in with what the
    gate resolved (HozenRoute): only declared here."""
    return ACTOR_PENDING


def token_actor(session: Session, raw: str) -> Actor | None:
    """The actor of an API token: one read of the accounts epoch, the token and its user
    from the process's cache while that epoch stands (hozen.accounts.tokens)."""
    from hozen.access.cache import ACCOUNTS, epoch
    from hozen.accounts.tokens import cached_actor

    return cached_actor(session, raw, epoch(session, ACCOUNTS))


def resolve_actor(request: Request, channel: str) -> Actor:
    session: Session = request.state.db
    if channel == "taxii":  # an API token as bearer, or as HTTP Basic's password
        from hozen.accounts.tokens import token_from_header

        raw = token_from_header(request.headers.get("authorization", ""))
        actor = token_actor(session, raw) if raw else None
        if actor is None:
            raise Unauthenticated("a valid API token is required")
        return actor
    if channel == "api":
        raw = bearer(request)
        actor = token_actor(session, raw) if raw else None
        if actor is None:
            raise Unauthenticated("a valid bearer token is required")
        return actor
    raw = request.cookies.get(SESSION_COOKIE)
    found = accounts.resolve_session(session, raw) if raw else None
    if found is None:
        raise LoginRequired("sign in first")
    user, web_session = found
    # Plain values, not ORM rows: error pages render after the session is rolled back.
    request.state.web_session = SimpleNamespace(csrf_token=web_session.csrf_token,
                                                reauth_at=web_session.reauth_at)
    request.state.user = SimpleNamespace(display_name=accounts.profile(user)["display_name"],
                                         username=user.username)
    return accounts.actor_for(user)


def find_gate(dependant: Dependant) -> Gate | None:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Gate):
            return dep.call
        if (inner := find_gate(dep)) is not None:
            return inner
    return None


_REQUEST = "hozen_request"  # the handler's request, where it does not take it itself


def _declared_gate(dependencies) -> Gate | None:
    """The gate among a route's declared dependencies (requires() or public())."""
    return next((d.dependency for d in dependencies or () if isinstance(d.dependency, Gate)),
                None)


def _passed_the_gate(request: Request, gate: Gate, values: dict, filled: dict) -> dict:
    """Check the gate (in a worker thread: it may read the database); the handler's
    arguments with the session and the actor filled in (`filled`: name -> db or actor)."""
    found = gate.check(request)
    request.state.gated = True
    for name, what in filled.items():
        values[name] = request.state.db if what is db else (
            ACTOR_PENDING if found is None else found)
    return values


def _filled_by_the_route(endpoint) -> tuple[list[inspect.Parameter], dict]:
    """The endpoint's parameters FastAPI is left to solve, and those the route fills in
    itself: the session (`db`) and the actor (`actor`), which FastAPI would otherwise
    solve as dependencies on every request, only to hand over what the route has."""
    kept, filled = [], {}
    for p in get_typed_signature(endpoint).parameters.values():
        marks = [*getattr(p.annotation, "__metadata__", ()), p.default]
        dep = next((m.dependency for m in marks if isinstance(m, params.Depends)
                    and m.dependency in (db, actor)), None)
        if dep is None:
            kept.append(p)
        else:
            filled[p.name] = dep
    return kept, filled


def _behind_gate(endpoint, gate: Gate, route: HozenRoute):
    """The handler as the route calls it: async, with the parameters of `endpoint` that
    FastAPI reads (so OpenAPI is unchanged), without the session and actor the route
    fills in, and with the request besides. A sync `endpoint` runs in one trip with its
    gate, the validation of its answer, and the commit; an async one after its gate's
    trip, and commits after."""
    kept, filled = _filled_by_the_route(endpoint)
    own = next((p.name for p in kept if p.annotation in (Request, "Request")), None)
    extra = [] if own else [inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY,
                                              annotation=Request)]

    def request_of(values: dict) -> Request:
        return values[own] if own else values.pop(_REQUEST)

    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def handler(**values):
            request = request_of(values)
            return await endpoint(**await run_in_threadpool(_passed_the_gate, request, gate,
                                                            values, filled))
    else:
        def trip(request: Request, values: dict):
            try:
                answer = endpoint(**_passed_the_gate(request, gate, values, filled))
                if route.response_field is not None and not isinstance(answer, Response):
                    # as FastAPI will (again, at no cost for a model), but before the
                    # commit: an answer that does not match the schema writes nothing
                    value, errors = route.response_field.validate(answer, {},
                                                                  loc=("response",))
                    if errors:  # (the body reported is the handler's own answer)
                        raise ResponseValidationError(errors=errors, body=answer)
                    answer = value
            except BaseException:
                # rolled back here, still in this thread: not after waiting for another,
                # which might all be taken by requests waiting for this one's locks
                _end(request.state.db, False)
                raise
            else:
                _end(request.state.db, True)
            finally:
                request.state.ended = True
            return answer

        @functools.wraps(endpoint)
        async def handler(**values):
            request = request_of(values)
            return await threads.run(trip, request, values)
    handler.__signature__ = inspect.Signature(  # (the answer's type: the response model)
        [*kept, *extra], return_annotation=inspect.signature(endpoint).return_annotation)
    return handler


class HozenRoute(APIRoute):
    def __init__(self, path: str, endpoint, **kwargs) -> None:
        declared = _declared_gate(kwargs.get("dependencies"))
        if declared is not None and not isinstance(declared, GroupedGate):
            endpoint = _behind_gate(endpoint, declared, self)
        super().__init__(path, endpoint, **kwargs)
        self.gate = find_gate(self.dependant)
        if self.gate is None:
            raise RuntimeError(f"route {path} declares no permission (requires() or public())")
        if self.gate is not declared:  # a gate must be the route's own declared dependency
            raise RuntimeError(f"route {path}: declare its gate in dependencies=[...]")
        if self.gate.otp and self.gate.channel == "api":
            self.responses = otp_responses(self.responses)

    def get_route_handler(self):
        gate = find_gate(self.dependant)  # (called before __init__ has set self.gate)
        if isinstance(gate, GroupedGate):  # no session of its own: see requires()
            return super().get_route_handler()
        handler = APIRoute.get_route_handler(self._solved(gate))

        async def transactional(request: Request):
            session = session_factory(get_engine(get_settings()))()
            request.state.db = session
            try:
                try:
                    response = await handler(request)
                except RequestValidationError:
                    if not getattr(request.state, "gated", False):  # the gate refuses first
                        await run_in_threadpool(gate.check, request)
                    raise
            except BaseException:
                if not getattr(request.state, "ended", False):
                    with anyio.CancelScope(shield=True):  # a client gone releases locks too
                        await _ending(session, False)
                raise
            if not getattr(request.state, "ended", False):
                with anyio.CancelScope(shield=True):
                    await _ending(session, True)
            return response

        return transactional

    def _solved(self, gate: Gate) -> HozenRoute:
        """The route as FastAPI solves each request's parameters for it: without its gate
        (checked by the route itself) where the gate declares no parameter of its own (an
        OtpGate's X-Hozen-OTP header is validated as declared)."""
        if type(gate) is not Gate:
            return self
        solved = copy.copy(self)
        solved.dependant = dataclasses.replace(self.dependant, dependencies=[
            d for d in self.dependant.dependencies if d.call is not gate])
        return solved


def otp_responses(responses: dict) -> dict:
    """A high-risk API route's answers, with the refusals its X-Hozen-OTP code adds."""
    from hozen.api.problems import PROBLEM_SCHEMA

    problem = {"content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    return {**responses, **{status: {**problem, **responses.get(status, {}),
                                     "description": description}
                            for status, description in OTP_RESPONSES.items()}}


_ENDING = RunVar[anyio.CapacityLimiter]("hozen_ending")


async def _ending(session: Session, commit: bool) -> None:
    """`_end` in a worker thread counted apart from the handlers' (HOZEN_WORKER_THREADS):
    a transaction holding locks is ended even when every handler thread is taken by a
    request waiting for those locks (which would otherwise wait forever)."""
    try:
        limiter = _ENDING.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(40)
        _ENDING.set(limiter)
    await anyio.to_thread.run_sync(_end, session, commit, limiter=limiter)


def _end(session: Session, commit: bool) -> None:
    """Commit (or roll back) and close, in a worker thread (a sync handler's own trip,
    or `_ending`). A failed commit is rolled back and closed too."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def iter_routes(routes):
    """Every route of an application, descending into included routers."""
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's lazily included router
        if inner is not None:
            yield from iter_routes(inner.routes)
        else:
            yield route

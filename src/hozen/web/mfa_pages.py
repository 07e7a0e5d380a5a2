"""Pages of the second factor: the code step of sign-in, enrolment (required for every
role but the subject's), re-authentication before high-risk actions, and the user's own
security page (optional enrolment, new recovery codes).

Between the password and the code there is no session: only a signed, 5-minute pending
cookie naming the user. Each code tried there or at re-authentication counts in the
sign-in throttle as a failed sign-in until one succeeds."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hozen.accounts import mfa, throttle
from hozen.accounts import services as accounts
from hozen.accounts.actor import Actor
from hozen.accounts.models import User, WebSession
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import SESSION_COOKIE, HozenRoute, actor, db, page_requires, public
from hozen.config import get_settings
from hozen.db import utcnow
from hozen.errors import Conflict, Unauthenticated, ValidationFailed
from hozen.web.pages import check_csrf, redirect, render, safe_next

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]
Next = Annotated[str, Query(max_length=500)]
PENDING_COOKIE = "hozen_mfa_pending"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, data)
    return data


def _address(request: Request) -> str:
    return throttle.client_address(request.client.host if request.client else None,
                                   request.headers.get("x-forwarded-for", ""),
                                   get_settings().trusted_proxy_set)


def pending_redirect(user_id: str, stage: str, target: str):
    """After a correct password: on to the code (or enrolment) step, no session yet."""
    response = redirect(f"/login/{stage}?next=" + quote(safe_next(target), safe=""))
    response.set_cookie(PENDING_COOKIE, mfa.sign_pending(user_id, stage), httponly=True,
                        samesite="strict", secure=get_settings().cookie_secure,
                        max_age=int(mfa.rules.PENDING_MAX_AGE.total_seconds()), path="/login")
    return response


def signed_in(s: Session, user: User, target: str, *, code_proved: bool, page=None):
    """Start the session; with `code_proved` (the password and a code were just proved)
    re-authenticated now, never by the password alone."""
    raw, ws = accounts.start_session(s, user, get_settings().session_hours)
    ws.reauth_at = utcnow() if code_proved else None
    response = page if page is not None else redirect(safe_next(target))
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax",
                        secure=get_settings().cookie_secure,
                        max_age=int(get_settings().session_hours * 3600))
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


def _pending_user(request: Request, s: Session, stage: str) -> User | None:
    pending = mfa.read_pending(request.cookies.get(PENDING_COOKIE, ""))
    if pending is None or pending.stage != stage:
        return None
    user = s.get(User, pending.user_id)
    return user if user is not None and user.active else None


async def _code_step(request: Request, s: Session, who, check, done, again):
    """A step that proves a code (sign-in, enrolment, re-authentication). Every database
    step runs in a worker thread, not on the event loop (see routes.login): one trip to
    find the user and count the attempt before anything is checked (a refusal checks
    nothing), the throttle's pause awaited, one trip to check, record the success and
    do what follows. `who()`: the user, or the answer when there is none; `check(user)`
    raises Unauthenticated or ValidationFailed on a wrong code; `done(user, result)`:
    the answer after a right one; `again(error, status)`: the page after a wrong one."""
    address = _address(request)

    def count():
        user = who()
        if not isinstance(user, User):
            return user, None
        user_id, username = user.id, user.username
        s.rollback()  # only read so far: on SQLite, let go of the lock before counting
        attempt = throttle.begin_attempt(s, username, address)
        if not attempt.verdict.refused:
            return user_id, attempt
        throttle.refuse(s, attempt, username)
        page = again("login_throttled", 429)
        page.headers["retry-after"] = str(attempt.verdict.retry_after)
        return page, None

    found, attempt = await run_in_threadpool(count)
    if attempt is None:
        return found
    await throttle.pause(attempt.verdict.delay)

    def prove():
        user = s.get(User, found)
        try:
            result = check(user)
        except (Unauthenticated, ValidationFailed):
            return again("mfa_code_wrong", 401)
        throttle.succeeded(s, attempt)
        return done(user, result)

    return await run_in_threadpool(prove)


def _pending_or_restart(request: Request, s: Session, stage: str, target: str):
    """The user the pending cookie names, or (expired or forged) back to the password."""
    user = _pending_user(request, s, stage)
    return user if user is not None else redirect("/login?next=" + quote(target, safe=""))


# --- sign-in: the code step -----------------------------------------------------------


@router.get("/login/code", dependencies=[public("web")])
def code_page(request: Request, s: Db, next: Next = "/"):
    if _pending_user(request, s, "code") is None:
        return redirect("/login?next=" + quote(safe_next(next), safe=""))
    return render(request, "mfa/code.html", next=safe_next(next), error=None)


@router.post("/login/code", dependencies=[public("web")])
async def code_submit(request: Request, s: Db):
    form = await _form(request)
    target = safe_next(form.get("next"))
    return await _code_step(
        request, s, lambda: _pending_or_restart(request, s, "code", target),
        lambda u: mfa.verify(s, u.id, form.get("code", "")[:64], purpose="sign-in"),
        lambda u, _method: signed_in(s, u, target, code_proved=True),
        lambda error, status: render(request, "mfa/code.html", status=status, next=target,
                                     error=error))


# --- sign-in: enrolment -----------------------------------------------------------------


def _enrol_page(request: Request, s: Session, user: User, *, next: str, error=None,
                status: int = 200, action: str = "/login/enrol"):
    secret = mfa.begin_enrolment(s, user)
    return render(request, "mfa/enrol.html", status=status, next=next, error=error,
                  secret=mfa.rules.format_secret(secret), action=action,
                  qr=mfa.qr_data_uri(secret, user.username))


@router.get("/login/enrol", dependencies=[public("web")])
def enrol_page(request: Request, s: Db, next: Next = "/"):
    user = _pending_user(request, s, "enrol")
    if user is None:
        return redirect("/login?next=" + quote(safe_next(next), safe=""))
    return _enrol_page(request, s, user, next=safe_next(next))


@router.post("/login/enrol", dependencies=[public("web")])
async def enrol_submit(request: Request, s: Db):
    form = await _form(request)
    target = safe_next(form.get("next"))
    user_id = None

    def who():
        nonlocal user_id
        user = _pending_or_restart(request, s, "enrol", target)
        user_id = getattr(user, "id", None)
        return user

    def enrolled(user: User, codes: list[str]):
        shown = render(request, "mfa/recovery.html", codes=codes, next=target)
        return signed_in(s, user, target, code_proved=True, page=shown)

    return await _code_step(
        request, s, who, lambda u: mfa.confirm_enrolment(s, u, form.get("code", "")[:64]),
        enrolled,
        lambda error, status: _enrol_page(request, s, s.get(User, user_id), next=target,
                                          error=error, status=422 if status == 401 else status))


# --- re-authentication ------------------------------------------------------------------


@router.get("/reauth", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
def reauth_page(request: Request, s: Db, me: Me, next: Next = "/"):
    return render(request, "mfa/reauth.html", next=safe_next(next), error=None,
                  enrolled=mfa.is_enrolled(s, me.id))


@router.post("/reauth", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
async def reauth_submit(request: Request, s: Db, me: Me):
    """Password and code: a user without a second factor cannot re-authenticate (a
    high-risk action is never opened by the password alone)."""
    form = await _form(request)
    target = safe_next(form.get("next"))
    id_hash = accounts.sha256_hex(request.cookies.get(SESSION_COOKIE, ""))

    def who():
        if not mfa.is_enrolled(s, me.id):
            return render(request, "mfa/reauth.html", status=403, next=target,
                          error="reauth_needs_mfa", enrolled=False)
        return s.get(User, me.id)

    def check(user: User) -> None:
        accounts.authenticate(s, user.username, form.get("password", "")[:256])
        mfa.verify(s, user.id, form.get("code", "")[:64], purpose="reauth")

    def done(_user: User, _result) -> object:
        mfa.reauthenticated(s, s.get(WebSession, id_hash), purpose="high-risk")
        return redirect(target)

    return await _code_step(
        request, s, who, check, done,
        lambda error, status: render(
            request, "mfa/reauth.html", status=status, next=target, enrolled=True,
            error="reauth_failed" if error == "mfa_code_wrong" else error))


# --- the user's own security page -------------------------------------------------------


def _security(request: Request, s: Session, me: Actor, *, status: int = 200, error=None,
              codes=None):
    user = s.get(User, me.id)
    enrolled = mfa.is_enrolled(s, me.id)
    ctx = {"enrolled": enrolled, "required": mfa.requires_second_factor(user), "codes": codes,
           "error": error, "remaining": mfa.remaining_recovery_codes(s, me.id)}
    if not enrolled:
        secret = mfa.begin_enrolment(s, user)
        ctx |= {"secret": mfa.rules.format_secret(secret),
                "qr": mfa.qr_data_uri(secret, user.username)}
    return render(request, "mfa/security.html", status=status, **ctx)


@router.get("/account/security", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
def security_page(request: Request, s: Db, me: Me):
    return _security(request, s, me)


@router.post("/account/security/enrol", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
async def security_enrol(request: Request, s: Db, me: Me):
    """Optional enrolment (a subject) while signed in: confirmed with one code."""
    form = await _form(request)

    def enrol():  # in a worker thread, as every database step of these pages
        try:
            codes = mfa.confirm_enrolment(s, s.get(User, me.id), form.get("code", "")[:64])
        except (ValidationFailed, Conflict) as exc:
            code = "mfa_code_wrong" if isinstance(exc, ValidationFailed) else "state_conflict"
            return _security(request, s, me, status=422, error=code)
        return _security(request, s, me, codes=codes)

    return await run_in_threadpool(enrol)


@router.post("/account/security/recovery-codes",
             dependencies=[page_requires(P.ACCOUNTS_SELF_READ, reauth="/account/security")])
async def security_recovery_codes(request: Request, s: Db, me: Me):
    await _form(request)

    def regenerate():
        try:
            codes = mfa.regenerate_recovery_codes(s, actor=me)
        except Conflict:
            s.rollback()
            return _security(request, s, me, status=409, error="state_conflict")
        return _security(request, s, me, codes=codes)

    return await run_in_threadpool(regenerate)

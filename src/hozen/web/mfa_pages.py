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


def signed_in(s: Session, user: User, target: str, *, page=None):
    """Start the session (the password and code were just proved: re-authenticated now)."""
    raw, ws = accounts.start_session(s, user, get_settings().session_hours)
    ws.reauth_at = utcnow()
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


async def _throttled_code(request: Request, s: Session, user: User, check, refused_page):
    """Count the attempt before the code is checked (the request's session has only read:
    on SQLite its lock is let go first); a refusal checks nothing. `check()` raises
    Unauthenticated or ValidationFailed on a wrong code."""
    username, user_id = user.username, user.id
    s.rollback()
    # in worker threads (see routes.login): the check may verify a password (Argon2)
    attempt = await run_in_threadpool(throttle.begin_attempt, s, username, _address(request))
    if attempt.verdict.refused:
        await run_in_threadpool(throttle.refuse, s, attempt, username)
        page = refused_page("login_throttled", 429)
        page.headers["retry-after"] = str(attempt.verdict.retry_after)
        return None, page
    await throttle.pause(attempt.verdict.delay)
    def checked():
        result = check(s.get(User, user_id))
        throttle.succeeded(s, attempt)
        return result

    try:
        result = await run_in_threadpool(checked)
    except (Unauthenticated, ValidationFailed):
        return None, refused_page("mfa_code_wrong", 401)
    return result, None


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
    user = _pending_user(request, s, "code")
    if user is None:  # expired or forged: start again from the password
        return redirect("/login?next=" + quote(target, safe=""))

    def again(error: str, status: int):
        return render(request, "mfa/code.html", status=status, next=target, error=error)

    ok, page = await _throttled_code(
        request, s, user,
        lambda u: mfa.verify(s, u.id, form.get("code", "")[:64], purpose="sign-in"), again)
    return page if page is not None else signed_in(s, s.get(User, user.id), target)


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
    user = _pending_user(request, s, "enrol")
    if user is None:
        return redirect("/login?next=" + quote(target, safe=""))
    user_id = user.id

    def again(error: str, status: int):
        return _enrol_page(request, s, s.get(User, user_id), next=target, error=error,
                           status=422 if status == 401 else status)

    codes, page = await _throttled_code(
        request, s, user, lambda u: mfa.confirm_enrolment(s, u, form.get("code", "")[:64]),
        again)
    if page is not None:
        return page
    shown = render(request, "mfa/recovery.html", codes=codes, next=target)
    return signed_in(s, s.get(User, user_id), target, page=shown)


# --- re-authentication ------------------------------------------------------------------


@router.get("/reauth", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
def reauth_page(request: Request, s: Db, me: Me, next: Next = "/"):
    return render(request, "mfa/reauth.html", next=safe_next(next), error=None,
                  needs_code=mfa.is_enrolled(s, me.id))


@router.post("/reauth", dependencies=[page_requires(P.ACCOUNTS_SELF_READ)])
async def reauth_submit(request: Request, s: Db, me: Me):
    form = await _form(request)
    target = safe_next(form.get("next"))
    enrolled = mfa.is_enrolled(s, me.id)
    id_hash = accounts.sha256_hex(request.cookies.get(SESSION_COOKIE, ""))

    def again(error: str, status: int):
        return render(request, "mfa/reauth.html", status=status, next=target,
                      error="reauth_failed" if error == "mfa_code_wrong" else error,
                      needs_code=enrolled)

    def check(user: User) -> None:
        accounts.authenticate(s, user.username, form.get("password", "")[:256])
        if enrolled:
            mfa.verify(s, user.id, form.get("code", "")[:64], purpose="reauth")

    user = s.get(User, me.id)
    _, page = await _throttled_code(request, s, user, check, again)
    if page is not None:
        return page
    mfa.reauthenticated(s, s.get(WebSession, id_hash), purpose="high-risk")
    return redirect(target)


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
    try:
        codes = mfa.confirm_enrolment(s, s.get(User, me.id), form.get("code", "")[:64])
    except (ValidationFailed, Conflict) as exc:
        code = "mfa_code_wrong" if isinstance(exc, ValidationFailed) else "state_conflict"
        return _security(request, s, me, status=422, error=code)
    return _security(request, s, me, codes=codes)


@router.post("/account/security/recovery-codes",
             dependencies=[page_requires(P.ACCOUNTS_SELF_READ, reauth="/account/security")])
async def security_recovery_codes(request: Request, s: Db, me: Me):
    await _form(request)
    try:
        codes = mfa.regenerate_recovery_codes(s, actor=me)
    except Conflict:
        s.rollback()
        return _security(request, s, me, status=409, error="state_conflict")
    return _security(request, s, me, codes=codes)

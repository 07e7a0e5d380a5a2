"""Rendering: one Jinja environment per language, CSRF tokens, redirects, error pages."""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hozen import messages
from hozen.accounts.permissions import Permission as P
from hozen.config import get_settings
from hozen.errors import Forbidden
from hozen.messages import KIND_LABELS, ROLE_LABELS, message
from hozen.policy import get_policy
from hozen.text import format_era
from hozen.web.i18n import LANG_COOKIE, pick_language, translations

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "hozen_csrf"


@lru_cache
def environment(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["era"] = format_era
    # A global, so macros imported without the page context can word errors too.
    env.globals["msg"] = lambda code: translations(lang).gettext(message(code))
    env.globals.update({name: getattr(messages, name) for name in dir(messages)
                        if name.endswith("_LABELS")})
    return env


# (path, label, permission): the main menu shows what the signed-in user may open.
NAV = (
    ("/my/assessments", messages.N_("My assessments"), P.CLEARANCES_SELF_READ),
    ("/candidates", messages.N_("Candidates"), P.CLEARANCES_CANDIDATE_CREATE),
    ("/casework", messages.N_("Casework"), P.CLEARANCES_CASE_READ),
    ("/designations", messages.N_("Designations"), P.DESIGNATIONS_READ),
    ("/cui-authorizations", messages.N_("CUI authorizations"), P.CUI_AUTHORIZATION_READ),
    ("/facilities", messages.N_("Facility clearances"), P.FACILITIES_READ),
    ("/registers", messages.N_("Handling records"), P.FACILITIES_READ),
    ("/programmes", messages.N_("Programmes"), P.PROGRAMMES_READ),
    ("/follow-ups", messages.N_("Follow-ups after departure"), P.FOLLOW_UP),
    ("/agreements", messages.N_("Agreements"), P.RECIPROCITY_AGREEMENT_READ),
    ("/foreign-assurances", messages.N_("Foreign assurances"), P.RECIPROCITY_ASSURANCE_READ),
    ("/visits", messages.N_("Visits"), P.RECIPROCITY_VISIT_READ),
    ("/dashboard", messages.N_("Dashboard"), P.REPORTS_DASHBOARD_READ),
    ("/time-to-access", messages.N_("Time to access"), P.RECIPROCITY_REPORT_READ),
    ("/transfers", messages.N_("Transfers"), P.RECIPROCITY_TRANSFER_READ),
    ("/originator-consents", messages.N_("Originator consent"), P.RECIPROCITY_CONSENT_READ),
    ("/communities", messages.N_("Communities"), P.SHARING_COMMUNITY_READ),
    ("/events", messages.N_("Seminars and events"), P.SHARING_EVENT_READ),
    ("/intel", messages.N_("Threat intelligence"), P.TAXII_READ),
    ("/notices", messages.N_("Notices to security officers"), P.NOTICES_READ),
    ("/people", messages.N_("People"), P.REGISTRY_PERSON_READ),
    ("/organisations", messages.N_("Organisations"), P.REGISTRY_ORGANISATION_READ),
    ("/inbox", messages.N_("Inbox"), P.ACCOUNTS_SELF_READ),
)


def nav_for(actor) -> list[tuple[str, str]]:
    return [(path, label) for path, label, perm in NAV if actor is not None and actor.can(perm)]


def language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), get_settings().language)


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _anon_csrf(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(32)
    return token


def csrf_token(request: Request) -> str:
    ws = getattr(request.state, "web_session", None)
    return ws.csrf_token if ws is not None else _anon_csrf(request)


def check_csrf(request: Request, form: dict) -> None:
    """Synchronizer token for signed-in pages; double-submit cookie before sign-in."""
    sent = str(form.get("csrf_token", ""))
    ws = getattr(request.state, "web_session", None)
    expected = ws.csrf_token if ws is not None else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("CSRF token missing or wrong")


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    lang = language(request)
    env = environment(lang)
    user = getattr(request.state, "user", None)
    body = env.get_template(template).render(
        request=request, lang=lang, user=user, csrf_token=csrf_token(request),
        levels=get_policy().levels.names[lang],
        path=request.url.path, query=request.url.query, role_labels=ROLE_LABELS,
        kind_labels=KIND_LABELS, nav=nav_for(getattr(request.state, "actor", None)), **ctx,
    )
    response = HTMLResponse(body, status_code=status)
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict",
                            secure=get_settings().cookie_secure)
    response.headers["cache-control"] = "no-store"
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/login?next=" + quote(safe_next(target), safe=""))


def error_page(request: Request, status: int, code: str) -> HTMLResponse:
    status = status if 400 <= status < 600 else 400
    return render(request, "error.html", status=status, status_code=status, code=code)

"""Role × route matrix: what each of the 12 roles may do on every API route, written out
by hand below (never derived from GRANTS or the app), proved with real requests. Also:
no or bad credentials get 401 everywhere, every route of the app is in a hand-written
table, signed-out pages redirect to the sign-in page, and forms refuse a missing CSRF
token. Every refusal is shown to write nothing."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from hozen.accounts import services as accounts_services
from hozen.accounts.models import ApiToken, User
from hozen.accounts.permissions import Role
from hozen.accounts.services import create_token
from hozen.api.gates import Gate, HozenRoute, iter_routes
from hozen.db import Base, import_all_models, session_factory, unit_of_work, utcnow
from hozen.registry.models import Country, Organisation
from tests.conftest import wipe
from tests.factories import (
    PASSWORD,
    SYSTEM,
    World,
    make_org,
    make_ownership,
    make_person,
    make_user,
    make_world,
)

# --- the expected table, by hand --------------------------------------------------------
# ok: allowed (the request succeeds); 403: refused; 404: refused as "not found", so a
# person's existence does not leak. Person routes target a person the role would see if
# it held the permission (its own staff; the subject's own record), so the outcome shows
# the permission alone; scoping is proved in test_api_registry.py.
COLUMNS = {
    "SA": Role.SYSTEM_ADMIN, "WO": Role.WINDOW_OFFICER, "INV": Role.INVESTIGATOR,
    "ADJ": Role.ADJUDICATOR, "AGO": Role.AGENCY_OFFICIAL, "APO": Role.APPROVING_OFFICIAL,
    "CSO": Role.COMPANY_SECURITY_OFFICER, "SUB": Role.SUBJECT, "FL": Role.FOREIGN_LIAISON,
    "EE": Role.EXTERNAL_EXPERT, "OI": Role.OVERSIGHT_INSPECTOR, "AUD": Role.AUDITOR,
}
EXPECTED_TABLE = """
route                                   SA  WO  INV ADJ AGO APO CSO SUB FL  EE  OI  AUD
GET    /api/v1/me                       ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/countries                ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/organisations            ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
POST   /api/v1/organisations            ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/organisations/{org_id}   ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
PATCH  /api/v1/organisations/{org_id}   ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/ownership                ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/ownership                ok  ok  403 403 403 403 403 403 403 403 403 403
PATCH  /api/v1/ownership/{edge_id}      ok  ok  403 403 403 403 403 403 403 403 403 403
DELETE /api/v1/ownership/{edge_id}      ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/people                   403 ok  ok  ok  ok  403 ok  ok  403 403 403 403
POST   /api/v1/people                   403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/people/{person_id}       404 ok  ok  ok  ok  404 ok  ok  404 404 404 404
PATCH  /api/v1/people/{person_id}       404 ok  404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/audit/events             403 403 403 403 403 403 403 403 403 403 ok  ok
"""


def _parse(table: str) -> dict[tuple[str, str], dict[Role, str]]:
    lines = [ln.split() for ln in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert [COLUMNS[h] for h in header] == list(Role) and len(header) == 12
    out = {}
    for method, path, *cells in rows:
        assert len(cells) == 12 and set(cells) <= {"ok", "403", "404"}, (method, path)
        out[(method, path)] = {COLUMNS[h]: c for h, c in zip(header, cells, strict=True)}
    return out


EXPECTED = _parse(EXPECTED_TABLE)
# Served by the framework, public by design: the API description and its viewer.
FRAMEWORK = {("GET", "/api/v1/openapi.json"), ("HEAD", "/api/v1/openapi.json"),
             ("GET", "/api/docs"), ("HEAD", "/api/docs")}
SUCCESS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}

# Pages: public, a page that needs sign-in, or a form post (sign-in and CSRF token).
WEB = {
    ("GET", "/login"): "public",
    ("POST", "/login"): "public form",
    ("GET", "/lang/{code}"): "public",
    ("GET", "/healthz"): "public",
    ("POST", "/logout"): "form",
    ("GET", "/"): "page",
    ("GET", "/people"): "page",
    ("GET", "/people/new"): "page",
    ("POST", "/people/new"): "form",
    ("GET", "/people/{person_id}"): "page",
    ("GET", "/people/{person_id}/edit"): "page",
    ("POST", "/people/{person_id}/edit"): "form",
    ("GET", "/organisations"): "page",
    ("GET", "/organisations/new"): "page",
    ("POST", "/organisations/new"): "form",
    ("GET", "/organisations/{org_id}"): "page",
    ("GET", "/organisations/{org_id}/edit"): "page",
    ("POST", "/organisations/{org_id}/edit"): "form",
    ("POST", "/organisations/{org_id}/ownership"): "form",
}
WEB_FRAMEWORK = {"/static"}


@dataclass
class Env:
    app: object
    client: TestClient
    world: World
    engine: Engine
    gov_staff: str  # a person employed by the government body the officials belong to
    bad_tokens: dict[str, str]


@contextmanager
def cheap_argon2():
    """Speed only: the module's users get Argon2 hashes with small parameters (a dozen
    default hashes cost seconds on a small machine); sign-in still verifies them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts_services, "_hasher",
                   PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app

    wipe(engine)
    with cheap_argon2(), session_factory(engine)() as s:
        world = make_world(s)
    with cheap_argon2(), unit_of_work(engine) as s:
        gov_staff = make_person(s, employer_id=world.gov.id, family_name_kanji="官庁")
        officer = world.users[Role.WINDOW_OFFICER].username  # tokens of a powerful user
        revoked = create_token(s, officer, "revoked", actor=SYSTEM)
        expired = create_token(s, officer, "expired", actor=SYSTEM, days=-1)
        inactive = make_user(s, Role.WINDOW_OFFICER, world.gov.id)
    with unit_of_work(engine) as s:
        s.execute(update(ApiToken).where(ApiToken.label == "revoked")
                  .values(revoked_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(User).where(User.id == inactive.user_id).values(active=False))
    bad = {"revoked": revoked, "inactive user": inactive.token, "expired": expired}
    app = create_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(app, client, world, engine, gov_staff.id, bad)


def snapshot(engine) -> dict[str, list[str]]:
    import_all_models()
    with engine.connect() as c:
        state = {t.name: sorted(repr(tuple(r)) for r in c.execute(t.select()))
                 for t in Base.metadata.sorted_tables if t.name != "country"}
        state["country"] = [str(c.execute(select(func.count()).select_from(Country)).scalar())]
    return state


def assert_unchanged(before: dict, after: dict) -> None:
    changed = {t: (len(before[t]), len(after[t])) for t in before if before[t] != after[t]}
    assert changed == {}, f"tables written (rows before, after): {changed}"


def _fresh_edge(env: Env) -> str:
    """An ownership edge of its own for a test."""
    with unit_of_work(env.engine) as s:
        return make_ownership(s, make_org(s).id, env.world.gov.id).id


def own_person(env: Env, role: Role) -> str:
    if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT):
        return env.world.staff.id
    return env.gov_staff


def prepare(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body: if the request is refused, permission is the only reason."""
    ids = {"org_id": env.world.other_company.id, "person_id": own_person(env, role)}
    if "{edge_id}" in path:
        ids["edge_id"] = _fresh_edge(env)
    body = None
    if (method, path) == ("POST", "/api/v1/organisations"):
        body = {"kind": "university", "name_ja": "行列大学", "name_en": "Matrix University",
                "country_code": "JPN"}
    elif (method, path) == ("PATCH", "/api/v1/organisations/{org_id}"):
        body = {"name_en": f"Renamed by {role.value}"}
    elif (method, path) == ("POST", "/api/v1/ownership"):
        with unit_of_work(env.engine) as s:
            owned = make_org(s)
        body = {"owned_id": owned.id, "owner_organisation_id": env.world.gov.id,
                "share_pct": "10", "voting_pct": "10"}
    elif (method, path) == ("PATCH", "/api/v1/ownership/{edge_id}"):
        body = {"share_pct": "20"}
    elif (method, path) == ("POST", "/api/v1/people"):
        body = {"family_name_kanji": "行列", "given_name_kanji": "花子",
                "birth_date": "1990-01-01", "nationalities": ["JPN"]}
    elif (method, path) == ("PATCH", "/api/v1/people/{person_id}"):
        body = {"title": f"title set by {role.value}"}
    return path.format(**ids), body


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


MATRIX = [(method, path, role, outcome) for (method, path), row in EXPECTED.items()
          for role, outcome in row.items()]


@pytest.mark.parametrize("method, path, role, outcome", MATRIX,
                         ids=[f"{m} {p} {r.value} {o}" for m, p, r, o in MATRIX])
def test_role_route_matrix(env, method, path, role, outcome):
    url, body = prepare(env, method, path, role)
    headers = env.world.users[role].headers
    before = snapshot(env.engine)
    r = env.client.request(method, url, headers=headers, json=body)
    if outcome == "ok":
        assert r.status_code == SUCCESS[method], f"{r.status_code}: {r.text[:300]}"
        if "{person_id}" in path:
            assert r.json()["id"] == own_person(env, role)
        return
    assert_unchanged(before, snapshot(env.engine))
    if outcome == "403":
        assert assert_problem(r, 403)["type"].endswith("/forbidden")
        return
    assert_problem(r, 404)
    for missing in (str(uuid.uuid4()), "no-such-person"):  # alike for missing and hidden
        twin = env.client.request(method, path.format(person_id=missing), headers=headers,
                                  json=body)
        assert (twin.status_code, twin.headers["content-type"], twin.content) == (
            r.status_code, r.headers["content-type"], r.content)


def test_the_matrix_refuses_something_to_every_role_but_none_everything():
    """A sanity check of the hand-written table itself."""
    for role in Role:
        outcomes = [row[role] for row in EXPECTED.values()]
        assert "ok" in outcomes and {"403", "404"} & set(outcomes), role
    for (method, path), row in EXPECTED.items():
        if "/people/{" in path:
            assert set(row.values()) <= {"ok", "404"}, (method, path)
        else:
            assert "404" not in row.values(), (method, path)


# --- every route is in a table --------------------------------------------------------------


def _app_routes(app) -> list[tuple[str, str, object]]:
    return [(method, getattr(route, "path", ""), route) for route in iter_routes(app.routes)
            for method in sorted(getattr(route, "methods", None) or {"*"})]


def test_every_api_route_is_in_the_matrix(env):
    seen, missing = set(), []
    for method, path, route in _app_routes(env.app):
        if not path.startswith("/api/"):
            continue
        if (method, path) in FRAMEWORK:
            continue
        seen.add((method, path))
        if (method, path) not in EXPECTED:
            missing.append(f"{method} {path}")
            continue
        # An API route is a HozenRoute gated by a permission and a bearer token.
        assert isinstance(route, HozenRoute) and isinstance(route.gate, Gate), path
        assert route.gate.permission is not None and route.gate.channel == "api", path
    assert missing == [], "add these routes to EXPECTED_TABLE"
    assert set(EXPECTED) == seen, "the table names routes the app no longer has"


def test_every_page_is_in_the_web_table(env):
    seen, missing = set(), []
    for method, path, route in _app_routes(env.app):
        if path.startswith("/api/") or path in WEB_FRAMEWORK:
            continue
        if method == "HEAD":
            continue
        seen.add((method, path))
        if (method, path) not in WEB:
            missing.append(f"{method} {path}")
            continue
        assert isinstance(route, HozenRoute) and isinstance(route.gate, Gate), path
        public = WEB[(method, path)].startswith("public")
        assert (route.gate.permission is None) == public, path
    assert missing == [], "add these pages to WEB"
    assert set(WEB) == seen


# --- no valid token: 401 everywhere -----------------------------------------------------------

CREDENTIALS = ["none", "empty bearer", "unknown", "basic scheme", "no scheme", "revoked",
               "inactive user", "expired"]


def _auth_header(env: Env, kind: str) -> dict[str, str]:
    good = env.world.users[Role.WINDOW_OFFICER].token
    value = {
        "none": None,
        "empty bearer": "Bearer ",
        "unknown": "Bearer hzn_" + "A" * 43,
        "basic scheme": f"Basic {good}",
        "no scheme": good,
    }.get(kind, f"Bearer {env.bad_tokens.get(kind)}")
    return {} if value is None else {"Authorization": value}


@pytest.mark.parametrize("method, path", list(EXPECTED), ids=[f"{m} {p}" for m, p in EXPECTED])
def test_no_valid_token_is_401_everywhere(env, method, path):
    url, body = prepare(env, method, path, Role.WINDOW_OFFICER)
    before = snapshot(env.engine)
    wrong = {}
    for credential in CREDENTIALS:
        r = env.client.request(method, url, headers=_auth_header(env, credential), json=body)
        if (r.status_code, r.headers.get("content-type", "")[:24],
                r.headers.get("www-authenticate", "")[:6].lower()) != (
                401, "application/problem+json", "bearer"):
            wrong[credential] = (r.status_code, r.text[:200])
    assert wrong == {}
    assert_unchanged(before, snapshot(env.engine))


def test_the_good_token_in_those_headers_works(env):
    """Control for the 401 cases: the same token, sent properly, is accepted."""
    token = env.world.users[Role.WINDOW_OFFICER].token
    r = env.client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200 and r.json()["roles"] == ["window_officer"]


# --- pages: sign-in required, CSRF on every form -------------------------------------------


def _page_url(env: Env, path: str) -> str:
    return path.format(person_id=env.world.staff.id, org_id=env.world.other_company.id,
                       code="en")


PAGES = [k for k, v in WEB.items() if v in ("page", "form")]


@pytest.mark.parametrize("method, path", PAGES, ids=[f"{m} {p}" for m, p in PAGES])
def test_signed_out_pages_send_to_sign_in_and_write_nothing(env, method, path):
    url = _page_url(env, path)
    with TestClient(env.app, raise_server_exceptions=False) as anon:
        before = snapshot(env.engine)
        r = anon.request(method, url, follow_redirects=False,
                         data={"name_ja": "x"} if method == "POST" else None)
        assert r.status_code == 303, r.text[:300]
        assert r.headers["location"] == "/login?next=" + quote(url, safe="")
        assert_unchanged(before, snapshot(env.engine))


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m[1]


@pytest.fixture(scope="module")
def signed_in(env):
    """A signed-in window officer (through the real sign-in form) with its session's token."""
    with TestClient(env.app, raise_server_exceptions=False) as web:
        anon_token = _csrf(web.get("/login").text)
        user = env.world.users[Role.WINDOW_OFFICER]
        r = web.post("/login", data={"username": user.username, "password": PASSWORD,
                                     "csrf_token": anon_token, "next": "/"},
                     follow_redirects=False)
        assert r.status_code == 303 and "hozen_session" in r.cookies
        token = _csrf(web.get("/organisations/new").text)
        assert token != anon_token
        yield web, token, anon_token


def _form(env: Env, path: str) -> dict[str, str]:
    person = {"family_name_kanji": "画面", "given_name_kanji": "花子",
              "birth_date": "1990-01-01", "nationalities": "JPN"}
    org = {"kind": "university", "name_ja": "画面大学", "name_en": "Form University",
           "country_code": "JPN"}
    return {
        "/people/new": person,
        "/people/{person_id}/edit": person,
        "/organisations/new": org,
        "/organisations/{org_id}/edit": org | {"kind": "company"},
        "/organisations/{org_id}/ownership": {"owner_organisation_id": env.world.gov.id,
                                              "share_pct": "10", "voting_pct": "10"},
        "/logout": {},
    }[path]


# Signing out last: should a refusal wrongly sign out, only the logout cases fail.
FORMS = sorted((p for (m, p), v in WEB.items() if v == "form"), key=lambda p: p == "/logout")


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "pre-sign-in token"])
@pytest.mark.parametrize("path", FORMS)
def test_form_post_without_the_session_csrf_token_is_refused(env, signed_in, path, token_kind):
    web, token, anon_token = signed_in
    form = _form(env, path)
    if token_kind == "wrong":
        form["csrf_token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif token_kind == "pre-sign-in token":
        form["csrf_token"] = anon_token
    before = snapshot(env.engine)
    r = web.post(_page_url(env, path), data=form, follow_redirects=False)
    assert_unchanged(before, snapshot(env.engine))
    assert r.status_code == 403, r.text[:300]
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_form_post_with_the_session_csrf_token_is_accepted(env, signed_in):
    """Control: the refusals above are for the token alone."""
    web, token, _ = signed_in
    form = _form(env, "/organisations/new") | {"name_en": "CSRF Control University",
                                               "csrf_token": token}
    r = web.post("/organisations/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    with session_factory(env.engine)() as s:
        assert s.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.name_en == "CSRF Control University")) == 1


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "no cookie"])
def test_sign_in_without_the_csrf_token_is_refused(env, token_kind):
    user = env.world.users[Role.WINDOW_OFFICER]
    with TestClient(env.app, raise_server_exceptions=False) as web:
        form = {"username": user.username, "password": PASSWORD, "next": "/"}
        if token_kind == "wrong":
            web.get("/login")  # sets the double-submit cookie
            form["csrf_token"] = "not-the-cookie-value"
        elif token_kind == "no cookie":
            form["csrf_token"] = _csrf(web.get("/login").text)
            web.cookies.clear()
        else:
            web.get("/login")
        before = snapshot(env.engine)
        r = web.post("/login", data=form, follow_redirects=False)
        assert r.status_code == 403, r.text[:300]
        assert "hozen_session" not in r.cookies
        assert_unchanged(before, snapshot(env.engine))


def test_signed_in_refusals_render_an_error_page(env):
    """A signed-in subject asking for a page it may not use, or a person it may not see,
    gets the error page (403, 404), not a server error."""
    user = env.world.users[Role.SUBJECT]
    with TestClient(env.app, raise_server_exceptions=False) as web:
        r = web.post("/login", data={"username": user.username, "password": PASSWORD,
                                     "csrf_token": _csrf(web.get("/login").text)},
                     follow_redirects=False)
        assert r.status_code == 303
        assert web.get(f"/people/{env.world.staff.id}").status_code == 200  # themself
        assert web.get("/organisations").status_code == 403
        assert web.get(f"/people/{env.world.outsider.id}").status_code == 404

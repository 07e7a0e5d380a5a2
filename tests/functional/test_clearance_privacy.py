"""Privacy of suitability assessment: what the subject, the investigator and the
adjudicator write never reaches an employer or a sponsor, nor a log, nor the audit log,
nor the database in clear.

Sentinel strings are planted in questionnaire answers (area details, addresses, family
names, employers, travel, foreign accounts), in findings (source and summary), in the
adjudicator's reasons (favourable and unfavourable), in suspension and reinstatement
reasons, and in the body sent with a refusal. Five journeys run through the API:

- A: granted (then suspended and reinstated with reasons);
- B: denied, the subject did not decline reasons;
- C: denied, the subject declined reasons at consent (listed by the agency official for
  one of the agency's own staff, so the sponsor side also has an employer view);
- D: refused;
- E: withdrawn after consent and a partly saved questionnaire.

Then, as every employer or sponsor role (company security officer, agency official):
every GET route of the API and every page, with every case, person, clearance and
organisation id in its path, and every case-specific route with every method (404), are
searched for the sentinels in bodies and headers. The subject's view of a denial, the
captured log records (every logger at DEBUG), the audit rows and the raw database (bytes
of the SQLite files, or every PostgreSQL column cast to text and bytea) are searched too,
each with a positive control proving the search would have found clear text.

The sweep covers the assessment pages, the candidate list's CSV and the inbox; the
route sweep picks up any new GET route or page automatically, and the database scan
covers any new table. E-mail carries the same words as the inbox (test_clearance_jobs).
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from hozen.accounts.permissions import Role
from hozen.api.gates import HozenRoute, iter_routes
from hozen.clearances.rules import AREAS
from tests.authenticator import sign_in as mfa_sign_in
from tests.authenticator import with_code
from tests.clearance_helpers import full_questionnaire
from tests.conftest import TMP, wipe
from tests.factories import PASSWORD, make_org, make_person, make_user, make_world
from tests.functional.test_privacy_scan import (
    pg_hits,
    pg_tables,
    read_apart,
    sqlite_bytes,
    sqlite_hits,
)

EMPLOYER_ROLES = (Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL)

# Every sentinel planted anywhere, for the searches below.
SENTINELS: set[str] = set()


def sentinel(kind: str, journey: str, what: str) -> str:
    value = f"SENTINEL-{kind}-{journey}-{what}-7f3a"
    SENTINELS.add(value)
    return value


# One sentinel in Japanese: JSON may write it as \uXXXX escapes, so those forms are
# searched too.
JA_SENTINEL = "番兵秘匿事項七三一号"
SENTINELS.add(JA_SENTINEL)

# Stored in clear on purpose (the purpose of a verification query is audited; an
# organisation's name is not personal data): the positive controls of the scans.
CONTROL_PURPOSE = "CONTROL-PURPOSE-visit-4242"
CONTROL_ORG = "CONTROL-ORG-Kirishima-Optics-5151"


def needles() -> dict[str, str]:
    """needle -> the sentinel it stands for: as written, JSON-escaped and HTML-escaped."""
    out = {}
    for s in SENTINELS:
        for form in (s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1],
                     html.escape(s), s.encode("unicode_escape").decode()):
            out[form] = s
    return out


def leaks(haystack: str) -> set[str]:
    """The sentinels found in a text (any case), plus the bare marker if present."""
    low = haystack.lower()
    found = {s for n, s in needles().items() if n.lower() in low}
    if "sentinel" in low:
        found.add("SENTINEL marker")
    return found


def response_leaks(r) -> set[str]:
    headers = "\n".join(f"{k}: {v}" for k, v in r.headers.multi_items())
    return leaks(r.text) | leaks(headers)


# --- what is planted -------------------------------------------------------------------


def questionnaire(journey: str) -> dict:
    """A full, valid questionnaire with a sentinel in every free-text answer."""
    q = full_questionnaire()
    for i, r in enumerate(q["residences"]):
        r["address"] = sentinel("Q", journey, f"ADDRESS{i}")
    q["employment"][0]["employer"] = sentinel("Q", journey, "EMPLOYER")
    q["employment"][0]["title"] = sentinel("Q", journey, "TITLE")
    q["travel"][0]["purpose"] = sentinel("Q", journey, "TRAVEL")
    q["foreign_accounts"] = [{"country_code": "USA",
                              "institution": sentinel("Q", journey, "BANK")}]
    q["family"] = [
        {"relation": "spouse", "family_name": sentinel("Q", journey, "FAMNAME"),
         "given_name": sentinel("Q", journey, "GIVNAME"), "birth_date": "1982-03-04",
         "nationalities": ["JPN"], "former_nationalities": ["USA"],
         "address": sentinel("Q", journey, "FAMADDR")},
        {"relation": "parent", "family_name": JA_SENTINEL, "given_name": "一郎",
         "birth_date": "1950-07-08", "nationalities": ["JPN"], "former_nationalities": [],
         "address": sentinel("Q", journey, "PARENTADDR")},
    ]
    q["areas"] = {a: {"yes": True, "details": sentinel("Q", journey, f"AREA-{a}")}
                  for a in AREAS}
    return q


def findings(journey: str, severity: str) -> list[dict]:
    return [{"area": area, "severity": severity, "found_on": "2024-01-10",
             "source": sentinel("F", journey, f"SOURCE-{area}"),
             "summary": sentinel("F", journey, f"SUMMARY-{area}")}
            for area in (AREAS[0], AREAS[-1])]


def decisions(journey: str, unfavourable: tuple[str, ...] = ()) -> dict:
    return {"decisions": [
        {"area": a, "favourable": a not in unfavourable,
         "reasons": sentinel("R", journey, ("DENY-" if a in unfavourable else "OK-") + a)}
        for a in AREAS]}


# --- the journeys ----------------------------------------------------------------------


class LogRecords(logging.Handler):
    """Every record of every logger, at DEBUG, for the whole module."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Env:
    app: object
    client: TestClient
    world: object
    engine: object
    logs: LogRecords
    cases: dict[str, str]  # journey -> case id
    people: dict[str, str]  # journey -> person id
    subjects: dict[str, object]  # journey -> Login of the subject
    clearance_id: str
    control_org_id: str
    people_before: dict[str, dict]  # journey -> the employer's view of the person, before
    window_files: dict[str, str] = field(default_factory=dict)  # journey -> window's file


def _list(client, lister, person_id: str, sponsor_id: str, regime: str = "CESI") -> str:
    r = client.post("/api/v1/clearance-cases", headers=lister.headers,
                    json={"person_id": person_id, "regime": regime, "sponsor_id": sponsor_id})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


def _investigate_and_decide(client, world, case_id: str, journey: str, severity: str,
                            unfavourable: tuple[str, ...]) -> dict:
    u = world.users
    base = f"/api/v1/clearance-cases/{case_id}"
    state = _ok(client.post(base + "/intake", headers=u[Role.WINDOW_OFFICER].headers,
                            json={"investigator_id": u[Role.INVESTIGATOR].user_id}))
    assert state["state"] == "investigation"
    for f in findings(journey, severity):
        _ok(client.post(base + "/findings", headers=u[Role.INVESTIGATOR].headers, json=f), 201)
    _ok(client.post(base + "/investigation-completion", headers=u[Role.INVESTIGATOR].headers))
    return _ok(client.post(base + "/adjudication", headers=with_code(u[Role.ADJUDICATOR]),
                           json=decisions(journey, unfavourable)))


def _full_case(client, world, lister, subject, person_id: str, journey: str, *,
               declines_reasons: bool, severity: str,
               unfavourable: tuple[str, ...] = ()) -> tuple[str, dict]:
    case_id = _list(client, lister, person_id, world.gov.id)
    base = f"/api/v1/clearance-cases/{case_id}"
    _ok(client.post(base + "/consent", headers=subject.headers,
                    json={"family_consent": True, "declines_reasons": declines_reasons}))
    _ok(client.patch(base + "/questionnaire", headers=subject.headers,
                     json=questionnaire(journey)))
    _ok(client.post(base + "/submission", headers=subject.headers))
    return case_id, _investigate_and_decide(client, world, case_id, journey, severity,
                                            unfavourable)


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app
    from hozen.clearances.models import Clearance
    from hozen.db import session_factory

    logs = LogRecords()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(logs)
    root.setLevel(logging.DEBUG)
    try:
        wipe(engine)
        with session_factory(engine)() as s:
            world = make_world(s)
            control = make_org(s, name_en=CONTROL_ORG)
            people = {"A": world.staff.id}
            subjects = {"A": world.users[Role.SUBJECT]}
            employers = {"B": world.company.id, "C": world.gov.id, "D": world.company.id,
                         "E": world.company.id}
            for journey, employer in employers.items():
                person = make_person(s, employer_id=employer,
                                     family_name_latin=f"Journey{journey}",
                                     family_name_kanji=f"旅{journey}")
                people[journey] = person.id
                subjects[journey] = make_user(s, Role.SUBJECT, employer, person.id)
            s.commit()
            control_org_id = control.id

        app = create_app()
        with TestClient(app) as client:
            u = world.users
            cso, agency = u[Role.COMPANY_SECURITY_OFFICER], u[Role.AGENCY_OFFICIAL]
            people_before = {
                j: _ok(client.get(f"/api/v1/people/{people[j]}",
                                  headers=(agency if j == "C" else cso).headers))
                for j in people}
            cases = {}
            # A: granted, then suspended and reinstated with reasons
            cases["A"], out = _full_case(client, world, cso, subjects["A"], people["A"], "A",
                                         declines_reasons=False, severity="minor")
            assert out["state"] == "granted"
            # B: denied; the subject wants the reasons
            cases["B"], out = _full_case(client, world, cso, subjects["B"], people["B"], "B",
                                         declines_reasons=False, severity="serious",
                                         unfavourable=(AREAS[0], AREAS[-1]))
            assert out["state"] == "denied"
            # C: denied; the subject declined reasons in advance; the agency lists its own
            cases["C"], out = _full_case(client, world, agency, subjects["C"], people["C"], "C",
                                         declines_reasons=True, severity="serious",
                                         unfavourable=(AREAS[0],))
            assert out["state"] == "denied"
            # D: refused (the refusal takes no reason: one sent along must go nowhere)
            cases["D"] = _list(client, cso, people["D"], world.gov.id, regime="SDS")
            r = client.post(f"/api/v1/clearance-cases/{cases['D']}/refusal",
                            headers=subjects["D"].headers,
                            json={"reason": sentinel("X", "D", "REFUSAL-REASON")})
            assert _ok(r)["state"] == "refused"
            # E: consent, part of the questionnaire saved, then withdrawn
            cases["E"] = _list(client, cso, people["E"], world.gov.id, regime="SDS")
            base = f"/api/v1/clearance-cases/{cases['E']}"
            _ok(client.post(base + "/consent", headers=subjects["E"].headers,
                            json={"family_consent": True}))
            q = questionnaire("E")
            partial = {k: q[k] for k in ("residences", "family", "areas")}
            saved = _ok(client.patch(base + "/questionnaire", headers=subjects["E"].headers,
                                     json=partial))
            assert saved["family"][0]["family_name"] == sentinel("Q", "E", "FAMNAME")
            assert _ok(client.post(base + "/withdrawal",
                                   headers=subjects["E"].headers))["state"] == "withdrawn"

            with session_factory(engine)() as s:
                clearance_id = s.scalar(select(Clearance.id).where(
                    Clearance.case_id == cases["A"]))
            assert clearance_id
            adj = u[Role.ADJUDICATOR].headers
            for noun, status in (("suspension", "suspended"), ("reinstatement", "active")):
                r = client.post(f"/api/v1/clearances/{clearance_id}/{noun}", headers=adj,
                                json={"reason": sentinel("R", "A", noun.upper())})
                assert _ok(r)["status"] == status

            # A verification query whose stated purpose is kept in clear in the audit log.
            r = client.get(f"/api/v1/people/{people['A']}/clearance-verification",
                           params={"purpose": CONTROL_PURPOSE}, headers=agency.headers)
            assert _ok(r)["status"] == "active"

            env = Env(app, client, world, engine, logs, cases, people, subjects,
                      clearance_id, control_org_id, people_before)
            # The window does see what was planted: the sentinels are really stored.
            for journey, case_id in cases.items():
                r = client.get(f"/api/v1/clearance-cases/{case_id}",
                               headers=u[Role.WINDOW_OFFICER].headers)
                env.window_files[journey] = _ok(r) and r.text
            yield env
    finally:
        root.removeHandler(logs)
        root.setLevel(old_level)


# --- every route an employer or sponsor can reach --------------------------------------


def _fill(path: str, env: Env) -> list[str]:
    """The path with every combination of ids the role might try in its parameters."""
    w = env.world
    values = {
        "case_id": list(env.cases.values()),
        "person_id": list(env.people.values()) + [w.outsider.id],
        "clearance_id": [env.clearance_id],
        "org_id": [w.gov.id, w.company.id, w.other_company.id, env.control_org_id],
        "code": ["ja", "en"],
    }
    anything = values["case_id"] + values["person_id"] + [env.clearance_id]
    paths = [path]
    for name in re.findall(r"{(\w+)(?::\w+)?}", path):
        paths = [p.replace(re.search(r"{" + name + r"(?::\w+)?}", p)[0], v)
                 for p in paths for v in values.get(name, anything)]
    return paths


def _routes(app, *, api: bool):
    for route in iter_routes(app.routes):
        path = getattr(route, "path", "")
        if not isinstance(route, HozenRoute) or path.startswith("/api/") != api:
            continue
        yield route, path


VALID_BODIES = {  # bodies a window user could send: a 404 must not be a 422 in disguise
    "consent": {"family_consent": True},
    "questionnaire": {},
    "intake": {},
    "findings": {"area": AREAS[0], "severity": "minor", "found_on": "2024-01-10",
                 "source": "s", "summary": "s"},
    "adjudication": {"decisions": [{"area": a, "favourable": True, "reasons": "r"}
                                   for a in AREAS]},
    "suspension": {"reason": "r"}, "reinstatement": {"reason": "r"}, "revocation": {"reason": "r"},
    "complaints": {"kind": "assessment", "text": "t"},
    "burden": {"step": "listing", "party": "security_officer", "minutes": 5},
}
# Case routes an employer may use on its own staff's cases (the burden of its own work,
# renewal of a granted case): elsewhere they answer 404 like every other case route.
EMPLOYER_CASE_ROUTES = {"burden", "renewal"}


def _shape(response) -> tuple:
    """Status and body, with the id of anything just created blanked (ids always differ)."""
    body = response.json()
    if isinstance(body, dict) and response.status_code == 201:
        body = {k: ("<new id>" if k == "id" else v) for k, v in body.items()}
    return response.status_code, body


@pytest.mark.parametrize("role", EMPLOYER_ROLES)
def test_no_sentinel_in_any_api_response_to_an_employer_or_sponsor(env, role):
    login = env.world.users[role]
    client = TestClient(env.app, raise_server_exceptions=False)
    seen: dict[str, set[str]] = {}
    statuses: dict[str, int] = {}

    def call(method: str, url: str, **kw):
        r = client.request(method, url, headers=login.headers, **kw)
        assert r.status_code < 500, (method, url, r.text)
        if found := response_leaks(r):
            seen[f"{method} {url} -> {r.status_code}"] = found
        statuses[f"{method} {url}"] = r.status_code
        return r

    n_get = 0
    for route, path in _routes(env.app, api=True):
        methods = route.methods - {"HEAD"}
        if "GET" in methods:
            for url in _fill(path, env):
                call("GET", url, params={"purpose": "programme P-1", "limit": 100})
                n_get += 1
        if "{case_id}" in path or "{clearance_id}" in path:
            body = VALID_BODIES.get(path.rsplit("/", 1)[-1])
            for method in methods:
                for url in _fill(path, env):
                    r = call(method, url, json=body)
                    # A case of the employer's own staff and someone else's look alike;
                    # changing a clearance is refused outright.
                    expected = {404} if "{case_id}" in path else {403, 404}
                    if path.rsplit("/", 1)[-1] in EMPLOYER_CASE_ROUTES:
                        expected = {201, 404, 409}
                    assert r.status_code in expected, (method, url, r.status_code, r.text)
    assert n_get > 20

    # The routes they may call did answer (the sweep was not a wall of refusals).
    assert statuses["GET /api/v1/me"] == 200
    assert statuses["GET /api/v1/clearance-cases"] == 200
    assert statuses["GET /api/v1/people"] == 200
    for person_id in env.people.values():
        assert statuses[f"GET /api/v1/people/{person_id}/clearance-verification"] == 200
    own_staff = env.world.staff.id if role is Role.COMPANY_SECURITY_OFFICER else env.people["C"]
    assert statuses[f"GET /api/v1/people/{own_staff}"] == 200
    assert seen == {}, f"sentinels reached {role.value}: {seen}"

    # The candidate list: outcome only, never why.
    views = {v["id"]: v for v in call("GET", "/api/v1/clearance-cases").json()["items"]}
    c = env.cases
    mine = {c[j] for j in ("A", "B", "D", "E")} if role is Role.COMPANY_SECURITY_OFFICER \
        else {c["C"]}
    assert mine <= set(views) and not ({c[j] for j in c} - mine) & set(views)
    for journey, case_id in c.items():
        if case_id not in mine:
            continue
        view = views[case_id]
        assert set(view) == {"id", "person_id", "regime", "status", "valid_until"}, view
        assert view["person_id"] == env.people[journey]
        expected = {"A": "granted", "B": "denied", "C": "denied", "D": "not_proceeding",
                    "E": "not_proceeding"}[journey]
        assert view["status"] == expected, view
        assert (view["valid_until"] is not None) == (journey == "A"), view

    # The verification query answers the four fields and nothing more, for everyone.
    for journey, person_id in env.people.items():
        r = call("GET", f"/api/v1/people/{person_id}/clearance-verification",
                 params={"purpose": "visit V-7"})
        assert set(r.json()) == {"status", "level", "regime", "valid_until"}
        assert r.json()["status"] == ("active" if journey == "A" else "none")


def _sign_in(app, login) -> TestClient:
    web = TestClient(app, raise_server_exceptions=False)
    r = mfa_sign_in(web, login.username, PASSWORD)  # with the code step a role needs
    assert "hozen_session" in r.cookies
    return web


@pytest.mark.parametrize("role", EMPLOYER_ROLES)
def test_no_sentinel_in_any_page_an_employer_or_sponsor_opens(env, role):
    login = env.world.users[role]
    web = _sign_in(env.app, login)
    seen, statuses = {}, {}
    for route, path in _routes(env.app, api=False):
        if "GET" not in route.methods or path in ("/login", "/lang/{code}"):
            continue
        for url in _fill(path, env):
            r = web.get(url, follow_redirects=False)
            assert r.status_code < 500, (url, r.text)
            statuses[url] = r.status_code
            if found := response_leaks(r):
                seen[f"GET {url} -> {r.status_code}"] = found
    assert seen == {}, f"sentinels reached {role.value}: {seen}"
    own_staff = env.world.staff.id if role is Role.COMPANY_SECURITY_OFFICER else env.people["C"]
    assert statuses["/"] == 200 and statuses["/people"] == 200
    assert statuses[f"/people/{own_staff}"] == 200
    # Signed in for real: the page shows the person, so a clean page is not an error page.
    listed = env.people["C" if role is Role.AGENCY_OFFICIAL else "B"]
    assert "Journey" in web.get(f"/people/{listed}").text
    # The candidate list, its CSV and the inbox were read, and hold the outcomes: the
    # sweep above searched real content, not refusals.
    for page in ("/candidates", "/candidates/export.csv", "/inbox"):
        assert statuses[page] == 200, page
    exported = web.get("/candidates/export.csv").content.decode("utf-8-sig")
    listed_cases = env.client.get("/api/v1/clearance-cases", headers=login.headers).json()["items"]
    assert "旅" in exported and len(exported.splitlines()) == 1 + len(listed_cases) > 1
    inbox = web.get("/inbox").text
    kinds = set(re.findall(r'data-kind="([a-z_]+)"', inbox))
    assert kinds and all(k.startswith("employer_") for k in kinds), kinds
    assert "employer_assessment_denied" in kinds


def test_refusal_and_withdrawal_look_the_same_to_the_employer(env):
    cso = env.world.users[Role.COMPANY_SECURITY_OFFICER].headers
    client = env.client
    d, e = env.cases["D"], env.cases["E"]
    views = {v["id"]: v for v in _ok(client.get("/api/v1/clearance-cases", headers=cso))["items"]}

    def anonymous(view: dict) -> dict:
        return {k: v for k, v in view.items() if k not in ("id", "person_id")}

    assert set(views[d]) == set(views[e])
    assert anonymous(views[d]) == anonymous(views[e]) == {
        "regime": "SDS", "status": "not_proceeding", "valid_until": None}

    # Every case route answers both alike (same status, same body).
    for route, path in _routes(env.app, api=True):
        if "{case_id}" not in path:
            continue
        for method in route.methods - {"HEAD"}:
            body = VALID_BODIES.get(path.rsplit("/", 1)[-1])
            rd = client.request(method, path.replace("{case_id}", d), headers=cso, json=body)
            re_ = client.request(method, path.replace("{case_id}", e), headers=cso, json=body)
            assert _shape(rd) == _shape(re_), path

    # The verification query and the person records do not tell them apart either.
    for role in EMPLOYER_ROLES:
        h = env.world.users[role].headers
        ver = [_ok(client.get(f"/api/v1/people/{env.people[j]}/clearance-verification",
                              params={"purpose": "visit V-9"}, headers=h)) for j in "DE"]
        assert ver[0] == ver[1] == {"status": "none", "level": None, "regime": None,
                                    "valid_until": None}
    people = [_ok(client.get(f"/api/v1/people/{env.people[j]}", headers=cso)) for j in "DE"]
    assert set(people[0]) == set(people[1])
    assert people[0]["version"] == people[1]["version"] == 1
    # neither journey touched the person record
    assert people == [env.people_before[j] for j in "DE"]

    # Listing them again works alike for both: the employer cannot probe the difference.
    again = [client.post("/api/v1/clearance-cases", headers=cso,
                         json={"person_id": env.people[j], "regime": "SDS",
                               "sponsor_id": env.world.gov.id}) for j in "DE"]
    assert [r.status_code for r in again] == [201, 201]
    assert anonymous(again[0].json()) == anonymous(again[1].json())


def test_a_denial_shows_the_employer_denied_and_nothing_more(env):
    for role, journey in ((Role.COMPANY_SECURITY_OFFICER, "B"), (Role.AGENCY_OFFICIAL, "C")):
        r = env.client.get("/api/v1/clearance-cases", headers=env.world.users[role].headers)
        [view] = [v for v in _ok(r)["items"] if v["id"] == env.cases[journey]]
        assert view == {"id": env.cases[journey], "person_id": env.people[journey],
                        "regime": "CESI", "status": "denied", "valid_until": None}
        assert not response_leaks(r)


def test_the_subject_sees_denial_reasons_unless_declined(env):
    def my_view(journey: str):
        r = env.client.get("/api/v1/me/clearance-cases", headers=env.subjects[journey].headers)
        [view] = [v for v in _ok(r)["items"] if v["id"] == env.cases[journey]]
        return r, view

    # B did not decline: both unfavourable areas' reasons, in the subject's own view.
    r, view = my_view("B")
    assert view["state"] == "denied"
    assert {d["area"]: d["reasons"] for d in view["denial_reasons"]} == {
        AREAS[0]: sentinel("R", "B", f"DENY-{AREAS[0]}"),
        AREAS[-1]: sentinel("R", "B", f"DENY-{AREAS[-1]}")}
    # ... and nobody else's
    assert not {s for s in leaks(r.text) if "-B-" not in s} - {"SENTINEL marker"}

    # C declined reasons at consent: told "denied", and no reason at all.
    r, view = my_view("C")
    assert view["state"] == "denied" and not view["denial_reasons"]
    assert not response_leaks(r), r.text

    # The granted subject sees the validity; refusal and withdrawal are their own states.
    assert my_view("A")[1]["state"] == "granted" and my_view("A")[1]["valid_until"]
    assert my_view("D")[1]["state"] == "refused"
    assert my_view("E")[1]["state"] == "withdrawn"


def test_the_window_file_holds_what_was_planted(env):
    """Positive control of the response searches: the sentinels are stored and readable
    by the window, so their absence elsewhere means something."""
    for journey in "ABC":
        file = env.window_files[journey]
        assert sentinel("Q", journey, "FAMNAME") in file
        assert sentinel("F", journey, f"SUMMARY-{AREAS[0]}") in file
        assert sentinel("R", journey, f"OK-{AREAS[1]}") in file
        assert leaks(file)
    assert sentinel("R", "B", f"DENY-{AREAS[0]}") in env.window_files["B"]
    assert sentinel("Q", "E", "FAMADDR") in env.window_files["E"]
    assert JA_SENTINEL in env.window_files["E"]
    assert "SENTINEL" not in env.window_files["D"]


def test_no_sentinel_in_the_logs(env):
    records = env.logs.records
    # Positive control: the capture saw the requests (SQL at DEBUG names the case ids).
    assert records
    logged = "\n".join(_record_text(r) for r in records)
    assert env.cases["B"] in logged
    found = {}
    for r in records:
        if hits := leaks(_record_text(r)):
            found.setdefault(r.name, set()).update(hits)
    assert found == {}, f"sentinels in log records: {found}"


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.name, record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def test_no_sentinel_in_the_audit_log(env):
    with env.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM audit_event"))]
    tags = {r["tag"] for r in rows}
    assert {"clearances:case:finding", "clearances:case:adjudicate", "clearances:case:refuse",
            "clearances:case:withdraw", "clearances:case:questionnaire-save",
            "clearances:clearance:suspend", "clearances:clearance:verify"} <= tags
    # Positive control: details written in clear are found by this search.
    assert any(CONTROL_PURPOSE in r["details"] for r in rows)
    found = {r["seq"]: leaks(json.dumps(r, default=str, ensure_ascii=False)) for r in rows}
    assert {seq: hit for seq, hit in found.items() if hit} == {}


def _scan(engine, wanted: dict[str, str]) -> dict[str, list[str]]:
    """needle -> where it is stored in clear: SQLite files (and every file the test run
    wrote) or PostgreSQL tables."""
    hits: dict[str, list[str]] = {}
    files = {str(p): data for p, data in read_apart(
        [p for p in Path(TMP).rglob("*") if p.is_file()]).items()}
    if engine.dialect.name == "sqlite":
        files |= sqlite_bytes(engine)
    for n in wanted:
        if where := sqlite_hits(files, n):
            hits[n] = where
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            for n, where in pg_hits(conn, pg_tables(conn), list(wanted)).items():
                hits.setdefault(n, []).extend(where)
    return hits


def test_nothing_planted_is_stored_in_clear(env):
    engine = env.engine
    # Positive controls: text kept in clear is found by this very scan, in the tables
    # that matter (the audit log, and the organisation register).
    controls = _scan(engine, {CONTROL_PURPOSE: "purpose", CONTROL_ORG: "org"})
    assert set(controls) == {CONTROL_PURPOSE, CONTROL_ORG}, controls
    if engine.dialect.name != "sqlite":
        assert "audit_event" in controls[CONTROL_PURPOSE]
        assert "organisation" in controls[CONTROL_ORG]
        with engine.connect() as conn:
            tables = pg_tables(conn)
        assert {"clearance_case", "finding", "area_decision"} <= set(tables)
        assert {"questionnaire", "decision_reasons"} <= set(tables["clearance_case"])
        assert "content" in tables["finding"] and "reasons" in tables["area_decision"]
    # The encrypted columns hold something for each journey that wrote them.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM finding WHERE content IS NOT NULL")
                            ).scalar() == 6
        assert conn.execute(text("SELECT count(*) FROM area_decision")).scalar() == 3 * len(AREAS)
        # four journeys answered; the employer sweep may have renewed granted case A,
        # whose renewal carries a pre-filled copy of the questionnaire
        assert conn.execute(text("SELECT count(*) FROM clearance_case WHERE questionnaire "
                                 "IS NOT NULL AND renewal_of IS NULL")).scalar() == 4
    wanted = needles()
    short = [n for n in wanted if len(n.encode()) < 12]
    assert not short, short  # long enough that ciphertext cannot hold one by chance
    found = _scan(engine, wanted)
    assert {wanted[n]: where for n, where in found.items()} == {}

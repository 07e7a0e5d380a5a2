"""Role × route matrix: what each of the 12 roles may do on every API route, written out
by hand below (never derived from GRANTS or the app), proved with real requests. Also:
no or bad credentials get 401 everywhere, every route of the app is in a hand-written
table, signed-out pages redirect to the sign-in page, and forms refuse a missing CSRF
token. Every refusal is shown to write nothing."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from hozen.accounts.models import ApiToken, User
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Role
from hozen.accounts.services import create_token
from hozen.api.gates import Gate, HozenRoute, iter_routes
from hozen.clearances import aftercare
from hozen.clearances import services as clearances
from hozen.clearances.models import (
    BurdenRecord,
    Clearance,
    ClearanceCase,
    Complaint,
    CorrectionRequest,
    ReportableEvent,
)
from hozen.clearances.rules import OPEN_STATES
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    ComplaintCreate,
    ConsentGive,
    CorrectionCreate,
    EventCreate,
    IntakeRequest,
    Questionnaire,
)
from hozen.db import session_factory, unit_of_work, utcnow
from hozen.designations import cui, items, oversight
from hozen.designations import jobs as designation_jobs
from hozen.designations import services as designations
from hozen.designations.models import (
    Comment,
    CuiAuthorization,
    Designation,
    DesignationHolder,
    Item,
    Objection,
    Proposal,
    Review,
)
from hozen.designations.schemas import (
    CuiGrant,
    Decision,
    DesignationCreate,
    ItemCreate,
    ObjectionCreate,
)
from hozen.registry.models import Organisation, Person
from tests.clearance_helpers import favourable_decisions, full_questionnaire
from tests.conftest import wipe
from tests.factories import (
    PASSWORD,
    SYSTEM,
    World,
    assert_unchanged,
    cheap_argon2,
    make_org,
    make_ownership,
    make_person,
    make_user,
    make_world,
    snapshot,
)

# --- the expected table, by hand --------------------------------------------------------
# ok: allowed (the request succeeds); 403: refused; 404: refused as "not found", so a
# person's existence does not leak. Person routes target a person the role would see if
# it held the permission (its own staff; the subject's own record), so the outcome shows
# the permission alone; scoping is proved in test_api_registry.py. Likewise a case route
# acts on a case in the state its allowed role needs (the subject's own case for the
# subject's steps: CASE_NEEDED), and a clearance route on a clearance it can change.
# A designation route targets a designation the role would see if it held the permission:
# one of the officials' agency, held by the company (its security officer sees it) and
# with the external expert invited to comment (so the expert sees it too).
# A CUI authorization route acts on (or lists) an authorization of the role's own staff:
# the government body's for the agency official, the company's for everyone else.
# 422: the permission gate lets the role through, and the service refuses the request for
# a reason of the role's own (SERVICE_REFUSAL names it); nothing is written either. (A
# company's security officer holds DESIGNATIONS_PROPOSE to propose lifting a designation
# its company holds, but only a designating agency's official proposes a designation:
# POST /designations refuses it 403, like a role without the permission.)
COLUMNS = {
    "SA": Role.SYSTEM_ADMIN, "WO": Role.WINDOW_OFFICER, "INV": Role.INVESTIGATOR,
    "ADJ": Role.ADJUDICATOR, "AGO": Role.AGENCY_OFFICIAL, "APO": Role.APPROVING_OFFICIAL,
    "CSO": Role.COMPANY_SECURITY_OFFICER, "SUB": Role.SUBJECT, "FL": Role.FOREIGN_LIAISON,
    "EE": Role.EXTERNAL_EXPERT, "OI": Role.OVERSIGHT_INSPECTOR, "AUD": Role.AUDITOR,
}
EXPECTED_TABLE = """
route                                                             SA  WO  INV ADJ AGO APO CSO SUB FL  EE  OI  AUD
GET    /api/v1/me                                                 ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/me/notifications                                   ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/countries                                          ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/organisations                                      ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
POST   /api/v1/organisations                                      ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/organisations/{org_id}                             ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
PATCH  /api/v1/organisations/{org_id}                             ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/ownership                                          ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/ownership                                          ok  ok  403 403 403 403 403 403 403 403 403 403
PATCH  /api/v1/ownership/{edge_id}                                ok  ok  403 403 403 403 403 403 403 403 403 403
DELETE /api/v1/ownership/{edge_id}                                ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/people                                             403 ok  ok  ok  ok  403 ok  ok  403 403 403 403
POST   /api/v1/people                                             403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/people/{person_id}                                 404 ok  ok  ok  ok  404 ok  ok  404 404 404 404
PATCH  /api/v1/people/{person_id}                                 404 ok  404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/audit/events                                       403 403 403 403 403 403 403 403 403 403 ok  ok
POST   /api/v1/clearance-cases                                    403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/clearance-cases/import                             403 403 403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/clearance-cases                                    403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/clearance-queue                                    403 ok  ok  ok  403 403 403 403 403 403 403 403
GET    /api/v1/clearance-workload                                 403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/clearance-cases                                 403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/clearance-cases/{case_id}                          404 ok  ok  ok  404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/consent                  404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/refusal                  404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/withdrawal               404 404 404 404 404 404 404 ok  404 404 404 404
PATCH  /api/v1/clearance-cases/{case_id}/questionnaire            404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/submission               404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/intake                   404 ok  404 404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/findings                 404 404 ok  404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/investigation-completion 404 404 ok  404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/adjudication             404 404 404 ok  404 404 404 404 404 404 404 404
POST   /api/v1/clearances/{clearance_id}/suspension               403 403 403 ok  403 403 403 403 403 403 403 403
POST   /api/v1/clearances/{clearance_id}/reinstatement            403 403 403 ok  403 403 403 403 403 403 403 403
POST   /api/v1/clearances/{clearance_id}/revocation               403 403 403 ok  403 403 403 403 403 403 403 403
GET    /api/v1/people/{person_id}/clearance-verification          403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/reportable-events                                  403 403 403 403 ok  403 ok  ok  403 403 403 403
GET    /api/v1/reportable-events                                  403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/reportable-events/{event_id}/assessment            403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/clearance-cases/{case_id}/complaints               404 404 404 404 404 404 404 ok  404 404 404 404
GET    /api/v1/complaints                                         403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/complaints                                      403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/complaints/{complaint_id}/answer                   403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/personal-data                                   403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/me/corrections                                     403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/corrections                                        403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/corrections/{request_id}/decision                  403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/clearance-cases/{case_id}/burden                   404 ok  ok  ok  ok  404 ok  ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/renewal                  404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/designations                                       ok  ok  403 403 ok  ok  ok  403 403 ok  ok  ok
POST   /api/v1/designations                                       403 403 403 403 ok  403 403 403 403 403 403 403
POST   /api/v1/designations/provisional                           403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/designations/{designation_id}                      ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/designations/{designation_id}/proposals            404 404 404 404 ok  404 ok  404 404 404 404 404
POST   /api/v1/designations/{designation_id}/objections           404 404 404 404 ok  ok  ok  404 404 ok  404 404
GET    /api/v1/designations/{designation_id}/items                ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/designation-proposals/{proposal_id}/comments       404 404 404 404 404 404 ok  404 404 ok  404 404
POST   /api/v1/designation-proposals/{proposal_id}/decision       403 403 403 403 403 ok  403 403 403 403 403 403
GET    /api/v1/designation-reviews                                403 403 403 403 ok  403 403 403 403 403 403 403
POST   /api/v1/designation-reviews/{review_id}                    403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/designation-objections                             403 403 403 403 403 403 403 403 403 403 ok  403
POST   /api/v1/designation-objections/{objection_id}/answer       403 403 403 403 403 403 403 403 403 403 ok  403
POST   /api/v1/items                                              403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/items/{item_id}                                    ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
GET    /api/v1/items/{item_id}/label.xml                          ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/markings/check                                     ok  ok  403 403 ok  ok  ok  403 403 ok  ok  ok
GET    /api/v1/cui-authorizations                                 403 ok  403 403 ok  403 ok  403 403 403 ok  ok
POST   /api/v1/cui-authorizations                                 403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/cui-authorizations/{authorization_id}/refresher    403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/cui-authorizations/{authorization_id}/revocation   403 403 403 403 ok  403 ok  403 403 403 403 403
"""  # noqa: E501 (one row per route reads best unwrapped)


def _parse(table: str) -> dict[tuple[str, str], dict[Role, str]]:
    lines = [ln.split() for ln in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert [COLUMNS[h] for h in header] == list(Role) and len(header) == 12
    out = {}
    for method, path, *cells in rows:
        assert len(cells) == 12 and set(cells) <= {"ok", "403", "404", "422"}, (method, path)
        out[(method, path)] = {COLUMNS[h]: c for h, c in zip(header, cells, strict=True)}
    return out


EXPECTED = _parse(EXPECTED_TABLE)
# Where a refusal reads "not found": a person's record, everything about a case, a
# designation and an item, and a consultation's comments.
HIDDEN = ("/api/v1/people/{person_id}", "/api/v1/clearance-cases/{case_id}")
HIDDEN_DESIGNATIONS = ("/api/v1/designations/{designation_id}", "/api/v1/items/{item_id}",
                       "/api/v1/designation-proposals/{proposal_id}/comments")
# The error code of each 422 cell: the service's refusal of a role the gate let through.
SERVICE_REFUSAL: dict[tuple[str, str], str] = {}
# Served by the framework, public by design: the API description and its viewer.
FRAMEWORK = {("GET", "/api/v1/openapi.json"), ("HEAD", "/api/v1/openapi.json"),
             ("GET", "/api/docs"), ("HEAD", "/api/docs")}
SUCCESS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}
CASE = "/api/v1/clearance-cases/{case_id}"
CLEARANCE = "/api/v1/clearances/{clearance_id}"
VERIFY = "/api/v1/people/{person_id}/clearance-verification"
EVENTS = "/api/v1/reportable-events"
ASSESS = EVENTS + "/{event_id}/assessment"
ANSWER = "/api/v1/complaints/{complaint_id}/answer"
CORRECTIONS = "/api/v1/me/corrections"
DECIDE = "/api/v1/corrections/{request_id}/decision"
IMPORT = "/api/v1/clearance-cases/import"
QUEUE = "/api/v1/clearance-queue"
WORKLOAD = "/api/v1/clearance-workload"
DESIGNATIONS = "/api/v1/designations"
PROVISIONAL = DESIGNATIONS + "/provisional"
DESIGNATION = DESIGNATIONS + "/{designation_id}"
PROPOSAL = "/api/v1/designation-proposals/{proposal_id}"
REVIEWS = "/api/v1/designation-reviews"
OBJECTIONS = "/api/v1/designation-objections"
ITEMS = "/api/v1/items"
ITEM = ITEMS + "/{item_id}"
BANNER_CHECK = "/api/v1/markings/check"
CUI_LIST = "/api/v1/cui-authorizations"
CUI_ONE = CUI_LIST + "/{authorization_id}"
# Steps that only move something on answer 200, not 201 (nothing new is created).
SUCCESS_200 = {CASE + s for s in ("/consent", "/refusal", "/withdrawal", "/submission",
                                  "/intake", "/investigation-completion", "/adjudication")} | {
    CLEARANCE + s for s in ("/suspension", "/reinstatement", "/revocation")} | {
    ASSESS, ANSWER, DECIDE} | {
    PROPOSAL + "/decision", REVIEWS + "/{review_id}", OBJECTIONS + "/{objection_id}/answer",
    BANNER_CHECK, CUI_ONE + "/refresher", CUI_ONE + "/revocation"}
# Case routes whose answer is a new object (its own id), not the case asked about.
NEW_OBJECT = {CASE + s for s in ("/findings", "/complaints", "/burden", "/renewal")}
# The case each case route acts on, in the state the allowed role needs: (state, whether
# it is the subject user's own case). Others' cases belong to fresh people of the company.
CASE_NEEDED = {
    CASE: ("investigation", False),
    CASE + "/consent": ("listed", True),
    CASE + "/refusal": ("listed", True),
    CASE + "/withdrawal": ("draft", True),
    CASE + "/questionnaire": ("draft", True),
    CASE + "/submission": ("draft", True),
    CASE + "/intake": ("submitted", False),
    CASE + "/findings": ("investigation", False),
    CASE + "/investigation-completion": ("investigation", False),
    CASE + "/adjudication": ("adjudication", False),
    CASE + "/complaints": ("listed", True),  # any state: a complaint is about the case
}
CLEARANCE_NEEDED = {CLEARANCE + "/suspension": "active",
                    CLEARANCE + "/reinstatement": "suspended",
                    CLEARANCE + "/revocation": "active"}
FINDING = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
           "source": "信用情報機関", "summary": "返済遅延1件"}
# What an allowed request leaves behind (a part of its answer).
RESULT = {
    ("POST", "/api/v1/clearance-cases"): {"status": "in_progress"},
    ("POST", CASE + "/consent"): {"state": "draft"},
    ("POST", CASE + "/refusal"): {"state": "refused"},
    ("POST", CASE + "/withdrawal"): {"state": "withdrawn"},
    ("POST", CASE + "/submission"): {"state": "submitted"},
    ("POST", CASE + "/intake"): {"state": "investigation", "reused_investigation": False},
    ("POST", CASE + "/findings"): {"area": "finances", "severity": "minor"},
    ("POST", CASE + "/investigation-completion"): {"state": "adjudication"},
    ("POST", CASE + "/adjudication"): {"state": "granted"},
    ("POST", CLEARANCE + "/suspension"): {"status": "suspended"},
    ("POST", CLEARANCE + "/reinstatement"): {"status": "active"},
    ("POST", CLEARANCE + "/revocation"): {"status": "revoked"},
    ("POST", EVENTS): {"kind": "arrest"},
    ("POST", CASE + "/complaints"): {"status": "open"},
    ("POST", ANSWER): {"status": "answered"},
    ("POST", CORRECTIONS): {"status": "open"},
    ("POST", DECIDE): {"status": "accepted"},
    ("POST", CASE + "/renewal"): {"status": "in_progress"},
    ("POST", IMPORT): {"listed": 1},
    ("POST", DESIGNATIONS): {"status": "proposed", "provisional": False, "version": 1},
    ("POST", PROVISIONAL): {"status": "provisional", "provisional": True, "version": 1},
    ("POST", DESIGNATION + "/proposals"): {"status": "open"},
    ("POST", PROPOSAL + "/decision"): {"status": "approved"},
    ("POST", REVIEWS + "/{review_id}"): {"still_needed": True},
    ("POST", ITEMS): {"level": "CESI", "designation_status": "in_force",
                      "banner": "重要経済安保情報//QKD//REL TO JPN, USA",
                      "portion": "(重要経済安保情報//QKD//REL TO JPN, USA)"},
    ("POST", BANNER_CHECK): {"level": "CUI", "categories": ["EXPT", "PRVCY"],
                             "controls": ["NOFORN"], "rel_to": []},
    ("POST", CUI_LIST): {"status": "active", "current": True, "failures": []},
    ("POST", CUI_ONE + "/refresher"): {"status": "active", "current": True, "failures": []},
    ("POST", CUI_ONE + "/revocation"): {"status": "revoked", "current": False,
                                        "failures": ["cui_authorization_revoked"]},
}
# The work each window role finds in its own queue (GET /clearance-queue): the queue's
# name in the answer and the state of a case put there for it.
QUEUED = {Role.WINDOW_OFFICER: ("intake", "submitted"),
          Role.INVESTIGATOR: ("investigation", "investigation"),
          Role.ADJUDICATOR: ("adjudication", "adjudication")}

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
    # suitability assessment: the employer's officer
    ("GET", "/candidates"): "page",
    ("GET", "/candidates/template.csv"): "page",
    ("GET", "/candidates/export.csv"): "page",
    ("POST", "/candidates"): "form",
    ("POST", "/candidates/upload"): "form",
    ("POST", "/candidates/events"): "form",
    ("POST", "/candidates/{case_id}/renewal"): "form",
    # the window, investigators and adjudicators
    ("GET", "/casework"): "page",
    ("GET", "/casework/aftercare"): "page",
    ("GET", "/casework/{case_id}"): "page",
    ("POST", "/casework/{case_id}/intake"): "form",
    ("POST", "/casework/{case_id}/findings"): "form",
    ("POST", "/casework/{case_id}/completion"): "form",
    ("POST", "/casework/{case_id}/adjudication"): "form",
    ("POST", "/casework/complaints/{complaint_id}/answer"): "form",
    ("POST", "/casework/events/{event_id}/assessment"): "form",
    ("POST", "/casework/corrections/{request_id}/decision"): "form",
    # the subject
    ("GET", "/my/assessments"): "page",
    ("POST", "/my/assessments/{case_id}/consent"): "form",
    ("POST", "/my/assessments/{case_id}/refusal"): "form",
    ("POST", "/my/assessments/{case_id}/withdrawal"): "form",
    ("POST", "/my/assessments/{case_id}/complaints"): "form",
    ("GET", "/my/assessments/{case_id}/questionnaire"): "page",
    ("POST", "/my/assessments/{case_id}/questionnaire"): "form",
    ("GET", "/my/data"): "page",
    ("POST", "/my/data/corrections"): "form",
    # designation: the register, a designation's record, the oversight inspector's page
    ("GET", "/designations"): "page",
    ("GET", "/designations/register.csv"): "page",
    ("GET", "/designations/register.pdf"): "page",
    ("POST", "/designations"): "form",
    ("POST", "/designations/reviews/{review_id}"): "form",
    ("GET", "/designations/objections"): "page",
    ("POST", "/designations/objections/{objection_id}/answer"): "form",
    ("GET", "/designations/{designation_id}"): "page",
    ("POST", "/designations/{designation_id}/proposals"): "form",
    ("POST", "/designations/{designation_id}/proposals/{proposal_id}/comments"): "form",
    ("POST", "/designations/{designation_id}/proposals/{proposal_id}/decision"): "form",
    ("POST", "/designations/{designation_id}/objections"): "form",
    ("POST", "/designations/{designation_id}/items"): "form",
    # CUI authorization: the employer's officer grants; the window and oversight read
    ("GET", "/cui-authorizations"): "page",
    ("POST", "/cui-authorizations"): "form",
    ("POST", "/cui-authorizations/{authorization_id}/refresher"): "form",
    ("POST", "/cui-authorizations/{authorization_id}/revocation"): "form",
    # everybody
    ("GET", "/inbox"): "page",
    ("POST", "/inbox/read"): "form",
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
    cases: dict = field(default_factory=dict)  # (state, own) or status -> an id


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


def _fresh_edge(env: Env) -> str:
    """An ownership edge of its own for a test."""
    with unit_of_work(env.engine) as s:
        return make_ownership(s, make_org(s).id, env.world.gov.id).id


STEPS = ("listed", "draft", "submitted", "investigation", "adjudication", "granted")


def _drive(env: Env, state: str, *, own: bool, gov: bool = False) -> str:
    """A CESI case moved by the real services to `state`: the subject user's own (its other
    open cases withdrawn first: one open case per regime) or a fresh person's, of the
    company (listed by its security officer) or, with `gov`, of the government body the
    officials belong to (listed by the agency official)."""
    w, u = env.world, env.world.users
    today = utcnow().date()
    lister = u[Role.AGENCY_OFFICIAL if gov else Role.COMPANY_SECURITY_OFFICER].actor
    with cheap_argon2(), unit_of_work(env.engine) as s:
        if own:
            person_id, subject = w.staff.id, u[Role.SUBJECT].actor
            for case_id in list(s.scalars(select(ClearanceCase.id).where(
                    ClearanceCase.person_id == person_id,
                    ClearanceCase.state.in_([st.value for st in OPEN_STATES])))):
                clearances.withdraw(s, case_id, actor=subject)
        else:
            org = w.gov.id if gov else w.company.id
            person_id = make_person(s, employer_id=org, family_name_kanji="審査").id
            subject = make_user(s, Role.SUBJECT, org, person_id).actor
        case = clearances.list_candidate(s, CandidateCreate(
            person_id=person_id, regime="CESI", sponsor_id=w.gov.id), actor=lister)
        for step in STEPS[1:STEPS.index(state) + 1]:
            if step == "draft":
                clearances.give_consent(s, case.id, ConsentGive(family_consent=True),
                                        actor=subject)
                clearances.save_questionnaire(
                    s, case.id, Questionnaire.model_validate(full_questionnaire(today)),
                    actor=subject)
            elif step == "submitted":
                clearances.submit(s, case.id, actor=subject)
            elif step == "investigation":
                clearances.intake(s, case.id, IntakeRequest(
                    investigator_id=u[Role.INVESTIGATOR].user_id),
                    actor=u[Role.WINDOW_OFFICER].actor)
            elif step == "adjudication":
                clearances.complete_investigation(s, case.id, actor=u[Role.INVESTIGATOR].actor)
            else:
                clearances.adjudicate(s, case.id, Adjudication.model_validate(
                    favourable_decisions()), actor=u[Role.ADJUDICATOR].actor)
        assert case.state == state
        return case.id


def case_in(env: Env, state: str, *, own: bool, gov: bool = False) -> str:
    """A case in `state`, reused while it stays there (a refusal writes nothing)."""
    key = (state, "gov") if gov else (state, own)
    case_id = env.cases.get(key)
    if case_id is not None:
        with session_factory(env.engine)() as s:
            if s.scalar(select(ClearanceCase.state).where(ClearanceCase.id == case_id)) == state:
                return case_id
    env.cases[key] = case_id = _drive(env, state, own=own, gov=gov)
    return case_id


def _still(env: Env, key: str, column, value) -> str | None:
    """The cached id under `key` if its row still has `column` == value."""
    row_id = env.cases.get(key)
    if row_id is not None:
        with session_factory(env.engine)() as s:
            pk = column.class_.id
            if s.scalar(select(column).where(pk == row_id)) == value:
                return row_id
    return None


def event_in(env: Env) -> str:
    """An unassessed event about a fresh person of the company with a granted case (kept in
    env.cases["event case"]: an adverse assessment reopens it), reused while unassessed."""
    event_id = _still(env, "event", ReportableEvent.assessed_by, None)
    if event_id is not None:
        return event_id
    case_id = _drive(env, "granted", own=False)  # its own transaction, before this one
    with unit_of_work(env.engine) as s:
        person_id = s.scalar(select(ClearanceCase.person_id).where(ClearanceCase.id == case_id))
        event = aftercare.report_event(s, EventCreate(
            person_id=person_id, kind="foreign_contact", occurred_on="2024-02-01",
            details="外国政府関係者との接触"),
            actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor)
        env.cases["event"], env.cases["event case"] = event.id, case_id
    return env.cases["event"]


def complaint_in(env: Env) -> str:
    """An open complaint of the subject user about their own case, reused while open."""
    complaint_id = _still(env, "complaint", Complaint.status, "open")
    if complaint_id is not None:
        return complaint_id
    case_id = case_in(env, "listed", own=True)
    with unit_of_work(env.engine) as s:
        env.cases["complaint"] = aftercare.file_complaint(s, case_id, ComplaintCreate(
            kind="assessment", text="説明が不十分"),
            actor=env.world.users[Role.SUBJECT].actor).id
    return env.cases["complaint"]


def correction_in(env: Env) -> str:
    """An open correction request of the subject user, reused while open."""
    request_id = _still(env, "correction", CorrectionRequest.status, "open")
    if request_id is not None:
        return request_id
    with unit_of_work(env.engine) as s:
        env.cases["correction"] = aftercare.request_correction(s, CorrectionCreate(
            field="department", value="第二技術部", reason="異動のため"),
            actor=env.world.users[Role.SUBJECT].actor).id
    return env.cases["correction"]


def party_of(role: Role) -> str:
    """The party whose share of the burden a role records."""
    return ("window" if role in WINDOW_ROLES
            else "security_officer" if role in EMPLOYER_ROLES else "subject")


def clearance_in(env: Env, status: str) -> str:
    """A clearance (of a granted case) with `status`, reused while it keeps it."""
    clearance_id = env.cases.get(status)
    if clearance_id is not None:
        with session_factory(env.engine)() as s:
            if s.scalar(select(Clearance.status).where(Clearance.id == clearance_id)) == status:
                return clearance_id
    case_id = _drive(env, "granted", own=False)
    with unit_of_work(env.engine) as s:
        clearance_id = s.scalar(select(Clearance.id).where(Clearance.case_id == case_id))
        if status == "suspended":
            clearances.change_clearance(s, clearance_id, "suspend", "審査中",
                                        actor=env.world.users[Role.ADJUDICATOR].actor)
    env.cases[status] = clearance_id
    return clearance_id


def _designation_body(env: Env, title: str) -> dict:
    """A designation (as JSON) the agency official may propose: starting today, held by the
    company (its security officer is consulted), the external expert invited."""
    today = utcnow().date()
    return {"title": title, "regime": "CESI", "category": "key_technologies",
            "reasons": "量子鍵配送の実装技術", "scope_kind": "technology",
            "scope": "量子鍵配送", "holders": [env.world.company.id],
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=4 * 365)).isoformat(),
            "experts": [env.world.users[Role.EXTERNAL_EXPERT].user_id]}


def _designate(env: Env, title: str, *, approve: bool = True) -> tuple[str, str]:
    """A designation of the officials' government body, proposed by the agency official
    through the real services and, with `approve`, approved by the approving official (not
    the proposer: two-person rule), so in force. Its id and that of the proposal that
    designates it (still open without `approve`)."""
    u = env.world.users
    with unit_of_work(env.engine) as s:
        d = designations.propose_designation(
            s, DesignationCreate.model_validate(_designation_body(env, title)),
            actor=u[Role.AGENCY_OFFICIAL].actor)
        proposal_id = s.scalar(select(Proposal.id).where(Proposal.designation_id == d.id))
        if approve:
            designations.decide(s, proposal_id, Decision(approve=True, reasons="必要性を確認"),
                                actor=u[Role.APPROVING_OFFICIAL].actor)
        return d.id, proposal_id


def designation_in(env: Env) -> str:
    """The designation in force that every role sees if it may (held by the company, the
    expert invited); no allowed request changes it (a change is proposed on a fresh one)."""
    designation_id = _still(env, "designation", Designation.status, "in_force")
    if designation_id is None:
        env.cases["designation"] = designation_id = _designate(env, "行列の指定")[0]
    return designation_id


def proposal_in(env: Env) -> str:
    """An open proposal (to designate) of the agency official, with the company consulted
    and the expert invited, reused while open."""
    proposal_id = _still(env, "proposal", Proposal.status, "open")
    if proposal_id is None:
        env.cases["proposal"] = proposal_id = _designate(env, "協議中の指定", approve=False)[1]
    return proposal_id


def review_in(env: Env) -> str:
    """A review awaiting the agency's record, opened by the scheduled job on a designation
    in force whose review date was moved back; reused until recorded."""
    review_id = _still(env, "review", Review.still_needed, None)
    if review_id is not None:
        return review_id
    designation_id, _ = _designate(env, "見直しの指定")
    today = utcnow().date()
    with unit_of_work(env.engine) as s:
        s.get(Designation, designation_id).next_review_on = today - timedelta(days=1)
        s.flush()
        assert designation_jobs.run(s, today).reviews_opened == 1
        env.cases["review"] = s.scalar(select(Review.id).where(
            Review.designation_id == designation_id))
    return env.cases["review"]


def objection_in(env: Env) -> str:
    """An unanswered objection of the company's security officer to the designation,
    reused until answered."""
    objection_id = _still(env, "objection", Objection.answer, None)
    if objection_id is None:
        designation_id = designation_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["objection"] = objection_id = oversight.file_objection(
                s, designation_id, ObjectionCreate(text="指定の範囲が広すぎる"),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return objection_id


def item_in(env: Env) -> str:
    """An item the agency registered under the designation (no request changes it)."""
    if "item" not in env.cases:
        designation_id = designation_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["item"] = items.create_item(s, ItemCreate(
                title="鍵配送装置の設計書", kind="document", designation_id=designation_id,
                compartments=["QKD"]), actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id
    return env.cases["item"]


def cui_authorization_in(env: Env, role: Role, *, fresh: bool = False) -> str:
    """An active CUI authorization of the role's own staff (the government body's for the
    agency official, the company's for any other role), granted through the real service
    by that organisation's officer to a person of its own; reused while active, or
    (`fresh`) a new one, where it will be revoked."""
    gov = role is Role.AGENCY_OFFICIAL
    key = f"cui authorization {'gov' if gov else 'company'}"
    found = None if fresh else _still(env, key, CuiAuthorization.status, "active")
    if found is not None:
        return found
    w, trained = env.world, utcnow().date() - timedelta(days=30)
    granter = w.users[Role.AGENCY_OFFICIAL if gov else Role.COMPANY_SECURITY_OFFICER]
    with unit_of_work(env.engine) as s:
        person = make_person(s, employer_id=granter.org_id, family_name_kanji="認可")
        authorization_id = cui.grant(s, CuiGrant(
            person_id=person.id, identity_document="passport", identity_checked_on=trained,
            trained_on=trained, agreement_signed_on=trained), actor=granter.actor).id
    if not fresh:
        env.cases[key] = authorization_id
    return authorization_id


def own_person(env: Env, role: Role) -> str:
    if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT):
        return env.world.staff.id
    return env.gov_staff


def own_org(env: Env, role: Role) -> str:
    """The organisation a role's user of the world belongs to."""
    if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT):
        return env.world.company.id
    return env.world.gov.id


def prepare(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body: if the request is refused, permission is the only reason."""
    ids = {"org_id": env.world.other_company.id, "person_id": own_person(env, role)}
    if "{edge_id}" in path:
        ids["edge_id"] = _fresh_edge(env)
    if path in CASE_NEEDED:
        state, own = CASE_NEEDED[path]
        ids["case_id"] = case_in(env, state, own=own)
    if path in CLEARANCE_NEEDED:
        ids["clearance_id"] = clearance_in(env, CLEARANCE_NEEDED[path])
    allowed = EXPECTED[(method, path)][role] == "ok"
    if path == CASE + "/burden":
        # a case in the role's scope: the subject's own, the company's for its security
        # officer (and the window); one of the government body's staff for the official
        ids["case_id"] = (case_in(env, "listed", own=False, gov=True)
                          if role is Role.AGENCY_OFFICIAL else case_in(env, "listed", own=True))
    elif path == CASE + "/renewal":
        # a granted case of the role's own organisation, fresh where it will be renewed
        # (one renewal per case); a refusal writes nothing, so those may share one
        gov = role is Role.AGENCY_OFFICIAL
        ids["case_id"] = (_drive(env, "granted", own=False, gov=gov) if allowed
                          else case_in(env, "granted", own=False))
    if "{designation_id}" in path or (method, path) == ("GET", DESIGNATIONS):
        ids["designation_id"] = designation_in(env)  # one to read, or to find in the register
        if path == DESIGNATION + "/proposals" and allowed:  # one open proposal at a time
            ids["designation_id"] = _designate(env, f"{role.value}が変更を提案する指定")[0]
    if "{proposal_id}" in path:
        ids["proposal_id"] = proposal_in(env)
    if "{review_id}" in path or path == REVIEWS:
        ids["review_id"] = review_in(env)
    if "{objection_id}" in path or path == OBJECTIONS:
        ids["objection_id"] = objection_in(env)
    if "{item_id}" in path or path == DESIGNATION + "/items":
        ids["item_id"] = item_in(env)
    if "{event_id}" in path:
        ids["event_id"] = event_in(env)
    if "{complaint_id}" in path or path in ("/api/v1/complaints", "/api/v1/me/complaints"):
        ids["complaint_id"] = complaint_in(env)  # one to answer, or to find in a list
    if "{request_id}" in path:
        ids["request_id"] = correction_in(env)
    if path == QUEUE and role in QUEUED:  # something waiting in the role's own queue
        env.cases[("queued", role)] = case_in(env, QUEUED[role][1], own=False)
    if (method, path) == ("GET", EVENTS):  # one unassessed event to find in the list
        event_in(env)
    if (method, path) == ("GET", "/api/v1/corrections"):  # and one open request
        correction_in(env)
    if (method, path) == ("GET", CUI_LIST):  # one of the role's own staff to find
        cui_authorization_in(env, role)
    if "{authorization_id}" in path:  # a fresh one where it will be revoked
        ids["authorization_id"] = cui_authorization_in(
            env, role, fresh=allowed and path.endswith("/revocation"))
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
    elif (method, path) == ("POST", "/api/v1/clearance-cases"):
        # a fresh person of the role's own organisation, whom it may list if permitted
        org = (env.world.company.id if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT)
               else env.world.gov.id)
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=org, family_name_kanji="名簿")
        body = {"person_id": person.id, "regime": "CESI", "sponsor_id": env.world.gov.id}
    elif path == CASE + "/consent":
        body = {"family_consent": True}
    elif path == CASE + "/questionnaire":
        body = full_questionnaire(utcnow().date())
    elif path == CASE + "/intake":
        body = {"investigator_id": env.world.users[Role.INVESTIGATOR].user_id}
    elif path == CASE + "/findings":
        body = FINDING
    elif path == CASE + "/adjudication":
        body = favourable_decisions()
    elif path in CLEARANCE_NEEDED:
        body = {"reason": f"reason given by {role.value}"}
    elif (method, path) == ("POST", EVENTS):
        # about themself (the subject), or about the role's own staff
        body = {"person_id": own_person(env, role), "kind": "arrest",
                "occurred_on": "2024-03-01", "details": f"reported by {role.value}"}
    elif path == ASSESS:
        body = {"adverse": True}
    elif path == CASE + "/complaints":
        body = {"kind": "employer_treatment", "text": f"complaint sent by {role.value}"}
    elif path == ANSWER:
        body = {"handling": "会社に照会", "answer": f"answered by {role.value}"}
    elif path == CORRECTIONS:
        body = {"field": "title", "value": "主任", "reason": f"sent by {role.value}"}
    elif path == DECIDE:
        body = {"accepted": True, "note": f"decided by {role.value}"}
    elif path == CASE + "/burden":
        body = {"step": "questionnaire", "party": party_of(role), "minutes": 95,
                "cost_yen": 1200, "allowance_yen": 500}
    elif path in (DESIGNATIONS, PROVISIONAL) and method == "POST":
        body = _designation_body(env, f"{role.value}の指定")
    elif path == DESIGNATION + "/proposals":
        # the agency renews (its term continues the current one); a holder may only lift
        body = {"kind": "lift", "reasons": f"proposed by {role.value}"}
        if role is Role.AGENCY_OFFICIAL:
            body |= {"kind": "renew", "term_end": (utcnow().date() + timedelta(
                days=8 * 365)).isoformat()}
    elif path == PROPOSAL + "/comments":
        body = {"text": f"commented by {role.value}"}
    elif path == PROPOSAL + "/decision":
        body = {"approve": True, "reasons": f"decided by {role.value}"}
    elif path == REVIEWS + "/{review_id}":
        body = {"still_needed": True, "reasons": f"reviewed by {role.value}"}
    elif path == DESIGNATION + "/objections":
        body = {"text": f"objection of {role.value}"}
    elif path == OBJECTIONS + "/{objection_id}/answer":
        body = {"answer": f"answered by {role.value}"}
    elif (method, path) == ("POST", ITEMS):
        body = {"title": f"item of {role.value}", "kind": "document",
                "designation_id": designation_in(env), "compartments": ["QKD"],
                "releasable_to": ["USA"]}
    elif path == BANNER_CHECK:
        body = {"banner": "CUI//SP-EXPT/PRVCY//NOFORN"}
    elif (method, path) == ("POST", CUI_LIST):
        # a fresh person of the role's own organisation, with no authorization yet
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=own_org(env, role), family_name_kanji="認可")
        trained = (utcnow().date() - timedelta(days=30)).isoformat()
        body = {"person_id": person.id, "identity_document": "passport",
                "identity_checked_on": trained, "trained_on": trained,
                "agreement_signed_on": trained}
    elif path == CUI_ONE + "/refresher":
        body = {"trained_on": utcnow().date().isoformat()}
    elif path == CUI_ONE + "/revocation":
        body = {"reason": f"revoked by {role.value}"}
    elif path == IMPORT:
        # one new person of the role's own organisation, named afresh for each request
        body = CsvBody(f"姓,名,生年月日,国籍,部署\r\n名簿,{_fresh_name()},1985-04-01,JPN,"
                       f"取込 {role.value}\r\n".encode())
    url = path.format(**ids)
    if path == VERIFY:
        url += "?purpose=" + quote("programme P-7 visit")
    elif path == IMPORT:
        url += f"?regime=CESI&sponsor_id={env.world.gov.id}"
    return url, body


class CsvBody(bytes):
    """A request body sent as text/csv rather than JSON (the candidate list import)."""


_names = iter(range(1, 10**6))


def _fresh_name() -> str:
    return "取込" + "".join("〇一二三四五六七八九"[int(d)] for d in str(next(_names)))


def send(client: TestClient, method: str, url: str, headers: dict, body):
    if isinstance(body, CsvBody):
        return client.request(method, url, content=bytes(body),
                              headers=headers | {"content-type": "text/csv"})
    return client.request(method, url, headers=headers, json=body)


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
    before = snapshot(env.engine) if outcome != "ok" else None
    r = send(env.client, method, url, headers, body)
    if outcome == "ok":
        expected = 200 if path in SUCCESS_200 else SUCCESS[method]
        assert r.status_code == expected, f"{r.status_code}: {r.text[:300]}"
        if path == "/api/v1/people/{person_id}":
            assert r.json()["id"] == own_person(env, role)
        elif path == VERIFY:
            assert set(r.json()) == {"status", "level", "regime", "valid_until"}
        elif path == CASE + "/questionnaire":
            assert r.json() == body  # what is stored so far: all of it, as sent
        elif path.startswith((CASE, CLEARANCE)) and path not in NEW_OBJECT:
            assert r.json()["id"] == url.split("/")[4], r.text  # the object asked about
        if (method, path) in RESULT:
            answer = r.json()
            assert answer | RESULT[(method, path)] == answer, answer
        answer = (r.json() if "json" in r.headers.get("content-type", "")
                  else r.text or None)  # an XML label, or nothing
        left_behind(env, method, path, role, url, body, answer)
        return
    assert_unchanged(before, snapshot(env.engine))
    if outcome == "422":  # through the gate; the service refuses the role's request
        problem = assert_problem(r, 422)
        assert SERVICE_REFUSAL[(method, path)] in {e["code"] for e in problem["errors"]}, problem
        return
    if outcome == "403":
        assert assert_problem(r, 403)["type"].endswith("/forbidden")
        return
    assert_problem(r, 404)
    for missing in (str(uuid.uuid4()), "no-such-thing"):  # alike for missing and hidden
        twin = send(env.client, method, re.sub(r"\{\w+\}", missing, path), headers, body)
        assert (twin.status_code, twin.headers["content-type"], twin.content) == (
            r.status_code, r.headers["content-type"], r.content)


def left_behind(env: Env, method: str, path: str, role: Role, url: str, body,
                answer) -> None:
    """What an allowed request of the continuous-evaluation and aftercare routes wrote (or,
    for a read, found), checked in the database."""
    user_id = env.world.users[role].user_id
    target = url.split("/")[4] if url.count("/") > 4 else None  # the id in the path
    with session_factory(env.engine)() as s:
        if (method, path) == ("GET", EVENTS):  # the open ones, the one waiting among them
            assert env.cases["event"] in {e["id"] for e in answer}
            assert all(s.get(ReportableEvent, e["id"]).adverse is None for e in answer)
        elif (method, path) == ("GET", "/api/v1/corrections"):
            assert env.cases["correction"] in {c["id"] for c in answer}
            assert all(s.get(CorrectionRequest, c["id"]).status == "open" for c in answer)
        elif path == EVENTS:
            event = s.get(ReportableEvent, answer["id"])
            assert (event.person_id, event.kind, event.reported_by, event.adverse) == (
                body["person_id"], "arrest", user_id, None)
        elif path == ASSESS:
            event = s.get(ReportableEvent, target)
            assert (event.adverse, event.assessed_by) == (True, user_id)
            reopened = env.cases["event case"]  # the person's granted case goes back
            assert answer == {"reopened_cases": [reopened]}
            assert s.get(ClearanceCase, reopened).state == "adjudication"
        elif path == CASE + "/complaints":
            complaint = s.get(Complaint, answer["id"])
            assert (complaint.case_id, complaint.kind, complaint.status) == (
                target, "employer_treatment", "open")
        elif path in ("/api/v1/complaints", "/api/v1/me/complaints"):
            listed = {c["id"]: c for c in answer}
            assert listed[env.cases["complaint"]]["text"] == "説明が不十分"
            if path == "/api/v1/me/complaints":  # the subject's own only
                own = set(s.scalars(select(ClearanceCase.id).where(
                    ClearanceCase.person_id == env.world.staff.id)))
                assert {c["case_id"] for c in answer} <= own
        elif path == ANSWER:
            complaint = s.get(Complaint, target)
            assert (complaint.status, complaint.answered_by) == ("answered", user_id)
        elif path == "/api/v1/me/personal-data":
            assert answer["person"]["id"] == env.world.staff.id
            assert {c["id"] for c in answer["cases"]} == set(answer["questionnaires"])
        elif path == CORRECTIONS:
            req = s.get(CorrectionRequest, answer["id"])
            assert (req.person_id, req.status) == (env.world.staff.id, "open")
        elif path == DECIDE:
            req = s.get(CorrectionRequest, target)
            assert (req.status, req.decided_by) == ("accepted", user_id)
        elif path == CASE + "/burden":
            row = s.get(BurdenRecord, answer["id"])
            assert (row.case_id, row.party, row.recorded_by, row.minutes, row.cost_yen,
                    row.allowance_yen) == (target, party_of(role), user_id, 95, 1200, 500)
        elif path == IMPORT:
            assert [c["status"] for c in answer["cases"]] == ["in_progress"]
            case = s.get(ClearanceCase, answer["cases"][0]["id"])
            org = own_org(env, role)
            assert (case.state, case.regime, case.sponsor_id, case.listed_by, case.employer_id) == (
                "listed", "CESI", env.world.gov.id, user_id, org)
            assert s.get(Person, case.person_id).employer_id == org  # registered by the import
        elif path == QUEUE:
            name, state = QUEUED[role]
            assert env.cases[("queued", role)] in {c["id"] for c in answer[name]}
            assert {c["state"] for c in answer[name]} == {state}
            assert all(answer[other] == [] for other in ("intake", "investigation",
                                                          "adjudication") if other != name)
        elif path == WORKLOAD:
            by_state = dict(s.execute(select(ClearanceCase.state, func.count())
                                      .group_by(ClearanceCase.state)).all())
            assert {k: v for k, v in answer["cases_by_state"].items() if v} == by_state
            assert env.world.users[Role.INVESTIGATOR].user_id in {
                i["id"] for i in answer["investigators"]}
            assert answer["investigations_avoided"] == s.scalar(
                select(func.count()).select_from(ClearanceCase).where(
                    ClearanceCase.reused_investigation.is_(True)))
        elif path == CASE + "/renewal":
            old, new = s.get(ClearanceCase, target), s.get(ClearanceCase, answer["id"])
            assert new.id != old.id and new.renewal_of == old.id and new.state == "listed"
            assert (new.person_id, new.regime, new.employer_id, new.listed_by) == (
                old.person_id, old.regime, old.employer_id, user_id)
            assert answer["person_id"] == old.person_id
            assert old.state == "granted"  # the renewed case stays granted meanwhile
        elif path.startswith(CUI_LIST):
            cui_left_behind(env, s, method, path, role, target, body, answer)
        elif path.startswith((DESIGNATIONS, "/api/v1/designation-", ITEMS, BANNER_CHECK)):
            parts = url.split("?")[0].split("/")  # the id in the path, last one included
            designation_left_behind(env, s, method, path, role,
                                    parts[4] if "{" in path else None, body, answer)


def designation_left_behind(env: Env, s, method: str, path: str, role: Role,
                            target: str | None, body, answer) -> None:
    """left_behind for the routes of designation, items and markings."""
    w, user_id = env.world, env.world.users[role].user_id
    today = utcnow().date()
    if (method, path) == ("GET", DESIGNATIONS):  # the register as the role may see it
        listed = {d["id"] for d in answer}
        assert env.cases["designation"] in listed
        if role is Role.COMPANY_SECURITY_OFFICER:  # those its company holds
            assert all(w.company.id in d["holders"] for d in answer)
        elif role is Role.EXTERNAL_EXPERT:  # those it is invited to comment on
            assert listed <= set(s.scalars(select(Proposal.designation_id).where(
                Proposal.experts.contains(user_id))))
        else:  # the government sees them all
            assert len(listed) == s.scalar(select(func.count()).select_from(Designation))
    elif path in (DESIGNATIONS, PROVISIONAL):
        d = s.get(Designation, answer["id"])
        assert (d.agency_id, d.manager_id, d.created_by, d.status, d.provisional) == (
            w.gov.id, user_id, user_id, answer["status"], path == PROVISIONAL)
        assert list(s.scalars(select(DesignationHolder.organisation_id).where(
            DesignationHolder.designation_id == d.id))) == [w.company.id]
        proposals = s.scalars(select(Proposal).where(Proposal.designation_id == d.id)).all()
        assert [(p.kind, p.status, p.proposed_by, p.experts) for p in proposals] == [
            ("designate", "open", user_id, w.users[Role.EXTERNAL_EXPERT].user_id)]
        if path == PROVISIONAL:  # in effect at once, to be confirmed within 90 days
            assert d.confirm_by == today + timedelta(days=90) and d.first_start == today
    elif path == DESIGNATION:
        assert (answer["id"], answer["holders"], answer["status"]) == (
            target, [w.company.id], "in_force")
        assert [p["kind"] for p in answer["proposals"]] == ["designate"]
    elif path == DESIGNATION + "/proposals":
        p = s.get(Proposal, answer["id"])
        assert (p.designation_id, p.kind, p.status, p.proposed_by, p.reasons) == (
            target, body["kind"], "open", user_id, body["reasons"])
        if p.kind == "renew":
            assert p.term_end.isoformat() == body["term_end"]
        assert s.get(Designation, target).status == "in_force"  # until decided
    elif path == DESIGNATION + "/objections":
        o = s.get(Objection, answer["id"])
        assert (o.designation_id, o.filed_by, o.text, o.answer) == (
            target, user_id, body["text"], None)
    elif path == DESIGNATION + "/items":
        assert env.cases["item"] in {i["id"] for i in answer}
        assert {i["designation_id"] for i in answer} == {target}
    elif path == PROPOSAL + "/comments":
        c = s.get(Comment, answer["id"])
        assert (c.proposal_id, c.author_id, c.organisation_id, c.text) == (
            target, user_id, w.users[role].org_id, body["text"])
    elif path == PROPOSAL + "/decision":
        p = s.get(Proposal, target)
        assert (p.status, p.decided_by, p.decision_reasons) == (
            "approved", user_id, body["reasons"])
        assert p.proposed_by == w.users[Role.AGENCY_OFFICIAL].user_id != user_id
        d = s.get(Designation, p.designation_id)
        assert (d.status, d.first_start) == ("in_force", d.term_start)
    elif path == REVIEWS:
        assert env.cases["review"] in {r["id"] for r in answer}
        assert {s.get(Designation, r["designation_id"]).agency_id for r in answer} == {w.gov.id}
    elif path == REVIEWS + "/{review_id}":
        r = s.get(Review, target)
        assert (r.still_needed, r.reviewed_by, r.reasons) == (True, user_id, body["reasons"])
        assert s.get(Designation, r.designation_id).next_review_on > today  # clock reset
    elif path == OBJECTIONS:
        assert env.cases["objection"] in {o["id"] for o in answer}
    elif path == OBJECTIONS + "/{objection_id}/answer":
        o = s.get(Objection, target)
        assert (o.answer, o.answered_by) == (body["answer"], user_id)
    elif path == ITEMS:
        item = s.get(Item, answer["id"])
        assert (item.owner_id, item.designation_id, item.created_by, item.compartments,
                item.releasable_to) == (w.gov.id, body["designation_id"], user_id, "QKD",
                                        "USA")
    elif path == ITEM:
        assert (answer["id"], answer["level"], answer["banner"]) == (
            target, "CESI", "重要経済安保情報//QKD")
    elif path == ITEM + "/label.xml":
        assert "<Classification>CESI</Classification>" in answer
        assert "<GenericValue>QKD</GenericValue>" in answer
    else:
        assert path == BANNER_CHECK, path  # its answer is in RESULT


def cui_left_behind(env: Env, s, method: str, path: str, role: Role, target: str | None,
                    body, answer) -> None:
    """left_behind for the routes of CUI authorization."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    org = own_org(env, role)
    if method == "GET":  # the role's own staff's; the window and oversight see all
        listed = {a["id"]: a for a in answer}
        key = f"cui authorization {'gov' if role is Role.AGENCY_OFFICIAL else 'company'}"
        assert listed[env.cases[key]]["current"] is True
        if role in (Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER):
            assert {a["organisation_id"] for a in answer} == {org}
        else:
            assert len(listed) == s.scalar(select(func.count()).select_from(CuiAuthorization))
            assert {a["organisation_id"] for a in answer} >= {w.company.id}
        return
    a = s.get(CuiAuthorization, answer["id"])
    assert a.organisation_id == org == answer["organisation_id"]
    if path == CUI_LIST:
        assert (a.person_id, a.granted_by, a.status, a.granted_on, a.last_training_on) == (
            body["person_id"], user_id, "active", today, a.trained_on)
        assert a.valid_until.isoformat() == answer["valid_until"] > today.isoformat()
    elif path.endswith("/refresher"):
        assert (a.id, a.last_training_on, a.status) == (target, today, "active")
    else:
        assert (a.id, a.status, a.revoked_reason_length) == (
            target, "revoked", len(body["reason"]))


def test_the_matrix_refuses_something_to_every_role_but_none_everything():
    """A sanity check of the hand-written table itself."""
    for role in Role:
        outcomes = [row[role] for row in EXPECTED.values()]
        assert "ok" in outcomes and {"403", "404"} & set(outcomes), role
    for (method, path), row in EXPECTED.items():
        if path == HIDDEN[0] or path.startswith((HIDDEN[1], *HIDDEN_DESIGNATIONS)):
            assert set(row.values()) <= {"ok", "404"}, (method, path)
        else:
            assert "404" not in row.values(), (method, path)
        # a 422 is only for a role the service refuses, named in SERVICE_REFUSAL
        assert ("422" in row.values()) == ((method, path) in SERVICE_REFUSAL), (method, path)


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
        # the route is declared to refuse as "not found" exactly where the table says so
        assert (route.gate.deny_as == 404) == ("404" in EXPECTED[(method, path)].values()), path
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
        r = send(env.client, method, url, _auth_header(env, credential), body)
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


# Ids for the signed-out pages: the sign-in page comes first, whatever the id names.
SOME_ID = "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11"


def _page_url(env: Env, path: str, **ids: str) -> str:
    return path.format(**{"person_id": env.world.staff.id, "org_id": env.world.other_company.id,
                          "code": "en", "case_id": SOME_ID, "complaint_id": SOME_ID,
                          "event_id": SOME_ID, "request_id": SOME_ID,
                          "designation_id": SOME_ID, "proposal_id": SOME_ID,
                          "review_id": SOME_ID, "objection_id": SOME_ID,
                          "authorization_id": SOME_ID} | ids)


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


def _sign_in(web: TestClient, user) -> tuple[str, str]:
    """Sign `user` in through the real sign-in form: (the session's token, the token the
    sign-in page gave before)."""
    anon_token = _csrf(web.get("/login").text)
    r = web.post("/login", data={"username": user.username, "password": PASSWORD,
                                 "csrf_token": anon_token, "next": "/"},
                 follow_redirects=False)
    assert r.status_code == 303 and "hozen_session" in r.cookies
    token = _csrf(web.get("/inbox").text)
    assert token != anon_token
    return token, anon_token


@pytest.fixture(scope="module")
def signed_in_as(env):
    """One signed-in client per role of the world, made when first asked for:
    role -> (client, the session's CSRF token, the pre-sign-in token)."""
    clients: dict[Role, tuple[TestClient, str, str]] = {}

    def get(role: Role):
        if role not in clients:
            web = TestClient(env.app, raise_server_exceptions=False).__enter__()
            clients[role] = (web, *_sign_in(web, env.world.users[role]))
        return clients[role]

    yield get
    for web, *_ in clients.values():
        web.__exit__(None, None, None)


@pytest.fixture(scope="module")
def signed_in(signed_in_as):
    """A signed-in window officer with its session's token."""
    return signed_in_as(Role.WINDOW_OFFICER)


@dataclass
class FormPost:
    """Who posts a form, where, and a valid body: a refusal is for the CSRF token alone."""

    role: Role
    url: str
    data: dict[str, str]
    files: dict | None = None


def _csv_file() -> dict:
    text = f"姓,名,生年月日,国籍\r\n画面,{_fresh_name()},1986-05-06,JPN\r\n"
    return {"file": ("candidates.csv", text.encode(), "text/csv")}


def _form(env: Env, path: str, *, fresh: bool = False) -> FormPost:
    """`fresh`: the form will be accepted, so it gets an object of its own where one is used
    up (a granted case is renewed once) or changed for later tests (the edit form sets
    every field, the employer too: the world's staff must stay the company's)."""
    w, u = env.world, env.world.users
    WO, INV, ADJ = Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR
    CSO, SUB = Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT
    person = {"family_name_kanji": "画面", "given_name_kanji": "花子",
              "birth_date": "1990-01-01", "nationalities": "JPN"}
    org = {"kind": "university", "name_ja": "画面大学", "name_en": "Form University",
           "country_code": "JPN"}
    simple = {
        "/people/new": (WO, person),
        "/people/{person_id}/edit": (WO, person),
        "/organisations/new": (WO, org),
        "/organisations/{org_id}/edit": (WO, org | {"kind": "company"}),
        "/organisations/{org_id}/ownership": (WO, {"owner_organisation_id": w.gov.id,
                                                   "share_pct": "10", "voting_pct": "10"}),
        "/logout": (WO, {}),
        "/candidates/events": (CSO, {"person_id": w.staff.id, "kind": "arrest",
                                     "occurred_on": "2024-03-01", "details": "画面から報告"}),
        "/inbox/read": (SUB, {}),
        "/my/data/corrections": (SUB, {"field": "title", "value": "主任",
                                       "reason": "画面から"}),
    }
    if path == "/people/{person_id}/edit" and fresh:
        with unit_of_work(env.engine) as s:
            other = make_person(s, employer_id=w.gov.id, family_name_kanji="編集")
        return FormPost(WO, _page_url(env, path, person_id=other.id), dict(person))
    if path in simple:
        role, data = simple[path]
        return FormPost(role, _page_url(env, path), dict(data))
    if path == "/candidates":
        with unit_of_work(env.engine) as s:
            fresh_person = make_person(s, employer_id=w.company.id, family_name_kanji="画面")
        return FormPost(CSO, path, {"person_id": fresh_person.id, "regime": "CESI",
                                    "sponsor_id": w.gov.id})
    if path == "/candidates/upload":
        return FormPost(CSO, path, {"regime": "CESI", "sponsor_id": w.gov.id}, _csv_file())
    if path == "/candidates/{case_id}/renewal":
        case_id = (_drive(env, "granted", own=False) if fresh
                   else case_in(env, "granted", own=False))
        return FormPost(CSO, _page_url(env, path, case_id=case_id), {})
    case_forms = {  # path -> (role, the case's state, whether it is the subject's own, body)
        "/casework/{case_id}/intake": (WO, "submitted", False,
                                       {"investigator_id": u[INV].user_id}),
        "/casework/{case_id}/findings": (INV, "investigation", False, FINDING),
        "/casework/{case_id}/completion": (INV, "investigation", False, {}),
        "/casework/{case_id}/adjudication": (ADJ, "adjudication", False, {
            k: v for d in favourable_decisions()["decisions"]
            for k, v in ((f"{d['area']}-favourable", "yes"), (f"{d['area']}-reasons",
                                                               d["reasons"]))}),
        "/my/assessments/{case_id}/consent": (SUB, "listed", True,
                                              {"consent": "yes", "family_consent": "yes"}),
        "/my/assessments/{case_id}/refusal": (SUB, "listed", True, {}),
        "/my/assessments/{case_id}/withdrawal": (SUB, "draft", True, {}),
        "/my/assessments/{case_id}/complaints": (SUB, "listed", True,
                                                 {"kind": "assessment", "text": "画面から"}),
        "/my/assessments/{case_id}/questionnaire": (SUB, "draft", True, {
            "action": "save", "travel-0-country_code": "USA", "travel-0-start": "2023-08-01",
            "travel-0-end": "2023-08-10", "travel-0-purpose": "観光"}),
    }
    if path.startswith("/designations"):
        return _designation_form(env, path, fresh=fresh)
    if path.startswith("/cui-authorizations"):
        return _cui_form(env, path, fresh=fresh)
    if path in case_forms:
        role, state, own, data = case_forms[path]
        case_id = case_in(env, state, own=own)
        return FormPost(role, _page_url(env, path, case_id=case_id), dict(data))
    # the window's answers to what others sent
    if path == "/casework/complaints/{complaint_id}/answer":
        return FormPost(WO, _page_url(env, path, complaint_id=complaint_in(env)),
                        {"handling": "会社に照会", "answer": "画面から回答"})
    if path == "/casework/events/{event_id}/assessment":
        return FormPost(WO, _page_url(env, path, event_id=event_in(env)), {"adverse": "no"})
    assert path == "/casework/corrections/{request_id}/decision", f"no form for {path}"
    return FormPost(WO, _page_url(env, path, request_id=correction_in(env)),
                    {"accepted": "yes", "note": "画面から"})


def _designation_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The designation forms, each posted by a role that may use it, on what it needs: a
    review or an objection awaiting an answer, an open proposal (the company consulted,
    the expert invited), the designation everyone sees, or (`fresh`) one of its own where
    a proposal will be opened (one open proposal at a time)."""
    u, today = env.world.users, utcnow().date()
    AGO, APO, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
    EE, OI = Role.EXTERNAL_EXPERT, Role.OVERSIGHT_INSPECTOR
    if path == "/designations":
        body = _designation_body(env, "画面からの指定")
        data = {k: body[k] for k in ("title", "regime", "category", "reasons", "scope_kind",
                                     "scope", "term_start", "term_end")}
        return FormPost(AGO, path, data | {"holders": env.world.company.id,
                                           "experts": u[EE].user_id})
    if path == "/designations/reviews/{review_id}":
        return FormPost(AGO, _page_url(env, path, review_id=review_in(env)),
                        {"still_needed": "yes", "reasons": "画面から: 引き続き必要"})
    if path == "/designations/objections/{objection_id}/answer":
        return FormPost(OI, _page_url(env, path, objection_id=objection_in(env)),
                        {"answer": "画面から回答"})
    if "{proposal_id}" in path:
        proposal_id = proposal_in(env)
        with session_factory(env.engine)() as s:
            designation_id = s.get(Proposal, proposal_id).designation_id
        url = _page_url(env, path, designation_id=designation_id, proposal_id=proposal_id)
        if path.endswith("/comments"):
            return FormPost(EE, url, {"text": "画面からの意見"})
        return FormPost(APO, url, {"approve": "yes", "reasons": "画面から承認"})
    designation_id = designation_in(env)
    if path.endswith("/proposals"):  # the holder's security officer proposes lifting
        if fresh:
            designation_id = _designate(env, "画面で解除を提案する指定")[0]
        return FormPost(CSO, _page_url(env, path, designation_id=designation_id),
                        {"kind": "lift", "reasons": "画面から: 不要になった"})
    url = _page_url(env, path, designation_id=designation_id)
    if path.endswith("/objections"):
        return FormPost(EE, url, {"text": "画面からの異議"})
    assert path.endswith("/items"), f"no form for {path}"
    return FormPost(AGO, url, {"title": f"画面からの文書 {today}", "kind": "document",
                               "compartments": "qkd", "releasable_to": "usa"})


def _cui_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The CUI authorization forms, posted by the company's security officer: a grant for
    a fresh person of its staff, a refresher or (on a fresh one, where it will be done) a
    revocation of an authorization of its staff."""
    CSO = Role.COMPANY_SECURITY_OFFICER
    if path == "/cui-authorizations":
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id, family_name_kanji="画面")
        trained = (utcnow().date() - timedelta(days=30)).isoformat()
        return FormPost(CSO, path, {"person_id": person.id, "identity_document": "passport",
                                    "identity_checked_on": trained, "trained_on": trained,
                                    "agreement_signed_on": trained})
    authorization_id = cui_authorization_in(env, CSO, fresh=fresh and path.endswith(
        "/revocation"))
    url = _page_url(env, path, authorization_id=authorization_id)
    if path.endswith("/refresher"):
        return FormPost(CSO, url, {"trained_on": utcnow().date().isoformat()})
    assert path.endswith("/revocation"), f"no form for {path}"
    return FormPost(CSO, url, {"reason": "画面から取消"})


# Signing out last: should a refusal wrongly sign out, only the logout cases fail.
FORMS = sorted((p for (m, p), v in WEB.items() if v == "form"), key=lambda p: p == "/logout")


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "pre-sign-in token"])
@pytest.mark.parametrize("path", FORMS)
def test_form_post_without_the_session_csrf_token_is_refused(env, signed_in_as, path,
                                                             token_kind):
    """Each form posted by a user who may use it, with a valid body (a file upload as
    multipart), lacking only the session's token."""
    post = _form(env, path)
    web, token, anon_token = signed_in_as(post.role)
    form = post.data
    if token_kind == "wrong":
        form["csrf_token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif token_kind == "pre-sign-in token":
        form["csrf_token"] = anon_token
    before = snapshot(env.engine)
    r = web.post(post.url, data=form, files=post.files, follow_redirects=False)
    assert_unchanged(before, snapshot(env.engine))
    assert r.status_code == 403, r.text[:300]
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_form_post_with_the_session_csrf_token_is_accepted(env, signed_in):
    """Control: the refusals above are for the token alone."""
    web, token, _ = signed_in
    form = _form(env, "/organisations/new").data | {"name_en": "CSRF Control University",
                                                    "csrf_token": token}
    r = web.post("/organisations/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    with session_factory(env.engine)() as s:
        assert s.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.name_en == "CSRF Control University")) == 1


@pytest.mark.parametrize("path", [p for p in FORMS if p != "/logout"])
def test_every_form_with_the_session_csrf_token_is_accepted(env, signed_in_as, path):
    """Control for each form: the same post with the token is carried out (a redirect, and
    something written)."""
    post = _form(env, path, fresh=True)
    web, token, _ = signed_in_as(post.role)
    before = snapshot(env.engine)
    r = web.post(post.url, data=post.data | {"csrf_token": token}, files=post.files,
                 follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert not r.headers["location"].startswith("/login"), r.headers["location"]
    if path != "/inbox/read":  # nothing may be left unread to mark
        assert snapshot(env.engine) != before


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

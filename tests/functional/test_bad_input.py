"""Bad input on every write endpoint of /api/v1 gets a 4xx problem+json naming the field,
never a 5xx, and writes nothing (every table, the audit log included, is unchanged)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from stdnum.jp import cn

from hozen.accounts.permissions import Role
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
from hozen.clearances.rules import AREAS, add_years
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    ComplaintAnswer,
    ComplaintCreate,
    ConsentGive,
    CorrectionCreate,
    CorrectionDecision,
    EventAssessment,
    EventCreate,
    IntakeRequest,
    Questionnaire,
)
from hozen.db import new_id, session_factory, unit_of_work, utcnow
from hozen.designations import items, proposals
from hozen.designations.models import Proposal
from hozen.designations.schemas import Decision, DesignationCreate, ItemCreate, ProposalCreate
from hozen.facilities import contract, incidents, inspections, registers
from hozen.facilities import services as facilities
from hozen.facilities.checklist import load_checklist
from hozen.facilities.models import (
    ChangeReport,
    Facility,
    Handler,
    Incident,
    InspectionFinding,
    ResearchParticipant,
)
from hozen.facilities.register_schemas import (
    IncidentCreate,
    InspectionCreate,
    SpecificationCreate,
)
from hozen.facilities.schemas import (
    ChangeDecision,
    ChangeReportCreate,
    ChecklistRecord,
    FacilityApplication,
    FacilityDecision,
    FacilityPropose,
)
from hozen.registry.models import OwnershipEdge
from tests.authenticator import code_use_left_out, with_code
from tests.clearance_helpers import favourable_decisions, full_questionnaire
from tests.conftest import wipe
from tests.factories import (
    Login,
    World,
    assert_unchanged,
    cheap_argon2,
    corporate_number,
    make_org,
    make_ownership,
    make_person,
    make_user,
    make_world,
    snapshot,
)

API = "/api/v1"
DROP = object()  # remove the key from the valid body


@dataclass(frozen=True)
class Ref:
    """An id known only once the module's data exists."""

    name: str


@dataclass
class Env:
    client: TestClient
    world: World
    engine: Engine
    ids: dict[str, str]
    logins: dict[str, Login]  # the subject of each case, signed in


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app

    wipe(engine)
    with cheap_argon2(), session_factory(engine)() as s:
        world = make_world(s)
    with unit_of_work(engine) as s:
        target = make_org(s, corporate_number=corporate_number())
        child = make_org(s, parent_id=target.id)
        holders = [make_org(s) for _ in range(3)]
        owned, fresh = make_org(s), make_org(s)
        edge_a = make_ownership(s, owned.id, holders[0].id, "60", "60").id
        edge_b = make_ownership(s, owned.id, holders[1].id, "30", "30").id  # 90% taken
        person = make_person(s, employer_id=world.company.id, family_name_kana=None,
                             given_name_kana=None, family_name_latin=None,
                             given_name_latin=None)  # names in kanji only
    ids = {"org": target.id, "child": child.id, "owned": owned.id, "fresh": fresh.id,
           "holder": holders[0].id, "holder3": holders[2].id, "edge_a": edge_a,
           "edge_b": edge_b, "person": person.id, "staff": world.staff.id,
           "company": world.company.id, "other": world.other_company.id,
           "taken_cn": world.company.corporate_number, "missing": new_id()}
    logins: dict[str, Login] = {}
    with cheap_argon2(), unit_of_work(engine) as s:
        ids |= {"gov": world.gov.id, "outsider": world.outsider.id,
                "candidate": make_person(s, employer_id=world.company.id).id,
                "jobless": make_person(s, employer_id=None).id,
                "investigator": world.users[Role.INVESTIGATOR].user_id,
                "adjudicator": world.users[Role.ADJUDICATOR].user_id}
        for name, (state, kw) in CASE_SETUP.items():
            ids[name], logins[name], ids[name + "_person"] = make_case(s, world, state, **kw)
    with unit_of_work(engine) as s:
        for name, status in CLEARANCE_SETUP.items():
            ids[name] = s.scalar(select(Clearance.id).where(Clearance.case_id == ids[name]))
            if status == "suspended":
                clearances.change_clearance(s, ids[name], "suspend", "審査中",
                                            actor=world.users[Role.ADJUDICATOR].actor)
    with unit_of_work(engine) as s:
        ids |= make_aftercare(s, world, ids, logins["complained"])
    with cheap_argon2(), unit_of_work(engine) as s:
        ids |= make_facilities(s, world, logins)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield Env(client, world, engine, ids, logins)


# --- cases of suitability assessment, moved by the real services -----------------------

TODAY = utcnow().date()  # the server's today (UTC), when the cases were collected
# (a future day is TODAY + 2: a run that collects before midnight may check after it)
STEPS = ("listed", "draft", "submitted", "investigation", "adjudication", "granted")
Q = full_questionnaire(TODAY)  # residences from 12 years ago to now, one job all along
Q_START, Q_MID = add_years(TODAY, -12), add_years(TODAY, -4)  # where its entries begin


def make_case(s, world: World, state: str, *, family: bool = True, answers="full",
              regime: str = "CESI") -> tuple[str, Login, str]:
    """A fresh person of the company with a subject user of their own, and their case moved
    to `state`. answers: the questionnaire saved in the draft ("full", None, or a dict)."""
    u = world.users
    person = make_person(s, employer_id=world.company.id, family_name_kanji="審査")
    subject = make_user(s, Role.SUBJECT, world.company.id, person.id)
    case = clearances.list_candidate(s, CandidateCreate(
        person_id=person.id, regime=regime, sponsor_id=world.gov.id),
        actor=u[Role.COMPANY_SECURITY_OFFICER].actor)
    for step in STEPS[1:STEPS.index(state) + 1]:
        if step == "draft":
            clearances.give_consent(s, case.id, ConsentGive(family_consent=family),
                                    actor=subject.actor)
            if answers is not None:
                q = full_questionnaire(TODAY, family=family) if answers == "full" else answers
                clearances.save_questionnaire(s, case.id, Questionnaire.model_validate(q),
                                              actor=subject.actor)
        elif step == "submitted":
            clearances.submit(s, case.id, actor=subject.actor)
        elif step == "investigation":
            clearances.intake(s, case.id, IntakeRequest(
                investigator_id=u[Role.INVESTIGATOR].user_id), actor=u[Role.WINDOW_OFFICER].actor)
        elif step == "adjudication":
            clearances.complete_investigation(s, case.id, actor=u[Role.INVESTIGATOR].actor)
        else:
            clearances.adjudicate(s, case.id, Adjudication.model_validate(
                favourable_decisions()), actor=u[Role.ADJUDICATOR].actor)
    assert case.state == state
    return case.id, subject, person.id


def make_aftercare(s, world: World, ids: dict, subject: Login) -> dict[str, str]:
    """An unassessed event, an open complaint and an open correction request for the
    routes to act on, and one of each already dealt with (acting again is a conflict)."""
    u, out = world.users, {}
    cso, window = u[Role.COMPANY_SECURITY_OFFICER].actor, u[Role.WINDOW_OFFICER].actor
    for name in ("event", "assessed_event"):
        out[name] = aftercare.report_event(s, EventCreate(
            person_id=ids["person"], kind="foreign_travel", occurred_on="2024-05-01",
            details="渡航届"), actor=cso).id
    aftercare.assess_event(s, out["assessed_event"], EventAssessment(adverse=False),
                           actor=window)
    for name in ("complaint", "answered_complaint"):
        out[name] = aftercare.file_complaint(s, ids["complained"], ComplaintCreate(
            kind="assessment", text="説明が不十分"), actor=subject.actor).id
    aftercare.answer_complaint(s, out["answered_complaint"], ComplaintAnswer(
        handling="確認", answer="説明しました"), actor=window)
    for name in ("correction", "decided_correction"):
        out[name] = aftercare.request_correction(s, CorrectionCreate(
            field="department", value="技術部", reason="異動"), actor=subject.actor).id
    aftercare.decide_correction(s, out["decided_correction"], CorrectionDecision(
        accepted=False, note="記録と一致"), actor=window)
    aftercare.renew_case(s, ids["renewed"], actor=cso)
    return out


def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


PARTIAL = {k: Q[k] for k in ("residences", "employment")}  # travel, accounts, areas missing
SIX_AREAS = Q | {"areas": {a: v for a, v in Q["areas"].items() if a != "finances"}}
# name: (state, options): one case, and one subject, each
CASE_SETUP = {
    "listed": ("listed", {}),  # consent
    "listed_r": ("listed", {}),  # refusal
    "draft_w": ("draft", {"answers": None}),  # withdrawal
    "draft": ("draft", {}),  # questionnaire
    "draft_nf": ("draft", {"family": False}),  # questionnaire, no consent to family checks
    "draft_s": ("draft", {}),  # submission of a complete questionnaire
    "draft_gap": ("draft", {}),  # saved with gaps, then refused at submission
    "draft_empty": ("draft", {"answers": None}),
    "draft_partial": ("draft", {"answers": PARTIAL}),
    "draft_six": ("draft", {"answers": SIX_AREAS}),
    "submitted": ("submitted", {}),  # intake
    "investigating": ("investigation", {}),  # findings
    "investigating_c": ("investigation", {}),  # investigation completion
    "adjudicating": ("adjudication", {}),
    "active": ("granted", {}),  # suspension
    "suspended": ("granted", {}),  # reinstatement
    "active_r": ("granted", {}),  # revocation
}
CASE_SETUP |= {
    "complained": ("listed", {}),  # complaints, corrections (by its subject), burden
    "renewable": ("granted", {}),  # renewal
    "renewed": ("granted", {}),  # renewed already: a second renewal is a conflict
}
# Granted cases whose clearance (same name, the case's id replaced) the routes act on.
CLEARANCE_SETUP = {"active": "active", "suspended": "suspended", "active_r": "active"}


def resolve(value, ids):
    if isinstance(value, Ref):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return value


# --- the endpoints and a valid body for each: every case breaks exactly one thing ----------

ENDPOINTS = {
    "POST /organisations": ("POST", "/organisations", {
        "kind": "company", "name_ja": "不正入力株式会社", "name_en": "Bad Input KK",
        "country_code": "JPN"}),
    "PATCH /organisations": ("PATCH", "/organisations/{org}", {"name_en": "Renamed"}),
    "POST /ownership": ("POST", "/ownership", {
        "owned_id": Ref("fresh"), "owner_organisation_id": Ref("holder"), "share_pct": "10",
        "voting_pct": "10"}),
    "PATCH /ownership": ("PATCH", "/ownership/{edge_b}", {"share_pct": "5"}),
    "DELETE /ownership": ("DELETE", "/ownership/{edge_b}", None),
    "POST /people": ("POST", "/people", {
        "family_name_kanji": "入力", "given_name_kanji": "誤", "birth_date": "1990-01-01",
        "nationalities": ["JPN"]}),
    "PATCH /people": ("PATCH", "/people/{person}", {"department": "総務部"}),
    "POST /clearance-cases": ("POST", "/clearance-cases", {
        "person_id": Ref("candidate"), "regime": "CESI", "sponsor_id": Ref("gov")}),
    "POST consent": ("POST", "/clearance-cases/{listed}/consent", {
        "family_consent": True, "declines_reasons": False}),
    "POST refusal": ("POST", "/clearance-cases/{listed_r}/refusal", None),
    "POST withdrawal": ("POST", "/clearance-cases/{draft_w}/withdrawal", None),
    "PATCH questionnaire": ("PATCH", "/clearance-cases/{draft}/questionnaire", Q),
    "PATCH questionnaire, no family consent": (
        "PATCH", "/clearance-cases/{draft_nf}/questionnaire", _without(Q, "family")),
    "POST submission": ("POST", "/clearance-cases/{draft_s}/submission", None),
    "POST intake": ("POST", "/clearance-cases/{submitted}/intake", {
        "investigator_id": Ref("investigator")}),
    "POST findings": ("POST", "/clearance-cases/{investigating}/findings", {
        "area": "finances", "severity": "minor", "found_on": "2024-01-10",
        "source": "信用情報機関", "summary": "返済遅延1件"}),
    "POST investigation-completion": (
        "POST", "/clearance-cases/{investigating_c}/investigation-completion", None),
    "POST adjudication": ("POST", "/clearance-cases/{adjudicating}/adjudication",
                          favourable_decisions()),
    "POST suspension": ("POST", "/clearances/{active}/suspension", {"reason": "調査中"}),
    "POST reinstatement": ("POST", "/clearances/{suspended}/reinstatement",
                           {"reason": "調査終了"}),
    "POST revocation": ("POST", "/clearances/{active_r}/revocation", {"reason": "重大な違反"}),
    "POST reportable-events": ("POST", "/reportable-events", {
        "person_id": Ref("staff"), "kind": "arrest", "occurred_on": "2024-03-01",
        "details": "逮捕の報告"}),
    "POST assessment": ("POST", "/reportable-events/{event}/assessment", {"adverse": True}),
    "POST complaints": ("POST", "/clearance-cases/{complained}/complaints", {
        "kind": "employer_treatment", "text": "配置転換された"}),
    "POST answer": ("POST", "/complaints/{complaint}/answer", {
        "handling": "会社に照会", "answer": "是正を指導しました"}),
    "POST corrections": ("POST", "/me/corrections", {
        "field": "title", "value": "主任", "reason": "昇任のため"}),
    "POST decision": ("POST", "/corrections/{correction}/decision", {
        "accepted": True, "note": "人事記録で確認"}),
    "POST burden": ("POST", "/clearance-cases/{complained}/burden", {
        "step": "intake", "party": "window", "minutes": 30, "cost_yen": 0,
        "allowance_yen": 0}),
    "POST renewal": ("POST", "/clearance-cases/{renewable}/renewal", None),
}
# Who sends each endpoint's requests: a role's user, or the subject of the case named.
WHO: dict[str, Role | str] = {
    "POST /clearance-cases": Role.COMPANY_SECURITY_OFFICER,
    "POST consent": "listed", "POST refusal": "listed_r", "POST withdrawal": "draft_w",
    "PATCH questionnaire": "draft", "PATCH questionnaire, no family consent": "draft_nf",
    "POST submission": "draft_s",
    "POST intake": Role.WINDOW_OFFICER,
    "POST findings": Role.INVESTIGATOR, "POST investigation-completion": Role.INVESTIGATOR,
    "POST adjudication": Role.ADJUDICATOR, "POST suspension": Role.ADJUDICATOR,
    "POST reinstatement": Role.ADJUDICATOR, "POST revocation": Role.ADJUDICATOR,
    "POST reportable-events": Role.COMPANY_SECURITY_OFFICER,
    "POST complaints": "complained", "POST corrections": "complained",
    "POST renewal": Role.COMPANY_SECURITY_OFFICER,
}

LONG = "あ" * 101
LONG_TEXT = "x" * 201
BAD_CN = (lambda n: str((int(n[0]) + 1) % 10) + n[1:])(cn.calc_check_digit("1" * 12) + "1" * 12)
SURROGATE = "\ud800"  # a lone surrogate: valid JSON escape, not a valid character

CASES = [
    # endpoint, label, changes to the valid body, the field that must be named[, role]
    ("POST /organisations", "kind wrong type", {"kind": 7}, "kind"),
    ("POST /organisations", "kind unknown", {"kind": "bank"}, "kind"),
    ("POST /organisations", "kind null", {"kind": None}, "kind"),
    ("POST /organisations", "kind missing", {"kind": DROP}, "kind"),
    ("POST /organisations", "name_ja missing", {"name_ja": DROP}, "name_ja"),
    ("POST /organisations", "name_ja empty", {"name_ja": ""}, "name_ja"),
    ("POST /organisations", "name_ja blank", {"name_ja": "   "}, "name_ja"),
    ("POST /organisations", "name_ja too long", {"name_ja": LONG_TEXT}, "name_ja"),
    ("POST /organisations", "name_ja a list", {"name_ja": ["株式会社"]}, "name_ja"),
    ("POST /organisations", "name_ja NUL", {"name_ja": "不正\x00株式会社"}, "name_ja"),
    ("POST /organisations", "name_en surrogate", {"name_en": SURROGATE}, "name_en"),
    ("POST /organisations", "name_en missing", {"name_en": DROP}, "name_en"),
    ("POST /organisations", "name_en too long", {"name_en": LONG_TEXT}, "name_en"),
    ("POST /organisations", "name_en number", {"name_en": 5}, "name_en"),
    ("POST /organisations", "country missing", {"country_code": DROP}, "country_code"),
    ("POST /organisations", "country unknown", {"country_code": "XXX"}, "country_code"),
    ("POST /organisations", "country lower case", {"country_code": "jpn"}, "country_code"),
    ("POST /organisations", "country alpha-2", {"country_code": "JP"}, "country_code"),
    ("POST /organisations", "country numeric", {"country_code": 392}, "country_code"),
    ("POST /organisations", "foreign kind at home", {"kind": "foreign_company"}, "country_code"),
    ("POST /organisations", "company abroad", {"country_code": "USA"}, "kind"),
    ("POST /organisations", "cn check digit", {"corporate_number": BAD_CN}, "corporate_number"),
    ("POST /organisations", "cn 12 digits", {"corporate_number": "1" * 12},
     "corporate_number"),
    ("POST /organisations", "cn letters", {"corporate_number": "ABCDEFGHIJKLM"},
     "corporate_number"),
    ("POST /organisations", "cn too long", {"corporate_number": "1" * 21}, "corporate_number"),
    ("POST /organisations", "cn as number", {"corporate_number": 1234567890123},
     "corporate_number"),
    ("POST /organisations", "cn taken", {"corporate_number": Ref("taken_cn")},
     "corporate_number"),
    ("POST /organisations", "parent unknown", {"parent_id": Ref("missing")}, "parent_id"),
    ("POST /organisations", "parent too long", {"parent_id": "p" * 37}, "parent_id"),
    ("POST /organisations", "parent number", {"parent_id": 5}, "parent_id"),
    ("POST /organisations", "extra id", {"id": "chosen-by-caller"}, "id"),
    ("POST /organisations", "extra version", {"version": 1}, "version"),

    ("PATCH /organisations", "kind wrong type", {"kind": 7}, "kind"),
    ("PATCH /organisations", "kind unknown", {"kind": "bank"}, "kind"),
    ("PATCH /organisations", "kind null", {"kind": None}, "kind"),
    ("PATCH /organisations", "name_ja empty", {"name_ja": ""}, "name_ja"),
    ("PATCH /organisations", "name_ja null", {"name_ja": None}, "name_ja"),
    ("PATCH /organisations", "name_ja NUL", {"name_ja": "改\x00名"}, "name_ja"),
    ("PATCH /organisations", "name_en too long", {"name_en": LONG_TEXT}, "name_en"),
    ("PATCH /organisations", "country unknown", {"country_code": "XXX"}, "country_code"),
    ("PATCH /organisations", "country null", {"country_code": None}, "country_code"),
    ("PATCH /organisations", "company abroad", {"country_code": "USA"}, "kind"),
    ("PATCH /organisations", "cn check digit", {"corporate_number": BAD_CN},
     "corporate_number"),
    ("PATCH /organisations", "cn taken", {"corporate_number": Ref("taken_cn")},
     "corporate_number"),
    ("PATCH /organisations", "own parent", {"parent_id": Ref("org")}, "parent_id"),
    ("PATCH /organisations", "parent cycle", {"parent_id": Ref("child")}, "parent_id"),
    ("PATCH /organisations", "parent unknown", {"parent_id": Ref("missing")}, "parent_id"),
    ("PATCH /organisations", "version text", {"version": "first"}, "version"),
    ("PATCH /organisations", "version stale", {"version": 99}, "version"),
    ("PATCH /organisations", "extra id", {"id": Ref("missing")}, "id"),
    ("PATCH /organisations", "extra created_at", {"created_at": "2020-01-01T00:00:00Z"},
     "created_at"),

    ("POST /ownership", "owned missing", {"owned_id": DROP}, "owned_id"),
    ("POST /ownership", "owned unknown", {"owned_id": Ref("missing")}, "owned_id"),
    ("POST /ownership", "owned empty", {"owned_id": ""}, "owned_id"),
    ("POST /ownership", "owned too long", {"owned_id": "o" * 37}, "owned_id"),
    ("POST /ownership", "owned number", {"owned_id": 5}, "owned_id"),
    ("POST /ownership", "no owner", {"owner_organisation_id": DROP}, "owner_organisation_id"),
    ("POST /ownership", "two owners", {"owner_person_id": Ref("staff")},
     "owner_organisation_id"),
    ("POST /ownership", "owner org unknown", {"owner_organisation_id": Ref("missing")},
     "owner_organisation_id"),
    ("POST /ownership", "owner person unknown",
     {"owner_organisation_id": DROP, "owner_person_id": Ref("missing")}, "owner_person_id"),
    ("POST /ownership", "owns itself", {"owner_organisation_id": Ref("fresh")},
     "owner_organisation_id"),
    ("POST /ownership", "owner already holds", {"owned_id": Ref("owned")},
     "owner_organisation_id"),
    ("POST /ownership", "share missing", {"share_pct": DROP}, "share_pct"),
    ("POST /ownership", "voting missing", {"voting_pct": DROP}, "voting_pct"),
    ("POST /ownership", "share text", {"share_pct": "ten"}, "share_pct"),
    ("POST /ownership", "share bool", {"share_pct": True}, "share_pct"),
    ("POST /ownership", "share list", {"share_pct": [10]}, "share_pct"),
    ("POST /ownership", "share null", {"share_pct": None}, "share_pct"),
    ("POST /ownership", "share NaN", {"share_pct": "NaN"}, "share_pct"),
    ("POST /ownership", "share infinite", {"share_pct": "Infinity"}, "share_pct"),
    ("POST /ownership", "share over 100", {"share_pct": "100.0001"}, "share_pct"),
    ("POST /ownership", "voting over 100", {"voting_pct": 101}, "voting_pct"),
    ("POST /ownership", "share negative", {"share_pct": "-0.5"}, "share_pct"),
    ("POST /ownership", "voting negative", {"voting_pct": -1}, "voting_pct"),
    ("POST /ownership", "share too precise", {"share_pct": "10.00001"}, "share_pct"),
    ("POST /ownership", "share too many digits", {"share_pct": "1000000"}, "share_pct"),
    ("POST /ownership", "nothing held", {"share_pct": "0", "voting_pct": "0"}, "share_pct"),
    ("POST /ownership", "share total over 100",
     {"owned_id": Ref("owned"), "owner_organisation_id": Ref("holder3"), "share_pct": "10.5",
      "voting_pct": "5"}, "share_pct"),
    ("POST /ownership", "voting total over 100",
     {"owned_id": Ref("owned"), "owner_organisation_id": Ref("holder3"), "share_pct": "5",
      "voting_pct": "10.0001"}, "voting_pct"),
    ("POST /ownership", "extra id", {"id": "mine"}, "id"),

    ("PATCH /ownership", "share text", {"share_pct": "half"}, "share_pct"),
    ("PATCH /ownership", "share over 100", {"share_pct": 150}, "share_pct"),
    ("PATCH /ownership", "voting negative", {"voting_pct": "-3"}, "voting_pct"),
    ("PATCH /ownership", "share NaN", {"share_pct": "NaN"}, "share_pct"),
    ("PATCH /ownership", "nothing held", {"share_pct": 0, "voting_pct": 0}, "share_pct"),
    ("PATCH /ownership", "share total over 100", {"share_pct": "40.0001"}, "share_pct"),
    ("PATCH /ownership", "voting total over 100", {"share_pct": DROP, "voting_pct": 41},
     "voting_pct"),
    ("PATCH /ownership", "owned not changeable", {"owned_id": Ref("fresh")}, "owned_id"),
    ("PATCH /ownership", "owner not changeable", {"owner_organisation_id": Ref("holder3")},
     "owner_organisation_id"),

    ("POST /people", "birth missing", {"birth_date": DROP}, "birth_date"),
    ("POST /people", "birth null", {"birth_date": None}, "birth_date"),
    ("POST /people", "birth empty", {"birth_date": ""}, "birth_date"),
    ("POST /people", "birth text", {"birth_date": "next Tuesday"}, "birth_date"),
    ("POST /people", "birth number", {"birth_date": 19900101}, "birth_date"),
    ("POST /people", "birth 30 Feb", {"birth_date": "1990-02-30"}, "birth_date"),
    ("POST /people", "birth month 13", {"birth_date": "平成2年13月1日"}, "birth_date"),
    ("POST /people", "birth after its era", {"birth_date": "H31.5.1"}, "birth_date"),
    ("POST /people", "birth era year 0", {"birth_date": "平成0年1月1日"}, "birth_date"),
    ("POST /people", "birth in future", {"birth_date": "2999-01-01"}, "birth_date"),
    ("POST /people", "birth too early", {"birth_date": "1899-12-31"}, "birth_date"),
    ("POST /people", "birth too long", {"birth_date": "1" * 41}, "birth_date"),
    ("POST /people", "nationalities missing", {"nationalities": DROP}, "nationalities"),
    ("POST /people", "nationalities empty", {"nationalities": []}, "nationalities"),
    ("POST /people", "nationality unknown", {"nationalities": ["XXX"]}, "nationalities"),
    ("POST /people", "nationality lower", {"nationalities": ["jpn"]}, "nationalities"),
    ("POST /people", "nationality number", {"nationalities": [392]}, "nationalities"),
    ("POST /people", "nationalities a string", {"nationalities": "JPN"}, "nationalities"),
    ("POST /people", "nationality twice", {"nationalities": ["JPN", "JPN"]}, "nationalities"),
    ("POST /people", "nationalities 11", {"nationalities": ["JPN"] * 11}, "nationalities"),
    ("POST /people", "former unknown", {"former_nationalities": ["ZZZ"]},
     "former_nationalities"),
    ("POST /people", "former also current", {"former_nationalities": ["JPN"]},
     "former_nationalities"),
    ("POST /people", "no name", {"family_name_kanji": DROP, "given_name_kanji": DROP},
     "family_name_kanji"),
    ("POST /people", "given kanji missing", {"given_name_kanji": DROP}, "given_name_kanji"),
    ("POST /people", "half a Latin name",
     {"family_name_kanji": DROP, "given_name_kanji": DROP, "family_name_latin": "Ito"},
     "given_name_latin"),
    ("POST /people", "kana with kanji", {"family_name_kana": "山田"}, "family_name_kana"),
    ("POST /people", "Latin with kanji", {"family_name_latin": "Ya田"}, "family_name_latin"),
    ("POST /people", "kanji too long", {"family_name_kanji": LONG}, "family_name_kanji"),
    ("POST /people", "kanji number", {"family_name_kanji": 5}, "family_name_kanji"),
    ("POST /people", "kanji NUL", {"family_name_kanji": "入\x00力"}, "family_name_kanji"),
    ("POST /people", "kanji surrogate", {"given_name_kanji": SURROGATE}, "given_name_kanji"),
    ("POST /people", "department too long", {"department": LONG_TEXT}, "department"),
    ("POST /people", "title too long", {"title": LONG_TEXT}, "title"),
    ("POST /people", "employer unknown", {"employer_id": Ref("missing")}, "employer_id"),
    ("POST /people", "employer too long", {"employer_id": "e" * 37}, "employer_id"),
    ("POST /people", "employer of another company", {"employer_id": Ref("other")},
     "employer_id", Role.COMPANY_SECURITY_OFFICER),
    ("POST /people", "extra id", {"id": "mine"}, "id"),
    ("POST /people", "extra pii", {"pii": "AAAA"}, "pii"),
    ("POST /people", "my number never collected", {"individual_number": "123456789018"},
     "individual_number"),

    ("PATCH /people", "birth text", {"birth_date": "yesterday"}, "birth_date"),
    ("PATCH /people", "birth null", {"birth_date": None}, "birth_date"),
    ("PATCH /people", "birth in future", {"birth_date": "R99.1.1"}, "birth_date"),
    ("PATCH /people", "nationalities empty", {"nationalities": []}, "nationalities"),
    ("PATCH /people", "nationality unknown", {"nationalities": ["XXX"]}, "nationalities"),
    ("PATCH /people", "former also current", {"former_nationalities": ["JPN"]},
     "former_nationalities"),
    ("PATCH /people", "former unknown", {"former_nationalities": ["QQQ"]},
     "former_nationalities"),
    ("PATCH /people", "name removed", {"family_name_kanji": None}, "family_name_kanji"),
    ("PATCH /people", "kana with kanji", {"given_name_kana": "太郎"}, "given_name_kana"),
    ("PATCH /people", "kanji too long", {"given_name_kanji": LONG}, "given_name_kanji"),
    ("PATCH /people", "department too long", {"department": LONG_TEXT}, "department"),
    ("PATCH /people", "employer unknown", {"employer_id": Ref("missing")}, "employer_id"),
    ("PATCH /people", "moved to another company", {"employer_id": Ref("other")},
     "employer_id", Role.COMPANY_SECURITY_OFFICER),
    ("PATCH /people", "version text", {"version": "v1"}, "version"),
    ("PATCH /people", "version stale", {"version": 99}, "version"),
    ("PATCH /people", "extra id", {"id": Ref("missing")}, "id"),
    ("PATCH /people", "extra employer name", {"employer": "Acme"}, "employer"),
]


# --- suitability assessment -----------------------------------------------------------------


def entry(section: str, i: int = 0, **changes) -> list[dict]:
    """The section of the valid questionnaire with entry i changed (DROP removes a key)."""
    out = [dict(e) for e in Q[section]]
    out[i] = {k: v for k, v in (out[i] | changes).items() if v is not DROP}
    return out


def answer(area: str, **changes) -> dict:
    """The valid answers to the seven areas, one changed (DROP removes a key)."""
    changed = {k: v for k, v in (Q["areas"][area] | changes).items() if v is not DROP}
    return Q["areas"] | {area: changed}


def decision(i: int = 0, **changes) -> list[dict]:
    out = [dict(d) for d in favourable_decisions()["decisions"]]
    out[i] = {k: v for k, v in (out[i] | changes).items() if v is not DROP}
    return out


def day(d, days: int = 0) -> str:
    return (d + timedelta(days=days)).isoformat()


FUTURE = day(TODAY, 30)
ACCOUNT = {"country_code": "USA", "institution": "First Bank of Hawaii"}
DECISIONS = favourable_decisions()["decisions"]
QN, QN_NF = "PATCH questionnaire", "PATCH questionnaire, no family consent"
LONG_4000 = "x" * 4001

CASES += [
    ("POST /clearance-cases", "person missing", {"person_id": DROP}, "person_id"),
    ("POST /clearance-cases", "person unknown", {"person_id": Ref("missing")}, "person_id"),
    ("POST /clearance-cases", "person too long", {"person_id": "p" * 37}, "person_id"),
    ("POST /clearance-cases", "person number", {"person_id": 5}, "person_id"),
    ("POST /clearance-cases", "person null", {"person_id": None}, "person_id"),
    ("POST /clearance-cases", "person of another company", {"person_id": Ref("outsider")},
     "person_id"),
    ("POST /clearance-cases", "person without employer", {"person_id": Ref("jobless")},
     "person_id", Role.AGENCY_OFFICIAL),
    ("POST /clearance-cases", "case already open", {"person_id": Ref("listed_person")},
     "person_id"),
    ("POST /clearance-cases", "regime missing", {"regime": DROP}, "regime"),
    ("POST /clearance-cases", "regime unknown", {"regime": "TOP_SECRET"}, "regime"),
    ("POST /clearance-cases", "regime lower case", {"regime": "cesi"}, "regime"),
    ("POST /clearance-cases", "regime CUI (a separate route)", {"regime": "CUI"}, "regime"),
    ("POST /clearance-cases", "regime number", {"regime": 1}, "regime"),
    ("POST /clearance-cases", "regime list", {"regime": ["CESI"]}, "regime"),
    ("POST /clearance-cases", "sponsor missing", {"sponsor_id": DROP}, "sponsor_id"),
    ("POST /clearance-cases", "sponsor unknown", {"sponsor_id": Ref("missing")}, "sponsor_id"),
    ("POST /clearance-cases", "sponsor a company", {"sponsor_id": Ref("company")},
     "sponsor_id"),
    ("POST /clearance-cases", "sponsor too long", {"sponsor_id": "s" * 37}, "sponsor_id"),
    ("POST /clearance-cases", "sponsor NUL", {"sponsor_id": "s\x00s"}, "sponsor_id"),
    ("POST /clearance-cases", "extra state", {"state": "granted"}, "state"),
    ("POST /clearance-cases", "extra employer", {"employer_id": Ref("other")}, "employer_id"),
    ("POST /clearance-cases", "extra name", {"family_name": "山田"}, "family_name"),

    ("POST consent", "family consent missing", {"family_consent": DROP}, "family_consent"),
    ("POST consent", "family consent null", {"family_consent": None}, "family_consent"),
    ("POST consent", "family consent text", {"family_consent": "maybe"}, "family_consent"),
    ("POST consent", "family consent number", {"family_consent": 2}, "family_consent"),
    ("POST consent", "family consent list", {"family_consent": [True]}, "family_consent"),
    ("POST consent", "declines reasons text", {"declines_reasons": "perhaps"},
     "declines_reasons"),
    ("POST consent", "declines reasons object", {"declines_reasons": {}}, "declines_reasons"),
    ("POST consent", "extra consent date", {"consented_at": "2020-01-01T00:00:00Z"},
     "consented_at"),
    ("POST consent", "extra state", {"state": "submitted"}, "state"),

    # the questionnaire: types, sizes, extra fields
    (QN, "residences not a list", {"residences": "東京都"}, "residences"),
    (QN, "residences 51", {"residences": Q["residences"][1:] * 51}, "residences"),
    (QN, "residence start missing", {"residences": entry("residences", start=DROP)},
     "residences.0.start"),
    (QN, "residence start text", {"residences": entry("residences", start="spring 2014")},
     "residences.0.start"),
    (QN, "residence start 30 Feb", {"residences": entry("residences", start="2015-02-30")},
     "residences.0.start"),
    (QN, "residence start number", {"residences": entry("residences", start=20140101)},
     "residences.0.start"),
    (QN, "residence address empty", {"residences": entry("residences", address="")},
     "residences.0.address"),
    (QN, "residence address too long", {"residences": entry("residences", address=LONG_TEXT)},
     "residences.0.address"),
    (QN, "residence address NUL", {"residences": entry("residences", address="東京\x00都")},
     "residences.0.address"),
    (QN, "residence extra field", {"residences": entry("residences", phone="03-0000-0000")},
     "residences.0.phone"),
    # the questionnaire: dates
    (QN, "residence starts in the future", {"residences": entry("residences", 1, start=FUTURE)},
     "residences.1"),
    (QN, "residence ends in the future", {"residences": entry("residences", end=FUTURE)},
     "residences.0"),
    (QN, "residence ends before it starts",
     {"residences": entry("residences", end=day(Q_START, -1))}, "residences.0"),
    (QN, "residences overlap", {"residences": entry("residences", end=day(Q_MID, 10))},
     "residences"),
    (QN, "residences overlap by a day", {"residences": entry("residences", end=day(Q_MID))},
     "residences"),
    (QN, "job starts in the future", {"employment": entry("employment", start=FUTURE)},
     "employment.0"),
    (QN, "job ends in the future", {"employment": entry("employment", end=FUTURE)},
     "employment.0"),
    (QN, "job ends before it starts", {"employment": entry("employment", end=day(Q_START, -1))},
     "employment.0"),
    (QN, "job kind unknown", {"employment": entry("employment", kind="spy")}, "employment.0.kind"),
    (QN, "job employer too long", {"employment": entry("employment", employer=LONG_TEXT)},
     "employment.0.employer"),
    (QN, "job title number", {"employment": entry("employment", title=7)}, "employment.0.title"),
    (QN, "trip ends in the future", {"travel": entry("travel", end=FUTURE)}, "travel.0"),
    (QN, "trip in the future", {"travel": entry("travel", start=FUTURE,
                                                end=day(TODAY, 35))}, "travel.0"),
    (QN, "trip ends before it starts", {"travel": entry("travel", end="2023-07-31")},
     "travel.0"),
    (QN, "trip end missing", {"travel": entry("travel", end=DROP)}, "travel.0.end"),
    (QN, "trip starts 31 April", {"travel": entry("travel", start="2023-04-31")},
     "travel.0.start"),
    (QN, "trip purpose missing", {"travel": entry("travel", purpose=DROP)}, "travel.0.purpose"),
    (QN, "trip purpose too long", {"travel": entry("travel", purpose=LONG_TEXT)},
     "travel.0.purpose"),
    (QN, "travel an object", {"travel": Q["travel"][0]}, "travel"),
    # the questionnaire: countries and nationalities
    (QN, "residence country unknown", {"residences": entry("residences", country_code="XXX")},
     "residences.0.country_code"),
    (QN, "residence country lower case",
     {"residences": entry("residences", 1, country_code="jpn")}, "residences.1.country_code"),
    (QN, "residence country alpha-2", {"residences": entry("residences", country_code="JP")},
     "residences.0.country_code"),
    (QN, "trip country unknown", {"travel": entry("travel", country_code="XXX")},
     "travel.0.country_code"),
    (QN, "trip country number", {"travel": entry("travel", country_code=840)},
     "travel.0.country_code"),
    (QN, "account country unknown",
     {"foreign_accounts": [ACCOUNT | {"country_code": "XXX"}]}, "foreign_accounts.0.country_code"),
    (QN, "account country lower case",
     {"foreign_accounts": [ACCOUNT | {"country_code": "usa"}]}, "foreign_accounts.0.country_code"),
    (QN, "account institution missing", {"foreign_accounts": [_without(ACCOUNT, "institution")]},
     "foreign_accounts.0.institution"),
    (QN, "account institution too long",
     {"foreign_accounts": [ACCOUNT | {"institution": LONG_TEXT}]},
     "foreign_accounts.0.institution"),
    (QN, "account extra number", {"foreign_accounts": [ACCOUNT | {"account_number": "123"}]},
     "foreign_accounts.0.account_number"),
    (QN, "accounts 21", {"foreign_accounts": [ACCOUNT] * 21}, "foreign_accounts"),
    (QN, "family nationality unknown", {"family": entry("family", nationalities=["XXX"])},
     "family.0.nationalities"),
    (QN, "family second nationality unknown",
     {"family": entry("family", nationalities=["JPN", "QQQ"])}, "family.0.nationalities"),
    (QN, "family former nationality unknown",
     {"family": entry("family", former_nationalities=["ZZZ"])},
     "family.0.former_nationalities"),
    (QN, "family nationality lower case", {"family": entry("family", nationalities=["jpn"])},
     "family.0.nationalities"),
    (QN, "family nationalities empty", {"family": entry("family", nationalities=[])},
     "family.0.nationalities"),
    (QN, "family nationalities missing", {"family": entry("family", nationalities=DROP)},
     "family.0.nationalities"),
    (QN, "family nationalities a string", {"family": entry("family", nationalities="JPN")},
     "family.0.nationalities"),
    (QN, "family nationalities 11", {"family": entry("family", nationalities=["JPN"] * 11)},
     "family.0.nationalities"),
    # the questionnaire: family members
    (QN, "family member born in the future", {"family": entry("family", birth_date=FUTURE)},
     "family.0.birth_date"),
    (QN, "family birth missing", {"family": entry("family", birth_date=DROP)},
     "family.0.birth_date"),
    (QN, "family birth 30 Feb", {"family": entry("family", birth_date="1982-02-30")},
     "family.0.birth_date"),
    (QN, "family relation unknown", {"family": entry("family", relation="cousin")},
     "family.0.relation"),
    (QN, "family relation missing", {"family": entry("family", relation=DROP)},
     "family.0.relation"),
    (QN, "family name too long", {"family": entry("family", family_name=LONG_TEXT)},
     "family.0.family_name"),
    (QN, "family given name missing", {"family": entry("family", given_name=DROP)},
     "family.0.given_name"),
    (QN, "family address too long", {"family": entry("family", address=LONG_TEXT)},
     "family.0.address"),
    (QN, "family extra field", {"family": entry("family", religion="x")}, "family.0.religion"),
    (QN, "family 31", {"family": Q["family"] * 31}, "family"),
    (QN_NF, "family without consent to family checks", {"family": Q["family"]}, "family"),
    # the questionnaire: the seven areas, and nothing else
    (QN, "area unknown", {"areas": Q["areas"] | {"espionage": {"yes": False}}}, "areas"),
    (QN, "area misspelt", {"areas": _without(Q["areas"], "drugs") | {"drug": {"yes": False}}},
     "areas"),
    (QN, "area answer text", {"areas": answer("finances", yes="maybe")}, "areas.finances.yes"),
    (QN, "area answer missing", {"areas": answer("finances", yes=DROP)}, "areas.finances.yes"),
    (QN, "area details too long", {"areas": answer("finances", details=LONG_4000)},
     "areas.finances.details"),
    (QN, "area details number", {"areas": answer("alcohol", details=3)}, "areas.alcohol.details"),
    (QN, "area extra field", {"areas": answer("drugs", source="x")}, "areas.drugs.source"),
    (QN, "areas a list", {"areas": list(AREAS)}, "areas"),
    (QN, "section not asked", {"religion": "仏教"}, "religion"),
    (QN, "my number not asked", {"individual_number": "123456789018"}, "individual_number"),
    (QN, "extra state", {"state": "submitted"}, "state"),

    ("POST intake", "investigator unknown", {"investigator_id": Ref("missing")},
     "investigator_id"),
    ("POST intake", "investigator not an investigator", {"investigator_id": Ref("adjudicator")},
     "investigator_id"),
    ("POST intake", "investigator missing (nothing to reuse)", {"investigator_id": DROP},
     "investigator_id"),
    ("POST intake", "investigator null", {"investigator_id": None}, "investigator_id"),
    ("POST intake", "investigator empty", {"investigator_id": ""}, "investigator_id"),
    ("POST intake", "investigator too long", {"investigator_id": "i" * 37}, "investigator_id"),
    ("POST intake", "investigator number", {"investigator_id": 5}, "investigator_id"),
    ("POST intake", "investigator NUL", {"investigator_id": "i\x00"}, "investigator_id"),
    ("POST intake", "extra deadline", {"deadline": "2030-01-01"}, "deadline"),

    ("POST findings", "area missing", {"area": DROP}, "area"),
    ("POST findings", "area unknown", {"area": "espionage"}, "area"),
    ("POST findings", "area number", {"area": 3}, "area"),
    ("POST findings", "area null", {"area": None}, "area"),
    ("POST findings", "severity unknown", {"severity": "catastrophic"}, "severity"),
    ("POST findings", "severity missing", {"severity": DROP}, "severity"),
    ("POST findings", "found in the future", {"found_on": FUTURE}, "found_on"),
    ("POST findings", "found in the future", {"found_on": day(TODAY, 2)}, "found_on"),
    ("POST findings", "found 30 Feb", {"found_on": "2024-02-30"}, "found_on"),
    ("POST findings", "found text", {"found_on": "last week"}, "found_on"),
    ("POST findings", "found missing", {"found_on": DROP}, "found_on"),
    ("POST findings", "found number", {"found_on": 20240110}, "found_on"),
    ("POST findings", "source missing", {"source": DROP}, "source"),
    ("POST findings", "source empty", {"source": ""}, "source"),
    ("POST findings", "source blank", {"source": "   "}, "source"),
    ("POST findings", "source too long", {"source": LONG_TEXT}, "source"),
    ("POST findings", "summary missing", {"summary": DROP}, "summary"),
    ("POST findings", "summary too long", {"summary": LONG_4000}, "summary"),
    ("POST findings", "summary list", {"summary": ["返済遅延"]}, "summary"),
    ("POST findings", "summary NUL", {"summary": "返済\x00遅延"}, "summary"),
    ("POST findings", "extra recorded_by", {"recorded_by": Ref("adjudicator")}, "recorded_by"),

    ("POST adjudication", "decisions missing", {"decisions": DROP}, "decisions"),
    ("POST adjudication", "decisions empty", {"decisions": []}, "decisions"),
    ("POST adjudication", "six areas decided", {"decisions": DECISIONS[:6]}, "decisions"),
    ("POST adjudication", "one area only", {"decisions": DECISIONS[:1]}, "decisions"),
    ("POST adjudication", "an area twice, one missing",
     {"decisions": DECISIONS[:6] + DECISIONS[:1]}, "decisions"),
    ("POST adjudication", "eight decisions", {"decisions": DECISIONS + DECISIONS[:1]},
     "decisions"),
    ("POST adjudication", "decisions an object", {"decisions": DECISIONS[0]}, "decisions"),
    ("POST adjudication", "area unknown", {"decisions": decision(area="espionage")},
     "decisions.0.area"),
    ("POST adjudication", "area missing", {"decisions": decision(2, area=DROP)},
     "decisions.2.area"),
    ("POST adjudication", "favourable text", {"decisions": decision(favourable="maybe")},
     "decisions.0.favourable"),
    ("POST adjudication", "favourable missing", {"decisions": decision(favourable=DROP)},
     "decisions.0.favourable"),
    ("POST adjudication", "reasons empty", {"decisions": decision(reasons="")},
     "decisions.0.reasons"),
    ("POST adjudication", "reasons blank", {"decisions": decision(6, reasons="  ")},
     "decisions.6.reasons"),
    ("POST adjudication", "reasons missing", {"decisions": decision(reasons=DROP)},
     "decisions.0.reasons"),
    ("POST adjudication", "reasons too long", {"decisions": decision(reasons=LONG_4000)},
     "decisions.0.reasons"),
    ("POST adjudication", "reasons NUL", {"decisions": decision(reasons="問題\x00なし")},
     "decisions.0.reasons"),
    ("POST adjudication", "decision extra field",
     {"decisions": decision(adjudicator_id=Ref("investigator"))}, "decisions.0.adjudicator_id"),
    ("POST adjudication", "extra outcome", {"outcome": "granted"}, "outcome"),
    ("POST adjudication", "extra valid_until", {"valid_until": "2099-01-01"}, "valid_until"),
]
for _endpoint in ("POST suspension", "POST reinstatement", "POST revocation"):
    CASES += [
        (_endpoint, "reason missing", {"reason": DROP}, "reason"),
        (_endpoint, "reason empty", {"reason": ""}, "reason"),
        (_endpoint, "reason blank", {"reason": " \u3000 "}, "reason"),
        (_endpoint, "reason null", {"reason": None}, "reason"),
        (_endpoint, "reason number", {"reason": 7}, "reason"),
        (_endpoint, "reason too long", {"reason": "x" * 2001}, "reason"),
        (_endpoint, "reason NUL", {"reason": "理\x00由"}, "reason"),
        (_endpoint, "extra status", {"status": "active"}, "status"),
        (_endpoint, "extra valid_until", {"valid_until": "2099-01-01"}, "valid_until"),
    ]

# --- continuous evaluation, complaints, corrections, burden -------------------------------

EV, BURDEN = "POST reportable-events", "POST burden"
LONG_8000 = "x" * 8001
# Booleans are strict: an explicit true or false, never a word, a number or a string.
NOT_BOOLEANS = [("text yes", "yes"), ("number 1", 1), ("number 0", 0), ('string "true"', "true"),
                ('string "false"', "false"), ("null", None), ("list", [True]),
                ("missing", DROP)]
CASES += [
    (EV, "person missing", {"person_id": DROP}, "person_id"),
    (EV, "person unknown", {"person_id": Ref("missing")}, "person_id"),
    (EV, "person too long", {"person_id": "p" * 37}, "person_id"),
    (EV, "person number", {"person_id": 5}, "person_id"),
    (EV, "person null", {"person_id": None}, "person_id"),
    (EV, "person empty", {"person_id": ""}, "person_id"),
    (EV, "person NUL", {"person_id": "p\x00p"}, "person_id"),
    (EV, "person of another company", {"person_id": Ref("outsider")}, "person_id"),
    (EV, "subject about someone else", {"person_id": Ref("staff")}, "person_id", "complained"),
    (EV, "kind missing", {"kind": DROP}, "kind"),
    (EV, "kind unknown", {"kind": "espionage"}, "kind"),
    (EV, "kind upper case", {"kind": "ARREST"}, "kind"),
    (EV, "kind number", {"kind": 3}, "kind"),
    (EV, "kind null", {"kind": None}, "kind"),
    (EV, "occurred in the future", {"occurred_on": FUTURE}, "occurred_on"),
    (EV, "occurred in the future", {"occurred_on": day(TODAY, 2)}, "occurred_on"),
    (EV, "occurred 30 Feb", {"occurred_on": "2024-02-30"}, "occurred_on"),
    (EV, "occurred text", {"occurred_on": "last week"}, "occurred_on"),
    (EV, "occurred number", {"occurred_on": 20240301}, "occurred_on"),
    (EV, "occurred missing", {"occurred_on": DROP}, "occurred_on"),
    (EV, "occurred null", {"occurred_on": None}, "occurred_on"),
    (EV, "details missing", {"details": DROP}, "details"),
    (EV, "details empty", {"details": ""}, "details"),
    (EV, "details blank", {"details": "   "}, "details"),
    (EV, "details too long", {"details": LONG_4000}, "details"),
    (EV, "details list", {"details": ["逮捕"]}, "details"),
    (EV, "details NUL", {"details": "逮\x00捕"}, "details"),
    (EV, "extra adverse", {"adverse": False}, "adverse"),
    (EV, "extra reported_by", {"reported_by": Ref("investigator")}, "reported_by"),

    *[("POST assessment", f"adverse {label}", {"adverse": value}, "adverse")
      for label, value in NOT_BOOLEANS],
    ("POST assessment", "extra assessed_by", {"assessed_by": Ref("adjudicator")},
     "assessed_by"),
    ("POST assessment", "extra reopen", {"reopen": False}, "reopen"),

    ("POST complaints", "kind missing", {"kind": DROP}, "kind"),
    ("POST complaints", "kind unknown", {"kind": "other"}, "kind"),
    ("POST complaints", "kind number", {"kind": 1}, "kind"),
    ("POST complaints", "kind null", {"kind": None}, "kind"),
    ("POST complaints", "text missing", {"text": DROP}, "text"),
    ("POST complaints", "text empty", {"text": ""}, "text"),
    ("POST complaints", "text blank", {"text": " \u3000 "}, "text"),
    ("POST complaints", "text too long", {"text": LONG_8000}, "text"),
    ("POST complaints", "text list", {"text": ["配置転換"]}, "text"),
    ("POST complaints", "text number", {"text": 7}, "text"),
    ("POST complaints", "text NUL", {"text": "配置\x00転換"}, "text"),
    ("POST complaints", "extra status", {"status": "answered"}, "status"),
    ("POST complaints", "extra case_id", {"case_id": Ref("listed")}, "case_id"),

    ("POST answer", "handling missing", {"handling": DROP}, "handling"),
    ("POST answer", "handling empty", {"handling": ""}, "handling"),
    ("POST answer", "handling too long", {"handling": LONG_8000}, "handling"),
    ("POST answer", "handling number", {"handling": 5}, "handling"),
    ("POST answer", "answer missing", {"answer": DROP}, "answer"),
    ("POST answer", "answer empty", {"answer": ""}, "answer"),
    ("POST answer", "answer blank", {"answer": "   "}, "answer"),
    ("POST answer", "answer too long", {"answer": LONG_8000}, "answer"),
    ("POST answer", "answer null", {"answer": None}, "answer"),
    ("POST answer", "answer NUL", {"answer": "是正\x00"}, "answer"),
    ("POST answer", "extra status", {"status": "open"}, "status"),
    ("POST answer", "extra answered_by", {"answered_by": Ref("adjudicator")}, "answered_by"),

    ("POST corrections", "field missing", {"field": DROP}, "field"),
    ("POST corrections", "field unknown", {"field": "religion"}, "field"),
    ("POST corrections", "my number never collected", {"field": "individual_number"}, "field"),
    ("POST corrections", "field number", {"field": 1}, "field"),
    ("POST corrections", "field null", {"field": None}, "field"),
    ("POST corrections", "value missing", {"value": DROP}, "value"),
    ("POST corrections", "value empty", {"value": ""}, "value"),
    ("POST corrections", "value blank", {"value": "  "}, "value"),
    ("POST corrections", "value too long", {"value": "x" * 2001}, "value"),
    ("POST corrections", "value list", {"value": ["主任"]}, "value"),
    ("POST corrections", "value NUL", {"value": "主\x00任"}, "value"),
    ("POST corrections", "reason missing", {"reason": DROP}, "reason"),
    ("POST corrections", "reason empty", {"reason": ""}, "reason"),
    ("POST corrections", "reason too long", {"reason": "x" * 2001}, "reason"),
    ("POST corrections", "reason number", {"reason": 3}, "reason"),
    ("POST corrections", "extra person_id", {"person_id": Ref("outsider")}, "person_id"),
    ("POST corrections", "extra status", {"status": "accepted"}, "status"),

    *[("POST decision", f"accepted {label}", {"accepted": value}, "accepted")
      for label, value in NOT_BOOLEANS],
    ("POST decision", "note missing", {"note": DROP}, "note"),
    ("POST decision", "note empty", {"note": ""}, "note"),
    ("POST decision", "note blank", {"note": "   "}, "note"),
    ("POST decision", "note too long", {"note": "x" * 2001}, "note"),
    ("POST decision", "note number", {"note": 1}, "note"),
    ("POST decision", "extra status", {"status": "accepted"}, "status"),

    (BURDEN, "step missing", {"step": DROP}, "step"),
    (BURDEN, "step empty", {"step": ""}, "step"),
    (BURDEN, "step blank", {"step": "  "}, "step"),
    (BURDEN, "step too long", {"step": "s" * 41}, "step"),
    (BURDEN, "step number", {"step": 2}, "step"),
    (BURDEN, "step NUL", {"step": "in\x00take"}, "step"),
    (BURDEN, "party missing", {"party": DROP}, "party"),
    (BURDEN, "party unknown", {"party": "employer"}, "party"),
    (BURDEN, "party null", {"party": None}, "party"),
    (BURDEN, "party number", {"party": 0}, "party"),
    (BURDEN, "window records the subject's share", {"party": "subject"}, "party"),
    (BURDEN, "subject records the window's share", {"party": "window"}, "party", "complained"),
    (BURDEN, "officer records the subject's share", {"party": "subject"}, "party",
     Role.COMPANY_SECURITY_OFFICER),
    (BURDEN, "minutes negative", {"minutes": -1}, "minutes"),
    (BURDEN, "minutes over the limit", {"minutes": 100_001}, "minutes"),
    (BURDEN, "minutes text", {"minutes": "thirty"}, "minutes"),
    (BURDEN, "minutes fraction", {"minutes": 1.5}, "minutes"),
    (BURDEN, "minutes null", {"minutes": None}, "minutes"),
    (BURDEN, "minutes a list", {"minutes": [30]}, "minutes"),
    (BURDEN, "minutes a boolean", {"minutes": True}, "minutes"),
    (BURDEN, "minutes huge", {"minutes": 10 ** 30}, "minutes"),
    (BURDEN, "cost negative", {"cost_yen": -1}, "cost_yen"),
    (BURDEN, "cost over the limit", {"cost_yen": 1_000_000_001}, "cost_yen"),
    (BURDEN, "cost text", {"cost_yen": "1200円"}, "cost_yen"),
    (BURDEN, "cost fraction", {"cost_yen": 0.5}, "cost_yen"),
    (BURDEN, "cost a boolean", {"cost_yen": False}, "cost_yen"),
    (BURDEN, "allowance negative", {"allowance_yen": -500}, "allowance_yen"),
    (BURDEN, "allowance over the limit", {"allowance_yen": 10 ** 10}, "allowance_yen"),
    (BURDEN, "allowance text", {"allowance_yen": "many"}, "allowance_yen"),
    (BURDEN, "extra recorded_by", {"recorded_by": Ref("adjudicator")}, "recorded_by"),
    (BURDEN, "extra case_id", {"case_id": Ref("listed")}, "case_id"),
]

# --- facility clearance and its registers, moved by the real services ---------------------

AGENCY, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
REASONS = {"reasons": "審査の結果による。"}
FACILITY_STEPS = ("proposed", "applied", "under_review", "certified")
C0 = load_checklist().controls[0].id  # a control of the checklist


def all_met() -> ChecklistRecord:
    return ChecklistRecord.model_validate({"results": {
        c.id: {"met": True, "evidence": f"{c.id} の証跡"} for c in load_checklist().controls}})


def make_facility(s, world: World, org_id: str, officers: tuple[Login, Login], state: str,
                  *, level: str = "CESI", project: str | None = None,
                  areas: list[dict] | None = None) -> str:
    """A certification of `org_id` proposed by the agency and moved to `state` (a step of
    FACILITY_STEPS, or certified and then suspended or revoked); a research project's
    areas are kept apart from the open laboratory."""
    agency, (officer, deputy) = world.users[AGENCY].actor, officers
    f = facilities.propose(s, FacilityPropose(organisation_id=org_id, level=level,
                                              project=project), actor=agency)
    last = FACILITY_STEPS.index(state) if state in FACILITY_STEPS else len(FACILITY_STEPS)
    for step in FACILITY_STEPS[1:last + 1]:
        if step == "applied":
            facilities.apply(s, f.id, FacilityApplication.model_validate({
                "internal_rules": "保全規程（第1版）", "governance": "責任者が監督する",
                "training_plan": "着任時及び毎年の教育", "security_officer_id": officer.user_id,
                "deputy_officer_id": deputy.user_id,
                "areas": areas or [{"kind": "room", "name": "保全室", "level": level,
                                    "separate_from_open_lab": project is not None}]}),
                actor=officer.actor)
        elif step == "under_review":
            facilities.start_review(s, f.id, actor=agency)
        else:
            facilities.record_checklist(s, f.id, all_met(), actor=agency)
            facilities.certify(s, f.id, FacilityDecision(**REASONS), actor=agency)
    if state in ("suspended", "revoked"):
        action = facilities.suspend if state == "suspended" else facilities.revoke
        action(s, f.id, FacilityDecision(**REASONS), actor=agency)
    assert f.state == state
    return f.id


def make_items(s, world: World) -> dict[str, str]:
    """Items under designations in force: CESI and SDS ones held by the company, a CESI
    one held by the other company only, and one whose designation was lifted."""
    agency, approver = world.users[AGENCY].actor, world.users[Role.APPROVING_OFFICIAL].actor
    yes = Decision(approve=True, reasons="必要性を確認した。")

    def designation(regime: str, holders: list[str]) -> str:
        d = proposals.propose_designation(s, DesignationCreate(
            title="全固体電池の量産技術", regime=regime,
            category="key_technologies" if regime == "CESI" else "defence",
            reasons="供給網の要となる技術である。", scope_kind="technology", scope="全固体電池",
            holders=holders, term_start=TODAY, term_end=day(TODAY, 365)), actor=agency)
        decide_open(d.id)
        return d.id

    def decide_open(designation_id: str) -> None:
        proposal = s.scalar(select(Proposal.id).where(
            Proposal.designation_id == designation_id, Proposal.status == "open"))
        proposals.decide(s, proposal, yes, actor=approver)

    def item(designation_id: str) -> str:
        return items.create_item(s, ItemCreate(title="試験成績書", kind="document",
                                               designation_id=designation_id),
                                 actor=agency).id

    own, other = [world.company.id], [world.other_company.id]
    cesi, lifted = designation("CESI", own), designation("CESI", own)
    out = {name: item(cesi) for name in ("item", "item_h", "item_r", "item_x", "item_spec",
                                         "item_spare")}
    out |= {"item_sds": item(designation("SDS", own)),
            "item_other": item(designation("CESI", other)), "item_lifted": item(lifted)}
    proposals.propose_change(s, lifted, ProposalCreate(kind="lift", reasons="不要となった。"),
                             actor=agency)
    decide_open(lifted)
    return out


def make_facilities(s, world: World, logins: dict[str, Login]) -> dict[str, str]:
    """A certification in each state the routes act on (a university's research projects,
    one per state), the company's own (SDS) with its registers, and a company whose change
    of owner waits on FOCI. Adds the university's and other officers to `logins`."""
    u, agency = world.users, world.users[AGENCY].actor
    cso = u[CSO]
    uni = make_org(s, kind="university", name_ja="保全大学", name_en="Hozen University")
    foci_org = make_org(s, name_ja="外資系株式会社", name_en="Foreign-owned KK")
    logins |= {"uni_cso": make_user(s, CSO, uni.id), "foci_cso": make_user(s, CSO, foci_org.id),
               "other_cso": make_user(s, CSO, world.other_company.id)}
    uni_pair = (logins["uni_cso"], make_user(s, CSO, uni.id))
    ids = {"uni": uni.id, "uni_cso_user": uni_pair[0].user_id,
           "uni_deputy_user": uni_pair[1].user_id, "cso_user": cso.user_id,
           "subject_user": u[Role.SUBJECT].user_id}
    main = make_facility(s, world, world.company.id, (cso, make_user(s, CSO, world.company.id)),
                         "certified", level="SDS", areas=[
                             {"kind": "room", "name": "第一保全室", "level": "SDS"},
                             {"kind": "container", "name": "保管庫", "level": "CESI"}])
    ids |= {"fac_main": main} | {f"{a.level.lower()}_area": a.id
                                  for a in facilities.read_facility(s, main, actor=agency).areas}
    for name, state, level in [
            ("proposed", "proposed", "SDS"), ("applied", "applied", "CESI"),
            ("review", "under_review", "CESI"), ("certify", "under_review", "CESI"),
            ("refuse", "under_review", "CESI"), ("suspend", "certified", "CESI"),
            ("reinstate", "suspended", "CESI"), ("revoke", "certified", "CESI"),
            ("withdraw", "proposed", "CESI"), ("ni", "certified", "SDS"),
            ("changes", "certified", "CESI"), ("changed", "certified", "CESI"),
            ("blocked", "certified", "CESI"), ("revoked", "revoked", "CESI"),
            ("research", "certified", "CESI")]:
        ids[f"fac_{name}"] = make_facility(s, world, uni.id, uni_pair, state, level=level,
                                           project=f"計画-{name}")
    facilities.record_checklist(s, ids["fac_certify"], all_met(), actor=agency)
    ids["uni_area"] = facilities.read_facility(s, ids["fac_research"],
                                               actor=agency).areas[0].id
    # a change decided, then another one pending
    change = ChangeReportCreate(kinds=["address"], description="本部を移転する")
    ids["decided_change"] = facilities.report_change(s, ids["fac_changed"], change,
                                                     actor=uni_pair[0].actor).id
    facilities.decide_change(s, ids["decided_change"], ChangeDecision(
        approve=True, reasons="確認した。"), actor=agency)
    ids["change"] = facilities.report_change(s, ids["fac_changed"], change,
                                             actor=uni_pair[0].actor).id
    # suspended with a critical finding open: reinstatement waits for its correction
    inspections.record_inspection(s, ids["fac_blocked"], InspectionCreate.model_validate({
        "kind": "on_site", "held_on": day(TODAY, -1), "summary": "立入検査", "findings": [{
            "severity": "critical", "text": "施錠されていない", "action": "錠の交換",
            "due_on": day(TODAY, 30)}]}), actor=agency)
    facilities.suspend(s, ids["fac_blocked"], FacilityDecision(**REASONS), actor=agency)
    # certified before a foreign parent bought in; its change of owner waits on FOCI
    ids["fac_owner"] = make_facility(s, world, foci_org.id,
                                     (logins["foci_cso"], make_user(s, CSO, foci_org.id)),
                                     "certified")
    parent = make_org(s, kind="foreign_company", country_code="USA", name_ja="米国親会社",
                      name_en="US Parent")
    make_ownership(s, foci_org.id, parent.id, "60", "60")
    ids["owner_change"] = facilities.report_change(s, ids["fac_owner"], ChangeReportCreate(
        kinds=["owner"], description="米国親会社が株式を取得する"),
        actor=logins["foci_cso"].actor).id
    ids |= make_registers(s, world, ids, logins["uni_cso"])
    return ids


def make_registers(s, world: World, ids: dict, uni_cso: Login) -> dict[str, str]:
    """The company's cleared handler and its registers, and the university's project
    participants: one of each to act on, and one already dealt with."""
    cso = world.users[CSO].actor
    out = make_items(s, world)
    out["cleared"] = make_case(s, world, "granted")[2]  # a CESI clearance
    registers.add_handler(s, out["item"], out["cleared"], actor=cso)  # handles `item`
    out["handler"] = registers.add_handler(s, out["item_r"], out["cleared"], actor=cso).id
    out["removed_handler"] = registers.add_handler(s, out["item_x"], out["cleared"],
                                                   actor=cso).id
    registers.remove_handler(s, out["removed_handler"], actor=cso)
    contract.add_specification(s, ids["fac_main"], SpecificationCreate(
        item_id=out["item"], departments=["研究開発部"], handling="保全室内のみ",
        return_rule="契約終了時に返却"), actor=world.users[AGENCY].actor)
    for name in ("incident", "closed_incident"):
        out[name] = incidents.report_incident(s, IncidentCreate(
            kind="loss", severity="low", occurred_on=TODAY, description="所在不明",
            item_ids=[out["item"]]), actor=cso).id
    incidents.close_incident(s, out["closed_incident"], "発見された", actor=world.users[
        AGENCY].actor)
    done = inspections.record_inspection(s, ids["fac_main"], InspectionCreate.model_validate({
        "kind": "self", "held_on": day(TODAY, -3), "summary": "月次自己点検",
        "findings": [{"severity": "minor", "text": "掲示が古い"}] * 2}), actor=cso)
    out["finding"], out["closed_finding"] = [x.id for x in inspections.inspection_view(
        s, done).findings]
    inspections.close_finding(s, out["closed_finding"], actor=cso)
    uni = ids["uni"]
    out |= {"uni_jp": make_person(s, employer_id=uni).id,
            "uni_dual": make_person(s, employer_id=uni, nationalities=["JPN", "USA"]).id,
            "uni_us": make_person(s, employer_id=uni, nationalities=["USA"]).id}
    for name in ("member", "participant", "left_participant"):
        person = make_person(s, employer_id=uni).id
        out[name] = contract.add_participant(s, ids["fac_research"], person, None,
                                             actor=uni_cso.actor).id
        out[name + "_person"] = person
    contract.remove_participant(s, out["left_participant"], actor=uni_cso.actor)
    return out


def areas_with(**changes) -> list[dict]:
    """The application's area, changed (DROP removes a key)."""
    a = {"kind": "room", "name": "第一保全室", "level": "SDS", "separate_from_open_lab": True}
    return [{k: v for k, v in (a | changes).items() if v is not DROP}]


def findings_with(i: int = 0, **changes) -> list[dict]:
    """The inspection's findings, finding i changed (DROP removes a key)."""
    out = [{"severity": "minor", "text": "掲示が古い", "control_id": C0},
           {"severity": "minor", "text": "記録の押印漏れ"}]
    out[i] = {k: v for k, v in (out[i] | changes).items() if v is not DROP}
    return out


APPLICATION = {
    "internal_rules": "保全規程（第1版）\n第1条 目的", "governance": "学長が保全責任者を監督する",
    "training_plan": "着任時及び毎年の教育", "security_officer_id": Ref("uni_cso_user"),
    "deputy_officer_id": Ref("uni_deputy_user"), "areas": areas_with()}
FACILITY_DECISIONS = {"POST certify": "certify", "POST refuse": "refuse",
                      "POST suspend": "suspend", "POST reinstate": "reinstate",
                      "POST revoke": "revoke", "POST withdraw": "withdraw",
                      "POST national-interest": "ni"}
ENDPOINTS |= {
    "POST /facilities": ("POST", "/facilities", {
        "organisation_id": Ref("uni"), "level": "CESI", "project": "新しい研究計画"}),
    "POST application": ("POST", "/facilities/{fac_proposed}/application", APPLICATION),
    "POST review": ("POST", "/facilities/{fac_applied}/review", None),
    "POST checklist": ("POST", "/facilities/{fac_review}/checklist", {
        "results": {C0: {"met": True, "evidence": "規程第3条"}}}),
    **{e: ("POST", f"/facilities/{{fac_{name}}}/{e.split()[1]}", REASONS)
       for e, name in FACILITY_DECISIONS.items()},
    "POST changes": ("POST", "/facilities/{fac_changes}/changes", {
        "kinds": ["address"], "description": "本部を移転する"}),
    "POST change decision": ("POST", "/facility-changes/{change}/decision", {
        "approve": True, "reasons": "届出の内容を確認した。"}),
    "POST foci-declarations": ("POST", "/organisations/{company}/foci-declarations", {
        "board": [["JPN"], ["JPN"]], "foreign_debt_pct": "5", "foreign_revenue_pct": "12.5"}),
    "POST foci-mitigations": ("POST", "/organisations/{company}/foci-mitigations", {
        "instrument": "board_resolution", "reference": "取締役会決議 2025-3",
        "terms": "外国株主は保全情報に\nアクセスしない", "signed_on": "2025-01-05"}),
    "POST handlers": ("POST", "/items/{item_h}/handlers", {"person_id": Ref("cleared")}),
    "POST handler removal": ("POST", "/item-handlers/{handler}/removal", None),
    "POST custody-events": ("POST", "/custody-events", {
        "item_id": Ref("item"), "kind": "receipt", "person_id": Ref("cleared"),
        "area_id": Ref("cesi_area"), "note": "受領\n封緘確認"}),
    "POST incidents": ("POST", "/incidents", {
        "kind": "leak", "severity": "high", "occurred_on": "2024-03-01",
        "description": "保管庫の施錠漏れ", "item_ids": [Ref("item")],
        "person_ids": [Ref("cleared")]}),
    "POST incident closure": ("POST", "/incidents/{incident}/closure", {
        "closing_note": "再発防止策を確認した"}),
    "POST training-records": ("POST", "/training-records", {
        "person_id": Ref("cleared"), "kind": "initial", "trained_on": day(TODAY, -7)}),
    "POST inspections": ("POST", "/facilities/{fac_main}/inspections", {
        "kind": "self", "held_on": day(TODAY, -10), "summary": "年次自己点検",
        "findings": findings_with()}),
    "POST finding closure": ("POST", "/facility-findings/{finding}/closure", None),
    "POST participants": ("POST", "/facilities/{fac_research}/participants", {
        "person_id": Ref("uni_jp")}),
    "POST participant removal": ("POST", "/research-participants/{participant}/removal",
                                 None),
    "POST specification": ("POST", "/facilities/{fac_main}/specification", {
        "item_id": Ref("item_spec"), "departments": ["研究開発部"],
        "handling": "保全室内でのみ扱う", "return_rule": "契約終了時に返却する"}),
}
WHO |= {
    "POST /facilities": AGENCY, "POST application": "uni_cso", "POST review": AGENCY,
    "POST checklist": AGENCY, **dict.fromkeys(FACILITY_DECISIONS, AGENCY),
    "POST national-interest": Role.APPROVING_OFFICIAL, "POST changes": "uni_cso",
    "POST change decision": AGENCY, "POST foci-declarations": CSO,
    "POST foci-mitigations": AGENCY, "POST handlers": CSO, "POST handler removal": CSO,
    "POST custody-events": CSO, "POST incidents": CSO, "POST incident closure": AGENCY,
    "POST training-records": CSO, "POST inspections": CSO, "POST finding closure": CSO,
    "POST participants": "uni_cso", "POST participant removal": "uni_cso",
    "POST specification": AGENCY,
}

PROPOSE, APPLY, CHECKLIST = "POST /facilities", "POST application", "POST checklist"
CHANGES, FOCI, MITIGATION = "POST changes", "POST foci-declarations", "POST foci-mitigations"
CUSTODY, INCIDENTS, TRAINING = "POST custody-events", "POST incidents", "POST training-records"
INSPECTIONS, SPEC = "POST inspections", "POST specification"
NOW_2H = (utcnow() + timedelta(hours=2)).isoformat()
CASES += [
    (PROPOSE, "organisation missing", {"organisation_id": DROP}, "organisation_id"),
    (PROPOSE, "organisation unknown", {"organisation_id": Ref("missing")}, "organisation_id"),
    (PROPOSE, "organisation too long", {"organisation_id": "o" * 37}, "organisation_id"),
    (PROPOSE, "organisation number", {"organisation_id": 5}, "organisation_id"),
    (PROPOSE, "organisation null", {"organisation_id": None}, "organisation_id"),
    (PROPOSE, "organisation NUL", {"organisation_id": "o\x00"}, "organisation_id"),
    (PROPOSE, "a government body", {"organisation_id": Ref("gov")}, "organisation_id"),
    (PROPOSE, "university without a project", {"project": DROP}, "project"),
    (PROPOSE, "university, project null", {"project": None}, "project"),
    (PROPOSE, "project empty", {"project": ""}, "project"),
    (PROPOSE, "project blank", {"project": "   "}, "project"),
    (PROPOSE, "project too long", {"project": "p" * 201}, "project"),
    (PROPOSE, "project NUL", {"project": "研究\x00計画"}, "project"),
    (PROPOSE, "project number", {"project": 7}, "project"),
    (PROPOSE, "project already in progress", {"project": "計画-proposed"},
     "organisation_id"),
    (PROPOSE, "level missing", {"level": DROP}, "level"),
    (PROPOSE, "level unknown", {"level": "TOP_SECRET"}, "level"),
    (PROPOSE, "level lower case", {"level": "cesi"}, "level"),
    (PROPOSE, "level CUI", {"level": "CUI"}, "level"),
    (PROPOSE, "level null", {"level": None}, "level"),
    (PROPOSE, "extra state", {"state": "certified"}, "state"),
    (PROPOSE, "extra agency_id", {"agency_id": Ref("gov")}, "agency_id"),

    (APPLY, "internal rules missing", {"internal_rules": DROP}, "internal_rules"),
    (APPLY, "internal rules empty", {"internal_rules": ""}, "internal_rules"),
    (APPLY, "internal rules blank", {"internal_rules": " \n "}, "internal_rules"),
    (APPLY, "internal rules too long", {"internal_rules": LONG_8000}, "internal_rules"),
    (APPLY, "internal rules NUL", {"internal_rules": "規程\x00"}, "internal_rules"),
    (APPLY, "internal rules number", {"internal_rules": 1}, "internal_rules"),
    (APPLY, "internal rules surrogate", {"internal_rules": SURROGATE}, "internal_rules"),
    (APPLY, "governance missing", {"governance": DROP}, "governance"),
    (APPLY, "governance too long", {"governance": LONG_8000}, "governance"),
    (APPLY, "training plan null", {"training_plan": None}, "training_plan"),
    (APPLY, "training plan a list", {"training_plan": ["毎年"]}, "training_plan"),
    (APPLY, "officer missing", {"security_officer_id": DROP}, "security_officer_id"),
    (APPLY, "officer unknown", {"security_officer_id": Ref("missing")},
     "security_officer_id"),
    (APPLY, "officer too long", {"security_officer_id": "u" * 37}, "security_officer_id"),
    (APPLY, "officer number", {"security_officer_id": 5}, "security_officer_id"),
    (APPLY, "officer of another organisation", {"security_officer_id": Ref("cso_user")},
     "security_officer_id"),
    (APPLY, "officer not a security officer", {"security_officer_id": Ref("subject_user")},
     "security_officer_id"),
    (APPLY, "deputy missing", {"deputy_officer_id": DROP}, "deputy_officer_id"),
    (APPLY, "deputy unknown", {"deputy_officer_id": Ref("missing")}, "deputy_officer_id"),
    (APPLY, "deputy null", {"deputy_officer_id": None}, "deputy_officer_id"),
    (APPLY, "deputy is the security officer", {"deputy_officer_id": Ref("uni_cso_user")},
     "deputy_officer_id"),
    (APPLY, "deputy of another organisation", {"deputy_officer_id": Ref("cso_user")},
     "deputy_officer_id"),
    (APPLY, "areas missing", {"areas": DROP}, "areas"),
    (APPLY, "areas empty", {"areas": []}, "areas"),
    (APPLY, "areas 51", {"areas": areas_with() * 51}, "areas"),
    (APPLY, "areas an object", {"areas": areas_with()[0]}, "areas"),
    (APPLY, "area level unknown", {"areas": areas_with(level="TOP_SECRET")}, "areas.0.level"),
    (APPLY, "area level lower case", {"areas": areas_with(level="sds")}, "areas.0.level"),
    (APPLY, "area level missing", {"areas": areas_with(level=DROP)}, "areas.0.level"),
    (APPLY, "area kind unknown", {"areas": areas_with(kind="desk")}, "areas.0.kind"),
    (APPLY, "area name missing", {"areas": areas_with(name=DROP)}, "areas.0.name"),
    (APPLY, "area name too long", {"areas": areas_with(name="n" * 201)}, "areas.0.name"),
    (APPLY, "area name NUL", {"areas": areas_with(name="保全\x00室")}, "areas.0.name"),
    (APPLY, "area separation text", {"areas": areas_with(separate_from_open_lab="yes")},
     "areas.0.separate_from_open_lab"),
    (APPLY, "research area not kept apart", {"areas": areas_with(separate_from_open_lab=False)},
     "areas.0.separate_from_open_lab"),
    (APPLY, "no area at the level", {"areas": areas_with(level="CESI")}, "areas"),
    (APPLY, "second area unknown level", {"areas": areas_with() + areas_with(level="X")},
     "areas.1.level"),
    (APPLY, "area extra id", {"areas": areas_with(id=Ref("missing"))}, "areas.0.id"),
    (APPLY, "extra state", {"state": "applied"}, "state"),
    (APPLY, "extra level", {"level": "CESI"}, "level"),

    (CHECKLIST, "results missing", {"results": DROP}, "results"),
    (CHECKLIST, "results empty", {"results": {}}, "results"),
    (CHECKLIST, "results a list", {"results": [C0]}, "results"),
    (CHECKLIST, "results null", {"results": None}, "results"),
    (CHECKLIST, "control unknown", {"results": {"NO-SUCH": {"met": True}}}, "results.NO-SUCH"),
    (CHECKLIST, "one control unknown among known",
     {"results": {C0: {"met": True}, "NO-SUCH": {"met": False}}}, "results.NO-SUCH"),
    (CHECKLIST, "control id too long", {"results": {"X" * 17: {"met": True}}}, "results"),
    (CHECKLIST, "control id NUL", {"results": {"GOV\x00": {"met": True}}}, "results"),
    (CHECKLIST, "control id empty", {"results": {"": {"met": True}}}, "results"),
    (CHECKLIST, "101 controls", {"results": {f"K{i}": {"met": True} for i in range(101)}},
     "results"),
    (CHECKLIST, "met text", {"results": {C0: {"met": "yes"}}}, f"results.{C0}.met"),
    (CHECKLIST, "met number", {"results": {C0: {"met": 1}}}, f"results.{C0}.met"),
    (CHECKLIST, "met missing", {"results": {C0: {"evidence": "x"}}}, f"results.{C0}.met"),
    (CHECKLIST, "evidence too long", {"results": {C0: {"met": True, "evidence": "e" * 2001}}},
     f"results.{C0}.evidence"),
    (CHECKLIST, "evidence NUL", {"results": {C0: {"met": True, "evidence": "規程\x00"}}},
     f"results.{C0}.evidence"),
    (CHECKLIST, "evidence number", {"results": {C0: {"met": True, "evidence": 3}}},
     f"results.{C0}.evidence"),
    (CHECKLIST, "entry not an object", {"results": {C0: True}}, f"results.{C0}"),
    (CHECKLIST, "entry extra field", {"results": {C0: {"met": True, "reviewer": "x"}}},
     f"results.{C0}.reviewer"),
    (CHECKLIST, "extra state", {"state": "certified"}, "state"),
]
for _endpoint in FACILITY_DECISIONS:
    CASES += [
        (_endpoint, "reasons missing", {"reasons": DROP}, "reasons"),
        (_endpoint, "reasons empty", {"reasons": ""}, "reasons"),
        (_endpoint, "reasons blank", {"reasons": " \u3000\n "}, "reasons"),
        (_endpoint, "reasons null", {"reasons": None}, "reasons"),
        (_endpoint, "reasons number", {"reasons": 7}, "reasons"),
        (_endpoint, "reasons a list", {"reasons": ["理由"]}, "reasons"),
        (_endpoint, "reasons too long", {"reasons": LONG_4000}, "reasons"),
        (_endpoint, "reasons NUL", {"reasons": "理\x00由"}, "reasons"),
        (_endpoint, "extra state", {"state": "certified"}, "state"),
        (_endpoint, "extra valid_until", {"valid_until": "2099-01-01"}, "valid_until"),
    ]
CASES += [
    (CHANGES, "kinds missing", {"kinds": DROP}, "kinds"),
    (CHANGES, "kinds empty", {"kinds": []}, "kinds"),
    (CHANGES, "kinds null", {"kinds": None}, "kinds"),
    (CHANGES, "kinds a string", {"kinds": "address"}, "kinds"),
    (CHANGES, "kind unknown", {"kinds": ["ceo"]}, "kinds.0"),
    (CHANGES, "second kind unknown", {"kinds": ["address", "colour"]}, "kinds.1"),
    (CHANGES, "kind number", {"kinds": [1]}, "kinds.0"),
    (CHANGES, "kinds 6", {"kinds": ["owner", "officers", "address", "areas", "name",
                                    "name"]}, "kinds"),
    (CHANGES, "description missing", {"description": DROP}, "description"),
    (CHANGES, "description empty", {"description": ""}, "description"),
    (CHANGES, "description blank", {"description": "  "}, "description"),
    (CHANGES, "description too long", {"description": LONG_8000}, "description"),
    (CHANGES, "description NUL", {"description": "移\x00転"}, "description"),
    (CHANGES, "extra status", {"status": "approved"}, "status"),

    *[("POST change decision", f"approve {label}", {"approve": value}, "approve")
      for label, value in NOT_BOOLEANS],
    ("POST change decision", "reasons missing", {"reasons": DROP}, "reasons"),
    ("POST change decision", "reasons empty", {"reasons": ""}, "reasons"),
    ("POST change decision", "reasons too long", {"reasons": LONG_4000}, "reasons"),
    ("POST change decision", "reasons NUL", {"reasons": "確\x00認"}, "reasons"),
    ("POST change decision", "extra status", {"status": "approved"}, "status"),

    (FOCI, "board missing", {"board": DROP}, "board"),
    (FOCI, "board null", {"board": None}, "board"),
    (FOCI, "board a string", {"board": "JPN"}, "board"),
    (FOCI, "board seats not lists", {"board": ["JPN"]}, "board.0"),
    (FOCI, "board 61 seats", {"board": [["JPN"]] * 61}, "board"),
    (FOCI, "seat without nationality", {"board": [["JPN"], []]}, "board.1"),
    (FOCI, "seat of 5 nationalities", {"board": [["JPN", "USA", "GBR", "FRA", "DEU"]]},
     "board.0"),
    (FOCI, "nationality unknown", {"board": [["XXX"]]}, "board.0.0"),
    (FOCI, "second seat's nationality unknown", {"board": [["JPN"], ["QQQ"]]}, "board.1.0"),
    (FOCI, "second nationality unknown", {"board": [["JPN", "ZZZ"]]}, "board.0.1"),
    (FOCI, "nationality lower case", {"board": [["jpn"]]}, "board.0.0"),
    (FOCI, "nationality alpha-2", {"board": [["JP"]]}, "board.0.0"),
    (FOCI, "nationality number", {"board": [[392]]}, "board.0.0"),
    (FOCI, "nationality NUL", {"board": [["JP\x00"]]}, "board.0.0"),
    (FOCI, "debt over 100", {"foreign_debt_pct": "100.0001"}, "foreign_debt_pct"),
    (FOCI, "debt 101", {"foreign_debt_pct": 101}, "foreign_debt_pct"),
    (FOCI, "debt negative", {"foreign_debt_pct": "-1"}, "foreign_debt_pct"),
    (FOCI, "debt NaN", {"foreign_debt_pct": "NaN"}, "foreign_debt_pct"),
    (FOCI, "debt infinite", {"foreign_debt_pct": "Infinity"}, "foreign_debt_pct"),
    (FOCI, "debt text", {"foreign_debt_pct": "many"}, "foreign_debt_pct"),
    (FOCI, "debt a boolean", {"foreign_debt_pct": True}, "foreign_debt_pct"),
    (FOCI, "debt too precise", {"foreign_debt_pct": "1.00001"}, "foreign_debt_pct"),
    (FOCI, "debt null", {"foreign_debt_pct": None}, "foreign_debt_pct"),
    (FOCI, "revenue over 100", {"foreign_revenue_pct": 150}, "foreign_revenue_pct"),
    (FOCI, "revenue negative", {"foreign_revenue_pct": -0.5}, "foreign_revenue_pct"),
    (FOCI, "revenue a list", {"foreign_revenue_pct": [5]}, "foreign_revenue_pct"),
    (FOCI, "extra flagged", {"flagged": False}, "flagged"),
    (FOCI, "extra organisation_id", {"organisation_id": Ref("other")}, "organisation_id"),

    (MITIGATION, "instrument missing", {"instrument": DROP}, "instrument"),
    (MITIGATION, "instrument unknown", {"instrument": "handshake"}, "instrument"),
    (MITIGATION, "instrument number", {"instrument": 1}, "instrument"),
    (MITIGATION, "instrument null", {"instrument": None}, "instrument"),
    (MITIGATION, "reference missing", {"reference": DROP}, "reference"),
    (MITIGATION, "reference empty", {"reference": ""}, "reference"),
    (MITIGATION, "reference blank", {"reference": "  "}, "reference"),
    (MITIGATION, "reference too long", {"reference": "r" * 201}, "reference"),
    (MITIGATION, "reference NUL", {"reference": "BR\x00-1"}, "reference"),
    (MITIGATION, "reference newline", {"reference": "BR\n1"}, "reference"),
    (MITIGATION, "terms missing", {"terms": DROP}, "terms"),
    (MITIGATION, "terms empty", {"terms": ""}, "terms"),
    (MITIGATION, "terms too long", {"terms": LONG_8000}, "terms"),
    (MITIGATION, "terms NUL", {"terms": "条\x00項"}, "terms"),
    (MITIGATION, "terms number", {"terms": 3}, "terms"),
    (MITIGATION, "signed in the future", {"signed_on": FUTURE}, "signed_on"),
    (MITIGATION, "signed in the future", {"signed_on": day(TODAY, 2)}, "signed_on"),
    (MITIGATION, "signed 30 Feb", {"signed_on": "2025-02-30"}, "signed_on"),
    (MITIGATION, "signed text", {"signed_on": "last year"}, "signed_on"),
    (MITIGATION, "signed missing", {"signed_on": DROP}, "signed_on"),
    (MITIGATION, "signed number", {"signed_on": 20250105}, "signed_on"),
    (MITIGATION, "extra ended_on", {"ended_on": "2030-01-01"}, "ended_on"),
    (MITIGATION, "extra organisation_id", {"organisation_id": Ref("other")},
     "organisation_id"),

    ("POST handlers", "person missing", {"person_id": DROP}, "person_id"),
    ("POST handlers", "person null", {"person_id": None}, "person_id"),
    ("POST handlers", "person empty", {"person_id": ""}, "person_id"),
    ("POST handlers", "person too long", {"person_id": "p" * 37}, "person_id"),
    ("POST handlers", "person number", {"person_id": 5}, "person_id"),
    ("POST handlers", "person NUL", {"person_id": "p\x00p"}, "person_id"),
    ("POST handlers", "person unknown", {"person_id": Ref("missing")}, "person_id"),
    ("POST handlers", "person of another company", {"person_id": Ref("outsider")},
     "person_id"),
    ("POST handlers", "person not cleared", {"person_id": Ref("staff")}, "person_id"),
    ("POST handlers", "extra item_id", {"item_id": Ref("item")}, "item_id"),
    ("POST handlers", "extra organisation_id", {"organisation_id": Ref("other")},
     "organisation_id"),

    (CUSTODY, "item missing", {"item_id": DROP}, "item_id"),
    (CUSTODY, "item unknown", {"item_id": Ref("missing")}, "item_id"),
    (CUSTODY, "item too long", {"item_id": "i" * 37}, "item_id"),
    (CUSTODY, "item number", {"item_id": 5}, "item_id"),
    (CUSTODY, "item not held", {"item_id": Ref("item_other")}, "item_id"),
    (CUSTODY, "item no longer classified", {"item_id": Ref("item_lifted")}, "item_id"),
    (CUSTODY, "kind missing", {"kind": DROP}, "kind"),
    (CUSTODY, "kind unknown", {"kind": "loan"}, "kind"),
    (CUSTODY, "kind upper case", {"kind": "RECEIPT"}, "kind"),
    (CUSTODY, "kind null", {"kind": None}, "kind"),
    (CUSTODY, "person missing", {"person_id": DROP}, "person_id"),
    (CUSTODY, "person not a handler", {"person_id": Ref("staff")}, "person_id"),
    (CUSTODY, "person unknown", {"person_id": Ref("missing")}, "person_id"),
    (CUSTODY, "person of another company", {"person_id": Ref("outsider")}, "person_id"),
    (CUSTODY, "destruction without a witness", {"kind": "destruction"}, "witness_person_id"),
    (CUSTODY, "destruction witnessed by its handler",
     {"kind": "destruction", "witness_person_id": Ref("cleared")}, "witness_person_id"),
    (CUSTODY, "destruction witnessed by another company",
     {"kind": "destruction", "witness_person_id": Ref("outsider")}, "witness_person_id"),
    (CUSTODY, "destruction witness unknown",
     {"kind": "destruction", "witness_person_id": Ref("missing")}, "witness_person_id"),
    (CUSTODY, "destruction witness too long",
     {"kind": "destruction", "witness_person_id": "w" * 37}, "witness_person_id"),
    (CUSTODY, "witness on a receipt", {"witness_person_id": Ref("staff")},
     "witness_person_id"),
    (CUSTODY, "transfer without a recipient", {"kind": "transfer"}, "to_organisation_id"),
    (CUSTODY, "transfer to itself", {"kind": "transfer", "to_organisation_id": Ref("company")},
     "to_organisation_id"),
    (CUSTODY, "transfer to an unknown organisation",
     {"kind": "transfer", "to_organisation_id": Ref("missing")}, "to_organisation_id"),
    (CUSTODY, "transfer to an organisation not holding it",
     {"kind": "transfer", "to_organisation_id": Ref("fresh")}, "to_organisation_id"),
    (CUSTODY, "recipient on a receipt", {"to_organisation_id": Ref("other")},
     "to_organisation_id"),
    (CUSTODY, "copy without a number", {"kind": "copy"}, "copies"),
    (CUSTODY, "copies 0", {"kind": "copy", "copies": 0}, "copies"),
    (CUSTODY, "copies over the limit", {"kind": "copy", "copies": 10_001}, "copies"),
    (CUSTODY, "copies huge", {"kind": "copy", "copies": 10 ** 30}, "copies"),
    (CUSTODY, "copies text", {"kind": "copy", "copies": "2"}, "copies"),
    (CUSTODY, "copies fraction", {"kind": "copy", "copies": 1.5}, "copies"),
    (CUSTODY, "copies a boolean", {"kind": "copy", "copies": True}, "copies"),
    (CUSTODY, "copies on a receipt", {"copies": 1}, "copies"),
    (CUSTODY, "area unknown", {"area_id": Ref("missing")}, "area_id"),
    (CUSTODY, "area of another organisation", {"area_id": Ref("uni_area")}, "area_id"),
    (CUSTODY, "area too long", {"area_id": "a" * 37}, "area_id"),
    (CUSTODY, "occurred in the future", {"occurred_at": NOW_2H}, "occurred_at"),
    (CUSTODY, "occurred without a time zone", {"occurred_at": "2024-03-01T10:00:00"},
     "occurred_at"),
    (CUSTODY, "occurred a date only", {"occurred_at": "2024-03-01"}, "occurred_at"),
    (CUSTODY, "occurred text", {"occurred_at": "this morning"}, "occurred_at"),
    (CUSTODY, "occurred 30 Feb", {"occurred_at": "2024-02-30T10:00:00+09:00"},
     "occurred_at"),
    (CUSTODY, "occurred in year 1, east of UTC", {"occurred_at": "0001-01-01T00:00:00+09:00"},
     "occurred_at"),
    (CUSTODY, "occurred in year 9999, west of UTC",
     {"occurred_at": "9999-12-31T23:59:59-12:00"}, "occurred_at"),
    (CUSTODY, "note too long", {"note": "n" * 4001}, "note"),
    (CUSTODY, "note surrogate", {"note": SURROGATE}, "note"),
    (CUSTODY, "note NUL", {"note": "受\x00領"}, "note"),
    (CUSTODY, "note number", {"note": 1}, "note"),
    (CUSTODY, "extra organisation_id", {"organisation_id": Ref("other")}, "organisation_id"),
    (CUSTODY, "extra recorded_at", {"recorded_at": "2024-03-01T10:00:00Z"}, "recorded_at"),

    (INCIDENTS, "kind missing", {"kind": DROP}, "kind"),
    (INCIDENTS, "kind unknown", {"kind": "theft"}, "kind"),
    (INCIDENTS, "kind number", {"kind": 2}, "kind"),
    (INCIDENTS, "severity unknown", {"severity": "catastrophic"}, "severity"),
    (INCIDENTS, "severity upper case", {"severity": "HIGH"}, "severity"),
    (INCIDENTS, "severity missing", {"severity": DROP}, "severity"),
    (INCIDENTS, "occurred in the future", {"occurred_on": FUTURE}, "occurred_on"),
    (INCIDENTS, "occurred in the future", {"occurred_on": day(TODAY, 2)}, "occurred_on"),
    (INCIDENTS, "occurred 30 Feb", {"occurred_on": "2024-02-30"}, "occurred_on"),
    (INCIDENTS, "occurred text", {"occurred_on": "yesterday"}, "occurred_on"),
    (INCIDENTS, "occurred missing", {"occurred_on": DROP}, "occurred_on"),
    (INCIDENTS, "occurred null", {"occurred_on": None}, "occurred_on"),
    (INCIDENTS, "description missing", {"description": DROP}, "description"),
    (INCIDENTS, "description empty", {"description": ""}, "description"),
    (INCIDENTS, "description blank", {"description": " \u3000 "}, "description"),
    (INCIDENTS, "description too long", {"description": LONG_8000}, "description"),
    (INCIDENTS, "description NUL", {"description": "施錠\x00漏れ"}, "description"),
    (INCIDENTS, "description a list", {"description": ["漏えい"]}, "description"),
    (INCIDENTS, "description surrogate", {"description": SURROGATE}, "description"),
    (INCIDENTS, "item unknown", {"item_ids": [Ref("missing")]}, "item_ids.0"),
    (INCIDENTS, "item not held", {"item_ids": [Ref("item_other")]}, "item_ids.0"),
    (INCIDENTS, "second item unknown", {"item_ids": [Ref("item"), Ref("missing")]},
     "item_ids.1"),
    (INCIDENTS, "item number", {"item_ids": [5]}, "item_ids.0"),
    (INCIDENTS, "item too long", {"item_ids": ["i" * 37]}, "item_ids.0"),
    (INCIDENTS, "item ids a string", {"item_ids": Ref("item")}, "item_ids"),
    (INCIDENTS, "item ids 51", {"item_ids": [Ref("item")] * 51}, "item_ids"),
    (INCIDENTS, "item ids null", {"item_ids": None}, "item_ids"),
    (INCIDENTS, "person of another company", {"person_ids": [Ref("outsider")]},
     "person_ids.0"),
    (INCIDENTS, "second person of another company",
     {"person_ids": [Ref("cleared"), Ref("outsider")]}, "person_ids.1"),
    (INCIDENTS, "person unknown", {"person_ids": [Ref("missing")]}, "person_ids.0"),
    (INCIDENTS, "person ids a string", {"person_ids": Ref("cleared")}, "person_ids"),
    (INCIDENTS, "person ids 51", {"person_ids": [Ref("cleared")] * 51}, "person_ids"),
    (INCIDENTS, "extra status", {"status": "closed"}, "status"),
    (INCIDENTS, "extra organisation_id", {"organisation_id": Ref("other")},
     "organisation_id"),

    ("POST incident closure", "note missing", {"closing_note": DROP}, "closing_note"),
    ("POST incident closure", "note empty", {"closing_note": ""}, "closing_note"),
    ("POST incident closure", "note blank", {"closing_note": "  \n"}, "closing_note"),
    ("POST incident closure", "note too long", {"closing_note": LONG_8000}, "closing_note"),
    ("POST incident closure", "note NUL", {"closing_note": "確\x00認"}, "closing_note"),
    ("POST incident closure", "note number", {"closing_note": 1}, "closing_note"),
    ("POST incident closure", "note null", {"closing_note": None}, "closing_note"),
    ("POST incident closure", "extra status", {"status": "open"}, "status"),

    (TRAINING, "person missing", {"person_id": DROP}, "person_id"),
    (TRAINING, "person unknown", {"person_id": Ref("missing")}, "person_id"),
    (TRAINING, "person of another company", {"person_id": Ref("outsider")}, "person_id"),
    (TRAINING, "person without employer", {"person_id": Ref("jobless")}, "person_id"),
    (TRAINING, "person number", {"person_id": 5}, "person_id"),
    (TRAINING, "kind missing", {"kind": DROP}, "kind"),
    (TRAINING, "kind unknown", {"kind": "annual"}, "kind"),
    (TRAINING, "kind upper case", {"kind": "INITIAL"}, "kind"),
    (TRAINING, "trained in the future", {"trained_on": FUTURE}, "trained_on"),
    (TRAINING, "trained in the future", {"trained_on": day(TODAY, 2)}, "trained_on"),
    (TRAINING, "trained 30 Feb", {"trained_on": "2024-02-30"}, "trained_on"),
    (TRAINING, "trained text", {"trained_on": "last spring"}, "trained_on"),
    (TRAINING, "trained missing", {"trained_on": DROP}, "trained_on"),
    (TRAINING, "trained number", {"trained_on": 20240401}, "trained_on"),
    (TRAINING, "extra organisation_id", {"organisation_id": Ref("other")},
     "organisation_id"),
    (TRAINING, "extra due_on", {"due_on": "2030-01-01"}, "due_on"),

    (INSPECTIONS, "kind missing", {"kind": DROP}, "kind"),
    (INSPECTIONS, "kind unknown", {"kind": "audit"}, "kind"),
    (INSPECTIONS, "on-site by the business", {"kind": "on_site"}, "kind"),
    (INSPECTIONS, "held in the future", {"held_on": FUTURE}, "held_on"),
    (INSPECTIONS, "held in the future", {"held_on": day(TODAY, 2)}, "held_on"),
    (INSPECTIONS, "held text", {"held_on": "last week"}, "held_on"),
    (INSPECTIONS, "held missing", {"held_on": DROP}, "held_on"),
    (INSPECTIONS, "summary missing", {"summary": DROP}, "summary"),
    (INSPECTIONS, "summary empty", {"summary": ""}, "summary"),
    (INSPECTIONS, "summary too long", {"summary": LONG_8000}, "summary"),
    (INSPECTIONS, "summary NUL", {"summary": "点\x00検"}, "summary"),
    (INSPECTIONS, "findings an object", {"findings": findings_with()[0]}, "findings"),
    (INSPECTIONS, "findings 101", {"findings": findings_with()[:1] * 101}, "findings"),
    (INSPECTIONS, "findings null", {"findings": None}, "findings"),
    (INSPECTIONS, "severity unknown", {"findings": findings_with(severity="catastrophic")},
     "findings.0.severity"),
    (INSPECTIONS, "severity missing", {"findings": findings_with(severity=DROP)},
     "findings.0.severity"),
    (INSPECTIONS, "second finding's severity unknown", {"findings": findings_with(1, severity="x")},
     "findings.1.severity"),
    (INSPECTIONS, "text missing", {"findings": findings_with(text=DROP)}, "findings.0.text"),
    (INSPECTIONS, "text empty", {"findings": findings_with(text="")}, "findings.0.text"),
    (INSPECTIONS, "text too long", {"findings": findings_with(text=LONG_8000)}, "findings.0.text"),
    (INSPECTIONS, "text NUL", {"findings": findings_with(text="掲\x00示")}, "findings.0.text"),
    (INSPECTIONS, "control unknown", {"findings": findings_with(control_id="NO-SUCH")},
     "findings.0.control_id"),
    (INSPECTIONS, "second finding's control unknown",
     {"findings": findings_with(1, control_id="NO-SUCH")}, "findings.1.control_id"),
    (INSPECTIONS, "control too long", {"findings": findings_with(control_id="C" * 17)},
     "findings.0.control_id"),
    (INSPECTIONS, "control empty", {"findings": findings_with(control_id="")},
     "findings.0.control_id"),
    (INSPECTIONS, "major without an action", {"findings": findings_with(severity="major")},
     "findings.0.action"),
    (INSPECTIONS, "critical without an action", {"findings": findings_with(1, severity="critical")},
     "findings.1.action"),
    (INSPECTIONS, "action without a due date", {"findings": findings_with(action="掲示の更新")},
     "findings.0.due_on"),
    (INSPECTIONS, "due date without an action", {"findings": findings_with(due_on=FUTURE)},
     "findings.0.action"),
    (INSPECTIONS, "due before the inspection",
     {"findings": findings_with(severity="major", action="錠の交換", due_on=day(TODAY, -11))},
     "findings.0.due_on"),
    (INSPECTIONS, "due text",
     {"findings": findings_with(severity="major", action="錠の交換", due_on="soon")},
     "findings.0.due_on"),
    (INSPECTIONS, "action NUL",
     {"findings": findings_with(severity="major", action="錠\x00", due_on=FUTURE)},
     "findings.0.action"),
    (INSPECTIONS, "finding extra closed_on", {"findings": findings_with(closed_on=day(TODAY))},
     "findings.0.closed_on"),
    (INSPECTIONS, "extra recorded_by", {"recorded_by": Ref("cso_user")}, "recorded_by"),

    ("POST participants", "person missing", {"person_id": DROP}, "person_id"),
    ("POST participants", "person unknown", {"person_id": Ref("missing")}, "person_id"),
    ("POST participants", "person number", {"person_id": 5}, "person_id"),
    ("POST participants", "person of another organisation", {"person_id": Ref("cleared")},
     "person_id"),
    ("POST participants", "dual national unscreened", {"person_id": Ref("uni_dual")},
     "screened_on"),
    ("POST participants", "foreign national unscreened", {"person_id": Ref("uni_us")},
     "screened_on"),
    ("POST participants", "screened in the future",
     {"person_id": Ref("uni_dual"), "screened_on": FUTURE}, "screened_on"),
    ("POST participants", "screened 30 Feb", {"screened_on": "2024-02-30"}, "screened_on"),
    ("POST participants", "screened text", {"screened_on": "done"}, "screened_on"),
    ("POST participants", "extra joined_on", {"joined_on": "2024-01-01"}, "joined_on"),

    (SPEC, "item missing", {"item_id": DROP}, "item_id"),
    (SPEC, "item unknown", {"item_id": Ref("missing")}, "item_id"),
    (SPEC, "item too long", {"item_id": "i" * 37}, "item_id"),
    (SPEC, "item number", {"item_id": 5}, "item_id"),
    (SPEC, "item not held by the business", {"item_id": Ref("item_other")}, "item_id"),
    (SPEC, "item no longer classified", {"item_id": Ref("item_lifted")}, "item_id"),
    (SPEC, "departments missing", {"departments": DROP}, "departments"),
    (SPEC, "departments empty", {"departments": []}, "departments"),
    (SPEC, "departments a string", {"departments": "研究開発部"}, "departments"),
    (SPEC, "departments 51", {"departments": ["部"] * 51}, "departments"),
    (SPEC, "department empty", {"departments": [""]}, "departments.0"),
    (SPEC, "department blank", {"departments": ["  "]}, "departments.0"),
    (SPEC, "department too long", {"departments": ["d" * 201]}, "departments.0"),
    (SPEC, "department number", {"departments": [5]}, "departments.0"),
    (SPEC, "department NUL", {"departments": ["研究\x00部"], "item_id": Ref("item_spare")},
     "departments"),
    (SPEC, "department surrogate", {"departments": [SURROGATE]}, "departments"),
    (SPEC, "handling missing", {"handling": DROP}, "handling"),
    (SPEC, "handling empty", {"handling": ""}, "handling"),
    (SPEC, "handling too long", {"handling": LONG_8000}, "handling"),
    (SPEC, "handling NUL", {"handling": "保全室\x00"}, "handling"),
    (SPEC, "return rule missing", {"return_rule": DROP}, "return_rule"),
    (SPEC, "return rule blank", {"return_rule": "   "}, "return_rule"),
    (SPEC, "extra level", {"level": "CESI"}, "level"),
    (SPEC, "extra facility_id", {"facility_id": Ref("fac_research")}, "facility_id"),
]

# Bodies that are not a JSON object at all: (label, content type, raw bytes).
RAW = [
    ("malformed JSON", "application/json", b'{"name_en": "x", '),
    ("trailing garbage", "application/json", b'{"name_en": "x"} trailing'),
    ("form encoded", "application/x-www-form-urlencoded", b"name_en=x&kind=company"),
    ("plain text", "text/plain", b"name_en: x"),
    ("XML", "application/xml", b"<organisation><name_en>x</name_en></organisation>"),
    ("JSON array", "application/json", b'[{"name_en": "x"}]'),
    ("JSON string", "application/json", b'"name_en"'),
    ("JSON null", "application/json", b"null"),
    ("empty", "application/json", b""),
    ("not UTF-8", "application/json", b'{"name_en": "\xff\xfe"}'),
]
WITH_BODY = [k for k, v in ENDPOINTS.items() if v[2] is not None]


HIGH_RISK = {"POST adjudication", "POST revocation"}  # the sender sends a code (X-Hozen-OTP)


def unchanged(env: Env, endpoint: str, before: dict) -> None:
    """Nothing written (but, by a high-risk call, what its code used up)."""
    after = snapshot(env.engine)
    if endpoint in HIGH_RISK:
        before, after = code_use_left_out(before), code_use_left_out(after)
    assert_unchanged(before, after)


def request(env: Env, endpoint: str, role: Role | str | None = None, *, json_body=None,
            raw: tuple[str, bytes] | None = None, path_ids: dict | None = None):
    """role: the sender (a role's user, or the subject of the case named); by default the
    endpoint's own (WHO), else the window officer."""
    method, path, _ = ENDPOINTS[endpoint]
    url = API + path.format(**(env.ids | (path_ids or {})))
    role = role or WHO.get(endpoint, Role.WINDOW_OFFICER)
    login = env.world.users[role] if isinstance(role, Role) else env.logins[role]
    headers = with_code(login) if endpoint in HIGH_RISK else dict(login.headers)
    if raw is not None:
        headers["content-type"] = raw[0]
        return env.client.request(method, url, headers=headers, content=raw[1])
    if json_body is None:
        return env.client.request(method, url, headers=headers)
    # ensure_ascii keeps a lone surrogate as the escape a real client would send
    headers["content-type"] = "application/json"
    return env.client.request(method, url, headers=headers,
                              content=json.dumps(json_body, ensure_ascii=True).encode())


def assert_refused(r, field: str | None, status: int | None = None) -> dict:
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
    assert 400 <= r.status_code < 500, f"accepted: {r.status_code} {r.text[:300]}"
    if status is not None:
        assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == r.status_code and body["title"] and body["type"]
    for e in body.get("errors", []):
        assert e["field"] and e["code"] and e["message"], body
    if field is not None:
        named = {body.get("field")} | {e["field"] for e in body.get("errors", [])}
        # a list item may be named by its index: nationalities.0
        assert any(n == field or str(n).startswith(field + ".") for n in named if n), body
    return body


def case_id(case) -> str:
    return f"{case[0]} | {case[1]}"


# Faults of src these cases found, by case: each is expected to fail until src is fixed;
# the xfail is strict, so the fix makes it fail again until its entry here is removed.
KNOWN_BUGS: dict[str, str] = {}  # case id -> the source bug it shows, run as strict xfail


def known_bug(case):
    reason = KNOWN_BUGS.get(case_id(case))
    return case if reason is None else pytest.param(
        case, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("case", [known_bug(c) for c in CASES], ids=case_id)
def test_bad_field_is_refused_naming_it_and_writes_nothing(env, case):
    endpoint, _label, changes, field, *role = case
    base = ENDPOINTS[endpoint][2]
    body = {k: v for k, v in (base | changes).items() if v is not DROP}
    before = snapshot(env.engine)
    r = request(env, endpoint, *role, json_body=resolve(body, env.ids))
    assert_refused(r, field)
    unchanged(env, endpoint, before)


@pytest.mark.parametrize("endpoint", WITH_BODY)
@pytest.mark.parametrize("label, ctype, raw", RAW, ids=[r[0] for r in RAW])
def test_body_that_is_not_a_json_object_is_refused(env, endpoint, label, ctype, raw):
    before = snapshot(env.engine)
    assert_refused(request(env, endpoint, raw=(ctype, raw)), "body")
    unchanged(env, endpoint, before)


WITH_ID = [e for e, (_m, path, _b) in ENDPOINTS.items() if "{" in path]


@pytest.mark.parametrize("endpoint", WITH_ID)
@pytest.mark.parametrize("target", ["missing", "x" * 300, "%00", "' OR 1=1 --"])
def test_write_to_an_unknown_id_is_404_and_writes_nothing(env, endpoint, target):
    key = re.search(r"\{(\w+)\}", ENDPOINTS[endpoint][1])[1]
    before = snapshot(env.engine)
    r = request(env, endpoint, path_ids={key: env.ids.get(target, target)},
                json_body=resolve(ENDPOINTS[endpoint][2], env.ids))
    assert_refused(r, None, 404)
    unchanged(env, endpoint, before)


# Submitting a draft checks the whole saved questionnaire: (case, a field named).
INCOMPLETE = [("draft_empty", "residences"), ("draft_partial", "travel"),
              ("draft_partial", "foreign_accounts"), ("draft_partial", "areas"),
              ("draft_partial", "family"), ("draft_six", "areas")]


# A draft is saved with gaps (the subject fills it in as they go); submission refuses
# a history that does not cover the years asked: (label, sections, field).
GAPS = [
    ("residence gap of 31 days", {"residences": entry("residences", end=day(Q_MID, -32))},
     "residences"),
    ("residence history starts 4 years ago", {"residences": Q["residences"][1:]},
     "residences"),
    ("residence history stops 40 days ago",
     {"residences": entry("residences", 1, end=day(TODAY, -40))}, "residences"),
    ("residence history empty", {"residences": []}, "residences"),
    ("employment gap of 31 days",
     {"employment": entry("employment", end=day(Q_MID, -32)) + [
         {"start": day(Q_MID), "end": None, "kind": "employed", "employer": "B社"}]},
     "employment"),
    ("employment stops 40 days ago", {"employment": entry("employment", end=day(TODAY, -40))},
     "employment"),
]


@pytest.mark.parametrize("case, field", INCOMPLETE, ids=[f"{c} {f}" for c, f in INCOMPLETE])
def test_submitting_an_incomplete_questionnaire_is_refused(env, case, field):
    before = snapshot(env.engine)
    r = request(env, "POST submission", case, path_ids={"draft_s": env.ids[case]})
    assert_refused(r, field, 422)
    assert_unchanged(before, snapshot(env.engine))


@pytest.mark.parametrize("label, sections, field", GAPS, ids=[g[0] for g in GAPS])
def test_a_draft_with_gaps_is_saved_but_not_submitted(env, label, sections, field):
    r = request(env, QN, "draft_gap", json_body=Q | sections,
                path_ids={"draft": env.ids["draft_gap"]})
    assert r.status_code == 200, r.text[:300]
    assert r.json()[field] == sections[field]
    before = snapshot(env.engine)
    r = request(env, "POST submission", "draft_gap", path_ids={"draft_s": env.ids["draft_gap"]})
    assert_refused(r, field, 422)
    assert r.json()["errors"][0]["code"] == "unexplained_gap"
    assert_unchanged(before, snapshot(env.engine))


@pytest.mark.parametrize("section", ["residences", "employment"])
def test_a_history_gap_of_exactly_30_days_is_accepted(env, section):
    """Control for the 31-day gaps above: the limit is 30 days, inclusive."""
    body = {section: entry(section, end=day(Q_MID, -31)) + (
        [] if section == "residences" else
        [{"start": day(Q_MID), "end": None, "kind": "employed", "employer": "B社"}])}
    r = request(env, QN, json_body=body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()[section] == body[section]


VERIFY = API + "/people/{person}/clearance-verification"
BAD_PURPOSE = [("missing", None), ("empty", ""), ("too short", "ab"), ("too long", "p" * 201),
               ("control character", "visit\x01V-1"), ("newline", "visit\nV-1")]


@pytest.mark.parametrize("label, purpose", BAD_PURPOSE, ids=[b[0] for b in BAD_PURPOSE])
def test_verification_without_a_proper_purpose_is_refused_and_not_logged(env, label, purpose):
    """The query writes its purpose to the audit log: a bad purpose writes nothing."""
    before = snapshot(env.engine)
    r = env.client.get(VERIFY.format(person=env.ids["staff"]),
                       params={} if purpose is None else {"purpose": purpose},
                       headers=env.world.users[Role.AGENCY_OFFICIAL].headers)
    assert_refused(r, "purpose", 422)
    assert_unchanged(before, snapshot(env.engine))


@pytest.mark.parametrize("target", ["x" * 300, "%00", "' OR 1=1 --"],
                         ids=["300 characters", "NUL", "quote"])
def test_verification_of_a_malformed_person_id_is_no_server_error(env, target):
    r = env.client.get(VERIFY.format(person=target), params={"purpose": "visit V-1"},
                       headers=env.world.users[Role.AGENCY_OFFICIAL].headers)
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
    if r.status_code == 200:  # nobody holds a clearance under such an id
        assert r.json() == {"status": "none", "level": None, "regime": None,
                            "valid_until": None}
    else:
        assert_refused(r, None, 404)


# What each accepted step of a case leaves behind (a part of its answer).
ACCEPTED = {
    "POST /clearance-cases": {"status": "in_progress"},
    "POST consent": {"state": "draft"},
    "POST refusal": {"state": "refused"},
    "POST withdrawal": {"state": "withdrawn"},
    "POST submission": {"state": "submitted"},
    "POST intake": {"state": "investigation"},
    "POST findings": {"area": "finances", "severity": "minor"},
    "POST investigation-completion": {"state": "adjudication"},
    "POST adjudication": {"state": "granted"},
    "POST suspension": {"status": "suspended"},
    "POST reinstatement": {"status": "active"},
    "POST revocation": {"status": "revoked"},
    "POST reportable-events": {"kind": "arrest"},
    "POST assessment": {"reopened_cases": []},  # the person has no granted case
    "POST complaints": {"status": "open"},
    "POST answer": {"status": "answered"},
    "POST corrections": {"status": "open"},
    "POST decision": {"status": "accepted"},
    "POST renewal": {"status": "in_progress"},
    "POST /facilities": {"state": "proposed", "project": "新しい研究計画"},
    "POST application": {"state": "applied"},
    "POST review": {"state": "under_review"},
    "POST checklist": {"state": "under_review"},
    "POST certify": {"state": "certified"},
    "POST refuse": {"state": "refused"},
    "POST suspend": {"state": "suspended"},
    "POST reinstate": {"state": "certified"},
    "POST revoke": {"state": "revoked"},
    "POST withdraw": {"state": "withdrawn"},
    "POST national-interest": {"state": "certified"},
    "POST changes": {"status": "pending"},
    "POST change decision": {"status": "approved"},
    "POST foci-declarations": {"flagged": False, "board_seats": 2},
    "POST foci-mitigations": {"flagged": False},
    "POST handlers": {"current": True},
    "POST handler removal": {"current": False},
    "POST custody-events": {"kind": "receipt"},
    "POST incidents": {"status": "open"},
    "POST incident closure": {"status": "closed"},
    "POST training-records": {"overdue": False},
    "POST inspections": {"kind": "self"},
    "POST finding closure": {"overdue": False},
    "POST participants": {"screened_on": None, "left_on": None},
    "POST specification": {"level": "CESI", "departments": ["研究開発部"]},
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))  # in order: DELETE comes last
def test_the_valid_bodies_are_accepted(env, endpoint):
    """Control: each case above differs from an accepted request by its one fault."""
    r = request(env, endpoint, json_body=resolve(ENDPOINTS[endpoint][2], env.ids))
    assert r.status_code in (200, 201, 204), f"{endpoint}: {r.status_code} {r.text[:300]}"
    if endpoint == "DELETE /ownership":
        with session_factory(env.engine)() as s:
            assert s.get(OwnershipEdge, env.ids["edge_b"]) is None
    if endpoint in ACCEPTED:
        assert r.json() | ACCEPTED[endpoint] == r.json(), r.json()
    if endpoint.startswith("PATCH questionnaire"):
        assert r.json() == ENDPOINTS[endpoint][2]
    if endpoint == BURDEN:
        with session_factory(env.engine)() as s:
            row = s.get(BurdenRecord, r.json()["id"])
            assert (row.case_id, row.party, row.minutes) == (env.ids["complained"], "window", 30)


# Acting a second time on what was dealt with: (endpoint, the object acted on, the field).
AGAIN = [("POST assessment", {"event": "assessed_event"}, "adverse"),
         ("POST answer", {"complaint": "answered_complaint"}, "status"),
         ("POST decision", {"correction": "decided_correction"}, "status"),
         ("POST renewal", {"renewable": "renewed"}, "state"),
         ("POST renewal", {"renewable": "complained"}, "state")]  # not granted


@pytest.mark.parametrize("endpoint, target, field", AGAIN,
                         ids=[f"{e} {next(iter(t.values()))}" for e, t, _f in AGAIN])
def test_acting_again_on_what_was_dealt_with_is_a_conflict(env, endpoint, target, field):
    before = snapshot(env.engine)
    r = request(env, endpoint, path_ids={k: env.ids[v] for k, v in target.items()},
                json_body=resolve(ENDPOINTS[endpoint][2], env.ids))
    assert_refused(r, field, 409)
    unchanged(env, endpoint, before)
    with session_factory(env.engine)() as s:  # what was dealt with stays as it was
        event = s.get(ReportableEvent, env.ids["assessed_event"])
        assert (event.adverse, s.get(Complaint, env.ids["answered_complaint"]).status,
                s.get(CorrectionRequest, env.ids["decided_correction"]).status) == (
            False, "answered", "rejected")


def test_an_accepted_step_is_written_with_its_audit_event(env):
    """Control for "writes nothing": the snapshot does see a step of a case."""
    before = snapshot(env.engine)
    case_id, login = env.ids["listed_r"], env.logins["listed_r"]
    with session_factory(env.engine)() as s:
        state = s.scalar(select(ClearanceCase.state).where(ClearanceCase.id == case_id))
    if state == "listed":  # not yet refused by the control above
        r = env.client.post(f"{API}/clearance-cases/{case_id}/refusal", headers=login.headers)
        assert r.status_code == 200
    else:
        r = env.client.post(f"{API}/clearance-cases", json={
            "person_id": env.ids["listed_r_person"], "regime": "SDS",
            "sponsor_id": env.ids["gov"]},
            headers=env.world.users[Role.COMPANY_SECURITY_OFFICER].headers)
        assert r.status_code == 201, r.text[:300]
    after = snapshot(env.engine)
    assert before["clearance_case"] != after["clearance_case"]
    assert after["audit_event"].total() == before["audit_event"].total() + 1


# Facility refusals that depend on what the request acts on: (endpoint, label, the path ids
# replaced, changes to the valid body, the field named[, sender]).
ELSEWHERE = [
    ("POST certify", "checklist not met", {"fac_certify": "fac_review"}, {}, "checklist"),
    ("POST reinstate", "a critical finding open", {"fac_reinstate": "fac_blocked"}, {},
     "findings"),
    ("POST change decision", "a new foreign owner, FOCI unmitigated",
     {"change": "owner_change"}, {}, "foci"),
    ("POST handlers", "item no longer classified", {"item_h": "item_lifted"}, {}, "item_id"),
    ("POST handlers", "a CESI clearance for an SDS item", {"item_h": "item_sds"}, {},
     "person_id"),
    ("POST handlers", "a business without a certification", {"item_h": "item_other"},
     {"person_id": Ref("outsider")}, "item_id", "other_cso"),
    ("POST participants", "not a research project", {"fac_research": "fac_main"},
     {"person_id": Ref("cleared")}, "facility_id", CSO),
]
# Acting on what was dealt with, or out of order: 409 naming the field.
FACILITY_AGAIN = [
    ("POST certify", "certify twice", {"fac_certify": "fac_main"}, {}, "state"),
    ("POST refuse", "refuse a certified one", {"fac_refuse": "fac_main"}, {}, "state"),
    ("POST reinstate", "reinstate a certified one", {"fac_reinstate": "fac_main"}, {},
     "state"),
    ("POST suspend", "suspend a revoked one", {"fac_suspend": "fac_revoked"}, {}, "state"),
    ("POST revoke", "revoke twice", {"fac_revoke": "fac_revoked"}, {}, "state"),
    ("POST withdraw", "withdraw a revoked one", {"fac_withdraw": "fac_revoked"}, {},
     "state"),
    ("POST withdraw", "withdraw while suspended", {"fac_withdraw": "fac_blocked"}, {},
     "state"),
    ("POST national-interest", "a CESI certification", {"fac_ni": "fac_changed"}, {},
     "state"),
    ("POST review", "review twice", {"fac_applied": "fac_review"}, {}, "state"),
    ("POST application", "apply twice", {"fac_proposed": "fac_applied"}, {}, "state"),
    ("POST checklist", "checklist after certification", {"fac_review": "fac_main"}, {},
     "state"),
    ("POST changes", "a second change while one is pending", {"fac_changes": "fac_owner"},
     {}, "state", "foci_cso"),
    ("POST change decision", "decide a change twice", {"change": "decided_change"}, {},
     "status"),
    ("POST handlers", "a handler twice", {"item_h": "item"}, {}, "person_id"),
    ("POST handler removal", "remove a handler twice", {"handler": "removed_handler"}, {},
     "removed_on"),
    ("POST incident closure", "close an incident twice", {"incident": "closed_incident"}, {},
     "status"),
    ("POST finding closure", "close a finding twice", {"finding": "closed_finding"}, {},
     "closed_on"),
    ("POST inspections", "inspect a revoked one", {"fac_main": "fac_revoked"}, {}, "state",
     "uni_cso"),
    ("POST participants", "a participant twice", {}, {"person_id": Ref("member_person")},
     "person_id"),
    ("POST participants", "join a revoked project", {"fac_research": "fac_revoked"}, {},
     "state"),
    ("POST participant removal", "remove a participant twice",
     {"participant": "left_participant"}, {}, "left_on"),
    ("POST specification", "an item twice", {}, {"item_id": Ref("item")}, "item_id"),
]


@pytest.mark.parametrize("case", [(*c[:5], 422, *c[5:]) for c in ELSEWHERE]
                         + [(*c[:5], 409, *c[5:]) for c in FACILITY_AGAIN], ids=case_id)
def test_a_facility_refusal_of_what_is_acted_on_names_the_field(env, case):
    endpoint, _label, targets, changes, field, status, *role = case
    body = ENDPOINTS[endpoint][2]
    if body is not None:
        body = {k: v for k, v in (body | changes).items() if v is not DROP}
    before = snapshot(env.engine)
    r = request(env, endpoint, *role, json_body=resolve(body, env.ids),
                path_ids={k: env.ids[v] for k, v in targets.items()})
    assert_refused(r, field, status)
    unchanged(env, endpoint, before)
    with session_factory(env.engine)() as s:  # what was dealt with stays as it was
        ids = env.ids
        assert (s.get(Facility, ids["fac_main"]).state, s.get(Facility, ids["fac_revoked"]).state,
                s.get(Facility, ids["fac_blocked"]).state,
                s.get(ChangeReport, ids["decided_change"]).status,
                s.get(Handler, ids["removed_handler"]).removed_on is not None,
                s.get(Incident, ids["closed_incident"]).status,
                s.get(InspectionFinding, ids["closed_finding"]).closed_on is not None,
                s.get(ResearchParticipant, ids["left_participant"]).left_on is not None) == (
            "certified", "revoked", "suspended", "approved", True, "closed", True, True)

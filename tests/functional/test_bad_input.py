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
from hozen.registry.models import OwnershipEdge
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
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield Env(client, world, engine, ids, logins)


# --- cases of suitability assessment, moved by the real services -----------------------

TODAY = utcnow().date()  # the server's today (UTC)
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
    ("POST findings", "found tomorrow", {"found_on": day(TODAY, 1)}, "found_on"),
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
    (EV, "occurred tomorrow", {"occurred_on": day(TODAY, 1)}, "occurred_on"),
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


def request(env: Env, endpoint: str, role: Role | str | None = None, *, json_body=None,
            raw: tuple[str, bytes] | None = None, path_ids: dict | None = None):
    """role: the sender (a role's user, or the subject of the case named); by default the
    endpoint's own (WHO), else the window officer."""
    method, path, _ = ENDPOINTS[endpoint]
    url = API + path.format(**(env.ids | (path_ids or {})))
    role = role or WHO.get(endpoint, Role.WINDOW_OFFICER)
    login = env.world.users[role] if isinstance(role, Role) else env.logins[role]
    headers = dict(login.headers)
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


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_field_is_refused_naming_it_and_writes_nothing(env, case):
    endpoint, _label, changes, field, *role = case
    base = ENDPOINTS[endpoint][2]
    body = {k: v for k, v in (base | changes).items() if v is not DROP}
    before = snapshot(env.engine)
    r = request(env, endpoint, *role, json_body=resolve(body, env.ids))
    assert_refused(r, field)
    assert_unchanged(before, snapshot(env.engine))


@pytest.mark.parametrize("endpoint", WITH_BODY)
@pytest.mark.parametrize("label, ctype, raw", RAW, ids=[r[0] for r in RAW])
def test_body_that_is_not_a_json_object_is_refused(env, endpoint, label, ctype, raw):
    before = snapshot(env.engine)
    assert_refused(request(env, endpoint, raw=(ctype, raw)), "body")
    assert_unchanged(before, snapshot(env.engine))


WITH_ID = [e for e, (_m, path, _b) in ENDPOINTS.items() if "{" in path]


@pytest.mark.parametrize("endpoint", WITH_ID)
@pytest.mark.parametrize("target", ["missing", "x" * 300, "%00", "' OR 1=1 --"])
def test_write_to_an_unknown_id_is_404_and_writes_nothing(env, endpoint, target):
    key = re.search(r"\{(\w+)\}", ENDPOINTS[endpoint][1])[1]
    before = snapshot(env.engine)
    r = request(env, endpoint, path_ids={key: env.ids.get(target, target)},
                json_body=resolve(ENDPOINTS[endpoint][2], env.ids))
    assert_refused(r, None, 404)
    assert_unchanged(before, snapshot(env.engine))


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
    assert_unchanged(before, snapshot(env.engine))
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

"""Property test through the real API on the real database: random sequences of calls
drawn from every case action, by various roles (the investigator who also holds the
adjudicator role included), never reach "granted" unless the case had the subject's
consent, a completed investigation (its own or a reused one) and an adjudicator who did
not investigate. After every step the database and the audit log are checked: a failed
call wrote nothing, a successful one moved its case exactly as the state machine says,
and every case's audit trail replays through the state machine to its stored state."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hozen.accounts.permissions import Role
from hozen.accounts.services import create_token, create_user
from hozen.audit.models import AuditEvent
from hozen.clearances import rules
from hozen.clearances.models import (
    AreaDecision,
    Clearance,
    ClearanceCase,
    Finding,
    Investigation,
)
from hozen.clearances.rules import AREAS, Action, CaseState
from hozen.db import session_factory, utcnow
from hozen.policy import load_policy
from tests.authenticator import Coded
from tests.clearance_helpers import favourable_decisions, full_questionnaire
from tests.factories import PASSWORD, SYSTEM, Login, make_person, make_user, make_world

API = "/api/v1/clearance-cases"
RANK = {"CESI": 1, "SDS": 2}
VALIDITY = load_policy().clearance["validity_years"]
_n = itertools.count(1)

# The documented workflow, written out here so that the test does not trust rules.py.
S, A = CaseState, Action
WORKFLOW = {
    (S.LISTED, A.CONSENT): S.DRAFT, (S.LISTED, A.REFUSE): S.REFUSED,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.OPEN_INVESTIGATION): S.INVESTIGATION,
    (S.SUBMITTED, A.REUSE_INVESTIGATION): S.ADJUDICATION,
    (S.INVESTIGATION, A.COMPLETE_INVESTIGATION): S.ADJUDICATION,
    (S.ADJUDICATION, A.GRANT): S.GRANTED, (S.ADJUDICATION, A.DENY): S.DENIED,
    (S.GRANTED, A.REOPEN): S.ADJUDICATION,
    **{(s, A.WITHDRAW): S.WITHDRAWN
       for s in (S.LISTED, S.DRAFT, S.SUBMITTED, S.INVESTIGATION, S.ADJUDICATION)},
}
OPEN = {"listed", "draft", "submitted", "investigation", "adjudication"}


def expected_next(state: str, action: Action) -> str:
    assert (CaseState(state), action) in WORKFLOW, f"illegal move: {action} from {state}"
    return WORKFLOW[(CaseState(state), action)].value


# audit verb -> the state-machine action it records (None: the state does not change)
VERB_ACTION = {
    "consent": Action.CONSENT,
    "refuse": Action.REFUSE,
    "withdraw": Action.WITHDRAW,
    "submit": Action.SUBMIT,
    "assign": Action.OPEN_INVESTIGATION,
    "reuse-investigation": Action.REUSE_INVESTIGATION,
    "investigation-complete": Action.COMPLETE_INVESTIGATION,
    "reopen": Action.REOPEN,
    "questionnaire-save": None,
    "finding": None,
}


def today() -> date:
    return utcnow().date()


@dataclass
class Actors:
    """Everyone who calls the API in these tests, by a short name."""

    logins: dict[str, Login]
    gov_id: str
    subject_of: dict[str, str] = field(default_factory=dict)  # person id -> user id

    def __getitem__(self, name: str) -> Login:
        return self.logins[name]


def dual_role_user(s, org_id: str) -> Login:
    """An investigator who also holds the adjudicator role."""
    username = f"dual{next(_n)}"
    user = create_user(s, username=username, password=PASSWORD, display_name=username,
                       organisation_id=org_id, roles=[Role.INVESTIGATOR, Role.ADJUDICATOR],
                       actor=SYSTEM)
    token = create_token(s, username, "test", actor=SYSTEM)
    return Login(user.id, username, token, None, org_id, None)


@pytest.fixture
def world(session, clean):
    w = make_world(session)
    dual = dual_role_user(session, w.gov.id)
    session.commit()
    u = w.users
    actors = Actors({
        "cso": u[Role.COMPANY_SECURITY_OFFICER], "agency": u[Role.AGENCY_OFFICIAL],
        "staff_subject": u[Role.SUBJECT], "window": u[Role.WINDOW_OFFICER],
        # the adjudicators' headers carry a fresh code: adjudication is high-risk
        "inv": u[Role.INVESTIGATOR], "adj": Coded(u[Role.ADJUDICATOR]), "dual": Coded(dual),
        "auditor": u[Role.AUDITOR],
    }, w.gov.id)
    actors.subject_of[w.staff.id] = u[Role.SUBJECT].user_id
    return w, actors, clean


def new_subject(engine, w, actors: Actors) -> tuple[str, Login]:
    """A fresh person employed by the world's company, with their own subject login."""
    with session_factory(engine)() as s:
        person = make_person(s, employer_id=w.company.id, family_name_kanji="田中",
                             family_name_kana="タナカ", family_name_latin="Tanaka")
        login = make_user(s, Role.SUBJECT, w.company.id, person.id)
        s.commit()
    actors.subject_of[person.id] = login.user_id
    return person.id, login


# --- reading the database -------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    states: dict[str, str]
    counts: tuple[int, ...]


def snapshot(engine) -> Snapshot:
    with session_factory(engine)() as s:
        states = dict(s.execute(select(ClearanceCase.id, ClearanceCase.state)).all())
        # (the events of a code used up, X-Hozen-OTP, are not the case's)
        counts = (s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.tag.not_like("accounts:mfa:%"))), *(
            s.scalar(select(func.count()).select_from(m))
            for m in (Investigation, Finding, AreaDecision, Clearance)))
        s.rollback()
    return Snapshot(states, counts)


def details(e: AuditEvent) -> dict:
    return json.loads(e.details)


def case_events(s, case_id: str) -> list[AuditEvent]:
    return list(s.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "clearance_case", AuditEvent.subject_id == case_id)
        .order_by(AuditEvent.seq)))


def replay(events: list[AuditEvent]) -> str:
    """Run the case's audit trail through the state machine; return the final state."""
    assert events and events[0].tag in ("clearances:case:list", "clearances:case:renew"), [
        e.tag for e in events]
    state = "listed"
    assert details(events[0])["state"] == state
    for e in events[1:]:
        verb = e.tag.rsplit(":", 1)[1]
        d = details(e)
        if verb == "read":  # reading the file records no state
            continue
        if verb == "adjudicate":
            action = Action.GRANT if d["outcome"] == "granted" else Action.DENY
        else:
            action = VERB_ACTION.get(verb)
        if action is not None:
            state = expected_next(state, action)
        assert d["state"] == state, (verb, d, state)
    return state


def check_invariants(engine, actors: Actors, only: list[str] | None = None) -> int:
    """Every case (or only these) replays to its stored state; every granted one was
    granted properly. Returns the number of granted cases."""
    granted = 0
    with session_factory(engine)() as s:
        q = select(ClearanceCase)
        if only is not None:
            q = q.where(ClearanceCase.id.in_(only))
        for case in s.scalars(q):
            events = case_events(s, case.id)
            assert replay(events) == case.state
            if case.state == CaseState.GRANTED:
                check_granted(s, case, events, actors)
                granted += 1
            else:
                assert s.scalar(select(Clearance).where(Clearance.case_id == case.id)) is None
        s.rollback()
    return granted


def check_granted(s, case: ClearanceCase, events: list[AuditEvent], actors: Actors) -> None:
    grant = [e for e in events if e.tag == "clearances:case:adjudicate"
             and details(e)["outcome"] == "granted"][-1]
    # 1. the subject's own consent, before the grant
    consents = [e for e in events if e.tag == "clearances:case:consent"]
    assert consents, "granted without consent"
    assert consents[0].actor == f"user:{actors.subject_of[case.person_id]}"
    assert consents[0].seq < grant.seq
    assert case.consented_at is not None
    # 2. a completed investigation of this person, for the same or a higher regime,
    #    opened for this case or reused, and completed before the grant
    assert case.investigation_id is not None, "granted without an investigation"
    inv = s.get(Investigation, case.investigation_id)
    assert inv.person_id == case.person_id
    assert inv.completed_on is not None, "granted on an unfinished investigation"
    assert RANK[inv.regime] >= RANK[case.regime]
    how = "reuse-investigation" if case.reused_investigation else "assign"
    assert any(e.tag == f"clearances:case:{how}" and details(e)["investigation"] == inv.id
               for e in events)
    completions = [e for e in s.scalars(select(AuditEvent).where(
        AuditEvent.tag == "clearances:case:investigation-complete"))
        if details(e)["investigation"] == inv.id]
    assert len(completions) == 1 and completions[0].seq < grant.seq
    # 3. the adjudicator investigated nothing of it
    adjudicator = grant.actor.removeprefix("user:")
    investigators = ({inv.investigator_id, completions[0].actor.removeprefix("user:")}
                     | set(s.scalars(select(Finding.recorded_by).where(
                         Finding.investigation_id == inv.id))))
    assert adjudicator not in investigators, "the investigator adjudicated"
    decisions = list(s.scalars(select(AreaDecision).where(AreaDecision.case_id == case.id)))
    assert sorted(d.area for d in decisions) == sorted(AREAS)
    assert all(d.favourable and d.adjudicator_id == adjudicator for d in decisions)
    # 4. the clearance it produced
    clearance = s.scalar(select(Clearance).where(Clearance.case_id == case.id))
    assert clearance.status == "active" and clearance.regime == case.regime
    assert clearance.valid_until == rules.valid_until(
        clearance.granted_on, rules.Regime(case.regime), VALIDITY)


# --- the calls ------------------------------------------------------------------------

KINDS = ("list", "consent", "refuse", "withdraw", "save", "submit", "intake", "finding",
         "complete", "adjudicate")
SUBJECT_SIDE = ["subject"] * 8 + ["staff_subject", "cso", "window"]
WHO = {
    "list": ["cso"] * 4 + ["agency", "subject", "window"],
    "consent": SUBJECT_SIDE, "refuse": SUBJECT_SIDE, "withdraw": SUBJECT_SIDE,
    "save": SUBJECT_SIDE, "submit": SUBJECT_SIDE,
    "intake": ["window"] * 6 + ["cso", "inv", "adj"],
    "finding": ["inv", "dual"] * 3 + ["adj"],
    "complete": ["inv", "dual"] * 3 + ["adj"],
    "adjudicate": ["adj", "dual"] * 3 + ["inv", "window", "cso"],
}
NATURAL = {  # the kinds that move a case in this state forward
    "listed": ["consent"] * 4 + ["refuse"], "draft": ["save", "submit"],
    "submitted": ["intake"],
    "investigation": ["finding", "complete", "complete"], "adjudication": ["adjudicate"],
}


@dataclass
class Example:
    person_id: str
    subject: Login
    cases: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)  # a complete questionnaire saved
    stats: dict[str, int] = field(default_factory=dict)


def call(client, actors: Actors, ex: Example, kind: str, who: str, case_id: str | None,
         draw) -> tuple:
    """Make one API call; return (response, expected action on success)."""
    login = ex.subject if who == "subject" else actors[who]
    h = login.headers
    base = f"{API}/{case_id}"
    if kind == "list":
        regime = draw(st.sampled_from(["CESI", "SDS"]))
        body = {"person_id": ex.person_id, "regime": regime, "sponsor_id": actors.gov_id}
        return client.post(API, headers=h, json=body), None
    if kind == "consent":
        body = {"family_consent": draw(st.booleans()), "declines_reasons": draw(st.booleans())}
        return client.post(base + "/consent", headers=h, json=body), Action.CONSENT
    if kind == "refuse":
        return client.post(base + "/refusal", headers=h), Action.REFUSE
    if kind == "withdraw":
        return client.post(base + "/withdrawal", headers=h), Action.WITHDRAW
    if kind == "save":
        variant = draw(st.sampled_from(["full", "no_family"] * 3 + ["areas_only",
                                                                          "future"]))
        body = full_questionnaire(today(), family=variant != "no_family")
        if variant == "areas_only":
            body = {"areas": body["areas"]}
        elif variant == "future":
            body["residences"][1]["start"] = date(2099, 1, 1).isoformat()
        r = client.patch(base + "/questionnaire", headers=h, json=body)
        if r.status_code == 200 and variant in ("full", "no_family"):
            ex.answered.add(case_id)
        return r, None
    if kind == "submit":
        r = client.post(base + "/submission", headers=h)
        if r.status_code == 422:  # not complete after all: answer again
            ex.answered.discard(case_id)
        return r, Action.SUBMIT
    if kind == "intake":
        pick = draw(st.sampled_from(["inv", "dual", "dual", "none", "adj"]))
        body = {} if pick == "none" else {"investigator_id": actors[pick].user_id}
        return client.post(base + "/intake", headers=h, json=body), "intake"
    if kind == "finding":
        body = {"area": draw(st.sampled_from(AREAS)),
                "severity": draw(st.sampled_from(rules.SEVERITIES)),
                "found_on": draw(st.sampled_from(["2024-01-10", today().isoformat()])),
                "source": "記録", "summary": "所見"}
        return client.post(base + "/findings", headers=h, json=body), None
    if kind == "complete":
        return client.post(base + "/investigation-completion", headers=h), \
            Action.COMPLETE_INVESTIGATION
    assert kind == "adjudicate"
    body = favourable_decisions()
    if not draw(st.integers(0, 3)):
        body["decisions"][draw(st.integers(0, 6))]["favourable"] = False
    action = (Action.GRANT if all(d["favourable"] for d in body["decisions"])
              else Action.DENY)
    return client.post(base + "/adjudication", headers=h, json=body), action


def investigators_of(engine, case_id: str) -> set[str]:
    with session_factory(engine)() as s:
        case = s.get(ClearanceCase, case_id)
        inv = s.get(Investigation, case.investigation_id) if case.investigation_id else None
        found = set() if inv is None else (
            {inv.investigator_id} | set(s.scalars(select(Finding.recorded_by).where(
                Finding.investigation_id == inv.id))))
        s.rollback()
    return found


def eligible_for_reuse(engine, case_id: str) -> bool:
    """R2: a completed investigation of the same person for this regime or higher, with
    no serious finding from any other investigation dated on or after its completion.
    (Every investigation here completed today, so none is too old.)"""
    with session_factory(engine)() as s:
        case = s.get(ClearanceCase, case_id)
        done = s.execute(select(Investigation.id, Investigation.regime,
                                Investigation.completed_on).where(
            Investigation.person_id == case.person_id,
            Investigation.completed_on.is_not(None))).all()
        serious = s.execute(select(Finding.investigation_id, Finding.found_on).join(
            Investigation).where(Investigation.person_id == case.person_id,
                                 Finding.severity == "serious")).all()
        eligible = any(
            RANK[regime] >= RANK[case.regime]
            and not any(src != inv_id and found >= completed for src, found in serious)
            for inv_id, regime, completed in done)
        s.rollback()
    return eligible


def step(client, engine, actors: Actors, ex: Example, data) -> None:
    before = snapshot(engine)
    open_ = [c for c in ex.cases if before.states[c] in OPEN]
    pool = open_ if open_ and data.draw(st.integers(0, 4), label="open?") else ex.cases
    case_id = data.draw(st.sampled_from(pool), label="case") if pool else None
    state = before.states.get(case_id)
    natural = NATURAL.get(state, ["list"])
    if state == "draft":
        natural = ["submit"] if case_id in ex.answered else ["save"]
    if case_id is None:
        kind = "list"
    elif data.draw(st.integers(0, 5), label="natural?"):
        kind = data.draw(st.sampled_from(natural), label="kind")
    else:
        kind = data.draw(st.sampled_from(KINDS), label="kind")
    who = data.draw(st.sampled_from(WHO[kind]), label="who")
    dual_investigated = (case_id is not None
                         and actors["dual"].user_id in investigators_of(engine, case_id))
    reuse_possible = kind == "intake" and case_id is not None and eligible_for_reuse(
        engine, case_id)

    r, action = call(client, actors, ex, kind, who, case_id, data.draw)
    after = snapshot(engine)
    assert r.status_code < 500, r.text

    if r.status_code >= 400:
        # a failed call writes nothing at all
        assert after == before, (kind, who, r.status_code, r.text)
    else:
        ex.stats[kind] = ex.stats.get(kind, 0) + 1
        if kind == "list":
            assert r.status_code == 201 and who in ("cso",), (who, r.text)
            new_id = r.json()["id"]
            assert set(after.states) - set(before.states) == {new_id}
            assert after.states[new_id] == "listed"
            ex.cases.append(new_id)
        else:
            assert set(after.states) == set(before.states)
            changed = {c for c in after.states if after.states[c] != before.states[c]}
            assert changed <= {case_id}
            if action == "intake":
                reused = r.json()["reused_investigation"]
                assert reused is reuse_possible
                action = (Action.REUSE_INVESTIGATION if reused
                          else Action.OPEN_INVESTIGATION)
                ex.stats["reuse"] = ex.stats.get("reuse", 0) + reused
            if action is None:  # questionnaire or finding: no move
                assert after.states[case_id] == state
            else:
                assert after.states[case_id] == expected_next(state, action)
            # who may succeed at what
            if kind in ("consent", "refuse", "withdraw", "save", "submit"):
                assert who == "subject"
            elif kind == "intake":
                assert who == "window"
            elif kind in ("finding", "complete"):
                assert who in ("inv", "dual") and actors[who].user_id in investigators_of(
                    engine, case_id)
            elif kind == "adjudicate":
                assert who in ("adj", "dual")
                assert not (who == "dual" and dual_investigated)
                if action is Action.GRANT:
                    ex.stats["grant_ok"] = ex.stats.get("grant_ok", 0) + 1

    if (kind == "adjudicate" and who == "dual" and state == "adjudication"
            and dual_investigated):
        # the investigator holding the adjudicator role is stopped, by name
        assert r.status_code == 409 and r.json()["field"] == "adjudicator", r.text
        ex.stats["dual_refused"] = ex.stats.get("dual_refused", 0) + 1
    if kind == "adjudicate" and who in ("inv", "window", "cso"):
        assert r.status_code == 404

    check_invariants(engine, actors, ex.cases)


def test_no_api_sequence_grants_without_consent_investigation_and_a_separate_adjudicator(
        client, world):
    w, actors, engine = world
    totals: dict[str, int] = {}

    @settings(max_examples=16, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        person_id, subject = new_subject(engine, w, actors)
        ex = Example(person_id, subject)
        # sometimes the person already holds a clearance whose investigation may be reused
        past = data.draw(st.sampled_from([None, None, ("CESI", "inv"), ("SDS", "dual"),
                                          ("CESI", "dual")]), label="past")
        if past is not None:
            base = journey(client, actors, person_id, subject, *past)
            r = client.post(base + "/adjudication", headers=actors["adj"].headers,
                            json=favourable_decisions())
            assert r.json()["state"] == "granted", r.text
            ex.cases.append(base.rsplit("/", 1)[1])
        for _ in range(data.draw(st.integers(8, 26), label="steps")):
            step(client, engine, actors, ex, data)
        for k, v in ex.stats.items():
            totals[k] = totals.get(k, 0) + v

    run()
    # and the whole database agrees at the end
    assert check_invariants(engine, actors) >= totals.get("grant_ok", 0)
    # the random walks did reach the interesting places
    assert totals.get("grant_ok", 0) >= 2, totals
    assert totals.get("dual_refused", 0) >= 1, totals
    assert totals.get("adjudicate", 0) >= 2, totals


# --- fixed journeys at the edges of the property --------------------------------------


def journey(client, actors: Actors, person_id: str, subject: Login, regime: str,
            investigator: str | None, findings=()) -> str:
    """List, consent, answer, submit and take in; investigate unless reused."""
    r = client.post(API, headers=actors["cso"].headers,
                    json={"person_id": person_id, "regime": regime,
                          "sponsor_id": actors.gov_id})
    assert r.status_code == 201, r.text
    base = f"{API}/{r.json()['id']}"
    assert client.post(base + "/consent", headers=subject.headers,
                       json={"family_consent": True}).status_code == 200
    assert client.patch(base + "/questionnaire", headers=subject.headers,
                        json=full_questionnaire(today())).status_code == 200
    assert client.post(base + "/submission", headers=subject.headers).status_code == 200
    body = {"investigator_id": actors[investigator].user_id} if investigator else {}
    r = client.post(base + "/intake", headers=actors["window"].headers, json=body)
    assert r.status_code == 200, r.text
    if r.json()["state"] == "investigation":
        for f in findings:
            assert client.post(base + "/findings", headers=actors[investigator].headers,
                               json=f).status_code == 201
        r = client.post(base + "/investigation-completion",
                        headers=actors[investigator].headers)
        assert r.status_code == 200, r.text
    return base


def test_a_reused_investigation_still_bars_its_investigator_from_adjudicating(client, world):
    w, actors, engine = world
    person_id, subject = new_subject(engine, w, actors)
    first = journey(client, actors, person_id, subject, "SDS", "dual")
    r = client.post(first + "/adjudication", headers=actors["dual"].headers,
                    json=favourable_decisions())
    assert r.status_code == 409 and r.json()["field"] == "adjudicator"
    assert client.post(first + "/adjudication", headers=actors["adj"].headers,
                       json=favourable_decisions()).json()["state"] == "granted"
    # a new CESI case for the same person reuses the SDS investigation (R2) ...
    second = journey(client, actors, person_id, subject, "CESI", None)
    case = client.get(second, headers=actors["window"].headers).json()
    assert case["state"] == "adjudication" and case["reused_investigation"] is True
    # ... and the one who did that investigation still may not decide
    r = client.post(second + "/adjudication", headers=actors["dual"].headers,
                    json=favourable_decisions())
    assert r.status_code == 409 and r.json()["field"] == "adjudicator"
    assert client.post(second + "/adjudication", headers=actors["adj"].headers,
                       json=favourable_decisions()).json()["state"] == "granted"
    assert check_invariants(engine, actors) == 2


def test_a_lower_regime_investigation_is_not_reused_for_a_higher_one(client, world):
    w, actors, engine = world
    person_id, subject = new_subject(engine, w, actors)
    first = journey(client, actors, person_id, subject, "CESI", "inv")
    assert client.post(first + "/adjudication", headers=actors["adj"].headers,
                       json=favourable_decisions()).json()["state"] == "granted"
    second = journey(client, actors, person_id, subject, "SDS", "dual")
    case = client.get(second, headers=actors["window"].headers).json()
    assert case["reused_investigation"] is False
    assert check_invariants(engine, actors) == 1


def test_an_adverse_finding_since_completion_blocks_reuse(client, world):
    """R2: reuse only while "no adverse report has arrived since". A serious finding
    about the person, found after the earlier investigation was completed, must stop
    that investigation from being reused."""
    w, actors, engine = world
    person_id, subject = new_subject(engine, w, actors)
    cesi = journey(client, actors, person_id, subject, "CESI", "inv")
    assert client.post(cesi + "/adjudication", headers=actors["adj"].headers,
                       json=favourable_decisions()).json()["state"] == "granted"
    # an SDS assessment cannot reuse the CESI investigation: a new one opens, and it
    # finds something serious, dated today (on/after the CESI investigation's completion)
    r = client.post(API, headers=actors["cso"].headers,
                    json={"person_id": person_id, "regime": "SDS",
                          "sponsor_id": actors.gov_id})
    sds = f"{API}/{r.json()['id']}"
    client.post(sds + "/consent", headers=subject.headers, json={"family_consent": True})
    client.patch(sds + "/questionnaire", headers=subject.headers,
                 json=full_questionnaire(today()))
    client.post(sds + "/submission", headers=subject.headers)
    r = client.post(sds + "/intake", headers=actors["window"].headers,
                    json={"investigator_id": actors["dual"].user_id})
    assert r.json()["state"] == "investigation"
    r = client.post(sds + "/findings", headers=actors["dual"].headers,
                    json={"area": "harmful_activities", "severity": "serious",
                          "found_on": today().isoformat(), "source": "警察庁",
                          "summary": "外国情報機関との接触"})
    assert r.status_code == 201
    # a renewed CESI assessment now may not rely on the old investigation
    r = client.post(API, headers=actors["cso"].headers,
                    json={"person_id": person_id, "regime": "CESI",
                          "sponsor_id": actors.gov_id})
    assert r.status_code == 201, r.text
    renewal = f"{API}/{r.json()['id']}"
    client.post(renewal + "/consent", headers=subject.headers, json={"family_consent": True})
    client.patch(renewal + "/questionnaire", headers=subject.headers,
                 json=full_questionnaire(today()))
    client.post(renewal + "/submission", headers=subject.headers)
    r = client.post(renewal + "/intake", headers=actors["window"].headers,
                    json={"investigator_id": actors["inv"].user_id})
    assert r.status_code == 200, r.text
    assert r.json()["reused_investigation"] is False, (
        "reused an investigation despite a serious finding since its completion")
    assert r.json()["state"] == "investigation"

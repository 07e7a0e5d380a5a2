"""Designation (指定) through the API and `hozen jobs run`, on the real database: the
two-person decision with its consultation, who sees what, terms and their caps, lapse
(pending disposition, never a declassification), provisional designation, reviews,
downgrades, holders' liftings, objections, items with their markings and labels, and bad
input on every write endpoint (a 4xx naming the field, never a 500, nothing written)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.accounts.services import create_token, create_user
from hozen.audit.models import AuditEvent
from hozen.cli.main import app as cli
from hozen.db import new_id, session_factory, utcnow
from hozen.designations.models import Designation, Proposal
from hozen.notifications.models import Notification
from tests.authenticator import code_use_left_out, with_code
from tests.conftest import wipe
from tests.factories import (
    PASSWORD,
    SYSTEM,
    Login,
    World,
    assert_unchanged,
    cheap_argon2,
    detached_world,
    make_org,
    make_user,
    snapshot,
)

API = "/api/v1"
runner = CliRunner()
AGENCY, APPROVER = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL
CSO, EXPERT, INSPECTOR = (Role.COMPANY_SECURITY_OFFICER, Role.EXTERNAL_EXPERT,
                          Role.OVERSIGHT_INSPECTOR)
CESI_BANNER = "重要経済安保情報"
LABEL_NS = "{urn:nato:stanag:4774:confidentialitymetadatalabel:1:0}"
SURROGATE = "\ud800"  # a lone surrogate: a valid JSON escape, not a character


def today() -> date:
    return utcnow().date()  # the services' today (UTC)


def years_later(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def last_day(start: date, years: int = 5) -> date:
    """The last day of a term of `years` starting on `start`."""
    return years_later(start, years) - timedelta(days=1)


# --- set-up and helpers --------------------------------------------------------------------


@pytest.fixture
def world(session) -> World:
    return detached_world(session)


def extra_user(session, roles: list[Role], org_id: str) -> Login:
    """A user beyond make_world's one per role (several roles allowed)."""
    with cheap_argon2():
        if len(roles) == 1:
            login = make_user(session, roles[0], org_id)
        else:
            name = f"dual{new_id()[-8:]}"
            user = create_user(session, username=name, password=PASSWORD, display_name=name,
                               organisation_id=org_id, roles=roles, actor=SYSTEM)
            token = create_token(session, name, "test", actor=SYSTEM)
            login = Login(user.id, name, token, None, org_id, None)
    session.commit()
    return login


def other_agency(session) -> Login:
    """An agency official of a second government body."""
    org = make_org(session, kind="government_body", name_ja="経済産業省テスト",
                   name_en="METI test")
    session.commit()
    return extra_user(session, [AGENCY], org.id)


def designation_body(world: World, **changes) -> dict:
    start = today()
    return {"title": "全固体電池の量産技術", "regime": "CESI", "category": "key_technologies",
            "reasons": "供給網の要となる技術であり、漏えいすれば重要経済基盤に支障を及ぼす。\n"
                       "同盟国との共同開発の範囲に限る。",
            "scope_kind": "technology", "scope": "全固体電池", "holders": [world.company.id],
            "releasable_to": [], "term_start": start.isoformat(),
            "term_end": last_day(start).isoformat(), "experts": []} | changes


def propose(client, world: World, login: Login | None = None, **changes) -> dict:
    r = client.post(f"{API}/designations", headers=(login or world.users[AGENCY]).headers,
                    json=designation_body(world, **changes))
    assert r.status_code == 201, r.text
    return r.json()


def provisional(client, world: World, **changes):
    return client.post(f"{API}/designations/provisional",
                       headers=with_code(world.users[AGENCY]),
                       json=designation_body(world, **changes))


def detail(client, login: Login, designation_id: str) -> dict:
    r = client.get(f"{API}/designations/{designation_id}", headers=login.headers)
    assert r.status_code == 200, r.text
    return r.json()


def listed_of(client, login: Login, designation_id: str, what: str) -> list[dict]:
    """A designation's items, reviews or objections: one page, the whole list here."""
    r = client.get(f"{API}/designations/{designation_id}/{what}", headers=login.headers)
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return r.json()["items"]


def open_proposal(client, world: World, designation_id: str) -> dict:
    [p] = [p for p in detail(client, world.users[AGENCY], designation_id)["proposals"]
           if p["status"] == "open"]
    return p


def decide(client, login: Login, proposal_id: str, approve: bool = True):
    return client.post(f"{API}/designation-proposals/{proposal_id}/decision",
                       headers=with_code(login),
                       json={"approve": approve, "reasons": "必要性を確認した。"})


def approve_open(client, world: World, designation_id: str, approve: bool = True) -> None:
    p = open_proposal(client, world, designation_id)
    r = decide(client, world.users[APPROVER], p["id"], approve)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": p["id"], "status": "approved" if approve else "rejected"}


def in_force(client, world: World, **changes) -> dict:
    d = propose(client, world, **changes)
    approve_open(client, world, d["id"])
    return detail(client, world.users[AGENCY], d["id"])


def change(client, login: Login, designation_id: str, kind: str, **fields):
    return client.post(f"{API}/designations/{designation_id}/proposals", headers=login.headers,
                       json={"kind": kind, "reasons": "状況の変化による。", **fields})


def comment(client, login: Login, proposal_id: str, text: str):
    return client.post(f"{API}/designation-proposals/{proposal_id}/comments",
                       headers=login.headers, json={"text": text})


def make_item(client, world: World, **fields) -> dict:
    r = client.post(f"{API}/items", headers=world.users[AGENCY].headers,
                    json={"title": "試験成績書", "kind": "document"} | fields)
    assert r.status_code == 201, r.text
    return r.json()


def read_item(client, login: Login, item_id: str) -> dict:
    r = client.get(f"{API}/items/{item_id}", headers=login.headers)
    assert r.status_code == 200, r.text
    return r.json()


def set_designation(session, designation_id: str, **values) -> None:
    """Move a designation's dates with a committed UPDATE (the API's today is real)."""
    session.execute(update(Designation).where(Designation.id == designation_id)
                    .values(**values))
    session.commit()


def inbox(client, login: Login, kind: str) -> list[dict]:
    r = client.get(f"{API}/me/notifications", params={"lang": "en"}, headers=login.headers)
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == kind]


def count(session, model, *where) -> int:
    n = session.scalar(select(func.count()).select_from(model).where(*where))
    session.rollback()
    return n


JOB_LINE = re.compile(r"designation reviews opened (\d+), review reminders (\d+), "
                      r"lapse alerts (\d+)")


def run_jobs(day: date) -> tuple[int, int, int]:
    """`hozen jobs run --today day`: (reviews opened, review reminders, lapse alerts)."""
    result = runner.invoke(cli, ["jobs", "run", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    m = JOB_LINE.search(result.output)
    assert m, result.output
    return tuple(int(g) for g in m.groups())


def assert_problem(r, status: int, field: str | None = None, code: str | None = None) -> dict:
    assert r.status_code == status, f"{r.status_code}: {r.text[:400]}"
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field is not None:  # a list item may be named by its index: releasable_to.0
        assert body.get("field") in (field, f"{field}.0"), body
    if code is not None:
        assert code in {e["code"] for e in body.get("errors", [])}, body
    return body


# --- the full flow -------------------------------------------------------------------------


def test_proposal_consultation_and_approval_by_a_second_official(client, world, session):
    u = world.users
    expert = u[EXPERT]
    d = propose(client, world, experts=[expert.user_id])
    assert d["status"] == "proposed"
    assert re.fullmatch(rf"CESI-{today().year}-0001", d["reference"]), d["reference"]
    assert d["first_start"] is None and d["next_review_on"] is None
    assert d["holders"] == [world.company.id] and d["manager_id"] == u[AGENCY].user_id
    assert d["agency_id"] == world.gov.id
    # the holder's security officer and the invited expert are asked for comments
    assert len(inbox(client, u[CSO], "designation_consultation")) == 1
    assert len(inbox(client, expert, "designation_consultation")) == 1
    p = open_proposal(client, world, d["id"])
    assert p["kind"] == "designate" and p["proposed_by"] == u[AGENCY].user_id
    assert comment(client, u[CSO], p["id"], "当社の製造工程に限定すべき。").status_code == 201
    assert comment(client, expert, p["id"], "学術発表の扱いを明記されたい。").status_code == 201

    # the proposer's own agency cannot decide; only an approving official may
    assert_problem(decide(client, u[AGENCY], p["id"]), 403)
    assert detail(client, u[AGENCY], d["id"])["status"] == "proposed"
    r = decide(client, u[APPROVER], p["id"])
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text

    after = detail(client, u[AGENCY], d["id"])
    start = date.fromisoformat(d["term_start"])
    assert after["status"] == "in_force"
    assert after["first_start"] == d["term_start"]
    assert after["next_review_on"] == years_later(start, 1).isoformat()  # 12 months
    assert after["review_overdue"] is False and after["lifted_on"] is None
    [decided] = after["proposals"]
    assert decided["status"] == "approved" and decided["decided_by"] == u[APPROVER].user_id

    # the comments stay with the record: government sees both, each commenter only its own
    for role in (AGENCY, APPROVER, Role.AUDITOR, INSPECTOR):
        texts = {c["text"] for c in detail(client, u[role], d["id"])["proposals"][0]["comments"]}
        assert texts == {"当社の製造工程に限定すべき。", "学術発表の扱いを明記されたい。"}, role
    for login, own in ((u[CSO], "当社の製造工程に限定すべき。"),
                       (expert, "学術発表の扱いを明記されたい。")):
        [c] = detail(client, login, d["id"])["proposals"][0]["comments"]
        assert c["text"] == own and c["author_id"] == login.user_id

    # the decision's audit event records that two comments were before the approver
    [(actor, details)] = session.execute(select(AuditEvent.actor, AuditEvent.details).where(
        AuditEvent.tag == "designations:designation:decide-designate",
        AuditEvent.subject_id == d["id"])).all()
    session.rollback()
    details = json.loads(details)
    assert details["comments_seen"] == 2 and details["outcome"] == "approved"
    assert actor == f"user:{u[APPROVER].user_id}"
    assert len(inbox(client, u[CSO], "designation_decided")) == 1

    # the consultation is closed and the decision final
    assert_problem(comment(client, u[CSO], p["id"], "追記"), 409)
    assert_problem(decide(client, u[APPROVER], p["id"], approve=False), 409)
    assert detail(client, u[AGENCY], d["id"])["status"] == "in_force"


def test_the_proposer_never_decides_even_holding_the_approving_role(client, world, session,
                                                                     engine):
    dual = extra_user(session, [AGENCY, APPROVER], world.gov.id)
    d = propose(client, world, login=dual)
    p = open_proposal(client, world, d["id"])
    before = snapshot(engine)
    body = assert_problem(decide(client, dual, p["id"]), 409, field="approver")
    assert "approv" in body["title"]
    unchanged_but_code_use(before, snapshot(engine))
    assert_problem(decide(client, world.users[AGENCY], p["id"]), 403)
    unchanged_but_code_use(before, snapshot(engine))
    assert decide(client, world.users[APPROVER], p["id"]).status_code == 200
    assert detail(client, dual, d["id"])["status"] == "in_force"


def test_a_rejected_proposal_never_takes_effect(client, world):
    u = world.users
    d = propose(client, world)
    approve_open(client, world, d["id"], approve=False)
    after = detail(client, u[AGENCY], d["id"])
    assert after["status"] == "rejected" and after["first_start"] is None
    assert_problem(change(client, u[AGENCY], d["id"], "lift"), 409)
    r = client.post(f"{API}/items", headers=u[AGENCY].headers,
                    json={"title": "資料", "kind": "document", "designation_id": d["id"]})
    assert_problem(r, 422, field="designation_id")


def test_references_count_per_regime_and_year(client, world):
    year = today().year
    assert propose(client, world)["reference"] == f"CESI-{year}-0001"
    assert propose(client, world)["reference"] == f"CESI-{year}-0002"
    sds = propose(client, world, regime="SDS", category="defence")
    assert sds["reference"] == f"SDS-{year}-0001"


def test_concurrent_proposals_each_get_their_own_reference(world, engine):
    """Several app processes share one database: proposals made at the same moment are
    all accepted, each with its own number in the register."""
    from hozen.designations import proposals
    from hozen.designations.schemas import DesignationCreate

    writers = 6
    barrier = threading.Barrier(writers)
    refs: list[str] = []
    errors: list[str] = []
    data = DesignationCreate.model_validate(designation_body(world))

    def propose_one() -> None:
        try:
            with session_factory(engine)() as s:
                barrier.wait(timeout=30)
                d = proposals.propose_designation(s, data, actor=world.users[AGENCY].actor)
                reference = d.reference
                s.commit()
            refs.append(reference)
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    threads = [threading.Thread(target=propose_one) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    year = today().year
    assert sorted(refs) == [f"CESI-{year}-{n:04d}" for n in range(1, writers + 1)]


# --- who sees what -------------------------------------------------------------------------


def test_only_those_involved_see_a_designation(client, world, session, engine):
    u = world.users
    d = in_force(client, world, experts=[u[EXPERT].user_id])
    item = make_item(client, world, designation_id=d["id"])
    outsider_cso = extra_user(session, [CSO], world.other_company.id)
    uninvited = extra_user(session, [EXPERT], world.other_company.id)
    before = snapshot(engine)
    for login in (outsider_cso, uninvited):
        for path in (f"/designations/{d['id']}", f"/designations/{d['id']}/items",
                     f"/items/{item['id']}", f"/items/{item['id']}/label.xml"):
            assert_problem(client.get(API + path, headers=login.headers), 404)
        r = client.get(f"{API}/designations", headers=login.headers)
        assert r.status_code == 200 and r.json()["items"] == [], r.text
        assert_problem(change(client, login, d["id"], "lift"), 404)
        assert_problem(client.post(f"{API}/designations/{d['id']}/objections",
                                   headers=login.headers, json={"text": "不当"}), 404)
    for role in (Role.SUBJECT, Role.FOREIGN_LIAISON, Role.INVESTIGATOR, Role.ADJUDICATOR):
        assert_problem(client.get(f"{API}/designations/{d['id']}",
                                  headers=u[role].headers), 404)
        assert_problem(client.get(f"{API}/items/{item['id']}", headers=u[role].headers), 404)
        assert_problem(client.get(f"{API}/designations", headers=u[role].headers), 403)
    assert_unchanged(before, snapshot(engine))
    # the holder's officer, the invited expert and government see it
    for role in (CSO, EXPERT, AGENCY, APPROVER, INSPECTOR, Role.AUDITOR, Role.WINDOW_OFFICER):
        listed = client.get(f"{API}/designations", headers=u[role].headers).json()["items"]
        assert [x["id"] for x in listed] == [d["id"]], role
        assert read_item(client, u[role], item["id"])["level"] == "CESI"
    # holders and experts see no reviews, and no one else's comments or objections
    assert listed_of(client, u[EXPERT], d["id"], "reviews") == []
    assert listed_of(client, u[EXPERT], d["id"], "objections") == []


def test_an_expert_sees_only_the_designations_they_are_consulted_on(client, world, session,
                                                                   engine):
    u = world.users
    mine = propose(client, world, experts=[u[EXPERT].user_id], title="対象の指定")
    propose(client, world, title="他の指定")
    listed = client.get(f"{API}/designations", headers=u[EXPERT].headers).json()["items"]
    assert [x["id"] for x in listed] == [mine["id"]]
    other = propose(client, world, title="招かれない指定")
    assert_problem(client.get(f"{API}/designations/{other['id']}",
                              headers=u[EXPERT].headers), 404)
    # only those consulted comment: not an uninvited expert, nor a non-holder's officer
    outsider = extra_user(session, [CSO], world.other_company.id)
    p = open_proposal(client, world, other["id"])
    before = snapshot(engine)
    for login in (u[EXPERT], outsider):
        assert_problem(comment(client, login, p["id"], "意見"), 404)
    assert_unchanged(before, snapshot(engine))
    assert comment(client, u[EXPERT], open_proposal(client, world, mine["id"])["id"],
                   "意見").status_code == 201


# --- terms ---------------------------------------------------------------------------------


def test_a_term_over_five_years_is_refused_and_nothing_written(client, world, engine):
    start = today()
    before = snapshot(engine)
    r = client.post(f"{API}/designations", headers=world.users[AGENCY].headers,
                    json=designation_body(world, term_end=years_later(start, 5).isoformat()))
    assert_problem(r, 422, field="term_end", code="term_too_long")
    assert_unchanged(before, snapshot(engine))
    # the last day of five years is allowed
    assert propose(client, world, term_end=last_day(start).isoformat())["status"] == "proposed"


def test_a_term_ending_before_it_starts_is_refused(client, world, engine):
    before = snapshot(engine)
    r = client.post(f"{API}/designations", headers=world.users[AGENCY].headers,
                    json=designation_body(world, term_end=(today() - timedelta(days=1))
                                          .isoformat()))
    assert_problem(r, 422, field="term_end", code="end_before_start")
    assert_unchanged(before, snapshot(engine))


def test_a_term_at_the_end_of_the_calendar_never_gives_a_500(client, world, engine):
    """Dates near 9999-12-31: the caps (5, 30, 60 years on) and the review clock run past
    the calendar. Refused naming the term, or accepted and then decided and renewed
    without error; never a 500."""
    u = world.users
    before = snapshot(engine)
    r = client.post(f"{API}/designations", headers=u[AGENCY].headers,
                    json=designation_body(world, term_start="9999-01-01",
                                          term_end="9999-06-30"))
    assert r.status_code < 500, r.text
    if r.status_code != 201:
        body = assert_problem(r, 422)
        assert body["field"] in ("term_start", "term_end"), body
        assert_unchanged(before, snapshot(engine))
        return
    d = r.json()
    p = open_proposal(client, world, d["id"])
    r = decide(client, u[APPROVER], p["id"])
    assert r.status_code == 200, r.text
    assert detail(client, u[AGENCY], d["id"])["status"] == "in_force"
    for end in ("9999-12-30", "9999-12-31"):
        r = change(client, u[AGENCY], d["id"], "renew", term_end=end)
        assert r.status_code < 500, r.text
    assert run_jobs(today())[0] == 0


def test_a_renewal_continues_the_term_without_a_gap(client, world, engine):
    u = world.users
    d = in_force(client, world)
    end = date.fromisoformat(d["term_end"])
    before = snapshot(engine)
    assert_problem(change(client, u[AGENCY], d["id"], "renew"), 422, field="term_end")
    too_long = years_later(end + timedelta(days=1), 5)
    assert_problem(change(client, u[AGENCY], d["id"], "renew", term_end=too_long.isoformat()),
                   422, field="term_end", code="term_too_long")
    assert_unchanged(before, snapshot(engine))
    new_end = last_day(end + timedelta(days=1))
    r = change(client, u[AGENCY], d["id"], "renew", term_end=new_end.isoformat())
    assert r.status_code == 201 and r.json()["kind"] == "renew", r.text
    # one open proposal at a time
    assert_problem(change(client, u[AGENCY], d["id"], "lift"), 409)
    approve_open(client, world, d["id"])
    after = detail(client, u[AGENCY], d["id"])
    assert after["term_start"] == (end + timedelta(days=1)).isoformat()
    assert after["term_end"] == new_end.isoformat()
    assert after["first_start"] == d["first_start"] and after["status"] == "in_force"


def _long_running(client, world, session, years_in_force: int) -> tuple[dict, date]:
    """A designation in force whose first term began `years_in_force` years ago, now in
    a five-year term ending two years from now; returns it and its renewal's start."""
    d = in_force(client, world)
    t = today()
    start, end = years_later(t, -3), last_day(years_later(t, -3))
    set_designation(session, d["id"], first_start=years_later(t, -years_in_force),
                    term_start=start, term_end=end)
    return d, end + timedelta(days=1)


def test_beyond_thirty_years_only_with_cabinet_approval(client, world, session, engine):
    u = world.users
    d, renewal = _long_running(client, world, session, 27)
    first = date.fromisoformat(detail(client, u[AGENCY], d["id"])["first_start"])
    thirty = years_later(first, 30)  # the first day beyond 30 years
    assert renewal < thirty
    before = snapshot(engine)
    r = change(client, u[AGENCY], d["id"], "renew", term_end=thirty.isoformat())
    assert_problem(r, 422, field="cabinet_approval", code="cabinet_approval_required")
    assert_unchanged(before, snapshot(engine))
    # up to the last day of 30 years needs no cabinet
    r = change(client, u[AGENCY], d["id"], "renew",
               term_end=(thirty - timedelta(days=1)).isoformat())
    assert r.status_code == 201, r.text
    decide(client, u[APPROVER], r.json()["id"], approve=False)
    # beyond, with the cabinet's approval and reasons: accepted and approved
    r = change(client, u[AGENCY], d["id"], "renew", term_end=last_day(renewal).isoformat(),
               cabinet_reasons="閣議決定により延長(国際共同開発の継続のため)")
    assert r.status_code == 201, r.text
    approve_open(client, world, d["id"])
    after = detail(client, u[AGENCY], d["id"])
    assert after["status"] == "in_force" and after["term_end"] == last_day(renewal).isoformat()
    [cabinet] = [p for p in after["proposals"] if p["cabinet_reasons"]]
    assert cabinet["status"] == "approved"


def test_never_beyond_sixty_years(client, world, session, engine):
    u = world.users
    d, renewal = _long_running(client, world, session, 56)
    first = date.fromisoformat(detail(client, u[AGENCY], d["id"])["first_start"])
    sixty = years_later(first, 60)
    before = snapshot(engine)
    r = change(client, u[AGENCY], d["id"], "renew", term_end=sixty.isoformat(),
               cabinet_reasons="閣議決定")
    assert_problem(r, 422, field="term_end", code="beyond_absolute_limit")
    assert_unchanged(before, snapshot(engine))
    r = change(client, u[AGENCY], d["id"], "renew",
               term_end=(sixty - timedelta(days=1)).isoformat(), cabinet_reasons="閣議決定")
    assert r.status_code == 201, r.text
    approve_open(client, world, d["id"])
    assert detail(client, u[AGENCY], d["id"])["term_end"] == (
        sixty - timedelta(days=1)).isoformat()
    assert renewal < sixty


# --- lapse: pending disposition --------------------------------------------------------------


def test_an_ended_term_is_pending_disposition_and_its_items_stay_classified(client, world,
                                                                           session):
    u = world.users
    d = in_force(client, world)
    item = make_item(client, world, designation_id=d["id"], controls=["NOFORN"])
    t = today()
    start, end = years_later(t, -5), t - timedelta(days=1)
    set_designation(session, d["id"], first_start=start, term_start=start, term_end=end)

    lapsed = detail(client, u[AGENCY], d["id"])
    assert lapsed["status"] == "pending_disposition" and lapsed["lifted_on"] is None
    [listed] = client.get(f"{API}/designations", headers=u[CSO].headers).json()["items"]
    assert listed["status"] == "pending_disposition"
    seen = read_item(client, u[CSO], item["id"])
    assert seen["level"] == "CESI" and seen["designation_status"] == "pending_disposition"
    assert seen["banner"] == f"{CESI_BANNER}//NOFORN"
    [in_list] = listed_of(client, u[CSO], d["id"], "items")
    assert in_list["level"] == "CESI"
    assert in_list["designation_status"] == "pending_disposition"

    # a renewal, approved, puts it back in force from the day after the old end
    r = change(client, u[AGENCY], d["id"], "renew", term_end=last_day(t).isoformat())
    assert r.status_code == 201, r.text
    approve_open(client, world, d["id"])
    renewed = detail(client, u[AGENCY], d["id"])
    assert renewed["status"] == "in_force" and renewed["term_start"] == t.isoformat()
    assert read_item(client, u[CSO], item["id"])["designation_status"] == "in_force"


def test_the_job_alerts_the_agency_weekly_while_pending(client, world, session):
    u = world.users
    d = in_force(client, world)
    end = date.fromisoformat(d["term_end"])
    day = end + timedelta(days=1)
    opened, _, alerts = run_jobs(day)
    assert (opened, alerts) == (1, 1)  # its yearly review too, overdue by then
    lapsed = Notification.kind == "designation_lapsed"
    assert count(session, Notification, lapsed) == 1
    [alert] = inbox(client, u[AGENCY], "designation_lapsed")
    assert d["reference"] in alert["body"] and end.isoformat() in alert["body"]
    # the job never declassifies: the recorded status is unchanged
    recorded = session.execute(select(Designation.status, Designation.lifted_on).where(
        Designation.id == d["id"])).one()
    session.rollback()
    assert tuple(recorded) == ("in_force", None)

    assert run_jobs(day) == (0, 0, 0)  # the same day: nothing new
    assert count(session, Notification, lapsed) == 1
    assert run_jobs(day + timedelta(days=7))[2] == 1  # a week later: another alert
    assert count(session, Notification, lapsed) == 2
    assert run_jobs(day + timedelta(days=7)) == (0, 0, 0)

    # renewed (and approved), it is no longer pending: no more alerts
    r = change(client, u[AGENCY], d["id"], "renew", term_end=last_day(day).isoformat())
    assert r.status_code == 201, r.text
    approve_open(client, world, d["id"])
    assert run_jobs(day + timedelta(days=14))[2] == 0
    assert count(session, Notification, lapsed) == 2


# --- provisional designation -----------------------------------------------------------------


def test_a_provisional_designation_is_in_effect_at_once_and_confirmed(client, world):
    u = world.users
    t = today()
    r = provisional(client, world)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "provisional" and d["provisional"] is True
    assert d["confirm_by"] == (t + timedelta(days=90)).isoformat()
    assert d["first_start"] == t.isoformat()
    assert d["next_review_on"] == years_later(t, 1).isoformat()
    item = make_item(client, world, designation_id=d["id"])
    assert item["level"] == "CESI" and item["designation_status"] == "provisional"
    # no renewal before it is confirmed
    assert_problem(change(client, u[AGENCY], d["id"], "renew",
                          term_end=last_day(years_later(t, 5)).isoformat()), 409)
    approve_open(client, world, d["id"])
    confirmed = detail(client, u[AGENCY], d["id"])
    assert confirmed["status"] == "in_force" and confirmed["confirm_by"] is None
    assert confirmed["first_start"] == t.isoformat()


@pytest.mark.parametrize("offset", [1, -1])
def test_a_provisional_designation_starts_today(client, world, engine, offset):
    start = today() + timedelta(days=offset)
    before = snapshot(engine)
    r = provisional(client, world, term_start=start.isoformat(),
                    term_end=last_day(start).isoformat())
    assert_problem(r, 422, field="term_start", code="provisional_starts_today")
    unchanged_but_code_use(before, snapshot(engine))


def test_only_an_agency_official_designates_provisionally(client, world, engine):
    before = snapshot(engine)
    for role in (APPROVER, CSO, EXPERT, INSPECTOR):
        r = client.post(f"{API}/designations/provisional", headers=world.users[role].headers,
                        json=designation_body(world))
        assert_problem(r, 403)
    assert_unchanged(before, snapshot(engine))


def test_an_unconfirmed_provisional_designation_lapses_and_can_still_be_confirmed(
        client, world, session):
    u = world.users
    d = provisional(client, world).json()
    item = make_item(client, world, designation_id=d["id"])
    deadline = today() - timedelta(days=1)
    set_designation(session, d["id"], confirm_by=deadline)
    assert detail(client, u[AGENCY], d["id"])["status"] == "pending_disposition"
    seen = read_item(client, u[AGENCY], item["id"])
    assert seen["level"] == "CESI" and seen["designation_status"] == "pending_disposition"
    assert run_jobs(today())[2] == 1
    [alert] = inbox(client, u[AGENCY], "designation_lapsed")
    assert deadline.isoformat() in alert["body"]
    approve_open(client, world, d["id"])
    assert detail(client, u[AGENCY], d["id"])["status"] == "in_force"


def test_a_rejected_provisional_designation_stays_pending_disposition(client, world):
    u = world.users
    d = provisional(client, world).json()
    item = make_item(client, world, designation_id=d["id"])
    approve_open(client, world, d["id"], approve=False)
    after = detail(client, u[AGENCY], d["id"])
    assert after["status"] == "pending_disposition" and after["lifted_on"] is None
    seen = read_item(client, u[AGENCY], item["id"])
    assert seen["level"] == "CESI" and seen["banner"] == CESI_BANNER
    assert run_jobs(today())[2] == 1  # the agency is alerted
    [alert] = inbox(client, u[AGENCY], "designation_lapsed")
    # the alert must not say it "ended" on its (future) term end: it was never confirmed
    assert after["term_end"] not in alert["body"], alert["body"]
    # only an explicit lifting declassifies it
    assert change(client, u[AGENCY], d["id"], "lift").status_code == 201
    approve_open(client, world, d["id"])
    assert detail(client, u[AGENCY], d["id"])["status"] == "lifted"
    assert read_item(client, u[AGENCY], item["id"])["level"] == "UNMARKED"
    assert run_jobs(today() + timedelta(days=7)) == (0, 0, 0)  # lifted: no more alerts


# --- reviews -------------------------------------------------------------------------------


def test_a_review_opens_once_and_an_obsolete_designation_is_lifted(client, world, session):
    u = world.users
    d = in_force(client, world)
    item = make_item(client, world, designation_id=d["id"], releasable_to=["USA"])
    due = date.fromisoformat(d["next_review_on"])
    assert run_jobs(due - timedelta(days=10)) == (0, 1, 0)  # a reminder first
    assert run_jobs(due - timedelta(days=10)) == (0, 0, 0)
    assert run_jobs(due) == (1, 0, 0)
    assert run_jobs(due) == (0, 0, 0)
    assert run_jobs(due + timedelta(days=30)) == (0, 0, 0)
    assert len(inbox(client, u[AGENCY], "designation_review_due")) == 1

    r = client.get(f"{API}/designation-reviews", headers=u[AGENCY].headers)
    assert r.status_code == 200, r.text
    [review] = r.json()["items"]
    assert review["designation_id"] == d["id"] and review["due_on"] == due.isoformat()
    assert review["reference"] == d["reference"]
    assert_problem(client.get(f"{API}/designation-reviews", headers=u[APPROVER].headers), 403)

    url = f"{API}/designation-reviews/{review['id']}"
    body = {"still_needed": False, "reasons": "技術が一般化し、秘匿の必要がなくなった。"}
    r = client.post(url, headers=u[AGENCY].headers, json=body)
    assert r.status_code == 200 and r.json() == {"id": review["id"], "still_needed": False}
    assert_problem(client.post(url, headers=u[AGENCY].headers, json=body), 409)
    lift = open_proposal(client, world, d["id"])
    assert lift["kind"] == "lift" and lift["proposed_by"] == u[AGENCY].user_id
    assert client.get(f"{API}/designation-reviews",
                      headers=u[AGENCY].headers).json()["items"] == []
    [recorded] = listed_of(client, u[AGENCY], d["id"], "reviews")
    assert recorded["still_needed"] is False

    approve_open(client, world, d["id"])
    lifted = detail(client, u[AGENCY], d["id"])
    assert lifted["status"] == "lifted" and lifted["lifted_on"] == today().isoformat()
    seen = read_item(client, u[CSO], item["id"])
    assert seen["level"] == "UNMARKED" and seen["designation_status"] == "lifted"
    assert seen["banner"] is None and seen["portion"] is None and seen["label"] is None
    assert client.get(f"{API}/items/{item['id']}/label.xml",
                      headers=u[CSO].headers).status_code == 204
    assert run_jobs(due + timedelta(days=400)) == (0, 0, 0)  # lifted: nothing more


def test_an_overdue_review_recorded_still_needed_moves_the_clock(client, world, session):
    u = world.users
    d = in_force(client, world)
    set_designation(session, d["id"], next_review_on=today() - timedelta(days=10))
    assert detail(client, u[AGENCY], d["id"])["review_overdue"] is True
    assert run_jobs(today())[0] == 1
    [review] = client.get(f"{API}/designation-reviews",
                          headers=u[AGENCY].headers).json()["items"]
    r = client.post(f"{API}/designation-reviews/{review['id']}", headers=u[AGENCY].headers,
                    json={"still_needed": True, "reasons": "引き続き必要。"})
    assert r.status_code == 200, r.text
    after = detail(client, u[AGENCY], d["id"])
    assert after["next_review_on"] == years_later(today(), 1).isoformat()
    assert after["review_overdue"] is False and after["status"] == "in_force"
    assert [p for p in after["proposals"] if p["status"] == "open"] == []


def test_only_the_designating_agency_records_its_review(client, world, session, engine):
    d = in_force(client, world)
    set_designation(session, d["id"], next_review_on=today())
    run_jobs(today())
    [review] = client.get(f"{API}/designation-reviews",
                          headers=world.users[AGENCY].headers).json()["items"]
    stranger = other_agency(session)
    assert client.get(f"{API}/designation-reviews",
                      headers=stranger.headers).json()["items"] == []
    before = snapshot(engine)
    r = client.post(f"{API}/designation-reviews/{review['id']}", headers=stranger.headers,
                    json={"still_needed": False, "reasons": "不要"})
    assert_problem(r, 404)
    assert_unchanged(before, snapshot(engine))


def test_a_stale_review_of_a_lifted_designation_opens_no_second_lifting(client, world,
                                                                        session):
    """A review opened before the designation was lifted (here on a holder's proposal)
    must not reopen the lifted designation."""
    u = world.users
    d = in_force(client, world)
    set_designation(session, d["id"], next_review_on=today())
    run_jobs(today())
    [review] = client.get(f"{API}/designation-reviews",
                          headers=u[AGENCY].headers).json()["items"]
    assert change(client, u[CSO], d["id"], "lift").status_code == 201
    approve_open(client, world, d["id"])
    assert detail(client, u[AGENCY], d["id"])["status"] == "lifted"
    r = client.post(f"{API}/designation-reviews/{review['id']}", headers=u[AGENCY].headers,
                    json={"still_needed": False, "reasons": "不要"})
    assert r.status_code in (200, 409), r.text
    after = detail(client, u[AGENCY], d["id"])
    assert [p for p in after["proposals"] if p["status"] == "open"] == [], after["proposals"]


# --- downgrade ------------------------------------------------------------------------------


def test_downgrade_sds_to_cesi_then_to_cui(client, world, engine):
    u = world.users
    d = in_force(client, world, regime="SDS", category="defence")
    item = make_item(client, world, designation_id=d["id"], compartments=["ALPHA"],
                     releasable_to=["USA"])
    assert item["level"] == "SDS"
    assert item["banner"] == "特定秘密//ALPHA//REL TO JPN, USA"
    # SDS categories are not CESI's: the downgrade names the CESI category
    before = snapshot(engine)
    assert_problem(change(client, u[AGENCY], d["id"], "downgrade"), 422, "category",
                   "required")
    assert_problem(change(client, u[AGENCY], d["id"], "downgrade", category="defence"), 422,
                   "category", "category_unknown")
    assert_problem(change(client, u[AGENCY], d["id"], "downgrade", category="supply_chains",
                          term_end="2030-01-01"), 422, "term_end", "not_for_this_kind")
    assert_unchanged(before, snapshot(engine))
    assert change(client, u[AGENCY], d["id"], "downgrade",
                  category="supply_chains").status_code == 201
    assert open_proposal(client, world, d["id"])["category"] == "supply_chains"
    approve_open(client, world, d["id"])
    cesi = detail(client, u[AGENCY], d["id"])
    assert (cesi["regime"], cesi["status"]) == ("CESI", "in_force")
    assert cesi["category"] == "supply_chains"
    seen = read_item(client, u[CSO], item["id"])
    assert seen["level"] == "CESI" and seen["banner"] == f"{CESI_BANNER}//ALPHA//REL TO JPN, USA"

    # CUI has no statutory category
    assert_problem(change(client, u[AGENCY], d["id"], "downgrade", category="supply_chains"),
                   422, "category", "not_for_this_kind")
    assert change(client, u[AGENCY], d["id"], "downgrade").status_code == 201
    approve_open(client, world, d["id"])
    cui = detail(client, u[AGENCY], d["id"])
    assert cui["status"] == "downgraded"
    seen = read_item(client, u[CSO], item["id"])
    assert seen["level"] == "CUI" and seen["designation_status"] == "downgraded"
    assert seen["banner"] == "CUI//REL TO JPN, USA"
    assert seen["label"]["classification"] == "CUI"
    assert_problem(change(client, u[AGENCY], d["id"], "downgrade"), 409)


# --- changes of scope and partial lifting -----------------------------------------------------


def test_a_change_narrows_or_widens_holders_scope_and_releasability(client, world, engine,
                                                                     session):
    u = world.users
    d = in_force(client, world, holders=[world.company.id], releasable_to=["USA"])
    before = snapshot(engine)
    # nothing changed, a scope without its kind, an unknown holder or country, a field
    # that belongs to another kind: refused whole, nothing written
    assert_problem(change(client, u[AGENCY], d["id"], "change"), 422, "scope",
                   "change_required")
    assert_problem(change(client, u[AGENCY], d["id"], "change", holders=[world.company.id],
                          releasable_to=["USA"]), 422, "scope", "change_required")
    assert_problem(change(client, u[AGENCY], d["id"], "change", scope="全固体電池の電解質"),
                   422, "scope_kind", "required")
    assert_problem(change(client, u[AGENCY], d["id"], "change", holders=[new_id()]), 422,
                   "holders", "organisation_unknown")
    assert_problem(change(client, u[AGENCY], d["id"], "change", releasable_to=["XXX"]), 422,
                   "releasable_to", "country_unknown")
    assert_problem(change(client, u[AGENCY], d["id"], "change", category="supply_chains",
                          holders=[]), 422, "category", "not_for_this_kind")
    # a holder proposes liftings only
    assert_problem(change(client, u[CSO], d["id"], "change", holders=[]), 422, "kind")
    assert_unchanged(before, snapshot(engine))

    # widen: a second company receives it and Britain is added
    r = change(client, u[AGENCY], d["id"], "change",
               holders=[world.company.id, world.other_company.id],
               releasable_to=["USA", "GBR"])
    assert r.status_code == 201, r.text
    p = open_proposal(client, world, d["id"])
    assert p["kind"] == "change" and p["direction"] == "widen"
    assert sorted(p["holders"]) == sorted([world.company.id, world.other_company.id])
    # nothing takes effect before the second official approves
    assert detail(client, u[AGENCY], d["id"])["holders"] == [world.company.id]
    approve_open(client, world, d["id"])
    widened = detail(client, u[AGENCY], d["id"])
    assert sorted(widened["holders"]) == sorted([world.company.id, world.other_company.id])
    assert widened["releasable_to"] == ["GBR", "USA"]
    newcomer = extra_user(session, [CSO], world.other_company.id)
    assert detail(client, newcomer, d["id"])["id"] == d["id"]  # the new holder sees it
    told = len(inbox(client, newcomer, "designation_decided"))

    # narrow: back to the first company only, within a narrower field
    r = change(client, u[AGENCY], d["id"], "change", holders=[world.company.id],
               scope_kind="technology", scope="全固体電池の電解質")
    assert r.status_code == 201, r.text
    assert open_proposal(client, world, d["id"])["direction"] == "narrow"
    approve_open(client, world, d["id"])
    narrowed = detail(client, u[AGENCY], d["id"])
    assert narrowed["holders"] == [world.company.id]
    assert narrowed["scope"] == "全固体電池の電解質" and narrowed["status"] == "in_force"
    # the removed holder was told, then no longer sees it
    assert len(inbox(client, newcomer, "designation_decided")) == told + 1
    assert client.get(f"{API}/designations/{d['id']}",
                      headers=newcomer.headers).status_code == 404


def test_lifting_part_of_a_designation_declassifies_only_those_items(client, world, engine,
                                                                      session):
    u = world.users
    d = in_force(client, world, regime="SDS", category="defence")
    kept = make_item(client, world, designation_id=d["id"], compartments=["ALPHA"])
    freed = make_item(client, world, designation_id=d["id"])
    other = in_force(client, world)
    foreign = make_item(client, world, designation_id=other["id"])
    before = snapshot(engine)
    assert_problem(change(client, u[AGENCY], d["id"], "lift_part"), 422, "items", "required")
    assert_problem(change(client, u[AGENCY], d["id"], "lift_part", items=[foreign["id"]]),
                   422, "items", "item_unknown")
    assert_problem(change(client, u[AGENCY], d["id"], "lift_part",
                          items=[freed["id"], freed["id"]]), 422, "items", "duplicate")
    # lifting every item is a lifting of the designation, decided as such
    assert_problem(change(client, u[AGENCY], d["id"], "lift_part",
                          items=[kept["id"], freed["id"]]), 422, "items",
                   "lift_whole_instead")
    assert_unchanged(before, snapshot(engine))

    # a holder may propose it; a second official decides
    r = change(client, u[CSO], d["id"], "lift_part", items=[freed["id"]])
    assert r.status_code == 201, r.text
    assert read_item(client, u[CSO], freed["id"])["level"] == "SDS"  # not yet
    approve_open(client, world, d["id"])
    after = read_item(client, u[CSO], freed["id"])
    assert after["level"] == "UNMARKED" and after["banner"] is None
    assert after["lifted_on"] == today().isoformat()
    assert read_item(client, u[CSO], kept["id"])["level"] == "SDS"
    assert detail(client, u[AGENCY], d["id"])["status"] == "in_force"
    # an item already lifted cannot be lifted again
    assert_problem(change(client, u[AGENCY], d["id"], "lift_part", items=[freed["id"]]),
                   422, "items", "item_unknown")
    tags = set(session.scalars(select(AuditEvent.tag).where(
        AuditEvent.subject_id == d["id"])))
    assert {"designations:designation:propose-lift_part",
            "designations:designation:decide-lift_part"} <= tags


# --- holders ---------------------------------------------------------------------------------


def test_a_holder_may_propose_only_a_lifting(client, world, session, engine):
    u = world.users
    d = in_force(client, world)
    end = date.fromisoformat(d["term_end"])
    before = snapshot(engine)
    assert_problem(change(client, u[CSO], d["id"], "renew",
                          term_end=last_day(end + timedelta(days=1)).isoformat()),
                   422, field="kind")
    assert_problem(change(client, u[CSO], d["id"], "downgrade"), 422, field="kind")
    assert_unchanged(before, snapshot(engine))
    outsider = extra_user(session, [CSO], world.other_company.id)
    before = snapshot(engine)
    assert_problem(change(client, outsider, d["id"], "lift"), 404)
    assert_unchanged(before, snapshot(engine))
    # a holder cannot make designations either
    r = client.post(f"{API}/designations", headers=u[CSO].headers, json=designation_body(world))
    assert 400 <= r.status_code < 500
    assert_unchanged(before, snapshot(engine))

    r = change(client, u[CSO], d["id"], "lift")
    assert r.status_code == 201 and r.json()["kind"] == "lift", r.text
    # the agency is asked for nothing here; a second official decides
    approve_open(client, world, d["id"])
    assert detail(client, u[CSO], d["id"])["status"] == "lifted"


def test_another_agency_cannot_change_a_designation(client, world, session, engine):
    d = in_force(client, world)
    stranger = other_agency(session)
    end = date.fromisoformat(d["term_end"])
    before = snapshot(engine)
    r = change(client, stranger, d["id"], "renew",
               term_end=last_day(end + timedelta(days=1)).isoformat())
    assert 400 <= r.status_code < 500
    assert_unchanged(before, snapshot(engine))
    # neither the designating agency nor a holder: no lifting either
    r = change(client, stranger, d["id"], "lift")
    assert 400 <= r.status_code < 500, r.text
    assert_unchanged(before, snapshot(engine))


# --- objections ------------------------------------------------------------------------------


def test_objections_are_filed_answered_once_and_the_filer_told(client, world):
    u = world.users
    d = in_force(client, world, experts=[u[EXPERT].user_id])
    url = f"{API}/designations/{d['id']}/objections"
    mine = client.post(url, headers=u[CSO].headers, json={"text": "範囲が広すぎる。"})
    assert mine.status_code == 201, mine.text
    theirs = client.post(url, headers=u[EXPERT].headers, json={"text": "学術の自由を害する。"})
    assert theirs.status_code == 201, theirs.text
    for role in (Role.SUBJECT, Role.FOREIGN_LIAISON, INSPECTOR):
        assert_problem(client.post(url, headers=u[role].headers, json={"text": "x"}), 404)
    assert len(inbox(client, u[INSPECTOR], "designation_objection")) == 2

    r = client.get(f"{API}/designation-objections", headers=u[INSPECTOR].headers)
    assert r.status_code == 200
    assert {o["id"]: o["text"] for o in r.json()["items"]} == {
        mine.json()["id"]: "範囲が広すぎる。", theirs.json()["id"]: "学術の自由を害する。"}
    assert all(o["designation_id"] == d["id"] and o["answer"] is None
               and o["reference"] == d["reference"] for o in r.json()["items"])
    assert_problem(client.get(f"{API}/designation-objections", headers=u[AGENCY].headers), 403)

    answer = f"{API}/designation-objections/{mine.json()['id']}/answer"
    assert_problem(client.post(answer, headers=u[Role.AUDITOR].headers,
                               json={"answer": "x"}), 403)
    r = client.post(answer, headers=u[INSPECTOR].headers,
                    json={"answer": "範囲を見直すよう勧告した。"})
    assert r.status_code == 200 and r.json()["answered_at"], r.text
    assert_problem(client.post(answer, headers=u[INSPECTOR].headers,
                               json={"answer": "二度目"}), 409)
    assert len(inbox(client, u[CSO], "designation_objection_answered")) == 1
    assert inbox(client, u[EXPERT], "designation_objection_answered") == []
    # each filer sees its own objection and its answer; government sees all
    [own] = listed_of(client, u[CSO], d["id"], "objections")
    assert own["answer"] == "範囲を見直すよう勧告した。"
    assert len(listed_of(client, u[AGENCY], d["id"], "objections")) == 2


# --- items and markings ----------------------------------------------------------------------


def test_items_carry_banner_portion_and_label(client, world):
    u = world.users
    d = in_force(client, world, releasable_to=["USA", "GBR"])
    noforn = make_item(client, world, designation_id=d["id"], controls=["NOFORN"])
    assert noforn["level"] == "CESI" and noforn["designation_status"] == "in_force"
    assert noforn["banner"] == f"{CESI_BANNER}//NOFORN"
    assert noforn["portion"] == f"({CESI_BANNER}//NF)"
    assert noforn["owner_id"] == world.gov.id
    rel = make_item(client, world, designation_id=d["id"], kind="technical_data",
                    compartments=["BRAVO", "ALPHA"], releasable_to=["USA", "GBR"])
    assert rel["banner"] == f"{CESI_BANNER}//ALPHA/BRAVO//REL TO JPN, GBR, USA"
    label = rel["label"]
    assert label["classification"] == "CESI" and label["policy_identifier"]
    assert {"tag": "Releasable to", "type": "PERMISSIVE",
            "values": ["JPN", "GBR", "USA"]} in label["categories"]
    cui = make_item(client, world, cui_categories=["PRVCY", "EXPT"], controls=["NOFORN"])
    assert cui["level"] == "CUI" and cui["designation_id"] is None
    assert cui["banner"] == "CUI//SP-EXPT/PRVCY//NOFORN"
    assert cui["portion"] == "(CUI//SP-EXPT/PRVCY//NF)"
    plain = make_item(client, world, kind="dataset")
    assert plain["level"] == "UNMARKED" and plain["banner"] is None and plain["label"] is None

    # the label as XML, in the label's namespace
    r = client.get(f"{API}/items/{rel['id']}/label.xml", headers=u[CSO].headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{LABEL_NS}ConfidentialityLabel"
    assert root.find(f".//{LABEL_NS}Classification").text == "CESI"
    assert root.find(f".//{LABEL_NS}PolicyIdentifier").text == label["policy_identifier"]
    values = [v.text for v in root.iter(f"{LABEL_NS}GenericValue")]
    assert values[:3] == ["JPN", "GBR", "USA"] and "ALPHA" in values
    assert client.get(f"{API}/items/{plain['id']}/label.xml",
                      headers=u[AGENCY].headers).status_code == 204

    # the designation's items, as its holder sees them; a CUI item of the agency is its own
    listed = listed_of(client, u[CSO], d["id"], "items")
    assert {i["id"] for i in listed} == {noforn["id"], rel["id"]}
    assert_problem(client.get(f"{API}/items/{cui['id']}", headers=u[CSO].headers), 404)
    assert read_item(client, u[Role.AUDITOR], cui["id"])["banner"] == cui["banner"]

    # every banner generated reads back to the attributes it came from
    for item, want in ((noforn, {"level": "CESI", "controls": ["NOFORN"], "rel_to": []}),
                       (rel, {"level": "CESI", "compartments": ["ALPHA", "BRAVO"],
                              "rel_to": ["GBR", "USA"]}),
                       (cui, {"level": "CUI", "categories": ["EXPT", "PRVCY"],
                              "controls": ["NOFORN"]})):
        r = client.post(f"{API}/markings/check", headers=u[CSO].headers,
                        json={"banner": item["banner"]})
        assert r.status_code == 200, r.text
        got = r.json()
        assert {k: got[k] for k in want} == want, got


def test_the_marking_check_returns_attributes(client, world):
    r = client.post(f"{API}/markings/check", headers=world.users[AGENCY].headers,
                    json={"banner": "特定秘密//ALPHA//NOFORN"})
    assert r.status_code == 200, r.text
    assert r.json() == {"level": "SDS", "categories": [], "compartments": ["ALPHA"],
                        "controls": ["NOFORN"], "rel_to": [], "display_only": []}
    r = client.post(f"{API}/markings/check", headers=world.users[CSO].headers,
                    json={"banner": "CUI//SP-CTI//REL TO JPN, AUS/DISPLAY ONLY JPN, CAN"})
    assert r.status_code == 200, r.text
    assert r.json()["rel_to"] == ["AUS"] and r.json()["display_only"] == ["CAN"]
    r = client.post(f"{API}/markings/check", headers=world.users[Role.SUBJECT].headers,
                    json={"banner": "CUI"})
    assert_problem(r, 403)


MALFORMED = [
    # banner, position of the first error, code
    ("SECRET", 0, "level_unknown"),
    ("CUI//EXPT", 5, "category_prefix"),
    ("CUI//SP-EXPT/XYZ", 13, "category_unknown"),
    ("CUI//SP-EXPT/", 13, "marking_invalid"),
    ("CUI//", 5, "marking_invalid"),
    ("CUI//NOFORN/REL TO JPN, USA", 12, "noforn_with_release"),
    ("CUI//REL TO USA", 12, "marking_not_canonical"),
    ("CUI//REL TO JPN, usa", 17, "country_unknown"),
    ("特定秘密//FED ONLY", 6, "control_cui_only"),
    ("特定秘密//alpha", 6, "compartment_invalid"),
    ("CUI//PRVCY/SP-EXPT", 5, "marking_not_canonical"),
    ("CUI//SP-EXPT//NOFORN//X", 20, "marking_invalid"),
    ("CUI//SP-EXPT//SECRET", 14, "control_unknown"),
]


@pytest.mark.parametrize("banner, position, code", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_banner_is_refused_with_its_position(client, world, engine, banner,
                                                         position, code):
    before = snapshot(engine)
    r = client.post(f"{API}/markings/check", headers=world.users[CSO].headers,
                    json={"banner": banner})
    body = assert_problem(r, 422, field="banner", code=code)
    assert isinstance(body["position"], int) and not isinstance(body["position"], bool)
    assert body["position"] == position, body
    assert 0 <= body["position"] <= len(banner)
    assert_unchanged(before, snapshot(engine))


def _sds(client, world) -> str:
    return in_force(client, world, regime="SDS", category="defence")["id"]


BAD_ITEMS = [
    # label, changes to a valid item body (DESIGNATED: under an SDS designation), field
    ("NOFORN with releasable_to", {"designated": True, "controls": ["NOFORN"],
                                   "releasable_to": ["USA"]}, "controls"),
    ("unknown CUI category", {"cui_categories": ["WEATHER"]}, "cui_categories"),
    ("CUI category on a designated item", {"designated": True, "cui_categories": ["EXPT"]},
     "cui_categories"),
    ("compartments on CUI", {"cui_categories": ["EXPT"], "compartments": ["ALPHA"]},
     "compartments"),
    ("bad compartment", {"designated": True, "compartments": ["alpha beta"]}, "compartments"),
    ("controls on an unmarked item", {"controls": ["NOFORN"]}, "controls"),
    ("releasability on an unmarked item", {"releasable_to": ["USA"]}, "releasable_to"),
    ("unknown country", {"designated": True, "releasable_to": ["ZZZ"]}, "releasable_to"),
    ("unknown country on CUI", {"cui_categories": ["CTI"], "releasable_to": ["ZZZ"]},
     "releasable_to"),
    ("unknown control", {"designated": True, "controls": ["TOP"]}, "controls"),
    ("CUI-only control on SDS", {"designated": True, "controls": ["FED ONLY"]}, "controls"),
    ("unknown designation", {"designation_id": "missing"}, "designation_id"),
    ("kind unknown", {"kind": "video"}, "kind"),
]


@pytest.mark.parametrize("label, changes, field", BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_bad_item_attributes_are_refused_naming_the_field(client, world, engine, label,
                                                          changes, field):
    body = {"title": "設計図", "kind": "document"}
    changes = dict(changes)
    if changes.pop("designated", False):
        body["designation_id"] = _sds(client, world)
    if changes.get("designation_id") == "missing":
        changes["designation_id"] = new_id()
    before = snapshot(engine)
    r = client.post(f"{API}/items", headers=world.users[AGENCY].headers, json=body | changes)
    assert_problem(r, 422, field=field)
    assert_unchanged(before, snapshot(engine))


def test_the_most_compartments_an_item_may_carry_are_kept_whole(client, world, engine):
    """The schema allows 20 compartments of 20 characters: either all are stored and shown,
    or the request is refused naming the field; never a 500 (PostgreSQL enforces column
    lengths, SQLite does not)."""
    designation_id = _sds(client, world)
    codes = [f"P{i:02d}" + "X" * 17 for i in range(20)]
    before = snapshot(engine)
    r = client.post(f"{API}/items", headers=world.users[AGENCY].headers,
                    json={"title": "多区画の資料", "kind": "document",
                          "designation_id": designation_id, "compartments": codes})
    if r.status_code == 201:
        assert r.json()["banner"] == "特定秘密//" + "/".join(codes)
        assert read_item(client, world.users[AGENCY], r.json()["id"])["banner"] == \
            r.json()["banner"]
    else:
        assert_problem(r, 422, field="compartments")
        assert_unchanged(before, snapshot(engine))


def test_items_only_under_the_agencys_own_designations_in_force(client, world, session,
                                                                engine):
    proposed = propose(client, world)
    mine = in_force(client, world)
    stranger = other_agency(session)
    before = snapshot(engine)
    for login, target in ((world.users[AGENCY], proposed["id"]), (stranger, mine["id"])):
        r = client.post(f"{API}/items", headers=login.headers,
                        json={"title": "資料", "kind": "document", "designation_id": target})
        assert_problem(r, 422, field="designation_id")
    r = client.post(f"{API}/items", headers=world.users[CSO].headers,
                    json={"title": "資料", "kind": "document", "designation_id": mine["id"]})
    assert_problem(r, 403)
    assert_unchanged(before, snapshot(engine))


# --- bad input on every write endpoint -------------------------------------------------------


@dataclass
class Env:
    client: TestClient
    world: World
    engine: Engine
    ids: dict[str, str]


_SHARED: dict[str, Env] = {}


@pytest.fixture(scope="module")
def refusing_client(engine):
    from hozen.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:  # a 500 is an answer
        yield c


def _build_env(client: TestClient, engine: Engine) -> Env:
    wipe(engine)
    with session_factory(engine)() as s:
        world = detached_world(s)
        return Env(client, world, engine, _targets(client, world, s))


def _intact(env: Env) -> bool:
    """Is the shared data still as built (no other test wiped or changed it)?"""
    ids = env.ids
    with env.engine.connect() as c:
        return c.execute(select(func.count()).select_from(Designation).where(
            Designation.id.in_([ids["D"], ids["Dp"]]))).scalar() == 2 and \
            c.execute(select(Proposal.status).where(Proposal.id == ids["P"])).scalar() == "open"


@pytest.fixture
def env(refusing_client, engine) -> Env:
    """A designation in force (D) with an open review (R) and an objection (O), and a
    proposed one (Dp) whose designation proposal (P) is open: every write endpoint's
    target. Built once and shared while intact: every test using it writes nothing, and
    asserts so."""
    shared = _SHARED.get("env")
    if shared is None or not _intact(shared):
        shared = _SHARED["env"] = _build_env(refusing_client, engine)
    return shared


def _targets(client, world: World, session) -> dict[str, str]:
    u = world.users
    d = in_force(client, world, experts=[u[EXPERT].user_id])
    p = propose(client, world, title="審議中の指定")
    set_designation(session, d["id"], next_review_on=today())
    run_jobs(today())
    [review] = client.get(f"{API}/designation-reviews",
                          headers=u[AGENCY].headers).json()["items"]
    o = client.post(f"{API}/designations/{d['id']}/objections", headers=u[CSO].headers,
                    json={"text": "不当な指定"}).json()
    ids = {"D": d["id"], "Dp": p["id"], "P": open_proposal(client, world, p["id"])["id"],
           "R": review["id"],
           "O": o["id"], "company": world.company.id, "expert": u[EXPERT].user_id,
           "cso": u[CSO].user_id, "missing": new_id(),
           "renew_end": last_day(date.fromisoformat(d["term_end"]) + timedelta(days=1))
           .isoformat()}
    return ids


T0 = "{today}"  # today, filled in when the test runs
ENDPOINTS = {
    # name: (path, sender, valid body); "{x}" in a path or a body value: env.ids["x"]
    "designations": ("/designations", AGENCY, {
        "title": "次世代半導体の製造装置", "regime": "CESI", "category": "supply_chains",
        "reasons": "供給途絶の影響が大きい。", "scope_kind": "programme", "scope": "日米共同開発",
        "holders": ["{company}"], "releasable_to": ["USA"], "originator_country": "USA",
        "term_start": T0, "term_end": "{five_years}", "experts": ["{expert}"]}),
    "provisional": ("/designations/provisional", AGENCY, {
        "title": "量子暗号の新方式", "regime": "SDS", "category": "defence",
        "reasons": "画期的な民生技術。", "scope_kind": "technology", "scope": "量子暗号",
        "term_start": T0, "term_end": "{five_years}"}),
    "proposals": ("/designations/{D}/proposals", AGENCY, {
        "kind": "renew", "reasons": "引き続き必要。", "term_end": "{renew_end}"}),
    "comments": ("/designation-proposals/{P}/comments", CSO, {"text": "範囲を限定されたい。"}),
    "decision": ("/designation-proposals/{P}/decision", APPROVER, {
        "approve": True, "reasons": "必要性を確認。"}),
    "review": ("/designation-reviews/{R}", AGENCY, {
        "still_needed": True, "reasons": "引き続き必要。"}),
    "objections": ("/designations/{D}/objections", CSO, {"text": "指定は不当。"}),
    "answer": ("/designation-objections/{O}/answer", INSPECTOR, {"answer": "適正と判断した。"}),
    "items": ("/items", AGENCY, {"title": "試作品の図面", "kind": "document",
                                 "designation_id": "{D}", "controls": ["NOFORN"]}),
    "markings": ("/markings/check", CSO, {"banner": "CUI//SP-EXPT"}),
}
HIGH_RISK = {"provisional", "decision"}  # their sender sends a code (X-Hozen-OTP)
DROP = object()


def fill(value, ids: dict[str, str]):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def send(env: Env, endpoint: str, body=None, *, raw: tuple[str, bytes] | None = None,
         path_ids: dict | None = None):
    path, role, valid = ENDPOINTS[endpoint]
    ids = env.ids | {"today": today().isoformat(),
                     "five_years": last_day(today()).isoformat()} | (path_ids or {})
    url = API + re.sub(r"\{(\w+)\}", lambda m: ids[m[1]], path)
    login = env.world.users[role]
    headers = with_code(login) if endpoint in HIGH_RISK else dict(login.headers)
    if raw is not None:
        headers["content-type"] = raw[0]
        return env.client.post(url, headers=headers, content=raw[1])
    body = fill(valid if body is None else body, ids)
    headers["content-type"] = "application/json"
    # ensure_ascii keeps a lone surrogate as the escape a real client would send
    return env.client.post(url, headers=headers,
                           content=json.dumps(body, ensure_ascii=True).encode())


def unchanged_but_code_use(before: dict, after: dict, endpoint: str = "provisional") -> None:
    """Nothing written but, by a high-risk call, what its code used up (tests.authenticator)."""
    if endpoint in HIGH_RISK:
        before, after = code_use_left_out(before), code_use_left_out(after)
    assert_unchanged(before, after)


def assert_refused(r, field: str | tuple[str, ...] | None, status: int | None = None) -> dict:
    assert r.status_code < 500, f"{r.status_code}: {r.text[:400]}"
    assert 400 <= r.status_code < 500, f"accepted: {r.status_code} {r.text[:400]}"
    if status is not None:
        assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == r.status_code and body["title"] and body["type"]
    if field is not None:
        fields = (field,) if isinstance(field, str) else field
        named = {body.get("field")} | {e["field"] for e in body.get("errors", [])}
        # a list item may be named by its index: holders.0
        assert any(n == f or str(n).startswith(f + ".") for n in named if n for f in fields), \
            body
    return body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_valid_body_is_accepted(refusing_client, engine, endpoint):
    """The bodies the bad-input cases break are themselves good (on data of its own)."""
    _SHARED.pop("env", None)
    env = _build_env(refusing_client, engine)
    r = send(env, endpoint)
    assert r.status_code in (200, 201), r.text


LONG = "x" * 201
CASES = [
    # endpoint, label, changes to the valid body, the field that must be named
    ("designations", "title number", {"title": 5}, "title"),
    ("designations", "title missing", {"title": DROP}, "title"),
    ("designations", "title blank", {"title": "   "}, "title"),
    ("designations", "title too long", {"title": LONG}, "title"),
    ("designations", "title NUL", {"title": "指定\x00"}, "title"),
    ("designations", "title surrogate", {"title": "指定" + SURROGATE}, "title"),
    ("designations", "title bell", {"title": "指定\x07"}, "title"),
    ("designations", "title line break", {"title": "指定\n二行目"}, "title"),
    ("designations", "regime unknown", {"regime": "TOP SECRET"}, "regime"),
    ("designations", "regime CUI", {"regime": "CUI"}, "regime"),
    ("designations", "regime null", {"regime": None}, "regime"),
    ("designations", "category unknown", {"category": "weather"}, "category"),
    ("designations", "category of the other regime", {"category": "defence"}, "category"),
    ("designations", "category a list", {"category": ["supply_chains"]}, "category"),
    ("designations", "reasons missing", {"reasons": DROP}, "reasons"),
    ("designations", "reasons empty", {"reasons": ""}, "reasons"),
    ("designations", "reasons NUL", {"reasons": "理由\x00"}, "reasons"),
    ("designations", "reasons surrogate", {"reasons": SURROGATE}, "reasons"),
    ("designations", "scope_kind unknown", {"scope_kind": "country"}, "scope_kind"),
    ("designations", "scope missing", {"scope": DROP}, "scope"),
    ("designations", "holders a string", {"holders": "{company}"}, "holders"),
    ("designations", "holders unknown", {"holders": ["{missing}"]}, "holders"),
    ("designations", "holders duplicate", {"holders": ["{company}", "{company}"]}, "holders"),
    ("designations", "holders NUL", {"holders": ["\x00"]}, "holders"),
    ("designations", "holders too long id", {"holders": ["x" * 37]}, "holders"),
    ("designations", "holders number", {"holders": [5]}, "holders"),
    ("designations", "releasable_to unknown", {"releasable_to": ["ZZZ"]}, "releasable_to"),
    ("designations", "releasable_to lower case", {"releasable_to": ["usa"]}, "releasable_to"),
    ("designations", "releasable_to a string", {"releasable_to": "USA"}, "releasable_to"),
    ("designations", "originator unknown", {"originator_country": "ZZZ"},
     "originator_country"),
    ("designations", "term_start not a date", {"term_start": "tomorrow"}, "term_start"),
    ("designations", "term_start 30 February", {"term_start": "2030-02-30"}, "term_start"),
    ("designations", "term_start missing", {"term_start": DROP}, "term_start"),
    ("designations", "term_end missing", {"term_end": DROP}, "term_end"),
    ("designations", "term_end null", {"term_end": None}, "term_end"),
    ("designations", "term_end in year 9999", {"term_end": "9999-12-31"}, "term_end"),
    ("designations", "experts unknown", {"experts": ["{missing}"]}, "experts"),
    ("designations", "experts not an expert", {"experts": ["{cso}"]}, "experts"),
    ("designations", "experts a string", {"experts": "{expert}"}, "experts"),
    ("designations", "extra status", {"status": "in_force"}, "status"),
    ("designations", "extra reference", {"reference": "CESI-2000-0001"}, "reference"),
    ("designations", "extra manager_id", {"manager_id": "{cso}"}, "manager_id"),
    ("designations", "extra first_start", {"first_start": "2000-01-01"}, "first_start"),
    ("provisional", "term_start in the future", {"term_start": "{five_years}"}, "term_start"),
    ("provisional", "term in year 9999", {"term_start": "9999-01-01",
                                          "term_end": "9999-06-30"}, ("term_start", "term_end")),
    ("provisional", "title missing", {"title": DROP}, "title"),
    ("provisional", "category of the other regime", {"category": "key_technologies"},
     "category"),
    ("provisional", "extra confirm_by", {"confirm_by": "2100-01-01"}, "confirm_by"),
    ("provisional", "extra provisional", {"provisional": False}, "provisional"),
    ("proposals", "kind unknown", {"kind": "extend"}, "kind"),
    ("proposals", "kind designate", {"kind": "designate"}, "kind"),
    ("proposals", "kind missing", {"kind": DROP}, "kind"),
    ("proposals", "kind number", {"kind": 1}, "kind"),
    ("proposals", "reasons missing", {"reasons": DROP}, "reasons"),
    ("proposals", "reasons blank", {"reasons": " \n "}, "reasons"),
    ("proposals", "reasons NUL", {"reasons": "理由\x00"}, "reasons"),
    ("proposals", "term_end missing for a renewal", {"term_end": DROP}, "term_end"),
    ("proposals", "term_end not a date", {"term_end": "2040"}, "term_end"),
    ("proposals", "term_end too far", {"term_end": "9999-12-31"}, "term_end"),
    ("proposals", "term_end before the renewal", {"term_end": "2000-01-01"}, "term_end"),
    ("proposals", "term_end on a lifting", {"kind": "lift"}, "term_end"),
    ("proposals", "cabinet_reasons on a lifting", {"kind": "lift", "term_end": DROP,
                                                   "cabinet_reasons": "閣議決定"},
     "cabinet_reasons"),
    ("proposals", "cabinet_reasons empty", {"cabinet_reasons": ""}, "cabinet_reasons"),
    ("proposals", "cabinet_reasons NUL", {"cabinet_reasons": "閣議\x00"}, "cabinet_reasons"),
    ("proposals", "experts unknown", {"experts": ["{missing}"]}, "experts"),
    ("proposals", "extra designation_id", {"designation_id": "{D}"}, "designation_id"),
    ("proposals", "extra status", {"status": "approved"}, "status"),
    ("comments", "text missing", {"text": DROP}, "text"),
    ("comments", "text empty", {"text": ""}, "text"),
    ("comments", "text too long", {"text": "あ" * 8001}, "text"),
    ("comments", "text NUL", {"text": "意見\x00"}, "text"),
    ("comments", "text surrogate", {"text": SURROGATE}, "text"),
    ("comments", "text number", {"text": 3}, "text"),
    ("comments", "extra author_id", {"author_id": "{expert}"}, "author_id"),
    ("decision", "approve a string", {"approve": "yes"}, "approve"),
    ("decision", "approve a number", {"approve": 1}, "approve"),
    ("decision", "approve null", {"approve": None}, "approve"),
    ("decision", "approve missing", {"approve": DROP}, "approve"),
    ("decision", "reasons missing", {"reasons": DROP}, "reasons"),
    ("decision", "reasons NUL", {"reasons": "可\x00"}, "reasons"),
    ("decision", "extra decided_by", {"decided_by": "{cso}"}, "decided_by"),
    ("review", "still_needed a string", {"still_needed": "no"}, "still_needed"),
    ("review", "still_needed missing", {"still_needed": DROP}, "still_needed"),
    ("review", "reasons missing", {"reasons": DROP}, "reasons"),
    ("review", "reasons bell", {"reasons": "必要\x07"}, "reasons"),
    ("review", "extra reviewed_by", {"reviewed_by": "{cso}"}, "reviewed_by"),
    ("objections", "text missing", {"text": DROP}, "text"),
    ("objections", "text blank", {"text": "   "}, "text"),
    ("objections", "text NUL", {"text": "不当\x00"}, "text"),
    ("objections", "text a list", {"text": ["不当"]}, "text"),
    ("objections", "extra filed_by", {"filed_by": "{expert}"}, "filed_by"),
    ("answer", "answer missing", {"answer": DROP}, "answer"),
    ("answer", "answer empty", {"answer": ""}, "answer"),
    ("answer", "answer NUL", {"answer": "回答\x00"}, "answer"),
    ("answer", "answer surrogate", {"answer": SURROGATE}, "answer"),
    ("answer", "extra answered_by", {"answered_by": "{cso}"}, "answered_by"),
    ("items", "title missing", {"title": DROP}, "title"),
    ("items", "title NUL", {"title": "図面\x00"}, "title"),
    ("items", "title surrogate", {"title": SURROGATE}, "title"),
    ("items", "kind unknown", {"kind": "video"}, "kind"),
    ("items", "designation unknown", {"designation_id": "{missing}"}, "designation_id"),
    ("items", "designation NUL", {"designation_id": "\x00"}, "designation_id"),
    ("items", "designation a number", {"designation_id": 7}, "designation_id"),
    ("items", "designation too long", {"designation_id": "x" * 37}, "designation_id"),
    ("items", "controls a string", {"controls": "NOFORN"}, "controls"),
    ("items", "controls too many", {"controls": ["NOFORN"] * 5}, "controls"),
    ("items", "controls NUL", {"controls": ["NO\x00FORN"]}, "controls"),
    ("items", "compartments NUL", {"compartments": ["A\x00"]}, "compartments"),
    ("items", "releasable_to unknown", {"controls": [], "releasable_to": ["ZZZ"]},
     "releasable_to"),
    ("items", "extra owner_id", {"owner_id": "{company}"}, "owner_id"),
    ("items", "extra level", {"level": "UNMARKED"}, "level"),
    ("markings", "banner missing", {"banner": DROP}, "banner"),
    ("markings", "banner empty", {"banner": ""}, "banner"),
    ("markings", "banner too long", {"banner": "CUI//" + "SP-EXPT/" * 60}, "banner"),
    ("markings", "banner NUL", {"banner": "CUI\x00"}, "banner"),
    ("markings", "banner surrogate", {"banner": "CUI//" + SURROGATE}, "banner"),
    ("markings", "banner number", {"banner": 1}, "banner"),
    ("markings", "extra level", {"level": "CUI"}, "level"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} | {c[1]}" for c in CASES])
def test_bad_field_is_refused_naming_it_and_writes_nothing(env, case):
    endpoint, _label, changes, field = case
    valid = ENDPOINTS[endpoint][2]
    body = {k: v for k, v in (valid | changes).items() if v is not DROP}
    before = snapshot(env.engine)
    assert_refused(send(env, endpoint, body), field)
    unchanged_but_code_use(before, snapshot(env.engine), endpoint)


RAW = [
    ("malformed JSON", "application/json", b'{"text": "x", '),
    ("JSON array", "application/json", b'[{"text": "x"}]'),
    ("JSON null", "application/json", b"null"),
    ("empty", "application/json", b""),
    ("form encoded", "application/x-www-form-urlencoded", b"text=x"),
    ("not UTF-8", "application/json", b'{"text": "\xff\xfe"}'),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("label, ctype, raw", RAW, ids=[r[0] for r in RAW])
def test_a_body_that_is_not_a_json_object_is_refused(env, endpoint, label, ctype, raw):
    before = snapshot(env.engine)
    assert_refused(send(env, endpoint, raw=(ctype, raw)), "body")
    unchanged_but_code_use(before, snapshot(env.engine), endpoint)


WITH_ID = [e for e, (path, _r, _b) in ENDPOINTS.items() if "{" in path]


@pytest.mark.parametrize("endpoint", WITH_ID)
@pytest.mark.parametrize("target", ["missing", "x" * 300, "%00", "' OR 1=1 --", "%E2%80%8B"])
def test_a_write_to_an_unknown_id_is_404_and_writes_nothing(env, endpoint, target):
    key = re.search(r"\{(\w+)\}", ENDPOINTS[endpoint][0])[1]
    before = snapshot(env.engine)
    r = send(env, endpoint, path_ids={key: env.ids.get(target, target)})
    assert_refused(r, None, 404)
    unchanged_but_code_use(before, snapshot(env.engine), endpoint)


READS = ["/designations/{x}", "/designations/{x}/items", "/designations/{x}/reviews",
         "/designations/{x}/objections", "/items/{x}", "/items/{x}/label.xml"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("target", ["missing", "P", "x" * 300, "%00", "' OR 1=1 --"])
def test_a_read_of_an_unknown_id_is_404(env, path, target):
    url = API + path.replace("{x}", env.ids.get(target, target))
    for role in (AGENCY, CSO):
        assert_refused(env.client.get(url, headers=env.world.users[role].headers), None, 404)


@pytest.mark.parametrize("endpoint", WITH_ID)
def test_a_write_to_an_id_of_another_kind_is_404(env, endpoint):
    """A designation's id where a proposal's is expected, and so on."""
    key = re.search(r"\{(\w+)\}", ENDPOINTS[endpoint][0])[1]
    other = {"D": "P", "P": "D", "R": "O", "O": "R"}[key]
    before = snapshot(env.engine)
    assert_refused(send(env, endpoint, path_ids={key: env.ids[other]}), None, 404)
    unchanged_but_code_use(before, snapshot(env.engine), endpoint)

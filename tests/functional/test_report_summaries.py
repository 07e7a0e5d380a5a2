"""The phase counts the dashboard reads (reports.summaries) stay equal to the counts of
every case, whatever happens to the cases: random histories of cases and investigations
added, changed, reopened and deleted through the ORM (hypothesis), a case driven through
the API from listing to a grant, a reopening and a denial, and a generated data set
written in bulk; and the timeliness figures read from them equal those computed from
every case. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.clearances.models import ClearanceCase, Investigation
from hozen.clearances.rules import AREAS, CaseState
from hozen.db import new_id, session_factory
from hozen.reports.phase_figures import phase_stats
from hozen.reports.phases import phase_stats_of_cases
from hozen.reports.rules import last_second_within
from hozen.reports.summaries import counts_of_every_case, rebuild, stored_counts
from hozen.synth.run import generate
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, run_to_adjudication
from tests.factories import cheap_argon2, make_world

NO_SHRINK = [Phase.explicit, Phase.generate]
BASE = datetime(2025, 12, 31, 12, tzinfo=UTC)  # histories straddle a year's end
INSTANTS = st.one_of(st.none(), st.builds(
    lambda d, s: BASE + timedelta(days=d, seconds=s),
    st.integers(-40, 120), st.sampled_from([0, 1, 431, 432, 433, 43_199, 86_399])))
DAYS = st.one_of(st.none(), st.builds(lambda d: date(2025, 12, 1) + timedelta(days=d),
                                      st.integers(0, 150)))
CASE = st.fixed_dictionaries({
    "regime": st.sampled_from(["CESI", "SDS"]), "state": st.sampled_from(list(CaseState)),
    "created_at": INSTANTS.filter(lambda x: x is not None), "consented_at": INSTANTS,
    "submitted_at": INSTANTS, "decided_at": INSTANTS,
    "reused_investigation": st.booleans()})
NEW_CASES = st.lists(st.tuples(CASE, st.one_of(st.none(), st.tuples(
    INSTANTS.filter(lambda x: x is not None), DAYS))), min_size=1, max_size=6)
CHANGES = st.lists(st.tuples(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 9), st.sampled_from(
        ["state", "consented_at", "submitted_at", "decided_at", "regime",
         "reused_investigation", "created_at"]), st.integers(0, 10**6)),
    st.tuples(st.just("complete"), st.integers(0, 9), DAYS),
    st.tuples(st.just("share"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("delete"), st.integers(0, 9))), st.booleans()), min_size=1, max_size=12)


def _value(field: str, seed: int):
    import random

    rng = random.Random(seed)
    if field == "state":
        return rng.choice(list(CaseState)).value
    if field == "regime":
        return rng.choice(["CESI", "SDS"])
    if field == "reused_investigation":
        return rng.random() < 0.5
    return None if rng.random() < 0.2 else BASE + timedelta(seconds=rng.randrange(
        -40 * 86400, 120 * 86400))


def _agree(session) -> None:
    """The kept counts are every case's, and so are the figures read from them."""
    session.flush()
    conn = session.connection()
    assert stored_counts(conn) == counts_of_every_case(conn)
    for regime, year, target in ((None, None, 60), ("SDS", 2026, 30), (None, 2025, 1)):
        assert phase_stats(session, regime, year, target) == phase_stats_of_cases(
            session, regime, year, last_second_within(target)), (regime, year, target)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow], phases=NO_SHRINK)
@given(new=NEW_CASES, changes=CHANGES)
def test_counts_follow_every_change_to_cases_and_investigations(session, new, changes):
    test = test_counts_follow_every_change_to_cases_and_investigations
    if not hasattr(test, "world"):
        with cheap_argon2():
            test.world = make_world(session)
        session.commit()
    w = test.world
    fixed = dict(person_id=w.staff.id, sponsor_id=w.gov.id, employer_id=w.company.id)
    cases: list[ClearanceCase] = []
    invs: list[Investigation] = []
    try:
        for fields, inv in new:
            inv_id = None
            if inv is not None:
                row = Investigation(id=new_id(), person_id=w.staff.id, regime="CESI",
                                    opened_at=inv[0], completed_on=inv[1])
                session.add(row)
                session.flush()  # before the case that refers to it
                invs.append(row)
                inv_id = row.id
            case = ClearanceCase(id=new_id(), investigation_id=inv_id, **fixed,
                                 **{**fields, "state": fields["state"].value})
            session.add(case)
            cases.append(case)
        session.flush()
        for op, flush in changes:  # each flushed alone, or with the next ones
            if op[0] == "set" and cases:
                case = cases[op[1] % len(cases)]
                value = _value(op[2], op[3])
                setattr(case, op[2], value if value is not None or op[2] != "created_at"
                        else BASE)
            elif op[0] == "complete" and invs:
                invs[op[1] % len(invs)].completed_on = op[2]
            elif op[0] == "share" and cases and invs:  # another case takes an investigation
                cases[op[1] % len(cases)].investigation_id = invs[op[2] % len(invs)].id
            elif op[0] == "delete" and cases:
                session.flush()
                session.delete(cases.pop(op[1] % len(cases)))
            if flush:
                session.flush()
        _agree(session)
    finally:
        session.rollback()
        with session_factory(session.get_bind())() as s:  # what a test left behind
            s.query(ClearanceCase).delete()
            s.query(Investigation).delete()
            rebuild(s.connection())
            s.commit()


def test_each_field_a_phase_reads_changed_alone(session):
    with cheap_argon2():
        w = make_world(session)
    at = BASE - timedelta(days=30)
    changes = {"regime": "SDS", "state": CaseState.ADJUDICATION.value,
               "created_at": at - timedelta(days=2), "consented_at": at + timedelta(hours=5),
               "submitted_at": at + timedelta(days=2), "decided_at": BASE + timedelta(days=3),
               "reused_investigation": True, "investigation_id": None,
               "opened_at": at + timedelta(days=4), "completed_on": date(2026, 1, 20)}
    for field, value in changes.items():
        inv = Investigation(id=new_id(), person_id=w.staff.id, regime="CESI",
                            opened_at=at + timedelta(days=3), completed_on=date(2026, 1, 10))
        session.add(inv)
        session.flush()
        case = ClearanceCase(
            id=new_id(), person_id=w.staff.id, sponsor_id=w.gov.id, employer_id=w.company.id,
            regime="CESI", state=CaseState.GRANTED.value, created_at=at,
            consented_at=at + timedelta(days=1), submitted_at=at + timedelta(days=5),
            decided_at=BASE, investigation_id=inv.id, reused_investigation=False)
        session.add(case)
        session.flush()
        setattr(inv if field in ("opened_at", "completed_on") else case, field, value)
        _agree(session)


def test_a_case_through_the_api_from_listing_to_a_reopened_denial(client, session):
    with cheap_argon2():
        world = make_world(session)
    session.commit()
    u = world.users

    def agree():
        _agree(session)
        session.rollback()

    case_id = run_to_adjudication(client, world)
    agree()
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(u[Role.ADJUDICATOR]), json=favourable_decisions())
    assert r.json()["state"] == "granted"
    agree()
    conn = session.connection()
    assert {k[1] for k in stored_counts(conn)} == {
        "consent", "questionnaire", "investigation", "adjudication", "end_to_end"}
    session.rollback()
    r = client.post("/api/v1/reportable-events", headers=u[Role.SUBJECT].headers,
                    json={"person_id": world.staff.id, "kind": "arrest",
                          "occurred_on": "2026-01-05", "details": "x"})
    r = client.post(f"/api/v1/reportable-events/{r.json()['id']}/assessment",
                    headers=u[Role.WINDOW_OFFICER].headers, json={"adverse": True})
    assert r.json() == {"reopened_cases": [case_id]}
    agree()  # reopened: no longer decided, so no adjudication or end to end
    assert {k[1] for k in stored_counts(session.connection())} == {
        "consent", "questionnaire", "investigation"}
    session.rollback()
    deny = favourable_decisions()
    deny["decisions"][1] = {"area": AREAS[1], "favourable": False, "reasons": "理由"}
    r = client.post(f"/api/v1/clearance-cases/{case_id}/adjudication",
                    headers=with_code(u[Role.ADJUDICATOR]), json=deny)
    assert r.json()["state"] == "denied"
    agree()


def test_a_generated_data_set_is_counted(clean):
    generate(clean, people=200, orgs=20, items=20, seed=5, actor=Actor.system("generate"),
             as_of=date(2026, 11, 27), batch=60)
    with session_factory(clean)() as s:
        counts = stored_counts(s.connection())
        assert counts == counts_of_every_case(s.connection())
        assert sum(n for k, n in counts.items() if k[0] == 1) > 100
        assert s.scalar(select(ClearanceCase.id).limit(1))
        _agree(s)

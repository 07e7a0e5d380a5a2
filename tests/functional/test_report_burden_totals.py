"""The burden totals the dashboard reads (reports.burden_totals) stay equal to the totals
of every burden record and allowance, whatever happens to them: random histories of
records and allowances added, changed and deleted and of cases changing employer through
the ORM (hypothesis); and the burden figures read from them equal those computed from
every row, per year and per organisation, for the window and for each company. Run on
SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hozen.clearances.models import BurdenRecord, ClearanceCase
from hozen.db import new_id, session_factory
from hozen.reports.burden import _figures, figures_of_records, figures_of_totals
from hozen.reports.burden_totals import rebuild, stored_totals, totals_of_every_row
from hozen.reports.models import BurdenTotal, ClearanceAllowance
from tests.factories import cheap_argon2, make_world

NO_SHRINK = [Phase.explicit, Phase.generate]
PARTIES = st.sampled_from(["subject", "security_officer", "window"])
# recorded around a year's end, so records of one case fall in two years
WHEN = st.builds(lambda d, s: datetime(2025, 12, 31, 12, tzinfo=UTC) + timedelta(
    days=d, seconds=s), st.integers(-400, 400), st.sampled_from([0, 43_199, 43_200]))
ENDS = st.builds(lambda d: date(2025, 12, 31) + timedelta(days=d), st.integers(-400, 400))
AMOUNT = st.sampled_from([0, 1, 500, 30_000])
STEPS = st.lists(st.tuples(st.one_of(
    st.tuples(st.just("record"), st.integers(0, 9), PARTIES, AMOUNT, AMOUNT, AMOUNT, WHEN),
    st.tuples(st.just("change_record"), st.integers(0, 9), st.sampled_from(
        ["minutes", "cost_yen", "allowance_yen", "party", "recorded_at", "case_id"]),
        st.integers(0, 10**6)),
    st.tuples(st.just("delete_record"), st.integers(0, 9)),
    st.tuples(st.just("allowance"), st.booleans(), AMOUNT, ENDS),
    st.tuples(st.just("change_allowance"), st.integers(0, 9), st.sampled_from(
        ["amount_yen", "period_end", "organisation_id"]), st.integers(0, 10**6)),
    st.tuples(st.just("delete_allowance"), st.integers(0, 9)),
    st.tuples(st.just("employer"), st.integers(0, 9))), st.booleans()),
    min_size=1, max_size=14)


def _agree(session, w) -> None:
    """The kept totals are every row's, and so are the figures read from them."""
    session.flush()
    conn = session.connection()
    assert stored_totals(conn) == totals_of_every_row(conn)
    for own in (None, w.company.id, w.other_company.id, ""):
        for year in (None, 2025, 2026, 2001):
            kept, every = (figures_of_totals(session, own, year),
                           figures_of_records(session, own, year))
            assert [{k: _figures(*v) for k, v in d.items()} for d in kept] == [
                {k: _figures(*v) for k, v in d.items()} for d in every], (own, year)


def _change(obj, field: str, seed: int, w, cases):
    import random

    rng = random.Random(seed)
    value = {"minutes": rng.choice([0, 7, 90]), "cost_yen": rng.choice([0, 3, 1000]),
             "allowance_yen": rng.choice([0, 5]), "amount_yen": rng.choice([0, 2, 800]),
             "party": rng.choice(["subject", "security_officer", "window"]),
             "recorded_at": datetime(2025 + rng.randrange(2), 1 + rng.randrange(12), 1,
                                     tzinfo=UTC),
             "period_end": date(2024 + rng.randrange(3), 6, 30),
             "organisation_id": rng.choice([w.company.id, w.other_company.id]),
             "case_id": rng.choice(cases).id}[field]
    setattr(obj, field, value)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow], phases=NO_SHRINK)
@given(steps=STEPS)
def test_totals_follow_every_change_to_records_allowances_and_cases(session, steps):
    test = test_totals_follow_every_change_to_records_allowances_and_cases
    if not hasattr(test, "world"):
        with cheap_argon2():
            test.world = make_world(session)
        session.commit()
    w = test.world
    by = w.users[next(iter(w.users))].user_id
    cases = [ClearanceCase(id=new_id(), person_id=w.staff.id, sponsor_id=w.gov.id,
                           employer_id=(w.company, w.other_company)[i % 2].id,
                           regime="CESI", state="listed") for i in range(3)]
    session.add_all(cases)
    session.flush()
    records: list[BurdenRecord] = []
    allowances: list[ClearanceAllowance] = []
    try:
        for step, flush in steps:
            kind = step[0]
            if kind == "record":
                _, at, party, minutes, cost, allowance, when = step
                records.append(BurdenRecord(
                    id=new_id(), case_id=cases[at % len(cases)].id, step="questionnaire",
                    party=party, minutes=minutes, cost_yen=cost, allowance_yen=allowance,
                    recorded_by=by, recorded_at=when))
                session.add(records[-1])
            elif kind == "change_record" and records:
                _change(records[step[1] % len(records)], step[2], step[3], w, cases)
            elif kind == "delete_record" and records:
                session.flush()
                session.delete(records.pop(step[1] % len(records)))
            elif kind == "allowance":
                _, ours, amount, ends = step
                person, org = (w.staff, w.company) if ours else (w.outsider,
                                                                 w.other_company)
                allowances.append(ClearanceAllowance(
                    person_id=person.id, organisation_id=org.id, amount_yen=amount,
                    period_start=ends - timedelta(days=29), period_end=ends,
                    recorded_by=by))
                session.add(allowances[-1])
            elif kind == "change_allowance" and allowances:
                a = allowances[step[1] % len(allowances)]
                _change(a, step[2], step[3], w, cases)
                a.period_start = min(a.period_start, a.period_end)
            elif kind == "delete_allowance" and allowances:
                session.flush()
                session.delete(allowances.pop(step[1] % len(allowances)))
            elif kind == "employer":  # a case moves to the other company
                case = cases[step[1] % len(cases)]
                case.employer_id = (w.other_company.id if case.employer_id == w.company.id
                                    else w.company.id)
            if flush:
                session.flush()
        _agree(session, w)
    finally:
        session.rollback()


def test_rebuild_writes_what_the_flushes_kept(session):
    with cheap_argon2():
        w = make_world(session)
    by = w.users[next(iter(w.users))].user_id
    case = ClearanceCase(id=new_id(), person_id=w.staff.id, sponsor_id=w.gov.id,
                         employer_id=w.company.id, regime="SDS", state="listed")
    session.add(case)
    session.flush()
    for year, party in ((2025, "subject"), (2025, "window"), (2026, "subject")):
        session.add(BurdenRecord(id=new_id(), case_id=case.id, step="interview", party=party,
                                 minutes=60, cost_yen=100, allowance_yen=0, recorded_by=by,
                                 recorded_at=datetime(year, 3, 1, tzinfo=UTC)))
    session.add(ClearanceAllowance(person_id=w.staff.id, organisation_id=w.company.id,
                                   amount_yen=0, period_start=date(2024, 1, 1),
                                   period_end=date(2024, 1, 31), recorded_by=by))
    session.flush()
    conn = session.connection()
    kept = stored_totals(conn)
    # one case in each year and once in every year; a 0-yen allowance counted as a row
    assert kept[(2025, w.company.id, "cases")] == kept[(2026, w.company.id, "cases")] == 1
    assert kept[(0, w.company.id, "cases")] == 1
    assert kept[(0, w.company.id, "subject_minutes")] == 120
    assert kept[(2024, w.company.id, "allowances")] == 1
    assert rebuild(conn) == 4  # 2024, 2025, 2026 and every year
    assert stored_totals(conn) == kept
    year_2024 = figures_of_totals(session, w.company.id, 2024)[1]
    assert _figures(*year_2024[w.company.id]) == [0, 0.0, 0.0, 0.0, 0, 0, 0]
    session.rollback()
    with session_factory(session.get_bind())() as s:
        assert s.query(BurdenTotal).count() == 0  # written in the writer's transaction


def test_a_record_another_writer_adds_meanwhile_is_counted_once(session, monkeypatch):
    """Writer A reads the case's totals before its flush and again after it; writer B
    adds a record to the same case at that moment. B must wait for A (the case is
    locked), or A's second read would count B's record as A's too."""
    import threading

    import hozen.reports.burden_totals as kept

    with cheap_argon2():
        w = make_world(session)
    by = w.users[next(iter(w.users))].user_id
    case = ClearanceCase(id=new_id(), person_id=w.staff.id, sponsor_id=w.gov.id,
                         employer_id=w.company.id, regime="SDS", state="listed")
    session.add(case)
    session.commit()

    def record(s, party: str) -> None:
        s.add(BurdenRecord(id=new_id(), case_id=case.id, step="interview", party=party,
                           minutes=60, cost_yen=0, allowance_yen=0, recorded_by=by,
                           recorded_at=datetime(2026, 3, 1, tzinfo=UTC)))

    def writer_b() -> None:
        with session_factory(session.get_bind())() as s:
            record(s, "window")
            s.commit()

    b = threading.Thread(target=writer_b)
    real = kept.totals_of

    def totals_of(conn, case_ids, allowance_ids):
        out = real(conn, case_ids, allowance_ids)
        if threading.current_thread() is not b and not b.is_alive() and b.ident is None:
            b.start()  # between A's two reads: B runs now, and ends unless it must wait
            b.join(timeout=1.5)
        return out

    monkeypatch.setattr(kept, "totals_of", totals_of)
    record(session, "subject")
    session.commit()
    b.join(timeout=30)
    assert not b.is_alive()
    monkeypatch.undo()
    with session_factory(session.get_bind())() as s:
        conn = s.connection()
        assert stored_totals(conn)[(0, w.company.id, "cases")] == 1
        assert stored_totals(conn)[(0, w.company.id, "window_minutes")] == 60
        assert stored_totals(conn) == totals_of_every_row(conn)

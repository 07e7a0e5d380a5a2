"""The reports aggregated by the database (issue 10) give the figures the Python of issue 9
gave: per-group ranks against Summary.of on every value, and the timeliness tables of
random cases (times with microseconds, missing steps, reused investigations, durations
a second either side of the target and of the age bands) against the loop over every
loaded case, which is kept here as the reference. Run on SQLite and on PostgreSQL, so
the two databases agree with each other too. And the time to access read from the
audit log in a fixed number of queries, batches of decisions included."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Column, MetaData, String, Table, event, insert, select

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.audit.services import record
from hozen.clearances.models import ClearanceCase, Investigation
from hozen.clearances.rules import CaseState
from hozen.db import new_id
from hozen.designations.models import Designation, Review
from hozen.reciprocity.models import Agreement, ForeignAssurance
from hozen.reciprocity.report import time_to_access
from hozen.reports.rules import (
    AGE_BANDS,
    Summary,
    age_band,
    band_label,
    days,
    days_of,
    in_year,
    last_second_within,
    month,
)
from hozen.reports.sql import ranked
from hozen.reports.timeliness import (
    DECIDED,
    PHASES,
    WAITING,
    assessment_tables,
    phase_days,
    review_tables,
)
from tests.factories import cheap_argon2, make_person, make_world

TODAY = date(2026, 3, 15)
SAMPLE = Table("report_sample", MetaData(), Column("grp", String(8)),
               Column("s", BigInteger), prefixes=["TEMPORARY"])


def _summary(found, within_days) -> Summary:
    if found is None:
        return Summary.of([], within_days)
    return Summary.of_ranks(found.count, found.within, days_of(found.lower),
                            days_of(found.upper), days_of(found.p90))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.dictionaries(st.sampled_from("abcd"), st.lists(st.one_of(
           st.integers(-86400, 120 * 86400),
           st.integers(60 * 86400 - 900, 60 * 86400 + 900)), min_size=1, max_size=60),
           max_size=4),
       target=st.sampled_from([1, 30, 60, 61]))
def test_ranks_from_the_database_are_the_summary_of_every_value(session, groups, target):
    SAMPLE.create(session.connection(), checkfirst=True)
    session.execute(SAMPLE.delete())
    rows = [{"grp": g, "s": s} for g, values in groups.items() for s in values]
    if rows:
        session.execute(insert(SAMPLE), rows)
    found = ranked(session, select(SAMPLE).subquery(), ("grp",), "s",
                   last_second_within(target))
    assert set(found) == {(g,) for g in groups}
    for g, values in groups.items():
        assert _summary(found[(g,)], target) == Summary.of(
            [days_of(s) for s in values], target), (g, sorted(values))
    with_total = ranked(session, select(SAMPLE).subquery(), ("grp",), "s",
                        last_second_within(target), total="grp")
    assert {k: v for k, v in with_total.items() if k != ("all",)} == found
    assert _summary(with_total.get(("all",)), target) == Summary.of(
        [days_of(r["s"]) for r in rows], target)


def _reference(session, *, regime, year, target, today):
    """Issue 9's loop over every case, kept as the reference: the phases', monthly and
    backlog tables' rows."""
    q = select(ClearanceCase, Investigation).outerjoin(
        Investigation, Investigation.id == ClearanceCase.investigation_id)
    if regime:
        q = q.where(ClearanceCase.regime == regime)
    per, trend, backlog = defaultdict(list), defaultdict(list), defaultdict(int)
    for case, inv in session.execute(q):
        if case.state in WAITING and case.submitted_at:
            backlog[(case.regime, age_band(days(case.submitted_at, today)))] += 1
        if not in_year(case.decided_at if case.state in DECIDED else case.submitted_at
                       or case.created_at, year):
            continue
        for phase, d in phase_days(case, inv).items():
            per[(case.regime, phase)].append(d)
            per[("all", phase)].append(d)
        if case.state in DECIDED and "end_to_end" in (p := phase_days(case, inv)):
            trend[month(case.decided_at)].append(p["end_to_end"])

    def row(label, values):
        s = Summary.of(values, target)
        return [label, s.count, s.median, s.p90, s.within, s.share]

    regimes = [r for r in ("CESI", "SDS") if regime in (None, r)]
    phases = [[r] + row(label, per[(r, key)]) for r in regimes + (
        ["all"] if regime is None else []) for key, label in PHASES]
    monthly = [row(m, trend[m]) for m in sorted(trend)]
    ages = [[band_label(lo, hi)] + [backlog[(r, band_label(lo, hi))] for r in regimes]
            for lo, hi in AGE_BANDS]
    return phases, monthly, ages


def _random_cases(session, w, rng: random.Random, n: int) -> None:
    base = datetime(2024, 6, 1, tzinfo=UTC)
    ids = dict(sponsor_id=w.gov.id, employer_id=w.company.id,
               listed_by=w.users[Role.COMPANY_SECURITY_OFFICER].user_id)
    states = [s.value for s in CaseState]

    def later(at, typical_days):
        if rng.random() < 0.3:  # a second either side of a target or an age band
            edge = rng.choice((30, 31, 60, 61, 90, 91)) * 86400 + rng.choice((-1, 0, 1)) * (
                rng.choice((1, 431, 432, 433)))
            return at + timedelta(seconds=edge, microseconds=rng.choice(
                (0, 999_999, rng.randrange(10**6))))
        return at + timedelta(days=rng.uniform(0, typical_days))

    today = datetime.combine(TODAY, datetime.min.time(), UTC)
    for _ in range(n):
        state = rng.choice(states)
        created = base + timedelta(days=rng.uniform(0, 600))
        consented = later(created, 10) if rng.random() < 0.85 else None
        submitted = later(consented or created, 20) if rng.random() < 0.8 else None
        if state in WAITING and submitted and rng.random() < 0.5:  # an age band's edge
            submitted = later(today - timedelta(days=rng.choice((31, 61, 91))), 0)
        decided = later(submitted or created, 120) if rng.random() < 0.9 else None
        inv = None
        if rng.random() < 0.6:
            opened = later(submitted or created, 3)
            done = (later(opened, 50).date() if rng.random() < 0.8 else None)
            inv = Investigation(id=new_id(), person_id=w.staff.id, regime="CESI",
                                opened_at=opened, completed_on=done)
            session.add(inv)
            session.flush()
        session.add(ClearanceCase(
            id=new_id(), person_id=w.staff.id, regime=rng.choice(("CESI", "SDS")),
            state=state, created_at=created, consented_at=consented, submitted_at=submitted,
            decided_at=decided, investigation_id=inv.id if inv else None,
            reused_investigation=rng.random() < 0.3, updated_at=created, **ids))
    session.flush()


def test_timeliness_tables_are_those_of_the_loop_over_every_case(session):
    with cheap_argon2():
        w = make_world(session)
    _random_cases(session, w, random.Random(20261127), 160)
    for regime in (None, "CESI", "SDS"):
        for year in (None, 2024, 2025):
            for target in (30, 60, 61):
                phases, monthly, ages = assessment_tables(
                    session, regime=regime, year=year, target=target, today=TODAY)
                expected = _reference(session, regime=regime, year=year, target=target,
                                      today=TODAY)
                assert (phases.rows, monthly.rows, ages.rows) == expected, (
                    regime, year, target)
    assert sum(r[2] for r in phases.rows) > 20 and monthly.rows  # the data set has both


def test_review_statuses_by_due_month(session):
    with cheap_argon2():
        w = make_world(session)
    ago = w.users[Role.AGENCY_OFFICIAL].user_id
    d = Designation(id=new_id(), reference="R-1", title="指定", agency_id=w.gov.id,
                    manager_id=ago, regime="CESI", category="supply_chains", reasons="理由",
                    scope_kind="technology", scope="範囲", status="in_force", created_by=ago)
    session.add(d)
    session.flush()
    # reviewed on the due day's last microsecond (on time) and the next day (late); due
    # the day before today and not reviewed (overdue), due today (not yet due)
    for due, at in ((date(2026, 3, 1), datetime(2026, 3, 1, 23, 59, 59, 999999, UTC)),
                    (date(2026, 2, 1), datetime(2026, 2, 2, 0, 0, 0, tzinfo=UTC)),
                    (date(2026, 3, 14), None), (date(2026, 3, 15), None),
                    (date(2025, 12, 31), datetime(2025, 12, 1, tzinfo=UTC))):
        session.add(Review(id=new_id(), designation_id=d.id, due_on=due, reviewed_at=at))
    session.flush()
    total, monthly = review_tables(session, year=None, today=TODAY)
    assert [r[1] for r in total.rows] == [2, 1, 1, 1]  # on time, late, overdue, not due
    assert monthly.rows == [["2025-12", 1, 0, 0, 0], ["2026-02", 0, 1, 0, 0],
                            ["2026-03", 1, 0, 1, 1]]
    _, only_2025 = review_tables(session, year=2025, today=TODAY)
    assert only_2025.rows == [["2025-12", 1, 0, 0, 0]]


def _count_statements(session, fn) -> tuple[object, int]:
    seen: list[str] = []

    def count(*args) -> None:
        if args[2].lstrip().upper().startswith(("SELECT", "WITH")):  # not BEGIN
            seen.append(args[2])

    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        return fn(), len(seen)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)


def test_time_to_access_reads_batches_in_a_fixed_number_of_queries(session):
    with cheap_argon2():
        w = make_world(session)
    liaison = w.users[Role.WINDOW_OFFICER].user_id
    agreement = session.scalar(select(Agreement.id).limit(1))
    people = [make_person(session, employer_id=w.company.id).id for _ in range(6)]
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assurances = {}
    for k, p in enumerate(people[:4]):
        a = ForeignAssurance(id=new_id(), kind="personnel", agreement_id=agreement,
                             person_id=p, organisation_id=w.company.id, partner_level="S",
                             level="CESI", valid_until=date(2030, 1, 1), reference=f"A{k}",
                             submitted_by=liaison, submitted_at=start + timedelta(hours=k))
        session.add(a)
        session.flush()
        assurances[p] = a.id
        record(session, actor=f"user:{liaison}", tag="reciprocity:assurance:submit",
               subject_type="foreign_assurance", subject_id=a.id)

    def decide(*decisions):
        record(session, actor="user:x", tag="access:decision", subject_type="person",
               subject_id=decisions[0][0] if len(decisions) == 1 else None,
               details={"decisions": [[p, "item", permit, []] for p, permit in decisions]})

    p0, p1, p2, p3 = people[:4]
    decide((p0, 0))  # refused first: not yet access
    decide((people[4], 1), (p1, 1), (p0, 0))  # a batch: p1 permitted, p0 still refused
    decide((p0, 1))
    decide((p2, 0), (people[5], 1))  # p2 never permitted; p3 never asked about
    session.commit()  # (the audit chain is written at commit)
    measured, statements = _count_statements(
        session, lambda: time_to_access(session, actor=Actor.system()))
    assert statements == 5  # assurances, their decisions, visits, steps, times
    found = {m.assurance_id: m for m in measured}
    first = {p: found[assurances[p]].first_access_at is not None for p in people[:4]}
    assert first == {p0: True, p1: True, p2: False, p3: False}
    seqs = {m.assurance_id: m for m in found.values()}
    assert seqs[assurances[p0]].first_access_at >= seqs[assurances[p1]].first_access_at
    assert all(found[assurances[p]].human_steps == 1 for p in people[:4])
    # more assurances, no more queries
    for k in range(20):
        session.add(ForeignAssurance(
            id=new_id(), kind="personnel", agreement_id=agreement, person_id=people[5],
            organisation_id=w.company.id, partner_level="S", level="CESI",
            valid_until=date(2030, 1, 1), reference=f"B{k}", submitted_by=liaison))
    session.flush()
    measured, statements = _count_statements(
        session, lambda: time_to_access(session, actor=Actor.system()))
    assert len(measured) == 4 and statements == 5  # the rest were never audited

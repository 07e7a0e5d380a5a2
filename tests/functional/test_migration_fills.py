"""Migrations 0026 and 0030 fill the dashboard's summaries from the rows already there with
SQL of their own (no application code): upgrading a database that holds cases,
investigations, burden records and allowances gives exactly the rows the application's
own rebuild computes from the same data (reports.summaries, reports.burden_totals)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from hozen.db import alembic_config, get_engine_for_url
from tests.conftest import scratch_url

STATES = ("listed", "refused", "draft", "submitted", "investigation", "adjudication",
          "granted", "denied", "withdrawn")
PARTIES = ("subject", "security_officer", "window")
FILLER = ((sa.Boolean, False), (sa.Integer, 0), (sa.DateTime, datetime(2026, 1, 1)),
          (sa.Date, date(2026, 1, 1)), (sa.LargeBinary, b"x"), (sa.String, "x"))


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


def _filled(table: sa.Table, values: dict) -> dict:
    """`values`, and a plain value for every other column the row cannot leave empty
    (so the rows fit the schema of whichever revision the test stands at)."""
    out = dict(values)
    for c in table.columns:
        if c.name in out or c.nullable or c.server_default is not None:
            continue
        out[c.name] = next(v for t, v in FILLER if isinstance(c.type, t))
    return out


def _later(rng: random.Random, at: datetime | None) -> datetime | None:
    """A time after `at` (or none): whole days, odd seconds, fractions near a second's
    end, and durations on a half hundredth of a day (864k + 432 s), where rounding turns."""
    if at is None or rng.random() < 0.15:
        return None
    seconds = rng.choice((rng.randrange(86400 * 200), 864 * rng.randrange(2000) + 432,
                          86400 * rng.randrange(100), rng.randrange(600)))
    return at + timedelta(seconds=seconds, microseconds=rng.choice((0, 999_999, 500_000,
                                                                     rng.randrange(10**6))))


def _populate(conn: sa.Connection, rng: random.Random) -> None:
    """Organisations, people, investigations, cases in every state (timestamps missing
    here and there, investigations reused or not), burden records and allowances."""
    meta = sa.MetaData()
    meta.reflect(conn, only=["country", "organisation", "app_user", "person", "investigation",
                             "clearance_case", "burden_record", "clearance_allowance"])
    t = meta.tables

    def add(name: str, **values) -> str:
        conn.execute(sa.insert(t[name]), _filled(t[name], values))
        return values.get("id", "")

    add("country", code="JPN", alpha_2="JP", name_en="Japan", name_ja="日本")
    orgs = [add("organisation", id=_id(rng), kind="company", name_ja=f"会社{n}",
                name_en=f"Company {n}", country_code="JPN", created_at=datetime(2024, 1, 1),
                updated_at=datetime(2024, 1, 1), version=1) for n in range(4)]
    user = add("app_user", id=_id(rng), username="officer", profile=b"x", password_hash="x",
               organisation_id=orgs[0], active=True, created_at=datetime(2024, 1, 1))
    people = [add("person", id=_id(rng), employer_id=rng.choice(orgs), pii=b"x",
                  created_at=datetime(2024, 1, 1), updated_at=datetime(2024, 1, 1), version=1)
              for _ in range(20)]
    investigations = []
    for _ in range(40):
        opened = datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(86400 * 900),
                                                  microseconds=rng.randrange(10**6))
        done = _later(rng, opened)
        investigations.append(add("investigation", id=_id(rng), person_id=rng.choice(people),
                                  regime=rng.choice(("CESI", "SDS")), opened_at=opened,
                                  completed_on=done and done.date()))
    cases = []
    for _ in range(300):
        created = datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(86400 * 1000),
                                                   microseconds=rng.randrange(10**6))
        consented = _later(rng, created)
        submitted = _later(rng, consented)
        cases.append(add(
            "clearance_case", id=_id(rng), person_id=rng.choice(people),
            regime=rng.choice(("CESI", "SDS")), sponsor_id=orgs[0],
            employer_id=rng.choice(orgs), state=rng.choice(STATES), family_consent=False,
            declines_reasons=False,
            investigation_id=rng.choice([None, *investigations]),
            reused_investigation=rng.random() < 0.2, consented_at=consented,
            submitted_at=submitted, decided_at=_later(rng, submitted), created_at=created,
            updated_at=created, version=1))
    for case_id in rng.sample(cases, 200):
        for _ in range(rng.randrange(1, 5)):
            add("burden_record", id=_id(rng), case_id=case_id, step="step",
                party=rng.choice(PARTIES), minutes=rng.randrange(500),
                cost_yen=rng.choice((0, rng.randrange(100_000))),
                allowance_yen=rng.choice((0, rng.randrange(50_000))), recorded_by=user,
                recorded_at=datetime(rng.choice((2024, 2025, 2026)), rng.randrange(1, 13), 28,
                                     rng.randrange(24), 59, 59, rng.randrange(10**6)))
    for _ in range(30):
        start = date(rng.choice((2024, 2025, 2026)), rng.randrange(1, 13), 1)
        add("clearance_allowance", id=_id(rng), person_id=rng.choice(people),
            organisation_id=rng.choice(orgs), amount_yen=rng.randrange(100_000),
            period_start=start, period_end=start + timedelta(days=rng.randrange(400)),
            recorded_by=user, recorded_at=datetime(2026, 1, 1))


@pytest.fixture
def before(tmp_path):
    """Upgrade a fresh database to a revision, fill it, and hand back its engine."""
    engines = []

    def at(revision: str, name: str) -> tuple[str, sa.Engine]:
        url = scratch_url(tmp_path, name)
        command.upgrade(alembic_config(url), revision)
        engine = get_engine_for_url(url)
        engines.append(engine)
        with engine.begin() as conn:
            _populate(conn, random.Random(revision))
        return url, engine

    yield at
    for engine in engines:
        engine.dispose()


def test_0026_counts_the_phases_of_the_cases_already_there(before):
    from hozen.reports.summaries import counts_of_every_case, stored_counts

    url, engine = before("0025", "phases")
    command.upgrade(alembic_config(url), "0026")
    with engine.connect() as conn:
        stored, computed = stored_counts(conn), counts_of_every_case(conn)
    assert stored == computed
    assert {k[0] for k in stored} == {1, 100} and len({k[1] for k in stored}) == 5
    assert sum(n for k, n in stored.items() if k[0] == 1 and k[1] == "end_to_end") > 20


def test_0030_totals_the_burden_already_there(before):
    from hozen.reports.burden_totals import stored_totals, totals_of_every_row

    url, engine = before("0029", "burden")
    command.upgrade(alembic_config(url), "0030")
    with engine.connect() as conn:
        stored, computed = stored_totals(conn), totals_of_every_row(conn)
    assert stored == computed
    every_year = {c: sum(v for (y, _, col), v in stored.items() if y == 0 and col == c)
                  for c in ("cases", "allowances")}
    assert every_year == {"cases": 200, "allowances": 30}  # as many as were written
    assert {k[0] for k in stored} == {0, 2024, 2025, 2026, 2027}

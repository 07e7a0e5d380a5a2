"""Person search within one employer (registry.search.list_people): a company security officer's
pages, and any caller's employer filter, walk that employer's people once each in
person-id order, with or without a name or birth date; and a page is read where the
employer's (employer_id, id) index range meets the token's range, from the indexes alone
(migration 0029; issue 10: a common family name at a large employer took 20-40 ms)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.crypto import get_keyring
from hozen.db import session_factory
from hozen.paging import encode_cursor
from hozen.registry import search
from hozen.registry.models import Person, PersonSearchToken
from hozen.registry.rules import search_key
from tests.conftest import IS_SQLITE
from tests.factories import cheap_argon2, make_user
from tests.functional.test_search_paging import Register, build_register, expected, walk


@pytest.fixture(scope="module")
def register(engine) -> Register:
    return build_register(engine)


def subject_officer(engine, reg: Register) -> Actor:
    """A security officer of `company` who is also a subject: a person at `other`."""
    me = next(p for p in reg.people if p.employer == reg.other)
    with cheap_argon2(), session_factory(engine)() as s:
        login = make_user(s, Role.COMPANY_SECURITY_OFFICER, reg.company)
        s.commit()
    return Actor(id=login.actor.id, username=login.actor.username,
                 roles=frozenset({Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT}),
                 organisation_id=reg.company, person_id=me.id)


@pytest.mark.parametrize("limit", [1, 5, 17, 100])
@pytest.mark.parametrize("filters, match", [
    ({}, {}),
    ({"q": "佐藤"}, {"family": "佐藤"}),
    ({"q": "Hanako Takahashi"}, {"family": "高橋", "given": "花子"}),
    ({"birth_date": "1991-03-04"}, {"born": "1991-03-04"}),
    ({"q": "ヤマモト", "birth_date": "1980-01-02"}, {"family": "山本", "born": "1980-01-02"}),
    ({"q": "鈴木"}, {"family": "鈴木"}),  # no one
])
def test_an_officers_pages_walk_their_company_once_in_id_order(engine, register, limit,
                                                               filters, match):
    pages = walk(engine, actor=register.officer, limit=limit, **filters)
    want = expected(register, employer=register.company, **match)
    assert [i for page in pages for i in page] == want
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert len(pages) == max(1, -(-len(want) // limit))


@pytest.mark.parametrize("limit", [1, 4, 100])
@pytest.mark.parametrize("filters, match", [
    ({}, {}), ({"q": "高橋"}, {"family": "高橋"}),
    ({"q": "Ken", "birth_date": "1991-03-04"}, {"given": "健", "born": "1991-03-04"}),
])
def test_the_windows_employer_filter_walks_that_employer(engine, register, limit, filters,
                                                        match):
    if filters.get("q") == "Ken":  # a given name alone is no search key: find by family
        filters = {"q": "Sato Ken", "birth_date": "1991-03-04"}
        match = {"family": "佐藤", "given": "健", "born": "1991-03-04"}
    window = Actor(id="w", username="w", roles=frozenset({Role.WINDOW_OFFICER}))
    for employer in (register.company, register.other):
        pages = walk(engine, actor=window, limit=limit, employer_id=employer, **filters)
        want = expected(register, employer=employer, **match)
        assert [i for page in pages for i in page] == want and want


@pytest.mark.parametrize("limit", [1, 100])
def test_an_officer_filtering_by_another_employer_sees_no_one(engine, register, limit):
    pages = walk(engine, actor=register.officer, limit=limit, employer_id=register.other,
                 q="山本")
    assert pages == [[]]


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_an_officer_who_is_a_subject_also_sees_themself(engine, register, limit):
    actor = subject_officer(engine, register)
    me = next(p for p in register.people if p.id == actor.person_id)
    pages = walk(engine, actor=actor, limit=limit, q=me.family)
    want = sorted({*expected(register, family=me.family, employer=register.company), me.id})
    assert [i for page in pages for i in page] == want


def test_a_subject_alone_sees_only_themself(engine, register):
    me = register.people[5]
    actor = Actor(id="s", username="s", roles=frozenset({Role.SUBJECT}), person_id=me.id)
    assert walk(engine, actor=actor, limit=2, q=me.family) == [[me.id]]
    assert walk(engine, actor=actor, limit=2, q=me.family, employer_id=me.employer) == [
        [me.id]]
    other = register.other if me.employer == register.company else register.company
    assert walk(engine, actor=actor, limit=2, employer_id=other) == [[]]


def _fill(s: Session, company: str, token: bytes | None) -> None:
    """In the test's (rolled back) transaction, analysed: 3,000 more people at the
    company, 6,000 more holders of the token searched for (if any) and 20,000 other
    tokens, all through the id order: an employer's range and a name's both long, as at
    scale (a register of a few dozen rows is best read whole)."""
    conn, rng = s.connection(), random.Random(2)
    now = datetime.now(UTC)

    def ids(n: int) -> list[str]:
        return [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n)]

    conn.execute(insert(Person.__table__), [
        {"id": i, "employer_id": company, "pii": b"\0" * 64, "created_at": now,
         "updated_at": now, "version": 1} for i in ids(3_000)])
    conn.execute(insert(PersonSearchToken.__table__), [
        {"person_id": i, "token": token, "key_id": "filler"} for i in ids(6_000 if token else 0)
    ] + [{"person_id": i, "token": rng.getrandbits(128).to_bytes(16, "big"),
          "key_id": "filler"} for i in ids(20_000)])


def _plan(s: Session, sql: str, params) -> str:
    conn = s.connection()
    if IS_SQLITE:
        conn.exec_driver_sql("ANALYZE")
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(r[-1] for r in rows)
    conn.exec_driver_sql("ANALYZE person")
    conn.exec_driver_sql("ANALYZE person_search_token")
    for setting in ("seqscan", "bitmapscan", "sort", "hashjoin"):
        conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
    return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))


def _statement(engine, actor: Actor, **filters) -> tuple[str, dict]:
    captured: list[tuple[str, dict]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT person.id") and "LIMIT" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with session_factory(engine)() as s:
            search.list_people(s, actor=actor, **filters)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [one] = captured
    return one


def test_an_officers_search_is_read_from_the_employer_index_alone(engine, register):
    """The statement of an officer's second page of a name: the employer's people come
    from the (employer_id, id) index alone, the name's holders from the token's index
    (each bounded by the cursor), nothing is sorted, and `person` itself is read only by
    its primary key, for the rows of the page."""
    holders = expected(register, employer=register.company, family="山本")
    sql, params = _statement(engine, register.officer, limit=2,
                             cursor=encode_cursor([holders[1]]), q="山本")
    with session_factory(engine)() as s:
        _fill(s, register.company, get_keyring().blind_index("person.name", search_key("山本")))
        plan = _plan(s, sql, params)
    if IS_SQLITE:  # SQLite walks the token's range, probing the employer's index
        assert "search_token_0 USING COVERING INDEX ix_person_search_token_token_person_id " \
               "(token=? AND person_id>?)" in plan, plan
        assert "staff USING COVERING INDEX ix_person_employer_id_id (employer_id=? AND id=?)" \
               in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Only Scan using ix_person_employer_id_id on person staff" in plan, plan
        assert "Index Only Scan using ix_person_search_token_token_person_id" in plan, plan
        assert "Index Scan using pk_person on person " in plan, plan
        assert "Sort" not in plan and "Filter" not in plan, plan


def test_an_officers_staff_page_is_a_range_of_the_employer_index(engine, register):
    """Without a name, a second page of the officer's staff is the (employer_id, id)
    range after the cursor, read in order: nothing is sorted."""
    staff = expected(register, employer=register.company)
    sql, params = _statement(engine, register.officer, limit=2,
                             cursor=encode_cursor([staff[1]]))
    with session_factory(engine)() as s:
        _fill(s, register.company, None)
        plan = _plan(s, sql, params)
    if IS_SQLITE:
        assert "person USING INDEX ix_person_employer_id_id (employer_id=? AND id>?)" in plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Scan using ix_person_employer_id_id on person" in plan, plan
        assert "(id)::text >" in plan and "Sort" not in plan, plan

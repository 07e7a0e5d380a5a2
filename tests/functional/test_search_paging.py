"""Person search a page at a time (registry.search.list_people): whatever a name is shared by,
the pages walk its holders once each, in person-id order, within the caller's scope and
the other filters; and a page is read as a range of the (token, person_id) index that
starts at the cursor, not picked out of every holder (issue 10: search p95 at 1M)."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.db import session_factory
from hozen.paging import encode_cursor
from hozen.registry import search
from hozen.registry.models import PersonSearchToken
from tests.conftest import IS_SQLITE, wipe
from tests.factories import cheap_argon2, make_org, make_person, make_user

SYSTEM = Actor.system("test")
# family name (kanji, kana, Latin), given names, birth dates: 3 x 3 x 2 combinations
FAMILIES = [("山本", "ヤマモト", "Yamamoto"), ("佐藤", "サトウ", "Sato"),
            ("高橋", "タカハシ", "Takahashi")]
GIVEN = [("太郎", "タロウ", "Taro"), ("花子", "ハナコ", "Hanako"), ("健", "ケン", "Ken")]
BORN = ["1980-01-02", "1991-03-04"]


@dataclass(frozen=True)
class Holder:
    id: str
    family: str
    given: str
    born: str
    employer: str


@dataclass(frozen=True)
class Register:
    people: list[Holder]
    company: str
    other: str
    officer: Actor  # a company security officer of `company`


@pytest.fixture(scope="module")
def register(engine) -> Register:
    return build_register(engine)


def build_register(engine) -> Register:
    """Two of each name and birth date, one at each company, created in an order that
    does not follow the names (so a name's holders are spread through the id order)."""
    wipe(engine)
    with cheap_argon2(), session_factory(engine)() as s:
        company, other = make_org(s).id, make_org(s).id
        people = []
        combos = list(itertools.product(FAMILIES, GIVEN, BORN, (company, other)))
        for k in range(len(combos)):
            (fk, fkana, fl), (gk, gkana, gl), born, employer = combos[(k * 7) % len(combos)]
            p = make_person(s, employer_id=employer, family_name_kanji=fk,
                            given_name_kanji=gk, family_name_kana=fkana,
                            given_name_kana=gkana, family_name_latin=fl,
                            given_name_latin=gl, birth_date=born)
            people.append(Holder(p.id, fk, gk, born, employer))
        officer = make_user(s, Role.COMPANY_SECURITY_OFFICER, company).actor
        s.commit()
    return Register(people, company, other, officer)


def walk(engine, *, actor: Actor, limit: int, **filters) -> list[list[str]]:
    pages, cursor = [], None
    with session_factory(engine)() as s:
        while True:
            found, cursor = search.list_people(s, actor=actor, cursor=cursor,
                                               limit=limit, **filters)
            pages.append([p.id for p in found])
            if cursor is None:
                return pages


def expected(reg: Register, *, family: str | None = None, given: str | None = None,
             born: str | None = None, employer: str | None = None) -> list[str]:
    return sorted(p.id for p in reg.people
                  if family in (None, p.family) and given in (None, p.given)
                  and born in (None, p.born) and employer in (None, p.employer))


@pytest.mark.parametrize("limit", [1, 5, 12, 100])
@pytest.mark.parametrize("filters, match", [
    ({"q": "山本"}, {"family": "山本"}),
    ({"q": "yamamoto"}, {"family": "山本"}),
    ({"q": "ヤマモト タロウ"}, {"family": "山本", "given": "太郎"}),
    ({"q": "Taro Yamamoto"}, {"family": "山本", "given": "太郎"}),
    ({"q": "サトウ", "birth_date": "1991-03-04"}, {"family": "佐藤", "born": "1991-03-04"}),
    ({"birth_date": "S55.1.2"}, {"born": "1980-01-02"}),
    ({"q": "高橋健", "birth_date": "1980-01-02"},
     {"family": "高橋", "given": "健", "born": "1980-01-02"}),
    ({"q": "鈴木"}, {"family": "鈴木"}),  # no one
])
def test_pages_walk_every_holder_once_in_id_order(engine, register, limit, filters, match):
    pages = walk(engine, actor=SYSTEM, limit=limit, **filters)
    flat = [i for page in pages for i in page]
    want = expected(register, **match)
    assert flat == want
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert len(pages) == max(1, -(-len(want) // limit))


@pytest.mark.parametrize("limit", [1, 4, 100])
def test_pages_of_a_name_keep_to_the_officers_company(engine, register, limit):
    pages = walk(engine, actor=register.officer, limit=limit, q="山本")
    want = expected(register, family="山本", employer=register.company)
    assert [i for page in pages for i in page] == want and len(want) == 6


@pytest.mark.parametrize("limit", [1, 4, 100])
def test_pages_of_a_name_at_one_employer(engine, register, limit):
    pages = walk(engine, actor=SYSTEM, limit=limit, q="Sato", birth_date="1980-01-02",
                 employer_id=register.other)
    want = expected(register, family="佐藤", born="1980-01-02", employer=register.other)
    assert [i for page in pages for i in page] == want and len(want) == 3


def test_a_cursor_between_holders_starts_after_it(engine, register):
    """A cursor names a position in the id order, not a holder: an id no holder has
    (a person of another name) resumes at the next holder after it."""
    holders = expected(register, family="高橋")
    others = sorted(set(expected(register)) - set(holders))
    between = next(o for o in others if holders[0] < o < holders[-1])
    with session_factory(engine)() as s:
        found, _ = search.list_people(s, actor=SYSTEM, q="高橋", limit=100,
                                      cursor=encode_cursor([between]))
    assert [p.id for p in found] == [h for h in holders if h > between]


def _plan(s: Session, sql: str, params) -> str:
    """The plan of `sql` over this register and, in the same (rolled back) transaction,
    20,000 other tokens of people all through the id order, analysed: a register where
    the rows after a cursor are many and those of one token few, as at scale."""
    conn, rng = s.connection(), random.Random(1)
    conn.execute(insert(PersonSearchToken.__table__), [
        {"person_id": str(uuid.UUID(int=n)), "token": n.to_bytes(16, "big"),
         "key_id": "filler"} for n in (rng.getrandbits(128) for _ in range(20_000))])
    if IS_SQLITE:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(r[-1] for r in rows)
    conn.exec_driver_sql("ANALYZE person_search_token")
    # Forbid what wins only while `person` holds a few dozen rows (reading it whole).
    for setting in ("seqscan", "bitmapscan", "sort", "hashjoin", "mergejoin"):
        conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
    return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", params))


def test_a_page_is_a_range_of_the_token_index_from_the_cursor(engine, register):
    """The statement of a second page: its name's token and the cursor bound the
    (token, person_id) index, and no step sorts the holders."""
    captured: list[tuple[str, dict]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "search_token_0" in statement:
            captured.append((statement, parameters))

    holders = expected(register, family="山本")
    event.listen(engine, "before_cursor_execute", keep)
    try:
        with session_factory(engine)() as s:
            search.list_people(s, actor=SYSTEM, q="山本", limit=3,
                               cursor=encode_cursor([holders[2]]))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(sql, params)] = captured
    with session_factory(engine)() as s:
        plan = _plan(s, sql, params)
    assert "ix_person_search_token_token_person_id" in plan, plan
    if IS_SQLITE:
        assert "(token=? AND person_id>?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Sort" not in plan, plan
        assert "person_id >" in plan.split("ix_person_search_token_token_person_id")[1]

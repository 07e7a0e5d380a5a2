"""Registry through the HTTP API: organisations, ownership and people — create, read,
update, list, search, cursor pagination, optimistic locking, scoping of personal data,
the audit trail of every person read, and no personal data where it must not be."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import jaconv
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from hozen.accounts.permissions import Role
from hozen.db import session_factory, unit_of_work
from hozen.registry.models import Organisation, Person
from hozen.text import date_forms
from tests.conftest import wipe
from tests.factories import World, cheap_argon2, corporate_number, make_world

API = "/api/v1"
# PersonPublic, written out by hand: a new field in the response must be a decision.
PERSON_KEYS = {
    "id", "family_name_kanji", "given_name_kanji", "family_name_kana", "given_name_kana",
    "family_name_latin", "given_name_latin", "birth_date", "birth_date_era", "nationalities",
    "former_nationalities", "employer_id", "department", "title", "created_at", "updated_at",
    "version",
}
ORG_KEYS = {"id", "kind", "name_ja", "name_en", "country_code", "parent_id",
            "corporate_number", "created_at", "updated_at", "version"}


@dataclass
class Env:
    client: TestClient
    world: World
    engine: Engine

    def h(self, role: Role) -> dict[str, str]:
        return self.world.users[role].headers

    def user(self, role: Role):
        return self.world.users[role]


@pytest.fixture(scope="module")
def env(engine):
    """One world for the module: the tests below add to it but never remove from it."""
    from hozen.app import create_app

    wipe(engine)
    with cheap_argon2(), session_factory(engine)() as s:
        world = make_world(s)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield Env(client, world, engine)


@pytest.fixture(scope="module")
def wo(env):
    return env.h(Role.WINDOW_OFFICER)


def assert_problem(r, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if field is not None:
        named = {body.get("field")} | {e["field"] for e in body.get("errors", [])}
        assert field in named, body
    return body


def new_person(env: Env, headers, **kw) -> dict:
    body = {"family_name_kanji": "中村", "given_name_kanji": "一郎",
            "birth_date": "1975-07-07", "nationalities": ["JPN"]} | kw
    r = env.client.post(f"{API}/people", headers=headers, json=body)
    assert r.status_code == 201, r.text
    assert set(r.json()) == PERSON_KEYS
    return r.json()


def walk(env: Env, path: str, headers, **params) -> list[list[dict]]:
    """Follow next_cursor to the end; the pages in order."""
    pages, cursor = [], None
    for _ in range(1000):
        r = env.client.get(path, headers=headers,
                           params=params | ({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


def ids(items) -> set[str]:
    return {i["id"] for i in items}


def db_ids(engine, stmt) -> set[str]:
    with session_factory(engine)() as s:
        return set(s.scalars(stmt))


def last_seq(engine) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event")).scalar()


def audit_since(engine, seq: int, tag: str | None = None) -> list[dict]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT * FROM audit_event WHERE seq > :s ORDER BY seq"),
                         {"s": seq}).mappings().all()
    return [dict(r) for r in rows if tag is None or r["tag"] == tag]


# --- organisations -------------------------------------------------------------------


def test_organisation_create_read_update(env, wo):
    number = corporate_number()
    wide = jaconv.h2z(number, digit=True)  # full-width digits, as typed on a Japanese IME
    r = env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "research_institute", "name_ja": "  保全研究所 ", "name_en": "Hozen Lab",
        "country_code": "JPN", "parent_id": env.world.gov.id, "corporate_number": wide})
    assert r.status_code == 201, r.text
    org = r.json()
    assert set(org) == ORG_KEYS
    assert (org["kind"], org["name_ja"], org["name_en"]) == ("research_institute", "保全研究所",
                                                              "Hozen Lab")
    assert org["corporate_number"] == number  # normalised to 13 ASCII digits
    assert org["parent_id"] == env.world.gov.id and org["version"] == 1

    got = env.client.get(f"{API}/organisations/{org['id']}", headers=wo)
    assert got.status_code == 200 and got.json() == org

    r = env.client.patch(f"{API}/organisations/{org['id']}", headers=wo,
                         json={"name_en": "Hozen Laboratory", "version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["name_en"] == "Hozen Laboratory" and r.json()["version"] == 2
    assert r.json()["name_ja"] == "保全研究所" and r.json()["corporate_number"] == number
    got = env.client.get(f"{API}/organisations/{org['id']}", headers=wo).json()
    assert got["name_en"] == "Hozen Laboratory" and got["version"] == 2


def test_organisation_stale_version_conflicts_and_changes_nothing(env, wo):
    org = env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "university", "name_ja": "版大学", "name_en": "Version University",
        "country_code": "JPN"}).json()
    first = env.client.patch(f"{API}/organisations/{org['id']}", headers=wo,
                             json={"name_en": "First", "version": 1})
    assert first.status_code == 200, first.text
    stale = env.client.patch(f"{API}/organisations/{org['id']}", headers=wo,
                             json={"name_en": "Second", "version": 1})
    assert_problem(stale, 409, "version")
    got = env.client.get(f"{API}/organisations/{org['id']}", headers=wo).json()
    assert (got["name_en"], got["version"]) == ("First", 2)


def test_organisation_missing_is_problem_404(env, wo):
    assert_problem(env.client.get(f"{API}/organisations/{uuid.uuid4()}", headers=wo), 404)
    assert_problem(env.client.patch(f"{API}/organisations/{uuid.uuid4()}", headers=wo,
                                    json={"name_en": "x"}), 404)


def test_organisation_list_search_and_kind_filter(env, wo):
    made = [env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "foreign_company", "name_ja": f"検索商事{i}", "name_en": f"Searchable Trading {i}",
        "country_code": "USA"}).json()["id"] for i in range(3)]
    found = env.client.get(f"{API}/organisations", headers=wo, params={"q": "検索商事"}).json()
    assert ids(found["items"]) == set(made)
    found = env.client.get(f"{API}/organisations", headers=wo,
                           params={"q": "searchable trading"}).json()  # English: any case
    assert ids(found["items"]) == set(made)
    kind = env.client.get(f"{API}/organisations", headers=wo,
                          params={"kind": "foreign_company"}).json()
    assert ids(kind["items"]) == db_ids(
        env.engine, select(Organisation.id).where(Organisation.kind == "foreign_company"))
    by_number = env.client.get(f"{API}/organisations", headers=wo,
                               params={"q": env.world.company.corporate_number}).json()
    assert ids(by_number["items"]) == {env.world.company.id}


def test_organisation_cursor_pagination_walks_every_item_once(env, wo):
    for i in range(5):
        env.client.post(f"{API}/organisations", headers=wo, json={
            "kind": "university", "name_ja": f"頁大学{i}", "name_en": f"Page U {i}",
            "country_code": "JPN"})
    pages = walk(env, f"{API}/organisations", wo, limit=2)
    flat = [o["id"] for page in pages for o in page]
    assert len(pages) > 3 and all(1 <= len(p) <= 2 for p in pages)
    assert len(flat) == len(set(flat))
    assert set(flat) == db_ids(env.engine, select(Organisation.id))
    assert flat == sorted(flat)


# --- ownership -----------------------------------------------------------------------


def test_ownership_create_list_update_delete(env, wo):
    owned = env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "company", "name_ja": "被所有株式会社", "name_en": "Owned KK",
        "country_code": "JPN"}).json()["id"]
    parent = env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "foreign_company", "name_ja": "親会社", "name_en": "Parent Inc",
        "country_code": "USA"}).json()["id"]
    r = env.client.post(f"{API}/ownership", headers=wo, json={
        "owned_id": owned, "owner_organisation_id": parent, "share_pct": "30.5",
        "voting_pct": 40})
    assert r.status_code == 201, r.text
    edge = r.json()
    assert (edge["owned_id"], edge["owner_organisation_id"], edge["owner_person_id"]) == (
        owned, parent, None)
    assert Decimal(edge["share_pct"]) == Decimal("30.5")
    assert Decimal(edge["voting_pct"]) == Decimal("40")

    r = env.client.post(f"{API}/ownership", headers=wo, json={
        "owned_id": owned, "owner_person_id": env.world.outsider.id, "share_pct": "69.5",
        "voting_pct": "60"})  # exactly 100% in total is allowed
    assert r.status_code == 201, r.text
    person_edge = r.json()
    assert person_edge["owner_person_id"] == env.world.outsider.id

    listed = env.client.get(f"{API}/ownership", headers=wo,
                            params={"owned_id": owned}).json()["items"]
    assert ids(listed) == {edge["id"], person_edge["id"]}
    held = env.client.get(f"{API}/ownership", headers=wo,
                          params={"owner_organisation_id": parent}).json()["items"]
    assert ids(held) == {edge["id"]}

    r = env.client.patch(f"{API}/ownership/{edge['id']}", headers=wo, json={"voting_pct": "35"})
    assert r.status_code == 200, r.text
    assert Decimal(r.json()["voting_pct"]) == 35 and Decimal(r.json()["share_pct"]) == Decimal(
        "30.5")

    r = env.client.delete(f"{API}/ownership/{edge['id']}", headers=wo)
    assert r.status_code == 204 and r.content == b""
    listed = env.client.get(f"{API}/ownership", headers=wo,
                            params={"owned_id": owned}).json()["items"]
    assert ids(listed) == {person_edge["id"]}
    assert_problem(env.client.delete(f"{API}/ownership/{edge['id']}", headers=wo), 404)
    assert_problem(env.client.patch(f"{API}/ownership/{edge['id']}", headers=wo,
                                    json={"share_pct": 1}), 404)


# --- people: create, read, update ----------------------------------------------------


def test_person_create_normalises_and_reads_back(env, wo):
    p = new_person(env, wo, family_name_kanji="渡辺", given_name_kanji="美咲",
                   family_name_kana="わたなべ", given_name_kana="ﾐｻｷ",
                   family_name_latin="Watanabe", given_name_latin="Misaki",
                   birth_date="平成３年６月４日", nationalities=["JPN", "USA"],
                   former_nationalities=["KOR"], employer_id=env.world.other_company.id,
                   department="研究開発部", title="主任")
    assert (p["family_name_kana"], p["given_name_kana"]) == ("ワタナベ", "ミサキ")
    assert (p["birth_date"], p["birth_date_era"]) == ("1991-06-04", "平成3年6月4日")
    assert sorted(p["nationalities"]) == ["JPN", "USA"]
    assert p["former_nationalities"] == ["KOR"]
    assert p["employer_id"] == env.world.other_company.id and p["version"] == 1
    got = env.client.get(f"{API}/people/{p['id']}", headers=wo)
    assert got.status_code == 200 and got.json() == p


@pytest.mark.parametrize("typed, iso, era", [
    ("1990-05-03", "1990-05-03", "平成2年5月3日"),
    ("19900503", "1990-05-03", "平成2年5月3日"),
    ("H2.5.3", "1990-05-03", "平成2年5月3日"),
    ("平成２年５月３日", "1990-05-03", "平成2年5月3日"),
    ("１９９０－０５－０３", "1990-05-03", "平成2年5月3日"),  # all full-width, as an IME types it
    ("平成元年1月8日", "1989-01-08", "平成元年1月8日"),
    ("昭和64年1月7日", "1989-01-07", "昭和64年1月7日"),
    ("R1.5.1", "2019-05-01", "令和元年5月1日"),
])
def test_person_birth_date_forms_are_normalised(env, wo, typed, iso, era):
    p = new_person(env, wo, family_name_kanji="暦", given_name_kanji="太郎", birth_date=typed)
    assert (p["birth_date"], p["birth_date_era"]) == (iso, era)


def test_person_update_with_version_and_stale_version_conflict(env, wo):
    p = new_person(env, wo, family_name_kanji="小林", given_name_kanji="健",
                   family_name_latin="Kobayashi", given_name_latin="Kenji")
    r = env.client.patch(f"{API}/people/{p['id']}", headers=wo,
                         json={"department": "保安課", "version": 1})
    assert r.status_code == 200, r.text
    assert (r.json()["department"], r.json()["version"]) == ("保安課", 2)
    assert r.json()["family_name_kanji"] == "小林"  # untouched fields survive

    stale = env.client.patch(f"{API}/people/{p['id']}", headers=wo,
                             json={"department": "総務課", "version": 1})
    assert_problem(stale, 409, "version")
    got = env.client.get(f"{API}/people/{p['id']}", headers=wo).json()
    assert (got["department"], got["version"]) == ("保安課", 2)


def test_person_rename_moves_the_search_index(env, wo):
    p = new_person(env, wo, family_name_kanji="改名", given_name_kanji="前",
                   birth_date="1970-01-01")
    r = env.client.patch(f"{API}/people/{p['id']}", headers=wo,
                         json={"family_name_kanji": "新姓", "birth_date": "1971-02-02"})
    assert r.status_code == 200, r.text

    def search(**params):
        r = env.client.get(f"{API}/people", headers=wo, params=params)
        assert r.status_code == 200, r.text
        return ids(r.json()["items"])

    assert p["id"] not in search(q="改名前")
    assert p["id"] not in search(birth_date="1970-01-01")
    assert p["id"] in search(q="新姓前")
    assert p["id"] in search(birth_date="1971-02-02")


def test_person_missing_is_problem_404(env, wo):
    assert_problem(env.client.get(f"{API}/people/{uuid.uuid4()}", headers=wo), 404)


# --- people: search --------------------------------------------------------------------


@pytest.fixture(scope="module")
def suzukis(env, wo):
    """Two 鈴木花子 with different birth dates and a 鈴木一郎 sharing one of them."""
    hanako = new_person(env, wo, family_name_kanji="鈴木", given_name_kanji="花子",
                        family_name_kana="すずき", given_name_kana="はなこ",
                        family_name_latin="Suzuki", given_name_latin="Hanako",
                        birth_date="平成4年9月30日")
    assert (hanako["family_name_kana"], hanako["birth_date"]) == ("スズキ", "1992-09-30")
    hanako2 = new_person(env, wo, family_name_kanji="鈴木", given_name_kanji="花子",
                         family_name_kana="スズキ", given_name_kana="ハナコ",
                         family_name_latin="SUZUKI", given_name_latin="HANAKO",
                         birth_date="S60.1.1")
    assert hanako2["birth_date"] == "1985-01-01"
    ichiro = new_person(env, wo, family_name_kanji="鈴木", given_name_kanji="一郎",
                        family_name_kana="スズキ", given_name_kana="イチロウ",
                        family_name_latin="Suzuki", given_name_latin="Ichiro",
                        birth_date="1992-09-30")
    return {"h1": hanako["id"], "h2": hanako2["id"], "ichiro": ichiro["id"]}


ALL3 = {"h1", "h2", "ichiro"}
HANAKOS = {"h1", "h2"}
BORN_H4 = {"h1", "ichiro"}


@pytest.mark.parametrize("q, birth, expected", [
    ("鈴木花子", None, HANAKOS),
    ("鈴木 花子", None, HANAKOS),
    ("鈴木", None, ALL3),
    ("スズキハナコ", None, HANAKOS),
    ("すずきはなこ", None, HANAKOS),  # hiragana input finds the katakana stored
    ("すずき", None, ALL3),
    ("ｽｽﾞｷﾊﾅｺ", None, HANAKOS),  # half-width kana
    ("suzuki hanako", None, HANAKOS),  # Latin: any case
    ("Hanako Suzuki", None, HANAKOS),  # Latin: given name first
    ("SUZUKI", None, ALL3),
    ("ＳＵＺＵＫＩ", None, ALL3),  # full-width Latin
    ("花子", None, set()),  # the given name alone is not a search key
    ("鈴", None, set()),  # exact names only, no prefix search
    ("鈴木花", None, set()),
    (None, "1992-09-30", BORN_H4),
    (None, "19920930", BORN_H4),
    (None, "1992/9/30", BORN_H4),
    (None, "1992年9月30日", BORN_H4),
    (None, "平成4年9月30日", BORN_H4),
    (None, "H4.9.30", BORN_H4),
    (None, "h4/9/30", BORN_H4),
    (None, "平成４年９月３０日", BORN_H4),  # full-width digits
    (None, "１９９２－０９－３０", BORN_H4),
    ("鈴木花子", "H4.9.30", {"h1"}),
    ("すずき はなこ", "昭和60年1月1日", {"h2"}),
    ("Suzuki", "1985-01-01", {"h2"}),
    ("鈴木一郎", "1985-01-01", set()),
])
def test_search_people_by_name_and_birth_date(env, wo, suzukis, q, birth, expected):
    params = {k: v for k, v in (("q", q), ("birth_date", birth)) if v is not None}
    r = env.client.get(f"{API}/people", headers=wo, params=params)
    assert r.status_code == 200, r.text
    assert ids(r.json()["items"]) == {suzukis[k] for k in expected}
    assert all(set(p) == PERSON_KEYS for p in r.json()["items"])


@pytest.mark.parametrize("birth", ["not a date", "1990-02-30", "平成32年1月1日", "H2.13.1"])
def test_search_with_a_bad_birth_date_names_the_field(env, wo, birth):
    assert_problem(env.client.get(f"{API}/people", headers=wo, params={"birth_date": birth}),
                   422, "birth_date")


@pytest.mark.parametrize("limit", [0, -1, 101, "many"])
def test_list_limit_out_of_range_names_the_field(env, wo, limit):
    assert_problem(env.client.get(f"{API}/people", headers=wo, params={"limit": limit}),
                   422, "limit")


@pytest.mark.parametrize("path, param", [
    ("/organisations", "q"), ("/organisations", "cursor"), ("/people", "q"),
    ("/people", "cursor"), ("/people", "employer_id"), ("/ownership", "owned_id"),
    ("/ownership", "owner_organisation_id"),
])
def test_query_text_with_nul_is_not_a_server_error(env, wo, path, param):
    r = env.client.get(f"{API}{path}", headers=wo, params={param: "a\x00b"})
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        assert r.json() == [] or r.json()["items"] == []
    else:
        assert_problem(r, r.status_code, param)


@pytest.mark.parametrize("path", ["/organisations/%00", "/organisations/a%00b", "/people/%00",
                                  "/people/" + "9" * 500])
def test_odd_ids_in_the_path_are_a_plain_404(env, wo, path):
    assert_problem(env.client.get(API + path, headers=wo), 404)


# --- people: pagination ------------------------------------------------------------------


def test_people_cursor_pagination_walks_every_item_once(env, wo):
    made = {new_person(env, wo, family_name_kanji="高橋", given_name_kanji=f"頁{i}")["id"]
            for i in range(7)}
    pages = walk(env, f"{API}/people", wo, limit=3)
    flat = [p["id"] for page in pages for p in page]
    assert all(1 <= len(p) <= 3 for p in pages) and len(pages) >= 3
    assert len(flat) == len(set(flat)) and flat == sorted(flat)
    assert set(flat) == db_ids(env.engine, select(Person.id))

    pages = walk(env, f"{API}/people", wo, limit=2, q="高橋")
    flat = [p["id"] for page in pages for p in page]
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert len(flat) == 7 and set(flat) == made


# --- people: who sees whom -----------------------------------------------------------------


def test_company_security_officer_sees_only_own_staff(env, wo):
    cso = env.h(Role.COMPANY_SECURITY_OFFICER)
    colleague = new_person(env, cso, family_name_kanji="同僚", given_name_kanji="次郎",
                           birth_date="1988-08-08")
    assert colleague["employer_id"] == env.world.company.id  # defaults to the officer's own
    new_person(env, wo, family_name_kanji="他社", given_name_kanji="三郎",
               birth_date="1988-08-08", employer_id=env.world.other_company.id)

    own = db_ids(env.engine, select(Person.id).where(
        Person.employer_id == env.world.company.id))
    assert {env.world.staff.id, colleague["id"]} <= own
    listed = [p for page in walk(env, f"{API}/people", cso, limit=1) for p in page]
    assert ids(listed) == own and len(listed) == len(own)
    assert {p["employer_id"] for p in listed} == {env.world.company.id}

    # Search and filters stay inside the scope: staff and outsider share a birth date.
    r = env.client.get(f"{API}/people", headers=cso, params={"birth_date": "1980-01-02"})
    assert ids(r.json()["items"]) == {env.world.staff.id}
    r = env.client.get(f"{API}/people", headers=cso, params={"birth_date": "1988-08-08"})
    assert ids(r.json()["items"]) == {colleague["id"]}
    r = env.client.get(f"{API}/people", headers=cso, params={"q": "佐々木太郎"})
    assert r.status_code == 200 and r.json()["items"] == []
    r = env.client.get(f"{API}/people", headers=cso,
                       params={"employer_id": env.world.other_company.id})
    assert r.status_code == 200 and r.json()["items"] == []

    assert env.client.get(f"{API}/people/{env.world.staff.id}", headers=cso).status_code == 200
    assert_same_404(env, cso, env.world.outsider.id)


def test_agency_official_sees_only_own_agency_staff(env):
    ago = env.h(Role.AGENCY_OFFICIAL)
    civil_servant = new_person(env, ago, family_name_kanji="官庁", given_name_kanji="職員")
    assert civil_servant["employer_id"] == env.world.gov.id
    own = db_ids(env.engine, select(Person.id).where(Person.employer_id == env.world.gov.id))
    listed = [p for page in walk(env, f"{API}/people", ago, limit=50) for p in page]
    assert ids(listed) == own and civil_servant["id"] in own
    assert_same_404(env, ago, env.world.staff.id)


def test_subject_sees_only_themself(env):
    sub = env.h(Role.SUBJECT)
    listed = [p for page in walk(env, f"{API}/people", sub) for p in page]
    assert ids(listed) == {env.world.staff.id} and len(listed) == 1
    r = env.client.get(f"{API}/people", headers=sub, params={"q": "佐々木太郎"})
    assert r.status_code == 200 and r.json()["items"] == []
    me = env.client.get(f"{API}/people/{env.world.staff.id}", headers=sub)
    assert me.status_code == 200 and me.json()["family_name_kanji"] == "山田"
    assert_same_404(env, sub, env.world.outsider.id)
    colleague = db_ids(env.engine, select(Person.id).where(
        Person.employer_id == env.world.company.id, Person.id != env.world.staff.id))
    for pid in colleague:  # a colleague at the same company is not themself
        assert_same_404(env, sub, pid)


def assert_same_404(env: Env, headers, hidden_id: str, method: str = "GET") -> None:
    """The answer for a hidden person is the answer for a missing one, byte for byte."""
    body = {"department": "x"} if method == "PATCH" else None
    hidden = env.client.request(method, f"{API}/people/{hidden_id}", headers=headers, json=body)
    answers = [env.client.request(method, f"{API}/people/{missing}", headers=headers, json=body)
               for missing in (str(uuid.uuid4()), "no-such-person")]
    assert_problem(hidden, 404)
    for missing in answers:
        assert (missing.status_code, missing.headers["content-type"], missing.content) == (
            hidden.status_code, hidden.headers["content-type"], hidden.content)


@pytest.mark.parametrize("role", [
    Role.SYSTEM_ADMIN, Role.AUDITOR, Role.OVERSIGHT_INSPECTOR, Role.APPROVING_OFFICIAL,
    Role.FOREIGN_LIAISON, Role.EXTERNAL_EXPERT, Role.AGENCY_OFFICIAL,
    Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT,
])
def test_person_the_caller_may_not_see_answers_exactly_like_a_missing_one(env, role):
    # Staff of `company` for those who may not see them, the outsider for the company's own.
    target = (env.world.outsider.id if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT)
              else env.world.staff.id)
    before = last_seq(env.engine)
    assert_same_404(env, env.h(role), target)
    assert_same_404(env, env.h(role), target, method="PATCH")
    assert audit_since(env.engine, before, "registry:person:read") == []


def test_window_roles_see_everyone(env):
    everyone = db_ids(env.engine, select(Person.id))
    for role in (Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR):
        listed = [p for page in walk(env, f"{API}/people", env.h(role), limit=100) for p in page]
        assert ids(listed) == everyone
        r = env.client.get(f"{API}/people/{env.world.outsider.id}", headers=env.h(role))
        assert r.status_code == 200 and r.json()["family_name_kanji"] == "佐々木"


# --- audit of reads, and no personal data where it must not be ---------------------------


def test_every_person_read_is_audited(env, wo):
    user = env.user(Role.WINDOW_OFFICER)
    before = last_seq(env.engine)
    r = env.client.get(f"{API}/people/{env.world.outsider.id}",
                       headers=wo | {"X-Request-ID": "read-request-0001"})
    assert r.status_code == 200
    rows = audit_since(env.engine, before)
    assert [(e["tag"], e["subject_type"], e["subject_id"], e["actor"], e["request_id"])
            for e in rows] == [("registry:person:read", "person", env.world.outsider.id,
                                f"user:{user.user_id}", "read-request-0001")]


def test_every_person_listed_is_audited_page_by_page(env):
    cso = env.user(Role.COMPANY_SECURITY_OFFICER)
    before = last_seq(env.engine)
    pages = walk(env, f"{API}/people", cso.headers, limit=1)
    rows = audit_since(env.engine, before)
    assert all(e["tag"] == "registry:person:list" for e in rows)
    assert [json.loads(e["details"])["read"] for e in rows] == [
        [p["id"] for p in page] for page in pages if page]
    assert {e["actor"] for e in rows} == {f"user:{cso.user_id}"}


def test_search_results_are_audited(env, wo, suzukis):
    before = last_seq(env.engine)
    r = env.client.get(f"{API}/people", headers=wo, params={"q": "鈴木", "birth_date": "H4.9.30"})
    assert ids(r.json()["items"]) == {suzukis["h1"], suzukis["ichiro"]}
    rows = audit_since(env.engine, before)
    assert [e["tag"] for e in rows] == ["registry:person:list"]
    assert sorted(json.loads(rows[0]["details"])["read"]) == sorted(
        [suzukis["h1"], suzukis["ichiro"]])


def test_a_subject_reading_themself_is_audited(env):
    sub = env.user(Role.SUBJECT)
    before = last_seq(env.engine)
    assert env.client.get(f"{API}/people/{sub.person_id}", headers=sub.headers).status_code == 200
    rows = audit_since(env.engine, before, "registry:person:read")
    assert [(e["subject_id"], e["actor"]) for e in rows] == [
        (sub.person_id, f"user:{sub.user_id}")]


def test_responses_never_carry_the_pii_ciphertext(env, wo):
    created = env.client.post(f"{API}/people", headers=wo, json={
        "family_name_kanji": "暗号", "given_name_kanji": "文子", "birth_date": "1966-06-16",
        "nationalities": ["JPN"]})
    pid = created.json()["id"]
    with session_factory(env.engine)() as s:
        blob = s.get(Person, pid).pii
    encodings = [base64.b64encode(blob), base64.urlsafe_b64encode(blob), blob.hex().encode(),
                 base64.b64encode(blob[-32:]), blob[-16:].hex().encode()]
    responses = [
        created,
        env.client.get(f"{API}/people/{pid}", headers=wo),
        env.client.get(f"{API}/people", headers=wo, params={"q": "暗号文子"}),
        env.client.patch(f"{API}/people/{pid}", headers=wo, json={"title": "係長"}),
    ]
    for r in responses:
        assert r.status_code in (200, 201), r.text
        assert b"pii" not in r.content
        assert not any(e in r.content for e in encodings)
        body = r.json()
        for person in body.get("items", [body]):
            assert set(person) == PERSON_KEYS


def _name_forms(p: dict) -> set[str]:
    forms: set[str] = set()
    for fam, giv in (("family_name_kanji", "given_name_kanji"),
                     ("family_name_kana", "given_name_kana"),
                     ("family_name_latin", "given_name_latin")):
        parts = [p[fam], p[giv]]
        for part in filter(None, parts):
            forms |= {part, jaconv.kata2hira(part), jaconv.z2h(part, kana=True)}
        if all(parts):
            forms |= {parts[0] + parts[1], f"{parts[0]} {parts[1]}", f"{parts[1]} {parts[0]}",
                      jaconv.kata2hira(parts[0] + parts[1])}
    for extra in ("department", "title"):
        if p[extra]:
            forms.add(p[extra])
    return forms


def _date_forms(iso: str) -> set[str]:
    d = date.fromisoformat(iso)
    era = date_forms(d)[4]  # e.g. 平成2年5月3日
    initial = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}[era[:2]]
    rel = era[2:era.index("年")]
    rel = "1" if rel == "元" else rel
    return set(date_forms(d)) | {f"{initial}{rel}.{d.month}.{d.day}", f"{d.year}-{d.month}-{d.day}"}


def test_audit_log_holds_no_personal_data(env, wo, suzukis):
    """Every person of the module so far has been created, read, listed or searched."""
    p = new_person(env, wo, family_name_kanji="秘密", given_name_kanji="守",
                   family_name_kana="ひみつ", given_name_kana="まもる",
                   family_name_latin="Himitsu", given_name_latin="Mamoru",
                   birth_date="昭和45年12月24日", department="特別調査室")
    env.client.patch(f"{API}/people/{p['id']}", headers=wo, json={"title": "調査官"})
    env.client.get(f"{API}/people", headers=wo, params={"q": "ひみつまもる"})
    env.client.get(f"{API}/people", headers=wo, params={"birth_date": "S45.12.24"})
    people = [x for page in walk(env, f"{API}/people", wo, limit=100) for x in page]
    assert p["id"] in ids(people) and len(people) >= 15
    needles = set()
    for person in people:
        needles |= _name_forms(person) | _date_forms(person["birth_date"])
    needles = {n.lower() for n in needles if len(n) >= 2}
    with env.engine.connect() as c:
        rows = c.execute(text("SELECT * FROM audit_event ORDER BY seq")).mappings().all()
    assert {"registry:person:create", "registry:person:update", "registry:person:read",
            "registry:person:list"} <= {r["tag"] for r in rows}
    leaks = [(r["seq"], r["tag"], n) for r in rows
             for n in needles if n in " ".join(str(v) for v in r.values()).lower()]
    assert leaks == []


def test_organisation_write_is_audited_without_touching_people(env, wo):
    before = last_seq(env.engine)
    org = env.client.post(f"{API}/organisations", headers=wo, json={
        "kind": "university", "name_ja": "監査大学", "name_en": "Audit U",
        "country_code": "JPN"}).json()
    rows = audit_since(env.engine, before)
    assert [(e["tag"], e["subject_id"]) for e in rows] == [
        ("registry:organisation:create", org["id"])]
    with unit_of_work(env.engine) as s:  # the chain links the new row to the previous one
        prev = s.execute(text("SELECT hash FROM audit_event WHERE seq = :s"),
                         {"s": rows[0]["seq"] - 1}).scalar()
    assert rows[0]["prev_hash"] == prev


def test_countries_are_read_once_and_again_after_a_change(env, wo):
    """The list is kept per process while the global decision epoch stands: asked again,
    it costs no read of the country table; a country renamed shows at once."""
    from sqlalchemy import event

    from hozen.registry.models import Country

    first = env.client.get(f"{API}/countries", headers=wo)
    assert first.status_code == 200
    assert len(first.json()) > 200
    assert {frozenset(c) for c in first.json()} == {
        frozenset({"code", "alpha_2", "name_en", "name_ja"})}
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(env.engine, "before_cursor_execute", before)
    try:
        assert env.client.get(f"{API}/countries", headers=wo).json() == first.json()
    finally:
        event.remove(env.engine, "before_cursor_execute", before)
    assert not [s for s in seen if "FROM country" in s]
    with session_factory(env.engine)() as s:
        s.get(Country, "GBR").name_en = "Renamed Kingdom"
        s.commit()
    try:
        again = {c["code"]: c for c in
                 env.client.get(f"{API}/countries", headers=wo).json()}
        assert again["GBR"]["name_en"] == "Renamed Kingdom"
    finally:
        with session_factory(env.engine)() as s:
            s.get(Country, "GBR").name_en = next(
                c["name_en"] for c in first.json() if c["code"] == "GBR")
            s.commit()

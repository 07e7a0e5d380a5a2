"""Bad input on every write endpoint of /api/v1 gets a 4xx problem+json naming the field,
never a 5xx, and writes nothing (every table, the audit log included, is unchanged)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from stdnum.jp import cn

from hozen.accounts import services as accounts_services
from hozen.accounts.permissions import Role
from hozen.db import Base, import_all_models, new_id, session_factory, unit_of_work
from hozen.registry.models import Country, OwnershipEdge
from tests.conftest import wipe
from tests.factories import (
    World,
    corporate_number,
    make_org,
    make_ownership,
    make_person,
    make_world,
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


@contextmanager
def cheap_argon2():
    """Speed only: the module's users get Argon2 hashes with small parameters (a dozen
    default hashes cost seconds on a small machine); sign-in still verifies them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts_services, "_hasher",
                   PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


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
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield Env(client, world, engine, ids)


def resolve(value, ids):
    if isinstance(value, Ref):
        return ids[value.name]
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return value


def snapshot(engine) -> dict[str, list[str]]:
    """Every row of every table (countries by count: reference data)."""
    import_all_models()
    with engine.connect() as c:
        state = {t.name: sorted(repr(tuple(r)) for r in c.execute(t.select()))
                 for t in Base.metadata.sorted_tables if t.name != "country"}
        state["country"] = [str(c.execute(select(func.count()).select_from(Country)).scalar())]
    return state


def assert_unchanged(before: dict, after: dict) -> None:
    changed = {t: (len(before[t]), len(after[t])) for t in before if before[t] != after[t]}
    assert changed == {}, f"tables written (rows before, after): {changed}"


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


def request(env: Env, endpoint: str, role: Role = Role.WINDOW_OFFICER, *, json_body=None,
            raw: tuple[str, bytes] | None = None, path_ids: dict | None = None):
    method, path, _ = ENDPOINTS[endpoint]
    url = API + path.format(**(env.ids | (path_ids or {})))
    headers = dict(env.world.users[role].headers)
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


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.startswith(("PATCH", "DELETE"))])
@pytest.mark.parametrize("target", ["missing", "x" * 300, "%00", "' OR 1=1 --"])
def test_write_to_an_unknown_id_is_404_and_writes_nothing(env, endpoint, target):
    key = {"PATCH /organisations": "org", "PATCH /ownership": "edge_b",
           "DELETE /ownership": "edge_b", "PATCH /people": "person"}[endpoint]
    before = snapshot(env.engine)
    r = request(env, endpoint, path_ids={key: env.ids.get(target, target)},
                json_body=ENDPOINTS[endpoint][2])
    assert_refused(r, None, 404)
    assert_unchanged(before, snapshot(env.engine))


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))  # in order: DELETE comes last
def test_the_valid_bodies_are_accepted(env, endpoint):
    """Control: each case above differs from an accepted request by its one fault."""
    r = request(env, endpoint, json_body=resolve(ENDPOINTS[endpoint][2], env.ids))
    assert r.status_code in (200, 201, 204), f"{endpoint}: {r.status_code} {r.text[:300]}"
    if endpoint == "DELETE /ownership":
        with session_factory(env.engine)() as s:
            assert s.get(OwnershipEdge, env.ids["edge_b"]) is None

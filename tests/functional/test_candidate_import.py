"""The candidate list (名簿) uploaded as CSV: POST /api/v1/clearance-cases/import.

Through the API on the real database: a good file lists every row (English or Japanese
headings; UTF-8, UTF-8 with a BOM or Shift_JIS), a row naming a person already on the
employer's register reuses them, and every refusal (a bad row, a bad heading, a bad file,
a bad regime or sponsor, a role that may not list) writes nothing at all. Then the pure
parts (`decode`, `read_rows`) directly, with a round-trip property of `read_rows`."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hozen.accounts.models import User
from hozen.accounts.permissions import EMPLOYER_ROLES, Role
from hozen.clearances.models import ClearanceCase
from hozen.clearances.roster import COLUMNS, REQUIRED, TEMPLATE, decode, read_rows
from hozen.errors import ValidationFailed
from hozen.policy import get_policy
from hozen.registry.models import Person
from tests.factories import (
    assert_unchanged,
    cheap_argon2,
    detached_world,
    make_user,
    snapshot,
)

IMPORT = "/api/v1/clearance-cases/import"
EN = list(COLUMNS)  # the English headings: the column names themselves
# Japanese headings other than the template's, to prove the aliases are read.
JA = ["氏", "名", "姓（カナ）", "名（カナ）", "姓（ローマ字）", "名（ローマ字）", "生年月日",
      "国籍", "所属", "職名"]
SUZUKI = ["鈴木", "一郎", "スズキ", "イチロウ", "Suzuki", "Ichiro", "1975-04-01", "JPN",
          "研究開発部", "主任"]
TAKAHASHI = ["高橋", "花子", "タカハシ", "ハナコ", "Takahashi", "Hanako", "平成2年5月3日",
             "JPN;USA", "設計部", "技師"]
SMITH = ["", "", "", "", "Smith", "John", "1990-12-31", "GBR", "", ""]


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return csv_text(rows).encode(encoding)


@pytest.fixture
def world(session):
    return detached_world(session)


def upload(client, login, body: bytes, *, sponsor_id: str, regime: str = "CESI"):
    return client.post(IMPORT, params={"regime": regime, "sponsor_id": sponsor_id},
                       content=body, headers=login.headers | {"Content-Type": "text/csv"})


def cso(world):
    return world.users[Role.COMPANY_SECURITY_OFFICER]


def read(session, stmt) -> list:
    """Rows read in a transaction ended at once (SQLite: no lock held across requests)."""
    rows = list(session.execute(stmt).all())
    session.rollback()
    return rows


def error_pairs(r) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in r.json()["errors"]}


def assert_refused(r, *pairs: tuple[str, str]) -> None:
    assert r.status_code == 422, r.text[:500]
    assert r.headers["content-type"] == "application/problem+json"
    assert set(pairs) <= error_pairs(r), r.json()["errors"]
    assert r.json()["field"] == r.json()["errors"][0]["field"]


# --- good files --------------------------------------------------------------------------


def test_a_good_file_lists_every_row(client, world, session):
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, TAKAHASHI, SMITH]),
               sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["listed"] == 3 and len(body["cases"]) == 3
    assert {c["status"] for c in body["cases"]} == {"in_progress"}
    assert {c["regime"] for c in body["cases"]} == {"CESI"}
    ids = [c["id"] for c in body["cases"]]
    people = [c["person_id"] for c in body["cases"]]
    assert len(set(people)) == 3 and not {world.staff.id, world.outsider.id} & set(people)

    cases = read(session, select(ClearanceCase.id, ClearanceCase.state, ClearanceCase.employer_id,
                                 ClearanceCase.sponsor_id, ClearanceCase.listed_by)
                 .where(ClearanceCase.id.in_(ids)))
    assert {(c.state, c.employer_id, c.sponsor_id, c.listed_by) for c in cases} == {
        ("listed", world.company.id, world.gov.id, cso(world).user_id)}
    employers = read(session, select(Person.employer_id).where(Person.id.in_(people)))
    assert {e for (e,) in employers} == {world.company.id}
    # the subject has no account: the case exists and waits for them
    assert read(session, select(User.id).where(User.person_id.in_(people))) == []

    headers = cso(world).headers
    takahashi = client.get(f"/api/v1/people/{people[1]}", headers=headers).json()
    assert (takahashi["family_name_kanji"], takahashi["given_name_kana"]) == ("高橋", "ハナコ")
    assert takahashi["birth_date"] == "1990-05-03"  # 平成2年5月3日
    assert sorted(takahashi["nationalities"]) == ["JPN", "USA"]
    assert (takahashi["department"], takahashi["title"]) == ("設計部", "技師")
    smith = client.get(f"/api/v1/people/{people[2]}", headers=headers).json()
    assert (smith["family_name_latin"], smith["family_name_kanji"]) == ("Smith", None)
    listed = {v["id"]: v["status"] for v in client.get("/api/v1/clearance-cases",
                                                         headers=headers).json()["items"]}
    assert {listed[i] for i in ids} == {"in_progress"}


def test_japanese_headings_in_shift_jis(client, world, session):
    rows = [JA, SUZUKI, TAKAHASHI[:7] + ["JPN、USA"] + TAKAHASHI[8:]]
    raw = csv_bytes(rows, "cp932")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Shift_JIS, not UTF-8
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id, regime="SDS")
    assert r.status_code == 201, r.text
    assert r.json()["listed"] == 2
    first, second = (c["person_id"] for c in r.json()["cases"])
    suzuki = client.get(f"/api/v1/people/{first}", headers=cso(world).headers).json()
    assert (suzuki["family_name_kanji"], suzuki["given_name_kanji"], suzuki["department"]) == (
        "鈴木", "一郎", "研究開発部")
    takahashi = client.get(f"/api/v1/people/{second}", headers=cso(world).headers).json()
    assert sorted(takahashi["nationalities"]) == ["JPN", "USA"]


def test_the_template_headings_in_utf8_with_a_bom(client, world):
    raw = b"\xef\xbb\xbf" + TEMPLATE.encode() + csv_bytes([SUZUKI])
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    assert r.json()["listed"] == 1


def test_blank_lines_and_short_rows_are_fine(client, world):
    raw = csv_bytes([["birth_date", "nationalities", "family name", "given name"], [],
                     ["1990-12-31", "GBR", "Smith", "John"], ["", "", "", ""], [],
                     ["1991-01-01", "USA", "Jones", "Mary"]])
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    assert r.json()["listed"] == 2


def test_a_registered_person_of_the_same_employer_is_reused(client, world, session):
    """Same kanji name and birth date (here written in the Japanese era) as the company's
    staff member: listed, not registered twice. The same name and date at another
    employer is a different person, registered anew at the officer's own company."""
    count = read(session, select(func.count()).select_from(Person))[0][0]
    yamada = ["山田", "太郎", "", "", "", "", "昭和55年1月2日", "JPN", "", ""]
    sasaki = ["佐々木", "太郎", "", "", "", "", "1980-01-02", "JPN", "", ""]
    r = upload(client, cso(world), csv_bytes([EN, yamada, sasaki]), sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    first, second = (c["person_id"] for c in r.json()["cases"])
    assert first == world.staff.id
    assert second not in (world.staff.id, world.outsider.id)
    assert read(session, select(func.count()).select_from(Person))[0][0] == count + 1
    assert read(session, select(Person.employer_id).where(Person.id == second)) == [
        (world.company.id,)]


def test_a_family_name_alone_does_not_match_a_registered_person(client, world, session):
    """Yamada Hanako, born the same day as the company's 山田 太郎, her kanji given name
    left blank (her Latin name is complete): she is someone else, not 山田 太郎."""
    hanako = ["山田", "", "", "", "Yamada", "Hanako", "1980-01-02", "JPN", "", ""]
    r = upload(client, cso(world), csv_bytes([EN, hanako]), sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    [case] = r.json()["cases"]
    assert case["person_id"] != world.staff.id, "listed as another person of the same name"


def test_agency_official_lists_into_their_own_body(client, world, session):
    official = world.users[Role.AGENCY_OFFICIAL]
    r = upload(client, official, csv_bytes([EN, SUZUKI]), sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    [case] = r.json()["cases"]
    assert read(session, select(Person.employer_id).where(Person.id == case["person_id"])) == [
        (world.gov.id,)]
    # the company's officer does not see the agency's candidate
    ids = {v["id"] for v in client.get("/api/v1/clearance-cases",
                                       headers=cso(world).headers).json()["items"]}
    assert case["id"] not in ids


def test_an_officer_lists_into_their_own_organisation_only(client, world, session, engine):
    """The file has no employer column: naming one is refused, and the company's staff
    named by another company's officer is a new person at that other company."""
    before = snapshot(engine)
    raw = csv_bytes([EN + ["employer_id"], SUZUKI + [world.other_company.id]])
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert_refused(r, ("header.11", "csv_header_unknown"))
    assert_unchanged(before, snapshot(engine))

    with cheap_argon2():
        other = make_user(session, Role.COMPANY_SECURITY_OFFICER, world.other_company.id)
    session.commit()
    yamada = ["山田", "太郎", "", "", "", "", "1980-01-02", "JPN", "", ""]
    r = upload(client, other, csv_bytes([EN, yamada]), sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    [case] = r.json()["cases"]
    assert case["person_id"] != world.staff.id
    rows = read(session, select(ClearanceCase.employer_id, Person.employer_id).join(
        Person, Person.id == ClearanceCase.person_id).where(ClearanceCase.id == case["id"]))
    assert rows == [(world.other_company.id, world.other_company.id)]


# --- refusals: nothing is written --------------------------------------------------------


@pytest.mark.parametrize(("line5", "pair"), [
    (["中村", "五郎", "", "", "", "", "1985-06-07", "XYZ", "", ""],
     ("rows.5.nationalities", "country_unknown")),
    (["中村", "五郎", "", "", "", "", "1985-06-07", "Japan", "", ""],
     ("rows.5.nationalities", "invalid")),
    (["中村", "五郎", "", "", "", "", "1985-06-07", "", "", ""],
     ("rows.5.nationalities", "invalid")),
    (["", "", "", "", "", "", "1985-06-07", "JPN", "", ""],
     ("rows.5.family_name_kanji", "name_required")),
], ids=["unknown country", "not a code", "no nationality", "no name"])
def test_bad_rows_are_each_reported_and_nothing_is_written(client, world, engine, line5, pair):
    bad_date = ["伊藤", "三郎", "", "", "", "", "1980-13-45", "JPN", "", ""]
    raw = csv_bytes([EN, SUZUKI, bad_date, TAKAHASHI, line5])
    before = snapshot(engine)
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert_refused(r, ("rows.3.birth_date", "date_invalid"), pair)
    # the good lines 2 and 4 are not mentioned, and not listed either
    assert {f.split(".")[1] for f, _ in error_pairs(r)} == {"3", "5"}
    assert_unchanged(before, snapshot(engine))


def test_every_error_of_a_row_is_reported_at_once(client, world, engine):
    """A named row with a bad birth date and an unknown nationality: both are reported,
    so the officer corrects the file once."""
    row = ["伊藤", "三郎", "yamada", "", "", "", "1980-13-45", "XYZ", "", ""]
    before = snapshot(engine)
    r = upload(client, cso(world), csv_bytes([EN, row]), sponsor_id=world.gov.id)
    assert_refused(r, ("rows.2.birth_date", "date_invalid"),
                   ("rows.2.nationalities", "country_unknown"),
                   ("rows.2.family_name_kana", "kana_only"))
    assert_unchanged(before, snapshot(engine))


def test_every_error_of_an_unnamed_row_is_reported_at_once(client, world, engine):
    """Control for the test above: without a name the registry's own checks run and
    report every field."""
    row = ["", "", "", "", "", "", "1980-13-45", "XYZ", "", ""]
    r = upload(client, cso(world), csv_bytes([EN, row]), sponsor_id=world.gov.id)
    assert_refused(r, ("rows.2.birth_date", "date_invalid"),
                   ("rows.2.nationalities", "country_unknown"),
                   ("rows.2.family_name_kanji", "name_required"))


def test_a_row_twice_in_the_file_is_refused_on_its_second_line(client, world, engine):
    before = snapshot(engine)
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, SMITH, SUZUKI]),
               sponsor_id=world.gov.id)
    assert_refused(r, ("rows.4", "case_already_open"))
    assert error_pairs(r) == {("rows.4", "case_already_open")}
    assert_unchanged(before, snapshot(engine))


def test_a_person_with_an_open_case_is_refused(client, world, engine):
    r = client.post("/api/v1/clearance-cases", headers=cso(world).headers,
                    json={"person_id": world.staff.id, "regime": "CESI",
                          "sponsor_id": world.gov.id})
    assert r.status_code == 201
    before = snapshot(engine)
    yamada = ["山田", "太郎", "", "", "", "", "1980-01-02", "JPN", "", ""]
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, yamada]), sponsor_id=world.gov.id)
    assert_refused(r, ("rows.3", "case_already_open"))
    assert_unchanged(before, snapshot(engine))
    # another regime is another assessment
    r = upload(client, cso(world), csv_bytes([EN, yamada]), sponsor_id=world.gov.id,
               regime="SDS")
    assert r.status_code == 201, r.text


BAD_FILES = [
    ("unknown heading", csv_bytes([["birth_date", "nationalities", "shoe size"],
                                   ["1980-01-01", "JPN", "27"]]),
     [("header.3", "csv_header_unknown")]),
    ("no birth date column", csv_bytes([["氏", "名", "国籍"], ["鈴木", "一郎", "JPN"]]),
     [("header.birth_date", "csv_header_missing")]),
    ("neither required column", csv_bytes([["氏", "名", "靴"], ["鈴木", "一郎", "27"]]),
     [("header.3", "csv_header_unknown"), ("header.birth_date", "csv_header_missing"),
      ("header.nationalities", "csv_header_missing")]),
    ("empty file", b"", [("file", "csv_empty")]),
    ("header only", TEMPLATE.encode(), [("file", "csv_empty")]),
    ("header and blank lines", TEMPLATE.encode() + b",,,,,,,,,\r\n\r\n \r\n",
     [("file", "csv_empty")]),
    ("undecodable bytes", b"birth_date,nationalities\r\n\x85\x40,JPN\r\n",
     [("file", "csv_encoding")]),
    ("unclosed quote run", b'birth_date,nationalities\r\n"1980-01-01"x,JPN\r\n',
     [("file", "csv_malformed")]),
]


@pytest.mark.parametrize(("raw", "pairs"), [(b, p) for _, b, p in BAD_FILES],
                         ids=[label for label, _, _ in BAD_FILES])
def test_a_bad_file_is_refused_and_nothing_is_written(client, world, engine, raw, pairs):
    before = snapshot(engine)
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert_refused(r, *pairs)
    assert error_pairs(r) == set(pairs)
    assert_unchanged(before, snapshot(engine))


def test_more_rows_than_the_policy_allows(client, world, engine, monkeypatch):
    monkeypatch.setitem(get_policy().clearance, "candidate_csv_max_rows", 2)
    before = snapshot(engine)
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, [], TAKAHASHI, SMITH]),
               sponsor_id=world.gov.id)
    assert_refused(r, ("file", "csv_too_many_rows"))
    assert_unchanged(before, snapshot(engine))
    # blank lines do not count: exactly the limit is listed
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, [], [], TAKAHASHI, []]),
               sponsor_id=world.gov.id)
    assert r.status_code == 201, r.text
    assert r.json()["listed"] == 2


def test_the_default_row_limit_is_a_thousand(client, world, engine):
    """With the policy as shipped: 1001 rows of a file otherwise good are refused before
    any row is looked at."""
    assert int(get_policy().clearance["candidate_csv_max_rows"]) == 1000
    rows = [EN] + [["", "", "", "", "Doe", f"Jan{'a' * (n % 7)}", "1990-01-01", "JPN", "",
                    str(n)] for n in range(1001)]
    before = snapshot(engine)
    r = upload(client, cso(world), csv_bytes(rows), sponsor_id=world.gov.id)
    assert_refused(r, ("file", "csv_too_many_rows"))
    assert_unchanged(before, snapshot(engine))


def test_a_body_over_two_megabytes_is_refused(client, world, engine):
    raw = TEMPLATE.encode() + csv_bytes([SUZUKI]) * (2_000_001 // len(csv_bytes([SUZUKI])) + 1)
    assert len(raw) > 2_000_000
    before = snapshot(engine)
    r = upload(client, cso(world), raw, sponsor_id=world.gov.id)
    assert 400 <= r.status_code < 500 and r.status_code not in (401, 403, 404), r.text[:300]
    assert r.json()["field"] == "file"
    assert_unchanged(before, snapshot(engine))


@pytest.mark.parametrize(("params", "field"), [
    ({"regime": "TOP"}, "regime"),
    ({"regime": "cesi"}, "regime"),
    ({"regime": "CESI-AND-MORE"}, "regime"),
    ({"sponsor": "company"}, "sponsor_id"),
    ({"sponsor": "unknown"}, "sponsor_id"),
    ({"sponsor": "not an id"}, "sponsor_id"),
], ids=["unknown regime", "lower case regime", "regime too long", "sponsor is a company",
        "sponsor unknown", "sponsor not an id"])
def test_a_bad_regime_or_sponsor_is_refused(client, world, engine, params, field):
    sponsor = {"company": world.company.id, "unknown": "00000000-0000-4000-8000-000000000000",
               "not an id": "x' OR 1=1"}.get(params.get("sponsor"), world.gov.id)
    before = snapshot(engine)
    r = upload(client, cso(world), csv_bytes([EN, SUZUKI, TAKAHASHI]), sponsor_id=sponsor,
               regime=params.get("regime", "CESI"))
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == field
    assert {e["field"] for e in r.json()["errors"]} == {field}  # not once per row
    assert_unchanged(before, snapshot(engine))


def test_regime_and_sponsor_are_required(client, world, engine):
    before = snapshot(engine)
    r = client.post(IMPORT, content=csv_bytes([EN, SUZUKI]), headers=cso(world).headers)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"regime", "sponsor_id"}
    assert_unchanged(before, snapshot(engine))


@pytest.mark.parametrize("role", [r for r in Role if r not in EMPLOYER_ROLES],
                         ids=lambda r: r.value)
def test_only_employer_officers_may_upload(client, world, engine, role):
    before = snapshot(engine)
    r = upload(client, world.users[role], csv_bytes([EN, SUZUKI]), sponsor_id=world.gov.id)
    assert r.status_code == 403, r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"
    assert_unchanged(before, snapshot(engine))


def test_an_anonymous_upload_is_refused(client, world, engine):
    before = snapshot(engine)
    r = client.post(IMPORT, params={"regime": "CESI", "sponsor_id": world.gov.id},
                    content=csv_bytes([EN, SUZUKI]))
    assert r.status_code == 401
    assert_unchanged(before, snapshot(engine))


# --- the pure parts: decode and read_rows -------------------------------------------------


def test_decode_utf8_bom_and_shift_jis():
    text = "生年月日,国籍\r\n1980-01-02,JPN\r\n"
    assert decode(text.encode()) == text
    assert decode(b"\xef\xbb\xbf" + text.encode()) == text  # the BOM is dropped
    assert decode(text.encode("cp932")) == text
    assert decode("ﾊﾝｶｸ,①,髙".encode("cp932")) == "ﾊﾝｶｸ,①,髙"  # cp932 beyond Shift_JIS
    assert decode(b"") == ""


@pytest.mark.parametrize("raw", [b"\x85\x40", b"birth_date\r\n\x81\x20", b"\xeb\x40abc"])
def test_decode_refuses_what_is_neither(raw):
    with pytest.raises(ValidationFailed) as exc:
        decode(raw)
    assert exc.value.errors == [("file", "csv_encoding")]


def test_decode_refuses_utf16_rather_than_reading_it_as_shift_jis():
    """Excel's "Unicode text" is UTF-16: cp932 maps its BOM to private-use characters and
    keeps every NUL, so the officer would be told the headings are unknown instead of
    being told the encoding is not one we read."""
    with pytest.raises(ValidationFailed) as exc:
        decode("生年月日,国籍\r\n1980-01-02,JPN\r\n".encode("utf-16"))
    assert exc.value.errors == [("file", "csv_encoding")]


def test_read_rows_maps_headings_to_columns():
    text = csv_text([[" Birth_Date ", "NATIONALITY", "姓(カナ)", "", "Family Name"],
                     ["1980-01-02", " JPN ", "ヤマダ", "ignored", "Yamada", "extra"],
                     ["1981-02-03"]])
    assert read_rows(text, 10) == [
        (2, {"birth_date": "1980-01-02", "nationalities": "JPN", "family_name_kana": "ヤマダ",
             "family_name_latin": "Yamada"}),
        (3, {"birth_date": "1981-02-03", "nationalities": "", "family_name_kana": "",
             "family_name_latin": ""}),
    ]


def test_every_heading_of_the_template_is_known():
    assert read_rows(TEMPLATE + "1,2,3,4,5,6,7,8,9,10\r\n", 1) == [
        (2, {c: str(n) for n, c in enumerate(COLUMNS, start=1)})]


@pytest.mark.parametrize(("text", "errors"), [
    ("", [("file", "csv_empty")]),
    ("birth_date,nationalities\r\n", [("file", "csv_empty")]),
    ("birth_date,nationalities\r\n,\r\n \t, \r\n", [("file", "csv_empty")]),
    ("birth_date,nationalities,x\r\n1,2,3\r\n", [("header.3", "csv_header_unknown")]),
    ("nationalities\r\nJPN\r\n", [("header.birth_date", "csv_header_missing")]),
    ("x,y\r\n1,2\r\n", [("header.1", "csv_header_unknown"), ("header.2", "csv_header_unknown"),
                        ("header.birth_date", "csv_header_missing"),
                        ("header.nationalities", "csv_header_missing")]),
    ('birth_date,nationalities\r\n"1980,JPN\r\n', [("file", "csv_malformed")]),
    ("birth_date,nationalities\r\n1,2\r\n3,4\r\n5,6\r\n", [("file", "csv_too_many_rows")]),
], ids=["empty", "header only", "blank rows only", "unknown heading", "missing heading",
        "nothing known", "unclosed quote", "too many rows"])
def test_read_rows_refusals(text, errors):
    with pytest.raises(ValidationFailed) as exc:
        read_rows(text, 2)
    assert exc.value.errors == errors


def test_read_rows_at_the_row_limit():
    assert [n for n, _ in read_rows("birth_date,nationalities\r\n1,2\r\n\r\n3,4\r\n", 2)] == [2, 4]


CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=8).map(str.strip)


@st.composite
def csv_files(draw):
    """A header of known columns (the required ones among them) under any accepted
    heading, and rows of cells (some blank, some with commas, quotes or line breaks)."""
    optional = draw(st.lists(st.sampled_from([c for c in COLUMNS if c not in REQUIRED]),
                             unique=True))
    columns = draw(st.permutations([*REQUIRED, *optional]))
    header = [draw(st.sampled_from(COLUMNS[c]).map(draw(st.sampled_from(
        [str, str.upper, str.title])))) for c in columns]
    blank = st.just([""] * len(columns))
    rows = draw(st.lists(st.one_of(blank, st.lists(CELL, min_size=len(columns),
                                                   max_size=len(columns))), max_size=8))
    return columns, header, rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_rows_written_by_csv_writer_read_back_with_their_row_numbers(file):
    """The number is the row as a spreadsheet shows it (the header is row 1): a cell with
    a line break stays one row."""
    columns, header, rows = file
    text = csv_text([header, *rows])
    want = [(n, dict(zip(columns, row, strict=True)))
            for n, row in enumerate(rows, start=2) if any(row)]
    if not want:
        with pytest.raises(ValidationFailed) as exc:
            read_rows(text, len(rows) + 1)
        assert exc.value.errors == [("file", "csv_empty")]
        return
    assert read_rows(text, len(want)) == want
    with pytest.raises(ValidationFailed) as exc:
        read_rows(text, len(want) - 1)
    assert exc.value.errors == [("file", "csv_too_many_rows")]

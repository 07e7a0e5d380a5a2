"""Personal data is never stored in clear.

People are created (and one updated and searched for) through the registry service and
the HTTP API; then the stored bytes are searched for every written form of their names
and birth dates:

- on SQLite, the raw bytes of the database files (main, `-wal`, `-shm`);
- on PostgreSQL, every row of every table cast to text (`row::text ILIKE ...`).

A positive control proves each scan does see text that is stored in clear: an
organisation's names are found by the very same scan.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import jaconv
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from hozen.accounts.permissions import Role
from hozen.registry import services as registry
from hozen.registry.schemas import PersonCreate, PersonUpdate
from hozen.text import date_forms, normalize, parse_date, to_katakana
from tests.factories import SYSTEM, corporate_number, make_org, make_user

# As typed: kana in hiragana, half-width and katakana; Latin in full width and mixed
# case; birth dates in ISO, era, compact and short era forms.
BY_SERVICE = [
    {"family_name_kanji": "桜庭", "given_name_kanji": "理香子",
     "family_name_kana": "さくらば", "given_name_kana": "りかこ",
     "family_name_latin": "Sakuraba", "given_name_latin": "Rikako",
     "birth_date": "1987-06-21", "department": "量子暗号研究部"},
    {"family_name_kanji": "東雲", "given_name_kanji": "翔太郎",
     "family_name_kana": "ｼﾉﾉﾒ", "given_name_kana": "ｼｮｳﾀﾛｳ",
     "family_name_latin": "ＳＨＩＮＯＮＯＭＥ", "given_name_latin": "shotaro",
     "birth_date": "昭和62年3月14日"},
    {"family_name_latin": "Okonkwo-Reyes", "given_name_latin": "Chidinma",
     "family_name_kana": "オコンクォレイエス", "given_name_kana": "チディンマ",
     "birth_date": "19760102", "nationalities": ["NGA"]},
]
BY_API = {"family_name_kanji": "御手洗", "given_name_kanji": "潤一郎",
          "family_name_kana": "ミタライ", "given_name_kana": "じゅんいちろう",
          "family_name_latin": "Mitarai", "given_name_latin": "Junichiro",
          "birth_date": "H2.5.3", "nationalities": ["JPN"]}
# The first person is renamed and re-dated afterwards: the old and new values are both
# personal data that must not be left in clear.
UPDATE = {"family_name_kanji": "鷹司", "family_name_kana": "たかつかさ",
          "family_name_latin": "Takatsukasa", "birth_date": "1987-06-22"}

CONTROL_JA = "白鷺精密工業株式会社"
CONTROL_EN = "Shirasagi Precision Works"

PAIRS = [("family_name_kanji", "given_name_kanji"), ("family_name_kana", "given_name_kana"),
         ("family_name_latin", "given_name_latin")]


def _forms(value: str) -> set[str]:
    """The value as typed, NFKC, and for kana: hiragana, katakana and half-width."""
    nfkc = normalize(value)
    forms = {value, nfkc}
    if any("\u3040" <= ch <= "\u30ff" or "\uff65" <= ch <= "\uff9f" for ch in value):
        kata = to_katakana(value)
        forms |= {kata, jaconv.kata2hira(kata),
                  jaconv.z2h(kata, kana=True, ascii=False, digit=False)}
    return forms | {f.upper() for f in forms} | {f.lower() for f in forms}


def name_needles(person: dict) -> set[str]:
    needles: set[str] = set()
    for fam_key, giv_key in PAIRS:
        fam, giv = person.get(fam_key), person.get(giv_key)
        for part in (fam, giv):
            if part:
                needles |= _forms(part)
        if fam and giv:
            for f in _forms(fam):
                for g in _forms(giv):
                    for sep in ("", " ", "　"):
                        needles |= {f + sep + g, g + sep + f}
    return needles


def date_needles(raw: str) -> set[str]:
    return set(date_forms(parse_date(raw))) | {raw}


def all_needles() -> dict[str, str]:
    """needle -> what it is (for the failure message)."""
    out: dict[str, str] = {}
    renamed = BY_SERVICE[0] | UPDATE
    for person in [*BY_SERVICE, BY_API, renamed]:
        who = f"{person.get('family_name_latin')}"
        for n in name_needles(person):
            out[n] = f"name of {who}"
        out |= {n: f"birth date of {who}" for n in date_needles(person["birth_date"])}
    out["量子暗号研究部"] = "department of Sakuraba"
    # Every needle is long enough (6+ bytes) that random ciphertext cannot contain it
    # by chance, so a hit means clear text.
    short = [n for n in out if len(n.encode()) < 6]
    assert not short, short
    return out


def create_people(session, client) -> None:
    org = make_org(session, name_ja=CONTROL_JA, name_en=CONTROL_EN,
                   corporate_number=corporate_number())
    officer = make_user(session, Role.WINDOW_OFFICER, org.id)
    people = [registry.create_person(
        session, PersonCreate(**({"nationalities": ["JPN"], "employer_id": org.id} | p)),
        actor=SYSTEM) for p in BY_SERVICE]
    session.commit()

    r = client.post("/api/v1/people", json=BY_API, headers=officer.headers)
    assert r.status_code == 201, r.text
    assert r.json()["birth_date"] == "1990-05-03"
    assert r.json()["given_name_kana"] == "ジュンイチロウ"
    api_id = r.json()["id"]
    # Searches by name and by birth date leave no clear text behind either.
    for params in ({"q": "みたらい じゅんいちろう"}, {"birth_date": "平成2年5月3日"}):
        r = client.get("/api/v1/people", params=params, headers=officer.headers)
        assert r.status_code == 200, r.text
        assert [p["id"] for p in r.json()["items"]] == [api_id]

    updated = registry.update_person(session, people[0].id, PersonUpdate(**UPDATE),
                                     actor=SYSTEM)
    session.commit()
    assert updated.family_name_kana == "タカツカサ"
    assert updated.birth_date == date(1987, 6, 22)


# --- SQLite: raw bytes of the files ------------------------------------------------


def sqlite_bytes(engine) -> dict[str, bytes]:
    main = Path(engine.url.database)
    files = {p.name: data for p, data in read_apart(
        [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-shm")) if p.exists()]).items()}
    assert main.name in files
    return files


_READ = ("import pickle, sys; pickle.dump({p: open(p, 'rb').read() for p in sys.argv[1:]}, "
         "sys.stdout.buffer)")


def read_apart(paths: list[Path]) -> dict[Path, bytes]:
    """Files' bytes, read by a process of its own. Closing any descriptor of a database,
    its -wal or its -shm in this process drops every POSIX lock this process's SQLite
    connections hold on that file: the next process to open the database then takes the
    -shm for stale and rebuilds it under them (lost writes, a malformed file, SIGBUS)."""
    done = subprocess.run([sys.executable, "-c", _READ, *map(str, paths)],
                          capture_output=True, check=True)
    return {Path(k): v for k, v in pickle.loads(done.stdout).items()}


def sqlite_hits(files: dict[str, bytes], needle: str) -> list[str]:
    """Files holding the needle, UTF-8, ignoring ASCII case."""
    n = needle.encode().lower()
    return [name for name, data in files.items() if n in data.lower()]


# --- PostgreSQL: every row of every table as text ----------------------------------


def _like(needle: str) -> str:
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _bytea_escape(needle: str) -> str:
    """The needle's UTF-8 bytes as `encode(bytea, 'escape')` writes them."""
    return "".join(f"\\{b:03o}" if b == 0 or b >= 0x80 else "\\\\" if b == 0x5C else chr(b)
                   for b in needle.encode())


def pg_tables(conn) -> dict[str, list[str]]:
    """Every table of the schema, with its bytea columns."""
    tables: dict[str, list[str]] = {}
    for table, column, kind in conn.execute(text(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'")):
        tables.setdefault(table, [])
        if kind == "bytea":
            tables[table].append(column)
    return tables


def pg_hits(conn, tables: dict[str, list[str]], needles: list[str]) -> dict[str, list[str]]:
    """needle -> tables with a row whose text form contains it (any case). A row cast to
    text shows bytea as hex, so bytea columns are searched for the needle's UTF-8 bytes
    too (through their `escape` encoding)."""
    found: dict[str, list[str]] = {}
    for table, byteas in tables.items():
        conds = ["r::text ILIKE p.t"] + [f"encode(r.\"{c}\", 'escape') ILIKE p.b"
                                         for c in byteas]
        stmt = text(f"SELECT p.i FROM unnest(:t, :b) WITH ORDINALITY AS p(t, b, i) "
                    f"WHERE EXISTS (SELECT 1 FROM \"{table}\" AS r WHERE {' OR '.join(conds)})"
                    ).bindparams(bindparam("t", type_=ARRAY(Text)),
                                 bindparam("b", type_=ARRAY(Text)))
        rows = conn.execute(stmt, {"t": [_like(n) for n in needles],
                                   "b": [_like(_bytea_escape(n)) for n in needles]})
        for i in rows.scalars():
            found.setdefault(needles[i - 1], []).append(table)
    return found


# --- the test ----------------------------------------------------------------------


def scan(engine, needles: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """needle -> (what it is, where it was found), for the needles found."""
    if engine.dialect.name == "sqlite":
        files = sqlite_bytes(engine)
        return {n: (what, hits) for n, what in needles.items()
                if (hits := sqlite_hits(files, n))}
    with engine.connect() as conn:
        found = pg_hits(conn, pg_tables(conn), list(needles))
    return {n: (needles[n], where) for n, where in found.items()}


def test_no_names_or_birth_dates_in_clear(session, client, engine):
    needles = all_needles()
    assert len(needles) > 300  # every script, case, spacing and order, and date form
    # Before anyone is stored none of them is there (reference data such as country
    # names must not contain a test name, or a hit below would prove nothing).
    assert scan(engine, needles) == {}

    create_people(session, client)

    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            # Text is stored as UTF-8, so scanning UTF-8 bytes is complete.
            assert conn.exec_driver_sql("PRAGMA encoding").scalar() == "UTF-8"
        files = sqlite_bytes(engine)
        # Positive control: text stored in clear is found by this very scan.
        assert sqlite_hits(files, CONTROL_JA)
        assert sqlite_hits(files, CONTROL_EN.upper())
    else:
        with engine.connect() as conn:
            tables = pg_tables(conn)
            assert {"person", "organisation", "audit_event"} <= set(tables)
            assert "pii" in tables["person"]
            control = pg_hits(conn, tables, [CONTROL_JA, CONTROL_EN.upper()])
            assert "organisation" in control.get(CONTROL_JA, [])
            assert "organisation" in control.get(CONTROL_EN.upper(), [])

    assert scan(engine, needles) == {}

"""Migrations build exactly the schema the models describe, and re-running is harmless."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from hozen.db import Base, import_all_models, upgrade
from hozen.registry.models import Country


def test_schema_matches_models(engine):
    import_all_models()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_on_existing_database(engine, database_url):
    upgrade(database_url)  # already at head: no error, nothing duplicated
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Country)) == 249
        assert "alembic_version" in inspect(conn).get_table_names()


def test_countries_have_japanese_names(session):
    jpn = session.get(Country, "JPN")
    usa = session.get(Country, "USA")
    assert (jpn.name_ja, jpn.name_en, jpn.alpha_2) == ("日本", "Japan", "JP")
    assert usa.name_ja == "米国"


def test_constraint_names_are_stable(engine):
    with engine.connect() as conn:
        fks = {fk["name"] for fk in inspect(conn).get_foreign_keys("person")}
    assert "fk_person_employer_id_organisation" in fks


def test_hex_search_tokens_become_binary_and_still_find_people(tmp_path):
    """0020 turns the 64-hex tokens of an existing register into 16-byte ones: a person
    registered before the upgrade is still found by name and birth date after it."""
    import hashlib
    import hmac
    from datetime import date

    from alembic import command
    from sqlalchemy import text

    from hozen.accounts.actor import Actor
    from hozen.crypto import get_keyring
    from hozen.db import alembic_config, get_engine_for_url, session_factory
    from hozen.registry import rules
    from hozen.registry.search import list_people
    from hozen.registry.services import seal
    from tests.conftest import scratch_url

    url = scratch_url(tmp_path, "tokens")
    command.upgrade(alembic_config(url), "0019")
    ring = get_keyring()
    data, errors = rules.normalise_person({"family_name_kanji": "山田", "given_name_kanji": "花子",
                                           "birth_date": "1980-04-01"}, date(2026, 11, 27))
    assert not errors

    def old(domain: str, value: str) -> str:  # the 64-hex form before 0020
        return hmac.new(ring.current.idx, domain.encode() + b"\x00" + value.encode(),
                        hashlib.sha256).hexdigest()

    engine = get_engine_for_url(url)
    with engine.begin() as conn:
        pid = "01900000-0000-7000-8000-000000000001"
        conn.execute(text("INSERT INTO person (id, pii, created_at, updated_at, version) "
                          "VALUES (:i, :p, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"),
                     {"i": pid, "p": seal(pid, data, ring)})
        for domain, value in (("person.name", rules.search_key("山田花子")),
                              ("person.birth", "1980-04-01")):
            conn.execute(text("INSERT INTO person_search_token (person_id, token, key_id) "
                              "VALUES (:i, :t, :k)"),
                         {"i": pid, "t": old(domain, value), "k": ring.active})
    command.upgrade(alembic_config(url), "head")
    with session_factory(engine)() as s:
        by_name, _ = list_people(s, actor=Actor.system("test"), q="山田 花子")
        by_birth, _ = list_people(s, actor=Actor.system("test"), birth_date="1980-04-01")
        assert [p.id for p in by_name] == [pid] == [p.id for p in by_birth]
        assert list_people(s, actor=Actor.system("test"), q="田中")[0] == []
    engine.dispose()

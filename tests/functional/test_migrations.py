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

"""Test set-up: one database per run, SQLite by default or PostgreSQL when
HOZEN_TEST_DATABASE holds its URL (scripts/test.sh runs both)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TMP = Path(tempfile.mkdtemp(prefix="hozen-test-"))
_target = os.environ.get("HOZEN_TEST_DATABASE", "sqlite")
DATABASE_URL = f"sqlite:///{TMP}/hozen.db" if _target == "sqlite" else _target
IS_SQLITE = DATABASE_URL.startswith("sqlite")
# Under pytest-xdist each worker has a database of its own: a file of its own on SQLite,
# and on PostgreSQL a database named after the worker on the same server.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
BASE_DATABASE_URL = DATABASE_URL
if WORKER and not IS_SQLITE:
    DATABASE_URL = f"{DATABASE_URL.rsplit('/', 1)[0]}/{DATABASE_URL.rsplit('/', 1)[1]}_{WORKER}"

# Before any hozen module reads its settings.
os.environ.update(
    HOZEN_ENV="development",
    HOZEN_DATABASE_URL=DATABASE_URL,
    HOZEN_KEY_FILE=str(TMP / "hozen.key"),
    HOZEN_CHECKPOINT_KEY_FILE=str(TMP / "keys" / "audit-checkpoint.key"),
)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def pytest_report_header(config):
    return f"hozen database: {'sqlite' if IS_SQLITE else 'postgresql'} ({TMP})"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": CHROMIUM_ARGS}


def _create_database(server_url: str, name: str) -> None:
    """CREATE DATABASE `name` on the server of `server_url`, unless it exists."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def scratch_url(tmp_path: Path, name: str) -> str:
    """An empty database of its own beside the test database (a file on SQLite, a
    database on the same PostgreSQL server), for tests that need a second one."""
    from sqlalchemy import text

    from hozen.db import get_engine_for_url

    if IS_SQLITE:
        return f"sqlite:///{tmp_path}/{name}.db"
    url = f"{DATABASE_URL}_{name}"
    _create_database(BASE_DATABASE_URL, url.rsplit("/", 1)[1])
    with get_engine_for_url(url).begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return url


@pytest.fixture(scope="session")
def database_url() -> str:
    from sqlalchemy import text

    from hozen.db import get_engine_for_url, upgrade

    if DATABASE_URL != BASE_DATABASE_URL:
        _create_database(BASE_DATABASE_URL, DATABASE_URL.rsplit("/", 1)[1])
    if not IS_SQLITE:
        with get_engine_for_url(DATABASE_URL).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(DATABASE_URL)
    return DATABASE_URL


@pytest.fixture(scope="session")
def engine(database_url):
    from hozen.db import get_engine_for_url

    return get_engine_for_url(database_url)


def wipe(engine) -> None:
    """Empty every table but the reference countries (the audit log included), and load
    the shipped agreements afresh."""
    from sqlalchemy import text

    from hozen.db import Base, import_all_models, session_factory
    from hozen.reciprocity.services import sync_agreements

    import_all_models()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "country"]
    with engine.begin() as conn:
        if IS_SQLITE:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text(
                "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"))
        else:  # the log refuses TRUNCATE too: lift that for this transaction only
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
    with session_factory(engine)() as session:  # reference data that the suite may edit
        sync_agreements(session)
        session.commit()


@pytest.fixture
def clean(engine):
    wipe(engine)
    yield engine


@pytest.fixture
def session(clean):
    """A session whose changes the test commits itself (services never commit)."""
    from hozen.db import session_factory

    s = session_factory(clean)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def key_file(tmp_path):
    """A key file of the test's own (the suite's shared one is left alone): for tests
    that rotate keys."""
    from hozen.config import get_settings
    from hozen.crypto import create_key_file

    path = tmp_path / "keys" / "hozen.key"
    before = os.environ["HOZEN_KEY_FILE"]
    os.environ["HOZEN_KEY_FILE"] = str(path)
    get_settings.cache_clear()
    create_key_file(path)
    yield path
    os.environ["HOZEN_KEY_FILE"] = before
    get_settings.cache_clear()


@pytest.fixture
def app(clean):
    from hozen.app import create_app

    return create_app()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def web(app) -> Iterator:
    """web(login) -> a fresh browser signed in through the real sign-in form; its posts
    carry the session's CSRF token. A server error is answered as a 500 page, not raised,
    so a test sees what a user would."""
    import re
    from contextlib import ExitStack

    from fastapi.testclient import TestClient

    from tests.authenticator import sign_in as mfa_sign_in
    from tests.factories import PASSWORD
    from tests.pages import Web

    with ExitStack() as stack:
        def sign_in(login) -> Web:
            c = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            c.cookies.set("hozen_lang", "en")
            # with the code step, or the enrolment its role needs (tests/authenticator.py)
            r = mfa_sign_in(c, login.username, PASSWORD, "/")
            assert "hozen_session" in r.cookies, r.text[:300]
            token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/inbox").text)[1]
            return Web(c, token)

        yield sign_in

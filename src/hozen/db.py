"""Engine, declarative base, unit of work and migrations."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from hozen.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, refuses naive input (no local-time guessing)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A UUIDv7 string: time-ordered (cursor pagination by id) and not guessable."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def split_list(value: str | None) -> list[str]:
    """The values of a comma-joined column (how small sets are stored), in stored order."""
    return [v for v in (value or "").split(",") if v]


def split_set(value: str | None) -> frozenset[str]:
    """The values of a comma-joined column as a set."""
    return frozenset(split_list(value))


def is_id(value: str | None) -> bool:
    """Could this be one of our ids? Anything else is simply not found (and a NUL never
    reaches PostgreSQL, which refuses it in text)."""
    return bool(value) and len(value) <= 36 and "\x00" not in value


def get_by_id(session: Session, model, value: str | None, *, for_update: bool = False):
    """The row with this id, or None; a value that cannot be an id never reaches SQL."""
    return session.get(model, value, with_for_update=for_update) if is_id(value) else None


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # IMMEDIATE takes the write lock up front, so a read-then-write transaction
        # cannot fail later on a stale snapshot (SQLITE_BUSY_SNAPSHOT).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _sqlite_pragmas(engine)
        return engine
    settings = get_settings()
    engine = create_engine(url, pool_size=settings.db_pool_size,
                           max_overflow=settings.db_max_overflow)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: Engine, clock=time.monotonic) -> None:
    """Test a pooled connection before use only if it sat idle for a second or more (a
    server restart, an idle timeout or a dropped link); one in steady use has just proved
    itself. SQLAlchemy's pre-ping costs a round trip on every checkout, and every request
    and every group of access checks checks one out. A broken connection is replaced
    before use, and every connection pooled before it is retired too, as the pre-ping
    does (InvalidatePoolError: after a failover none of them can be trusted)."""
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record) -> None:
        record.info["idle_since"] = clock()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or clock() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise InvalidatePoolError("the pooled connection is gone") from exc
        if not alive:
            raise InvalidatePoolError("the pooled connection is gone")


@lru_cache
def _engine_for(url: str, pid: int) -> Engine:
    return make_engine(url)


def get_engine(settings: Settings | None = None) -> Engine:
    return get_engine_for_url((settings or get_settings()).database_url)


def get_engine_for_url(url: str) -> Engine:
    """One engine per URL per process (a forked worker builds its own pool)."""
    return _engine_for(url, os.getpid())


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session maker of an engine, made once (making one costs ~0.1 ms), kept on the
    engine itself so that it goes when the engine does."""
    made = getattr(engine, "_hozen_sessionmaker", None)
    if made is None:
        import hozen.access.cache  # noqa: F401  (its hooks move the decision epochs)

        made = sessionmaker(engine, expire_on_commit=False, autoflush=True)
        engine._hozen_sessionmaker = made
    return made


def core(session: Session, statement, params: dict | None = None):
    """Run a Core statement (not an ORM one: rows, not entities) on the session's own
    connection and transaction, skipping the ORM's execution layer: for the few reads
    every request makes (decision epochs, the audit chain's head). Pending changes are
    flushed first when the session autoflushes, as before an ORM query, so that what the
    statement reads includes them (and the epochs they move)."""
    return flushed_connection(session).execute(statement, params)


def flushed_connection(session: Session):
    """The session's own connection, pending changes flushed first when the session
    autoflushes (as before an ORM query)."""
    if session.autoflush:
        session.flush()
    return session.connection()


@contextmanager
def report_reader(session: Session) -> Iterator[Session]:
    """The session reports read through: one on HOZEN_REPORTS_DATABASE_URL (a streaming
    replica of the primary) when that is set, else the caller's own. Reports write
    nothing; the replica's session is rolled back and closed after."""
    url = get_settings().reports_database_url
    if not url:
        yield session
        return
    replica = session_factory(get_engine_for_url(url))()
    try:
        yield replica
    finally:
        replica.rollback()
        replica.close()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits when the block ends cleanly, rolls back otherwise."""
    session = session_factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Run migrations, then sync reference data (countries) that follows its package."""
    from alembic import command

    from hozen.reciprocity.services import sync_agreements
    from hozen.registry.services import sync_countries

    engine = get_engine_for_url(url)
    cfg = alembic_config(url)
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        connection.commit()
    with unit_of_work(engine) as session:
        sync_countries(session)
        sync_agreements(session)


def check_in(column: str, values) -> str:
    """The SQL of a CHECK constraint: `column` holds one of `values`."""
    return f"{column} IN ('" + "','".join(str(v) for v in values) + "')"


def import_all_models() -> None:
    """Import every area's models so Base.metadata is complete (Alembic, tests)."""
    from hozen.access import models as _x  # noqa: F401
    from hozen.accounts import models as _a  # noqa: F401
    from hozen.audit import models as _u  # noqa: F401
    from hozen.clearances import models as _c  # noqa: F401
    from hozen.designations import models as _d  # noqa: F401
    from hozen.facilities import models as _f  # noqa: F401
    from hozen.notifications import models as _n  # noqa: F401
    from hozen.notifications import notice_models as _nm  # noqa: F401
    from hozen.reciprocity import models as _p  # noqa: F401
    from hozen.registry import models as _r  # noqa: F401
    from hozen.reports import models as _rp  # noqa: F401
    from hozen.sharing import intel_models as _ti  # noqa: F401
    from hozen.sharing import models as _sc  # noqa: F401

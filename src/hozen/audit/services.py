"""Writing and verifying the audit log. Services call `record`; the event is appended to
the chain in the same transaction, just before it commits, under a chain lock."""

from __future__ import annotations

import contextvars
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hozen.audit.models import AuditCheckpoint, AuditEvent
from hozen.audit.rules import (
    GENESIS,
    Anchor,
    Verdict,
    canonical_json,
    check_anchor,
    checkpoint_message,
    event_hash,
    verify_chain,
)
from hozen.db import core, flushed_connection

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "hozen_request_id", default=None
)
_PENDING = "hozen_audit_pending"
CHAIN_LOCK_KEY = 0x686F7A656E  # "hozen": the PostgreSQL advisory lock guarding the chain head


def record(
    session: Session,
    *,
    actor: str,
    tag: str,
    subject_type: str,
    subject_id: str | None = None,
    details: dict | None = None,
) -> None:
    """Queue an audit event; it is chained and written when the transaction commits."""
    # The event belongs to the innermost transaction open now (beginning one if none is,
    # so that a rollback or close before any SQL has run still discards it).
    owner = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((owner, new_event(
        actor=actor, tag=tag, subject_type=subject_type, subject_id=subject_id,
        details=details)))


def new_event(*, actor: str, tag: str, subject_type: str, subject_id: str | None = None,
              details: dict | None = None) -> dict:
    """An event's own fields, before it is chained (the request's id taken now)."""
    return {"actor": actor, "tag": tag, "subject_type": subject_type,
            "subject_id": subject_id, "request_id": request_id_var.get(),
            "details": canonical_json(details or {})}


def chained(seq: int, prev: str, events: list[dict]) -> list[dict]:
    """The rows of these events appended after the link (seq, prev): numbered, timed and
    hashed, each on the one before."""
    rows = []
    for item in events:
        seq += 1
        row = {**item, "seq": seq, "at": _now_text(), "prev_hash": prev}
        row["hash"] = prev = event_hash(row)
        rows.append(row)
    return rows


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Built once: each commit that records events reads the head.
_HEAD = select(AuditEvent.__table__.c.seq, AuditEvent.__table__.c.hash).order_by(
    AuditEvent.__table__.c.seq.desc()).limit(1)


# The same statements for psycopg itself (the chain lock's; the head's; a row's insert).
LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
HEAD_SQL = str(_HEAD.compile(dialect=postgresql.dialect(),
                             compile_kwargs={"literal_binds": True}))
_INSERT = AuditEvent.__table__.insert()
INSERT_SQL = str(_INSERT.compile(dialect=postgresql.dialect()))


def head(session: Session) -> tuple[int, str]:
    row = core(session, _HEAD).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def locked_head(session: Session) -> tuple[int, str]:
    """Take the chain lock (held to the end of the transaction), then read the head.
    PostgreSQL: both in one round trip, as a pipeline, which runs the head's statement
    only once the lock's has finished, so its snapshot holds every link committed before
    the lock was granted. SQLite: every transaction began IMMEDIATE and already holds
    the database's write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return head(session)
    with _driver(session, HEAD_SQL) as raw:
        return _lock_and_read_head(raw)


def _lock_and_read_head(raw: psycopg.Connection) -> tuple[int, str]:
    with raw.pipeline():
        raw.execute(LOCK_SQL, (CHAIN_LOCK_KEY,))
        cursor = raw.execute(HEAD_SQL)
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


@contextmanager
def _driver(session: Session, statement: str) -> Iterator[psycopg.Connection]:
    """The session's own psycopg connection (what is pending flushed first: it moves its
    epochs), its errors raised as SQLAlchemy would raise them, the link checked."""
    connection = flushed_connection(session)
    raw = connection.connection.driver_connection
    try:
        yield raw
    except psycopg.Error as err:
        if raw.closed or raw.broken:
            connection.invalidate(err)
        raise DBAPIError.instance(statement, None, err, psycopg.Error) from err


def _append_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    append(session, [item for _owner, item in pending])


def append(session: Session, events: list[dict]) -> None:
    """Chain these events (new_event) and write them now, under the chain lock. Core, not
    the unit of work: the rows are final, and no listener is concerned with them (audit
    events never move a decision epoch: hozen.access.cache.UNRELATED). On PostgreSQL
    through psycopg itself, as the lock and head are: every audited request appends."""
    if not events:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.connection().execute(_INSERT, chained(*head(session), events))
        return
    with _driver(session, INSERT_SQL) as raw:
        raw.cursor().executemany(INSERT_SQL, chained(*_lock_and_read_head(raw), events))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _append_pending(session)


def _within(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction) -> None:
    """Drop the events of what was rolled back (for a savepoint: only its own)."""
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(o, e) for o, e in pending if not _within(o, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost ended: committed, rolled back or closed
        session.info.pop(_PENDING, None)


def list_events(session: Session, *, actor, after: int = 0, cursor: str | None = None,
                limit: int = 50) -> tuple[list[dict], str | None]:
    """A page of the events after a sequence number, in the chain's order, for auditors
    (personal data is never in them), and the cursor of the next page."""
    from hozen.accounts.permissions import Permission
    from hozen.paging import page

    actor.require(Permission.AUDIT_EVENT_READ)
    rows, nxt = page(session, select(AuditEvent).where(AuditEvent.seq > after),
                     [AuditEvent.seq], cursor=cursor, limit=limit)
    return [{c.name: getattr(r, c.name) for c in AuditEvent.__table__.columns}
            for r in rows], nxt


def iter_rows(session: Session, batch: int = 5000) -> Iterator[dict]:
    """The stored chain in seq order, as plain dicts, in batches (keyset pagination)."""
    cols = [c for c in AuditEvent.__table__.columns]
    last = None
    while True:
        q = select(*cols).order_by(AuditEvent.seq).limit(batch)
        if last is not None:
            q = q.where(AuditEvent.seq > last)
        rows = session.execute(q).mappings().all()
        if not rows:
            return
        for r in rows:
            yield dict(r)
        last = rows[-1]["seq"]


@dataclass(frozen=True)
class VerifyReport:
    chain: Verdict
    anchors_checked: int
    anchor_errors: list[str]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.anchor_errors


def verify(
    session: Session,
    *,
    trusted_keys: set[str],
    extra_anchors: list[Anchor] | None = None,
    checkpoint_log: Path | None = None,
) -> VerifyReport:
    """Verify the chain end to end, then every checkpoint (stored and logged) and anchor."""
    anchors = [
        Anchor(c.seq, c.hash, c.public_key, c.signature)
        for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))
    ]
    anchors += read_checkpoint_log(checkpoint_log) + list(extra_anchors or [])
    wanted = {a.seq for a in anchors}
    hash_at: dict[int, str] = {0: GENESIS}  # a checkpoint of the empty chain holds

    def tracked() -> Iterator[dict]:
        for row in iter_rows(session):
            if row["seq"] in wanted:
                hash_at[row["seq"]] = row["hash"]
            yield row

    verdict = verify_chain(tracked())
    errors = []
    for anchor in anchors:
        if not verdict.ok and anchor.seq > verdict.head_seq:
            errors.append(f"anchor at {anchor.seq} lies past the break at {verdict.broken_seq}")
        elif error := check_anchor(anchor, hash_at, trusted_keys):
            errors.append(error)
    return VerifyReport(verdict, len(anchors), errors)


# --- checkpoints: the signing key lives in a file, outside the database -------------


def load_or_create_signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"checkpoint key {path} is missing")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_key_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return raw.hex()


def checkpoint(session: Session, key: Ed25519PrivateKey, log: Path | None = None) -> Anchor:
    """Sign the current head; store it and append it to the log file outside the database."""
    seq, head_hash = locked_head(session)
    sig = key.sign(checkpoint_message(seq, head_hash)).hex()
    anchor = Anchor(seq, head_hash, public_key_hex(key), sig)
    session.add(AuditCheckpoint(seq=seq, hash=head_hash, signed_at=datetime.now(UTC),
                                public_key=anchor.public_key, signature=sig))
    record(session, actor="system", tag="audit:checkpoint:create", subject_type="audit_chain",
           subject_id=str(seq), details={"hash": head_hash})
    if log is not None:
        with open(log, "a") as fh:
            fh.write(json.dumps(anchor.__dict__) + "\n")
    return anchor


def read_checkpoint_log(path: Path | None) -> list[Anchor]:
    if path is None or not path.exists():
        return []
    return [Anchor(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]

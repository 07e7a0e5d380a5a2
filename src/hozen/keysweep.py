"""The data under the keys, for a key rotation (hozen.keyrotation): which columns hold
ciphertext, the batches that move them and the people's search index to a key set (each
its own transaction, in primary-key order), the sweeps made of them, and the counts and
checks of what is left. Nothing here prints or records key material or personal data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from cryptography.exceptions import InvalidTag
from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.audit.services import record
from hozen.crypto import KeyFileError, Keyring, ciphertext_header, ciphertext_key_id
from hozen.db import Base, import_all_models, unit_of_work
from hozen.registry import rules
from hozen.registry.services import search_tokens


@dataclass(frozen=True)
class Sealed:
    """A column of ciphertext bound (AES-GCM associated data) to its row's id."""

    table: str
    column: str
    kind: str | None  # associated data `hozen:<kind>:<id>`; None: no service writes it
    key: str = "id"  # the column the associated data names

    def aad(self, row_id: str) -> str:
        return f"hozen:{self.kind}:{row_id}"


PEOPLE = Sealed("person", "pii", "person")
SEALED: tuple[Sealed, ...] = (
    PEOPLE,
    Sealed("app_user", "profile", "user"),
    Sealed("clearance_case", "questionnaire", "questionnaire"),
    Sealed("finding", "content", "finding"),
    Sealed("area_decision", "reasons", "decision"),
    Sealed("reportable_event", "details", "event"),
    Sealed("complaint", "content", "complaint"),
    Sealed("correction_request", "content", "correction"),
    Sealed("mfa_credential", "secret", "mfa", key="user_id"),
    Sealed("clearance_case", "decision_reasons", None),  # reserved: must stay empty
)
# Binary columns holding no ciphertext: keyed hashes (rebuilt, or short-lived) and uploads.
NOT_SEALED = frozenset({("person_search_token", "token"), ("login_attempt", "account_key"),
                        ("login_attempt", "address_key"), ("shared_file", "content")})
BATCH = 1000


@dataclass
class Budget:
    """How many batches this run may still write (None: no limit)."""

    left: int | None = None

    def spend(self) -> bool:
        if self.left is None:
            return True
        self.left -= 1
        return self.left >= 0


class Stopped(Exception):
    """The batch budget (--max-batches) ran out with work left; running again resumes."""


def person_data(plain: bytes) -> rules.PersonData:
    """A person's decrypted record (the registry seals it as JSON)."""
    doc = json.loads(plain)
    doc["birth_date"] = date.fromisoformat(doc["birth_date"])
    return rules.PersonData(**doc)


# --- batches --------------------------------------------------------------------------


def _table(name: str) -> Table:
    import_all_models()
    return Base.metadata.tables[name]


def _pending(col, key_id: str):
    head = ciphertext_header(key_id)
    return (col.is_not(None)) & (func.substr(col, 1, len(head)) != head)


def _lacking_tokens(key_id: str):
    p, tok = _table("person"), _table("person_search_token")
    return ~exists().where(tok.c.person_id == p.c.id, tok.c.key_id == key_id)


@dataclass
class Batch:
    rows: int = 0
    tokens: int = 0
    failed: list[str] = field(default_factory=list)
    last: str | None = None


def _people_batch(session: Session, ring: Keyring, after: str, limit: int) -> Batch:
    """People under another key or lacking tokens of the target index, locked, then read
    afresh (a concurrent edit committed before the lock is what gets re-encrypted)."""
    p, tok = _table("person"), _table("person_search_token")
    target, conn, out = ring.writer.key_id, session.connection(), Batch()
    lacking = _lacking_tokens(target)
    ids = conn.execute(select(p.c.id).where(or_(_pending(p.c.pii, target), lacking),
                                            p.c.id > after)
                       .order_by(p.c.id).limit(limit).with_for_update(of=p)).scalars().all()
    if not ids:
        return out
    out.last, index = ids[-1], ring.switched()
    sealed, tokens = [], []
    for pid, blob, lacks in conn.execute(select(p.c.id, p.c.pii, lacking.label("lacks"))
                                         .where(p.c.id.in_(ids))):
        try:
            plain = ring.decrypt(blob, PEOPLE.aad(pid))
        except (InvalidTag, KeyFileError):
            out.failed.append(pid)
            continue
        if ciphertext_key_id(blob) != target:
            sealed.append({"pid": pid, "pii": ring.encrypt(plain, PEOPLE.aad(pid))})
        if lacks:
            tokens += [{"person_id": pid, "token": t, "key_id": target}
                       for t in sorted(search_tokens(person_data(plain), index))]
        out.rows += 1
    if sealed:  # one statement, many rows; updated_at kept: the record is unchanged
        conn.execute(update(p).where(p.c.id == bindparam("pid")).values(
            pii=bindparam("pii"), updated_at=p.c.updated_at), sealed)
    if tokens:
        conn.execute(insert(tok), tokens)
    out.tokens = len(tokens)
    return out


def _sealed_batch(session: Session, spec: Sealed, ring: Keyring, after: str,
                  limit: int) -> Batch:
    """Rows of one column under another key, each rewritten only if unchanged since read
    (compare and set: a concurrent write is kept, and is under the new key already)."""
    t = _table(spec.table)
    key, col, conn, out = t.c[spec.key], t.c[spec.column], session.connection(), Batch()
    rows = conn.execute(select(key, col).where(_pending(col, ring.writer.key_id), key > after)
                        .order_by(key).limit(limit)).all()
    keep = {c.name: c for c in t.c if c.onupdate is not None}
    for row_id, blob in rows:
        out.last = row_id
        try:
            if spec.kind is None:
                raise KeyFileError("no service writes this column")
            plain = ring.decrypt(blob, spec.aad(row_id))
        except (InvalidTag, KeyFileError):
            out.failed.append(row_id)
            continue
        out.rows += conn.execute(update(t).where(key == row_id, col == blob).values(
            {spec.column: ring.encrypt(plain, spec.aad(row_id)), **keep})).rowcount
    return out


def _sweep(engine: Engine, ring: Keyring, actor: Actor, budget: Budget, batch: int,
           failed: dict[str, list[str]]) -> int:
    """One pass over every sealed column from its start; the rows changed. A batch that
    finds work beyond the budget is rolled back and the run stops (Stopped)."""
    changed = 0
    for spec in SEALED:
        after, name = "", f"{spec.table}.{spec.column}"
        while True:
            with unit_of_work(engine) as session:
                b = (_people_batch(session, ring, after, batch) if spec is PEOPLE
                     else _sealed_batch(session, spec, ring, after, batch))
                if b.last is None:
                    break
                if not budget.spend():
                    raise Stopped
                if b.rows or b.failed:
                    record(session, actor=actor.audit_name, tag="keys:rotation:batch",
                           subject_type="key_set", subject_id=ring.writer.key_id,
                           details={"table": name, "rows": b.rows, "tokens": b.tokens,
                                    "failed": len(b.failed)})
            changed += b.rows
            failed.setdefault(name, []).extend(b.failed)
            after = b.last
    return changed


def sweep_until_quiet(engine: Engine, ring: Keyring, actor: Actor, budget: Budget,
                      batch: int) -> dict[str, list[str]]:
    """Sweeps until one changes nothing (a write behind the batches is caught by the next
    sweep); the rows that could not be decrypted."""
    while True:
        failed: dict[str, list[str]] = {}
        if _sweep(engine, ring, actor, budget, batch, failed) == 0:
            return {k: sorted(set(v)) for k, v in failed.items() if v}


# --- counts and verification ------------------------------------------------------------


def remaining(session: Session, key_id: str) -> dict[str, int]:
    """Rows still under another key set, per column, and people lacking tokens of the
    target index (`person.tokens`); all zero when the data is ready for `key_id` alone."""
    out = {}
    for spec in SEALED:
        t = _table(spec.table)
        out[f"{spec.table}.{spec.column}"] = session.scalar(
            select(func.count()).select_from(t).where(_pending(t.c[spec.column], key_id)))
    p = _table("person")
    out["person.tokens"] = session.scalar(
        select(func.count()).select_from(p).where(_lacking_tokens(key_id)))
    return out


def key_ids_in_use(conn: Connection) -> set[str]:
    """Every key set the data needs: those any ciphertext was made with (its header names
    it; one query per set found, and one more that finds none) and those any search
    token was made under. What a backup's manifest lists, so a restore is refused a
    keyring lacking any of them (a rotation half done leaves rows under both sets)."""
    found: set[str] = set()
    for spec in SEALED:
        col = _table(spec.table).c[spec.column]
        while (blob := conn.scalar(select(col).where(col.is_not(None), *[
                func.substr(col, 1, len(h)) != h for h in map(ciphertext_header, found)])
                .limit(1))) is not None:
            kid = ciphertext_key_id(bytes(blob))
            if not bytes(blob).startswith(ciphertext_header(kid)):  # (or it would loop)
                raise KeyFileError(f"a damaged ciphertext in {spec.table}.{spec.column}")
            found.add(kid)
    tok = _table("person_search_token")
    return found | set(conn.scalars(select(tok.c.key_id).distinct()))


def decrypts_alone(engine: Engine, ring: Keyring, batch: int) -> dict[str, int]:
    """Rows that the target set alone cannot decrypt (all zero before retiring)."""
    alone, bad = ring.only(ring.writer.key_id), {}
    for spec in SEALED:
        t, after, n = _table(spec.table), "", 0
        key, col = t.c[spec.key], t.c[spec.column]
        while True:
            with engine.connect() as conn:
                rows = conn.execute(select(key, col).where(col.is_not(None), key > after)
                                    .order_by(key).limit(batch)).all()
            for row_id, blob in rows:
                try:
                    alone.decrypt(blob, spec.aad(row_id))
                except (InvalidTag, KeyFileError):
                    n += 1
            if len(rows) < batch:
                break
            after = rows[-1][0]
        bad[f"{spec.table}.{spec.column}"] = n
    return bad


def leftover_tokens(session: Session, ring: Keyring) -> int:
    tok = _table("person_search_token")
    return session.scalar(select(func.count()).select_from(tok).where(
        tok.c.key_id != ring.active))


def token_counts(session: Session) -> dict[str, int]:
    """Search tokens per index key set."""
    tok = _table("person_search_token")
    return dict(session.execute(select(tok.c.key_id, func.count())
                                .group_by(tok.c.key_id)).all())


def delete_old_tokens(engine: Engine, ring: Keyring, batch: int) -> int:
    """The old index, deleted a batch of people at a time."""
    tok, n, after = _table("person_search_token"), 0, ""
    while True:
        with unit_of_work(engine) as session:
            conn = session.connection()
            ids = conn.execute(select(tok.c.person_id).distinct().where(
                tok.c.key_id != ring.active, tok.c.person_id > after)
                .order_by(tok.c.person_id).limit(batch)).scalars().all()
            if not ids:
                return n
            n += conn.execute(delete(tok).where(tok.c.key_id != ring.active,
                                                tok.c.person_id.in_(ids))).rowcount
            after = ids[-1]

"""Key rotation (`hozen keys rotate`): every ciphertext re-encrypted under a fresh key
set and the search index rebuilt under its index key, while the service keeps running.

The key file and the data hold all the state, so an interrupted rotation resumes by
running it again (no progress table):

1. a fresh set becomes the file's `next`: every process makes new ciphertext under it
   from its next read of the file (`get_keyring` rereads the file when it changes),
   and writes a person's search tokens under both index keys; searches still use the
   active (old) one;
2. batches, each its own transaction, in primary-key order, re-encrypt the rows whose
   ciphertext does not start with the new set's header, and give each person lacking
   them search tokens under the new index key beside the old ones (the person's row is
   locked, so a concurrent edit is never overwritten nor indexed stale);
3. after a settling time (requests begun under the old file have ended) a sweep finds
   anything written behind the batches; once a sweep finds nothing and the counts show
   every row done, the new set becomes active: searches use the new index, which holds
   every person;
4. after another settling time and sweep, every ciphertext is decrypted with the new set
   alone; only then the old sets leave the key file (a copy of the old file is kept,
   mode 0600); a last sweep, still holding the old keys in memory, takes any
   straggler, and the old index's tokens are deleted.

Every process must read the same key file (one file on a shared path, or the new file
copied to every host before step 2 — `--add-only` stops after step 1 for that). Audit
events record the start, each batch (table and counts only) and each step; nothing here
prints or records key material or personal data.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from sqlalchemy import Table, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.audit.services import record
from hozen.crypto import (
    KeyFileError,
    Keyring,
    add_next_key_set,
    ciphertext_header,
    ciphertext_key_id,
    load_keyring,
    retire_key_sets,
    switch_index,
)
from hozen.db import Base, import_all_models, unit_of_work
from hozen.errors import Forbidden
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
SWEEPS = 5  # sweeps that may each find new writes under an old key before giving up


class RotationError(RuntimeError):
    pass


@dataclass
class Budget:
    """How many batches this run may still write (None: no limit)."""

    left: int | None = None

    def spend(self) -> bool:
        if self.left is None:
            return True
        self.left -= 1
        return self.left >= 0


class _Stopped(Exception):
    """The batch budget (--max-batches) ran out with work left; running again resumes."""


@dataclass
class Outcome:
    step: str  # "stopped" | "done" | "added"
    key_id: str
    retired: list[str] = field(default_factory=list)
    tokens_deleted: int = 0
    kept: Path | None = None


# --- pure parts --------------------------------------------------------------------------


def step_of(ring: Keyring, leftover_tokens: int) -> str:
    """Where a rotation stands, from the key file and the old index's leftovers."""
    if ring.next:
        return "reencrypt"
    if len(ring.sets) > 1:
        return "retire"
    return "cleanup" if leftover_tokens else "idle"


def settle_left(changed_at: float, now: float, settle: float) -> float:
    """Seconds still to wait so that requests begun before the key file changed end."""
    return max(0.0, changed_at + settle - now)


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
    finds work beyond the budget is rolled back and the run stops (_Stopped)."""
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
                    raise _Stopped
                if b.rows or b.failed:
                    record(session, actor=actor.audit_name, tag="keys:rotation:batch",
                           subject_type="key_set", subject_id=ring.writer.key_id,
                           details={"table": name, "rows": b.rows, "tokens": b.tokens,
                                    "failed": len(b.failed)})
            changed += b.rows
            failed.setdefault(name, []).extend(b.failed)
            after = b.last
    return changed


def _sweep_until_quiet(engine, ring, actor, budget, batch) -> dict[str, list[str]]:
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


def _decrypts_alone(engine: Engine, ring: Keyring, batch: int) -> dict[str, int]:
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


def _delete_old_tokens(engine: Engine, ring: Keyring, batch: int) -> int:
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


# --- the rotation -------------------------------------------------------------------------


@contextmanager
def _exclusive(key_file: Path) -> Iterator[None]:
    """One rotation at a time per key file."""
    with open(key_file.with_name(key_file.name + ".lock"), "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError("another rotation of this key file is running") from None
        yield


def _audit(engine: Engine, actor: Actor, tag: str, key_id: str, **details) -> None:
    with unit_of_work(engine) as session:
        record(session, actor=actor.audit_name, tag=f"keys:rotation:{tag}",
               subject_type="key_set", subject_id=key_id, details=details)


def _check(counts: dict[str, int], failed: dict[str, list[str]], what: str) -> None:
    left = {k: v for k, v in counts.items() if v}
    if left or failed:
        ids = {k: v[:10] for k, v in failed.items()}
        raise RotationError(f"{what}: rows not done {left}; undecryptable row ids {ids}")


def rotate(engine: Engine, key_file: Path, *, actor: Actor, batch: int = BATCH,
           max_batches: int | None = None, settle: float = 30.0, keep: bool = True,
           add_only: bool = False, sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Start or resume the rotation of `key_file` (see the module's docstring)."""
    if not actor.is_system:
        raise Forbidden("key rotation is run by the operator's command")
    budget = Budget(max_batches)

    def settle_then_sweep(ring: Keyring) -> None:
        """Sweeps until the counts show nothing left (a sweep and the count are two
        moments: a write under an old key file in between needs one more sweep)."""
        sleep(settle_left(key_file.stat().st_mtime, time.time(), settle))
        for attempt in range(SWEEPS):
            failed = _sweep_until_quiet(engine, ring, actor, budget, batch)
            with unit_of_work(engine) as session:
                counts = remaining(session, ring.writer.key_id)
            if failed or not any(counts.values()) or attempt == SWEEPS - 1:
                _check(counts, failed, "old keys kept (is a process using an old key file?)")
                return

    with _exclusive(key_file):
        ring = load_keyring(key_file)
        with unit_of_work(engine) as session:
            step = step_of(ring, leftover_tokens(session, ring))
        if add_only and step != "idle":
            raise RotationError(f"a rotation is under way ({step}); run it without --add-only")
        if step == "idle":
            new = add_next_key_set(key_file)
            _audit(engine, actor, "start", new, retiring=[ring.active])
            ring = load_keyring(key_file)
            if add_only:
                return Outcome("added", new)
            step = "reencrypt"
        else:
            _audit(engine, actor, "resume", ring.writer.key_id, step=step)
        try:
            if step == "reencrypt":
                _sweep_until_quiet(engine, ring, actor, budget, batch)
                settle_then_sweep(ring)
                switch_index(key_file)
                _audit(engine, actor, "switch", ring.writer.key_id)
                ring, step = load_keyring(key_file), "retire"
            out = Outcome("done", ring.active)
            if step == "retire":
                settle_then_sweep(ring)
                bad = _decrypts_alone(engine, ring, batch)
                _check(bad, {}, "old keys kept")
                keep_path = key_file.with_name(
                    f"{key_file.name}.{'-'.join(ring.retiring)}.retired") if keep else None
                out.retired = retire_key_sets(key_file, keep_path)
                out.kept = keep_path
                _audit(engine, actor, "retire", ring.active, retired=out.retired,
                       kept=keep_path is not None)
            # stragglers written under the old file's keys, re-encrypted with the keys
            # this process still holds (whatever the budget), then the old index goes
            failed = _sweep_until_quiet(engine, ring, actor, Budget(), batch)
            out.tokens_deleted = _delete_old_tokens(engine, ring, batch)
        except _Stopped:
            return Outcome("stopped", ring.writer.key_id)
        with unit_of_work(engine) as session:
            _check(remaining(session, ring.active), failed, "data left under retired keys "
                   f"(add them back from {out.kept or 'the old key file'} and run again)")
        _audit(engine, actor, "complete", ring.active, retired=out.retired,
               tokens_deleted=out.tokens_deleted)
        return out


def status(session: Session, key_file: Path) -> dict:
    """Where the rotation stands: key set ids (never keys), the step, rows left."""
    ring = load_keyring(key_file)
    tok = _table("person_search_token")
    return {
        "active": ring.active, "next": ring.next, "sets": sorted(ring.sets),
        "step": step_of(ring, leftover_tokens(session, ring)),
        "remaining": remaining(session, ring.writer.key_id),
        "tokens": dict(session.execute(select(tok.c.key_id, func.count())
                                       .group_by(tok.c.key_id)).all()),
    }

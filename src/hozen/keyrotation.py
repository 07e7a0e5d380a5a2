"""Key rotation (`hozen keys rotate`): every ciphertext re-encrypted under a fresh key
set and the search index rebuilt under its index key, while the service keeps running.

The key file and the data hold all the state, so an interrupted rotation resumes by
running it again (no progress table):

1. a fresh set becomes the file's `next`: every process makes new ciphertext under it
   from its next read of the file (`get_keyring` rereads the file when it changes),
   and writes a person's search tokens under both index keys; searches still use the
   active (old) one;
2. batches (hozen.keysweep), each its own transaction, in primary-key order, re-encrypt
   the rows whose ciphertext does not start with the new set's header, and give each
   person lacking them search tokens under the new index key beside the old ones (the
   person's row is locked, so a concurrent edit is never overwritten nor indexed stale);
3. after a settling time (requests begun under the old file have ended) a sweep finds
   anything written behind the batches; once a sweep finds nothing and the counts show
   every row done, the new set becomes active: searches use the new index, which holds
   every person;
4. after another settling time and sweep, every ciphertext is decrypted with the new set
   alone; only then the old sets leave the key file (a copy of the old file is kept,
   mode 0600); a last sweep, still holding the old keys in memory, takes any
   straggler, and the old index's tokens are deleted.

Each change of the key file (steps 1, 3 and 4, and a resumption) is made in a
transaction holding the key-state lock alone (hozen.crypto.lock_key_state). A person's
write and search read the file under that lock, shared, until they commit
(`keyring_for`), so each step first waits for every one that read the file before it:
no write made with the state before `next` commits once the batches began, and no
search that chose the old index runs once the switch is made (the old index's tokens
are deleted only after). The settling time is for the other writers of sealed columns,
which read the file without the lock: the sweeps and the counts catch what they write.

Every process must read the same key file (one file on a shared path, or the new file
copied to every host before step 2 — `--add-only` stops after step 1 for that). Audit
events record the start, each batch (table and counts only) and each step; nothing here
prints or records key material or personal data.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.audit.services import record
from hozen.crypto import (
    Keyring,
    add_next_key_set,
    load_keyring,
    lock_key_state,
    retire_key_sets,
    switch_index,
)
from hozen.db import unit_of_work
from hozen.errors import Forbidden
from hozen.keysweep import (
    BATCH,
    NOT_SEALED,
    PEOPLE,
    SEALED,
    Budget,
    Sealed,
    Stopped,
    decrypts_alone,
    delete_old_tokens,
    key_ids_in_use,
    leftover_tokens,
    person_data,
    remaining,
    sweep_until_quiet,
    token_counts,
)

__all__ = ["BATCH", "NOT_SEALED", "PEOPLE", "SEALED", "SWEEPS", "Budget", "Outcome",
           "RotationError", "Sealed", "key_ids_in_use", "leftover_tokens", "person_data",
           "remaining", "rotate", "settle_left", "status", "step_of"]

log = logging.getLogger("hozen.keys")
SWEEPS = 5  # sweeps that may each find new writes under an old key before giving up


class RotationError(RuntimeError):
    pass


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


@contextmanager
def _key_step(engine: Engine, step: str) -> Iterator[Session]:
    """A transaction holding the key-state lock alone, for a change of the key file: it
    begins once every transaction that read the file under the lock has ended, and the
    change is committed before any reads the file under the lock again."""
    log.info("key rotation: %s waits for the requests that read the key file", step)
    with unit_of_work(engine) as session:
        try:
            lock_key_state(session, shared=False)
        except OperationalError:  # a lock timeout (SQLite: busy); nothing changed yet
            raise RotationError(f"{step}: a transaction holding the key state did not "
                                "end; run again") from None
        yield session


def _audit(session: Session, actor: Actor, tag: str, key_id: str, **details) -> None:
    record(session, actor=actor.audit_name, tag=f"keys:rotation:{tag}",
           subject_type="key_set", subject_id=key_id, details=details)


def _check(counts: dict[str, int], failed: dict[str, list[str]], what: str) -> None:
    left = {k: v for k, v in counts.items() if v}
    if left or failed:
        ids = {k: v[:10] for k, v in failed.items()}
        raise RotationError(f"{what}: rows not done {left}; undecryptable row ids {ids}")


def _begin(engine: Engine, key_file: Path, actor: Actor, add_only: bool) -> tuple[str, str]:
    """The step to run (a fresh set added first when idle) and the set rotated to."""
    with _key_step(engine, "start") as session:
        ring = load_keyring(key_file)
        step = step_of(ring, leftover_tokens(session, ring))
        if add_only and step != "idle":
            raise RotationError(f"a rotation is under way ({step}); run it without --add-only")
        if step != "idle":
            _audit(session, actor, "resume", ring.writer.key_id, step=step)
            return step, ring.writer.key_id
        new = add_next_key_set(key_file)
        _audit(session, actor, "start", new, retiring=[ring.active])
        return ("added" if add_only else "reencrypt"), new


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
            failed = sweep_until_quiet(engine, ring, actor, budget, batch)
            with unit_of_work(engine) as session:
                counts = remaining(session, ring.writer.key_id)
            if failed or not any(counts.values()) or attempt == SWEEPS - 1:
                _check(counts, failed, "old keys kept (is a process using an old key file?)")
                return

    with _exclusive(key_file):
        step, key_id = _begin(engine, key_file, actor, add_only)
        if step == "added":
            return Outcome("added", key_id)
        ring = load_keyring(key_file)
        try:
            if step == "reencrypt":
                sweep_until_quiet(engine, ring, actor, budget, batch)
                settle_then_sweep(ring)
                with _key_step(engine, "switch") as session:
                    switch_index(key_file)
                    _audit(session, actor, "switch", ring.writer.key_id)
                ring, step = load_keyring(key_file), "retire"
            out = Outcome("done", ring.active)
            if step == "retire":
                settle_then_sweep(ring)
                _check(decrypts_alone(engine, ring, batch), {}, "old keys kept")
                keep_path = key_file.with_name(
                    f"{key_file.name}.{'-'.join(ring.retiring)}.retired") if keep else None
                with _key_step(engine, "retire") as session:
                    out.retired = retire_key_sets(key_file, keep_path)
                    out.kept = keep_path
                    _audit(session, actor, "retire", ring.active, retired=out.retired,
                           kept=keep_path is not None)
            # stragglers written under the old file's keys, re-encrypted with the keys
            # this process still holds (whatever the budget), then the old index goes
            failed = sweep_until_quiet(engine, ring, actor, Budget(), batch)
            out.tokens_deleted = delete_old_tokens(engine, ring, batch)
        except Stopped:
            return Outcome("stopped", ring.writer.key_id)
        with unit_of_work(engine) as session:
            _check(remaining(session, ring.active), failed, "data left under retired keys "
                   f"(add them back from {out.kept or 'the old key file'} and run again)")
            _audit(session, actor, "complete", ring.active, retired=out.retired,
                   tokens_deleted=out.tokens_deleted)
        return out


def status(session: Session, key_file: Path) -> dict:
    """Where the rotation stands: key set ids (never keys), the step, rows left."""
    ring = load_keyring(key_file)
    return {
        "active": ring.active, "next": ring.next, "sets": sorted(ring.sets),
        "step": step_of(ring, leftover_tokens(session, ring)),
        "remaining": remaining(session, ring.writer.key_id),
        "tokens": token_counts(session),
    }

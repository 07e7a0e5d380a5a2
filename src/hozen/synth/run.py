"""Writing the synthetic data set: the world in one transaction, then items and people
batch by batch, each batch one transaction with one audit record (counts only, never
personal data), and a summary record at the end. People go through the bulk importer's
own writer (COPY on PostgreSQL); the other tables through COPY there too, and batched
INSERTs on SQLite."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, insert, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import User
from hozen.audit.services import record
from hozen.crypto import get_keyring
from hozen.db import Base, import_all_models, session_factory, utcnow
from hozen.errors import Conflict, ValidationFailed
from hozen.reciprocity.models import Agreement
from hozen.registry.bulk import copy_text, write_people
from hozen.registry.models import Organisation, Person
from hozen.reports.summaries import add_cases
from hozen.synth import items as item_rows
from hozen.synth import people as people_rows
from hozen.synth import world as world_rows
from hozen.synth.rows import Rows
from hozen.synth.source import PEOPLE_BLOCK

BATCH = 5_000  # people (or items) per transaction
MAX_PEOPLE = 100_000_000
MAX_ITEMS = 1_000_000_000
MAX_ORGS = 1_000_000
# processes preparing people while this one writes (leave a core to the database)
PREPARERS = max(1, min(4, (os.cpu_count() or 2) - 1))


@dataclass
class Summary:
    seed: int
    as_of: date
    batches: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict[str, int]) -> None:
        self.batches += 1
        for table, n in counts.items():
            self.counts[table] = self.counts.get(table, 0) + n


def check(people: int, orgs: int, items: int, batch: int) -> None:
    errors = [(name, "out_of_range") for name, value, low, high in (
        ("people", people, 0, MAX_PEOPLE), ("orgs", orgs, world_rows.MIN_ORGS, MAX_ORGS),
        ("items", items, 0, MAX_ITEMS), ("batch", batch, 1, MAX_PEOPLE))
        if not low <= value <= high]
    if errors:
        raise ValidationFailed(errors)


def is_empty(session: Session) -> bool:
    """No organisation, person or user yet (countries and agreements are reference data):
    generating never mixes with, or overwrites, data already there."""
    return not session.scalar(select(or_(exists(select(Organisation.id)),
                                         exists(select(Person.id)), exists(select(User.id)))))


def generate(engine: Engine, *, people: int, orgs: int, items: int, seed: int,
             actor: Actor, as_of: date | None = None, batch: int = BATCH,
             progress: Callable[[int], None] | None = None) -> Summary:
    """Generate the data set into an empty database; `progress` hears of each item and
    person written. The same seed, sizes and as_of give the same data, ids included."""
    check(people, orgs, items, batch)
    if not actor.is_system:  # a command-line tool, never a web action
        raise Conflict("only the command line generates data", field="actor")
    as_of = as_of or utcnow().date()
    import_all_models()
    make = session_factory(engine)
    with make() as s:
        if not is_empty(s):
            raise Conflict("the database already holds data; generate into an empty one",
                           field="database")
        agreements = {a.partner: (a.id, dict(a.to_hozen)) for a in s.scalars(
            select(Agreement).order_by(Agreement.partner)) if len(a.partner) == 3
            and a.in_force_from <= as_of and (a.in_force_to is None or a.in_force_to >= as_of)}
    w, rows = world_rows.build(seed, orgs, as_of, agreements)
    summary = Summary(seed, as_of)
    with make() as s, s.begin():
        if s.get_bind().dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE did this
            s.execute(text("LOCK TABLE organisation IN SHARE ROW EXCLUSIVE MODE"))
        if not is_empty(s):  # checked again under the write lock: two runs never mix
            raise Conflict("the database already holds data", field="database")
        write_rows(s, rows)
        record(s, actor=actor.audit_name, tag="synth:generate:start", subject_type="dataset",
               details={"seed": seed, "people": people, "orgs": orgs, "items": items,
                        "as_of": as_of.isoformat(), "rows": rows.counts()})
    summary.add(rows.counts())
    for chunk in item_rows.stream(seed, items, w, batch):
        n = len(chunk.table("information_item"))
        with make() as s, s.begin():
            write_rows(s, chunk)
            _batch_record(s, actor, "items", summary.batches, chunk.counts())
        summary.add(chunk.counts())
        if progress:
            progress(n)
    _people(make, seed, people, w, batch, actor, summary, progress)
    with make() as s, s.begin():
        record(s, actor=actor.audit_name, tag="synth:generate:finish", subject_type="dataset",
               details={"seed": seed, "batches": summary.batches, "rows": summary.counts})
    return summary


def _batch_record(s: Session, actor: Actor, stage: str, number: int,
                  counts: dict[str, int]) -> None:
    record(s, actor=actor.audit_name, tag="synth:generate:batch", subject_type="dataset",
           details={"stage": stage, "batch": number, "rows": counts})


def _people(make, seed: int, people: int, w, batch: int, actor: Actor, summary: Summary,
            progress: Callable[[int], None] | None) -> None:
    """Each batch in its own transaction, in order. Drawing and encrypting the people
    costs about what writing them does, so a second process prepares the next batches
    while this one writes (a thread would fight the writer for the GIL)."""
    for number, blocks in enumerate(_prepared(seed, people, batch, w),
                                    start=summary.batches):
        written, counts = _write_people_batch(make, blocks, actor, number)
        summary.add(counts)
        if progress:
            progress(written)


_world = None  # the world a preparing process draws people into


def _init_worker(w, ring) -> None:
    global _world
    _world = (w, ring)


def _prepare(seed: int, blocks: list[tuple[int, int]]) -> list[people_rows.Block]:
    w, ring = _world
    return [people_rows.block(seed, number, count, w, ring) for number, count in blocks]


def _prepared(seed: int, people: int, batch: int, w) -> Iterator[list[people_rows.Block]]:
    """The batches of people, prepared ahead in a worker process when there are several."""
    ring = get_keyring()
    batches = _batches(people, batch)
    if people <= 2 * batch:
        _init_worker(w, ring)
        yield from (_prepare(seed, blocks) for blocks in batches)
        return
    with ProcessPoolExecutor(max_workers=PREPARERS, initializer=_init_worker,
                             initargs=(w, ring)) as pool:
        ahead: deque[Future] = deque()
        for blocks in batches:
            ahead.append(pool.submit(_prepare, seed, blocks))
            if len(ahead) > PREPARERS:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _batches(people: int, batch: int) -> Iterator[list[tuple[int, int]]]:
    """(block number, people in it) grouped into batches of about `batch` people; a
    block is never split, so the data do not depend on the batch size."""
    pending: list[tuple[int, int]] = []
    size = 0
    for number in range(-(-people // PEOPLE_BLOCK)):
        count = min(PEOPLE_BLOCK, people - number * PEOPLE_BLOCK)
        pending.append((number, count))
        size += count
        if size >= batch:
            yield pending
            pending, size = [], 0
    if pending:
        yield pending


def _write_people_batch(make, blocks: list[people_rows.Block], actor: Actor,
                        number: int) -> tuple[int, dict[str, int]]:
    b = people_rows.Block()
    for block in blocks:  # one statement a table for the whole batch
        b.people += block.people
        b.nationalities += block.nationalities
        b.tokens += block.tokens
        for table, data in block.rows.tables().items():
            b.rows.extend(table, data)
    counts = {"person": len(b.people), "person_nationality": len(b.nationalities),
              "person_search_token": len(b.tokens), **b.rows.counts()}
    with make() as s, s.begin():
        write_people(s, b.people, b.nationalities, b.tokens)
        write_rows(s, b.rows)
        _batch_record(s, actor, "people", number, counts)
    return len(b.people), counts


def _table_order() -> dict[str, int]:
    return {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


def write_rows(session: Session, rows: Rows) -> None:
    """Every table of `rows`, parents first: COPY on PostgreSQL, INSERT elsewhere."""
    order = _table_order()
    postgres = session.get_bind().dialect.name == "postgresql"
    for name in sorted(rows.tables(), key=order.__getitem__):
        data = rows.table(name)
        if not data:
            continue
        if not postgres:
            session.execute(insert(Base.metadata.tables[name]), data)
            continue
        columns = list(data[0])
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(copy_text([tuple(r[c] for c in columns) for r in data]))
    if rows.table("clearance_case"):  # Core writes pass no flush hook: count them here
        add_cases(session.connection(), [r["id"] for r in rows.table("clearance_case")])

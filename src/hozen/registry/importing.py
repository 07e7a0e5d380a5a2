"""The framework of bulk imports from a legacy system's CSV files (issue 10), whatever
the file holds: streamed, checked row by row, written in batches — each batch one
transaction holding its rows, its rejected rows, the job's progress and one audit
record, so a batch is written entirely or not at all. A job is keyed by the file's
SHA-256: running the same file again resumes after its last committed batch, and a
finished file imports nothing twice.

Each kind of file is an `Importer` run by `run_import`: people in
`hozen.registry.bulk`, organisations in `hozen.registry.bulk_orgs`, clearances in
`hozen.clearances.bulk`."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.crypto import Keyring, lock_key_state
from hozen.csvio import Columns, parse_headings, row_values
from hozen.db import new_id, session_factory, utcnow
from hozen.errors import Conflict, ValidationFailed
from hozen.registry.models import ImportJob, ImportReject

BATCH = 10_000


@dataclass
class ImportResult:
    job_id: str
    rows: int  # data rows read from the file, in all runs
    imported: int
    rejected: int
    batches: int
    resumed_at_row: int  # 0: a fresh job; else rows already done before this run
    already_done: bool


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read(path: Path, columns: Columns, required: tuple[str, ...]
         ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, values by column) for each non-blank row, streamed (UTF-8)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh, strict=True)
        try:
            first = next(rows, None)
            if first is None:
                raise ValidationFailed([("file", "csv_empty")])
            header = parse_headings(first, columns, required)
            for row in rows:
                if (values := row_values(header, row)) is not None:
                    yield rows.line_num, values
        except csv.Error:
            raise ValidationFailed([("file", "csv_malformed")]) from None
        except UnicodeDecodeError:
            raise ValidationFailed([("file", "csv_encoding")]) from None


def key_state(ring: Keyring) -> tuple:
    """What of a key file decides how rows are sealed and indexed: a batch prepared
    outside any transaction under one state is made again if the state it is written
    under (hozen.crypto.keyring_for) differs."""
    return ring.active, ring.next, tuple(sorted(ring.sets))


def _job(session: Session, path: Path, digest: str, actor: Actor, batch: int,
         kind: str) -> ImportJob:
    job = session.scalar(select(ImportJob).where(ImportJob.kind == kind,
                                                 ImportJob.file_sha256 == digest))
    if job is None:
        job = ImportJob(id=new_id(), kind=kind, file_sha256=digest, file_name=path.name,
                        status="running", batch_size=batch, started_by=actor.audit_name)
        session.add(job)
        session.flush()
        record(session, actor=actor.audit_name, tag="registry:import:start",
               subject_type="import_job", subject_id=job.id,
               details={"kind": kind, "file_sha256": digest, "batch_size": batch})
    return job


Pending = list[tuple[int, dict[str, str]]]  # a batch's (line, values by column)


@dataclass(frozen=True)
class Outcome:
    """What a batch wrote: the ids it created (named in its audit record) and each
    rejected row's (line, column, code)."""

    created: list[str]
    rejects: list[tuple[int, str, str]]


@dataclass(frozen=True)
class Importer:
    """One kind of file. `load` reads what every batch needs once per run; `prepare`
    checks (and encrypts) a batch outside any transaction, while the batch before it is
    written; `write` writes it inside the batch's transaction, under the key-state lock
    (shared), beside the job's progress and the batch's audit record."""

    kind: str  # import_job.kind
    permission: Permission
    columns: Columns
    required: tuple[str, ...]
    audit_tag: str
    load: Callable[[Session], object]
    prepare: Callable[[Pending, object, date], object]
    write: Callable[[Session, object, Actor], Outcome]
    # Its batches do not read each other's rows, so on PostgreSQL two may be written at
    # once (still committed in the file's order).
    overlapping: bool = False


def run_import(engine: Engine, path: Path, importer: Importer, *, actor: Actor,
               batch: int = BATCH, progress: Callable[[int], None] | None = None,
               today: date | None = None) -> ImportResult:
    """Import (or resume importing) a file of one kind: streamed, batches written whole
    or not at all, rejected rows recorded, resumed by the file's digest."""
    actor.require(importer.permission)
    if batch < 1:
        raise ValidationFailed([("batch", "invalid")])
    digest = file_digest(path)
    make = session_factory(engine)
    with make() as s, s.begin():
        job = _job(s, path, digest, actor, batch, importer.kind)
        job_id, size, done_rows = job.id, job.batch_size, job.rows_done
        finished = job.status == "done"
        context = importer.load(s)
    if finished:
        return _result(engine, job_id, done_rows, already_done=True)
    today = today or utcnow().date()
    # A pipeline: while batches are written (the database works, psycopg waits without
    # the GIL) the next one is checked and encrypted. On PostgreSQL two batches of an
    # overlapping kind are written at once, each committing only after the one before
    # it (SQLite has one writer: one batch at a time). Batches commit in the file's
    # order; a failed one stops the run before anything after it commits.
    writers = 2 if importer.overlapping and engine.dialect.name == "postgresql" else 1
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="import") as pool:
        writing: deque[tuple[Future, int, _Turn]] = deque()
        before: _Turn | None = None
        try:
            for start, pending in _batches(read(path, importer.columns, importer.required),
                                           size, done_rows):
                prepared = importer.prepare(pending, context, today)
                while len(writing) >= writers:
                    _done(writing.popleft(), progress)
                lines = [line for line, _ in pending]
                turn = _Turn()
                writing.append((pool.submit(_commit_batch, make, job_id, start, lines,
                                            prepared, actor, importer, before, turn),
                                len(pending), turn))
                before = turn
            while writing:
                _done(writing.popleft(), progress)
        except BaseException:  # stopped or failed: no batch still in flight commits
            for _, _, turn in writing:
                turn.end(False)
            raise
    with make() as s, s.begin():
        job = s.get(ImportJob, job_id, with_for_update=True)
        job.status, job.finished_at = "done", utcnow()
        record(s, actor=actor.audit_name, tag="registry:import:finish",
               subject_type="import_job", subject_id=job.id,
               details={"kind": importer.kind, "rows": job.rows_done,
                        "imported": job.imported, "rejected": job.rejected})
    return _result(engine, job_id, done_rows, already_done=False)


def _batches(rows: Iterator[tuple[int, dict[str, str]]], size: int, skip: int
             ) -> Iterator[tuple[int, list[tuple[int, dict[str, str]]]]]:
    """(rows of the file before the batch, the batch) after the first `skip` rows."""
    pending: list[tuple[int, dict[str, str]]] = []
    seen = 0
    for row in rows:
        seen += 1
        if seen <= skip:  # committed by an earlier run
            continue
        pending.append(row)
        if len(pending) == size:
            yield seen - size, pending
            pending = []
    if pending:
        yield seen - len(pending), pending


def _done(writing: tuple[Future, int, _Turn], progress: Callable[[int], None] | None
          ) -> None:
    """A batch has committed (or raises here): counted, and the next may commit."""
    future, rows, turn = writing
    try:
        future.result()
        if progress:
            progress(rows)
    except BaseException:
        turn.end(False)
        raise
    turn.end(True)


class _Turn:
    """A batch's place in the commit order: ended when the run has seen the batch
    commit and counted it (`ok`), or failed or stopped (not `ok`: the batches after it
    roll back)."""

    def __init__(self) -> None:
        self.ended = threading.Event()
        self.locked = threading.Event()  # the batch holds the key-state lock (or ended)
        self.ok = False

    def end(self, ok: bool) -> None:
        if not self.ended.is_set():
            self.ok = ok
            self.locked.set()
            self.ended.set()


def _commit_batch(make, job_id: str, start: int, lines: list[int], prepared: object,
                  actor: Actor, importer: Importer, before: _Turn | None,
                  turn: _Turn) -> None:
    """Write one batch, the rows after the first `start` of the file, then — once the
    run has seen the batch before it commit — lock the job and commit. If another run
    of the same file has moved the job on, this run stops and its batch is rolled back
    (the batch is that run's to write), so no row is ever written twice."""
    try:
        with make() as s, s.begin():
            # The key-state lock (shared), taken in the batches' order: were a later batch
            # to hold it first, a key rotation's step queued between them would wait for
            # that batch, which waits (here, in Python, unseen by the database) for the
            # earlier one, which waits behind the step.
            if before is not None:
                before.locked.wait()
            lock_key_state(s, shared=True)
            turn.locked.set()
            out = importer.write(s, prepared, actor)
            rejects = [{"job_id": job_id, "line": line, "field": field, "code": code}
                       for line, field, code in dict.fromkeys(out.rejects)]
            if rejects:
                s.execute(insert(ImportReject.__table__), rejects)
            if before is not None:
                before.ended.wait()
                if not before.ok:
                    raise Conflict("the run stopped before this batch", field="file")
            # FOR NO KEY UPDATE: the next batch, waiting for this one, holds KEY SHARE on
            # the job (its rejects' foreign key); FOR UPDATE would deadlock against it.
            job = s.get(ImportJob, job_id, with_for_update={"key_share": True})
            if job.rows_done != start or job.status != "running":
                raise Conflict("another run is importing this file", field="file")
            _advance(s, job, lines, out, actor, importer)
    except BaseException:
        turn.end(False)  # (the run learns why from this batch's future)
        raise


def _advance(s: Session, job: ImportJob, lines: list[int], out: Outcome, actor: Actor,
             importer: Importer) -> None:
    """The job's progress and the batch's audit record, in the batch's transaction."""
    rejected = sorted({line for line, _, _ in out.rejects})
    job.rows_done += len(lines)
    job.imported += len(lines) - len(rejected)
    job.rejected += len(rejected)
    job.batches += 1
    job.updated_at = utcnow()
    record(s, actor=actor.audit_name, tag=importer.audit_tag,
           subject_type="import_job", subject_id=job.id,
           details={"batch": job.batches, "lines": [lines[0], lines[-1]],
                    "created": out.created, "rejected_lines": rejected})


def _result(engine: Engine, job_id: str, before: int, *, already_done: bool) -> ImportResult:
    with session_factory(engine)() as s:
        job = s.get(ImportJob, job_id)
        return ImportResult(job_id, job.rows_done, job.imported, job.rejected, job.batches,
                            before, already_done)


def rejects_csv(engine: Engine, job_id: str) -> str:
    """The report of rejected rows: line, column and reason, in the file's order."""
    from hozen.messages import message

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["line", "column", "code", "reason"])
    with session_factory(engine)() as s:
        for r in s.scalars(select(ImportReject).where(ImportReject.job_id == job_id)
                           .order_by(ImportReject.line, ImportReject.id)):
            w.writerow([r.line, r.field, r.code, message(r.code)])
    return out.getvalue()

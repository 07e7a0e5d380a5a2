"""The phase counts the dashboard reads (reports.models.PhaseCount), kept in step with the
cases in the same transaction: every flush that adds, changes or deletes a case or an
investigation subtracts the counts of the affected cases as they were before it and adds
them as they are after it (both read through reports.phases, the one definition of a
phase), so no write path through the ORM can forget them. Writers that insert cases in
bulk with Core call add_cases for what they wrote, or rebuild at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hozen.clearances.models import ClearanceCase, Investigation
from hozen.reports.histogram import DAY, day_of, hundredths
from hozen.reports.kept import keep
from hozen.reports.models import PhaseCount
from hozen.reports.phases import PHASE_KEYS, timed_cases
from hozen.reports.rules import month

Key = tuple[int, str, int, str, str]  # width, phase, bucket, regime, month
BATCH = 5000
_CASE_FIELDS = ("regime", "state", "created_at", "consented_at", "submitted_at",
                "decided_at", "investigation_id", "reused_investigation")
_INVESTIGATION_FIELDS = ("opened_at", "completed_on")


def keys_of(regime: str, belongs: datetime | None, phases: Mapping[str, int | None]
            ) -> list[Key]:
    """The counts one case adds: per finished phase, its hundredth and its day (none
    when it belongs nowhere: decided without a decision time)."""
    if belongs is None:
        return []
    m = month(belongs)
    out: list[Key] = []
    for phase, s in phases.items():
        if s is not None:
            h = hundredths(s)
            out += [(1, phase, h, regime, m), (DAY, phase, day_of(h), regime, m)]
    return out


def _count(rows) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for regime, belongs, *phases in rows:
        out.update(keys_of(regime, belongs, dict(zip(PHASE_KEYS, phases, strict=True))))
    return out


def counts_of_cases(conn: Connection, ids: Iterable[str]) -> Counter[Key]:
    ids = list(ids)
    out: Counter[Key] = Counter()
    for at in range(0, len(ids), BATCH):
        out.update(_count(conn.execute(timed_cases().where(
            ClearanceCase.id.in_(ids[at:at + BATCH])))))
    return out


def apply(conn: Connection, delta: Mapping[Key, int]) -> None:
    """Add `delta` to the counts (rows in key order, so concurrent writers lock alike)."""
    rows = [{"width": k[0], "phase": k[1], "bucket": k[2], "regime": k[3], "month": k[4],
             "n": n} for k, n in sorted(delta.items()) if n]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(PhaseCount.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["width", "phase", "bucket", "regime", "month"],
        set_={"n": PhaseCount.__table__.c.n + stmt.excluded.n})
    for at in range(0, len(rows), BATCH):
        conn.execute(stmt, rows[at:at + BATCH])


def add_cases(conn: Connection, ids: Iterable[str]) -> None:
    """Count cases just inserted in bulk (Core inserts pass no flush hook)."""
    apply(conn, counts_of_cases(conn, ids))


def counts_of_every_case(conn: Connection) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    result = conn.execute(timed_cases().execution_options(stream_results=True,
                                                          yield_per=20_000))
    for part in result.partitions():
        counts.update(_count(part))
    return counts


def stored_counts(conn: Connection) -> Counter[Key]:
    """The counts as kept (buckets counted down to nothing left out)."""
    p = PhaseCount
    return Counter({(w, ph, b, r, m): n for w, ph, b, r, m, n in conn.execute(
        select(p.width, p.phase, p.bucket, p.regime, p.month, p.n).where(p.n != 0))})


def rebuild(conn: Connection) -> int:
    """Every count again from every case (migration, generator, repair); rows written."""
    conn.execute(delete(PhaseCount.__table__))
    counts = counts_of_every_case(conn)
    rows = [{"width": k[0], "phase": k[1], "bucket": k[2], "regime": k[3], "month": k[4],
             "n": n} for k, n in sorted(counts.items()) if n]
    for at in range(0, len(rows), BATCH):
        conn.execute(insert(PhaseCount.__table__), rows[at:at + BATCH])
    return len(rows)


def _changed(obj, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[f].history.has_changes() for f in fields)


def _before(session: Session):
    """The counts of the cases this flush changes, as they are before it."""
    new = [o for o in session.new if isinstance(o, ClearanceCase)]
    touched = {o.id for o in session.dirty
               if isinstance(o, ClearanceCase) and _changed(o, _CASE_FIELDS)}
    touched |= {o.id for o in session.deleted if isinstance(o, ClearanceCase)}
    investigations = [o.id for o in session.dirty | session.deleted
                      if isinstance(o, Investigation) and (
                          o in session.deleted or _changed(o, _INVESTIGATION_FIELDS))]
    if not (new or touched or investigations):
        return None
    conn = session.connection()
    if investigations:
        touched |= set(conn.scalars(select(ClearanceCase.id).where(
            ClearanceCase.investigation_id.in_(investigations))))
    return counts_of_cases(conn, touched), touched, new  # the rows are still as they were


def _after(conn: Connection, state) -> None:
    before, touched, new = state
    delta = counts_of_cases(conn, touched | {o.id for o in new})
    delta.subtract(before)
    apply(conn, delta)


keep("phase_counts", _before, _after)

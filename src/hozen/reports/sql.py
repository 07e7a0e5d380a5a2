"""The reports' figures computed by the database (issue 10): whole seconds between two
instants, calendar months, and per group the count, how many are within a limit and the
values at the ranks the median and the nearest-rank 90th percentile need — by
percentile_disc on PostgreSQL and by row_number over a window on SQLite, the same ranks
as reports.rules, so either database gives the figures Python would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    case,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import expression
from sqlalchemy.sql.selectable import Subquery


class epoch(expression.FunctionElement):
    """Whole seconds since 1970 of a timestamp or date column (UTC, fraction dropped)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch"


@compiles(epoch)
def _epoch_sqlite(element, compiler, **kw) -> str:
    # the fraction cut first: SQLite would round it to milliseconds (…59.9999 → the next
    # second) where Python and PostgreSQL drop it
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%s', substr({arg}, 1, 19)) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element, compiler, **kw) -> str:
    arg = compiler.process(element.clauses, **kw)
    # date_part's double keeps microseconds exactly enough to floor (its spacing near
    # 2e9 s is 2.4e-7 s); the numeric of EXTRACT is slower
    return f"CAST(floor(date_part('epoch', CAST({arg} AS TIMESTAMP))) AS BIGINT)"


class month_of(expression.FunctionElement):
    """'YYYY-MM' of a timestamp or date column."""

    type = String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of)
def _month_sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_pg(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


def seconds(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    return epoch(end) - epoch(start)


@dataclass(frozen=True)
class Ranked:
    """One group's count, how many are at most the limit, and the values at the ranks of
    the median (lower and upper middle, equal when the count is odd) and of the 90th
    percentile (nearest rank)."""

    count: int
    within: int
    lower: int
    upper: int
    p90: int


def ranked(session: Session, src: Subquery, keys: Sequence[str], value: str, limit: int,
           *, total: str | None = None) -> dict[tuple, Ranked]:
    """Per group of `keys` of the rows of `src` (whose `value` is never NULL); with
    `total`, also the groups where that key is "all" (every value of it together)."""
    if session.get_bind().dialect.name == "postgresql":
        return _ranked_pg(session, src, keys, value, limit, total)
    if total is not None:
        src = union_all(select(*(src.c[k] for k in keys), src.c[value]), select(
            *(literal("all", String).label(k) if k == total else src.c[k] for k in keys),
            src.c[value])).subquery()
    groups = [src.c[k] for k in keys]
    v = src.c[value]
    part = dict(partition_by=groups)
    w = select(*groups, v.label("v"),
               func.row_number().over(**part, order_by=v).label("rn"),
               func.count().over(**part).label("n"),
               func.sum((v <= limit).cast(BigInteger)).over(**part).label("w")).subquery()
    n, rn = w.c.n, w.c.rn
    lower, upper, p90 = (n + 1) // 2, n // 2 + 1, (9 * n + 9) // 10  # rules.nearest_rank
    q = select(*(w.c[k] for k in keys), n, w.c.w, rn, w.c.v, lower, upper, p90).where(
        or_(rn == lower, rn == upper, rn == p90))
    at: dict[tuple, dict] = {}
    for row in session.execute(q):
        key = tuple(row[:len(keys)])
        count, within, rank, val, lo, hi, p = row[len(keys):]
        got = at.setdefault(key, {"count": count, "within": within})
        for name, r in (("lower", lo), ("upper", hi), ("p90", p)):
            if rank == r:
                got[name] = val
    return {k: Ranked(**v) for k, v in at.items()}


# The ranks (n + 1) // 2, n // 2 + 1 and ceil(0.9 n) as percentile_disc's fractions, all
# from one sort: ceil((0.5 + 1e-9) n) is n // 2 + 1 for every n below 500 million.
_FRACTIONS = (0.5, 0.5 + 1e-9, 0.9)


def _ranked_pg(session: Session, src: Subquery, keys: Sequence[str], value: str,
               limit: int, total: str | None) -> dict[tuple, Ranked]:
    session.execute(text("SET LOCAL work_mem = '128MB'"))  # sorts in memory, not on disk
    groups = [src.c[k] for k in keys]
    v = src.c[value]
    shown = [case((func.grouping(g) == 1, literal("all", String)), else_=g)
             if k == total else g for k, g in zip(keys, groups, strict=True)]
    by = groups if total is None else [func.grouping_sets(
        tuple_(*groups), tuple_(*(g for k, g in zip(keys, groups, strict=True)
                                  if k != total)))]
    q = select(*shown, func.count(), func.count().filter(v <= limit),
               func.percentile_disc(array(_FRACTIONS)).within_group(v)).group_by(*by)
    k = len(keys)
    return {tuple(row[:k]): Ranked(*row[k:k + 2], *row[k + 2])
            for row in session.execute(q) if row[k]}  # (a total of no rows has none)

"""The timeliness report's figures per phase read from the phase counts (reports.summaries)
instead of every case: in one query per grouping, the database finds from the day counts
of the chosen regime and year the days the median, the 90th percentile and the target
fall in (as histogram.days_needed finds them) and returns their counts and hundredths,
and the other days' counts summed — a few rows a group at any number of cases, and the
same figures as reports.phases.phase_stats_of_cases."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from hozen.reports.histogram import DAY, summary_of
from hozen.reports.models import PhaseCount
from hozen.reports.rules import Summary

Counts = dict[tuple, Counter[int]]


def _scope(regime: str | None, year: int | None) -> list[ColumnElement]:
    p = PhaseCount
    where = []
    if year is not None:
        where += [p.month >= f"{year:04d}-01", p.month <= f"{year:04d}-12"]
    if regime:
        where.append(p.regime == regime)
    return where


def _whole(column: ColumnElement) -> ColumnElement:
    """A sum of counts as a whole number: PostgreSQL sums bigints as numeric (Decimal in
    Python, and a division that keeps its fraction)."""
    return cast(func.sum(column), BigInteger)


def _counts(session: Session, keys: tuple, where: list, target: int, *, total: bool
            ) -> tuple[Counts, Counts]:
    """Per group of `keys` (PhaseCount columns): the counts of the days the group's
    figures need (the others lumped, see below) and, within those days, per hundredth;
    with `total`, also the groups of every regime together ('all' in the regime's place).
    One query, whose text is the same whatever the days (so it is compiled once)."""
    p = PhaseCount
    cols = [getattr(p, k) for k in keys]
    days = select(*cols, p.bucket.label("day"), func.sum(p.n).label("n")).where(
        p.width == DAY, *where).group_by(*cols, p.bucket).cte("days")
    if total:  # every regime together, one more group
        rest = [days.c[k] for k in keys if k != "regime"]
        days = union_all(select(days), select(
            literal("all", String).label("regime"), *rest, days.c.day,
            _whole(days.c.n).label("n")).group_by(*rest, days.c.day)).cte("grouped")
    group = [days.c[k] for k in keys]
    upto, count = (cast(func.sum(days.c.n).over(partition_by=group, **kw), BigInteger)
                   for kw in ({"order_by": days.c.day}, {}))
    cum = select(*group, days.c.day, days.c.n, upto.label("upto"),
                 count.label("count")).subquery()
    upto, count = cum.c.upto, cum.c.count
    at = [and_(upto - cum.c.n < r, r <= upto)  # the ranks of histogram.ranks
          for r in ((count + 1) // 2, count // 2 + 1, (9 * count + 9) // 10)]
    needed = case((or_(*at, cum.c.day == target), 1), else_=0)
    # each needed day starts a run of days, whose counts are only summed
    marked = select(*(cum.c[k] for k in keys), cum.c.day, cum.c.n, needed.label("needed"),
                    func.sum(needed).over(partition_by=[cum.c[k] for k in keys],
                                          order_by=cum.c.day).label("run")).cte("marked")
    group = [marked.c[k] for k in keys]
    # the needed days as they are, the others lumped per run and side of the target
    # under their first day: the same ranks, and the same count below the target
    # (histogram.summary_of), in a few rows a group rather than one a day
    lumps = select(*group, func.min(marked.c.day), _whole(marked.c.n)).group_by(
        *group, marked.c.run, marked.c.needed, marked.c.day < target)
    # a day needed for one regime or for all is read for every regime (whole days)
    named = [k for k in keys if not (total and k == "regime")]
    wanted = select(*(marked.c[k] for k in named), marked.c.day).where(
        marked.c.needed == 1).distinct().subquery()
    on = [*(getattr(p, k) == wanted.c[k] for k in named),
          p.bucket.between(wanted.c.day * DAY, wanted.c.day * DAY + DAY - 1)]
    if session.get_bind().dialect.name == "postgresql":
        # each wanted day an index range summed on its own (LATERAL, grouped so that it
        # is not flattened): the planner cannot foresee how few the days are and would
        # merge or hash them with every hundredth; nor should JIT spend a second
        # compiling what runs in milliseconds
        session.execute(text("SET LOCAL jit = off"))
        each = select(*cols, p.bucket, func.sum(p.n).label("n")).where(
            p.width == 1, *where, *on).group_by(*cols, p.bucket).lateral()
        fine = select(*(each.c[k] for k in keys), each.c.bucket, each.c.n,
                      literal(1, Integer)).select_from(wanted).join(each, true())
    else:  # SQLite loops over the few wanted days by itself
        fine = select(*cols, p.bucket, func.sum(p.n), literal(1, Integer)).join_from(
            p, wanted, and_(*on)).where(p.width == 1, *where).group_by(*cols, p.bucket)
    q = union_all(lumps.add_columns(literal(DAY, Integer)), fine)
    day_counts: Counts = defaultdict(Counter)
    fine_counts: Counts = defaultdict(Counter)
    for *key, bucket, n, width in session.execute(q).all():  # (fetched at once: faster)
        if width == DAY:
            day_counts[tuple(key)][bucket] += n
            continue
        fine_counts[tuple(key)][bucket] += n
        if total:
            fine_counts[("all", *key[1:])][bucket] += n
    return day_counts, fine_counts


def _summaries(days: Counts, fine: Counts, target: int) -> dict[tuple, Summary]:
    return {g: summary_of(c, fine[g], target) for g, c in days.items() if sum(c.values())}


def phase_stats(session: Session, regime: str | None, year: int | None, target_days: int
                ) -> tuple[dict[tuple, Summary], dict[tuple, Summary]]:
    """Per (regime, phase), per ('all', phase) unless a regime is chosen, and per month
    decided (end to end): the Summary of the phases that belong to the year."""
    where = _scope(regime, year)
    per = _summaries(*_counts(session, ("regime", "phase"), where, target_days,
                              total=regime is None), target_days)
    trend = _summaries(*_counts(session, ("month",), [*where, PhaseCount.phase ==
                                                      "end_to_end"], target_days,
                                total=False), target_days)
    return per, trend

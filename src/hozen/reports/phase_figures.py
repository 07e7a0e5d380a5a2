"""The timeliness report's figures per phase read from the phase counts (reports.summaries)
instead of every case: the day counts of the chosen regime and year, then the hundredths
of only the days the median, the 90th percentile and the target fall in — a few thousand
rows at any number of cases, and the same figures as reports.phases.phase_stats_of_cases."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from hozen.reports.histogram import DAY, days_needed, summary_of
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


def _read(session: Session, keys: tuple, where: list, *, total: bool) -> Counts:
    """Counts per group of `keys` (PhaseCount columns) and bucket; with `total`, also
    the groups of every regime together ('all' in the regime's place)."""
    p = PhaseCount
    cols = [getattr(p, k) for k in keys]
    out: Counts = defaultdict(Counter)
    for *group, bucket, n in session.execute(select(*cols, p.bucket, func.sum(p.n)).where(
            *where).group_by(*cols, p.bucket)):
        out[tuple(group)][bucket] += n
        if total:
            out[("all", *group[1:])][bucket] += n
    return out


def _hundredths(session: Session, keys: tuple, where: list, days: Counts, target: int,
                *, total: bool) -> Counts:
    """The hundredths of the days each group's figures need, in one query."""
    p = PhaseCount
    named = keys[1:] if total else keys  # the regime is not a condition when totalled
    wanted = {(group[len(keys) - len(named):], d) for group, counts in days.items()
              for d in days_needed(counts, target)}
    if not wanted:
        return defaultdict(Counter)
    picks = [and_(*(getattr(p, k) == v for k, v in zip(named, group, strict=True)),
                  p.bucket.between(d * DAY, d * DAY + DAY - 1)) for group, d in sorted(wanted)]
    return _read(session, keys, [p.width == 1, *where, or_(*picks)], total=total)


def _summaries(days: Counts, fine: Counts, target: int) -> dict[tuple, Summary]:
    return {g: summary_of(c, fine[g], target) for g, c in days.items() if sum(c.values())}


def phase_stats(session: Session, regime: str | None, year: int | None, target_days: int
                ) -> tuple[dict[tuple, Summary], dict[tuple, Summary]]:
    """Per (regime, phase), per ('all', phase) unless a regime is chosen, and per month
    decided (end to end): the Summary of the phases that belong to the year."""
    p = PhaseCount
    where = _scope(regime, year)
    total = regime is None
    keys = ("regime", "phase")
    days = _read(session, keys, [p.width == DAY, *where], total=total)
    per = _summaries(days, _hundredths(session, keys, where, days, target_days,
                                       total=total), target_days)
    trend_where = [*where, p.phase == "end_to_end"]
    months = _read(session, ("month",), [p.width == DAY, *trend_where], total=False)
    trend = _summaries(months, _hundredths(session, ("month",), trend_where, months,
                                           target_days, total=False), target_days)
    return per, trend

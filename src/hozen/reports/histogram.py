"""Percentiles from counts per duration (pure, no I/O): the reports keep, per group, how
many durations fell in each hundredth of a day (the precision they show) and in each
whole day, so the median, the nearest-rank 90th percentile and the count within a target
come out exactly as reports.rules.Summary.of gives them from every value, while reading
only the day counts and the hundredths of the few days the ranks fall in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from hozen.reports.rules import Summary, days_of

DAY = 100  # hundredths of a day in one day bucket


def hundredths(seconds: int) -> int:
    """The duration in hundredths of a day as reports.rules.days_of rounds it (an exact
    integer: days_of(s) is the float nearest hundredths(s) / 100)."""
    return round(days_of(seconds) * 100)


def day_of(h: int) -> int:
    """The whole-day bucket of a duration in hundredths (floor, also below zero)."""
    return h // DAY


def ranks(count: int) -> tuple[int, int, int]:
    """The ranks (from 1) of the lower and upper middle value and of the nearest-rank
    90th percentile, as reports.sql.ranked uses them."""
    return (count + 1) // 2, count // 2 + 1, (9 * count + 9) // 10


def locate(counts: Mapping[int, int], rank: int) -> tuple[int, int]:
    """The bucket holding the value of this rank (from 1) and its rank within it."""
    seen = 0
    for bucket in sorted(counts):
        n = counts[bucket]
        if seen + n >= rank:
            return bucket, rank - seen
        seen += n
    raise ValueError("rank beyond the count")


def days_needed(days: Mapping[int, int], target_days: int) -> set[int]:
    """The day buckets whose hundredths the summary needs: those the ranks fall in, and
    the target's own day (a duration of exactly the target is within it)."""
    count = sum(days.values())
    if not count:
        return set()
    return {locate(days, r)[0] for r in ranks(count)} | {target_days}


def summary_of(days: Mapping[int, int], fine: Mapping[int, int], target_days: int
               ) -> Summary:
    """The Summary of the durations counted per day (`days`) and per hundredth (`fine`,
    at least every hundredth of the days_needed)."""
    count = sum(days.values())
    if not count:
        return Summary.of([], target_days)
    at = []
    for r in ranks(count):
        day, within_day = locate(days, r)
        h, _ = locate({k: v for k, v in fine.items() if day_of(k) == day}, within_day)
        at.append(h / 100)
    within = sum(n for d, n in days.items() if d < target_days) + fine.get(
        target_days * DAY, 0)
    return Summary.of_ranks(count, within, *at)


def counts_of(seconds: Iterable[int]) -> tuple[Counter[int], Counter[int]]:
    """Per day and per hundredth, how many of these durations there are."""
    fine = Counter(hundredths(s) for s in seconds)
    days: Counter[int] = Counter()
    for h, n in fine.items():
        days[day_of(h)] += n
    return days, fine

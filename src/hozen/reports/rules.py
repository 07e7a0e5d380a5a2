"""Pure arithmetic of the reports: durations in days, the median and the 90th percentile
(nearest rank, so every figure is one of the observed values), the share within a target,
backlog age bands and calendar months. No I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

AGE_BANDS = ((0, 30), (31, 60), (61, 90), (91, None))  # days, inclusive


EPOCH = datetime(1970, 1, 1)


def epoch_seconds(at: datetime | date) -> int:
    """Whole seconds since 1970 (UTC; a date is its midnight), as reports.sql counts them."""
    if not isinstance(at, datetime):
        at = datetime(at.year, at.month, at.day)
    elif at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    elapsed = at - EPOCH
    return elapsed.days * 86400 + elapsed.seconds


def days(start: datetime | date, end: datetime | date) -> float:
    """Elapsed days between the whole seconds of two instants, to a hundredth."""
    return days_of(epoch_seconds(end) - epoch_seconds(start))


def days_of(seconds: int) -> float:
    return round(seconds / 86400, 2)


def last_second_within(limit_days: float) -> int:
    """The most seconds whose days (to a hundredth) are still at most `limit_days`: a
    duration is within the limit exactly when its seconds are at most this."""
    s = int(limit_days * 86400) + 432
    while days_of(s + 1) <= limit_days:
        s += 1
    while days_of(s) > limit_days:
        s -= 1
    return s


def first_second_reaching(limit_days: float) -> int:
    """The fewest seconds whose days (to a hundredth) are at least `limit_days`."""
    s = int(limit_days * 86400) - 432
    while days_of(s - 1) >= limit_days:
        s -= 1
    while days_of(s) < limit_days:
        s += 1
    return s


def nearest_rank(values: Iterable[float], pct: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Summary:
    count: int
    median: float | None
    p90: float | None
    within: int  # how many took at most the target
    share: float | None  # within / count, as a percentage to one decimal

    @classmethod
    def of_ranks(cls, count: int, within: int, lower: float | None, upper: float | None,
                 p90: float | None) -> Summary:
        """From the values at the ranks a database found (reports.sql.ranked): the same
        figures `of` gives from every value."""
        if not count:
            return cls(0, None, None, 0, None)
        return cls(count, round(statistics.median([lower, upper]), 2), p90, within,
                   round(100 * within / count, 1))

    @classmethod
    def of(cls, values: Iterable[float], target: float) -> Summary:
        vals = list(values)
        within = sum(v <= target for v in vals)
        return cls(len(vals), round(statistics.median(vals), 2) if vals else None,
                   nearest_rank(vals, 90), within,
                   round(100 * within / len(vals), 1) if vals else None)


def age_band(age_days: float) -> str:
    for low, high in AGE_BANDS:
        if high is None or age_days < high + 1:
            return band_label(low, high)
    raise AssertionError("unreachable")  # pragma: no cover


def band_limits() -> list[tuple[str, int | None]]:
    """Each age band's label and the seconds waited that are below it (None: the last,
    open band), so that a band of seconds is the band of their days (age_band)."""
    return [(band_label(lo, hi), None if hi is None else first_second_reaching(hi + 1))
            for lo, hi in AGE_BANDS]


def band_label(low: int, high: int | None) -> str:
    return f"{low}–{high}" if high is not None else f"{low}+"


def month(at: datetime | date) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def in_year(at: datetime | date | None, year: int | None) -> bool:
    return at is not None and (year is None or at.year == year)

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


def days(start: datetime | date, end: datetime | date) -> float:
    """Elapsed days, to a hundredth; a date counts as its midnight (UTC)."""
    def at(x: datetime | date) -> datetime:
        if isinstance(x, datetime):
            return x if x.tzinfo is None else x.astimezone(UTC).replace(tzinfo=None)
        return datetime(x.year, x.month, x.day)
    return round((at(end) - at(start)).total_seconds() / 86400, 2)


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


def band_label(low: int, high: int | None) -> str:
    return f"{low}–{high}" if high is not None else f"{low}+"


def month(at: datetime | date) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def in_year(at: datetime | date | None, year: int | None) -> bool:
    return at is not None and (year is None or at.year == year)

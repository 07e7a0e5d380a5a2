"""Percentiles from counts per day and per hundredth of a day (reports.histogram) are the
figures Summary.of gives from every duration, reading only the hundredths of the days the
ranks and the target fall in; and the counts one case adds (reports.summaries.keys_of)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hozen.reports.histogram import (
    counts_of,
    day_of,
    days_needed,
    hundredths,
    locate,
    ranks,
    summary_of,
)
from hozen.reports.rules import Summary, days_of, last_second_within, nearest_rank
from hozen.reports.summaries import keys_of

TARGETS = st.sampled_from([0, 1, 30, 60, 61, 90])
# durations anywhere, and a few seconds either side of a target's last second within it
SECONDS = st.one_of(st.integers(-3 * 86400, 400 * 86400),
                    st.builds(lambda t, d: last_second_within(t) + d,
                              st.sampled_from([1, 30, 60, 61]), st.integers(-3, 3)))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(values=st.lists(SECONDS, max_size=80), target=TARGETS)
def test_counts_give_the_summary_of_every_value(values, target):
    days, fine = counts_of(values)
    needed = days_needed(days, target)
    only_needed = {h: n for h, n in fine.items() if day_of(h) in needed}
    assert summary_of(days, only_needed, target) == Summary.of(
        [days_of(s) for s in values], target)


@given(st.integers(-10**9, 10**9))
def test_hundredths_are_the_days_shown(s):
    h = hundredths(s)
    assert h / 100 == days_of(s)
    assert day_of(h) * 100 <= h < day_of(h) * 100 + 100


@given(st.integers(1, 10_000))
def test_ranks_are_the_median_and_nearest_rank_ones(n):
    lower, upper, p90 = ranks(n)
    values = list(range(1, n + 1))
    assert p90 == nearest_rank(values, 90)
    assert (lower + upper) / 2 == (n + 1) / 2


def test_locate_skips_empty_buckets_and_refuses_a_rank_beyond_the_count():
    assert locate({3: 2, 5: 0, 7: 1}, 3) == (7, 1)
    assert locate({3: 2, 5: 0, 7: 1}, 2) == (3, 2)
    try:
        locate({3: 2}, 3)
    except ValueError:
        pass
    else:
        raise AssertionError("a rank beyond the count was located")


def test_an_empty_group_has_no_figures():
    assert summary_of({}, {}, 60) == Summary(0, None, None, 0, None)
    assert days_needed({}, 60) == set()


def test_a_case_adds_a_day_and_a_hundredth_per_finished_phase():
    at = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    keys = keys_of("SDS", at, {"consent": 86400 + 864, "questionnaire": None,
                               "end_to_end": -1})
    assert sorted(keys) == sorted([(1, "consent", 101, "SDS", "2026-03"),
                                   (100, "consent", 1, "SDS", "2026-03"),
                                   (1, "end_to_end", 0, "SDS", "2026-03"),
                                   (100, "end_to_end", 0, "SDS", "2026-03")])
    assert keys_of("SDS", None, {"consent": 5}) == []  # decided without a decision time

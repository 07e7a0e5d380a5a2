"""The reports' arithmetic, by hand: median, nearest-rank 90th percentile, the share
within a target, age bands, and the days each phase of a case took."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hozen.clearances.models import ClearanceCase, Investigation
from hozen.reports.rules import (
    Summary,
    age_band,
    band_limits,
    days,
    days_of,
    epoch_seconds,
    last_second_within,
    nearest_rank,
)
from hozen.reports.timeliness import phase_days

T0 = datetime(2025, 4, 1, tzinfo=UTC)


def test_37_of_50_within_60_days():
    values = [10 + i for i in range(37)] + [61 + i for i in range(13)]
    s = Summary.of(values, 60)
    assert (s.count, s.within, s.share) == (50, 37, 74.0)
    assert s.median == 34.5  # the 25th (34) and 26th (35) values
    assert s.p90 == 68  # nearest rank: the 45th of 50


def test_empty_and_single():
    assert Summary.of([], 60) == Summary(0, None, None, 0, None)
    assert Summary.of([61], 60) == Summary(1, 61, 61, 0, 0.0)
    assert nearest_rank([5, 1, 3], 90) == 5 and nearest_rank([5, 1, 3], 10) == 1


def test_the_target_itself_is_within():
    assert Summary.of([60, 60.01], 60).within == 1


def test_days_of_dates_and_aware_times():
    assert days(T0, T0 + timedelta(days=2, hours=12)) == 2.5
    assert days(date(2025, 4, 1), T0 + timedelta(days=3)) == 3
    jst = T0.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert days(jst, T0 + timedelta(days=1)) == 1


def test_age_bands():
    assert [age_band(d) for d in (0, 30, 30.5, 31, 60, 61, 90, 90.9, 91, 400)] == [
        "0–30", "0–30", "0–30", "31–60", "31–60", "61–90", "61–90", "61–90", "91+", "91+"]


def _case(**kw) -> ClearanceCase:
    base = dict(created_at=T0, consented_at=T0 + timedelta(days=2),
                submitted_at=T0 + timedelta(days=7), state="granted",
                decided_at=T0 + timedelta(days=47), reused_investigation=False)
    return ClearanceCase(**(base | kw))


def test_phases_of_an_investigated_case():
    inv = Investigation(opened_at=T0 + timedelta(days=8), completed_on=date(2025, 5, 3))
    assert phase_days(_case(), inv) == {"consent": 2, "questionnaire": 5,
                                        "investigation": 24, "adjudication": 15,
                                        "end_to_end": 40}


def test_phases_of_a_reused_investigation_and_of_an_open_case():
    assert phase_days(_case(reused_investigation=True), None)["adjudication"] == 40
    open_case = _case(state="investigation", decided_at=None)
    assert phase_days(open_case, None) == {"consent": 2, "questionnaire": 5}
    assert phase_days(_case(consented_at=None, submitted_at=None, state="listed",
                            decided_at=None), None) == {}


def test_days_count_whole_seconds():
    # the fraction of a second is dropped from each instant, as the database does
    assert days(T0 + timedelta(microseconds=999_999), T0 + timedelta(days=1)) == 1
    assert epoch_seconds(datetime(1970, 1, 2, 0, 0, 1, 999_999, UTC)) == 86401
    assert epoch_seconds(date(1970, 1, 2)) == 86400


@given(st.integers(-10 * 86400, 400 * 86400), st.integers(1, 365))
def test_the_last_second_within_a_target_splits_the_days_exactly(seconds, target):
    assert (days_of(seconds) <= target) == (seconds <= last_second_within(target))


@given(st.integers(-86400, 200 * 86400))
def test_band_limits_are_the_age_bands_in_seconds(seconds):
    band = next(label for label, below in band_limits() if below is None or seconds < below)
    assert band == age_band(days_of(seconds))


@given(st.lists(st.integers(-86400, 100 * 86400), min_size=1, max_size=40),
       st.sampled_from([30, 60]))
def test_a_summary_from_the_ranks_is_the_summary_of_every_value(seconds, target):
    vals = sorted(days_of(s) for s in seconds)
    n = len(vals)
    ranks = Summary.of_ranks(n, sum(v <= target for v in vals), vals[(n + 1) // 2 - 1],
                             vals[n // 2], vals[(9 * n + 9) // 10 - 1])
    assert ranks == Summary.of(vals, target)

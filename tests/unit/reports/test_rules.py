"""The reports' arithmetic, by hand: median, nearest-rank 90th percentile, the share
within a target, age bands, and the days each phase of a case took."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hozen.clearances.models import ClearanceCase, Investigation
from hozen.reports.rules import Summary, age_band, days, nearest_rank
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

"""The day before which a last training is overdue, as the overdue-training list asks
the database for it: the same answer as the rule itself for every day."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hozen.facilities.rules import training_cutoff, training_overdue

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(today=DAYS, months=st.integers(min_value=0, max_value=36),
       back=st.integers(min_value=-40, max_value=1200))
def test_overdue_exactly_before_the_cutoff(today, months, back):
    last = today - timedelta(days=back)
    assert training_overdue(last, today, months) == (last < training_cutoff(today, months))


def test_a_year_on_from_a_month_end():
    # 29 Feb 2024 + 12 months falls due 28 Feb 2025: trained then, overdue from that day
    assert training_cutoff(date(2025, 2, 28), 12) == date(2024, 3, 1)
    assert training_overdue(date(2024, 2, 29), date(2025, 2, 28), 12)
    assert not training_overdue(date(2024, 3, 1), date(2025, 2, 28), 12)

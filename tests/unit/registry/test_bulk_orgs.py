"""The owners column of an organisations file (pure parsing)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hozen.registry.bulk_orgs import parse_owners


def test_owners_are_number_share_and_optional_voting_separated_by_semicolons():
    assert parse_owners("") == []
    assert parse_owners(" 1234567890123:40 ; 7000012050002:10.5:12 |") == [
        ("1234567890123", Decimal("40"), Decimal("40")),
        ("7000012050002", Decimal("10.5"), Decimal("12"))]


def test_anything_else_is_refused_whole():
    for text in ("half of it", "1234567890123", "1234567890123:", ":40",
                 "1234567890123:40:1:2", "1234567890123:NaN", "1234567890123:inf",
                 "1234567890123:40;garbage"):
        assert parse_owners(text) is None, text


@given(st.lists(st.tuples(st.from_regex(r"\A[0-9]{13}\Z"),
                          st.decimals(0, 100, places=4), st.decimals(0, 100, places=4)),
                max_size=5))
def test_written_owners_read_back(owners):
    text = ";".join(f"{n}:{s}:{v}" for n, s, v in owners)
    assert parse_owners(text) == owners

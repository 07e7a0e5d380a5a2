"""The one parser of CSV headings (candidate lists and every bulk import)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hozen.csvio import parse_headings, row_values
from hozen.errors import ValidationFailed

COLUMNS = {"birth_date": ("birth_date", "生年月日", "Date of Birth"),
           "family_name_kanji": ("family_name_kanji", "姓"),
           "title": ("title", "役職")}


def refused(row: list[str], required=("birth_date",)) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        parse_headings(row, COLUMNS, required)
    return exc.value.errors


def test_any_accepted_heading_names_its_column_in_any_case_and_blank_ones_are_skipped():
    assert parse_headings(["\ufeff姓", " DATE OF BIRTH ", "", "役職"], COLUMNS,
                          ("birth_date",)) == ["family_name_kanji", "birth_date", None, "title"]


def test_unknown_duplicate_and_missing_headings_are_refused_together():
    assert refused(["姓", "血液型", "family_name_kanji"]) == [
        ("header.2", "csv_header_unknown"), ("header.3", "csv_header_duplicate"),
        ("header.birth_date", "csv_header_missing")]


def test_a_required_column_given_under_another_heading_counts():
    assert parse_headings(["生年月日"], COLUMNS, ("birth_date",)) == ["birth_date"]
    assert refused(["姓"], ("birth_date", "title")) == [
        ("header.birth_date", "csv_header_missing"), ("header.title", "csv_header_missing")]


def test_row_values_strip_cells_fill_short_rows_and_skip_blank_ones():
    header = ["family_name_kanji", None, "birth_date"]
    assert row_values(header, [" 山田 ", "x", "1990-01-02"]) == {
        "family_name_kanji": "山田", "birth_date": "1990-01-02"}
    assert row_values(header, ["山田"]) == {"family_name_kanji": "山田", "birth_date": ""}
    assert row_values(header, [" ", "", ""]) is None


@given(st.permutations(["姓", "生年月日", "役職"]))
def test_the_order_of_the_columns_does_not_matter(row):
    header = parse_headings(list(row), COLUMNS, ("birth_date",))
    assert sorted(header) == ["birth_date", "family_name_kanji", "title"]
    assert all(h in COLUMNS[c] for c, h in zip(header, row, strict=True))


@given(st.lists(st.sampled_from(["姓", "生年月日", "役職", "x", ""]), max_size=6))
def test_a_heading_row_is_either_refused_or_maps_each_known_column_once(row):
    try:
        header = parse_headings(row, COLUMNS)
    except ValidationFailed as exc:
        assert all(code.startswith("csv_header_") for _, code in exc.errors)
        assert "x" in row or len({h for h in row if h}) < len([h for h in row if h])
    else:
        named = [h for h in header if h]
        assert len(named) == len(set(named))
        assert "x" not in row

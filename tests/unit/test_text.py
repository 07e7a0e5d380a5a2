"""Japanese normalisation and calendar."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hozen.text import date_forms, format_era, normalize, parse_date


@pytest.mark.parametrize("d,expected", [
    (date(1990, 5, 3), "平成2年5月3日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    (date(1989, 1, 7), "昭和64年1月7日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(1926, 12, 25), "昭和元年12月25日"),
])
def test_format_era(d, expected):
    assert format_era(d) == expected


@given(st.dates(min_value=date(1912, 7, 30), max_value=date(2099, 12, 31)))
def test_every_written_form_parses_back(d):
    for form in date_forms(d):
        assert parse_date(form) == d, form


@pytest.mark.parametrize("text", ["", "abc", "1990-02-30", "平成0年1月1日", "昭和65年1月1日",
                                  "令和1年4月30日", "X2.5.3"])
def test_bad_dates_raise(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_short_era_and_full_width():
    assert parse_date("H2.5.3") == date(1990, 5, 3)
    assert parse_date("ｈ２．５．３") == date(1990, 5, 3)
    assert parse_date("１９９０／０５／０３") == date(1990, 5, 3)


def test_normalize():
    assert normalize("ﾔﾏﾀﾞ　ﾀﾛｳ") == "ヤマダ タロウ"
    assert normalize(" Ａ１ ") == "A1"

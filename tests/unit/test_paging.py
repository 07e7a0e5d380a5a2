"""The cursor of a paged list (hozen.paging): what it hands out decodes to the same keys,
and anything else is refused as a ValidationFailed naming `cursor`, never another error."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hozen.db import new_id
from hozen.designations.models import CuiAuthorization, Designation
from hozen.errors import ValidationFailed
from hozen.paging import CURSOR_MAX, decode_cursor, encode_cursor
from hozen.reciprocity.models import VisitRequest

ID = [VisitRequest.id]
DATED = [VisitRequest.requested_at, VisitRequest.id]
GRANTED = [CuiAuthorization.granted_on, CuiAuthorization.id]


def refused(cursor: str, keys) -> None:
    with pytest.raises(ValidationFailed) as exc:
        decode_cursor(cursor, keys)
    assert exc.value.errors == [("cursor", "cursor_invalid")]


def test_an_id_a_time_and_a_date_come_back_as_they_went():
    i = new_id()
    assert decode_cursor(encode_cursor([i]), ID) == [i]
    at = datetime(2026, 11, 27, 8, 30, 1, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor([at, i]), DATED) == [at, i]
    assert decode_cursor(encode_cursor([date(2026, 4, 1), i]), GRANTED) == [date(2026, 4, 1), i]


def test_the_cursor_is_url_safe_and_short_enough_for_the_front_doors():
    at = datetime(2026, 11, 27, 8, 30, 1, 123456, tzinfo=UTC)
    cursor = encode_cursor([at, new_id()])
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(cursor) <= CURSOR_MAX


@pytest.mark.parametrize("values, keys", [
    ([1], ID),  # not text
    (["a", "b"], ID),  # more keys than the list has
    ([new_id()], DATED),  # fewer
    (["x" * 37], ID),  # longer than any id
    (["a\x00b"], ID),  # a NUL never reaches PostgreSQL
    (["2026-11-27T08:30:01", new_id()], DATED),  # a naive time: we hand out aware ones
    (["yesterday", new_id()], DATED),
    (["2026-02-30", new_id()], GRANTED),
    ([None], [Designation.reference]),
])
def test_keys_of_the_wrong_kind_are_refused(values, keys):
    refused(encode_cursor(values), keys)


@pytest.mark.parametrize("cursor", ["Zm9v", "e30", "bnVsbA", "!!!!", "A" * (CURSOR_MAX + 1),
                                    "W10", "IltdIg"])
def test_what_is_not_a_cursor_is_refused(cursor):
    refused(cursor, ID)


@given(st.text(max_size=300))
def test_no_text_whatever_raises_anything_but_a_refusal(text):
    try:
        decode_cursor(text, DATED)
    except ValidationFailed as exc:
        assert exc.field == "cursor"


@given(st.lists(st.text(min_size=1, max_size=36).filter(lambda t: "\x00" not in t),
                min_size=1, max_size=1))
def test_any_key_text_that_fits_the_column_comes_back(values):
    assert decode_cursor(encode_cursor(values), ID) == values


def test_a_null_first_key_comes_back_only_where_the_list_puts_nulls_first():
    i = new_id()
    cursor = encode_cursor([None, i])
    assert decode_cursor(cursor, DATED, nulls_first=True) == [None, i]
    refused(cursor, DATED)  # a list whose keys are never null hands out no such cursor
    with pytest.raises(ValidationFailed):  # and only the first key may be null
        decode_cursor(encode_cursor([datetime(2026, 1, 1, tzinfo=UTC), None]), DATED,
                      nulls_first=True)

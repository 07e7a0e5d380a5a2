"""Keyset (cursor) pagination: the one way every list is read a page at a time.

A page is the first `limit` rows after the cursor in the order of its keys, read with
`WHERE (keys) > cursor ORDER BY keys LIMIT n` so an index on the keys serves it however
deep the page (no OFFSET). The keys must end in a unique column; order by the primary
key where the order is time (ids are UUIDv7), else by (column, id) with an index."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, literal, or_, tuple_
from sqlalchemy.orm import Session

from hozen.errors import ValidationFailed

MAX_PAGE = 100
DEFAULT_PAGE = 50
CURSOR_MAX = 200  # characters: the longest cursor a front door accepts
T = TypeVar("T")


def _bad() -> ValidationFailed:
    return ValidationFailed([("cursor", "cursor_invalid")])


def encode_cursor(values: Sequence[Any]) -> str:
    """The keys of the last row of a page as an opaque, URL-safe token."""
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _value(text: object, column, *, nullable: bool = False) -> Any:
    # the type a key column holds (through a TypeDecorator such as UTCDateTime)
    if text is None and nullable:
        return None
    kind = getattr(column.type, "impl_instance", column.type).python_type
    if kind is int:  # a sequence number (the audit log's seq): a JSON integer in range
        if type(text) is not int or not 0 <= text < 2**63:
            raise _bad()
        return text
    if not isinstance(text, str) or "\x00" in text:
        raise _bad()
    try:
        if kind is datetime:
            value = datetime.fromisoformat(text)
            if value.tzinfo is None:  # we only ever hand out aware times
                raise ValueError(text)
            return value
        if kind is date:
            return date.fromisoformat(text)
    except ValueError:
        raise _bad() from None
    if kind is not str or len(text) > (getattr(column.type, "length", None) or CURSOR_MAX):
        raise _bad()
    return text


def decode_cursor(cursor: str, keys: Sequence, *, nulls_first: bool = False) -> list[Any]:
    """The key values a cursor carries, checked against the keys' types (the first may be
    null where `nulls_first`); anything this server did not hand out is a 422 naming
    `cursor`, never a 500."""
    if len(cursor) > CURSOR_MAX:
        raise _bad()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad() from None
    if not isinstance(values, list) or len(values) != len(keys):
        raise _bad()
    return [_value(v, k, nullable=nulls_first and n == 0)
            for n, (v, k) in enumerate(zip(values, keys, strict=True))]


def page(session: Session, stmt: Select, keys: Sequence, *, cursor: str | None,
         limit: int, newest_first: bool = False,
         nulls_first: bool = False) -> tuple[list, str | None]:
    """One page of `stmt` (a select of one entity, without ORDER BY or LIMIT) ordered by
    `keys` (ascending, or descending when `newest_first`), and the cursor of the next page
    (None on the last). `nulls_first` (ascending only): the first key may be NULL, and the
    rows where it is come first, in the order of the other keys (which are never NULL)."""
    limit = max(1, min(limit, MAX_PAGE))
    if cursor:
        after = decode_cursor(cursor, keys, nulls_first=nulls_first)
        stmt = stmt.where(_beyond(keys, after, newest_first, nulls_first))
    order = [k.desc() if newest_first else k.asc() for k in keys]
    if nulls_first:
        order[0] = keys[0].asc().nulls_first()
    stmt = stmt.order_by(*order)
    rows = list(session.scalars(stmt.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([getattr(rows[-1], k.key) for k in keys])


def _beyond(keys: Sequence, after: list, newest_first: bool, nulls_first: bool):
    """The rows after the cursor's in the order of `keys`."""
    def tuple_after(ks, vs):
        if len(ks) == 1:
            return ks[0] < vs[0] if newest_first else ks[0] > vs[0]
        left = tuple_(*ks)
        right = tuple_(*(literal(v, k.type) for v, k in zip(vs, ks, strict=True)))
        return left < right if newest_first else left > right

    if not nulls_first:
        return tuple_after(keys, after)
    if newest_first or len(keys) < 2:
        raise ValueError("nulls_first pages ascend, by a nullable key and a unique one")
    if after[0] is None:  # the rest of the NULL rows, then every other row
        return or_(and_(keys[0].is_(None), tuple_after(keys[1:], after[1:])),
                   keys[0].is_not(None))
    return tuple_after(keys, after)  # a NULL first key never compares greater


def page_kept(session: Session, stmt: Select, keys: Sequence, keep: Callable[[Any], bool], *,
              cursor: str | None, limit: int,
              newest_first: bool = False) -> tuple[list, str | None]:
    """`page`, of the rows `keep` admits (a rule SQL cannot state): pages are read until
    `limit` rows are kept or the list ends, and the cursor follows the last row kept, so
    every page but the last is full and no row is skipped or shown twice."""
    limit = max(1, min(limit, MAX_PAGE))
    out: list = []
    while True:
        rows, nxt = page(session, stmt, keys, cursor=cursor, limit=limit,
                         newest_first=newest_first)
        for k, row in enumerate(rows):
            if keep(row):
                out.append(row)
                if len(out) == limit:
                    more = k < len(rows) - 1 or nxt is not None
                    return out, (encode_cursor([getattr(row, c.key) for c in keys])
                                 if more else None)
        if nxt is None:
            return out, None
        cursor = nxt


def every(list_page: Callable[..., tuple[list[T], str | None]], *args, **kwargs) -> list[T]:
    """Every row of a paged list, following its cursors to the end: for exports and the
    pickers of a form, which need the whole list the caller may see."""
    out: list[T] = []
    cursor = None
    while True:
        rows, cursor = list_page(*args, cursor=cursor, limit=MAX_PAGE, **kwargs)
        out += rows
        if cursor is None:
            return out

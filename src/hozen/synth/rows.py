"""Rows of the synthetic data set, gathered by table before they are written."""

from __future__ import annotations


class Rows:
    """Rows by table name, each a dict of column values, in the order they were made
    (a parent before the rows that refer to it)."""

    def __init__(self) -> None:
        self._tables: dict[str, list[dict]] = {}

    def add(self, table: str, **values) -> None:
        self._tables.setdefault(table, []).append(values)

    def extend(self, table: str, rows: list[dict]) -> None:
        self._tables.setdefault(table, []).extend(rows)

    def table(self, name: str) -> list[dict]:
        return self._tables.get(name, [])

    def tables(self) -> dict[str, list[dict]]:
        return self._tables

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in sorted(self._tables.items()) if rows}

"""CSV files as spreadsheets keep them: a heading row naming each column by any of its
accepted headings (Japanese or English, any case), then one row per record. One parser of
headings serves every CSV the system reads (the candidate list, bulk imports)."""

from __future__ import annotations

from collections.abc import Mapping

from hozen.errors import ValidationFailed

Columns = Mapping[str, tuple[str, ...]]  # column -> the headings accepted for it


def aliases(columns: Columns) -> dict[str, str]:
    """Every accepted heading, case-folded, to its column."""
    return {alias.casefold(): column for column, names in columns.items() for alias in names}


def parse_headings(row: list[str], columns: Columns, required: tuple[str, ...] = ()
                   ) -> list[str | None]:
    """The column of each heading (None for a blank one). Unknown, repeated and missing
    headings are refused together, each named by its position or column."""
    known = aliases(columns)
    header = [known.get(h.strip().lstrip("\ufeff").casefold()) for h in row]
    errors = [(f"header.{i + 1}", "csv_header_unknown") for i, h in enumerate(header)
              if h is None and row[i].strip()]
    errors += [(f"header.{i + 1}", "csv_header_duplicate") for i, h in enumerate(header)
               if h is not None and h in header[:i]]
    errors += [(f"header.{c}", "csv_header_missing") for c in required if c not in header]
    if errors:
        raise ValidationFailed(errors)
    return header


def row_values(header: list[str | None], row: list[str]) -> dict[str, str] | None:
    """A data row's values by column, stripped (a short row's missing cells are blank);
    None for a row with nothing in it."""
    if not any(cell.strip() for cell in row):
        return None
    return {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(header) if c}

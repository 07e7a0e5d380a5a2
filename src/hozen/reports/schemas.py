"""The one shape every report takes: titled tables of named columns, each table with an
optional chart of some of its columns. Labels are message ids (English), translated when
rendered; values are plain numbers, dates or text, so JSON, CSV, PDF and the pages all
come from the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from hozen.clearances.rules import Regime
from hozen.registry.schemas import Strict


class Label(str):
    """A cell that is a message id: translated when rendered, English in JSON."""


Value = str | int | float | date | None
FORMATS = ("json", "csv", "pdf")


@dataclass(frozen=True)
class Chart:
    kind: Literal["bar", "line"]
    label: str  # the key of the column whose values name the bars or points
    series: tuple[str, ...]  # keys of the columns plotted
    unit: str = ""  # msgid of the y axis
    only: tuple[str, Value] | None = None  # plot only the rows whose column has this value
    top: int | None = None  # plot only this many rows, those of the largest series sums
    combine: bool = False  # rows of the same label add up to one bar (the table keeps each)


@dataclass
class Table:
    key: str
    title: str  # msgid
    columns: list[tuple[str, str]]  # (key, msgid)
    rows: list[list[Value]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""  # msgid

    def records(self) -> list[dict[str, Value]]:
        keys = [k for k, _ in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass
class Report:
    name: str
    title: str  # msgid
    params: dict[str, Value]
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


class ReportQuery(BaseModel):
    """What a caller may choose; anything out of range is refused naming the field."""

    year: int | None = Field(default=None, ge=2000, le=2100)
    regime: Regime | None = None
    target_days: int = Field(default=60, ge=1, le=3650)
    horizon_days: int = Field(default=180, ge=1, le=3650)


class AllowanceCreate(Strict):
    """A clearance allowance paid to one of the caller's own staff for one period."""

    person_id: str = Field(min_length=1, max_length=36)
    amount_yen: int = Field(ge=0, le=100_000_000)
    period_start: date
    period_end: date

"""Every report as JSON, CSV (UTF-8 with BOM, one block per table, no cell a formula) or
PDF (fpdf2, Japanese fonts embedded, each table under its chart). One way for the API,
the pages and the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date

from hozen.pdf import Section, sections_pdf
from hozen.reports.schemas import Label, Report, Value
from hozen.text import spreadsheet_safe

MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "pdf": "application/pdf"}


def cell(value: Value, gettext: Callable[[str], str] = str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else ""
    if isinstance(value, Label):
        return gettext(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_json(report: Report) -> dict:
    """Machine-readable: columns by key, numbers as numbers, message ids in English."""
    return {"report": report.name, "params": {k: v.isoformat() if isinstance(v, date) else v
                                               for k, v in report.params.items()},
            "tables": {t.key: [{k: v.isoformat() if isinstance(v, date) else v
                                for k, v in r.items()} for r in t.records()]
                       for t in report.tables}}


def to_csv(report: Report, gettext: Callable[[str], str] = str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([gettext(report.title)] + [f"{k}={cell(v)}" for k, v in
                                                report.params.items() if v is not None])
    for t in report.tables:
        writer.writerow([])
        writer.writerow([gettext(t.title)])
        writer.writerow([gettext(label) for _, label in t.columns])
        writer.writerows([[spreadsheet_safe(cell(v, gettext)) for v in row] for row in t.rows])
    return ("\ufeff" + out.getvalue()).encode()


def to_pdf(report: Report, gettext: Callable[[str], str] = str,
           tick: Callable[[], None] = lambda: None) -> bytes:
    from hozen.reports import charts  # matplotlib: imported by the first PDF only

    params = "  ".join(f"{k}={cell(v)}" for k, v in report.params.items() if v is not None)
    sections = []
    for t in report.tables:  # drawing the charts is the slow part: tick after each
        sections.append(Section(
            gettext(t.title), [gettext(label) for _, label in t.columns],
            [[cell(v, gettext) for v in row] for row in t.rows],
            charts.draw(t, gettext, "png"), gettext(t.note) if t.note else ""))
        tick()
    return sections_pdf(gettext(report.title), sections, footer=params)


def export(report: Report, fmt: str, gettext: Callable[[str], str] = str,
           tick: Callable[[], None] = lambda: None) -> bytes:
    if fmt == "json":
        return json.dumps(to_json(report), ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        return to_csv(report, gettext)
    return to_pdf(report, gettext, tick)

"""Charts and exports from one report table: matplotlib draws SVG (and PNG for the PDF)
of the chosen rows only; CSV is UTF-8 with BOM and never runs a cell as a formula; JSON
keeps numbers as numbers and dates as ISO text; message ids are translated where shown."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from hozen.reports import charts
from hozen.reports.exports import export, to_csv, to_json
from hozen.reports.schemas import Chart, Label, Report, Table


def _table() -> Table:
    return Table("t", "Days per phase", [("regime", "Regime"), ("phase", "Phase"),
                                          ("days", "Median days")],
                 [["CESI", Label("Investigation"), 30], ["SDS", Label("Investigation"), 90],
                  ["all", Label("Investigation"), 45], ["all", "=HYPERLINK(1)", None]],
                 chart=Chart("bar", "phase", ("days",), "days", only=("regime", "all")))


def test_the_chart_is_svg_of_the_chosen_rows_only():
    seen = []

    def gettext(m: str) -> str:
        seen.append(m)
        return "調査" if m == "Investigation" else m

    svg = charts.svg(_table(), gettext)
    assert svg.startswith("<svg") and "<script" not in svg and "<path" in svg
    assert seen.count("Investigation") == 1  # the "all" row's label, not CESI's or SDS's
    assert charts.draw(_table(), fmt="png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_to_plot_is_no_chart():
    t = _table()
    t.chart = Chart("bar", "phase", ("days",), only=("regime", "none"))
    assert charts.svg(t) is None
    t.chart = None
    assert charts.svg(t) is None


def test_csv_is_excel_friendly_and_formula_safe():
    body = to_csv(Report("x", "Timeliness", {"year": 2025}, [_table()]),
                  lambda m: {"Investigation": "調査"}.get(m, m))
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Timeliness", "year=2025"]
    assert ["CESI", "調査", "30"] in rows
    assert ["all", "'=HYPERLINK(1)", "—"] in rows


def test_json_keeps_numbers_and_dates():
    t = Table("d", "Due dates", [("date", "Date"), ("n", "Due")], [[date(2026, 1, 2), 3]])
    got = to_json(Report("due-dates", "Due dates", {"as_of": date(2026, 1, 1)}, [t]))
    assert got == {"report": "due-dates", "params": {"as_of": "2026-01-01"},
                   "tables": {"d": [{"date": "2026-01-02", "n": 3}]}}
    assert json.loads(export(Report("due-dates", "Due dates", {}, [t]), "json"))[
        "tables"]["d"][0]["n"] == 3


def test_a_chart_of_many_rows_plots_the_largest_and_the_table_keeps_them_all():
    seen = []

    def gettext(m: str) -> str:
        seen.append(m)
        return m

    t = Table("o", "Per organisation", [("org", "Organisation"), ("yen", "Yen")],
              [[Label(f"org{k}"), (k * 37) % 30] for k in range(30)],
              chart=Chart("bar", "org", ("yen",), "yen", top=5))
    assert charts.svg(t, gettext).startswith("<svg")
    assert sorted(m for m in seen if m.startswith("org")) == sorted(
        f"org{k}" for k in range(30) if (k * 37) % 30 >= 25)
    assert len(t.rows) == 30

"""The dashboard's SVG charts (reports.svg) show the figures of their table: bar heights
and line points follow the data against the axis's own ticks, every label and series is
named in text and in the accessible <title> and <desc>, names are escaped, and nothing
in them needs what the page's content security policy forbids (script, style
attributes, outside resources). And what one burden record or allowance adds to the
totals (reports.burden_totals)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from hozen.reports.burden_totals import EVERY_YEAR, allowance_keys, case_keys
from hozen.reports.schemas import Chart, Label, Table
from hozen.reports.svg import number, plotted, shortened, svg, text_width, ticks

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(doc: str) -> ET.Element:
    return ET.fromstring(doc)


def _bars(root: ET.Element) -> list[tuple[float, float, str]]:
    """(top, height, title) of each bar (rects with a <title>; the legend's have none)."""
    return [(float(r.get("y")), float(r.get("height")), r.find("s:title", NS).text)
            for r in root.iter("{http://www.w3.org/2000/svg}rect")
            if r.find("s:title", NS) is not None]


def _ticks(root: ET.Element) -> dict[float, float]:
    """The y axis: each tick's figure and where it is drawn."""
    out = {}
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("text-anchor") == "end" and t.get("transform") is None:
            out[float(t.text.replace(",", ""))] = float(t.get("y")) - 4
    return out


def _table(rows, kind="bar", **chart) -> Table:
    return Table("t", "Cases per month", [("month", "Month"), ("a", "Granted"),
                                          ("b", "Denied")], rows,
                 chart=Chart(kind, "month", ("a", "b"), "cases", **chart))


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**7)), min_size=1,
                max_size=15))
def test_bar_heights_follow_the_figures_on_the_axis(values):
    rows = [[f"2026-{i + 1:02d}", a, b] for i, (a, b) in enumerate(values)]
    root = _parse(svg(_table(rows)))
    bars = _bars(root)
    assert len(bars) == 2 * len(rows)  # one bar per figure, series after series
    axis = _ticks(root)
    zero, top = axis[0], min(axis, key=lambda v: axis[v])  # y of 0 and of the top tick
    per_unit = (zero - axis[top]) / top
    figures = [a for a, _ in values] + [b for _, b in values]
    for (y, height, title), v in zip(bars, figures, strict=True):
        assert abs(height - v * per_unit) <= 0.11  # drawn to a tenth of a pixel
        assert abs(y + height - zero) <= 0.11  # standing on 0
        assert title.endswith(f": {number(v)}")
    assert max(figures) <= top  # the axis reaches the tallest bar


def test_labels_series_and_unit_are_text_and_the_figures_are_described():
    t = _table([["2026-01", 3, 1], ["2026-02", 5, 0]])
    ja = {"Granted": "問題なし", "Cases per month": "月別", "cases": "件"}
    doc = svg(t, lambda m: ja.get(m, m))
    root = _parse(doc)
    texts = [x.text for x in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"2026-01", "2026-02", "問題なし", "Denied", "件"} <= set(texts)
    assert root.get("role") == "img" and root.find("s:title", NS).text == "月別"
    assert root.find("s:desc", NS).text == ("問題なし: 2026-01 3, 2026-02 5; "
                                            "Denied: 2026-01 1, 2026-02 0")


def test_nothing_the_content_security_policy_forbids_and_names_escaped():
    t = Table("o", "Per organisation", [("org", "Organisation"), ("v", "Yen")],
              [['<script>alert(1)</script> & "Co"', 10]], chart=Chart("bar", "org", ("v",)))
    doc = svg(t)
    assert "<script" not in doc and "style=" not in doc and "href" not in doc
    assert "on" not in {a[:2] for e in _parse(doc).iter() for a in e.attrib}
    assert "&lt;script&gt;" in doc


def test_a_line_chart_joins_its_points_in_order():
    rows = [["2026-01", 10, 0], ["2026-02", 30, 0], ["2026-03", 20, 0]]
    root = _parse(svg(_table(rows, "line")))
    circles = [c for c in root.iter("{http://www.w3.org/2000/svg}circle")]
    ys = [float(c.get("cy")) for c in circles[:3]]
    assert ys[1] < ys[2] < ys[0]  # higher figures are drawn higher
    xs = [float(c.get("cx")) for c in circles[:3]]
    assert xs == sorted(xs)
    line = next(p for p in root.iter("{http://www.w3.org/2000/svg}path")
                if p.get("stroke-width") == "2")
    assert re.findall(r"[ML]([\d.]+) ([\d.]+)", line.get("d"))[:3] == [
        (c.get("cx"), c.get("cy")) for c in circles[:3]]


def test_only_top_and_combine_choose_what_is_plotted():
    t = Table("p", "Phases", [("regime", "Regime"), ("phase", "Phase"), ("d", "Days")],
              [["CESI", Label("Consent"), 1], ["all", Label("Consent"), 2],
               ["all", Label("End"), 9]],
              chart=Chart("bar", "phase", ("d",), only=("regime", "all")))
    assert plotted(t) == ([Label("Consent"), Label("End")], {"d": [2.0, 9.0]})
    t.chart = Chart("bar", "phase", ("d",), top=1)
    assert plotted(t) == ([Label("End")], {"d": [9.0]})
    t.chart = Chart("bar", "phase", ("d",), combine=True)
    assert plotted(t) == ([Label("Consent"), Label("End")], {"d": [3.0, 9.0]})
    assert svg(Table("e", "Empty", [("phase", "Phase"), ("d", "Days")], [],
                     chart=Chart("bar", "phase", ("d",)))) is None


FIGURES = st.integers(-10**11, 10**11).map(lambda v: v / 100)  # to a hundredth, as shown


@given(FIGURES, FIGURES)
def test_ticks_are_whole_evenly_spaced_and_cover_zero_and_the_figures(a, b):
    low, high = min(a, b), max(a, b)
    marks = ticks(low, high)
    assert marks[0] <= min(0, low) and marks[-1] >= max(0, high) and 0 in marks
    steps = {y - x for x, y in zip(marks, marks[1:], strict=False)}
    assert len(steps) == 1 and len(marks) <= 12
    assert str(steps.pop()).lstrip("-")[0] in "125"


def test_a_long_label_is_cut_to_its_room():
    name = "重要経済基盤の脆弱性に関する情報"
    cut = shortened(name)
    assert cut.endswith("…") and text_width(cut) <= 90 and name.startswith(cut[:-1])
    assert shortened("2026-01") == "2026-01"


def test_what_one_case_and_one_allowance_add():
    records = [(2025, "subject", 60, 100, 0), (2025, "window", 30, 0, 5),
               (2026, "subject", 10, 0, 0)]
    keys = case_keys("org", records)
    assert keys[(2025, "org", "cases")] == keys[(2026, "org", "cases")] == 1
    assert keys[(EVERY_YEAR, "org", "cases")] == 1  # one case, however many years
    assert keys[(EVERY_YEAR, "org", "subject_minutes")] == 70
    assert keys[(2025, "org", "window_minutes")] == 30
    assert keys[(2025, "org", "case_allowance_yen")] == 5
    assert case_keys("org", []) == {}
    paid = allowance_keys("org", 2024, 0)
    assert paid == {(2024, "org", "allowances"): 1, (0, "org", "allowances"): 1,
                    (2024, "org", "allowance_yen"): 0, (0, "org", "allowance_yen"): 0}

"""The dashboard's charts as SVG written by our own code (pure, no I/O): bars or lines of
a report table's columns on a y axis of whole-number ticks, the rows' labels under them,
a legend, and a <title> and <desc> that name the chart and every figure for assistive
technology. Colours and type are presentation attributes, never style attributes or
script, so the page's content security policy has nothing to refuse; drawing one takes
well under a millisecond, so nothing is cached and a first page is as fast as the next.
(The PDFs still draw their PNG charts with matplotlib: reports.charts.)"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from hozen.reports.schemas import Label, Table

WIDTH, HEIGHT = 640, 320
TOP, RIGHT = 16, 12
MAX_TICKS = 12  # labels under the axis; more would not be read
COLOURS = ("#1f5fa8", "#d9822b", "#3a8f5c", "#8e44ad", "#c0392b")
FONT = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"
CHAR, WIDE = 6.5, 11  # advance of a Latin and of a Japanese character at 11px
SHOWN = 90  # pixels of a label under the axis; a longer one is cut (the table has it all)


def text_width(text: str) -> float:
    """About how wide `text` is at 11px, to leave room for it."""
    return sum(WIDE if ord(c) >= 0x2E80 else CHAR for c in text)


def shortened(text: str, most: float = SHOWN) -> str:
    if text_width(text) <= most:
        return text
    while text and text_width(text + "…") > most:
        text = text[:-1]
    return text + "…"


def plotted(table: Table) -> tuple[list, dict[str, list[float]]] | None:
    """The labels and series the table's chart shows (its `only` rows, its `top` rows by
    the series' sums), or None when it has nothing to plot."""
    chart = table.chart
    if chart is None:
        return None
    keys = [k for k, _ in table.columns]
    rows = table.rows
    if chart.only is not None:
        at = keys.index(chart.only[0])
        rows = [r for r in rows if r[at] == chart.only[1]]
    if chart.top is not None and len(rows) > chart.top:  # the table shows every row
        at = [keys.index(k) for k in chart.series]
        chosen = sorted(range(len(rows)), key=lambda i: -sum(float(rows[i][j] or 0)
                                                             for j in at))[:chart.top]
        rows = [rows[i] for i in sorted(chosen)]
    if not rows:
        return None
    labels = [r[keys.index(chart.label)] for r in rows]  # a Label stays one
    series = {k: [float(r[keys.index(k)] or 0) for r in rows] for k in chart.series}
    if chart.combine:
        at: dict = {}
        for i, label in enumerate(labels):
            at.setdefault(label, []).append(i)
        labels = list(at)
        series = {k: [sum(vs[i] for i in same) for same in at.values()]
                  for k, vs in series.items()}
    return labels, series


def ticks(low: float, high: float, most: int = 6) -> list[int]:
    """Whole-number ticks from at or below `low` to at or above `high` (0 always within),
    1, 2 or 5 times a power of ten apart, at most `most` + 1 of them."""
    low, high = min(0.0, low), max(0.0, high)
    if high - low < 1:
        high = low + 1
    raw = (high - low) / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return list(range(int(first), int(last) + 1, int(step)))


def number(v: float) -> str:
    """A figure as the tables show it: whole numbers without a fraction, thousands
    separated."""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def chart_svg(kind: str, title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float]]], unit: str = "") -> str:
    """One chart: `series` (name, one value per label) as grouped bars or lines."""
    values = [v for _, vs in series for v in vs]
    marks = ticks(min(values), max(values))
    bottom, top_value = marks[0], marks[-1]
    rotate = len(labels) > 6
    left = 24 + max(text_width(number(m)) for m in marks) + (14 if unit else 0)
    foot = 40 + (SHOWN // 2 if rotate else 0)  # x labels (turned 30°), then the legend
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - foot - 16
    y0 = TOP + plot_h

    def y(v: float) -> float:
        return y0 - (v - bottom) / (top_value - bottom) * plot_h

    slot = plot_w / len(labels)
    desc = "; ".join(f"{name}: " + ", ".join(f"{lab} {number(v)}" for lab, v in
                                            zip(labels, vs, strict=True))
                     for name, vs in series)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="t d" '
           f'font-family="{FONT}" font-size="11" fill="#222">',
           f'<title id="t">{escape(title)}</title>', f'<desc id="d">{escape(desc)}</desc>',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>']
    for m in marks:  # grid lines and the y axis's figures
        out.append(f'<path d="M{left:.1f} {y(m):.1f}H{WIDTH - RIGHT}" stroke="#e3e7ec"/>'
                   f'<text x="{left - 6:.1f}" y="{y(m) + 4:.1f}" text-anchor="end">'
                   f'{number(m)}</text>')
    if unit:
        out.append(f'<text transform="translate(12 {TOP + plot_h / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{escape(unit)}</text>')
    out.append(f'<path d="M{left:.1f} {TOP}V{y0:.1f}H{WIDTH - RIGHT}" stroke="#555" '
               f'fill="none"/>')
    width = 0.8 * slot / len(series)
    for i, (name, vs) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        if kind == "line":
            points = [(left + slot * (j + 0.5), y(v)) for j, v in enumerate(vs)]
            out.append('<path d="' + " ".join(f"{'M' if j == 0 else 'L'}{px:.1f} {py:.1f}"
                                              for j, (px, py) in enumerate(points))
                       + f'" stroke="{colour}" stroke-width="2" fill="none"/>')
            out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                    f'<title>{escape(labels[j])}, {escape(name)}: {number(vs[j])}</title>'
                    f'</circle>' for j, (px, py) in enumerate(points)]
            continue
        for j, v in enumerate(vs):
            x = left + slot * (j + 0.1) + i * width
            y_top, y_base = sorted((y(v), y(0)))
            out.append(f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}" '
                       f'height="{y_base - y_top:.1f}" fill="{colour}"><title>'
                       f'{escape(labels[j])}, {escape(name)}: {number(v)}</title></rect>')
    step = -(-len(labels) // MAX_TICKS)
    for j in range(0, len(labels), step):
        x = left + slot * (j + 0.5)
        text = escape(shortened(labels[j]))
        out.append(f'<text x="{x:.1f}" y="{y0 + 14:.1f}" text-anchor="end" '
                   f'transform="rotate(-30 {x:.1f} {y0 + 14:.1f})">{text}</text>' if rotate
                   else f'<text x="{x:.1f}" y="{y0 + 16:.1f}" text-anchor="middle">{text}'
                        '</text>')
    x = left
    for i, (name, _) in enumerate(series):  # the legend, in one row under the labels
        out.append(f'<rect x="{x:.1f}" y="{HEIGHT - 20}" width="10" height="10" '
                   f'fill="{COLOURS[i % len(COLOURS)]}"/><text x="{x + 14:.1f}" '
                   f'y="{HEIGHT - 11}">{escape(name)}</text>')
        x += 30 + text_width(name)
    out.append("</svg>")
    return "".join(out)


def chart_of(table: Table, gettext: Callable[[str], str] = str
             ) -> tuple[str, str, list[str], list[tuple[str, Sequence[float]]], str] | None:
    """What the table's chart shows, in the reader's language: its kind, title, the rows'
    labels, each series with its name, and the unit (None: nothing to plot)."""
    data = plotted(table)
    if data is None:
        return None
    labels, series = data
    names = dict(table.columns)
    chart = table.chart
    return (chart.kind, gettext(table.title),
            [gettext(x) if isinstance(x, Label) else str(x) for x in labels],
            [(gettext(names[k]), v) for k, v in series.items()],
            gettext(chart.unit) if chart.unit else "")


def svg(table: Table, gettext: Callable[[str], str] = str) -> str | None:
    """The table's chart as an SVG document, or None when it has nothing to plot."""
    shown = chart_of(table, gettext)
    return None if shown is None else chart_svg(*shown)

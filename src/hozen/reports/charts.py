"""The PDFs' charts, drawn by matplotlib as PNG (Japanese labels in the Noto Sans CJK font
the PDFs embed). Every chart is drawn from a report table, which the PDF shows under it;
the pages draw the same charts as SVG without matplotlib (reports.svg), so only a PDF
export imports this module."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from hozen.config import get_settings  # noqa: E402
from hozen.reports.schemas import Table  # noqa: E402
from hozen.reports.svg import COLOURS, chart_of  # noqa: E402
from hozen.reports.svg import svg as svg  # noqa: E402  (the pages' SVG, drawn without matplotlib)

_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe
MAX_TICKS = 12


@lru_cache
def font_family() -> str:
    """The Japanese font's family name, registered with matplotlib once."""
    path = get_settings().pdf_font
    if not path.exists():
        return "DejaVu Sans"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def draw(table: Table, gettext: Callable[[str], str] = str, fmt: str = "png"
         ) -> bytes | None:
    """The table's chart as a PNG (or SVG) document, or None when it has nothing to plot."""
    shown = chart_of(table, gettext)
    if shown is None:
        return None
    kind, title, labels, series, unit = shown
    return _render(fmt, kind, tuple(labels), tuple((name, tuple(v)) for name, v in series),
                   unit, title)


# Drawing costs tens of milliseconds a chart; the same figures in the same language give
# the same bytes, so a chart whose figures have not changed is not drawn again.
@lru_cache(maxsize=256)
def _render(fmt: str, kind: str, labels: tuple[str, ...],
            series: tuple[tuple[str, tuple[float, ...]], ...], unit: str, title: str
            ) -> bytes:
    with _LOCK:
        fig = Figure(figsize=(6.4, 3.2), dpi=100)
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
        family = font_family()
        x = range(len(labels))
        width = 0.8 / max(1, len(series))
        for i, (name, values) in enumerate(series):
            colour = COLOURS[i % len(COLOURS)]
            if kind == "line":
                ax.plot(list(x), list(values), marker="o", color=colour, label=name)
            else:
                ax.bar([p + (i - (len(series) - 1) / 2) * width for p in x], list(values),
                       width, color=colour, label=name)
        # at most MAX_TICKS labels: each costs a text layout, and more would not be read
        step = -(-len(labels) // MAX_TICKS)
        ax.set_xticks(list(x)[::step], list(labels[::step]), fontfamily=family, fontsize=8,
                      rotation=30 if len(labels) > 6 else 0)
        if unit:
            ax.set_ylabel(unit, fontfamily=family, fontsize=8)
        ax.set_title(title, fontfamily=family, fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts stay whole
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(prop={"family": family, "size": 8}, frameon=False)
        out = io.BytesIO()
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None,
                    dpi=150 if fmt == "png" else None)
    return out.getvalue()

"""The ownership picture on the FOCI review page: an organisation's owners drawn as a layered
graph in SVG, the chains from foreign owners down to the target highlighted.

Drawn with matplotlib's object-oriented API and its SVG backend, never pyplot (the server
is threaded); text becomes glyph paths, so the viewer needs no Japanese font. Element ids
(`node_gid`, `edge_gid`) let the page and browser tests find a node or an edge."""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath

from hozen.config import get_settings
from hozen.facilities.foci import DOMESTIC

log = logging.getLogger(__name__)

KINDS = frozenset({"target", "organisation", "person"})
HIGHLIGHT = "#c62828"  # foreign-path edges only (and their legend line and labels)
EDGE_COLOUR = "#8c8c8c"
TEXT_COLOUR = "#1a1a1a"
FILL = {"foreign": "#fde3de", "domestic": "#f4f4f4", "target": "#dce8f5"}
BORDER = {"foreign": "#9c3b2c", "domestic": "#707070", "target": "#1f3b66"}
# Sizes in inches: the axes span the figure with one data unit to the inch.
BOX_W, BOX_H = 1.55, 0.62
SLOT, DUMMY_SLOT = 1.8, 0.35  # horizontal room for a node, for an edge passing a layer
ROW_GAP, LAYER_GAP, MARGIN = 0.85, 1.3, 0.3
MAX_ROW = 10  # nodes in one row; a wider layer is staggered over several rows
MIN_WIDTH, LEGEND_COLUMN = 5.0, 2.0
DASHED = (0, (4, 3))
LABEL_DROP = 0.22  # an edge's share sits this far below its owner's layer
LABEL_PT, TITLE_PT = 7.5, 11.0
WRAP_EM, WRAP_LINES = 12.5, 2
LABEL_ALL_EDGES_UPTO = 40  # beyond this only highlighted edges carry their share
SWEEPS, ORDER_BUDGET = 12, 4000  # items (nodes and layer crossings) counted for crossings
_RENDER_LOCK = threading.Lock()  # rc_context changes process-wide rcParams

Pair = tuple[str, str]
Item = str | tuple[int, int]  # a node id, or (edge index, layer) for an edge crossing a layer


@dataclass(frozen=True)
class Node:
    """An organisation or a person owner. For a person the label is a description such as
    "個人株主 (USA)", never the person's name."""

    id: str
    label: str
    country: str  # ISO 3166 alpha-3
    kind: str  # "target" | "organisation" | "person"


@dataclass(frozen=True)
class Edge:
    owner: str
    owned: str
    share_pct: float
    voting_pct: float


def highlighted_edges(foreign_paths: Iterable[Sequence[str]]) -> set[Pair]:
    """The (owner, owned) pairs along the foreign paths, each path owner first."""
    return {(a, b) for path in foreign_paths for a, b in zip(path, path[1:], strict=False)}


def _gid_part(node_id: str) -> str:
    # Injective and CSS-safe: letters and digits kept, "_" doubled, others as _hex_.
    return "".join(c if c.isascii() and c.isalnum() else "__" if c == "_"
                   else f"_{ord(c):x}_" for c in node_id)


def node_gid(node_id: str) -> str:
    """The SVG id of a node's box: `node-<id>`, the id escaped as in `edge_gid`."""
    return f"node-{_gid_part(node_id)}"


def edge_gid(owner: str, owned: str) -> str:
    """The SVG id of an edge's line and arrow head: `edge-<owner>-<owned>`; in each id ASCII
    letters and digits stay, "_" becomes "__" and any other character `_<hex code>_`, so
    "-" only ever separates and `#edge-…` needs no CSS escaping."""
    return f"edge-{_gid_part(owner)}-{_gid_part(owned)}"


def pct_label(edge: Edge) -> str:
    """"share%" or, when the votes differ, "share% / voting%"."""
    share, votes = _pct(edge.share_pct), _pct(edge.voting_pct)
    return share if share == votes else f"{share} / {votes}"


def _pct(value: float) -> str:
    if 0 < value < 0.01:
        return "<0.01%"
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


# --- checking and choosing what to draw ---------------------------------------------------

def _check(nodes: Sequence[Node], edges: Sequence[Edge], target: str,
           paths: Sequence[Sequence[str]]) -> dict[str, Node]:
    by_id: dict[str, Node] = {}
    for node in nodes:
        if node.id in by_id:
            raise ValueError(f"node {node.id!r} appears twice")
        if node.kind not in KINDS:
            raise ValueError(f"node {node.id!r} has unknown kind {node.kind!r}")
        by_id[node.id] = node
    if target not in by_id:
        raise ValueError(f"target {target!r} is not among the nodes")
    pairs: set[Pair] = set()
    for e in edges:
        if e.owner not in by_id or e.owned not in by_id:
            raise ValueError(f"edge {e.owner!r} -> {e.owned!r} names an unknown node")
        if e.owner == e.owned or (e.owner, e.owned) in pairs:
            raise ValueError(f"edge {e.owner!r} -> {e.owned!r} is a self or repeated holding")
        pairs.add((e.owner, e.owned))
    for path in paths:
        if len(path) < 2 or path[-1] != target:
            raise ValueError(f"foreign path {list(path)!r} does not end at the target")
    missing = highlighted_edges(paths) - pairs
    if missing:
        raise ValueError(f"foreign paths follow holdings not among the edges: {sorted(missing)}")
    return by_id


def _owners_of(edges: Sequence[Edge], highlighted: set[Pair]) -> dict[str, list[Edge]]:
    """Each node's owners: path edges first, then the largest holdings (stable)."""
    owners: dict[str, list[Edge]] = {}
    for e in edges:
        owners.setdefault(e.owned, []).append(e)
    for held in owners.values():
        held.sort(key=lambda e: ((e.owner, e.owned) not in highlighted,
                                 -max(e.share_pct, e.voting_pct)))
    return owners


def _select(owners: dict[str, list[Edge]], target: str, paths: Sequence[Sequence[str]],
            max_nodes: int) -> list[str]:
    """The target's owners, nearest first; past `max_nodes` the nodes on foreign paths and
    then the target's direct owners come first (foreign-path nodes are never dropped)."""
    upward, seen = [target], {target}
    for node_id in upward:  # breadth-first: the list grows while it is walked
        for e in owners.get(node_id, ()):
            if e.owner not in seen:
                seen.add(e.owner)
                upward.append(e.owner)
    if len(upward) <= max_nodes:
        return upward
    kept = dict.fromkeys([target, *(i for p in paths for i in p)])
    for node_id in [e.owner for e in owners.get(target, ())] + upward:
        if len(kept) >= max_nodes:
            break
        kept.setdefault(node_id)
    return list(kept)


# --- the layered layout -------------------------------------------------------------------

@dataclass
class _Layout:
    layer: dict[str, int]
    rows: list[list[Item]]  # per layer, left to right
    forward: list[tuple[Edge, list[Item]]]  # each drawn down its chain of items
    back: list[Edge]  # edges closing a cycle, drawn dashed against the layering


def _break_cycles(kept: list[str], owners: dict[str, list[Edge]],
                  target: str) -> tuple[list[str], set[Pair]]:
    """Depth-first from the target up through owners: discovery order, and the edges
    that reach back to a node still on the stack (removing them leaves no cycle)."""
    keep, state, back = set(kept), {target: 1}, set()
    order, stack = [target], [(target, iter(owners.get(target, ())))]
    while stack:
        node_id, todo = stack[-1]
        for e in todo:
            if e.owner not in keep:
                continue
            if e.owner not in state:
                state[e.owner] = 1
                order.append(e.owner)
                stack.append((e.owner, iter(owners.get(e.owner, ()))))
                break
            if state[e.owner] == 1:
                back.add((e.owner, e.owned))
        else:
            state[node_id] = 2
            stack.pop()
    return order, back


def _layers(order: list[str], forward: list[Edge]) -> dict[str, int]:
    """Longest path down to the target (layer 0), over the acyclic forward edges."""
    below: dict[str, list[str]] = {n: [] for n in order}
    above: dict[str, list[str]] = {n: [] for n in order}
    for e in forward:
        below[e.owner].append(e.owned)
        above[e.owned].append(e.owner)
    waiting = {n: len(below[n]) for n in order}
    layer = {n: 0 for n in order if not waiting[n]}
    ready = list(layer)
    while ready:
        node_id = ready.pop()
        for owner in above[node_id]:
            layer[owner] = max(layer.get(owner, 0), layer[node_id] + 1)
            waiting[owner] -= 1
            if not waiting[owner]:
                ready.append(owner)
    return layer


def _crossings(rows: list[list[Item]], down: dict[Item, list[Item]]) -> int:
    """Edge crossings between adjacent layers: with the segments sorted by their upper end,
    the inversions among their lower ends (counted with a Fenwick tree)."""
    total = 0
    for k in range(1, len(rows)):
        at = {item: i for i, item in enumerate(rows[k - 1])}
        lows = [low for _, low in sorted((i, at[d]) for i, item in enumerate(rows[k])
                                         for d in down[item])]
        tree = [0] * (len(rows[k - 1]) + 1)
        for seen, low in enumerate(lows):
            i, not_above = low + 1, 0
            while i:
                not_above, i = not_above + tree[i], i & (i - 1)
            total += seen - not_above
            i = low + 1
            while i < len(tree):
                tree[i], i = tree[i] + 1, i + (i & -i)
    return total


def _order(rows: list[list[Item]], down: dict[Item, list[Item]],
           up: dict[Item, list[Item]]) -> list[list[Item]]:
    """Barycentre sweeps up and down; the arrangement with fewest crossings wins. A very
    dense graph (past ORDER_BUDGET items) gets two sweeps and no counting, to bound time."""
    if sum(map(len, rows)) > ORDER_BUDGET:
        best_x, sweeps = -1, 2
    else:
        best_x, sweeps = _crossings(rows, down), SWEEPS
    best = [r[:] for r in rows]
    for sweep in range(sweeps):
        upward = sweep % 2 == 0
        ks = range(1, len(rows)) if upward else range(len(rows) - 2, -1, -1)
        for k in ks:
            near = rows[k - 1] if upward else rows[k + 1]
            at = {item: i for i, item in enumerate(near)}
            links = down if upward else up

            def centre(i_item: tuple[int, Item], at=at, links=links) -> float:
                i, item = i_item
                xs = [at[n] for n in links[item]]
                return sum(xs) / len(xs) if xs else i
            rows[k] = [item for _, item in sorted(enumerate(rows[k]), key=centre)]
        if best_x < 0:
            continue
        crossings = _crossings(rows, down)
        if crossings < best_x:
            best, best_x = [r[:] for r in rows], crossings
    return best if best_x >= 0 else rows


def _layout(kept: list[str], edges: Sequence[Edge], owners: dict[str, list[Edge]],
            target: str) -> _Layout:
    order, back_pairs = _break_cycles(kept, owners, target)
    keep = set(order)
    drawn = [e for e in edges if e.owner in keep and e.owned in keep]
    forward = [e for e in drawn if (e.owner, e.owned) not in back_pairs]
    layer = _layers(order, forward)
    rows: list[list[Item]] = [[] for _ in range(max(layer.values()) + 1)]
    for node_id in order:
        rows[layer[node_id]].append(node_id)
    down: dict[Item, list[Item]] = {n: [] for n in order}
    up: dict[Item, list[Item]] = {n: [] for n in order}
    chains = []
    for index, e in enumerate(forward):
        chain: list[Item] = [e.owner]
        for k in range(layer[e.owner] - 1, layer[e.owned], -1):
            rows[k].append((index, k))
            chain.append((index, k))
            down[(index, k)], up[(index, k)] = [], []
        chain.append(e.owned)
        for hi, lo in zip(chain, chain[1:], strict=False):
            down[hi].append(lo)
            up[lo].append(hi)
        chains.append((e, chain))
    back = [e for e in drawn if (e.owner, e.owned) in back_pairs]
    return _Layout(layer, _order(rows, down, up), chains, back)


def _place(rows: list[list[Item]],
           min_width: float) -> tuple[dict[Item, tuple[float, float, float]], list[float], float]:
    """Centre of each item (x, y of its top row, y of its bottom row), each layer's bottom
    row y, and the width."""
    spots: dict[Item, tuple[float, float, float]] = {}
    spans, floors, y = [], [], MARGIN + BOX_H / 2
    for row in rows:
        nodes = sum(isinstance(item, str) for item in row)
        stagger = max(1, -(-nodes // MAX_ROW))
        x, seen = 0.0, 0
        for item in row:
            if isinstance(item, str):  # neighbours alternate rows, left to right, top down
                line = (stagger - 1 - seen % stagger) * ROW_GAP
                spots[item] = (x + SLOT / stagger / 2, y + line, y + line)
                x, seen = x + SLOT / stagger, seen + 1
            else:
                spots[item] = (x + DUMMY_SLOT / 2, y + (stagger - 1) * ROW_GAP, y)
                x += DUMMY_SLOT
        spans.append((min(spots[i][0] - _half(i) for i in row),
                      max(spots[i][0] + _half(i) for i in row)))
        floors.append(y)
        y += (stagger - 1) * ROW_GAP + LAYER_GAP
    width = max(min_width - 2 * MARGIN, *(right - left for left, right in spans))
    for row, (left, right) in zip(rows, spans, strict=True):
        shift = MARGIN + (width - (right - left)) / 2 - left
        for item in row:
            x, top, bottom = spots[item]
            spots[item] = (x + shift, top, bottom)
    return spots, floors, width + 2 * MARGIN


def _half(item: Item) -> float:
    return BOX_W / 2 if isinstance(item, str) else 0.0


# --- drawing -----------------------------------------------------------------------------

def _font(path: Path, size: float) -> FontProperties:
    if path.exists():
        return FontProperties(fname=str(path), size=size)
    log.warning("font %s is missing: Japanese labels will not render", path)
    return FontProperties(family="sans-serif", size=size)


def _wrap(text: str, em: float = WRAP_EM, lines: int = WRAP_LINES) -> str:
    """Greedy wrap by display width (CJK one em, others ~0.6); Latin words kept whole."""
    def width(s: str) -> float:
        return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in s)
    out, line = [], ""
    for token in re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+|\s+|.", text.strip()):
        if width(line + token) > em and line.strip():
            out.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while width(line) > em:  # one word wider than the box
            cut = max(i for i in range(1, len(line) + 1) if width(line[:i]) <= em or i == 1)
            out.append(line[:cut])
            line = line[cut:]
    out.append(line.rstrip())
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return "\n".join(out)


def _cubic(points: list[tuple[float, float]]) -> MplPath:
    """A smooth path through `points` (top to bottom), vertical at each point."""
    verts, codes = [points[0]], [MplPath.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        mid = (y0 - y1) / 2
        verts += [(x0, y0 - mid), (x1, y1 + mid), (x1, y1)]
        codes += [MplPath.CURVE4] * 3
    return MplPath(verts, codes)


def _at_height(path: MplPath, y: float) -> tuple[float, float]:
    """The point at height y (or the nearest end) on the path's first cubic segment,
    which falls from its start."""
    p0, p1, p2, p3 = path.vertices[:4]

    def point(t: float) -> tuple[float, float]:
        s = 1 - t
        x, at = s**3 * p0 + 3 * s * s * t * p1 + 3 * s * t * t * p2 + t**3 * p3
        return float(x), float(at)
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if point(mid)[1] > y else (lo, mid)
    return point(lo)


def _style(node: Node, target: str, foreign_owners: set[str]) -> str:
    if node.id == target:
        return "target"
    return "foreign" if node.country != DOMESTIC or node.id in foreign_owners else "domestic"


class _Sketch:
    """One figure being drawn: the axes span it, one data unit to the inch."""

    def __init__(self, fig: Figure, layout: _Layout, highlighted: set[Pair], heading: str):
        settings = get_settings()
        self.layout, self.highlighted, self.heading = layout, highlighted, heading
        self.spots, self.floors, width = _place(layout.rows, MIN_WIDTH)
        self.entries = 5 if layout.back else 4
        self.per_row = max(1, min(self.entries, int((width - 2 * MARGIN) // LEGEND_COLUMN)))
        band = (0.45 if heading else 0.1) + 0.25 * -(-self.entries // self.per_row) + 0.2
        self.height = max(top for _, top, _ in self.spots.values()) + BOX_H / 2 + MARGIN + band
        fig.set_size_inches(width, self.height)
        self.ax = fig.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, self.height)
        self.font = _font(settings.pdf_font, LABEL_PT)
        self.small = _font(settings.pdf_font, LABEL_PT - 1)
        self.bold = _font(settings.pdf_font_bold, LABEL_PT)
        self.heading_font = _font(settings.pdf_font_bold, TITLE_PT)
        self.label_all = len(layout.forward) + len(layout.back) <= LABEL_ALL_EDGES_UPTO

    def _arrow(self, e: Edge, **where) -> None:
        hot = (e.owner, e.owned) in self.highlighted
        arrow = FancyArrowPatch(**where, color=HIGHLIGHT if hot else EDGE_COLOUR,
                                linewidth=2.6 if hot else 0.9, zorder=2 if hot else 1,
                                arrowstyle="-|>", mutation_scale=11 if hot else 8,
                                shrinkA=0, shrinkB=0)
        arrow.set_gid(edge_gid(e.owner, e.owned))
        self.ax.add_artist(arrow)  # not add_patch: the limits are set, and its bounds are slow

    def _share(self, e: Edge, xy: tuple[float, float]) -> None:
        hot = (e.owner, e.owned) in self.highlighted
        if hot or self.label_all:
            self.ax.text(*xy, pct_label(e), ha="center", va="center", zorder=5, parse_math=False,
                         fontproperties=self.font if hot else self.small,
                         color=HIGHLIGHT if hot else TEXT_COLOUR,
                         bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                         gid=f"share-{_gid_part(e.owner)}-{_gid_part(e.owned)}")

    def edges(self) -> None:
        spots = self.spots
        for e, chain in self.layout.forward:
            points = [(spots[chain[0]][0], spots[chain[0]][2] - BOX_H / 2)]
            for item in chain[1:-1]:  # an edge crossing a layer passes through all its rows
                x, top, bottom = spots[item]
                points += [(x, top)] + ([(x, bottom)] if bottom != top else [])
            points.append((spots[chain[-1]][0], spots[chain[-1]][1] + BOX_H / 2))
            path = _cubic(points)
            self._arrow(e, path=path)
            # the share sits just below the owner's layer, clear of a staggered row
            floor = self.floors[self.layout.layer[e.owner]]
            self._share(e, _at_height(path, floor - BOX_H / 2 - LABEL_DROP))
        for e in self.layout.back:  # from a lower owner up to what it holds: bowed, dashed
            (x0, y0, _), (x1, _, y1) = spots[e.owner], spots[e.owned]
            a, b, rad = (x0, y0 + BOX_H / 2), (x1, y1 - BOX_H / 2), 0.35
            self._arrow(e, posA=a, posB=b, connectionstyle=f"arc3,rad={rad}", linestyle=DASHED)
            dx, dy = b[0] - a[0], b[1] - a[1]  # arc3's midpoint, half way to its control point
            self._share(e, ((a[0] + b[0]) / 2 + rad * dy / 2, (a[1] + b[1]) / 2 - rad * dx / 2))

    def nodes(self, by_id: dict[str, Node], target: str, foreign_owners: set[str]) -> None:
        for node_id in self.layout.layer:
            node, (x, y, _) = by_id[node_id], self.spots[node_id]
            style = _style(node, target, foreign_owners)
            rounding = BOX_H / 2 if node.kind == "person" else 0.08
            box = FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, zorder=3,
                                 boxstyle=f"round,pad=0,rounding_size={rounding}",
                                 fc=FILL[style], ec=BORDER[style],
                                 lw=0.8 if style == "domestic" else 1.8)
            box.set_gid(node_gid(node_id))
            self.ax.add_artist(box)
            text = _wrap(node.label)
            if style == "foreign" and node.country not in node.label:
                text += f"\n({node.country})"
            self.ax.text(x, y, text, ha="center", va="center", zorder=4, linespacing=1.15,
                         color=TEXT_COLOUR, parse_math=False,  # names are not mathtext
                         fontproperties=self.bold if style == "target" else self.font)

    def key(self) -> None:
        """The heading and the legend, which names the highlight in words."""
        top = self.height - MARGIN
        if self.heading:
            self.ax.text(MARGIN, top, self.heading, va="top", color=TEXT_COLOUR, parse_math=False,
                         fontproperties=self.heading_font)
            top -= 0.35
        handles = [
            Line2D([], [], color=HIGHLIGHT, lw=2.6, label="外国の経路 / foreign path"),
            Patch(fc=FILL["foreign"], ec=BORDER["foreign"], label="外国の株主 / foreign owner"),
            Patch(fc=FILL["domestic"], ec=BORDER["domestic"], label="国内 / domestic"),
            Patch(fc=FILL["target"], ec=BORDER["target"], label="対象 / target"),
            Line2D([], [], color=EDGE_COLOUR, ls=DASHED, label="循環する保有 / cross-holding"),
        ][:self.entries]
        self.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(MARGIN, top),
                       bbox_transform=self.ax.transData, prop=self.font, frameon=False,
                       borderaxespad=0, ncols=self.per_row, handlelength=2.2)


def ownership_svg(nodes: Sequence[Node], edges: Sequence[Edge], target: str,
                  foreign_paths: Sequence[Sequence[str]], *, title: str = "",
                  max_nodes: int = 80) -> bytes:
    """The target's owners as SVG: the target at the bottom, owners in layers above, the
    foreign paths in red with their shares. Same input, same bytes. Beyond `max_nodes`
    the foreign-path nodes and the target's largest direct owners are kept and the title
    says how many were left out (as do nodes that do not own the target at all)."""
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    by_id = _check(nodes, edges, target, foreign_paths)
    highlighted = highlighted_edges(foreign_paths)
    owners = _owners_of(edges, highlighted)
    kept = _select(owners, target, foreign_paths, max_nodes)
    layout = _layout(kept, edges, owners, target)
    omitted = len(by_id) - len(layout.layer)
    heading = title + (f" (+{omitted} more / ほか{omitted}件)" if omitted else "")
    heading = heading.strip()
    buf = io.BytesIO()
    with _RENDER_LOCK, matplotlib.rc_context({"svg.fonttype": "path",
                                              "svg.hashsalt": "hozen-ownership"}):
        fig = Figure()
        FigureCanvasSVG(fig)
        sketch = _Sketch(fig, layout, highlighted, heading)
        sketch.edges()
        sketch.nodes(by_id, target, {path[0] for path in foreign_paths})
        sketch.key()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = _presentation_attributes(buf.getvalue())
    return _with_title(svg, heading or "所有関係図 / ownership graph",
                       f"{len(layout.layer)} nodes, {len(foreign_paths)} foreign paths")


_STYLE = re.compile(rb' style="([^"]*)"')
_CSS_ELEMENT = re.compile(rb"<style[^>]*>.*?</style>", re.S)


def _presentation_attributes(svg: bytes) -> bytes:
    """matplotlib writes `style="stroke: #c62828; ..."`; a page whose Content Security
    Policy allows no inline style ignores those, and the picture turns black. SVG takes
    the same properties as presentation attributes, which no policy blocks: rewrite each
    declaration as an attribute (and drop the <style> element of defaults)."""
    def attributes(match: re.Match) -> bytes:
        pairs = [d.split(b":", 1) for d in match.group(1).split(b";") if b":" in d]
        return b"".join(b' %s="%s"' % (k.strip(), v.strip()) for k, v in pairs)
    return _STYLE.sub(attributes, _CSS_ELEMENT.sub(b"", svg))


def _with_title(svg: bytes, title: str, desc: str) -> bytes:
    """Add the accessible name: role="img" and a <title> first inside <svg>."""
    head, sep, rest = svg.partition(b"<svg ")
    opening, close, body = rest.partition(b">")
    extra = f"\n <title>{escape(title)}</title>\n <desc>{escape(desc)}</desc>".encode()
    return head + sep + b'role="img" ' + opening + close + extra + body

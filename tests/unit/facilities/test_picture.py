"""Unit tests of the ownership picture (facilities/picture.py): well-formed, deterministic
SVG; the highlight colour on exactly the foreign-path edges, found by their element ids;
cycles; the node cap; Japanese text really drawn as glyphs; the id scheme and labels."""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from hozen.facilities.picture import (
    HIGHLIGHT,
    Edge,
    Node,
    edge_gid,
    highlighted_edges,
    node_gid,
    ownership_svg,
    pct_label,
)

SVG = "{http://www.w3.org/2000/svg}"
NODES = [
    Node("target", "株式会社保全テクノロジー", "JPN", "target"),
    Node("holding", "保全ホールディングス株式会社", "JPN", "organisation"),
    Node("us_parent", "Acme Defense Holdings Inc.", "USA", "organisation"),
    Node("fund", "日本投資ファンド", "JPN", "organisation"),
    Node("person-1", "個人株主 (GBR)", "GBR", "person"),
]
EDGES = [
    Edge("holding", "target", 60, 60),
    Edge("us_parent", "holding", 40, 55),
    Edge("fund", "target", 20, 20),
    Edge("fund", "holding", 10, 10),
    Edge("person-1", "target", 5, 5),
    Edge("us_parent", "target", 3, 3),
]
PATHS = [["us_parent", "holding", "target"], ["us_parent", "target"], ["person-1", "target"]]


@pytest.fixture(scope="module")
def svg() -> bytes:
    return ownership_svg(NODES, EDGES, "target", PATHS, title="所有関係図")


def _groups(svg: bytes, prefix: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(prefix)}


def _strokes(group: ET.Element) -> set[str]:
    return {m for path in group.iter(f"{SVG}path")
            for m in re.findall(r"(#[0-9a-f]{6})", path.get("stroke", ""))}


def test_is_well_formed_svg_with_an_accessible_title(svg):
    assert svg.startswith(b"<?xml")
    assert b"<svg" in svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == "所有関係図"


def test_same_input_gives_the_same_bytes(svg):
    assert ownership_svg(NODES, EDGES, "target", PATHS, title="所有関係図") == svg
    assert b"<dc:date>" not in svg


def test_threads_rendering_at_once_get_the_same_bytes(svg):
    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(lambda _: ownership_svg(NODES, EDGES, "target", PATHS,
                                                        title="所有関係図"), range(4)))
    assert all(out == svg for out in outputs)


def test_every_node_and_edge_has_its_id(svg):
    assert set(_groups(svg, "node-")) == {node_gid(n.id) for n in NODES}
    assert set(_groups(svg, "edge-")) == {edge_gid(e.owner, e.owned) for e in EDGES}


def test_the_highlight_colour_marks_exactly_the_foreign_path_edges(svg):
    hot = {edge_gid(*pair) for pair in highlighted_edges(PATHS)}
    assert hot == {"edge-us__parent-holding", "edge-holding-target",
                   "edge-us__parent-target", "edge-person_2d_1-target"}
    for gid, group in _groups(svg, "edge-").items():
        assert (_strokes(group) == {HIGHLIGHT}) == (gid in hot), gid
        assert (HIGHLIGHT in _strokes(group)) == (gid in hot), gid
    for group in _groups(svg, "node-").values():
        assert HIGHLIGHT not in _strokes(group)


def test_highlighted_edges_carry_their_share():
    shares = ET.fromstring(ownership_svg(NODES, EDGES, "target", PATHS))
    ids = {g.get("id") for g in shares.iter(f"{SVG}g")}
    assert {"share-us__parent-holding", "share-holding-target"} <= ids


def test_a_cross_holding_renders_with_one_edge_dashed():
    nodes = [Node("t", "対象", "JPN", "target"), Node("a", "A社", "JPN", "organisation"),
             Node("b", "B社", "USA", "organisation")]
    edges = [Edge("a", "t", 50, 50), Edge("a", "b", 30, 30), Edge("b", "a", 20, 20)]
    svg = ownership_svg(nodes, edges, "t", [["b", "a", "t"]])
    groups = _groups(svg, "edge-")
    assert set(groups) == {"edge-a-t", "edge-a-b", "edge-b-a"}
    dashed = {gid for gid, g in groups.items()
              if any(p.get("stroke-dasharray") for p in g.iter(f"{SVG}path"))}
    assert dashed == {"edge-a-b"}  # b-a lies on the foreign path: it is kept in the layering
    assert _strokes(groups["edge-b-a"]) == {HIGHLIGHT}


def test_a_cycle_through_the_target_renders():
    nodes = [Node("t", "対象", "JPN", "target"), Node("a", "A社", "JPN", "organisation")]
    svg = ownership_svg(nodes, [Edge("a", "t", 50, 50), Edge("t", "a", 10, 10)], "t", [])
    assert set(_groups(svg, "edge-")) == {"edge-a-t", "edge-t-a"}


def test_past_the_cap_foreign_paths_and_direct_owners_stay_and_the_title_counts_the_rest():
    nodes = [Node("t", "対象", "JPN", "target")]
    edges, paths = [], []
    for i in range(1, 200):  # a chain of 10 under each of 20 direct owners
        owned = "t" if i % 10 == 1 else f"n{i - 1}"
        nodes.append(Node(f"n{i}", f"会社{i}", "USA" if i == 199 else "JPN", "organisation"))
        edges.append(Edge(f"n{i}", owned, 10, 10))
    paths.append([f"n{i}" for i in range(199, 190, -1)] + ["t"])
    svg = ownership_svg(nodes, edges, "t", paths, title="大規模")
    drawn = set(_groups(svg, "node-"))
    assert len(drawn) == 80
    assert {node_gid(i) for i in paths[0]} <= drawn
    assert {node_gid(f"n{i}") for i in range(1, 200, 10)} <= drawn
    title = ET.fromstring(svg).find(f"{SVG}title").text
    assert title.startswith("大規模") and "+120" in title


def test_owners_of_nothing_drawn_are_counted_as_left_out():
    nodes = [*NODES, Node("sub", "子会社", "JPN", "organisation")]
    svg = ownership_svg(nodes, [*EDGES, Edge("target", "sub", 100, 100)], "target", PATHS)
    assert "+1" in ET.fromstring(svg).find(f"{SVG}title").text


def _glyphs(svg: bytes) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {p.get("id"): p.get("d") for p in root.iter(f"{SVG}path")
            if p.get("id", "").startswith("NotoSansCJK")}


def test_japanese_labels_are_drawn_as_distinct_cjk_glyphs():
    def picture(label: str) -> bytes:
        nodes = [Node("t", "対象", "JPN", "target"), Node("a", label, "JPN", "organisation")]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns of a glyph missing from the font
            return ownership_svg(nodes, [Edge("a", "t", 50, 50)], "t", [])
    japanese, latin = _glyphs(picture("審査機構")), _glyphs(picture("ZZZZ"))
    new = {gid: d for gid, d in japanese.items() if gid not in latin}
    assert len(new) == 4  # one outline per character, not a shared missing-glyph box
    assert len(set(new.values())) == 4 and all(d.strip() for d in new.values())
    assert b"<text" not in picture("審査機構")  # text is paths: no font needed to view


def test_names_are_drawn_as_given_not_parsed_as_mathtext():
    nodes = [Node("t", r"$\undefined{x}$ & <Co>", "JPN", "target"),
             Node("a", "A$1$ Fund_{x}", "USA", "organisation")]
    svg = ownership_svg(nodes, [Edge("a", "t", 50, 50)], "t", [["a", "t"]],
                        title="<script>&$x$")
    assert ET.fromstring(svg).find(f"{SVG}title").text == "<script>&$x$"


def test_ids_are_css_safe_and_never_collide():
    assert edge_gid("a-b", "c") != edge_gid("a", "b-c")
    assert node_gid("x_2d_") != node_gid("x-")
    for node_id in ["us_parent", "株式会社", "a b", "7", "a__b"]:
        assert re.fullmatch(r"node-[A-Za-z0-9_]+", node_gid(node_id))


def test_highlighted_edges_are_the_consecutive_pairs():
    assert highlighted_edges([["f", "h", "t"], ["f", "t"], ["g", "h", "t"]]) == {
        ("f", "h"), ("h", "t"), ("f", "t"), ("g", "h")}
    assert highlighted_edges([]) == set()


@pytest.mark.parametrize(("share", "votes", "label"), [
    (50, 50, "50%"), (33.3333, 40, "33.33% / 40%"), (12.5, 12.5, "12.5%"),
    (0.001, 0, "<0.01% / 0%"), (50.001, 50.0, "50%"),
])
def test_edge_labels(share, votes, label):
    assert pct_label(Edge("a", "b", share, votes)) == label


@pytest.mark.parametrize(("edges", "paths"), [
    ([Edge("x", "target", 10, 10)], []),  # unknown owner
    ([Edge("holding", "target", 10, 10)] * 2, []),  # the same holding twice
    (EDGES, [["fund", "us_parent", "target"]]),  # a path off the edges
    (EDGES, [["us_parent", "holding"]]),  # a path not ending at the target
])
def test_inconsistent_input_is_refused(edges, paths):
    with pytest.raises(ValueError):
        ownership_svg(NODES, edges, "target", paths)


def test_carries_no_inline_style_a_strict_content_security_policy_would_drop(svg):
    # the page's policy is style-src 'self': styles must be presentation attributes
    assert b"style=" not in svg and b"<style" not in svg
    root = ET.fromstring(svg)
    assert any(p.get("fill") for p in root.iter(f"{SVG}path"))

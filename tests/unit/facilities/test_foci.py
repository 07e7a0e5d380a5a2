"""Unit tests of the pure FOCI rules (facilities/foci.py): effective foreign ownership and
voting power through chains, diamonds, cross-holdings and closed cycles (hand-checked,
the arithmetic in the comments), dual nationals, the thresholds at and just below their
values, input validation, foreign paths, and properties on random graphs checked against
a dense numpy solve."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hozen.facilities.foci import (
    Exposure,
    Holding,
    Organisation,
    OwnershipGraph,
    Person,
    Thresholds,
    assess,
    effective_foreign,
    foreign_paths,
    ntib_only,
)
from hozen.policy import load_policy

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THRESHOLDS = Thresholds.from_policy(load_policy().foci)
TOL = 1e-9


def org(id_: str, country: str = "JPN") -> Organisation:
    return Organisation(id_, country)


def graph(orgs: list[Organisation], holdings: list[Holding],
          persons: Iterable[Person] = ()) -> OwnershipGraph:
    return OwnershipGraph(orgs, persons, holdings)


def exposure(share: dict[str, float], total: float, voting: dict[str, float] | None = None,
             total_voting: float | None = None) -> Exposure:
    return Exposure("x", share, share if voting is None else voting, total,
                    total if total_voting is None else total_voting)


# --- hand-checked graphs -----------------------------------------------------------------


def test_the_policy_numbers_are_read_from_the_policy_file():
    expected = Thresholds(5.0, 25.0, frozenset({"USA", "CAN", "GBR", "AUS", "NZL"}))
    assert expected == THRESHOLDS


def test_a_single_level_equals_the_direct_shares():
    g = graph([org("A"), org("F", "USA")], [Holding("F", "A", 30), Holding("c", "A", 10)],
              [Person("c", {"CHN"})])
    a = effective_foreign(g)["A"]
    assert a.share_pct == {"USA": 30.0, "CHN": 10.0}
    assert a.total_share_pct == pytest.approx(40.0, abs=TOL)


def test_a_chain_multiplies_the_shares():
    # USA corp holds 60% of A, A holds 50% of B: B is 0.6 * 0.5 = 30% USA
    g = graph([org("A"), org("B"), org("F", "USA")],
              [Holding("F", "A", 60), Holding("A", "B", 50)])
    b = effective_foreign(g)["B"]
    assert b.share_pct["USA"] == pytest.approx(30.0, abs=TOL)
    assert b.total_share_pct == pytest.approx(30.0, abs=TOL)


def test_a_diamond_sums_the_paths():
    # F holds 50% of A and 40% of B; A holds 30% of C, B holds 20% of C:
    # C = 0.5 * 0.3 + 0.4 * 0.2 = 0.15 + 0.08 = 23%
    g = graph([org("A"), org("B"), org("C"), org("F", "USA")],
              [Holding("F", "A", 50), Holding("F", "B", 40), Holding("A", "C", 30),
               Holding("B", "C", 20)])
    assert effective_foreign(g)["C"].share_pct["USA"] == pytest.approx(23.0, abs=TOL)


def cross_holding() -> OwnershipGraph:
    return graph([org("A"), org("B"), org("F", "USA")],
                 [Holding("A", "B", 20), Holding("B", "A", 30), Holding("F", "A", 50),
                  Holding("F", "B", 10)])


def test_a_cross_holding_is_solved_not_summed_over_endless_paths():
    # x_A = 0.5 + 0.3 x_B and x_B = 0.1 + 0.2 x_A
    # => x_A = 0.5 + 0.3 (0.1 + 0.2 x_A) = 0.53 + 0.06 x_A => x_A = 0.53 / 0.94 = 56.3830%
    # => x_B = 0.1 + 0.2 * 0.53 / 0.94 = (0.094 + 0.106) / 0.94 = 0.2 / 0.94 = 21.2766%
    found = effective_foreign(cross_holding())
    assert found["A"].share_pct["USA"] == pytest.approx(100 * 0.53 / 0.94, abs=TOL)
    assert found["B"].share_pct["USA"] == pytest.approx(100 * 0.2 / 0.94, abs=TOL)
    assert found["B"].total_voting_pct == pytest.approx(100 * 0.2 / 0.94, abs=TOL)


def test_a_closed_cycle_has_no_foreign_exposure_and_the_rest_is_still_solved():
    # A and B hold 100% of each other: nothing flows in from outside, so zero (I - A
    # is singular there); C, held 50% by A and 50% by F, is 50% USA
    g = graph([org("A"), org("B"), org("C"), org("F", "USA")],
              [Holding("A", "B", 100), Holding("B", "A", 100), Holding("A", "C", 50),
               Holding("F", "C", 50)])
    found = effective_foreign(g)
    assert found["A"].total_share_pct == found["B"].total_share_pct == 0.0
    assert found["A"].share_pct == {}
    assert found["C"].share_pct == {"USA": pytest.approx(50.0, abs=TOL)}


def test_a_dual_national_counts_for_each_foreign_country_and_once_in_the_total():
    # JPN+USA 10% and USA+GBR 5%: USA 15%, GBR 5%, total 15%; a JPN-only 20% is domestic
    persons = [Person("d", {"JPN", "USA"}), Person("e", {"USA", "GBR"}), Person("j", {"JPN"})]
    g = graph([org("A")], [Holding("d", "A", 10), Holding("e", "A", 5), Holding("j", "A", 20)],
              persons)
    a = effective_foreign(g)["A"]
    assert a.share_pct == {"USA": pytest.approx(15.0), "GBR": pytest.approx(5.0)}
    assert a.total_share_pct == pytest.approx(15.0, abs=TOL)


def test_voting_power_is_computed_apart_from_shares():
    # F: 10% of A's shares but 60% of its votes; A: 50% of B's shares, 70% of its votes.
    # B: shares 0.1 * 0.5 = 5%, votes 0.6 * 0.7 = 42%
    g = graph([org("A"), org("B"), org("F", "CHN")],
              [Holding("F", "A", 10, 60), Holding("A", "B", 50, 70)])
    b = effective_foreign(g)["B"]
    assert b.share_pct["CHN"] == pytest.approx(5.0, abs=TOL)
    assert b.voting_pct["CHN"] == pytest.approx(42.0, abs=TOL)
    assert assess(b, [], None, None, THRESHOLDS).reasons == (
        "country_share:CHN", "country_voting:CHN", "total_voting")


def test_above_a_foreign_organisation_the_graph_is_not_followed():
    # X (JPN) holds 50% of F (USA) and C (CHN) 50%: F's 40% of A is still wholly USA
    g = graph([org("A"), org("X"), org("F", "USA"), org("C", "CHN")],
              [Holding("X", "F", 50), Holding("C", "F", 50), Holding("F", "A", 40)])
    found = effective_foreign(g)
    assert found["A"].share_pct == {"USA": pytest.approx(40.0)}
    assert found["F"].share_pct == {"USA": 100.0}
    assert found["X"].total_share_pct == 0.0


def test_two_holdings_by_one_owner_are_summed():
    # two share classes: 10% + 15% = 25%
    g = graph([org("A"), org("F", "USA")], [Holding("F", "A", 10), Holding("F", "A", 15)])
    assert effective_foreign(g)["A"].share_pct["USA"] == pytest.approx(25.0, abs=TOL)


def test_decimal_percentages_are_accepted():
    g = graph([org("A"), org("F", "USA")], [Holding("F", "A", Decimal("12.5"))])
    assert effective_foreign(g)["A"].share_pct["USA"] == 12.5


def test_a_target_is_solved_on_its_ancestors_alone_with_the_same_result():
    g = graph([org("A"), org("B"), org("Z"), org("F", "USA")],
              [Holding("F", "A", 60), Holding("A", "B", 50), Holding("F", "Z", 5)])
    assert list(effective_foreign(g, ["B"])) == ["B"]
    assert effective_foreign(g, ["B"])["B"] == effective_foreign(g)["B"]
    assert effective_foreign(g, []) == {}
    with pytest.raises(ValueError, match="unknown organisation 'nope'"):
        effective_foreign(g, ["nope"])


# --- the assessment ----------------------------------------------------------------------


@pytest.mark.parametrize(("share", "flagged"), [(5.0, True), (4.999999999999999, True),
                                                (4.99, False)])
def test_one_country_reaching_5_percent_is_flagged(share, flagged):
    found = assess(exposure({"USA": share}, share), [], None, None, THRESHOLDS)
    assert found.flagged is flagged
    assert found.reasons == (("country_share:USA", "country_voting:USA") if flagged else ())


def test_a_computed_exact_5_percent_reaches_the_threshold():
    # 0.5 * 0.1 = 5% USA, whatever the float rounding
    g = graph([org("A"), org("B"), org("F", "USA")],
              [Holding("F", "A", 50), Holding("A", "B", 10)])
    assert assess(effective_foreign(g)["B"], [], None, None, THRESHOLDS).flagged


@pytest.mark.parametrize(("total", "flagged"), [(25.0, True), (24.99, False)])
def test_the_total_reaching_25_percent_is_flagged(total, flagged):
    # six countries below 5% each: only the total can flag
    share = {c: total / 6 for c in ("USA", "CHN", "GBR", "KOR", "DEU", "FRA")}
    found = assess(exposure(share, total), [], None, None, THRESHOLDS)
    assert found.flagged is flagged
    assert found.reasons == (("total_share", "total_voting") if flagged else ())


def test_voting_alone_can_flag():
    found = assess(exposure({"USA": 1.0}, 1.0, {"USA": 30.0}, 30.0), [], None, None,
                   THRESHOLDS)
    assert found.reasons == ("country_voting:USA", "total_voting")


def test_a_foreign_board_member_is_flagged():
    board = [Person("m1", {"JPN"}), Person("m2", {"JPN", "KOR"})]
    found = assess(exposure({}, 0.0), board, None, None, THRESHOLDS)
    assert (found.flagged, found.reasons, found.foreign_board_ids) == (
        True, ("foreign_board",), ("m2",))
    assert not assess(exposure({}, 0.0), board[:1], None, None, THRESHOLDS).flagged


def test_declared_debt_and_revenue_are_shown_as_notices_that_do_not_flag():
    found = assess(exposure({}, 0.0), [], 25, Decimal("24.99"), THRESHOLDS)
    assert (found.flagged, found.notices) == (False, ("foreign_debt",))
    assert (found.declared_debt_pct, found.declared_revenue_pct) == (25.0, 24.99)
    assert assess(exposure({}, 0.0), [], None, 80, THRESHOLDS).notices == ("foreign_revenue",)
    assert assess(exposure({}, 0.0), [], None, None, THRESHOLDS).notices == ()
    with pytest.raises(ValueError, match="declared_debt_pct"):
        assess(exposure({}, 0.0), [], 101, None, THRESHOLDS)


def test_ntib_only():
    assert ntib_only(exposure({"USA": 30.0, "GBR": 2.0}, 32.0), THRESHOLDS.ntib_countries)
    assert not ntib_only(exposure({"USA": 30.0, "CHN": 2.0}, 32.0), THRESHOLDS.ntib_countries)
    assert not ntib_only(exposure({}, 0.0, {"CHN": 1.0}, 1.0), THRESHOLDS.ntib_countries)
    assert ntib_only(exposure({}, 0.0), THRESHOLDS.ntib_countries)  # no foreign owner
    assert assess(exposure({"USA": 30.0}, 30.0), [], None, None, THRESHOLDS).ntib_only


# --- validation --------------------------------------------------------------------------


def test_holdings_summing_over_100_percent_are_rejected_naming_the_organisation():
    with pytest.raises(ValueError, match="'A'.*exceed 100%"):
        graph([org("A"), org("F", "USA")], [Holding("F", "A", 60), Holding("p", "A", 50)],
              [Person("p", {"JPN"})])
    with pytest.raises(ValueError, match="votes held in organisation 'A'"):
        graph([org("A"), org("F", "USA"), org("G", "USA")],
              [Holding("F", "A", 10, 60), Holding("G", "A", 10, 50)])
    # within the tolerance: rounding of the three thirds
    g = graph([org("A"), org("B"), org("C"), org("D")],
              [Holding(o, "A", 100 / 3 + 1e-12) for o in ("B", "C", "D")])
    assert effective_foreign(g)["A"].total_share_pct == 0.0


@pytest.mark.parametrize(("build", "message"), [
    (lambda: graph([org("A")], [Holding("nobody", "A", 5)]), "unknown owner"),
    (lambda: graph([org("A")], [Holding("A", "p", 5)], [Person("p", {"JPN"})]),
     "not an organisation"),
    (lambda: graph([org("A"), org("A")], []), "unique"),
    (lambda: graph([org("A")], [], [Person("A", {"JPN"})]), "unique"),
    (lambda: Holding("A", "A", 5), "cannot hold itself"),
    (lambda: Holding("A", "B", 100.5), r"\[0, 100\]"),
    (lambda: Holding("A", "B", 5, -1), "voting_pct"),
    (lambda: Holding("A", "B", float("nan")), "share_pct"),
    (lambda: Organisation("A", "usa"), "alpha-3"),
    (lambda: Person("p", set()), "no nationality"),
    (lambda: Person("p", {"JP"}), "alpha-3"),
])
def test_invalid_inputs_are_rejected(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- foreign paths -----------------------------------------------------------------------


def test_foreign_paths_of_a_diamond_largest_first():
    g = graph([org("A"), org("B"), org("C"), org("F", "USA")],
              [Holding("F", "A", 50), Holding("F", "B", 40), Holding("A", "C", 30),
               Holding("B", "C", 20)])
    found = foreign_paths(g, "C")
    assert [p.ids for p in found.paths] == [("F", "A", "C"), ("F", "B", "C")]
    assert [p.share_pct for p in found.paths] == pytest.approx([15.0, 8.0])
    assert found.paths[0].countries == ("USA",)
    assert not found.truncated
    assert foreign_paths(g, "C", max_paths=1).truncated


def test_foreign_paths_through_a_cross_holding_are_simple():
    # F -> B directly (10%) and F -> A -> B (0.5 * 0.2 = 10%); no path goes round A <-> B
    found = foreign_paths(cross_holding(), "B")
    assert sorted(p.ids for p in found.paths) == [("F", "A", "B"), ("F", "B")]
    assert [p.share_pct for p in found.paths] == pytest.approx([10.0, 10.0])
    assert foreign_paths(cross_holding(), "F").paths == ()


def test_foreign_paths_need_a_known_organisation():
    with pytest.raises(ValueError, match="unknown organisation 'p'"):
        foreign_paths(graph([org("A")], [], [Person("p", {"USA"})]), "p")


def test_foreign_paths_stop_at_the_step_bound():
    found = foreign_paths(cross_holding(), "B", max_steps=1)
    assert found.paths == () and found.truncated


# --- properties on random graphs ---------------------------------------------------------

COUNTRIES = ("USA", "CHN", "GBR")


@st.composite
def graphs(draw, *, max_pct: int = 100, org_owners: bool = True, acyclic: bool = False):
    """Up to 12 domestic organisations, a few foreign ones and persons; every domestic
    organisation's incoming shares and votes each sum to at most `max_pct` (few draws, for
    speed: edges as index tuples, weights scaled to a drawn total per organisation)."""
    n = draw(st.integers(1, 12))
    domestic = [org(f"d{i}") for i in range(n)]
    foreign = [org(f"f{k}", c) for k, c in
               enumerate(draw(st.lists(st.sampled_from(COUNTRIES), max_size=3)))]
    nationalities = st.frozensets(st.sampled_from(("JPN", *COUNTRIES)), min_size=1, max_size=2)
    persons = [Person(f"p{k}", s)
               for k, s in enumerate(draw(st.lists(nationalities, max_size=3)))]
    owners = [o.id for o in foreign] + [p.id for p in persons]
    owners += [o.id for o in domestic] if org_owners else []
    if not owners:
        return OwnershipGraph(domestic)
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, len(owners) - 1),
                                    st.integers(0, 99)), max_size=2 * n + 2))
    # one draw gives both weights: shares w // 10, votes w % 10
    edges = [(f"d{t}", owners[o], w // 10, w % 10) for t, o, w in edges
             if owners[o] != f"d{t}" and not (acyclic and owners[o][0] == "d"
                                               and int(owners[o][1:]) <= t)]
    totals = draw(st.lists(st.tuples(st.integers(0, max_pct), st.integers(0, max_pct)),
                           min_size=n, max_size=n))
    weight = {}
    for t, _, s, v in edges:
        weight[t] = np.add(weight.get(t, (0, 0)), (s, v))

    def scaled(w: int, k: int, t: str) -> float:
        return totals[int(t[1:])][k] * w / weight[t][k] if weight[t][k] else 0.0

    holdings = [Holding(o, t, scaled(s, 0, t), scaled(v, 1, t)) for t, o, s, v in edges]
    return OwnershipGraph(domestic + foreign, persons, holdings)


def dense_reference(g: OwnershipGraph, votes: bool) -> dict[str, np.ndarray]:
    """x = (I - A)^-1 D by numpy on the dense system, columns COUNTRIES then the total."""
    ids = [o.id for o in g.organisations if o.country == "JPN"]
    row = {id_: i for i, id_ in enumerate(ids)}
    of = {o.id: {o.country} for o in g.organisations if o.country != "JPN"}
    of |= {p.id: p.nationalities - {"JPN"} for p in g.persons if p.nationalities - {"JPN"}}
    a, d = np.zeros((len(ids), len(ids))), np.zeros((len(ids), len(COUNTRIES) + 1))
    for h in g.holdings:
        value = float(h.votes_pct if votes else h.share_pct) / 100
        if h.owner_id in row:
            a[row[h.owned_id], row[h.owner_id]] += value
        for c in of.get(h.owner_id, ()):
            d[row[h.owned_id], COUNTRIES.index(c)] += value
        if h.owner_id in of:
            d[row[h.owned_id], -1] += value
    x = np.linalg.solve(np.eye(len(ids)) - a, d) * 100
    return {id_: x[i] for i, id_ in enumerate(ids)}


def figures(e: Exposure, votes: bool) -> list[float]:
    per_country = e.voting_pct if votes else e.share_pct
    return [per_country.get(c, 0.0) for c in COUNTRIES] + [
        e.total_voting_pct if votes else e.total_share_pct]


@PROPS
@given(graphs())
def test_exposure_is_within_0_and_100_and_no_country_exceeds_the_total(g):
    for e in effective_foreign(g).values():
        for votes in (False, True):
            *per_country, total = figures(e, votes)
            assert 0.0 <= total <= 100.0
            assert all(0.0 <= v <= total + TOL for v in per_country)


@PROPS
@given(graphs(max_pct=99))
def test_exposure_matches_a_dense_solve(g):
    found = effective_foreign(g)
    for votes in (False, True):
        for id_, expected in dense_reference(g, votes).items():
            assert figures(found[id_], votes) == pytest.approx(list(expected), abs=TOL)


@PROPS
@given(graphs(org_owners=False))
def test_one_level_exposure_is_the_direct_share(g):
    found = effective_foreign(g)
    for votes in (False, True):
        for id_, expected in dense_reference(g, votes).items():  # here x = D exactly
            assert figures(found[id_], votes) == pytest.approx(list(expected), abs=TOL)


@PROPS
@given(graphs(max_pct=90), st.data())
def test_adding_a_foreign_holding_never_lowers_any_exposure(g, data):
    domestic = [o.id for o in g.organisations if o.country == "JPN"]
    owned = data.draw(st.sampled_from(domestic))
    country = data.draw(st.sampled_from(COUNTRIES))
    pct, votes_pct = data.draw(st.floats(0, 10)), data.draw(st.floats(0, 10))
    more = OwnershipGraph((*g.organisations, org("new", country)), g.persons,
                          (*g.holdings, Holding("new", owned, pct, votes_pct)))
    before, after = effective_foreign(g), effective_foreign(more)
    for id_ in domestic:
        for votes in (False, True):
            for old, new in zip(figures(before[id_], votes), figures(after[id_], votes),
                                strict=True):
                assert new >= old - TOL


@PROPS
@given(graphs(), st.data())
def test_a_target_alone_is_solved_as_in_the_whole_graph(g, data):
    target = data.draw(st.sampled_from([o.id for o in g.organisations]))
    alone, whole = effective_foreign(g, [target])[target], effective_foreign(g)[target]
    for votes in (False, True):
        assert figures(alone, votes) == pytest.approx(figures(whole, votes), abs=TOL)


@PROPS
@given(graphs(max_pct=80), st.integers(2, 4), st.data())
def test_a_closed_group_passes_nothing_on(g, size, data):
    # a ring holding 100% of itself, each member also holding up to 20% / size of others
    domestic = [o.id for o in g.organisations if o.country == "JPN"]
    ring = [org(f"r{k}") for k in range(size)]
    extra = [Holding(f"r{k}", f"r{(k + 1) % size}", 100) for k in range(size)]
    extra += [Holding(f"r{k}", data.draw(st.sampled_from(domestic)), 20 / size)
              for k in range(size)]
    with_ring = OwnershipGraph((*g.organisations, *ring), g.persons, (*g.holdings, *extra))
    before, after = effective_foreign(g), effective_foreign(with_ring)
    for o in ring:
        assert figures(after[o.id], False) == figures(after[o.id], True) == [0.0] * 4
    for id_ in domestic:
        for votes in (False, True):
            assert figures(after[id_], votes) == pytest.approx(figures(before[id_], votes),
                                                               abs=TOL)


@PROPS
@given(graphs(acyclic=True))
def test_without_cycles_the_foreign_paths_sum_to_the_exposure(g):
    found = effective_foreign(g)
    for o in g.organisations:
        if o.country != "JPN":
            continue
        paths = foreign_paths(g, o.id, max_paths=10_000)
        assert not paths.truncated
        for votes in (False, True):
            summed = [0.0] * (len(COUNTRIES) + 1)
            for p in paths.paths:
                value = p.voting_pct if votes else p.share_pct
                for c in p.countries:
                    summed[COUNTRIES.index(c)] += value
                summed[-1] += value
            assert summed == pytest.approx(figures(found[o.id], votes), abs=TOL)

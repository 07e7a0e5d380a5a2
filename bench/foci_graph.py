"""Benchmark of the FOCI computation (hozen.facilities.foci) on a random ownership graph.

    .venv/bin/python bench/foci_graph.py [--orgs 10000] [--seed 1]

The graph is deterministic for a seed: organisations on levels 0..10, each held by about
three owners, mostly from higher levels; 5% of the holdings close cycles (the owner on the
same or a lower level); foreign terminal owners of several countries;
domestic, foreign and dual-national persons; two closed pairs holding 100% of each other;
every organisation's incoming shares at most 100%. Timed: the whole graph (best of 3, the
graph rebuilt each time so indexing is included) and one target's assessment. The last
line is one JSON object with every figure."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

from hozen.facilities.foci import (
    Holding,
    Organisation,
    OwnershipGraph,
    Person,
    Thresholds,
    assess,
    effective_foreign,
    foreign_paths,
)

LEVELS = 10
COUNTRIES = ("USA", "CHN", "GBR", "KOR", "DEU", "SGP", "FRA", "TWN")
CYCLE_SHARE = 0.05
THRESHOLDS = Thresholds(5.0, 25.0, frozenset({"USA", "CAN", "GBR", "AUS", "NZL"}))


def build_inputs(orgs: int, seed: int) -> tuple[list, list, list, int]:
    """Organisations, persons and holdings of a random graph, and how many organisation
    holdings run against the levels (owner on the same or a lower level: cycle closers)."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, LEVELS + 1, size=orgs)
    pools = {"above": [np.flatnonzero(level > k) for k in range(LEVELS + 1)],
             "not_above": [np.flatnonzero(level <= k) for k in range(LEVELS + 1)]}
    organisations = [Organisation(f"o{i}") for i in range(orgs)]
    foreign = [Organisation(f"f{k}", COUNTRIES[k % len(COUNTRIES)]) for k in range(orgs // 40)]
    persons = [Person(f"p{k}", _nationalities(rng)) for k in range(orgs // 10)]
    closed = [(orgs - 4, orgs - 3), (orgs - 2, orgs - 1)]  # held 100% by each other
    closed_ids = {i for pair in closed for i in pair}
    holdings, cycle_edges = [], 0
    for i in range(orgs):
        if i in closed_ids:
            continue
        owners = {}
        for _ in range(max(1, rng.poisson(3))):
            owner, closes = _owner(rng, int(level[i]), pools, foreign, persons)
            if owner != f"o{i}":
                owners[owner] = closes
        cycle_edges += sum(owners.values())
        weights = rng.dirichlet(np.ones(len(owners))) * rng.uniform(50.0, 100.0)
        for owner, w in zip(sorted(owners), weights, strict=True):
            votes = w if rng.random() < 0.8 else rng.uniform(0.0, w)  # some non-voting
            holdings.append(Holding(owner, f"o{i}", float(w), float(votes)))
    for a, b in closed:
        holdings += [Holding(f"o{a}", f"o{b}", 100.0), Holding(f"o{b}", f"o{a}", 100.0)]
    return organisations + foreign, persons, holdings, cycle_edges


def _nationalities(rng: np.random.Generator) -> set[str]:
    roll = rng.random()
    if roll < 0.8:
        return {"JPN"}
    if roll < 0.9:
        return {"JPN", str(rng.choice(COUNTRIES))}  # a dual national
    return {str(rng.choice(COUNTRIES))}


def _owner(rng: np.random.Generator, own_level: int, pools: dict, foreign: list,
           persons: list) -> tuple[str, bool]:
    """An owner for an organisation on `own_level`, and whether it is a cycle closer."""
    roll = rng.random()
    if roll < CYCLE_SHARE:
        pool = pools["not_above"][own_level]
        return f"o{pool[rng.integers(len(pool))]}", True
    if roll < CYCLE_SHARE + 0.08:
        return foreign[rng.integers(len(foreign))].id, False
    pool = pools["above"][own_level]
    if roll < CYCLE_SHARE + 0.25 or not len(pool):
        return persons[rng.integers(len(persons))].id, False
    return f"o{pool[rng.integers(len(pool))]}", False


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    organisations, persons, holdings, cycle_edges = build_inputs(args.orgs, args.seed)
    generate_s = time.perf_counter() - start

    def whole() -> dict:
        return effective_foreign(OwnershipGraph(organisations, persons, holdings))

    solve_all_s, exposures = best_of(3, whole)
    graph = OwnershipGraph(organisations, persons, holdings)
    target = "o0"

    def single() -> object:
        fresh = OwnershipGraph(organisations, persons, holdings)
        exposure = effective_foreign(fresh, [target])[target]
        return assess(exposure, [], 0.0, 0.0, THRESHOLDS)

    single_s, assessment = best_of(3, single)
    effective_foreign(graph, [target])  # index built: the warm case
    warm_s, _ = best_of(3, lambda: effective_foreign(graph, [target]))
    paths_s, paths = best_of(3, lambda: foreign_paths(graph, target, max_paths=50))

    domestic = [e for e in exposures.values() if not e.org_id.startswith("f")]
    flagged = sum(assess(e, [], None, None, THRESHOLDS).flagged for e in domestic)
    figures = {
        "orgs": args.orgs,
        "foreign_orgs": len(organisations) - args.orgs,
        "persons": len(persons),
        "edges": len(holdings),
        "cycle_edges": cycle_edges,
        "seed": args.seed,
        "generate_s": round(generate_s, 4),
        "solve_all_s": round(solve_all_s, 4),
        "single_target_ms": round(single_s * 1000, 2),
        "single_target_warm_ms": round(warm_s * 1000, 2),
        "foreign_paths_ms": round(paths_s * 1000, 2),
        "target_paths": len(paths.paths),
        "target_total_share_pct": round(assessment.exposure.total_share_pct, 4),
        "target_flagged": assessment.flagged,
        "flagged": flagged,
        "max_total_share_pct": round(max(e.total_share_pct for e in domestic), 4),
    }
    print(f"{args.orgs} organisations, {len(holdings)} holdings "
          f"({cycle_edges} closing cycles), {len(persons)} persons, seed {args.seed}")
    print(f"whole graph: {solve_all_s:.3f} s (best of 3); "
          f"{flagged} of {len(domestic)} domestic organisations flagged")
    print(f"one target ({target}): {single_s * 1000:.1f} ms cold, {warm_s * 1000:.1f} ms warm; "
          f"total foreign share {assessment.exposure.total_share_pct:.2f}%, "
          f"reasons {', '.join(assessment.reasons) or 'none'}")
    print(f"foreign paths to {target}: {len(paths.paths)} in {paths_s * 1000:.1f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

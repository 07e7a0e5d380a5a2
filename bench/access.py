"""Benchmark of the access decision (hozen.access.rules.decide_access) against the same
rules in Cedar (cedarpy, hozen.access.cedar) and in Casbin (pycasbin, an ABAC model below).

    .venv/bin/python bench/access.py [--cases 100000] [--seed 20261126] [--repeat 3]

The requests are the differential test's near misses (tests/unit/access/
test_cedar_differential.py: distinct, about a quarter permits, every reason code alone in
thousands). Each engine is timed on all of them (best of --repeat; Casbin --casbin-repeat),
and the timed runs' answers must agree with decide_access on every request (Cedar on
the reasons too, Casbin on permit/deny) before a figure is printed:
- decide_access: a loop over pre-built (subject, item, context) triples;
- cedarpy: is_authorized_batch over chunks, the policies parsed once; each chunk's
  request dicts and entity JSON are pre-built, Cedar parses the entities in the timed call
  (each request brings its own attributes, as decide_access's do). `cedarpy_eval_only`
  pre-parses the entities too: Cedar's evaluation alone;
- casbin: Enforcer.enforce per request, custom functions registered with add_function.
Latency: every decide_access call timed alone with perf_counter_ns (the run of --repeat
with the lowest median), less the median of the same loop around a no-op. The last line
is one JSON object with every figure."""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import casbin
import cedarpy

from hozen.access import cedar
from hozen.access.rules import CESI, CUI, HOME, SDS, Context, Item, Subject, decide_access

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 10_000  # Cedar requests per batch
Case = tuple[Subject, Item, Context]

# The rules of decide_access as a Casbin ABAC matcher: attributes read off the request
# objects, set logic in functions registered with add_function.
CASBIN_MODEL = f"""
[request_definition]
r = sub, obj, ctx, act

[policy_definition]
p = act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.act == p.act && (r.obj.rank < {CUI} \\
  || r.obj.rank == {CUI} && (r.sub.cui_authorized || r.sub.clearance_rank > 0 \\
     && r.sub.clearance_status == "active" && r.sub.clearance_until >= r.ctx.today) \\
     && subset(r.obj.compartments, r.sub.briefed) && !r.sub.departed \\
     && nationality_ok(r.sub.nationalities, \\
                       r.sub.visit_approved || r.sub.partner_agreement, r.obj.releasable) \\
  || r.obj.rank >= {CESI} && !r.obj.lapsed && r.sub.clearance_rank >= r.obj.rank \\
     && r.sub.clearance_status == "active" && r.sub.clearance_until >= r.ctx.today \\
     && (r.sub.government || r.sub.facility_rank >= r.obj.rank \\
         && r.sub.foci_rank >= r.obj.rank \\
         && !(r.obj.rank == {SDS} && r.sub.national_interest_needed)) \\
     && has(r.sub.handles, r.obj.item_id) && subset(r.obj.compartments, r.sub.briefed) \\
     && r.sub.training_due > r.ctx.today && r.ctx.area_rank >= r.obj.rank \\
     && !r.sub.departed \\
     && nationality_ok(r.sub.nationalities, r.sub.visit_approved, r.obj.releasable) \\
     && !r.sub.foreign_unrecognised)
"""


def _subset(a: frozenset, b: frozenset) -> bool:
    return a <= b


def _has(a: frozenset, x: str) -> bool:
    return x in a


def _nationality_ok(nationalities: frozenset, visit: bool, releasable: frozenset) -> bool:
    return HOME in nationalities or (visit and not nationalities.isdisjoint(releasable))


def casbin_enforcer() -> casbin.Enforcer:
    logging.getLogger("casbin").setLevel(logging.ERROR)  # it logs every denial as a warning
    model = casbin.Enforcer.new_model(text=CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_policy("read")
    for name, fn in (("subset", _subset), ("has", _has), ("nationality_ok", _nationality_ok)):
        enforcer.add_function(name, fn)
    return enforcer


def near_misses(n: int, seed: int) -> list[Case]:
    """The differential test's cases (loaded from its file: tests/ is not installed)."""
    path = ROOT / "tests" / "unit" / "access" / "test_cedar_differential.py"
    spec = importlib.util.spec_from_file_location("cedar_differential", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.near_misses(n, seed)


def _chunks(cases: Sequence[Case]) -> list[tuple[list[dict], str]]:
    """Per chunk: the request dicts and the entity JSON Cedar is handed."""
    out = []
    for start in range(0, len(cases), CHUNK):
        part = cases[start:start + CHUNK]
        entities = [e for s, i, _ in part for e in cedar.entities(s, i)]
        out.append(([cedar.request(s, i, c) for s, i, c in part], json.dumps(entities)))
    return out


def _timed(repeat: int, run: Callable[[], list]) -> tuple[float, list]:
    """The best time of `repeat` runs, and the last run's answers."""
    best, answers = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        answers = run()
        best = min(best, time.perf_counter() - started)
    return best, answers


def _noop(s: Subject, i: Item, c: Context) -> None:
    return None


def _latencies_ns(fn: Callable, cases: Sequence[Case]) -> list[int]:
    clock = time.perf_counter_ns
    out = [0] * len(cases)
    for k, (s, i, c) in enumerate(cases):
        started = clock()
        fn(s, i, c)
        out[k] = clock() - started
    return out


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--casbin-repeat", type=int, default=1)  # about 100 s a run
    args = parser.parse_args()

    cases = near_misses(args.cases, args.seed)
    n = len(cases)
    expected = [decide_access(*case) for case in cases]
    permits = sum(d.permit for d in expected)
    print(f"{n} distinct requests, {permits} permits")

    policies = cedar.policy_set()
    chunks = _chunks(cases)
    parsed = [(requests, cedarpy.Entities.from_json_str(entities))
              for requests, entities in chunks]
    enforcer = casbin_enforcer()

    def run_decide() -> list:
        return [decide_access(s, i, c) for s, i, c in cases]

    def run_cedar(batches: list = chunks) -> list:
        return [r for requests, entities in batches
                for r in cedarpy.is_authorized_batch(requests, policies, entities)]

    def run_casbin() -> list[bool]:
        enforce = enforcer.enforce
        return [enforce(s, i, c, c.action) for s, i, c in cases]

    decide_s, _ = _timed(args.repeat, run_decide)
    cedar_s, cedar_results = _timed(args.repeat, run_cedar)
    cedar_eval_s, _ = _timed(args.repeat, lambda: run_cedar(parsed))
    casbin_s, casbin_results = _timed(args.casbin_repeat, run_casbin)

    # The timed runs' own answers must agree before any figure is reported.
    cedar_agree = sum((d.permit, frozenset(d.reasons)) == (r.allowed, cedar.reasons_of(r))
                      for d, r in zip(expected, cedar_results, strict=True))
    assert cedar_agree == n, f"cedarpy agrees on {cedar_agree} of {n}"
    print(f"cedarpy agrees with decide_access on {cedar_agree} of {n} (decision and reasons)")
    casbin_agree = sum(d.permit == got for d, got in zip(expected, casbin_results,
                                                          strict=True))
    assert casbin_agree == n, f"casbin agrees on {casbin_agree} of {n}"
    print(f"casbin agrees with decide_access on {casbin_agree} of {n} (permit/deny)")

    noop = min(statistics.median(_latencies_ns(_noop, cases)) for _ in range(args.repeat))
    timed = min((_latencies_ns(decide_access, cases) for _ in range(args.repeat)),
                key=statistics.median)  # the quietest of the runs, as for throughput
    calls = sorted(timed)
    median_us = (statistics.median(calls) - noop) / 1000
    p99_us = (_percentile(calls, 0.99) - noop) / 1000
    # A permit is one expression; a denial walks the conditions to name each failure.
    permit_us, deny_us = ((statistics.median(t for t, d in zip(timed, expected, strict=True)
                                             if d.permit is permit) - noop) / 1000
                          for permit in (True, False))

    figures = {
        "cases": n, "permits": permits,
        "cedarpy_agree_cases": cedar_agree, "casbin_agree_cases": casbin_agree,
        "decide_access_per_s": round(n / decide_s), "cedarpy_per_s": round(n / cedar_s),
        "cedarpy_eval_only_per_s": round(n / cedar_eval_s),
        "casbin_per_s": round(n / casbin_s),
        "ratio_cedarpy_x": round(cedar_s / decide_s, 1),
        "ratio_cedarpy_eval_only_x": round(cedar_eval_s / decide_s, 1),
        "ratio_casbin_x": round(casbin_s / decide_s, 1),
        "median_us": round(median_us, 3), "p99_us": round(p99_us, 3),
        "median_permit_us": round(permit_us, 3), "median_deny_us": round(deny_us, 3),
        "timer_overhead_ns": noop,
    }
    print(f"decide_access {figures['decide_access_per_s']:,}/s; "
          f"cedarpy {figures['cedarpy_per_s']:,}/s ({figures['ratio_cedarpy_x']}x slower; "
          f"evaluation alone {figures['cedarpy_eval_only_per_s']:,}/s, "
          f"{figures['ratio_cedarpy_eval_only_x']}x); "
          f"casbin {figures['casbin_per_s']:,}/s ({figures['ratio_casbin_x']}x slower)")
    print(f"decide_access latency: median {median_us:.3f} us (permits {permit_us:.3f}, "
          f"denials {deny_us:.3f}), p99 {p99_us:.3f} us (timer overhead {noop} ns subtracted)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

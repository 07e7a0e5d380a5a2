"""Load test (issue 11): a running `hozen serve` on 127.0.0.1 driven with a mixed workload
for a bounded time and count, then checked for lost writes and a broken audit chain.

The workload is what a window officer and a company security officer do at their desks:
access checks (POST /api/v1/access/check over a working set of a few hundred people and
items), reads (mostly non-personal: organisations, designations, items, countries; some
personal: a case file or a person's record, each of which writes an audit event) and case
updates (a burden record on a case by the window; a reportable event about a member of
staff by the company). Each write carries its own X-Request-ID and returns the id of the
row it created. Requests are due at a fixed rate (open loop: latency counted from the
moment a request was due, so a slow server cannot hide its queue).

Afterwards every acknowledged (2xx) write is looked up in the database: missing rows are
lost writes; each must also have its audit event (same request id and tag), and the bench
users' rows must equal their audit events. `hozen audit verify` must pass. Printed:
requests, throughput, p50/p99 overall and per kind, errors (non-2xx, 5xx, transport,
unsent), lost writes, chain verified, and the CPU time per request of server, PostgreSQL
and this client (a cost that shows even on a busy machine); the last line is the JSON of
every figure. Exit status 1 on a lost or unaudited write or a broken chain.

By default PostgreSQL (fsync on) is started afresh, filled by `hozen generate`, and
`hozen serve` runs pinned with taskset; this process pins itself to its own core. With
--url and --database-url it drives a server already running on that database instead.

    .venv/bin/python bench/load.py [--people 10000] [--rate 1000] [--seconds 10]
        [--max-requests 100000] [--workers 1] [--server-cpus 1] [--client-cpu 0]
        [--mix checks=60,reads=30,writes=10] [--url URL --database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import loadgen  # noqa: E402

BIN = Path(sys.executable).parent
KINDS = ("checks", "reads", "writes")
PERSONAL_READS = 0.2  # share of reads that open personal data (each one audited)
WRITE_TAGS = {"burden": "clearances:burden:create", "event": "clearances:event:create"}


@dataclass
class Callers:
    """Who calls and what they ask about: two bench users with API tokens and the
    working set of ids drawn from the database."""

    window_token: str
    company_token: str
    window_user: str
    company_user: str
    cases: list[str]
    people: list[str]
    staff: list[str]  # people employed by the company officer's organisation
    items: list[str]
    organisations: list[str]
    designations: list[str]


def _sample(s, column, n: int, *where) -> list[str]:
    from sqlalchemy import func, select

    return list(s.scalars(select(column).where(*where).order_by(func.random()).limit(n)))


def prepare(url: str, *, working_set: int = 300) -> Callers:
    """A window officer and a company security officer (of the organisation employing
    the most people), each with an API token; a working set of ids to ask about."""
    from sqlalchemy import func, select

    from hozen.accounts.actor import Actor
    from hozen.accounts.permissions import Role
    from hozen.accounts.services import create_token, create_user
    from hozen.clearances.models import ClearanceCase
    from hozen.db import get_engine_for_url, session_factory
    from hozen.designations.models import Designation, Item
    from hozen.registry.models import Organisation, Person

    run = secrets.token_hex(3)
    with session_factory(get_engine_for_url(url))() as s:
        gov = s.scalar(select(Organisation.id).where(Organisation.kind == "government_body")
                       .order_by(Organisation.id).limit(1))
        company = s.scalar(select(Person.employer_id).where(Person.employer_id.is_not(None))
                           .group_by(Person.employer_id)
                           .order_by(func.count().desc(), Person.employer_id).limit(1))
        users = {}
        for name, org, role in (("window", gov, Role.WINDOW_OFFICER),
                                ("company", company, Role.COMPANY_SECURITY_OFFICER)):
            username = f"load-{name}-{run}"
            users[name] = create_user(s, username=username, password=secrets.token_urlsafe(16),
                                      display_name=f"load {name}", organisation_id=org,
                                      roles=[role], actor=Actor.system()).id
            s.commit()
            users[name + "_token"] = create_token(s, username, "load", actor=Actor.system(),
                                                  days=1)
            s.commit()
        callers = Callers(
            window_token=users["window_token"], company_token=users["company_token"],
            window_user=users["window"], company_user=users["company"],
            cases=_sample(s, ClearanceCase.id, working_set),
            people=_sample(s, Person.id, working_set),
            staff=_sample(s, Person.id, working_set, Person.employer_id == company),
            items=_sample(s, Item.id, working_set),
            organisations=_sample(s, Organisation.id, 50),
            designations=_sample(s, Designation.id, 50))
        s.rollback()
    missing = [k for k, v in vars(callers).items() if isinstance(v, list) and not v]
    if missing:
        raise SystemExit(f"the database has none of: {', '.join(missing)}")
    return callers


def parse_mix(text: str) -> dict[str, int]:
    """"checks=60,reads=30,writes=10" -> weights; unknown kinds or no weight refused."""
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in KINDS or not weight.strip().isdigit():
            raise SystemExit(f"--mix: {part!r} is not one of {KINDS} = a whole number")
        mix[kind.strip()] = int(weight)
    if not sum(mix.values()):
        raise SystemExit("--mix: every weight is 0")
    return mix


@dataclass
class Run:
    """What was sent and answered, per kind, and the writes the server acknowledged."""

    result: loadgen.Result | None = None
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter] = field(default_factory=dict)
    acked: list[tuple[str, str, str]] = field(default_factory=list)  # (write, id, request id)
    sent_writes: dict[int, tuple[str, str]] = field(default_factory=dict)


class Workload:
    """Request i of a run, its kind drawn from the mix (seeded, so reproducible)."""

    def __init__(self, c: Callers, mix: dict[str, int], seed: int) -> None:
        self.c, self.rng = c, random.Random(seed)
        self.kinds = [k for k in KINDS for _ in range(mix.get(k, 0))]
        self.run = Run(latencies_ms={k: [] for k in KINDS},
                       statuses={k: Counter() for k in KINDS})
        self.prefix = f"load-{secrets.token_hex(4)}-"
        self.kind_of: dict[int, str] = {}
        self.window = {"Authorization": f"Bearer {c.window_token}"}
        self.company = {"Authorization": f"Bearer {c.company_token}"}
        self.today = date.today()

    def make(self, i: int) -> loadgen.Request:
        kind = self.kind_of[i] = self.rng.choice(self.kinds)
        return getattr(self, kind)(i)

    def checks(self, _i: int) -> loadgen.Request:
        c, rng = self.c, self.rng
        if rng.random() < 0.2:  # the company asks about its own staff
            who, person = self.company, rng.choice(c.staff)
        else:
            who, person = self.window, rng.choice(c.people)
        body = {"person_id": person, "item_id": rng.choice(c.items)}
        return ("POST", "/api/v1/access/check", who | {"Content-Type": "application/json"},
                json.dumps(body).encode())

    def reads(self, _i: int) -> loadgen.Request:
        c, rng = self.c, self.rng
        if rng.random() < PERSONAL_READS:
            who, path = rng.choice([
                (self.window, f"/api/v1/clearance-cases/{rng.choice(c.cases)}"),
                (self.window, f"/api/v1/people/{rng.choice(c.people)}"),
                (self.company, f"/api/v1/people/{rng.choice(c.staff)}")])
        else:
            who, path = rng.choice([
                (self.window, "/api/v1/organisations?limit=50"),
                (self.window, f"/api/v1/organisations/{rng.choice(c.organisations)}"),
                (self.window, "/api/v1/designations?limit=20"),
                (self.company, "/api/v1/designations?limit=20"),
                (self.window, f"/api/v1/designations/{rng.choice(c.designations)}"),
                (self.window, f"/api/v1/items/{rng.choice(c.items)}"),
                (self.company, "/api/v1/countries")])
        return "GET", path, who, b""

    def writes(self, i: int) -> loadgen.Request:
        c, rng = self.c, self.rng
        rid = f"{self.prefix}{i}"
        if i % 2:
            write, who = "burden", self.window
            path = f"/api/v1/clearance-cases/{rng.choice(c.cases)}/burden"
            body = {"step": "load test", "party": "window", "minutes": rng.randint(1, 240)}
        else:
            write, who, path = "event", self.company, "/api/v1/reportable-events"
            body = {"person_id": rng.choice(c.staff), "kind": "foreign_travel",
                    "occurred_on": (self.today - timedelta(days=rng.randint(1, 300))).isoformat(),
                    "details": "load test: travel abroad"}
        self.run.sent_writes[i] = (write, rid)
        return ("POST", path, who | {"Content-Type": "application/json", "X-Request-ID": rid},
                json.dumps(body).encode())

    def heard(self, i: int, status: int, body: bytes, latency_ms: float) -> None:
        kind = self.kind_of[i]
        self.run.statuses[kind][status] += 1
        if status:
            self.run.latencies_ms[kind].append(latency_ms)
        if kind == "writes" and 200 <= status < 300:
            write, rid = self.run.sent_writes[i]
            self.run.acked.append((write, json.loads(body)["id"], rid))


def drive(base: str, c: Callers, *, mix: dict[str, int], rate: float, seconds: float,
          max_requests: int, connections: int = 64, seed: int = 1) -> Run:
    """One open-loop run of the mixed workload against `base`."""
    w = Workload(c, mix, seed)
    w.run.result = loadgen.open_loop(base, w.make, rate=rate, seconds=seconds,
                                     connections=connections, on_response=w.heard,
                                     max_requests=max_requests)
    return w.run


def cpu_seconds(root: int) -> float:
    """CPU time of process `root` and its descendants, living and reaped (Linux /proc):
    on a busy machine the cost per request still shows when the wall-clock rate does not."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(entry.name)] = (int(fields[1]), sum(map(int, fields[11:15])))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo += [child for child, (ppid, _) in stats.items() if ppid == pid]
    return total / os.sysconf("SC_CLK_TCK")


def _chunks(xs: list, n: int = 500):
    for k in range(0, len(xs), n):
        yield xs[k:k + n]


def check(url: str, c: Callers, acked: list[tuple[str, str, str]], env: dict, *,
          chain: bool = True) -> dict:
    """Lost writes (acknowledged, not in the database), unaudited writes (no audit event
    of their request and tag; or bench rows and audit events differing in number) and,
    if `chain`, `hozen audit verify` against the database at `url`."""
    from sqlalchemy import func, select

    from hozen.audit.models import AuditEvent
    from hozen.clearances.models import BurdenRecord, ReportableEvent
    from hozen.db import get_engine_for_url, session_factory

    tables = {"burden": (BurdenRecord, BurdenRecord.recorded_by, c.window_user),
              "event": (ReportableEvent, ReportableEvent.reported_by, c.company_user)}
    lost = unaudited = 0
    with session_factory(get_engine_for_url(url))() as s:
        for write, (model, by, user) in tables.items():
            mine = [(i, rid) for w, i, rid in acked if w == write]
            found = {x for part in _chunks([i for i, _ in mine])
                     for x in s.scalars(select(model.id).where(model.id.in_(part)))}
            lost += sum(1 for i, _ in mine if i not in found)
            audited = {}
            for part in _chunks([rid for _, rid in mine]):
                audited.update(s.execute(select(AuditEvent.request_id, AuditEvent.details).where(
                    AuditEvent.request_id.in_(part), AuditEvent.tag == WRITE_TAGS[write])).all())
            # an event names the row it made; a burden record's event names its case
            unaudited += sum(1 for i, rid in mine if rid not in audited
                             or (write == "event" and i not in audited[rid]))
            rows = s.scalar(select(func.count()).select_from(model).where(by == user))
            events = s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.actor == f"user:{user}", AuditEvent.tag == WRITE_TAGS[write]))
            unaudited += abs(rows - events)
        s.rollback()
    found = {"writes_acknowledged": len(acked), "writes_lost": lost,
             "writes_unaudited": unaudited}
    if not chain:
        return found
    out = subprocess.run([str(BIN / "hozen"), "audit", "verify"], capture_output=True,
                         text=True, env=env | {"HOZEN_DATABASE_URL": url})
    return found | {"chain_verified": out.returncode == 0,
                    "chain_report": (out.stdout + out.stderr).strip()}


def figures(run: Run) -> dict:
    """Every figure of a run, units in the keys."""
    r = run.result
    lat = [x for k in KINDS for x in run.latencies_ms[k]]
    whole = loadgen.Result(latencies_ms=lat, seconds=r.seconds)
    out = {"requests": r.count + r.errors, "seconds": r.seconds,
           "throughput_req_per_s": whole.rate, "p50_ms": whole.pct(50),
           "p99_ms": whole.pct(99), "errors_non_2xx": r.bad - r.errors - r.unsent,
           "errors_5xx": sum(n for st, n in r.statuses.items() if st >= 500),
           "errors_transport": r.errors, "unsent": r.unsent}
    for k in (k for k in KINDS if run.statuses[k]):  # the kinds of the mix
        one = loadgen.Result(latencies_ms=run.latencies_ms[k])
        sts = run.statuses[k]
        out |= {f"{k}_requests": sum(sts.values()), f"{k}_p50_ms": one.pct(50),
                f"{k}_p99_ms": one.pct(99),
                f"{k}_non_2xx": sum(n for st, n in sts.items() if st and not 200 <= st < 300)}
    return out


def _print(fig: dict, setup: dict) -> None:
    cost = [f"{k[:-15]} {v:.2f}" for k, v in setup.items() if k.endswith("_cpu_ms_per_req")]
    if cost:
        print("CPU ms per answered request: " + ", ".join(cost))
    print(f"\n{fig['requests']:,} requests in {fig['seconds']:.1f} s: "
          f"{fig['throughput_req_per_s']:,.0f} req/s (target {setup['rate_target_req_per_s']:,.0f})"
          f"; p50 {fig['p50_ms']:.1f} ms, p99 {fig['p99_ms']:.1f} ms")
    for k in (k for k in KINDS if f"{k}_requests" in fig):
        print(f"  {k:<7} {fig[f'{k}_requests']:>7,}  p50 {fig[f'{k}_p50_ms']:7.1f} ms  "
              f"p99 {fig[f'{k}_p99_ms']:7.1f} ms  non-2xx {fig[f'{k}_non_2xx']}")
    print(f"errors: non-2xx {fig['errors_non_2xx']} (5xx {fig['errors_5xx']}), transport "
          f"{fig['errors_transport']}, unsent {fig['unsent']}")
    print(f"writes acknowledged {fig['writes_acknowledged']:,}, lost {fig['writes_lost']}, "
          f"unaudited {fig['writes_unaudited']}; audit chain verified: {fig['chain_verified']}")
    print(f"  ({fig['chain_report'].splitlines()[0] if fig['chain_report'] else ''})")


def _measure(args, mix: dict, setup: dict, env: dict, url: str, base: str, pgdir: Path,
             tmp: Path) -> dict:
    """Serve (unless --url), warm up, run, and check; CPU per request into `setup`."""
    import scale

    callers, proc = prepare(url, working_set=args.working_set), None
    try:
        if not args.url:
            proc = scale.serve(env, args.port, args.workers, args.server_cpus,
                               tmp / "serve.log")
        # pinned only now: PostgreSQL and `hozen generate` were not to inherit this core
        os.sched_setaffinity(0, {args.client_cpu})
        acked = []
        if args.warmup:
            acked += drive(base, callers, mix=mix, rate=args.warmup_rate or args.rate,
                           seconds=3600, max_requests=args.warmup, connections=args.connections,
                           seed=args.seed + 1).acked
        roots = {} if args.url else {"server": proc.pid, "postgres": int(
            (pgdir / "data" / "postmaster.pid").read_text().split()[0])}
        before = {k: cpu_seconds(pid) for k, pid in roots.items()}
        before["client"] = time.process_time()
        run = drive(base, callers, mix=mix, rate=args.rate, seconds=args.seconds,
                    max_requests=args.max_requests, connections=args.connections,
                    seed=args.seed)
        after = {k: cpu_seconds(pid) for k, pid in roots.items()}
        after["client"] = time.process_time()
        for k in after:
            setup[f"{k}_cpu_ms_per_req"] = ((after[k] - before[k]) * 1000
                                            / max(1, run.result.count))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    return figures(run) | check(url, callers, acked + run.acked, env)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=10000, help="people to generate")
    p.add_argument("--rate", type=float, default=1000, help="requests due a second")
    p.add_argument("--seconds", type=float, default=10, help="length of the run")
    p.add_argument("--max-requests", type=int, default=100_000, help="at most this many")
    p.add_argument("--warmup", type=int, default=500, help="requests before the run "
                   "(their writes are checked too)")
    p.add_argument("--warmup-rate", type=float, default=0, help="requests due a second "
                   "while warming up (default: the run's own rate, so that the run "
                   "measures a server already carrying its load, not one adapting to it)")
    p.add_argument("--workers", type=int, default=1, help="hozen serve --workers")
    p.add_argument("--server-cpus", default="1", help="taskset CPUs of the server")
    p.add_argument("--pg-cpus", default="", help="taskset CPUs of PostgreSQL (default: unpinned)")
    p.add_argument("--client-cpu", type=int, default=0, help="the CPU of this process")
    p.add_argument("--mix", default="checks=60,reads=30,writes=10")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--working-set", type=int, default=300, help="people, items and cases")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pgport", type=int, default=55451)
    p.add_argument("--pgdir", default="/tmp/hozen-bench-load-pg",
                   help="PostgreSQL data directory (DELETED and created afresh)")
    p.add_argument("--port", type=int, default=8451)
    p.add_argument("--url", help="drive this running server (with --database-url)")
    p.add_argument("--database-url", help="the database of the server at --url")
    args = p.parse_args()
    mix = parse_mix(args.mix)
    if bool(args.url) != bool(args.database_url):
        raise SystemExit("--url and --database-url go together")
    import bulk_import
    import scale

    setup = {"workers": args.workers, "server_cpus": args.server_cpus,
             "client_cpu": args.client_cpu, "rate_target_req_per_s": args.rate,
             "connections": args.connections, "mix": mix}
    tmp = Path(tempfile.mkdtemp(prefix="hozen-load-"))
    pgdir = Path(args.pgdir)
    if args.url:
        env, url, base = dict(os.environ), args.database_url, args.url
    else:
        env = os.environ | {"HOZEN_ENV": "development",
                            "HOZEN_KEY_FILE": str(tmp / "hozen.key"),
                            "HOZEN_CHECKPOINT_KEY_FILE": str(tmp / "checkpoint.key")}
        os.environ.update(HOZEN_KEY_FILE=env["HOZEN_KEY_FILE"], HOZEN_ENV="development")
        base = f"http://127.0.0.1:{args.port}"
        setup |= {"people": args.people, "postgres": f"fsync on ({bulk_import.TUNING})",
                  "postgres_cpus": args.pg_cpus or "unpinned"}
    if args.url:  # its workers and CPUs are not ours to state
        del setup["workers"], setup["server_cpus"]
    print(f"server: {args.url or f'{args.workers} worker(s) on CPU {args.server_cpus}'}; "
          f"load generator on CPU {args.client_cpu}; "
          f"{setup.get('postgres', 'database given')}, CPUs "
          f"{setup.get('postgres_cpus', 'not ours')}; mix {mix}", flush=True)
    try:
        if not args.url:
            url = env["HOZEN_DATABASE_URL"] = scale.create_database(
                bulk_import.start_postgres(args.pgport, pgdir), "load")
            bulk_import.pin_postgres(pgdir, args.pg_cpus)
            for command in (["keys", "init"], ["db", "upgrade"], [
                    "generate", "--people", str(args.people), "--orgs",
                    str(max(50, args.people // 100)), "--items", str(args.people), "--seed",
                    str(args.seed)]):
                scale.hozen(env, *command)
        fig = _measure(args, mix, setup, env, url, base, pgdir, tmp)
    finally:
        if not args.url:
            bulk_import.stop_postgres(pgdir)
    _print(fig, setup)
    report = fig.pop("chain_report")
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v
                      for k, v in (setup | fig).items()}))
    if fig["writes_lost"] or fig["writes_unaudited"] or not fig["chain_verified"]:
        print(report, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

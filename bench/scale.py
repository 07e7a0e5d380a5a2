"""Scaling curves (issue 10): how hozen's costs grow with the workforce it carries.

For each size (default 10k, 100k and 1M people) a fresh PostgreSQL database (fsync on)
is filled by `hozen generate`; a bulk import of as many people into an empty database
is timed; then `hozen serve` (the workers stated, pinned with taskset to the server
cores) answers this process, pinned to a core of its own: list pages and name searches
one request at a time (p95), access checks one at a time (p99) and at a fixed rate (open
loop: p99, achieved rate, lost requests), and the dashboard page (render time). The
people tables and their indexes are first loaded into PostgreSQL's buffers, as in a
running system (a database measured again with --existing would otherwise be read from
disk by its first searches). Prints a
table per size, the ratio of the largest size to the smallest, writes a plot (SVG) and
ends with one line of JSON holding every figure.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--workers 1]
        [--server-cpus 1] [--client-cpu 0] [--rate 1000] [--seconds 10]
        [--samples 400] [--pgport 55470] [--plot docs/scaling.svg]
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
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import bulk_import  # noqa: E402
import loadgen  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "bench-scale-password-2026"


def hozen(env: dict, *args: str) -> str:
    out = subprocess.run([str(BIN / "hozen"), *args], env=env, capture_output=True,
                         text=True)
    if out.returncode:
        raise SystemExit(f"hozen {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def create_database(base_url: str, name: str) -> str:
    admin = base_url.replace("postgresql+psycopg", "postgresql")
    subprocess.run(["psql", "-q", admin, "-c",
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "-c",
                    f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_database(base_url: str, name: str) -> None:
    admin = base_url.replace("postgresql+psycopg", "postgresql")
    subprocess.run(["psql", "-q", admin, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=True, capture_output=True)


def prepare_callers(url: str, samples: int, seed: int) -> dict:
    """A window officer with an API token and a web session; sample people (id, name
    forms, birth date) and items to ask about."""
    from sqlalchemy import func, select

    from hozen.accounts.actor import Actor
    from hozen.accounts.permissions import Role
    from hozen.accounts.services import create_token, create_user, start_session
    from hozen.db import get_engine_for_url, session_factory
    from hozen.designations.models import Item
    from hozen.registry.models import Organisation, Person
    from hozen.registry.services import records_for

    engine = get_engine_for_url(url)
    rng = random.Random(seed)
    with session_factory(engine)() as s:
        gov = s.scalar(select(Organisation.id).where(Organisation.kind == "government_body")
                       .order_by(Organisation.id).limit(1))
        name = f"bench-window-{secrets.token_hex(3)}"  # (a database may be measured twice)
        user = create_user(s, username=name, password=PASSWORD,
                           display_name="bench", organisation_id=gov,
                           roles=[Role.WINDOW_OFFICER], actor=Actor.system())
        s.commit()
        token = create_token(s, name, "bench", actor=Actor.system(), days=30)
        cookie, _ = start_session(s, user, 8)
        s.commit()
        n_people = s.scalar(select(func.count()).select_from(Person))
        n_items = s.scalar(select(func.count()).select_from(Item))
        # random rows without ORDER BY random() over a million: ids at random offsets
        people = [s.scalar(select(Person.id).order_by(Person.id).offset(
            rng.randrange(n_people)).limit(1)) for _ in range(min(samples, 200))]
        items = [s.scalar(select(Item.id).order_by(Item.id).offset(
            rng.randrange(n_items)).limit(1)) for _ in range(min(samples, 200))]
        opened = records_for(s, people, actor=Actor.system("bench"), purpose="benchmark")
        s.commit()
    names = []
    for data in opened.values():
        if data.family_name_kanji and data.given_name_kanji:
            names.append(data.family_name_kanji + " " + data.given_name_kanji)
        if data.family_name_kana:
            names.append(data.family_name_kana)
        if data.family_name_latin and data.given_name_latin:
            names.append(f"{data.given_name_latin} {data.family_name_latin}")
    births = [d.birth_date.isoformat() for d in opened.values()]
    engine.dispose()
    return {"token": token, "cookie": cookie, "people": people, "items": items,
            "names": names, "births": births, "n_people": n_people, "n_items": n_items}


def serve(env: dict, port: int, workers: int, cpus: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        proc = subprocess.Popen(["taskset", "-c", cpus, str(BIN / "hozen"), "serve",
                                 "--host", "127.0.0.1", "--port", str(port), "--workers",
                                 str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"hozen serve did not start; see {log}")


def measure(base: str, c: dict, args, rng: random.Random) -> dict:
    api = {"Authorization": f"Bearer {c['token']}", "Content-Type": "application/json"}
    page = {"Cookie": f"hozen_session={c['cookie']}"}
    lists = [("/api/v1/people?limit=50", api), ("/api/v1/organisations?limit=50", api),
             ("/api/v1/designations", api), ("/api/v1/visits", api),
             ("/api/v1/foreign-assurances", api), ("/people", page),
             ("/organisations", page), ("/designations", page)]

    def listing(i: int) -> loadgen.Request:
        path, headers = lists[i % len(lists)]
        return "GET", path, headers, b""

    def search(i: int) -> loadgen.Request:
        if i % 4 == 3:
            return "GET", f"/api/v1/people?birth_date={rng.choice(c['births'])}", api, b""
        q = quote(rng.choice(c["names"]))
        return ("GET", f"/api/v1/people?q={q}", api, b"") if i % 2 else (
            "GET", f"/people?q={q}", page, b"")

    def check(_i: int) -> loadgen.Request:
        body = json.dumps({"person_id": rng.choice(c["people"]),
                           "item_id": rng.choice(c["items"])}).encode()
        return "POST", "/api/v1/access/check", api, body

    def every_pair(i: int) -> loadgen.Request:  # each sampled person and item asked once
        body = json.dumps({"person_id": c["people"][i % len(c["people"])],
                           "item_id": c["items"][i % len(c["items"])]}).encode()
        return "POST", "/api/v1/access/check", api, body

    for make in (listing, search, check):  # warm the caches and connection pools
        loadgen.closed_loop(base, make, 100)
    loadgen.closed_loop(base, every_pair, max(len(c["people"]), len(c["items"])))
    out = {}
    for name, make in (("list", listing), ("search", search), ("access", check)):
        r = loadgen.closed_loop(base, make, args.samples)
        out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = r.pct(50), r.pct(95)
        out[f"{name}_p99_ms"], out[f"{name}_bad"] = r.pct(99), r.bad
    # the open loop is measured on a server already carrying that load, not one adapting
    # to it (the first seconds after a step from one request at a time are slower)
    loadgen.open_loop(base, check, rate=args.rate, seconds=3, connections=args.connections)
    r = loadgen.open_loop(base, check, rate=args.rate, seconds=args.seconds,
                          connections=args.connections)
    out.update(access_rate_target_per_s=args.rate, access_rate_done_per_s=r.rate,
               access_open_p50_ms=r.pct(50), access_open_p99_ms=r.pct(99),
               access_open_bad=r.bad, access_open_unsent=r.unsent)
    dash = loadgen.closed_loop(base, lambda i: ("GET", "/dashboard", page, b""),
                               args.dashboards)
    out["dashboard_p50_ms"], out["dashboard_max_ms"] = dash.pct(50), max(dash.latencies_ms)
    out["dashboard_bad"] = dash.bad
    return out


# What people lists and searches read: in a running system these stay in memory; after a
# restart (--existing) they would be read from disk by the first searches measured.
HOT = ("person", "person_search_token", "person_nationality")


def prewarm(url: str) -> None:
    """Load the people tables and their indexes into PostgreSQL's buffers (steady state,
    as the access checks are warmed on every sampled pair before they are timed)."""
    from sqlalchemy import text

    from hozen.db import get_engine_for_url

    engine = get_engine_for_url(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
        conn.execute(text(
            "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relname = ANY(:t) OR c.oid IN "
            "(SELECT indexrelid FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid "
            " WHERE r.relname = ANY(:t))"), {"t": list(HOT)})
    engine.dispose()


def measure_served(senv: dict, url: str, n: int, args, tmp: Path, row: dict) -> dict:
    """Start the server on the database, measure, stop it; the row with the figures."""
    callers = prepare_callers(url, args.samples, n)
    prewarm(url)
    proc = serve(senv, args.port, args.workers, args.server_cpus, tmp / f"serve-{n}.log")
    # The load generator on its own core; PostgreSQL (started before) is not pinned.
    os.sched_setaffinity(0, {args.client_cpu})
    try:
        row.update(measure(f"http://127.0.0.1:{args.port}", callers, args, random.Random(n)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.sched_setaffinity(0, range(os.cpu_count() or 1))  # generating uses every core
    return row


def show(row: dict) -> None:
    for k, v in row.items():
        print(f"  {k:<28} {v:,.2f}" if isinstance(v, float) else f"  {k:<28} {v:,}", flush=True)


def restart_postgres(port: int, directory: Path) -> str:
    """Start the PostgreSQL an earlier run left in `directory`, as it was (fsync on)."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.getuid() == 0 else ["sh", "-c"]
    subprocess.run([*as_pg, f"{pgbin}/pg_ctl -D {directory}/data -l {directory}/pg.log -w "
                             f"-t 300 -o \"-c listen_addresses=127.0.0.1 -p {port} "
                             f"-k {directory} {bulk_import.TUNING}\" start >/dev/null"],
                   check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def import_rate(base_url: str, env: dict, n: int, tmp: Path) -> dict:
    """`hozen import` of n people into an empty database (then dropped)."""
    url = create_database(base_url, "scale_import")
    employers = bulk_import.prepare(url, 200, 7)  # the schema and 200 companies
    path = tmp / f"people-{n}.csv"
    bulk_import.write_csv(path, n, 7, employers)
    t0 = time.perf_counter()
    hozen(env | {"HOZEN_DATABASE_URL": url}, "import", str(path), "--batch", "20000")
    seconds = time.perf_counter() - t0
    path.unlink()
    drop_database(base_url, "scale_import")
    return {"import_s": seconds, "import_per_s": n / seconds}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    sizes = [r["people"] for r in rows]
    for key, label in (("list_p95_ms", "list page p95"), ("search_p95_ms", "search p95"),
                       ("access_p99_ms", "access check p99 (one at a time)"),
                       ("access_open_p99_ms", "access check p99 at the target rate")):
        ax.plot(sizes, [r[key] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("people")
    ax.set_ylabel("ms")
    ax.set_title("hozen: latency against the size of the register")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server-cpus", default="1")
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--pg-cpus", default="", help="taskset CPUs of PostgreSQL "
                        "(default: unpinned)")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--dashboards", type=int, default=3, help="dashboard renders")
    parser.add_argument("--pgport", type=int, default=55470)
    parser.add_argument("--port", type=int, default=8470)
    parser.add_argument("--no-import", action="store_true", help="skip the import rate")
    parser.add_argument("--pgdir", default="/tmp/hozen-bench-scale-pg",
                        help="PostgreSQL data directory (created afresh)")
    parser.add_argument("--existing", metavar="KEY_FILE",
                        help="measure the databases scale_<n> an earlier run left in --pgdir "
                             "(generated with this key file): nothing is wiped or generated")
    parser.add_argument("--plot", default="docs/scaling.svg")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="hozen-scale-"))
    pgdir = Path(args.pgdir)
    key_file = args.existing or str(tmp / "hozen.key")
    env = os.environ | {"HOZEN_ENV": "development", "HOZEN_KEY_FILE": key_file,
                        "HOZEN_CHECKPOINT_KEY_FILE": str(tmp / "checkpoint.key")}
    os.environ.update(HOZEN_KEY_FILE=key_file, HOZEN_ENV="development")
    if args.existing:
        base_url = restart_postgres(args.pgport, pgdir)
    else:
        base_url = bulk_import.start_postgres(args.pgport, pgdir)
        hozen(env | {"HOZEN_DATABASE_URL": base_url}, "keys", "init")
    bulk_import.pin_postgres(pgdir, args.pg_cpus)
    print(f"PostgreSQL fsync on ({bulk_import.TUNING}); server: {args.workers} worker(s) "
          f"on CPU {args.server_cpus}; load generator on CPU {args.client_cpu}; PostgreSQL on "
          f"CPU {args.pg_cpus or 'any (unpinned)'}", flush=True)
    rows = []
    try:
        for n in sizes:
            if args.existing:
                url = base_url.rsplit("/", 1)[0] + f"/scale_{n}"
                hozen(env | {"HOZEN_DATABASE_URL": url}, "db", "upgrade")
                rows.append(measure_served(env | {"HOZEN_DATABASE_URL": url}, url, n, args,
                                           tmp, {"people": n}))
                show(rows[-1])
                continue
            url = create_database(base_url, f"scale_{n}")
            senv = env | {"HOZEN_DATABASE_URL": url}
            hozen(senv, "db", "upgrade")
            t0 = time.perf_counter()
            hozen(senv, "generate", "--people", str(n), "--orgs", str(max(50, n // 100)),
                  "--items", str(n), "--seed", "1")
            gen_s = time.perf_counter() - t0
            row = {"people": n, "generate_s": gen_s, "generate_people_per_s": n / gen_s}
            print(f"\n{n:,} people: generated in {gen_s:.1f} s ({n / gen_s:,.0f} people/s)",
                  flush=True)
            if not args.no_import:
                row.update(import_rate(base_url, env, n, tmp))
                print(f"  import of {n:,} people: {row['import_s']:.1f} s "
                      f"({row['import_per_s']:,.0f}/s)", flush=True)
            rows.append(measure_served(senv, url, n, args, tmp, row))
            show(row)
            drop_database(base_url, f"scale_{n}")
    finally:
        bulk_import.stop_postgres(pgdir)
    small, large = rows[0], rows[-1]
    ratios = {f"ratio_{k}": large[k] / small[k] for k in (
        "list_p95_ms", "search_p95_ms", "access_p99_ms") if small[k]}
    print(f"\n{'people':>10} {'list p95':>9} {'search p95':>11} {'check p99':>10} "
          f"{'@rate p99':>10} {'done/s':>7} {'dashboard':>10} {'gen/s':>8}")
    for r in rows:
        print(f"{r['people']:>10,} {r['list_p95_ms']:>9.1f} {r['search_p95_ms']:>11.1f} "
              f"{r['access_p99_ms']:>10.1f} {r['access_open_p99_ms']:>10.1f} "
              f"{r['access_rate_done_per_s']:>7.0f} {r['dashboard_p50_ms']:>10.0f} "
              f"{r.get('generate_people_per_s', float('nan')):>8.0f}")
    for k, v in ratios.items():
        print(f"{k}: {v:.2f} (largest / smallest size)")
    if args.plot:
        plot(rows, Path(args.plot))
        print(f"plot: {args.plot}")
    table = [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
             for r in rows]
    print(json.dumps({"workers": args.workers, "postgres_cpus": args.pg_cpus or "unpinned",
                      "rows": table, **{k: round(v, 3) for k, v in ratios.items()}}))


if __name__ == "__main__":
    main()

"""Benchmark of "what may I see" (hozen.access.visible.accessible_items, behind
GET /api/v1/people/{id}/accessible-items): the first page for each of 1,200 people over
a generated database of 1M information items, on SQLite and on PostgreSQL.

    .venv/bin/python bench/accessible_items.py [--items 1000000] [--people 1200]
        [--seed 20261126] [--sqlite /tmp/hozen-bench-items.db] [--no-sqlite]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:55432/hozen_bench]
        [--reuse] [--check 2]

The database is built through the migrations, then bulk inserted (executemany on SQLite,
COPY on PostgreSQL); --postgres names a database whose public schema the bench drops and
rebuilds. It is deterministic for a seed: one designation per 200 items (CESI 70%, SDS
30%; in force 90%, provisional 4% (a quarter unconfirmed past the deadline), pending
disposition 2%, term ended 2%, downgraded 1%, lifted 1%; releasable to nobody, the USA,
or GBR and the USA), and items that are all marked: classified under those designations,
but one in 10,000 that is CUI (marked CUI without a designation, under a downgraded
designation, lifted out of one, or under a lifted one and still marked CUI). A tenth of
the classified items belong to one or two of 50 programmes (compartments), 5% carry CUI
categories too, 5% are NOFORN, 5% are releasable to the USA themselves. No item is
unmarked: an unmarked item is open to every signed-in user, so with one, nobody would
see none.

The people are hozen.access.rules.Subject values built directly (what
attributes.subject reads from the database), a third in each group:
- "1%": cleared handlers on the handler register for 1.15% of the items (a JPN company
  handler at an SDS facility briefed on 3 programmes; a government official cleared for
  CESI handling CESI items; a US national on an approved visit handling items
  releasable to the USA); the lapsed, the NOFORN and the compartmented they are not
  briefed on stay hidden, so each sees about 1%;
- "0.01%": a CUI authorization, or a clearance without handler entries: the CUI items;
- "none": neither clearance nor CUI authorization; a departed handler; a Korean national
  on an approved visit with a CUI authorization, handler for 0.002% of the items (no
  item is releasable to Korea: every branch of the query runs and finds nothing); a
  handler whose clearance is suspended.
The stress case, reported apart (--stress people): that Korean visitor on the handler
register for 1.15% of the items, every one of which must be read to find none.
Each person's first page (50 items) is timed once, in a shuffled order after a warm-up:
perf_counter around accessible_items, which builds the query, runs it and reads the
rows. The first --check people of each group also have their first page and their
visible share compared with filtering every item through decide_access. The last line
is one JSON object with every figure."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from hozen.access import rules
from hozen.access.rules import CESI, CUI, HOME, SDS, Subject
from hozen.access.visible import accessible_items
from hozen.accounts.models import User
from hozen.db import get_engine_for_url, session_factory, upgrade
from hozen.designations import rules as designation_rules
from hozen.designations.models import Designation, Item
from hozen.designations.services import status_today
from hozen.registry.models import Organisation

PAGE = 50
ITEMS_PER_DESIGNATION = 200
CUI_SHARE = 10_000  # one item in this many is CUI
PROGRAMMES = tuple(f"P{n:02d}" for n in range(50))
GROUPS = {"1%": "sees_1pct", "0.01%": "sees_0_01pct", "none": "sees_none"}
STRESS = "stress"  # handler for 1% of the items, none releasable to their country
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ITEM_COLUMNS = ("id", "title", "kind", "owner_id", "designation_id", "cui_categories",
                "controls", "compartments", "releasable_to", "display_only", "lifted_on",
                "created_by", "created_at")


@dataclass(frozen=True, slots=True)
class DataSet:
    designations: list[dict]
    items: list[tuple]  # ITEM_COLUMNS, in id order
    access: list[rules.Item]  # what decide_access is handed for each item, same order
    org_ids: tuple[str, str]  # (government body, company)
    user_id: str


# --- the data set ---------------------------------------------------------------------------


def _uuid7(rng: random.Random, ms: int) -> str:
    """A UUIDv7 as hozen.db.new_id makes it, at a given millisecond."""
    rand = rng.getrandbits(74)
    value = ms << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ids(rng: random.Random, n: int, years: int = 5) -> list[str]:
    """n sorted ids created over the last `years` years."""
    end = int(NOW.timestamp() * 1000)
    span = years * 365 * 86_400_000
    return sorted(_uuid7(rng, end - rng.randrange(span)) for _ in range(n))


def _designation(rng: random.Random, k: int, today: date, gov: str, user: str) -> dict:
    roll = rng.random()
    status = ("in_force" if roll < 0.90 else "provisional" if roll < 0.94 else
              "pending_disposition" if roll < 0.96 else "ended" if roll < 0.98 else
              "downgraded" if roll < 0.99 else "lifted")
    start = today - timedelta(days=rng.randrange(1, 1500))
    end = today - timedelta(days=rng.randrange(1, 300)) if status == "ended" else \
        start + timedelta(days=5 * 365)
    return {
        "id": None, "reference": f"BENCH-{k:07d}", "title": f"指定 {k}", "agency_id": gov,
        "manager_id": user, "regime": "CESI" if rng.random() < 0.7 else "SDS",
        "category": "key_technologies", "reasons": "bench", "scope_kind": "technology",
        "scope": "bench", "releasable_to": rng.choice(["", "", "", "", "", "", "", "USA",
                                                       "USA", "GBR,USA"]),
        "originator_country": None, "status": "in_force" if status == "ended" else status,
        "provisional": status == "provisional",
        "confirm_by": (today + timedelta(days=30) if rng.random() < 0.75
                       else today - timedelta(days=10)) if status == "provisional" else None,
        "first_start": start, "term_start": start, "term_end": end,
        "cabinet_approved": False, "cabinet_reasons": None,
        "next_review_on": today + timedelta(days=rng.randrange(1, 365)),
        "lifted_on": today - timedelta(days=30) if status == "lifted" else None,
        "created_by": user, "created_at": NOW, "version": 1}


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v for v in (value or "").split(",") if v)


class _Designation:
    """What status_today reads of a designation."""

    __slots__ = ("status", "term_end", "confirm_by", "provisional")

    def __init__(self, row: dict) -> None:
        self.status, self.term_end = row["status"], row["term_end"]
        self.confirm_by, self.provisional = row["confirm_by"], row["provisional"]


def _access_item(row: tuple, d: dict | None, today: date) -> rules.Item:
    """As attributes.item_of reads an item: level, lapse, compartments, releasability."""
    _id, _t, _k, _o, _d, cui, controls, compartments, releasable, _x, lifted_on, *_ = row
    status = status_today(_Designation(d), today) if d else None
    level = designation_rules.item_level(status, d["regime"] if d else None, bool(cui),
                                         lifted=lifted_on is not None)
    to = frozenset() if "NOFORN" in _split(controls) else _split(releasable) | (
        _split(d["releasable_to"]) if d and not releasable else frozenset())
    return rules.Item(item_id=row[0], rank=rules.RANKS[level],
                      lapsed=status is designation_rules.Status.PENDING_DISPOSITION,
                      compartments=_split(compartments), releasable=to)


def build_data(n: int, seed: int, today: date) -> DataSet:
    rng = random.Random(seed)
    gov, company, user = _ids(rng, 3)
    ds = [_designation(rng, k, today, gov, user)
          for k in range(max(20, n // ITEMS_PER_DESIGNATION))]
    for d, i in zip(ds, _ids(rng, len(ds)), strict=True):
        d["id"] = i
    classifying = [d for d in ds if d["status"] in ("in_force", "provisional",
                                                    "pending_disposition")]
    in_force = [d for d in classifying if d["status"] == "in_force"]
    downgraded = [d for d in ds if d["status"] == "downgraded"] or in_force[:1]
    lifted = [d for d in ds if d["status"] == "lifted"] or in_force[:1]
    cui_at = set(rng.sample(range(n), max(8, n // CUI_SHARE)))
    items, access = [], []
    for k, item_id in enumerate(_ids(rng, n)):
        d, lifted_on, compartments = rng.choice(classifying), None, ""
        controls = "NOFORN" if rng.random() < 0.05 else ""
        releasable = "USA" if rng.random() < 0.05 else ""
        if k in cui_at:  # CUI: never compartmented (markings.compartments_classified_only)
            cui = rng.choice(["EXPT", "PRVCY,PROPIN"])
            roll = rng.random()
            if roll < 0.6:
                d = None
            elif roll < 0.8:
                d, cui = rng.choice(downgraded), rng.choice(["", cui])
            elif roll < 0.9:
                d, lifted_on = rng.choice(in_force), today - timedelta(days=7)
            else:
                d = rng.choice(lifted)
        else:
            cui = "EXPT" if rng.random() < 0.05 else ""
            if rng.random() < 0.1:
                compartments = ",".join(sorted(set(rng.sample(PROGRAMMES,
                                                              1 + (rng.random() < 0.2)))))
        row = (item_id, f"資料 {k}", "document", rng.choice((gov, company)),
               d["id"] if d else None, cui, controls, compartments, releasable, "",
               lifted_on, user, NOW)
        items.append(row)
        access.append(_access_item(row, d, today))
    return DataSet(ds, items, access, (gov, company), user)


# --- the people ----------------------------------------------------------------------------


def _cleared(today: int, rank: int = SDS, **kw) -> dict:
    return {"clearance_rank": rank, "clearance_status": "active",
            "clearance_until": today + 1000, "facility_rank": SDS, "foci_rank": SDS,
            "training_due": today + 200} | kw


def build_people(data: DataSet, count: int, stress: int, seed: int, today: date
                 ) -> list[tuple[str, Subject]]:
    """(group, subject): `count` people, a third in each group, kinds in turn; then
    `stress` people of the stress case."""
    rng = random.Random(seed + 1)
    t = today.toordinal()
    n = len(data.access)
    k = max(1, n * 115 // 10_000)  # handler entries: 1.15% of the items, ~1% visible
    few = max(1, n // 50_000)
    classified = [i.item_id for i in data.access if i.rank >= CESI]
    cesi = [i.item_id for i in data.access if i.rank == CESI]
    to_usa = [i.item_id for i in data.access if i.rank >= CESI and "USA" in i.releasable]

    def handles(pool: list[str], size: int = k) -> frozenset[str]:
        return frozenset(rng.sample(pool, min(size, len(pool))))

    def briefed() -> dict:
        codes = frozenset(rng.sample(PROGRAMMES, 3))
        return {"members": codes, "briefed": codes}

    kinds: dict[str, list[Callable[[], dict]]] = {
        "1%": [
            lambda: _cleared(t, handles=handles(classified), **briefed()),
            lambda: _cleared(t, CESI, government=True, facility_rank=0,
                             handles=handles(cesi), **briefed()),
            lambda: _cleared(t, nationalities=frozenset({"USA"}), visit_approved=True,
                             handles=handles(to_usa), **briefed()),
        ],
        "0.01%": [
            lambda: {"cui_authorized": True},
            lambda: _cleared(t, **briefed()),
        ],
        "none": [
            lambda: {},
            lambda: _cleared(t, handles=handles(classified), departed=True, **briefed()),
            lambda: _cleared(t, nationalities=frozenset({"KOR"}), visit_approved=True,
                             cui_authorized=True, handles=handles(classified, few),
                             **briefed()),
            lambda: _cleared(t, clearance_status="suspended", handles=handles(classified)),
        ],
        STRESS: [
            lambda: _cleared(t, nationalities=frozenset({"KOR"}), visit_approved=True,
                             cui_authorized=True, handles=handles(classified), **briefed()),
        ],
    }
    groups = [list(GROUPS)[p % len(GROUPS)] for p in range(count)] + [STRESS] * stress
    people, seen = [], dict.fromkeys(kinds, 0)
    for p, group in enumerate(groups):
        options = kinds[group]
        attrs = options[seen[group] % len(options)]()
        seen[group] += 1
        people.append((group, Subject(person_id=f"bench-{p}", **attrs)))
    return people


# --- loading --------------------------------------------------------------------------------


def _prepare(url: str) -> Engine:
    """An empty database at the head of the migrations (hozen db upgrade)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with get_engine_for_url(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    return get_engine_for_url(url)


def _copy(conn, table: str, columns: Sequence[str], rows) -> None:
    """COPY rows into a PostgreSQL table (the driver's own connection)."""
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def load(url: str, data: DataSet) -> float:
    """Build the database; seconds taken (migrations, inserts, ANALYZE on PostgreSQL)."""
    started = time.perf_counter()
    engine = _prepare(url)
    gov, company = data.org_ids
    with engine.begin() as conn:
        conn.execute(insert(Organisation.__table__), [
            {"id": gov, "kind": "government_body", "name_ja": "省", "name_en": "Ministry",
             "country_code": HOME},
            {"id": company, "kind": "company", "name_ja": "社", "name_en": "Company",
             "country_code": HOME}])
        conn.execute(insert(User.__table__), [
            {"id": data.user_id, "username": "bench", "profile": b"", "password_hash": "-",
             "organisation_id": gov}])
        conn.execute(insert(Designation.__table__), data.designations)
        if engine.dialect.name == "postgresql":
            rows = ((*row[:-1], NOW.replace(tzinfo=None)) for row in data.items)
            _copy(conn, Item.__tablename__, ITEM_COLUMNS, rows)
        else:
            for start in range(0, len(data.items), 50_000):
                conn.execute(insert(Item.__table__), [
                    dict(zip(ITEM_COLUMNS, row, strict=True))
                    for row in data.items[start:start + 50_000]])
    if engine.dialect.name == "postgresql":  # as autovacuum would soon after a load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def item_count(url: str) -> int:
    try:
        with get_engine_for_url(url).connect() as conn:
            return conn.scalar(select(func.count()).select_from(Item))
    except Exception:  # noqa: BLE001 - no database or no schema yet: build it
        return -1


# --- timing ---------------------------------------------------------------------------------


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def time_pages(url: str, people: list[tuple[str, Subject]], today: date, seed: int
               ) -> tuple[dict[int, float], dict[int, list[str]]]:
    """Milliseconds and the first page's ids, by person, timed in a shuffled order."""
    order = list(range(len(people)))
    random.Random(seed + 2).shuffle(order)
    session = session_factory(get_engine_for_url(url))()
    try:
        for p in order[:30]:  # warm-up: connection, caches, compiled statements
            accessible_items(session, people[p][1], today, limit=PAGE)
            session.rollback()
        took, pages = {}, {}
        for p in order:
            s = people[p][1]
            started = time.perf_counter()
            rows = accessible_items(session, s, today, limit=PAGE)
            took[p] = (time.perf_counter() - started) * 1000
            pages[p] = [r[0] for r in rows]
            session.rollback()  # one read transaction a request
        return took, pages
    finally:
        session.close()


def summarise(name: str, people: list[tuple[str, Subject]], took: dict[int, float],
              pages: dict[int, list[str]]) -> dict:
    """p50, p95 and max by group, over the three groups ("all"), and of the stress case."""
    figures = {}
    for group, slug in [*GROUPS.items(), ("all", "all"), (STRESS, STRESS)]:
        members = [p for p, (g, _) in enumerate(people)
                   if g == group or (group == "all" and g in GROUPS)]
        if not members:
            continue
        ms = sorted(took[p] for p in members)
        p50, p95 = statistics.median(ms), _percentile(ms, 0.95)
        prefix = name if slug == "all" else f"{name}_{slug}"
        figures |= {f"{prefix}_p50_ms": round(p50, 2), f"{prefix}_p95_ms": round(p95, 2),
                    f"{prefix}_max_ms": round(ms[-1], 2)}
        size = statistics.mean(len(pages[p]) for p in members)
        print(f"{name} {group:>6}: p50 {p50:7.2f} ms, p95 {p95:7.2f} ms, max {ms[-1]:7.2f} ms"
              f" ({len(members)} people, {size:.1f} items on the first page on average)")
    return figures


def expected(s: Subject, data: DataSet, today: date) -> tuple[list[str], int]:
    """The first page and the count of visible items, by decide_access on every item."""
    ctx = rules.context(today, rules.RANKS["SDS"])
    seen = [i.item_id for i in data.access if rules.decide_access(s, i, ctx).permit]
    return seen[:PAGE], len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=1200)
    parser.add_argument("--stress", type=int, default=60,
                        help="people of the stress case, reported apart")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--sqlite", default="/tmp/hozen-bench-items.db")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--postgres", help="a database the bench may wipe")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database that already holds --items items (same seed)")
    parser.add_argument("--check", type=int, default=3, help="people a group checked")
    args = parser.parse_args()

    from hozen.access.attributes import system_area_rank

    assert system_area_rank() == SDS, "the checks assume the default policy (SDS system)"
    today = NOW.date()
    started = time.perf_counter()
    data = build_data(args.items, args.seed, today)
    generate_s = time.perf_counter() - started
    people = build_people(data, args.people, args.stress, args.seed, today)
    ranks = [i.rank for i in data.access]
    counts = {name: ranks.count(rank) for name, rank in
              (("unmarked", 0), ("cui", CUI), ("cesi", CESI), ("sds", SDS))}
    print(f"{len(data.items):,} items ({counts['cesi']:,} CESI, {counts['sds']:,} SDS, "
          f"{counts['cui']:,} CUI, {counts['unmarked']} unmarked) under "
          f"{len(data.designations):,} designations, generated in {generate_s:.1f} s; "
          f"{args.people} people and {args.stress} of the stress case")
    figures = {"items": len(data.items), "designations": len(data.designations),
               "people": args.people, "stress_people": args.stress, "page_items": PAGE,
               "generate_s": round(generate_s, 1)}
    figures |= {f"{name}_items": c for name, c in counts.items()}

    databases = [] if args.no_sqlite else [("sqlite", f"sqlite:///{args.sqlite}")]
    databases += [("postgres", args.postgres)] if args.postgres else []
    checked = {g: [p for p, (pg, _) in enumerate(people) if pg == g][:args.check]
               for g in [*GROUPS, STRESS]}
    truth = {p: expected(people[p][1], data, today) for ps in checked.values() for p in ps}
    for g, ps in checked.items():
        shares = [100 * truth[p][1] / len(data.items) for p in ps]
        print(f"checked {g:>6}: visible " + ", ".join(f"{x:.4f}%" for x in shares))
        figures[f"check_{GROUPS.get(g, g)}_visible_pct"] = [round(x, 4) for x in shares]
    for name, url in databases:
        if args.reuse and item_count(url) == args.items:
            print(f"{name}: reusing {url}")
        else:
            figures[f"build_{name}_s"] = round(load(url, data), 1)
            print(f"{name}: built in {figures[f'build_{name}_s']} s")
        took, pages = time_pages(url, people, today, args.seed)
        for p, (page, _) in truth.items():  # the timed runs' own pages
            assert pages[p] == page, f"{name}: {people[p][0]} person {p} differs"
        figures[f"{name}_checked_people"] = len(truth)
        figures |= summarise(name, people, took, pages)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

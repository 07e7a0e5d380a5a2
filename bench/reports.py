"""Benchmark of the reports (issue 10: the dashboard in ≤ 1 s at national scale): a
database filled with N synthetic clearance cases — with their investigations, clearances,
burden records and allowances, designations with reviews and proposals, facilities,
incidents, complaints, foreign assurances and audited access decisions — written by fast
Core inserts, the summaries the dashboard reads rebuilt after them; then each report
is built and the window's dashboard drawn as hozen.web.report_pages does it (the tables
it shows built, then their charts as SVG, which are never cached), and drawn once more
with every table of each report built.

    .venv/bin/python bench/reports.py [--cases 100000] [--sqlite-cases N] [--repeat 3]
        [--seed 20261127] [--postgres URL | --pgport 55461] [--no-postgres] [--no-sqlite]
        [--measure-only]

`--postgres URL` names a database the bench may wipe; without it a PostgreSQL is
started as bench/bulk_import.py starts one (fsync on). Printed: the rows written and, per
database, the best of `--repeat` timings of each report and of the dashboard; the last
line is the JSON of every figure (milliseconds unless the key says otherwise)."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000
STATES = (["granted"] * 60 + ["denied"] * 8 + ["submitted"] * 3 + ["investigation"] * 5
          + ["adjudication"] * 3 + ["refused"] * 5 + ["withdrawn"] * 4 + ["listed"] * 7
          + ["draft"] * 5)


def _chunks(rows, size: int = BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn, table, rows) -> int:
    from sqlalchemy import insert

    n = 0
    for batch in _chunks(rows):
        conn.execute(insert(table), batch)
        n += len(batch)
    return n


def fill(url: str, n: int, seed: int) -> dict[str, int]:
    """A fresh schema at head holding `n` cases and what hangs off them; rows per table."""
    from sqlalchemy import text

    from hozen.accounts.models import User as AppUser
    from hozen.clearances.models import (
        BurdenRecord,
        Clearance,
        ClearanceCase,
        Complaint,
        Investigation,
    )
    from hozen.db import get_engine_for_url, new_id, upgrade
    from hozen.designations.models import Designation, Proposal, Review
    from hozen.facilities.models import Facility, Incident
    from hozen.registry.models import Organisation, Person
    from hozen.reports.models import ClearanceAllowance

    rng = random.Random(seed)
    engine = get_engine_for_url(url)
    if url.startswith("postgresql"):
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    counts: dict[str, int] = {}
    with engine.begin() as c:
        gov = [new_id() for _ in range(5)]
        companies = [new_id() for _ in range(200)]
        counts["organisation"] = _insert(c, Organisation.__table__, (
            {"id": i, "kind": "government_body" if i in gov else rng.choice(
                ("company", "company", "university", "research_institute")),
             "name_ja": f"組織{k}", "name_en": f"Org {k}", "country_code": "JPN",
             "created_at": now, "updated_at": now} for k, i in enumerate(gov + companies)))
        user = new_id()
        c.execute(AppUser.__table__.insert(), {"id": user, "username": "bench",
                  "profile": b"x", "password_hash": "x", "organisation_id": gov[0]})
        people = [new_id() for _ in range(n)]
        counts["person"] = _insert(c, Person.__table__, (
            {"id": p, "pii": b"x", "employer_id": rng.choice(companies)} for p in people))

        def case_rows():
            for k, person in enumerate(people):
                state = rng.choice(STATES)
                created = now - timedelta(days=rng.uniform(5, 3 * 365))
                consented = created + timedelta(days=rng.uniform(0, 10)) if state not in (
                    "listed", "refused") else None
                submitted = consented + timedelta(days=rng.uniform(0, 20)) if (
                    consented and state != "draft") else None
                decided = submitted + timedelta(days=rng.uniform(5, 120)) if (
                    submitted and state in ("granted", "denied")) else None
                if decided and decided > now:
                    decided = now
                reused = submitted is not None and k % 7 == 0
                inv = None
                if submitted and not reused and state not in ("submitted",):
                    completed = (decided - timedelta(days=rng.uniform(0, 4))).date() if (
                        decided) else None
                    inv = {"id": new_id(), "person_id": person, "regime": "CESI",
                           "opened_at": submitted + timedelta(days=1), "completed_on": completed}
                yield inv, {
                    "id": new_id(), "person_id": person, "regime": "CESI" if k % 4 else "SDS",
                    "sponsor_id": gov[k % 5], "employer_id": rng.choice(companies),
                    "listed_by": user, "state": state, "investigation_id": inv and inv["id"],
                    "reused_investigation": reused, "created_at": created,
                    "consented_at": consented, "submitted_at": submitted,
                    "decided_at": decided, "updated_at": decided or submitted or created}

        cases: list[tuple[str, str, datetime | None]] = []
        counts["investigation"] = counts["clearance_case"] = 0
        for batch in _chunks(case_rows()):
            invs = [i for i, _ in batch if i]
            if invs:
                c.execute(Investigation.__table__.insert(), invs)
            c.execute(ClearanceCase.__table__.insert(), [cs for _, cs in batch])
            counts["investigation"] += len(invs)
            counts["clearance_case"] += len(batch)
            cases += [(cs["id"], cs["person_id"], cs["decided_at"]) for _, cs in batch
                      if cs["state"] == "granted"] + [(cs["id"], cs["person_id"], None)
                                                      for _, cs in batch[:1]]
        granted = [x for x in cases if x[2] is not None]
        counts["clearance"] = _insert(c, Clearance.__table__, (
            {"id": new_id(), "person_id": p, "case_id": cid, "regime": "CESI",
             "sponsor_id": gov[0], "granted_on": d.date(), "status": "active",
             "valid_until": today + timedelta(days=rng.randint(-30, 3650))}
            for cid, p, d in granted))
        counts["burden_record"] = _insert(c, BurdenRecord.__table__, (
            {"id": new_id(), "case_id": rng.choice(cases)[0], "step": "questionnaire",
             "party": rng.choice(("subject", "security_officer", "window")),
             "minutes": rng.randint(10, 600), "cost_yen": rng.randint(0, 50000),
             "allowance_yen": rng.choice((0, 0, 5000)), "recorded_by": user,
             "recorded_at": now - timedelta(days=rng.uniform(0, 3 * 365))}
            for _ in range(n // 5)))
        counts["clearance_allowance"] = _insert(c, ClearanceAllowance.__table__, (
            {"id": new_id(), "person_id": p, "organisation_id": rng.choice(companies),
             "amount_yen": 30000, "period_start": d.date(),
             "period_end": d.date() + timedelta(days=29), "recorded_by": user}
            for _, p, d in granted[: n // 20]))
        counts["complaint"] = _insert(c, Complaint.__table__, (
            {"id": new_id(), "case_id": rng.choice(cases)[0], "kind": "assessment",
             "content": b"x", "filed_at": now - timedelta(days=rng.uniform(0, 700)),
             "status": "open"} for _ in range(n // 200)))
        designations = [new_id() for _ in range(max(10, n // 50))]
        counts["designation"] = _insert(c, Designation.__table__, (
            {"id": d, "reference": f"B-{k}", "title": "指定", "agency_id": gov[k % 5],
             "manager_id": user, "regime": "CESI" if k % 3 else "SDS",
             "category": "supply_chains" if k % 3 else "defence", "reasons": "理由",
             "scope_kind": "technology", "scope": "範囲",
             "status": rng.choice(("in_force", "in_force", "lifted", "provisional")),
             "first_start": today - timedelta(days=rng.randint(0, 1500)),
             "term_start": today - timedelta(days=300),
             "term_end": today + timedelta(days=rng.randint(0, 1500)), "created_by": user}
            for k, d in enumerate(designations)))
        counts["designation_review"] = _insert(c, Review.__table__, (
            {"id": new_id(), "designation_id": d, "due_on": due,
             "reviewed_at": datetime.combine(due, datetime.min.time(), UTC)
             + timedelta(days=rng.randint(-20, 15)) if rng.random() < 0.8 else None}
            for d in designations for due in (today - timedelta(days=rng.randint(200, 500)),
                                              today + timedelta(days=rng.randint(-60, 300)))))
        counts["designation_proposal"] = _insert(c, Proposal.__table__, (
            {"id": new_id(), "designation_id": d, "status": "approved", "reasons": "理由",
             "kind": rng.choice(("renew", "change", "lift", "lift_part", "downgrade")),
             "proposed_by": user, "decided_at": now - timedelta(days=rng.randint(0, 900))}
            for d in designations[::2]))
        counts["facility"] = _insert(c, Facility.__table__, (
            {"id": new_id(), "organisation_id": o, "level": rng.choice(("CESI", "SDS")),
             "state": rng.choice(("certified", "certified", "expired")), "agency_id": gov[0],
             "proposed_by": user, "certified_on": today - timedelta(days=rng.randint(0, 900)),
             "valid_until": today + timedelta(days=rng.randint(0, 900))} for o in companies))
        counts["incident"] = _insert(c, Incident.__table__, (
            {"id": new_id(), "organisation_id": rng.choice(companies),
             "kind": rng.choice(("loss", "leak", "mishandling")),
             "severity": rng.choice(("low", "medium", "high")), "description": "説明",
             "status": rng.choice(("open", "closed")), "reported_by": user,
             "occurred_on": today - timedelta(days=rng.randint(0, 900))}
            for _ in range(max(10, n // 100))))
        counts |= _visits(c, rng, now, people, companies[0], user)
    with engine.begin() as c:  # a Core writer passes no flush hook: rebuild the summaries
        from hozen.reports import burden_totals, summaries

        started = time.perf_counter()
        counts["report_phase_count"] = summaries.rebuild(c)
        counts["report_burden_total"] = burden_totals.rebuild(c)
        print(f"  phase counts and burden totals rebuilt in "
              f"{time.perf_counter() - started:.1f} s")
    return counts


def _visits(c, rng, now, people, org, user) -> dict[str, int]:
    """1,000 personnel assurances (the time-to-access report reads every one, a page at a
    time) under the first agreement the migrations load, and the audit log of access
    decisions: one per ten cases, each a batch of ten people, one batch in ten naming an
    assured person."""
    from sqlalchemy import select

    from hozen.audit.models import AuditEvent
    from hozen.db import new_id
    from hozen.reciprocity.models import Agreement, ForeignAssurance

    agreement = c.scalar(select(Agreement.id).order_by(Agreement.partner).limit(1))
    assured = rng.sample(people, min(1000, len(people)))
    start = now - timedelta(days=400)
    assurances = [{"id": new_id(), "kind": "personnel", "agreement_id": agreement,
                   "person_id": p, "organisation_id": org, "partner_level": "SECRET",
                   "level": "CESI", "valid_until": date(2030, 1, 1), "reference": f"A-{k}",
                   "submitted_by": user, "submitted_at": start + timedelta(hours=9 * k)}
                  for k, p in enumerate(assured)]
    n = _insert(c, ForeignAssurance.__table__, assurances)

    def events():
        seq = 0
        for a in assurances:
            seq += 1
            yield _event(seq, a["submitted_at"], "user:liaison", "reciprocity:assurance:submit",
                         "foreign_assurance", a["id"], {})
        at = start
        for k in range(len(people) // 10):
            at += timedelta(seconds=30)
            seq += 1
            batch = rng.sample(people, 9) + [rng.choice(assured)] if k % 10 == 0 else (
                rng.sample(people, 10))
            yield _event(seq, at, "user:officer", "access:decision", "person", None,
                         {"decisions": [[p, "item", int(rng.random() < 0.7), []]
                                        for p in batch]})
    return {"foreign_assurance": n, "audit_event": _insert(c, AuditEvent.__table__, events())}


def _event(seq, at, actor, tag, kind, subject, details) -> dict:
    return {"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor,
            "tag": tag, "subject_type": kind, "subject_id": subject,
            "details": json.dumps(details, separators=(",", ":")), "prev_hash": "0" * 64,
            "hash": f"{seq:064x}"}


def measure(url: str, repeat: int, prefix: str) -> dict[str, float]:
    """Best of `repeat` milliseconds for each report and for the dashboard."""
    from hozen.accounts.actor import Actor
    from hozen.accounts.permissions import Role
    from hozen.db import get_engine_for_url, session_factory
    from hozen.reports.schemas import ReportQuery
    from hozen.reports.services import NAMES, available, build_report
    from hozen.web.i18n import translations
    from hozen.web.report_pages import DASHBOARD, figures

    engine = get_engine_for_url(url)
    me = Actor(id="bench", username="bench", roles=frozenset({Role.WINDOW_OFFICER}))
    today = datetime.now(UTC).date()
    gettext = translations("ja").gettext
    out: dict[str, float] = {}

    def best(key: str, fn) -> None:
        times = []
        for _ in range(repeat):
            with session_factory(engine)() as s:
                started = time.perf_counter()
                fn(s)
                times.append(1000 * (time.perf_counter() - started))
                s.rollback()
        out[f"{prefix}_{key}_ms"] = round(min(times), 1)
        print(f"  {key}: {min(times):,.1f} ms (best of {repeat})")

    for name in NAMES:
        best(name.replace("-", "_"), lambda s, name=name: build_report(
            s, name, ReportQuery(), actor=me, today=today))

    def dashboard(s, *, shown_only: bool = True) -> None:
        for name in available(me):
            figures(build_report(s, name, ReportQuery(), actor=me, today=today,
                                 tables=DASHBOARD[name] if shown_only else None), gettext,
                    DASHBOARD[name])

    # as hozen.web.report_pages draws it: the tables it shows and their charts (SVG
    # written by reports.svg, never cached)
    best("dashboard", dashboard)
    best("dashboard_every_table", lambda s: dashboard(s, shown_only=False))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sqlite-cases", type=int, help="(default: --cases)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--pgport", type=int, default=55461)
    parser.add_argument("--postgres", help="a database the bench may wipe (else one is started)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--measure-only", action="store_true",
                        help="time the reports of the --postgres database as it is")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hozen-bench-reports-"))
    os.environ.setdefault("HOZEN_KEY_FILE", str(work / "hozen.key"))
    from hozen.crypto import create_key_file

    if not Path(os.environ["HOZEN_KEY_FILE"]).exists():
        create_key_file(Path(os.environ["HOZEN_KEY_FILE"]))
    sys.path.insert(0, str(ROOT / "bench"))
    from bulk_import import start_postgres, stop_postgres

    figures: dict = {"cases": args.cases, "cores": os.cpu_count(), "repeat": args.repeat}
    targets = []
    if not args.no_sqlite:
        targets.append(("sqlite", f"sqlite:///{work / 'bench.db'}", args.sqlite_cases
                        or args.cases))
    pgdir = Path("/tmp/hozen-bench-reports-pg")
    started_pg = not args.postgres and not args.no_postgres
    if not args.no_postgres:
        targets.append(("postgres", args.postgres or start_postgres(args.pgport, pgdir),
                        args.cases))
    try:
        for name, url, n in targets:
            if args.measure_only:
                from sqlalchemy import text

                from hozen.db import get_engine_for_url

                with get_engine_for_url(url).connect() as c:  # --cases does not say
                    figures[f"{name}_cases"] = c.scalar(text(
                        "SELECT count(*) FROM clearance_case"))
                figures |= measure(url, args.repeat, name)
                continue
            started = time.perf_counter()
            counts = fill(url, n, args.seed)
            took = time.perf_counter() - started
            print(f"{name}: {counts['clearance_case']:,} cases, {sum(counts.values()):,} rows "
                  f"written in {took:.1f} s")
            figures |= {f"{name}_cases": counts["clearance_case"],
                        f"{name}_rows": sum(counts.values()), f"{name}_fill_s": round(took, 1)}
            if name == "postgres":
                from sqlalchemy import text

                from hozen.db import get_engine_for_url

                with get_engine_for_url(url).begin() as c:
                    c.execute(text("ANALYZE"))
            figures |= measure(url, args.repeat, name)
    finally:
        if started_pg:
            stop_postgres(pgdir)
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()

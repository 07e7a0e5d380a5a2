"""Benchmark of bulk import (`hozen import`, hozen.registry.bulk.import_people): a
legacy system's CSV file of N people imported into PostgreSQL — started by this script
with PostgreSQL's durability defaults (fsync on) and memory sized for the machine (see
TUNING) — and, smaller, into SQLite.

    .venv/bin/python bench/bulk_import.py [--people 1000000] [--sqlite-people 100000]
        [--batch 20000] [--seed 20261127] [--pgport 55460] [--postgres URL]

The file is deterministic for a seed: names from Japanese syllables (kanji, kana and
Latin forms), birth dates 1950-2004, 97% Japanese (2% dual, 1% foreign nationals with
an employer), employers among 1,000 companies; one row in 1,000 is bad (an impossible
date, an unknown country or employer) and must be reported, not imported. Each person
is encrypted (AES-GCM) with 7-8 keyed-hash search tokens, as the API writes them.
Printed: the file's size and generation rate; per database the import's rows/s and
seconds, its rejected rows, and a check that a sampled person is found by name. The last
line is the JSON of every figure."""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAMILY = [("佐藤", "サトウ", "Sato"), ("鈴木", "スズキ", "Suzuki"),
          ("高橋", "タカハシ", "Takahashi"), ("田中", "タナカ", "Tanaka"),
          ("伊藤", "イトウ", "Ito"),
          ("渡辺", "ワタナベ", "Watanabe"), ("山本", "ヤマモト", "Yamamoto"),
          ("中村", "ナカムラ", "Nakamura"), ("小林", "コバヤシ", "Kobayashi"),
          ("加藤", "カトウ", "Kato"), ("吉田", "ヨシダ", "Yoshida"), ("山田", "ヤマダ", "Yamada"),
          ("佐々木", "ササキ", "Sasaki"), ("山口", "ヤマグチ", "Yamaguchi"),
          ("松本", "マツモト", "Matsumoto"), ("井上", "イノウエ", "Inoue")]
GIVEN = [("太郎", "タロウ", "Taro"), ("花子", "ハナコ", "Hanako"), ("健", "ケン", "Ken"),
         ("美咲", "ミサキ", "Misaki"), ("大輔", "ダイスケ", "Daisuke"), ("陽子", "ヨウコ", "Yoko"),
         ("翔", "ショウ", "Sho"), ("由美", "ユミ", "Yumi"), ("誠", "マコト", "Makoto"),
         ("愛", "アイ", "Ai"), ("拓也", "タクヤ", "Takuya"), ("恵", "メグミ", "Megumi")]
# As production would run it on this 24 GiB machine: durability left at its defaults
# (fsync, synchronous_commit and full_page_writes on), memory for the indexes' pages.
TUNING = "-c shared_buffers=4GB -c max_wal_size=8GB -c checkpoint_timeout=15min"
HEAD = ["姓", "名", "セイ", "メイ", "family name", "given name", "生年月日", "国籍", "employer_id"]


def write_csv(path: Path, n: int, seed: int, employers: list[str]) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for k in range(n):
            (f, fk, fl), (g, gk, gl) = rng.choice(FAMILY), rng.choice(GIVEN)
            born = f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            roll = rng.random()
            nat = "JPN" if roll < 0.97 else ("JPN;USA" if roll < 0.99 else "GBR")
            employer = rng.choice(employers)
            if k % 1000 == 999:  # a bad row: reported, not imported
                born, nat, employer = rng.choice([
                    (born[:8] + "31", nat, employer) if born[5:7] in ("02", "04") else
                    ("1980-02-30", nat, employer), (born, "ZZZ", employer),
                    (born, nat, "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11")])
            w.writerow([f, g, fk, gk, fl, gl, born, nat, employer])


def start_postgres(port: int, directory: Path) -> str:
    """A PostgreSQL with its default durability (fsync on), on loopback."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.getuid() == 0 else ["sh", "-c"]
    if os.getuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    subprocess.run([*as_pg, f"{pgbin}/initdb -D {directory}/data -U postgres -A trust -E UTF8 "
                             f"--locale=C.UTF-8 >{directory}/initdb.log 2>&1"], check=True)
    subprocess.run([*as_pg, f"{pgbin}/pg_ctl -D {directory}/data -l {directory}/pg.log -w "
                             f"-t 30 -o \"-c listen_addresses=127.0.0.1 -p {port} "
                             f"-k {directory} {TUNING}\" start >/dev/null"], check=True)
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                    "CREATE DATABASE hozen_bench;"], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/hozen_bench"


def pin_postgres(directory: Path, cpus: str) -> None:
    """Pin a running PostgreSQL to these CPUs (taskset): its postmaster, every process it
    has forked, and so every backend it forks later. "" leaves it where it is."""
    if not cpus:
        return
    pid = (directory / "data" / "postmaster.pid").read_text().split()[0]
    children = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout
    for p in [pid, *children.split()]:
        # the postmaster must be pinned; a backend may have exited since pgrep
        subprocess.run(["taskset", "-a", "-c", "-p", cpus, p], check=p == pid,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_postgres(directory: Path) -> None:
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    as_pg = ["su", "postgres", "-s", "/bin/sh", "-c"] if os.getuid() == 0 else ["sh", "-c"]
    subprocess.run([*as_pg, f"{pgbin}/pg_ctl -D {directory}/data -m fast -w stop >/dev/null"],
                   check=False)


def prepare(url: str, orgs: int, seed: int) -> list[str]:
    """A fresh schema at head and `orgs` companies; their ids."""
    from sqlalchemy import insert, text

    from hozen.db import get_engine_for_url, new_id, upgrade, utcnow
    from hozen.registry.models import Organisation

    engine = get_engine_for_url(url)
    if url.startswith("postgresql"):
        with engine.begin() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
    upgrade(url)
    ids = [new_id() for _ in range(orgs)]
    now = utcnow()
    with engine.begin() as c:
        c.execute(insert(Organisation.__table__), [
            {"id": i, "kind": "company", "name_ja": f"株式会社{k}", "name_en": f"Company {k}",
             "country_code": "JPN", "created_at": now, "updated_at": now}
            for k, i in enumerate(ids)])
    return ids


def run(name: str, url: str, path: Path, n: int, batch: int) -> dict:
    from sqlalchemy import func, select

    from hozen.accounts.actor import Actor
    from hozen.db import get_engine_for_url, session_factory
    from hozen.registry import bulk, search
    from hozen.registry.models import Person

    engine = get_engine_for_url(url)
    started = time.perf_counter()
    result = bulk.import_people(engine, path, actor=Actor.system("bench"), batch=batch)
    took = time.perf_counter() - started
    with session_factory(engine)() as s:
        stored = s.scalar(select(func.count()).select_from(Person))
        found, _ = search.list_people(s, actor=Actor.system("bench"), q="Yamada Taro",
                                      limit=5)
    assert stored == result.imported and result.rows == n, (stored, result)
    assert found, "a sampled name must be found"
    rate = result.imported / took
    print(f"{name}: {result.imported:,} people imported in {took:.1f} s ({rate:,.0f}/s), "
          f"{result.rejected:,} rows rejected; search by name finds them")
    return {f"{name}_people": result.imported, f"{name}_import_s": round(took, 1),
            f"{name}_rows_per_s": round(rate), f"{name}_rejected_rows": result.rejected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sqlite-people", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--pgport", type=int, default=55460)
    parser.add_argument("--postgres", help="a database the bench may wipe (else one is started)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hozen-bench-import-"))
    os.environ.setdefault("HOZEN_KEY_FILE", str(work / "hozen.key"))
    from hozen.crypto import create_key_file

    if not Path(os.environ["HOZEN_KEY_FILE"]).exists():
        create_key_file(Path(os.environ["HOZEN_KEY_FILE"]))
    pgdir = Path("/tmp/hozen-bench-import-pg")
    url = args.postgres or start_postgres(args.pgport, pgdir)
    figures: dict = {"batch": args.batch, "postgres_fsync": "on" if not args.postgres
                     else "as configured", "postgres_tuning": TUNING if not args.postgres
                     else "as configured", "cores": os.cpu_count()}
    try:
        employers = prepare(url, 1000, args.seed)
        path = work / "people.csv"
        started = time.perf_counter()
        write_csv(path, args.people, args.seed, employers)
        gen = time.perf_counter() - started
        size = path.stat().st_size
        print(f"file: {args.people:,} rows, {size / 1e6:.0f} MB, written in {gen:.1f} s "
              f"({args.people / gen:,.0f} rows/s)")
        figures |= {"file_rows": args.people, "file_mb": round(size / 1e6),
                    "generate_rows_per_s": round(args.people / gen)}
        figures |= run("postgres", url, path, args.people, args.batch)
        if args.sqlite_people:
            small = work / "people-small.csv"
            sqlite_url = f"sqlite:///{work / 'bench.db'}"
            sqlite_employers = prepare(sqlite_url, 1000, args.seed)
            write_csv(small, args.sqlite_people, args.seed, sqlite_employers)
            figures |= run("sqlite", sqlite_url, small, args.sqlite_people, args.batch)
    finally:
        if not args.postgres:
            stop_postgres(pgdir)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()

"""Bulk import of clearances granted by a legacy system (`hozen import --kind
clearances`): the person found by id or by name and birth date through the keyed-hash
index (never guessed), each row held to the clearance rules, rejected rows reported by
line and column, batches all-or-nothing, resumed after an interruption, never imported
twice, each batch audited with the chain intact; what comes in is verified like any
clearance."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.actor import Actor
from hozen.audit.models import AuditEvent
from hozen.clearances import bulk as clearances_bulk
from hozen.clearances import services as clearances
from hozen.clearances.models import Clearance, ClearanceCase
from hozen.cli.main import app
from hozen.registry import importing
from hozen.registry.models import ImportJob, ImportReject
from tests.factories import SYSTEM, corporate_number, make_org, make_person

runner = CliRunner()
ACTOR = Actor.system("test")
HEAD = ["person_id", "姓", "名", "family name", "given name", "生年月日", "区分",
        "実施行政機関", "付与日", "有効期限", "状態"]
CLEARANCES = clearances_bulk.CLEARANCES


def write(path: Path, rows: list[list[str]], head: list[str] = HEAD) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)
    return path


def row(sponsor: str, *, pid: str = "", kanji: tuple[str, str] = ("", ""),
        latin: tuple[str, str] = ("", ""), birth: str = "", regime: str = "CESI",
        granted: str = "2020-04-01", until: str = "", status: str = "") -> list[str]:
    return [pid, *kanji, *latin, birth, regime, sponsor, granted, until, status]


def count(session, model) -> int:
    value = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return value


@pytest.fixture
def world(session):
    agency = make_org(session, kind="government_body", name_ja="移行省",
                      name_en="Ministry of Migration", corporate_number=corporate_number())
    company = make_org(session)
    people = {
        "yamada": make_person(session, company.id),  # 山田太郎 Yamada Taro 1980-01-02
        "tanaka": make_person(session, company.id, family_name_kanji="田中",
                              given_name_kanji="次郎", family_name_kana="タナカ",
                              given_name_kana="ジロウ", family_name_latin="Tanaka",
                              given_name_latin="Jiro", birth_date="1981-02-03"),
        "twin1": make_person(session, company.id, family_name_kanji="佐藤",
                             given_name_kanji="花子", birth_date="1990-05-05"),
        "twin2": make_person(session, company.id, family_name_kanji="佐藤",
                             given_name_kanji="花子", birth_date="1990-05-05"),
        "loner": make_person(session, None, family_name_kanji="鈴木",
                             birth_date="1985-06-07"),
    }
    session.commit()
    return {"agency_number": agency.corporate_number, "agency": agency.id,
            "company": company.id, **{k: p.id for k, p in people.items()}}


def test_rows_are_matched_checked_and_reported(engine, session, tmp_path, world):
    cn, yamada = world["agency_number"], ("山田", "太郎")
    rows = [
        row(cn, kanji=yamada, birth="1980-01-02"),                          # 2
        row(world["agency"], pid=world["tanaka"], regime="SDS", granted="2019-01-10",
            until="2024-01-09", status="active"),                          # 3: lapsed
        row(cn, kanji=("佐藤", "花子"), birth="1990-05-05"),                 # 4: twins
        row(cn, kanji=("山田", "花子"), birth="1980-01-02"),                 # 5: nobody
        row(cn, pid=world["loner"]),                                       # 6: no employer
        row(world["company"], pid=world["tanaka"]),                        # 7: not an agency
        row(cn, pid=world["tanaka"], regime="SDS", granted="2022-01-01",
            until="2028-01-01"),                                           # 8: too long
        row(cn, pid=world["tanaka"], granted="2999-01-01"),                # 9: future
        row(cn, pid=world["tanaka"], regime="TOP"),                        # 10
        row(cn, kanji=yamada, latin=("Yamada", "Taro"), birth="S55.1.2"),  # 11: line 2 again
        row(cn, kanji=yamada),                                             # 12: no birth date
        row(cn, latin=("Tanaka", "Jiro"), birth="昭和56年2月3日", regime="特定秘密",
            granted="2023-06-01", status="有効"),                           # 13
        row(cn, pid=world["tanaka"], status="dormant"),                    # 14
        row(cn, kanji=("山田", "次郎"), latin=("Yamada", "Taro"),
            birth="1980-01-02"),                                           # 15: names disagree
        row(cn, pid="no-such-person"),                                     # 16
    ]
    path = write(tmp_path / "clearances.csv", rows)
    result = importing.run_import(engine, path, CLEARANCES, actor=ACTOR, batch=4,
                                  today=date(2026, 11, 27))
    assert (result.rows, result.imported, result.rejected, result.batches) == (15, 3, 12, 4)
    rejects = {(r.line, r.field, r.code) for r in session.scalars(select(ImportReject))}
    session.rollback()
    assert rejects == {
        (4, "family_name_kanji", "person_ambiguous"),
        (5, "family_name_kanji", "person_unknown"),
        (6, "person_id", "no_employer"),
        (7, "sponsor", "sponsor_not_agency"),
        (8, "valid_until", "validity_too_long"),
        (9, "granted_on", "date_in_future"),
        (10, "regime", "invalid"),
        (11, "granted_on", "clearance_exists"),
        (12, "family_name_kanji", "person_required"),
        (14, "status", "invalid"),
        (15, "family_name_kanji", "person_unknown"),
        (16, "person_id", "person_unknown"),
    }
    got = {(c.person_id, c.regime, c.granted_on, c.valid_until, c.status)
           for c in session.scalars(select(Clearance))}
    cases = session.execute(select(ClearanceCase.state, ClearanceCase.listed_by,
                                   ClearanceCase.employer_id, ClearanceCase.sponsor_id)).all()
    session.rollback()
    assert got == {
        (world["yamada"], "CESI", date(2020, 4, 1), date(2030, 3, 31), "active"),
        (world["tanaka"], "SDS", date(2019, 1, 10), date(2024, 1, 9), "expired"),
        (world["tanaka"], "SDS", date(2023, 6, 1), date(2028, 5, 31), "active"),
    }
    assert {tuple(c) for c in cases} == {("granted", None, world["company"], world["agency"])}
    report = importing.rejects_csv(engine, result.job_id)
    assert "4,family_name_kanji,person_ambiguous," in report
    assert "佐藤" not in report and "1990" not in report  # codes, never the values
    # one audit record a batch, naming the clearances it created; the chain verifies
    batches = [json.loads(d) for d in session.scalars(select(AuditEvent.details).where(
        AuditEvent.tag == "clearances:clearance:import"))]
    session.rollback()
    assert len(batches) == 4 and sum(len(b["created"]) for b in batches) == 3
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    # the one query every agency relies on sees the imported clearance
    seen = clearances.verify_clearance(session, world["yamada"], "test", actor=SYSTEM)
    session.rollback()
    assert (seen.status, seen.level, seen.valid_until) == ("active", "CESI", date(2030, 3, 31))


def test_an_interrupted_file_resumes_and_a_finished_one_imports_nothing(engine, session,
                                                                        tmp_path, world):
    cn = world["agency_number"]
    rows = [row(cn, pid=world[p], granted=f"20{10 + n}-04-01")
            for n, p in enumerate(["yamada", "tanaka", "twin1", "twin2"] * 2)]
    path = write(tmp_path / "clearances.csv", rows)
    calls = []

    def stop_after_one_batch(n: int) -> None:
        calls.append(n)
        raise InterruptedError("stopped")

    with pytest.raises(InterruptedError):
        importing.run_import(engine, path, CLEARANCES, actor=ACTOR, batch=3,
                             progress=stop_after_one_batch)
    assert count(session, Clearance) == 3 and count(session, ClearanceCase) == 3
    again = importing.run_import(engine, path, CLEARANCES, actor=ACTOR, batch=2)
    assert (again.resumed_at_row, again.rows, again.imported, again.rejected) == (3, 8, 8, 0)
    assert count(session, Clearance) == 8
    once_more = importing.run_import(engine, path, CLEARANCES, actor=ACTOR)
    assert once_more.already_done and count(session, Clearance) == 8
    # the same clearances in another file: each one refused, none written twice
    other = write(tmp_path / "again.csv", rows[:2] + [rows[0]])
    dup = importing.run_import(engine, other, CLEARANCES, actor=ACTOR)
    assert (dup.imported, dup.rejected) == (0, 3)
    assert count(session, Clearance) == 8
    jobs = session.scalars(select(ImportJob.kind)).all()
    session.rollback()
    assert jobs == ["clearances", "clearances"]


def test_a_failing_batch_leaves_nothing_of_itself(engine, session, tmp_path, world,
                                                  monkeypatch):
    cn = world["agency_number"]
    rows = [row(cn, pid=world["yamada"], granted=f"20{10 + n}-04-01") for n in range(6)]
    path = write(tmp_path / "clearances.csv", rows)
    real, calls = clearances_bulk.Outcome, []

    def fail_on_second(*args):
        calls.append(1)
        if len(calls) == 2:  # after the batch's rows are written
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(clearances_bulk, "Outcome", fail_on_second)
    with pytest.raises(RuntimeError):
        importing.run_import(engine, path, CLEARANCES, actor=ACTOR, batch=4)
    assert count(session, Clearance) == 4 and count(session, ClearanceCase) == 4
    assert count(session, ImportReject) == 0


def test_the_command_imports_clearances(engine, session, tmp_path, world):
    cn = world["agency_number"]
    path = write(tmp_path / "c.csv", [row(cn, pid=world["yamada"]),
                                      row(cn, pid=world["loner"])])
    result = runner.invoke(app, ["import", str(path), "--kind", "clearances"])
    assert result.exit_code == 0, result.output
    assert "rows 2, imported 1, rejected 1" in result.output
    report = (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8")
    assert "3,person_id,no_employer" in report
    bad = write(tmp_path / "bad.csv", [], head=["person_id", "区分", "付与日"])
    refused = runner.invoke(app, ["import", str(bad), "--kind", "clearances"])
    assert refused.exit_code == 2 and "header.sponsor csv_header_missing" in refused.output

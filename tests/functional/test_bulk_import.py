"""Bulk import of people (`hozen import`): each row checked like a person entered by
hand, rejected rows reported by line and column (never their values), batches written
whole or not at all, the same file resumed after an interruption and never imported
twice, every batch audited and the chain intact; people found by name afterwards."""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.actor import Actor
from hozen.audit.models import AuditEvent
from hozen.cli.main import app
from hozen.errors import ValidationFailed
from hozen.registry import bulk, importing, search
from hozen.registry.models import (
    ImportJob,
    ImportReject,
    Person,
    PersonNationality,
    PersonSearchToken,
)
from tests.factories import SYSTEM, make_org

runner = CliRunner()
HEAD = ["姓", "名", "セイ", "メイ", "family name", "given name", "生年月日", "国籍", "employer_id"]


def write(path: Path, rows: list[list[str]], head: list[str] = HEAD) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)
    return path


FAMILY = [("山田", "ヤマダ", "Yamada"), ("田中", "タナカ", "Tanaka"), ("鈴木", "スズキ", "Suzuki")]
GIVEN = [("太郎", "タロウ", "Taro"), ("次郎", "ジロウ", "Jiro"), ("三郎", "サブロウ", "Saburo"),
         ("四郎", "シロウ", "Shiro"), ("五郎", "ゴロウ", "Goro"), ("六郎", "ロクロウ", "Rokuro"),
         ("七郎", "シチロウ", "Shichiro"), ("八郎", "ハチロウ", "Hachiro"),
         ("九郎", "クロウ", "Kuro"), ("十郎", "ジュウロウ", "Juro")]


def person(n: int, employer: str = "", **changes) -> list[str]:
    """Person n (< 30) with a name of their own."""
    (fam, sei, lfam), (giv, mei, lgiv) = FAMILY[n // 10], GIVEN[n % 10]
    row = {"fam": fam, "giv": giv, "sei": sei, "mei": mei, "lfam": lfam, "lgiv": lgiv,
           "birth": f"1980-01-{1 + n % 28:02d}", "nat": "JPN", "emp": employer} | changes
    return list(row.values())


def count(session, model) -> int:
    value = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return value


@pytest.fixture
def company(session):
    org = make_org(session)
    session.commit()
    return org.id


def test_rows_are_checked_reported_and_written_in_batches(engine, session, tmp_path,
                                                          company):
    rows = [person(n, company) for n in range(23)]
    rows[4] = person(4, company, birth="1980-02-30")  # no such day
    rows[9] = person(9, company, nat="ZZZ")
    rows[17] = person(17, "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11")  # unknown employer
    rows[20] = person(20, company, fam="", giv="", lfam="", lgiv="")  # no name at all
    path = write(tmp_path / "people.csv", rows)
    result = bulk.import_people(engine, path, actor=Actor.system("test"), batch=5)
    assert (result.rows, result.imported, result.rejected, result.batches) == (23, 19, 4, 5)
    assert count(session, Person) == 19
    assert count(session, PersonNationality) == 19
    rejects = {(r.line, r.field, r.code) for r in session.scalars(select(ImportReject))}
    session.rollback()
    assert {(line, code) for line, _, code in rejects} >= {
        (6, "date_invalid"), (11, "country_unknown"), (19, "organisation_unknown")}
    assert {line for line, _, _ in rejects} == {6, 11, 19, 22}
    report = importing.rejects_csv(engine, result.job_id)
    assert report.splitlines()[0] == "line,column,code,reason"
    assert "山田" not in report and "Suzuki" not in report  # codes, never the values
    # every batch audited with the people it created; the chain verifies
    batches = session.scalars(select(AuditEvent.details).where(
        AuditEvent.tag == "registry:person:import")).all()
    session.rollback()
    assert len(batches) == 5
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    # found by name and birth date like anyone entered by hand, records decrypted
    found, _ = search.list_people(session, actor=SYSTEM, q="Tanaka Shichiro")
    session.rollback()
    assert [p.given_name_kanji for p in found] == ["七郎"]
    assert found[0].employer_id == company


def test_the_same_file_is_never_imported_twice_and_an_interrupted_one_resumes(
        engine, session, tmp_path, company):
    path = write(tmp_path / "people.csv", [person(n, company) for n in range(12)])
    calls = []

    def stop_after_two_batches(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise InterruptedError("stopped")  # the operator (or a crash) stops the run

    with pytest.raises(InterruptedError):
        bulk.import_people(engine, path, actor=Actor.system("test"), batch=5,
                           progress=stop_after_two_batches)
    assert count(session, Person) == 10  # two whole batches, nothing of the third
    job = session.execute(select(ImportJob.status, ImportJob.rows_done,
                                 ImportJob.batches)).one()
    session.rollback()
    assert tuple(job) == ("running", 10, 2)
    again = bulk.import_people(engine, path, actor=Actor.system("test"), batch=3)
    assert (again.resumed_at_row, again.imported, again.rows) == (10, 12, 12)
    assert count(session, Person) == 12
    once_more = bulk.import_people(engine, path, actor=Actor.system("test"))
    assert once_more.already_done and count(session, Person) == 12
    # tokens: each person findable, none twice
    assert count(session, PersonSearchToken) == len(set(session.execute(
        select(PersonSearchToken.person_id, PersonSearchToken.token)).all()))
    assert {len(t) for t in session.scalars(select(PersonSearchToken.token))} == {16}
    session.rollback()


def test_a_failing_batch_leaves_nothing_of_itself(engine, session, tmp_path, company,
                                                  monkeypatch):
    path = write(tmp_path / "people.csv", [person(n, company) for n in range(8)])
    real = bulk.PEOPLE.write

    def fail_on_second(s, batch, actor):
        out = real(s, batch, actor)  # the rows are written, then the transaction fails
        if batch.lines[0] == 7:  # lines 7-9: the second batch
            raise RuntimeError("disk full")
        return out

    monkeypatch.setattr(bulk, "PEOPLE", replace(bulk.PEOPLE, write=fail_on_second))
    with pytest.raises(RuntimeError):
        bulk.import_people(engine, path, actor=Actor.system("test"), batch=5)
    assert count(session, Person) == 5
    assert count(session, PersonSearchToken) > 0
    imports = count(session, ImportReject)
    assert imports == 0


def test_batches_written_at_once_commit_in_order_and_a_failure_stops_those_after(
        engine, session, tmp_path, company, monkeypatch):
    """On PostgreSQL two batches of people are written at once; the third failing must
    leave the first two committed, nothing of the fourth (written beside it), and a
    re-run must import the rest exactly once."""
    path = write(tmp_path / "people.csv", [person(n, company) for n in range(25)])
    people = bulk.PEOPLE

    def fail_on_third(s, batch, actor):
        out = people.write(s, batch, actor)
        if batch.lines[0] == 12:  # lines 12-16: the third batch
            raise RuntimeError("disk full")
        return out

    monkeypatch.setattr(bulk, "PEOPLE", replace(people, write=fail_on_third))
    with pytest.raises(RuntimeError):
        bulk.import_people(engine, path, actor=Actor.system("test"), batch=5)
    job = session.execute(select(ImportJob.rows_done, ImportJob.imported,
                                 ImportJob.batches)).one()
    written = count(session, Person)
    session.rollback()
    assert (tuple(job), written) == ((10, 10, 2), 10)
    monkeypatch.setattr(bulk, "PEOPLE", people)
    again = bulk.import_people(engine, path, actor=Actor.system("test"), batch=5)
    assert (again.resumed_at_row, again.imported, again.batches) == (10, 25, 5)
    assert count(session, Person) == 25
    lines = [json.loads(d)["lines"] for d in session.scalars(
        select(AuditEvent.details).where(AuditEvent.tag == "registry:person:import")
        .order_by(AuditEvent.seq))]
    session.rollback()
    assert lines == [[2, 6], [7, 11], [12, 16], [17, 21], [22, 26]]  # in the file's order


def test_bad_files_are_refused_naming_the_problem(engine, tmp_path):
    actor = Actor.system("test")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    cases = [
        (empty, ("file", "csv_empty")),
        (write(tmp_path / "h.csv", [], head=["姓", "名", "血液型"]),
         ("header.3", "csv_header_unknown")),
        (write(tmp_path / "m.csv", [], head=["姓", "名"]), ("header.birth_date",
                                                          "csv_header_missing")),
    ]
    for path, error in cases:
        with pytest.raises(ValidationFailed) as exc:
            bulk.import_people(engine, path, actor=actor)
        assert error in exc.value.errors
    with pytest.raises(ValidationFailed):
        bulk.import_people(engine, cases[1][0], actor=actor, batch=0)


def test_the_command_imports_and_writes_the_report(engine, session, tmp_path, company):
    rows = [person(n, company) for n in range(6)] + [person(6, company, nat="ZZZ")]
    path = write(tmp_path / "legacy.csv", rows)
    result = runner.invoke(app, ["import", str(path), "--batch", "4"])
    assert result.exit_code == 0, result.output
    assert "rows 7, imported 6, rejected 1" in result.output
    report = (tmp_path / "legacy.csv.rejects.csv").read_text(encoding="utf-8")
    assert "8,nationalities,country_unknown" in report
    again = runner.invoke(app, ["import", str(path)])
    assert again.exit_code == 0 and "already imported" in again.output
    assert count(session, Person) == 6
    assert runner.invoke(app, ["import", str(path), "--kind", "clearances"]).exit_code == 2


def test_two_imports_of_one_file_at_once_write_it_once(engine, session, tmp_path, company):
    """Two operators start the same file together: one job (its key is the file), and
    every row in the database once."""
    path = write(tmp_path / "people.csv", [person(n, company) for n in range(30)])
    errors = []

    def run():
        try:
            bulk.import_people(engine, path, actor=Actor.system("test"), batch=10)
        except Exception as exc:  # the loser of the race may be refused; never duplicates
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:  # the loser of the race retries, as an operator would
        bulk.import_people(engine, path, actor=Actor.system("test"), batch=10)
    assert count(session, ImportJob) == 1
    assert count(session, Person) == 30

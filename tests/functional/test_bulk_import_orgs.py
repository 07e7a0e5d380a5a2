"""Bulk import of organisations (`hozen import --kind organisations`): each row goes
through the registry's services like an organisation and its holdings created through
the API; a row is written whole or not at all; rejected rows are reported by line and
column; batches are all-or-nothing, resumed after an interruption, never imported twice,
each audited with the chain intact."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hozen.accounts.actor import Actor
from hozen.audit.models import AuditEvent
from hozen.cli.main import app
from hozen.registry import bulk_orgs, importing
from hozen.registry.models import ImportJob, ImportReject, Organisation, OwnershipEdge
from tests.factories import corporate_number, make_org

runner = CliRunner()
HEAD = ["名称", "英文名称", "種別", "法人番号", "国", "親法人番号", "株主"]
ACTOR = Actor.system("test")


def write(path: Path, rows: list[list[str]], head: list[str] = HEAD) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)
    return path


def org(n: int, number: str = "", kind: str = "company", country: str = "JPN",
        parent: str = "", owners: str = "") -> list[str]:
    return [f"移行株式会社{n}", f"Legacy Co {n}", kind, number, country, parent, owners]


def count(session, model) -> int:
    value = session.scalar(select(func.count()).select_from(model))
    session.rollback()
    return value


def names(session) -> set[str]:
    found = set(session.scalars(select(Organisation.name_en)))
    session.rollback()
    return found


def test_rows_are_checked_by_the_registry_rules_and_bad_ones_reported(engine, session,
                                                                      tmp_path):
    org_held = make_org(session, corporate_number=corporate_number())  # registered before
    held = (org_held.id, org_held.name_en, org_held.corporate_number)
    session.commit()
    a, b, c, d = (corporate_number() for _ in range(4))
    bad_digit = ("1" if a[0] != "1" else "2") + a[1:]
    rows = [
        org(1, a),                                           # line 2
        org(2, b, parent=a, owners=f"{a}:60"),               # 3
        org(3, "", kind="foreign_company", country="USA"),   # 4
        org(4, c, owners=f"{a}:30|{held[2]}:20:25"),  # 5
        org(5, bad_digit),                                   # 6: check digit
        org(6, "", country="USA"),                           # 7: a company is in Japan
        org(7, "", parent=d),                                # 8: its parent comes later
        org(8, "", owners=f"{a}:70;{held[2]}:40"),  # 9: 110%
        org(9, d),                                           # 10
        org(10, a),                                          # 11: number taken
        org(11, "", owners="half of it"),                    # 12
        ["", "Legacy Co 12", "company", "", "JPN", "", ""],  # 13: no Japanese name
        org(13, "", kind="zaibatsu"),                        # 14
    ]
    path = write(tmp_path / "orgs.csv", rows)
    result = importing.run_import(engine, path, bulk_orgs.ORGANISATIONS, actor=ACTOR, batch=3)
    assert (result.rows, result.imported, result.rejected, result.batches) == (13, 5, 8, 5)
    rejects = {(r.line, r.field, r.code) for r in session.scalars(select(ImportReject))}
    session.rollback()
    assert rejects == {
        (6, "corporate_number", "corporate_number_invalid"),
        (7, "kind", "domestic_kind_foreign_country"),
        (8, "parent_corporate_number", "organisation_unknown"),
        (9, "owners", "total_over_100"),
        (11, "corporate_number", "corporate_number_taken"),
        (12, "owners", "owners_invalid"),
        (13, "name_ja", "required"),
        (14, "kind", "invalid"),
    }
    # a refused row leaves nothing: not even the organisation whose holding was refused
    assert names(session) == {held[1]} | {f"Legacy Co {n}" for n in (1, 2, 3, 4, 9)}
    by_number = {n: i for n, i in session.execute(select(Organisation.corporate_number,
                                                         Organisation.id))}
    edges = {(e.owned_id, e.owner_organisation_id, e.share_pct, e.voting_pct)
             for e in session.scalars(select(OwnershipEdge))}
    parent = session.scalar(select(Organisation.parent_id).where(
        Organisation.corporate_number == b))
    session.rollback()
    assert parent == by_number[a]
    assert edges == {(by_number[b], by_number[a], Decimal(60), Decimal(60)),
                     (by_number[c], by_number[a], Decimal(30), Decimal(30)),
                     (by_number[c], held[0], Decimal(20), Decimal(25))}
    report = importing.rejects_csv(engine, result.job_id)
    assert "9,owners,total_over_100," in report
    assert "移行株式会社" not in report and "half of it" not in report  # never the values
    # each batch audited with the organisations it created; every creation audited too
    batches = session.scalars(select(AuditEvent.details).where(
        AuditEvent.tag == "registry:organisation:import")).all()
    creations = count(session, AuditEvent.__table__.select().where(
        AuditEvent.tag == "registry:organisation:create").subquery())
    session.rollback()
    assert len(batches) == 5 and creations == 6  # five imported and the one held before
    assert sum(len(json.loads(b)["created"]) for b in batches) == 5
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_an_interrupted_file_resumes_and_a_finished_one_imports_nothing(engine, session,
                                                                        tmp_path):
    numbers = [corporate_number() for _ in range(7)]
    # a chain: each owns 50% of the next, so every row needs the one before it
    rows = [org(n, numbers[n], owners=f"{numbers[n - 1]}:50" if n else "") for n in range(7)]
    path = write(tmp_path / "chain.csv", rows)
    calls = []

    def stop_after_two_batches(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise InterruptedError("stopped")

    with pytest.raises(InterruptedError):
        importing.run_import(engine, path, bulk_orgs.ORGANISATIONS, actor=ACTOR, batch=2,
                             progress=stop_after_two_batches)
    assert count(session, Organisation) == 4
    job = session.execute(select(ImportJob.kind, ImportJob.status, ImportJob.rows_done)).one()
    session.rollback()
    assert tuple(job) == ("organisations", "running", 4)
    again = importing.run_import(engine, path, bulk_orgs.ORGANISATIONS, actor=ACTOR, batch=5)
    assert (again.resumed_at_row, again.rows, again.imported, again.rejected) == (4, 7, 7, 0)
    assert count(session, Organisation) == 7 and count(session, OwnershipEdge) == 6
    once_more = importing.run_import(engine, path, bulk_orgs.ORGANISATIONS, actor=ACTOR)
    assert once_more.already_done and count(session, Organisation) == 7
    # the same file read as people is another job, refused by its headings
    assert count(session, ImportJob) == 1


def test_a_failing_batch_leaves_nothing_of_itself(engine, session, tmp_path, monkeypatch):
    path = write(tmp_path / "orgs.csv", [org(n, corporate_number()) for n in range(6)])
    real, calls = bulk_orgs._import_row, []

    def fail_on_fifth(s, raw, actor):
        calls.append(1)
        created = real(s, raw, actor)  # the row is written, then the transaction fails
        if len(calls) == 5:
            raise RuntimeError("disk full")
        return created

    monkeypatch.setattr(bulk_orgs, "_import_row", fail_on_fifth)
    with pytest.raises(RuntimeError):
        importing.run_import(engine, path, bulk_orgs.ORGANISATIONS, actor=ACTOR, batch=3)
    assert names(session) == {f"Legacy Co {n}" for n in range(3)}
    assert count(session, ImportReject) == 0
    rows_done = session.scalar(select(ImportJob.rows_done))
    session.rollback()
    assert rows_done == 3


def test_the_command_imports_organisations_and_writes_the_report(engine, session,
                                                                 tmp_path):
    a = corporate_number()
    path = write(tmp_path / "orgs.csv", [org(1, a), org(2, "", parent=a), org(3, "", "x")])
    result = runner.invoke(app, ["import", str(path), "--kind", "organisations"])
    assert result.exit_code == 0, result.output
    assert "rows 3, imported 2, rejected 1" in result.output
    report = (tmp_path / "orgs.csv.rejects.csv").read_text(encoding="utf-8")
    assert "4,kind,invalid" in report
    again = runner.invoke(app, ["import", str(path), "--kind", "organisations"])
    assert again.exit_code == 0 and "already imported" in again.output
    wrong = runner.invoke(app, ["import", str(path), "--kind", "people"])
    assert wrong.exit_code == 2 and "csv_header_unknown" in wrong.output
    assert runner.invoke(app, ["import", str(path), "--kind", "ships"]).exit_code == 2

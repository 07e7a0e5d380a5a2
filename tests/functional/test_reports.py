"""Report figures checked against hand-computed values on a generated data set with known
answers (issue 9): 50 decided cases of which exactly 37 within 60 days, an open backlog
of known ages, burden records and allowances of two companies, refusals, complaints,
designations, certifications and incidents of one year, and due dates. Through the
services, the API (JSON, CSV, PDF; bad input refused naming the field) and scoping: a
company sees its own costs and due dates only; refusals are counted, never named."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.clearances.models import BurdenRecord, Complaint
from hozen.db import new_id, session_factory, utcnow
from hozen.designations.models import Designation, Proposal, Review
from hozen.errors import Forbidden, ValidationFailed
from hozen.facilities.models import Facility, Incident
from hozen.reports.burden import burden, record_allowance
from hozen.reports.models import ClearanceAllowance
from hozen.reports.schemas import AllowanceCreate, ReportQuery
from hozen.reports.services import build_report
from tests.factories import (
    World,
    cheap_argon2,
    make_clearance,
    make_org,
    make_person,
    make_timed_case,
    make_world,
)

YEAR = 2025
START = datetime(YEAR, 1, 6, tzinfo=UTC)
WO, CSO, AGO = Role.WINDOW_OFFICER, Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL
# end-to-end days of the 50 decided cases: 37 within 60, 13 beyond
E2E = [10 + i for i in range(37)] + [61 + i for i in range(13)]
BACKLOG_AGES = (10, 45, 75, 120)  # days since submission of four open cases


@dataclass
class Data:
    world: World
    today: date
    refused_names: list[str]


def _cases(s, w: World, today: date) -> list[str]:
    ids = dict(sponsor_id=w.gov.id, employer_id=w.company.id,
               listed_by=w.users[CSO].user_id)
    for n, d in enumerate(E2E):
        submitted = START + timedelta(days=2 * n)  # decided in 2025 whatever d is
        investigation = None
        if n % 2 == 0:  # half investigated: opened a day after submission, 5 days to decide
            investigation = (submitted + timedelta(days=1),
                             (submitted + timedelta(days=d - 5)).date())
        make_timed_case(s, w.staff.id, regime="CESI" if n < 40 else "SDS", **ids,
                        listed_at=submitted - timedelta(days=7),
                        consented_at=submitted - timedelta(days=5), submitted_at=submitted,
                        decided_at=submitted + timedelta(days=d),
                        investigation=investigation, updated_at=submitted)
    now = datetime.combine(today, datetime.min.time(), UTC)
    for age in BACKLOG_AGES:
        make_timed_case(s, w.staff.id, state="investigation", **ids,
                        listed_at=now - timedelta(days=age + 7),
                        consented_at=now - timedelta(days=age + 5),
                        submitted_at=now - timedelta(days=age))
    names = []
    for i in range(3):  # refused in 2025: counted, never named
        name = f"拒否{i}"
        p = make_person(s, employer_id=w.company.id, family_name_kanji=name)
        names.append(name)
        make_timed_case(s, p.id, state="refused", **ids, listed_at=START,
                        updated_at=START + timedelta(days=3))
    c = make_timed_case(s, w.staff.id, state="denied", **ids,  # decided the year before
                        listed_at=datetime(YEAR - 1, 9, 1, tzinfo=UTC),
                        consented_at=datetime(YEAR - 1, 9, 2, tzinfo=UTC),
                        submitted_at=datetime(YEAR - 1, 10, 1, tzinfo=UTC),
                        decided_at=datetime(YEAR - 1, 12, 1, tzinfo=UTC))
    s.add(Complaint(id=new_id(), case_id=c.id, kind="assessment", content=b"x",
                    filed_at=datetime(YEAR, 2, 1, tzinfo=UTC), status="answered",
                    answered_at=datetime(YEAR, 3, 1, tzinfo=UTC),
                    answered_by=w.users[WO].user_id))
    return names


def _burden(s, w: World) -> None:
    case = make_timed_case(s, w.staff.id, sponsor_id=w.gov.id, employer_id=w.company.id,
                           listed_by=w.users[CSO].user_id, state="listed")
    other = make_timed_case(s, w.outsider.id, sponsor_id=w.gov.id,
                            employer_id=w.other_company.id,
                            listed_by=w.users[CSO].user_id, state="listed")
    by = w.users[CSO].user_id
    at = datetime(YEAR, 5, 1, tzinfo=UTC)
    for case_id, party, minutes, cost, allowance in (
            (case.id, "subject", 120, 0, 2000), (case.id, "security_officer", 90, 10000, 0),
            (case.id, "window", 60, 0, 0), (other.id, "subject", 30, 500, 0)):
        s.add(BurdenRecord(id=new_id(), case_id=case_id, step="questionnaire", party=party,
                           minutes=minutes, cost_yen=cost, allowance_yen=allowance,
                           recorded_by=by, recorded_at=at))
    s.add(ClearanceAllowance(id=new_id(), person_id=w.staff.id, organisation_id=w.company.id,
                             amount_yen=50000, period_start=date(YEAR, 4, 1),
                             period_end=date(YEAR, 9, 30), recorded_by=by))
    s.add(BurdenRecord(id=new_id(), case_id=case.id, step="interview", party="subject",
                       minutes=60, cost_yen=3000, allowance_yen=0, recorded_by=by,
                       recorded_at=datetime(YEAR - 1, 6, 1, tzinfo=UTC)))


def _designations_and_more(s, w: World, today: date) -> None:
    ago = w.users[AGO].user_id
    for i, (regime, cat) in enumerate((("CESI", "supply_chains"), ("CESI", "supply_chains"),
                                       ("SDS", "defence"))):
        d = Designation(id=new_id(), reference=f"R-{i}", title=f"指定{i}",
                        agency_id=w.gov.id, manager_id=ago, regime=regime, category=cat,
                        reasons="理由", scope_kind="technology", scope="範囲",
                        status="in_force", first_start=date(YEAR, 3, 1 + i),
                        term_start=date(YEAR, 3, 1), term_end=today + timedelta(days=20 + i),
                        next_review_on=today + timedelta(days=100), created_by=ago)
        s.add(d)
        s.flush()
        s.add(Review(id=new_id(), designation_id=d.id, due_on=date(YEAR, 6, 1),
                     reviewed_at=datetime(YEAR, 5, 20, tzinfo=UTC) + timedelta(days=15 * i)
                     if i < 2 else None, reviewed_by=ago if i < 2 else None))
        if i == 0:
            for kind in ("renew", "lift_part"):
                s.add(Proposal(id=new_id(), designation_id=d.id, kind=kind, status="approved",
                               reasons="理由", proposed_by=ago,
                               decided_at=datetime(YEAR, 7, 1, tzinfo=UTC),
                               decided_by=w.users[Role.APPROVING_OFFICIAL].user_id))
    s.add(Facility(id=new_id(), organisation_id=w.company.id, level="CESI", state="certified",
                   agency_id=w.gov.id, proposed_by=ago, certified_on=date(YEAR, 4, 1),
                   valid_until=today + timedelta(days=60)))
    for kind, severity, status in (("loss", "low", "closed"), ("loss", "low", "open"),
                                   ("leak", "high", "open")):
        s.add(Incident(id=new_id(), organisation_id=w.company.id, kind=kind,
                       severity=severity, occurred_on=date(YEAR, 8, 1), description="説明",
                       status=status, reported_by=w.users[CSO].user_id))
    # clearances expiring within the horizon: the company's (30 days), another's (40)
    for person, org, days in ((w.staff, w.company, 30), (w.outsider, w.other_company, 40)):
        make_clearance(s, person.id, "CESI", sponsor_id=w.gov.id, employer_id=org.id,
                       listed_by=w.users[CSO].user_id,
                       valid_until=today + timedelta(days=days))


@pytest.fixture
def data(clean) -> Data:
    today = utcnow().date()
    with session_factory(clean)() as s:
        with cheap_argon2():
            w = make_world(s)
        names = _cases(s, w, today)
        _burden(s, w)
        _designations_and_more(s, w, today)
        s.commit()
        s.expunge_all()
    return Data(w, today, names)


def _report(engine, name: str, role: Role, data: Data, **query):
    with session_factory(engine)() as s:
        r = build_report(s, name, ReportQuery(**query), actor=data.world.users[role].actor,
                         today=data.today)
        s.rollback()
    return r


def _row(table, **match) -> dict:
    found = [r for r in table.records() if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, table.records())
    return found[0]


def test_timeliness_known_answers(clean, data):
    r = _report(clean, "timeliness", WO, data, year=YEAR)
    e2e = _row(r.table("phases"), regime="all", phase="End to end")
    assert (e2e["count"], e2e["within_target"], e2e["share_within_target"]) == (50, 37, 74.0)
    assert (e2e["median_days"], e2e["p90_days"]) == (34.5, 68)
    cesi = _row(r.table("phases"), regime="CESI", phase="End to end")
    assert (cesi["count"], cesi["within_target"]) == (40, 37)  # the first 40 are CESI
    adj = _row(r.table("phases"), regime="all", phase="Adjudication")
    # 25 investigated cases take 5 days; 25 reusing one take their whole 11..73 days: the
    # 25th value is 5, the 26th 11
    assert (adj["count"], adj["median_days"]) == (50, 8.0)
    inv = _row(r.table("phases"), regime="all", phase="Investigation")
    assert inv["count"] == 25 and inv["median_days"] == sorted(
        d - 6 for n, d in enumerate(E2E) if n % 2 == 0)[12]
    consent = _row(r.table("phases"), regime="all", phase="Consent stage")
    # the 50 of the year (the open ones were submitted this year, a denied one in 2024)
    assert (consent["count"], consent["median_days"]) == (50, 2)
    every_year = _row(_report(clean, "timeliness", WO, data).table("phases"), regime="all",
                      phase="End to end")
    assert (every_year["count"], every_year["within_target"]) == (51, 37)
    backlog = {row["age"]: row["CESI"] for row in r.table("backlog").records()}
    assert backlog == {"0–30": 1, "31–60": 1, "61–90": 1, "91+": 1}
    monthly = r.table("monthly").records()
    assert sum(m["count"] for m in monthly) == 50
    assert sum(m["within_target"] for m in monthly) == 37
    reviews = {row["status"]: row["reviews"] for row in r.table("reviews").records()}
    assert reviews == {"Reviewed on time": 1, "Reviewed late": 1, "Overdue": 1,
                       "Not yet due": 0}
    # the same reviews per month of their due date (all three due in June)
    assert [(m["month"], m["on_time"], m["late"], m["overdue"])
            for m in r.table("review_monthly").records()] == [(f"{YEAR}-06", 1, 1, 1)]
    assert r.table("visit_monthly").records() == []  # no foreign visitor in this data set


def test_timeliness_with_another_target_and_one_regime(clean, data):
    r = _report(clean, "timeliness", WO, data, target_days=30, regime="SDS", year=YEAR)
    sds = _row(r.table("phases"), regime="SDS", phase="End to end")
    assert (sds["count"], sds["within_target"]) == (10, 0)  # 64..73 days
    assert {row["regime"] for row in r.table("phases").records()} == {"SDS"}
    all_30 = _row(_report(clean, "timeliness", WO, data, target_days=30,
                          year=YEAR).table("phases"),
                  regime="all", phase="End to end")
    assert all_30["within_target"] == 21  # 10..30


def test_burden_per_organisation_sector_and_year(clean, data):
    w = data.world
    r = _report(clean, "burden", WO, data)
    company = _row(r.table("organisations"), organisation=w.company.name_ja)
    assert company == {"organisation": w.company.name_ja, "sector": "Company", "cases": 1,
                       "subject_hours": 3.0, "security_officer_hours": 1.5,
                       "window_hours": 1.0, "cost_yen": 13000, "allowance_yen": 52000,
                       "total_yen": 65000}
    other = _row(r.table("organisations"), organisation=w.other_company.name_ja)
    assert (other["cost_yen"], other["total_yen"]) == (500, 500)
    assert _row(r.table("sectors"), sector="Company")["total_yen"] == 65500
    years = {y["year"]: y["total_yen"] for y in r.table("years").records()}
    assert years == {str(YEAR - 1): 3000, str(YEAR): 62500}
    only_2025 = _report(clean, "burden", WO, data, year=YEAR)
    assert _row(only_2025.table("organisations"),
                organisation=w.company.name_ja)["total_yen"] == 62000


def test_a_company_sees_only_its_own_costs_and_due_dates(clean, data):
    w = data.world
    r = _report(clean, "burden", CSO, data)
    assert [o["organisation"] for o in r.table("organisations").records()] == [
        w.company.name_ja]
    assert r.params["organisation"] == w.company.id
    due = _report(clean, "due-dates", CSO, data)
    orgs = {row["organisation"] for row in due.table("calendar").records()}
    assert orgs == {w.company.name_ja}
    window = _report(clean, "due-dates", WO, data)
    kinds = sorted((row["kind"], row["organisation"]) for row in
                   window.table("calendar").records())
    assert kinds.count(("Clearance expires", w.other_company.name_ja)) == 1
    assert kinds.count(("Certification ends", w.company.name_ja)) == 1
    assert sum(1 for k, _ in kinds if k == "Designation term ends") == 3


def test_due_dates_horizon(clean, data):
    near = _report(clean, "due-dates", WO, data, horizon_days=25)
    kinds = [row["kind"] for row in near.table("calendar").records()]
    # two terms end within 25 days (20, 21), the third at 22; the overdue review is listed
    assert kinds.count("Designation term ends") == 3
    assert kinds.count("Clearance expires") == 0
    assert kinds.count("Designation review due") == 1
    assert [row["overdue"] for row in near.table("calendar").records()
            if row["kind"] == "Designation review due"] == [True]


def test_annual_report_known_answers(clean, data):
    r = _report(clean, "annual", AGO, data, year=YEAR)
    a = {row["regime"]: row for row in r.table("assessments").records()}
    assert (a["CESI"]["granted"], a["SDS"]["granted"]) == (40, 10)
    assert (a["CESI"]["refused"], a["CESI"]["denied"]) == (3, 0)  # 2024's denial is out
    assert (a["CESI"]["complaints"], a["CESI"]["answered"]) == (1, 1)
    d = {(row["regime"], row["category"]): row for row in r.table("designations").records()}
    supply = d[("CESI", "重要物資の安定供給")]
    assert (supply["designations"], supply["renewals"], supply["liftings"],
            supply["in_force"]) == (2, 1, 1, 2)
    assert d[("SDS", "防衛")]["designations"] == 1
    cert = r.table("certifications").records()
    assert cert == [{"sector": "Company", "level": "CESI", "certified": 1, "held": 1}]
    incidents = {(i["kind"], i["severity"]): i for i in r.table("incidents").records()}
    assert (incidents[("loss", "low")]["reported"], incidents[("loss", "low")]["closed"]) == (
        2, 1)
    empty = _report(clean, "annual", AGO, data, year=2001)
    assert all(row[1:] == [0, 0, 0, 0, 0, 0] for row in empty.table("assessments").rows)


def test_refusals_are_counted_never_named(client, data):
    h = data.world.users[AGO].headers
    for fmt in ("csv", "json"):
        r = client.get(f"/api/v1/reports/annual?year={YEAR}&format={fmt}", headers=h)
        assert r.status_code == 200
        assert not any(name in r.text for name in data.refused_names)
        assert data.world.staff.id not in r.text


def test_api_formats(client, data):
    h = data.world.users[WO].headers
    r = client.get(f"/api/v1/reports/timeliness?year={YEAR}", headers=h)
    assert r.status_code == 200 and r.json()["report"] == "timeliness"
    e2e = [row for row in r.json()["tables"]["phases"]
           if row["regime"] == "all" and row["phase"] == "End to end"][0]
    assert (e2e["within_target"], e2e["count"]) == (37, 50)
    # labels in the reader's language (the English catalogue here)
    r = client.get(f"/api/v1/reports/timeliness?year={YEAR}&format=csv",
                   headers=h | {"Cookie": "hozen_lang=en"})
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert any(row[:2] == ["all", "End to end"] and row[2:7] == ["50", "34.5", "68.0", "37",
                                                                  "74.0"] for row in rows)
    r = client.get(f"/api/v1/reports/annual?year={YEAR}&format=pdf", headers=h)
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert f'annual-{YEAR}.pdf' in r.headers["content-disposition"]


@pytest.mark.parametrize("url, field", [
    ("/api/v1/reports/annual?year=1999", "year"),
    ("/api/v1/reports/annual?year=twenty", "year"),
    ("/api/v1/reports/timeliness?format=xlsx", "format"),
    ("/api/v1/reports/timeliness?regime=TOP", "regime"),
    ("/api/v1/reports/timeliness?target_days=0", "target_days"),
    ("/api/v1/reports/due-dates?horizon_days=99999", "horizon_days"),
])
def test_bad_input_is_a_problem_naming_the_field(client, data, url, field):
    r = client.get(url, headers=data.world.users[WO].headers)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in r.text


def test_unknown_report_name_and_format():
    with pytest.raises(ValidationFailed) as exc:
        build_report(None, "salaries", ReportQuery(), actor=Actor.system(), today=date.today())
    assert exc.value.field == "name"
    from hozen.reports.services import check_choice

    with pytest.raises(ValidationFailed) as exc:
        check_choice("annual", "xlsx")
    assert exc.value.field == "format"


def test_reports_refuse_roles_without_the_permission(clean, data):
    with pytest.raises(Forbidden), session_factory(clean)() as s:
        burden(s, actor=data.world.users[Role.SUBJECT].actor)


def test_an_employer_records_an_allowance_for_its_own_staff_only(clean, data):
    w = data.world
    with session_factory(clean)() as s:
        row = record_allowance(s, AllowanceCreate(
            person_id=w.staff.id, amount_yen=12000, period_start=date(YEAR, 1, 1),
            period_end=date(YEAR, 1, 31)), actor=w.users[CSO].actor)
        assert row.organisation_id == w.company.id
        for person, start, end, field in (
                (w.outsider.id, date(YEAR, 1, 1), date(YEAR, 1, 31), "person_id"),
                (w.staff.id, date(YEAR, 2, 1), date(YEAR, 1, 31), "period_end")):
            with pytest.raises(ValidationFailed) as exc:
                record_allowance(s, AllowanceCreate(person_id=person, amount_yen=1,
                                                    period_start=start, period_end=end),
                                 actor=w.users[CSO].actor)
            assert exc.value.field == field
        s.rollback()


def test_allowance_api(client, data):
    w = data.world
    body = {"person_id": w.staff.id, "amount_yen": 8000, "period_start": f"{YEAR}-10-01",
            "period_end": f"{YEAR}-10-31"}
    r = client.post("/api/v1/clearance-allowances", json=body, headers=w.users[CSO].headers)
    assert r.status_code == 201, r.text
    assert r.json()["organisation_id"] == w.company.id
    r = client.post("/api/v1/clearance-allowances", json=body | {"amount_yen": -1},
                    headers=w.users[CSO].headers)
    assert r.status_code == 422 and "amount_yen" in r.text
    other = make_org  # noqa: F841 (kept: another organisation's officer is in the matrix)


def test_the_command_line_writes_every_format(data, tmp_path):
    import json

    from typer.testing import CliRunner

    from hozen.cli.main import app as cli

    runner = CliRunner()
    out = runner.invoke(cli, ["report", "timeliness", "--format", "json", "--year", str(YEAR)])
    assert out.exit_code == 0, out.output
    answer = json.loads(out.stdout)
    e2e = [r for r in answer["tables"]["phases"]
           if r["regime"] == "all" and r["phase"] == "End to end"][0]
    assert (e2e["count"], e2e["within_target"]) == (50, 37)
    target = tmp_path / "annual.pdf"
    out = runner.invoke(cli, ["report", "annual", "--format", "pdf", "--year", str(YEAR),
                              "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert target.read_bytes()[:4] == b"%PDF" and "writing pdf" in out.stderr
    out = runner.invoke(cli, ["report", "burden", "-f", "csv"])
    assert out.exit_code == 0 and data.world.company.name_ja in out.stdout
    out = runner.invoke(cli, ["report", "time-to-access", "--format", "csv"])
    assert out.exit_code == 0, out.output
    for bad in (["report", "timeliness", "--regime", "TOP"],
                ["report", "annual", "--year", "1999"], ["report", "salaries"],
                ["report", "burden", "--format", "xlsx"]):
        out = runner.invoke(cli, bad)
        assert out.exit_code == 2, (bad, out.output)


def test_burden_per_case(clean, data):
    r = _report(clean, "burden", CSO, data)
    cases = r.table("cases").records()
    assert len(cases) == 1 and cases[0]["organisation"] == data.world.company.name_ja
    assert (cases[0]["subject_hours"], cases[0]["cost_yen"], cases[0]["allowance_yen"]) == (
        3.0, 13000, 2000)  # the case's own allowance; staff allowances are per organisation

"""Burden and cost (R12): hours and yen recorded per case step (the subject's time, the
security officer's, the window's; fees), and the clearance allowances employers pay their
staff — per organisation, per sector (kind of organisation) and per year. A company sees
its own figures only; government and oversight see every organisation's."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    case,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.clearances.models import BurdenRecord, ClearanceCase
from hozen.db import new_id
from hozen.errors import ValidationFailed
from hozen.facilities.registers import sees_all, staff
from hozen.messages import KIND_LABELS, N_
from hozen.registry.models import Organisation
from hozen.reports import burden_totals
from hozen.reports.models import BurdenTotal, ClearanceAllowance
from hozen.reports.schemas import AllowanceCreate, Chart, Label, Report, Table

PARTIES = ("subject", "security_officer", "window")
FIGURES = [("cases", N_("Cases")), ("subject_hours", N_("Subject's hours")),
           ("security_officer_hours", N_("Security officer's hours")),
           ("window_hours", N_("Window's hours")), ("cost_yen", N_("Fees and costs (yen)")),
           ("allowance_yen", N_("Allowances (yen)")), ("total_yen", N_("Total (yen)"))]


def record_allowance(session: Session, data: AllowanceCreate, *,
                     actor: Actor) -> ClearanceAllowance:
    """An employer records an allowance it paid one of its own staff for a period."""
    actor.require(Permission.REPORTS_ALLOWANCE_RECORD)
    errors = staff(session, actor, data.person_id, "person_id")
    if data.period_end < data.period_start:
        errors.append(("period_end", "end_before_start"))
    if errors:
        raise ValidationFailed(errors)
    row = ClearanceAllowance(id=new_id(), organisation_id=actor.organisation_id,
                             recorded_by=actor.id, **data.model_dump())
    session.add(row)
    session.flush()
    record(session, actor=actor.audit_name, tag="reports:allowance:record",
           subject_type="clearance_allowance", subject_id=row.id,
           details={"organisation_id": row.organisation_id, "amount_yen": row.amount_yen,
                    "period_start": row.period_start.isoformat(),
                    "period_end": row.period_end.isoformat()})
    return row


def _figures(cases: int, minutes: dict[str, int], cost: int, allowance: int) -> list:
    hours = [round(minutes.get(p, 0) / 60, 1) for p in PARTIES]
    return [cases, *hours, cost, allowance, cost + allowance]


def _sums(session: Session, q: Select, *keys: ColumnElement) -> dict[tuple, list]:
    """Per group of `keys`: distinct cases, minutes per party, fees and case allowances."""
    r = BurdenRecord
    sums = [func.sum(case((r.party == p, r.minutes), else_=0)) for p in PARTIES] + [
        func.sum(r.cost_yen), func.sum(r.allowance_yen)]
    k = len(keys)
    if keys and keys[0] is r.case_id:  # the cases in the order of their first record
        q = q.with_only_columns(*keys, func.count(r.case_id.distinct()), *sums).group_by(
            *keys).order_by(func.min(r.recorded_at), func.min(r.id))
    else:  # per case first, then per group: hashed twice, where count(DISTINCT) sorts
        per_case = q.with_only_columns(*(key.label(f"k{i}") for i, key in enumerate(keys)),
                                       *(v.label(f"v{i}") for i, v in enumerate(sums))
                                       ).group_by(*keys, r.case_id).subquery()
        q = select(*(per_case.c[f"k{i}"] for i in range(k)), func.count(), *(
            cast(func.sum(per_case.c[f"v{i}"]), BigInteger) for i in range(len(sums)))
        ).group_by(*(per_case.c[f"k{i}"] for i in range(k)))
    return {tuple(row[:k]): [row[k], dict(zip(PARTIES, (v or 0 for v in row[k + 1:k + 4]),
                                              strict=True)),
                             row[k + 4] or 0, row[k + 5] or 0] for row in session.execute(q)}


def _allowances(session: Session, q: Select, key: ColumnElement) -> dict:
    a = ClearanceAllowance
    return dict(session.execute(q.with_only_columns(key, func.sum(a.amount_yen))
                                .group_by(key)).all())


Sums = dict  # per year or organisation: [cases, minutes per party, fees, allowances]


def figures_of_records(session: Session, own: str | None, year: int | None
                       ) -> tuple[Sums, Sums]:
    """Per year (every year) and per organisation (the chosen year, or every year), from
    every record and allowance: the reference reports.burden_totals is held to."""
    r, al = BurdenRecord, ClearanceAllowance
    q = select(r.id).join(ClearanceCase, ClearanceCase.id == r.case_id)
    a = select(al.id)
    if own is not None:
        q = q.where(ClearanceCase.employer_id == own)
        a = a.where(al.organisation_id == own)
    recorded, ended = (cast(extract("year", r.recorded_at), Integer),
                       cast(extract("year", al.period_end), Integer))
    # every record's case exists (a foreign key): without an organisation to keep to, the
    # years need no join with every case
    by_year = {y: sums for (y,), sums in _sums(
        session, q if own is not None else select(r.id), recorded).items()}
    for y, amount in _allowances(session, a, ended).items():
        by_year.setdefault(y, [0, {}, 0, 0])[3] += amount
    if year is not None:  # the organisations count the chosen year's records only
        q = q.where(r.recorded_at >= datetime(year, 1, 1, tzinfo=UTC),
                    r.recorded_at < datetime(year + 1, 1, 1, tzinfo=UTC))
        a = a.where(al.period_end >= date(year, 1, 1), al.period_end < date(year + 1, 1, 1))
    by_org = {org: sums for (org,), sums in _sums(session, q, ClearanceCase.employer_id)
              .items()}
    for org, amount in _allowances(session, a, al.organisation_id).items():
        by_org.setdefault(org, [0, {}, 0, 0])[3] += amount
    return by_year, by_org


def figures_of_totals(session: Session, own: str | None, year: int | None
                      ) -> tuple[Sums, Sums]:
    """The same figures as figures_of_records, read from the kept totals: a row per year
    and organisation, whatever the number of records."""
    t = BurdenTotal
    sums = [cast(func.sum(getattr(t, c)), BigInteger) for c in burden_totals.COLUMNS]
    mine = [t.organisation_id == own] if own is not None else []

    def shaped(q: Select) -> Sums:
        out = {}
        for key, cases, *minutes, cost, case_allowance, allowances, paid in (
                session.execute(q)):
            if cases or allowances:  # a record, or an allowance (of 0 yen too)
                out[key] = [cases, dict(zip(PARTIES, minutes, strict=True)), cost,
                            case_allowance + paid]
        return out

    return (shaped(select(t.year, *sums).where(t.year != burden_totals.EVERY_YEAR, *mine)
                   .group_by(t.year)),
            shaped(select(t.organisation_id, *sums).where(
                t.year == (year or burden_totals.EVERY_YEAR), *mine)
                   .group_by(t.organisation_id)))


def burden(session: Session, *, actor: Actor, year: int | None = None,
           tables: Collection[str] | None = None) -> Report:
    """With `tables` not naming "cases", no per-case table (one row a case: the slow
    part at scale, and not on the dashboard)."""
    actor.require(Permission.REPORTS_BURDEN_READ)
    own = None if sees_all(actor) else actor.organisation_id or ""
    by_year, by_org = figures_of_totals(session, own, year)
    by_case = {}
    if tables is None or "cases" in tables:
        r = BurdenRecord
        q = select(r.id).join(ClearanceCase, ClearanceCase.id == r.case_id)
        if own is not None:
            q = q.where(ClearanceCase.employer_id == own)
        if year is not None:
            q = q.where(r.recorded_at >= datetime(year, 1, 1, tzinfo=UTC),
                        r.recorded_at < datetime(year + 1, 1, 1, tzinfo=UTC))
        by_case = _sums(session, q, r.case_id, ClearanceCase.employer_id)
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.id.in_(list(by_org))))}
    per_case = Table("cases", N_("Per case"),
                     [("case", N_("Case")), ("organisation", N_("Organisation"))]
                     + FIGURES[1:],
                     [[case_id[:8], orgs[org].name_ja if org in orgs else org]
                      + _figures(*sums)[1:] for (case_id, org), sums in by_case.items()])
    per_org = Table("organisations", N_("Per organisation"),
                    [("organisation", N_("Organisation")), ("sector", N_("Sector"))] + FIGURES,
                    chart=Chart("bar", "organisation", ("cost_yen", "allowance_yen"),
                                N_("yen"), top=20))
    sectors: dict[str, list] = {}
    for oid, sums in sorted(by_org.items(), key=lambda kv: orgs[kv[0]].name_ja
                            if kv[0] in orgs else kv[0]):
        o = orgs.get(oid)
        kind = o.kind if o else ""
        per_org.rows.append([o.name_ja if o else oid, Label(KIND_LABELS.get(kind, kind))]
                            + _figures(*sums))
        total = sectors.setdefault(kind, [0] * (len(FIGURES)))
        sectors[kind] = [x + y for x, y in zip(total, _figures(*sums), strict=True)]
    per_sector = Table("sectors", N_("Per sector"), [("sector", N_("Sector"))] + FIGURES,
                       [[Label(KIND_LABELS.get(k, k))] + [round(v, 1) for v in vals]
                        for k, vals in sorted(sectors.items())])
    per_year = Table("years", N_("Per year"), [("year", N_("Year"))] + FIGURES,
                     [[str(y)] + _figures(*by_year[y]) for y in sorted(by_year)],
                     chart=Chart("line", "year", ("cost_yen", "allowance_yen", "total_yen"),
                                 N_("yen")))
    return Report("burden", N_("Burden and cost"), {"year": year, "organisation": own},
                  [per_org, per_sector, per_year]
                  + ([per_case] if tables is None or "cases" in tables else []))

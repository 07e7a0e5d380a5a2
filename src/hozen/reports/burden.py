"""Burden and cost (R12): hours and yen recorded per case step (the subject's time, the
security officer's, the window's; fees), and the clearance allowances employers pay their
staff — per organisation, per sector (kind of organisation) and per year. A company sees
its own figures only; government and oversight see every organisation's."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
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
from hozen.reports.models import ClearanceAllowance
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


class _Sums:
    def __init__(self) -> None:
        self.cases: set[str] = set()
        self.minutes = dict.fromkeys(PARTIES, 0)
        self.cost = 0
        self.allowance = 0

    def row(self) -> list:
        hours = [round(self.minutes[p] / 60, 1) for p in PARTIES]
        return [len(self.cases), *hours, self.cost, self.allowance, self.cost + self.allowance]


def burden(session: Session, *, actor: Actor, year: int | None = None) -> Report:
    actor.require(Permission.REPORTS_BURDEN_READ)
    own = None if sees_all(actor) else actor.organisation_id or ""
    q = select(BurdenRecord, ClearanceCase.employer_id).join(
        ClearanceCase, ClearanceCase.id == BurdenRecord.case_id)
    a = select(ClearanceAllowance)
    if own is not None:
        q = q.where(ClearanceCase.employer_id == own)
        a = a.where(ClearanceAllowance.organisation_id == own)
    by_org: dict[str, _Sums] = defaultdict(_Sums)
    by_year: dict[int, _Sums] = defaultdict(_Sums)
    by_case: dict[tuple[str, str], _Sums] = defaultdict(_Sums)
    for rec, org in session.execute(q.order_by(BurdenRecord.recorded_at, BurdenRecord.id)):
        when = rec.recorded_at.year
        targets = [by_year[when]] + ([by_org[org], by_case[(rec.case_id, org)]]
                                     if year in (None, when) else [])
        for t in targets:
            t.cases.add(rec.case_id)
            t.minutes[rec.party] += rec.minutes
            t.cost += rec.cost_yen
            t.allowance += rec.allowance_yen
    for al in session.scalars(a):
        by_year[al.period_end.year].allowance += al.amount_yen
        if year in (None, al.period_end.year):
            by_org[al.organisation_id].allowance += al.amount_yen
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(
        Organisation.id.in_(list(by_org))))}
    per_case = Table("cases", N_("Per case"),
                     [("case", N_("Case")), ("organisation", N_("Organisation"))]
                     + FIGURES[1:],
                     [[case_id[:8], orgs[org].name_ja if org in orgs else org]
                      + sums.row()[1:] for (case_id, org), sums in by_case.items()])
    per_org = Table("organisations", N_("Per organisation"),
                    [("organisation", N_("Organisation")), ("sector", N_("Sector"))] + FIGURES,
                    chart=Chart("bar", "organisation", ("cost_yen", "allowance_yen"),
                                N_("yen")))
    sectors: dict[str, list] = {}
    for oid, sums in sorted(by_org.items(), key=lambda kv: orgs[kv[0]].name_ja
                            if kv[0] in orgs else kv[0]):
        o = orgs.get(oid)
        kind = o.kind if o else ""
        per_org.rows.append([o.name_ja if o else oid, Label(KIND_LABELS.get(kind, kind))]
                            + sums.row())
        total = sectors.setdefault(kind, [0] * (len(FIGURES)))
        sectors[kind] = [x + y for x, y in zip(total, sums.row(), strict=True)]
    per_sector = Table("sectors", N_("Per sector"), [("sector", N_("Sector"))] + FIGURES,
                       [[Label(KIND_LABELS.get(k, k))] + [round(v, 1) for v in vals]
                        for k, vals in sorted(sectors.items())])
    per_year = Table("years", N_("Per year"), [("year", N_("Year"))] + FIGURES,
                     [[str(y)] + by_year[y].row() for y in sorted(by_year)],
                     chart=Chart("line", "year", ("cost_yen", "allowance_yen", "total_yen"),
                                 N_("yen")))
    return Report("burden", N_("Burden and cost"), {"year": year, "organisation": own},
                  [per_org, per_sector, per_year, per_case])

"""The burden totals the burden report reads (reports.models.BurdenTotal), kept in step
with the burden records, the cases' employers and the clearance allowances in the same
transaction: every flush that adds, changes or deletes one subtracts the totals of the
affected cases and allowances as they were before it and adds them as they are after it
(both read by the same queries), so no write path through the ORM can forget them.
Writers that insert records or allowances in bulk with Core call rebuild at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import (
    Integer,
    bindparam,
    cast,
    delete,
    extract,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hozen.clearances.models import BurdenRecord, ClearanceCase
from hozen.reports.kept import keep
from hozen.reports.models import BurdenTotal, ClearanceAllowance

Key = tuple[int, str, str]  # year (0: every year), organisation id, BurdenTotal column
EVERY_YEAR = 0
MINUTES = {"subject": "subject_minutes", "security_officer": "security_officer_minutes",
           "window": "window_minutes"}
COLUMNS = ("cases", *MINUTES.values(), "cost_yen", "case_allowance_yen", "allowances",
           "allowance_yen")
BATCH = 5000
_RECORD_FIELDS = ("case_id", "party", "minutes", "cost_yen", "allowance_yen", "recorded_at")
_ALLOWANCE_FIELDS = ("organisation_id", "amount_yen", "period_end")


def case_keys(employer: str, records: Iterable[tuple[int, str, int, int, int]]
              ) -> Counter[Key]:
    """What one case adds: per year it has records in, and for every year together, one
    case, and its records' minutes per party, fees and case allowances (`records`:
    year, party, minutes, cost, allowance)."""
    out: Counter[Key] = Counter()
    years = set()
    for year, party, minutes, cost, allowance in records:
        years.add(year)
        for y in (year, EVERY_YEAR):
            out[(y, employer, MINUTES[party])] += minutes
            out[(y, employer, "cost_yen")] += cost
            out[(y, employer, "case_allowance_yen")] += allowance
    for y in years | ({EVERY_YEAR} if years else set()):
        out[(y, employer, "cases")] += 1
    return out


def allowance_keys(organisation: str, year: int, amount: int) -> Counter[Key]:
    """What one clearance allowance adds, in the year its period ends and in every year."""
    return Counter({(y, organisation, c): v for y in (year, EVERY_YEAR)
                    for c, v in (("allowances", 1), ("allowance_yen", amount))})


def _records():
    r, c = BurdenRecord, ClearanceCase
    year = cast(extract("year", r.recorded_at), Integer)
    return select(c.id, c.employer_id, year, r.party, func.sum(r.minutes),
                  func.sum(r.cost_yen), func.sum(r.allowance_yen)).join(
        c, c.id == r.case_id).group_by(c.id, c.employer_id, year, r.party)


def _allowances():
    a = ClearanceAllowance
    return select(a.organisation_id, cast(extract("year", a.period_end), Integer),
                  a.amount_yen)


# Built once: every burden record written runs them, and building a statement costs
# more than running it. ("ids": the cases or allowances, at most BATCH at a time.)
_IDS = bindparam("ids", expanding=True)
_RECORDS_OF = _records().where(ClearanceCase.id.in_(_IDS))
_ALLOWANCES_OF = _allowances().where(ClearanceAllowance.id.in_(_IDS))
_LOCKS = {model: select(model.id).where(model.id.in_(_IDS)).order_by(model.id)
          .with_for_update(key_share=True) for model in (ClearanceCase, ClearanceAllowance)}


def _count(records, allowances) -> Counter[Key]:
    per_case: dict[tuple[str, str], list] = {}
    for case_id, employer, *rest in records:
        per_case.setdefault((case_id, employer), []).append(rest)
    out: Counter[Key] = Counter()
    for (_, employer), rows in per_case.items():
        out.update(case_keys(employer, rows))
    for organisation, year, amount in allowances:
        out.update(allowance_keys(organisation, year, amount))
    return out


def totals_of(conn: Connection, case_ids: Iterable[str], allowance_ids: Iterable[str]
              ) -> Counter[Key]:
    """What these cases (with all their records) and allowances add, as stored now."""
    cases, allowances = sorted(set(case_ids)), sorted(set(allowance_ids))
    out: Counter[Key] = Counter()
    for at in range(0, max(len(cases), len(allowances)), BATCH):
        out.update(_count(conn.execute(_RECORDS_OF, {"ids": cases[at:at + BATCH]})
                          if cases[at:] else [],
                          conn.execute(_ALLOWANCES_OF, {"ids": allowances[at:at + BATCH]})
                          if allowances[at:] else []))
    return out


def totals_of_every_row(conn: Connection) -> Counter[Key]:
    """The totals of every record and allowance (the reference the kept ones equal)."""
    return _count(conn.execute(_records().order_by(ClearanceCase.id)),
                  conn.execute(_allowances()))


def stored_totals(conn: Connection) -> Counter[Key]:
    t = BurdenTotal.__table__
    out: Counter[Key] = Counter()
    for row in conn.execute(select(t)).mappings():
        out.update({(row["year"], row["organisation_id"], c): row[c] for c in COLUMNS
                    if row[c]})
    return out


def _rows(delta: Mapping[Key, int]) -> list[dict]:
    rows: dict[tuple[int, str], dict] = {}
    for (year, org, column), v in sorted(delta.items()):
        if v:
            rows.setdefault((year, org), {"year": year, "organisation_id": org, **dict.fromkeys(
                COLUMNS, 0)})[column] += v
    return list(rows.values())


def apply(conn: Connection, delta: Mapping[Key, int]) -> None:
    """Add `delta` to the totals (rows in key order, so concurrent writers lock alike)."""
    rows = _rows(delta)
    if rows:
        conn.execute(_UPSERTS[conn.dialect.name], rows)


def _upsert(dialect):
    t = BurdenTotal.__table__
    stmt = dialect.insert(t)
    return stmt.on_conflict_do_update(index_elements=["year", "organisation_id"], set_={
        c: t.c[c] + stmt.excluded[c] for c in COLUMNS})


_UPSERTS = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def rebuild(conn: Connection) -> int:
    """Every total again from every record and allowance (migration, bulk writers,
    repair); rows written."""
    conn.execute(delete(BurdenTotal.__table__))
    rows = _rows(totals_of_every_row(conn))
    for at in range(0, len(rows), BATCH):
        conn.execute(insert(BurdenTotal.__table__), rows[at:at + BATCH])
    return len(rows)


def _history(obj, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[f].history.has_changes() for f in fields)


def _before_ids(session: Session) -> tuple[set[str], set[str]]:
    """The cases and allowances a flush changes, as far as they are in the database."""
    cases: set[str] = set()
    allowances: set[str] = set()
    for o in session.dirty | session.deleted:
        if isinstance(o, BurdenRecord) and (o in session.deleted
                                            or _history(o, _RECORD_FIELDS)):
            cases |= {o.case_id, *inspect(o).attrs.case_id.history.deleted}
        elif isinstance(o, ClearanceCase) and (o in session.deleted
                                               or _history(o, ("employer_id",))):
            cases.add(o.id)
        elif isinstance(o, ClearanceAllowance) and (o in session.deleted
                                                    or _history(o, _ALLOWANCE_FIELDS)):
            allowances.add(o.id)
    cases |= {o.case_id for o in session.new if isinstance(o, BurdenRecord)}
    return cases - {None}, allowances - {None}


def _before(session: Session):
    """The totals of the cases and allowances this flush changes, as they are before it."""
    new = [o for o in session.new if isinstance(o, BurdenRecord | ClearanceAllowance)]
    cases, allowances = _before_ids(session)
    if not (new or cases or allowances):
        return None
    conn = session.connection()
    _lock(conn, cases | {o.case_id for o in new if isinstance(o, BurdenRecord)}, allowances)
    return totals_of(conn, cases, allowances), cases, allowances, new  # rows as they were


def _lock(conn: Connection, case_ids: set, allowance_ids: set) -> None:
    """Lock the cases and allowances whose totals this flush reads twice, so that no
    other writer's change to them commits between the two reads (PostgreSQL reads each
    statement's own snapshot; on SQLite the writer already holds the database). FOR NO
    KEY UPDATE, in id order: foreign-key checks are not blocked, and writers lock alike."""
    for model, ids in ((ClearanceCase, case_ids), (ClearanceAllowance, allowance_ids)):
        ids = sorted(ids - {None})
        for at in range(0, len(ids), BATCH):
            conn.execute(_LOCKS[model], {"ids": ids[at:at + BATCH]})


def _after(conn: Connection, state) -> None:
    before, cases, allowances, new = state
    delta = totals_of(conn, cases | {o.case_id for o in new if isinstance(o, BurdenRecord)},
                      allowances | {o.id for o in new if isinstance(o, ClearanceAllowance)})
    delta.subtract(before)
    apply(conn, delta)


keep("burden_totals", _before, _after)

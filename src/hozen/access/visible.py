"""What may I see: the items a person may read through hozen's registered IT system,
found by one SQL query built from the same rules as decide_access (never a loop over
items in Python). The person's attributes are constants of the query; each item's
effective level, lapse, compartments and releasability are SQL expressions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, false, func, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hozen.access import attributes
from hozen.access import rules as r
from hozen.designations.models import Designation, Item

CLASSIFYING = ("in_force", "provisional", "pending_disposition")


def _csv(column) -> ColumnElement:
    """',a,b,' from 'a,b' (and ',,' from ''), so that membership is a LIKE."""
    return literal(",") + column + literal(",")


def _within(column, allowed: frozenset[str]) -> ColumnElement:
    """Every comma-separated code of `column` is in `allowed`: remove each allowed code
    and see nothing left."""
    rest = _csv(column)
    for code in sorted(allowed):
        rest = func.replace(rest, f",{code},", ",")
    return rest.in_([",", ",,"])


def item_columns(today: date) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """(rank, lapsed, releasable csv) of an item, as designations/rules.item_level and
    effective_status derive them."""
    status = Designation.status
    ended = or_(status == "pending_disposition",
                and_(status.in_(("in_force", "provisional")), Designation.term_end < today),
                and_(status == "provisional", Designation.provisional.is_(True),
                     Designation.confirm_by < today))
    classified = and_(Item.designation_id.is_not(None), status.in_(CLASSIFYING),
                      Item.lifted_on.is_(None))
    rank = case((classified, case((Designation.regime == "SDS", r.SDS), else_=r.CESI)),
                (or_(status == "downgraded", Item.cui_categories != ""), r.CUI),
                else_=r.UNMARKED)
    releasable = case((Item.controls.contains("NOFORN"), ""),
                      (Item.releasable_to != "", Item.releasable_to),
                      else_=func.coalesce(Designation.releasable_to, ""))
    return rank, and_(classified, ended), releasable


def _nationality_ok(s: r.Subject, releasable) -> ColumnElement:
    if r.HOME in s.nationalities:
        return true()
    if not s.visit_approved:
        return false()
    return or_(*[_csv(releasable).contains(f",{c},") for c in sorted(s.nationalities)])


def visible_clause(s: r.Subject, today: date, area_rank: int) -> ColumnElement:
    """The SQL twin of decide_access for one subject (as a WHERE clause over Item left
    joined to Designation)."""
    t = today.toordinal()
    rank, lapsed, releasable = item_columns(today)
    cleared = s.clearance_rank > 0 and s.clearance_status == "active" and \
        s.clearance_until >= t
    programmes = _within(Item.compartments, s.briefed)
    nationality = _nationality_ok(s, releasable)

    def level_ok(level: int) -> bool:  # the subject's own conditions for a level
        return (cleared and s.clearance_rank >= level
                and (s.government or (s.facility_rank >= level and s.foci_rank >= level
                                      and not (level == r.SDS and s.national_interest_needed)))
                and s.training_due > t and area_rank >= level and not s.departed)

    classified = [and_(rank == level, ~lapsed, Item.id.in_(sorted(s.handles)), programmes,
                       nationality)
                  for level in (r.CESI, r.SDS) if level_ok(level) and s.handles]
    cui = [and_(rank == r.CUI, programmes, nationality)] \
        if (s.cui_authorized or cleared) and not s.departed else []
    return or_(rank == r.UNMARKED, *cui, *classified)


def accessible_items(session: Session, s: r.Subject, today: date, *, after: str | None = None,
                     limit: int = 50) -> list[tuple[str, str, int]]:
    """(item id, title, rank) of the items `s` may read through hozen, by id after the
    cursor; one query."""
    rank, _, _ = item_columns(today)
    q = (select(Item.id, Item.title, rank)
         .outerjoin(Designation, Designation.id == Item.designation_id)
         .where(visible_clause(s, today, attributes.system_area_rank()))
         .order_by(Item.id).limit(limit))
    if after is not None:
        q = q.where(Item.id > after)
    return [(i, title, int(k)) for i, title, k in session.execute(q)]

"""What may I see: the items a person may read through hozen's registered IT system,
found by one SQL query built from the same rules as decide_access (never a loop over
items in Python). The person's attributes are constants of the query; each item's
effective level, lapse, compartments and releasability are SQL expressions.

The rule is an OR over the item's level, and one scan in id order under it reads the
whole table for a person who sees little (all of it when nothing is visible). So the
query is a UNION ALL of disjoint branches, each led by an index and cut at the page, then
merged by id: classified items through the person's handler entries (primary key
lookups in id order), undesignated items through partial indexes (unmarked apart from
CUI) and items lifted out of their designation through another, both in id order; items
whose designation no longer classifies through those designations, read whole and
sorted. A branch costs about its page where its items are dense, and at worst what its
lead holds: every handler entry of a person who may see none of them, every item of the
designations that no longer classify (bench/accessible_items.py times the first page
over 1M items, the first of these in its stress case)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import (
    JSON,
    and_,
    any_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hozen.access import attributes
from hozen.access import rules as r
from hozen.designations.models import Designation, Item
from hozen.designations.rules import Status

CLASSIFYING = ("in_force", "provisional", "pending_disposition")
UNCLASSIFYING = tuple(v.value for v in Status if v.value not in CLASSIFYING)
EMPTY = literal_column("''")  # inline: a partial index's WHERE must match it as written


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


@lru_cache(maxsize=4)  # expressions are immutable; building them is a good part of a call
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


def _nationality_ok(s: r.Subject, releasable, cui: bool = False) -> ColumnElement:
    if r.HOME in s.nationalities:
        return true()
    if not (s.visit_approved or (cui and s.partner_agreement)):
        return false()
    return or_(*[_csv(releasable).contains(f",{c},") for c in sorted(s.nationalities)])


def _among(column, values: frozenset[str], dialect: str) -> ColumnElement:
    """`column` IN `values`, the values bound as one JSON parameter: a handler may be on
    the register for tens of thousands of items, and a parameter each (or a driver's
    array of them) would cost more than the query, and meet the limits on parameters."""
    bound = literal(list(values), JSON)
    if dialect == "postgresql":  # an array, so that the primary key is walked in order
        return column == any_(func.array(
            select(func.json_array_elements_text(bound)).scalar_subquery()))
    if dialect == "sqlite":
        return column.in_(select(func.json_each(bound).table_valued("value").c.value))
    return column.in_(list(values))


class Branch(NamedTuple):
    lead: ColumnElement  # the items to look at, from an index
    rule: ColumnElement  # decide_access's condition at the levels the lead's items can have
    walk: bool = True  # read in id order and stop at the page; else read whole and sort


def _under(statuses: list[str], dialect: str) -> ColumnElement:
    """The items of the designations in `statuses`, found through those designations.
    PostgreSQL estimates as many items for each designation as the average, so with a few
    dozen lifted ones it would walk every item in id order: an array of unknown length
    makes it read the designations' items through their index (and sort them) instead."""
    ids = select(Designation.id).where(Designation.status.in_(statuses))
    if dialect == "postgresql":
        return Item.designation_id == any_(func.array(ids.scalar_subquery()))
    return Item.designation_id.in_(ids)


def _branches(s: r.Subject, today: date, area_rank: int, dialect: str) -> list[Branch]:
    """The SQL twin of decide_access for one subject, over Item left joined to
    Designation, as branches whose leads are disjoint and together hold every item the
    rule can permit (the subject's own conditions are decided here, once)."""
    t = today.toordinal()
    rank, lapsed, releasable = item_columns(today)
    cleared = s.clearance_rank > 0 and s.clearance_status == "active" and \
        s.clearance_until >= t
    programmes = _within(Item.compartments, s.briefed)
    nationality = _nationality_ok(s, releasable)
    reachable = r.HOME in s.nationalities or s.visit_approved  # else no classified item

    def level_ok(level: int) -> bool:  # the subject's own conditions for a level
        return (cleared and s.clearance_rank >= level
                and (s.government or (s.facility_rank >= level and s.foci_rank >= level
                                      and not (level == r.SDS and s.national_interest_needed)))
                and s.training_due > t and area_rank >= level and not s.departed
                and not s.foreign_unrecognised)

    cui_ok = (reachable or s.partner_agreement) and (s.cui_authorized or cleared) \
        and not s.departed
    cui = and_(rank == r.CUI, programmes, _nationality_ok(s, releasable, cui=True))
    below = or_(rank == r.UNMARKED, cui) if cui_ok else rank == r.UNMARKED
    undesignated = Item.designation_id.is_(None)
    # Not classified: without a designation (unmarked or CUI by its categories alone),
    # lifted out of its designation, or under one that no longer classifies (a
    # downgraded one holds CUI items only).
    out = [Branch(and_(undesignated, Item.cui_categories == EMPTY), rank == r.UNMARKED)]
    if cui_ok:
        out.append(Branch(and_(undesignated, Item.cui_categories != EMPTY), cui))
    out.append(Branch(and_(Item.lifted_on.is_not(None), Item.designation_id.is_not(None)),
                      below))
    statuses = [v for v in UNCLASSIFYING if cui_ok or v != Status.DOWNGRADED]
    out.append(Branch(and_(Item.lifted_on.is_(None), _under(statuses, dialect)), below,
                      walk=False))
    # Classified: only what the person is on the handler register for.
    levels = [level for level in (r.CESI, r.SDS) if level_ok(level)]
    if reachable and levels and s.handles:
        out.append(Branch(_among(Item.id, s.handles, dialect),
                          and_(rank.in_(levels), ~lapsed, programmes, nationality)))
    return out


def accessible_items(session: Session, s: r.Subject, today: date, *, after: str | None = None,
                     limit: int = 50) -> list[tuple[str, str, int]]:
    """(item id, title, rank) of the items `s` may read through hozen, by id after the
    cursor; one query: each branch's first `limit` items, merged by id."""
    rank, _, _ = item_columns(today)
    dialect = session.get_bind().dialect.name
    pages = []
    for b in _branches(s, today, attributes.system_area_rank(), dialect):
        q = (select(Item.id, Item.title, rank.label("rank"))
             .outerjoin(Designation, Designation.id == Item.designation_id).where(b.lead, b.rule))
        if after is not None:
            q = q.where(Item.id > after)
        # OFFSET 0 keeps a branch read whole from being planned as a walk in id order.
        q = q.order_by(Item.id).limit(limit) if b.walk else q.offset(0)
        pages.append(select(q.subquery()))
    merged = union_all(*pages).subquery()
    q = select(merged).order_by(merged.c.id).limit(limit)
    return [(i, title, int(k)) for i, title, k in session.execute(q)]

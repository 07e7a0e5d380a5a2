"""The phases of a suitability assessment in SQL, from the case's own timestamps: consent
(listed → consented), questionnaire (consented → submitted), investigation (opened →
completed, not for a reused one), adjudication (investigation completed, or submitted
when reused → decided) and end to end (submitted → decided). One definition, read by the
summaries the dashboard uses (reports.summaries) and by the figures computed from every
case (phase_stats_of_cases), which the tests hold the summaries to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, String, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from hozen.clearances.models import ClearanceCase, Investigation
from hozen.clearances.rules import CaseState
from hozen.reports.rules import Summary, days_of
from hozen.reports.sql import Ranked, month_of, ranked, seconds

DECIDED = (CaseState.GRANTED, CaseState.DENIED)
PHASE_KEYS = ("consent", "questionnaire", "investigation", "adjudication", "end_to_end")


def phase_seconds(inv) -> dict[str, ColumnElement]:
    """Each phase's seconds, NULL where the case has not finished it (`inv`: the
    investigation joined to the case)."""
    c = ClearanceCase
    decided = case((c.state.in_(DECIDED), c.decided_at))
    adjudication_start = case((or_(c.reused_investigation, inv.id.is_(None)), c.submitted_at),
                              else_=inv.completed_on)
    return {"consent": seconds(c.created_at, c.consented_at),
            "questionnaire": seconds(c.consented_at, c.submitted_at),
            "investigation": case((c.reused_investigation, None),
                                  else_=seconds(inv.opened_at, inv.completed_on)),
            "adjudication": seconds(adjudication_start, decided),
            "end_to_end": seconds(c.submitted_at, decided)}


def belongs_at() -> ColumnElement:
    """When a case's phases count: decided, or if still open, submitted (else created)."""
    c = ClearanceCase
    return case((c.state.in_(DECIDED), c.decided_at),
                else_=func.coalesce(c.submitted_at, c.created_at))


def timed_cases():
    """Per case: its regime, when it belongs and each phase's seconds."""
    c, inv = ClearanceCase, aliased(Investigation)
    return select(c.regime, belongs_at().label("belongs"), *(
        e.label(k) for k, e in phase_seconds(inv).items())).outerjoin(
        inv, inv.id == c.investigation_id)


def in_year(at: ColumnElement, year: int | None) -> ColumnElement:
    if year is None:
        return at.is_not(None)
    return and_(at >= datetime(year, 1, 1, tzinfo=UTC), at < datetime(year + 1, 1, 1,
                                                                      tzinfo=UTC))


def _summaries(found: dict[tuple, Ranked]) -> dict[tuple, Summary]:
    return {k: Summary.of_ranks(r.count, r.within, days_of(r.lower), days_of(r.upper),
                                days_of(r.p90)) for k, r in found.items()}


def phase_stats_of_cases(session: Session, regime: str | None, year: int | None,
                         limit: int) -> tuple[dict[tuple, Summary], dict[tuple, Summary]]:
    """From every case (the reference for reports.summaries): per (regime, phase), per
    ('all', phase) and per month decided (end to end); `limit` in seconds."""
    base = timed_cases().where(in_year(belongs_at(), year))
    if regime:
        base = base.where(ClearanceCase.regime == regime)
    base = base.cte("timed")
    rows = [select(base.c.regime, literal(k, String).label("phase"), base.c[k].label("s"))
            .where(base.c[k].is_not(None)) for k in PHASE_KEYS]
    per = ranked(session, union_all(*rows).subquery(), ("regime", "phase"), "s", limit,
                 total=None if regime else "regime")
    months = select(month_of(base.c.belongs).label("month"), base.c.end_to_end).where(
        base.c.end_to_end.is_not(None)).subquery()
    return _summaries(per), _summaries(ranked(session, months, ("month",), "end_to_end",
                                              limit))

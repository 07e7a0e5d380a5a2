"""Time to access (R7): for every foreign visitor, the time and the number of human steps
from their government's assurance to their first permitted access, counted from the
audit log alone — every action by a person (the assurance, the visit request, each
approval) is a step; what hozen does by itself (a fast-path approval) is not."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.models import AuditEvent
from hozen.paging import DEFAULT_PAGE, every, page
from hozen.reciprocity.models import ForeignAssurance, Visitor

STEP_TAGS = ("reciprocity:assurance:submit", "reciprocity:visit:request",
             "reciprocity:visit:approve")


@dataclass(frozen=True)
class TimeToAccess:
    assurance_id: str
    person_id: str
    assured_at: datetime
    first_access_at: datetime | None  # None: no permitted access yet
    hours: float | None
    human_steps: int  # up to the first access (or so far)


@dataclass(frozen=True)
class TimeToAccessSummary:
    """Over every personnel assurance: how many visitors, how many reached a permitted
    access, the median of their hours, how many within the hours asked and the most
    human steps one of them took (None: nobody reached an access)."""

    visitors: int
    reached: int
    median_hours: float | None
    within: int
    most_steps: int | None


def hours_of(elapsed: timedelta) -> float:
    """Elapsed hours to a hundredth."""
    return round(elapsed.total_seconds() / 3600, 2)


def last_micros_within(hours: float) -> int:
    """The most microseconds whose hours_of are still at most `hours` (hours_of never
    decreases as they grow, so an elapsed time is within exactly when it is at most
    this)."""
    bound = int((abs(hours) + 1) * 3_600_000_000)
    lo, hi = -bound, bound  # within at lo, beyond at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if hours_of(timedelta(microseconds=mid)) <= hours else (lo, mid)
    return lo


# The first permitted decision of each assurance's person after its submission. Every
# decision's details list [person, item, permit, reasons]; on PostgreSQL a partial GIN
# index (migration 0022) finds the decisions naming a person, on SQLite one pass over
# the decisions since the earliest submission feeds a join. `spans` holds each
# assurance's (id, start_seq, first_seq); {which} chooses the assurances.
_STARTS = """starts AS (
  SELECT a.id, a.person_id, min(e.seq) AS start_seq FROM foreign_assurance a
  JOIN audit_event e ON e.tag = 'reciprocity:assurance:submit' AND e.subject_id = a.id
  WHERE {which} GROUP BY a.id, a.person_id)"""
_SPANS = {
    "postgresql": _STARTS + """,
spans AS (
SELECT s.id, s.start_seq, (
  SELECT min(e.seq + 0) FROM audit_event e  -- (+ 0: by the GIN index, not in seq order)
  WHERE e.tag = 'access:decision' AND e.seq + 0 > s.start_seq
    AND CAST(e.details AS jsonb) @> jsonb_build_object(
      'decisions', jsonb_build_array(jsonb_build_array(s.person_id)))
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(CAST(e.details AS jsonb) -> 'decisions') d
                WHERE d ->> 0 = s.person_id AND d ->> 2 = '1')) AS first_seq
FROM starts s)""",
    "sqlite": _STARTS + """,
permits AS MATERIALIZED (
  SELECT e.seq, json_extract(d.value, '$[0]') AS person_id
  FROM audit_event e, json_each(e.details, '$.decisions') d
  WHERE e.tag = 'access:decision' AND e.seq > (SELECT min(start_seq) FROM starts)
    AND json_extract(d.value, '$[2]') = 1
    AND json_extract(d.value, '$[0]') IN (SELECT person_id FROM starts)),
spans AS (
SELECT s.id, s.start_seq, min(p.seq) AS first_seq FROM starts s
LEFT JOIN permits p ON p.person_id = s.person_id AND p.seq > s.start_seq
GROUP BY s.id, s.start_seq)"""}

# Microseconds since 1970 of an audit event's `at` ('YYYY-MM-DDTHH:MM:SS.ffffffZ', UTC):
# the whole seconds by the database, the six digits of the fraction as they are written.
_MICROS = {
    "postgresql": "(CAST(extract(epoch FROM CAST(substr({at}, 1, 19) AS timestamp)) AS bigint)"
                  " * 1000000 + CASE WHEN substr({at}, 20, 1) = '.'"
                  " THEN CAST(substr({at}, 21, 6) AS integer) ELSE 0 END)",
    "sqlite": "(CAST(strftime('%s', substr({at}, 1, 19)) AS INTEGER) * 1000000"
              " + CASE WHEN substr({at}, 20, 1) = '.'"
              " THEN CAST(substr({at}, 21, 6) AS INTEGER) ELSE 0 END)"}

# Every personnel assurance's figures folded into one row by the database: how many
# there are, how many reached an access and how many of those within the limit, the
# most human steps any of those took, and the elapsed microseconds at the ranks of the
# lower and upper middle (equal when the count is odd), as _human_steps counts steps.
_SUMMARY = """WITH {spans},
reached AS MATERIALIZED (
  SELECT s.id, s.start_seq, s.first_seq, {first_at} - {start_at} AS micros
  FROM spans s JOIN audit_event b ON b.seq = s.start_seq
  JOIN audit_event f ON f.seq = s.first_seq),
ranked AS (
  SELECT micros, row_number() OVER (ORDER BY micros) AS rn, count(*) OVER () AS n
  FROM reached)
SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM reached),
  (SELECT count(*) FROM reached WHERE micros <= :within),
  (SELECT max((SELECT count(*) FROM audit_event e
               WHERE e.tag IN :tags AND e.actor LIKE 'user:%'
                 AND e.seq >= r.start_seq AND e.seq < r.first_seq
                 AND e.subject_id IN (SELECT r.id UNION
                                      SELECT v.visit_id FROM visitor v
                                      WHERE v.assurance_id = r.id))) FROM reached r),
  (SELECT micros FROM ranked WHERE rn = (n + 1) / 2),
  (SELECT micros FROM ranked WHERE rn = n / 2 + 1)"""


def _first_permits(session: Session, ids: list[str]) -> dict[str, tuple[int, int | None]]:
    """Each assurance's (submission seq, first permitting decision's seq or None); an
    assurance whose submission is not in the audit log is left out."""
    spans = _SPANS[session.get_bind().dialect.name].format(which="a.id IN :ids")
    sql = text(f"WITH {spans} SELECT id, start_seq, first_seq FROM spans").bindparams(
        bindparam("ids", expanding=True))
    return {a: (start, first) for a, start, first in session.execute(sql, {"ids": ids})}


def _human_steps(session: Session, spans: dict[str, tuple[int, int | None]]) -> dict[str, int]:
    """Per assurance, the audited actions of people on it and on its visits from its
    submission up to (not including) its first permitted access."""
    visits: dict[str, set[str]] = defaultdict(set)
    for assurance, visit in session.execute(select(Visitor.assurance_id, Visitor.visit_id)
                                            .where(Visitor.assurance_id.in_(list(spans)))):
        visits[visit].add(assurance)
    counted = dict.fromkeys(spans, 0)
    for subject, seq in session.execute(select(AuditEvent.subject_id, AuditEvent.seq).where(
            AuditEvent.tag.in_(STEP_TAGS), AuditEvent.actor.like("user:%"),
            AuditEvent.subject_id.in_([*spans, *visits]))):
        for a in visits.get(subject, set()) | ({subject} if subject in spans else set()):
            start, first = spans[a]
            if seq >= start and (first is None or seq < first):
                counted[a] += 1
    return counted


def time_to_access_page(session: Session, *, actor: Actor, cursor: str | None = None,
                        limit: int = DEFAULT_PAGE) -> tuple[list[TimeToAccess], str | None]:
    """A page of the personnel assurances' figures, newest submitted first, in a fixed
    number of queries, and the cursor of the next page. An assurance whose submission is
    not in the audit log has no figures: a page may hold fewer rows than `limit`."""
    actor.require(Permission.RECIPROCITY_REPORT_READ)
    found, nxt = page(session, select(ForeignAssurance).where(
        ForeignAssurance.kind == "personnel"),
        [ForeignAssurance.submitted_at, ForeignAssurance.id], cursor=cursor, limit=limit,
        newest_first=True)
    return _figures(session, [(a.id, a.person_id) for a in found]), nxt


def time_to_access_summary(session: Session, *, actor: Actor, within_hours: float
                           ) -> TimeToAccessSummary:
    """The summary over every personnel assurance, in one statement that returns one row:
    the figures time_to_access would give, without reading every assurance's."""
    actor.require(Permission.RECIPROCITY_REPORT_READ)
    dialect = session.get_bind().dialect.name
    micros = _MICROS[dialect]
    sql = text(_SUMMARY.format(
        spans=_SPANS[dialect].format(which="a.kind = 'personnel'"),
        first_at=micros.format(at="f.at"), start_at=micros.format(at="b.at"),
    )).bindparams(bindparam("tags", expanding=True))
    visitors, reached, within, most_steps, lower, upper = session.execute(sql, {
        "within": last_micros_within(within_hours), "tags": list(STEP_TAGS)}).one()
    # the median as of every row's hours: the middle one (twice, when the count is odd:
    # the mean of a value with itself is that value) or the mean of the middle two
    median = None if not reached else round(statistics.median(
        hours_of(timedelta(microseconds=m)) for m in (lower, upper)), 2)
    return TimeToAccessSummary(visitors, reached, median, within, most_steps)


def time_to_access(session: Session, *, actor: Actor) -> list[TimeToAccess]:
    """Every personnel assurance's figures, newest first: for the aggregates of the
    reports and the CLI, which need them all (read a page at a time)."""
    return every(time_to_access_page, session, actor=actor)


def _figures(session: Session, rows: list[tuple[str, str]]) -> list[TimeToAccess]:
    """The figures of (assurance, person) pairs, in their order."""
    if not rows:
        return []
    spans = _first_permits(session, [a for a, _ in rows])
    steps = _human_steps(session, spans)
    seqs = {seq for pair in spans.values() for seq in pair if seq is not None}
    at = {seq: datetime.fromisoformat(when) for seq, when in session.execute(
        select(AuditEvent.seq, AuditEvent.at).where(AuditEvent.seq.in_(seqs)))}
    out = []
    for a, person in rows:
        if a not in spans:
            continue
        start, first = spans[a]
        hours = None if first is None else hours_of(at[first] - at[start])
        out.append(TimeToAccess(a, person, at[start], at.get(first), hours, steps[a]))
    return out

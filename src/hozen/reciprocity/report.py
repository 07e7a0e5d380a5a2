"""Time to access (R7): for every foreign visitor, the time and the number of human steps
from their government's assurance to their first permitted access, counted from the
audit log alone — every action by a person (the assurance, the visit request, each
approval) is a step; what hozen does by itself (a fast-path approval) is not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

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


# The first permitted decision of each assurance's person after its submission. Every
# decision's details list [person, item, permit, reasons]; on PostgreSQL a partial GIN
# index (migration 0022) finds the decisions naming a person, on SQLite one pass over
# the decisions since the earliest submission feeds a join.
_STARTS = """starts AS (
  SELECT a.id, a.person_id, min(e.seq) AS start_seq FROM foreign_assurance a
  JOIN audit_event e ON e.tag = 'reciprocity:assurance:submit' AND e.subject_id = a.id
  WHERE a.id IN :ids GROUP BY a.id, a.person_id)"""
_FIRST_PERMITS = {
    "postgresql": f"""WITH {_STARTS}
SELECT s.id, s.start_seq, (
  SELECT min(e.seq + 0) FROM audit_event e  -- (+ 0: by the GIN index, not in seq order)
  WHERE e.tag = 'access:decision' AND e.seq + 0 > s.start_seq
    AND CAST(e.details AS jsonb) @> jsonb_build_object(
      'decisions', jsonb_build_array(jsonb_build_array(s.person_id)))
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(CAST(e.details AS jsonb) -> 'decisions') d
                WHERE d ->> 0 = s.person_id AND d ->> 2 = '1')) AS first_seq
FROM starts s""",
    "sqlite": f"""WITH {_STARTS},
permits AS MATERIALIZED (
  SELECT e.seq, json_extract(d.value, '$[0]') AS person_id
  FROM audit_event e, json_each(e.details, '$.decisions') d
  WHERE e.tag = 'access:decision' AND e.seq > (SELECT min(start_seq) FROM starts)
    AND json_extract(d.value, '$[2]') = 1
    AND json_extract(d.value, '$[0]') IN (SELECT person_id FROM starts))
SELECT s.id, s.start_seq, min(p.seq) FROM starts s
LEFT JOIN permits p ON p.person_id = s.person_id AND p.seq > s.start_seq
GROUP BY s.id, s.start_seq"""}


def _first_permits(session: Session, ids: list[str]) -> dict[str, tuple[int, int | None]]:
    """Each assurance's (submission seq, first permitting decision's seq or None); an
    assurance whose submission is not in the audit log is left out."""
    sql = text(_FIRST_PERMITS[session.get_bind().dialect.name]).bindparams(
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
        hours = None if first is None else round(
            (at[first] - at[start]).total_seconds() / 3600, 2)
        out.append(TimeToAccess(a, person, at[start], at.get(first), hours, steps[a]))
    return out

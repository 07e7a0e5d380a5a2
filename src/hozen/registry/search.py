"""Person search: exact names and birth dates through the keyed-hash index, a page at a
time, within the caller's scope and an employer; every person found is recorded as read.
The register itself (writes, reads, who may see whom) is registry.services."""

from __future__ import annotations

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from hozen import paging
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.crypto import keyring_for
from hozen.errors import ValidationFailed
from hozen.paging import page
from hozen.registry import rules
from hozen.registry.models import Person, PersonSearchToken
from hozen.registry.schemas import PersonPublic
from hozen.registry.services import _open, _person_scope, _public, _sees_everyone
from hozen.text import parse_date


def _within(stmt: Select, ranges: list[tuple], after: str | None) -> tuple[Select, list]:
    """`stmt` narrowed to the people in every range, and the key to page it by. A range
    is (an alias, its person-id column, its conditions), read as an index range in
    person-id order, the list's own, starting after the cursor: a search token's
    (token, person_id) entries, one employer's (employer_id, id) (migration 0029). A page
    of a name thousands share, at an employer thousands work for, is where the ranges
    first meet (PostgreSQL merges them, or probes the smaller's ids in the other), never
    sorted out of all of them; each person's own row is read only once on the page."""
    key = Person.id
    for n, (alias, person_id, conds) in enumerate(ranges):
        on = [person_id == Person.id, *conds]
        if n == 0:  # the same id, ordered by the index itself (SQLite would sort person.id)
            key = person_id.label("id")  # page() bounds it by the cursor
        elif after is not None:  # the planner carries no `>` across a join's equality
            on.append(person_id > after)
        stmt = stmt.join(alias, and_(*on))
    return stmt, [key]


def _people_ranges(actor: Actor, tokens: list[bytes], employer_id: str | None
                   ) -> tuple[Select, list]:
    """The people a page is read from, and its ranges: one per search token, then (with
    a token) the actor's scope and the employer filter on an alias of `person` (joined on
    its id: the same row), so that one employer's people are read from the (employer_id,
    id) index alone, not row by row from `person` (the plan a scope on `person` led to).
    Without a token, `person` is read through that index itself."""
    ranges = []
    for n, token in enumerate(tokens):
        held = aliased(PersonSearchToken, name=f"search_token_{n}")
        ranges.append((held, held.person_id, [held.token == token]))
    if not ranges or (employer_id is None and _sees_everyone(actor)):
        stmt = select(Person).where(_person_scope(actor))
        if employer_id is not None:
            stmt = stmt.where(Person.employer_id == employer_id)
        return stmt, ranges
    staff = aliased(Person, name="staff")
    conds = [_person_scope(actor, staff)]
    if employer_id is not None:
        conds.append(staff.employer_id == employer_id)
    return select(Person), [*ranges, (staff, staff.id, conds)]


def list_people(session: Session, *, actor: Actor, q: str | None = None,
                birth_date: str | None = None, employer_id: str | None = None,
                cursor: str | None = None, limit: int = 50
                ) -> tuple[list[PersonPublic], str | None]:
    """Search by exact name (any script, full or family name) and/or birth date through
    the keyed-hash index; every person returned is recorded as read."""
    if not actor.can(Permission.REGISTRY_PERSON_READ):
        return [], None
    ring = keyring_for(session)  # the index to search, held until the commit (key rotation)
    tokens = []
    if q and q.strip():
        tokens.append(ring.blind_index("person.name", rules.search_key(q)))
    if birth_date and birth_date.strip():
        try:
            iso = parse_date(birth_date).isoformat()
        except ValueError:
            raise ValidationFailed([("birth_date", "date_invalid")]) from None
        tokens.append(ring.blind_index("person.birth", iso))
    stmt, ranges = _people_ranges(actor, tokens, employer_id or None)
    after = paging.decode_cursor(cursor, [Person.id])[0] if cursor else None
    stmt, keys = _within(stmt, ranges, after)
    people, next_cursor = page(session, stmt, keys, cursor=cursor, limit=limit)
    if people:
        record(session, actor=actor.audit_name, tag="registry:person:list",
               subject_type="person", subject_id=None,
               details={"read": [p.id for p in people]})
    return [_public(p, _open(p, ring)) for p in people], next_cursor

"""Bulk import of people from a legacy system's CSV file (issue 10), on the framework of
`hozen.registry.importing`: streamed, checked row by row like a person entered by hand,
written in batches — each batch one transaction holding its people, their search
tokens, its rejected rows, the job's progress and one audit record — and resumed by the
file's digest. On PostgreSQL the rows go in with COPY.

Columns are the candidate list's (Japanese or English headings) plus employer_id and
former_nationalities; nationalities are separated by ';' or '|'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances.roster import COLUMNS as ROSTER_COLUMNS
from hozen.crypto import Keyring, get_keyring, keyring_for
from hozen.db import new_id
from hozen.registry import rules
from hozen.registry.importing import BATCH, Importer, ImportResult, Outcome, key_state, run_import
from hozen.registry.models import (
    Country,
    Organisation,
    Person,
    PersonNationality,
    PersonSearchToken,
)
from hozen.registry.services import seal, search_tokens

COLUMNS: dict[str, tuple[str, ...]] = ROSTER_COLUMNS | {
    "employer_id": ("employer_id", "勤務先ID", "employer"),
    "former_nationalities": ("former_nationalities", "旧国籍", "former nationality"),
}
REQUIRED = ("birth_date", "nationalities")


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.replace("|", ";").split(";") if c.strip()]


@dataclass(frozen=True)
class Checked:
    line: int
    data: rules.PersonData | None
    employer_id: str | None
    current: list[str]
    former: list[str]
    errors: rules.Errors


def check_row(line: int, raw: dict[str, str], countries: set[str], employers: set[str],
              today: date) -> Checked:
    """One row, normalised and validated like a person entered by hand."""
    employer = raw.get("employer_id") or None
    current, former = _codes(raw.get("nationalities", "")), _codes(
        raw.get("former_nationalities", ""))
    values = {k: (v or None) for k, v in raw.items()}
    data, errors = rules.normalise_person(values, today)
    errors += rules.check_nationalities(current, former, countries)
    if employer is not None and employer not in employers:
        errors.append(("employer_id", "organisation_unknown"))
    return Checked(line, None if errors else data, employer, current, former, errors)


def _rows(checked: list[Checked], now: datetime, ring: Keyring,
          ids: list[str] | None = None) -> tuple[list, list, list]:
    """The person, nationality and search-token rows of the valid checked rows (new ids,
    or `ids`: the same rows made again under another key file's state)."""
    people, nationalities, tokens = [], [], []
    for n, c in enumerate(checked):
        pid = ids[n] if ids is not None else new_id()
        people.append((pid, c.employer_id, seal(pid, c.data, ring), now, now, 1))
        nationalities += [(pid, code, "current") for code in c.current]
        nationalities += [(pid, code, "former") for code in c.former]
        tokens += [(pid, t, r.active) for r in ring.indexes() for t in search_tokens(c.data, r)]
    return people, nationalities, tokens


PERSON_COLUMNS = ("id", "employer_id", "pii", "created_at", "updated_at", "version")


def copy_text(rows: list[tuple]) -> str:
    """Rows in COPY's text format. Every value here is an id, a code, a hex digest, a
    timestamp or bytes (hex): none holds a tab, newline or backslash to escape."""
    def cell(v) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bytes):
            return "\\\\x" + v.hex()
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return str(v)
    return "".join("\t".join(map(cell, row)) + "\n" for row in rows)


def write_people(session: Session, people: list, nationalities: list, tokens: list) -> None:
    """COPY on PostgreSQL; a batched INSERT elsewhere."""
    if not people:
        return
    if session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur:
            for table, columns, data in (
                    ("person", PERSON_COLUMNS, people),
                    ("person_nationality", ("person_id", "country_code", "status"),
                     nationalities),
                    ("person_search_token", ("person_id", "token", "key_id"), tokens)):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(copy_text(data))
        return
    session.execute(insert(Person.__table__), [dict(zip(PERSON_COLUMNS, p, strict=True))
                                                for p in people])
    if nationalities:
        session.execute(insert(PersonNationality.__table__), [
            {"person_id": a, "country_code": b, "status": c} for a, b, c in nationalities])
    if tokens:
        session.execute(insert(PersonSearchToken.__table__), [
            {"person_id": a, "token": b, "key_id": c} for a, b, c in tokens])


@dataclass(frozen=True)
class Prepared:
    lines: tuple[int, int]
    checked: list[Checked]
    people: list
    nationalities: list
    tokens: list
    keys: tuple  # the key file's state the rows were sealed and indexed under


def _prepare(pending: list[tuple[int, dict[str, str]]], countries: set[str],
             employers: set[str], today: date) -> Prepared:
    checked = [check_row(line, raw, countries, employers, today) for line, raw in pending]
    now = datetime.now(UTC)
    ring = get_keyring()
    people, nationalities, tokens = _rows([c for c in checked if c.data is not None], now,
                                          ring)
    return Prepared((pending[0][0], pending[-1][0]), checked, people, nationalities, tokens,
                    key_state(ring))


def _write_people(session: Session, b: Prepared, actor: Actor) -> Outcome:
    """Write a prepared batch under the key-state lock (hozen.crypto.keyring_for): if a
    key rotation moved on while it was prepared (outside any transaction), its rows are
    sealed and indexed again, same ids, under the key file as it is now."""
    ring = keyring_for(session)
    rows = b.people, b.nationalities, b.tokens
    if b.people and key_state(ring) != b.keys:
        rows = _rows([c for c in b.checked if c.data is not None], b.people[0][3], ring,
                     [p[0] for p in b.people])
    write_people(session, *rows)
    return Outcome([p[0] for p in b.people],
                   [(c.line, field, code) for c in b.checked for field, code in c.errors])


def _load_people(session: Session) -> tuple[set[str], set[str]]:
    return set(session.scalars(select(Country.code))), set(session.scalars(
        select(Organisation.id)))


PEOPLE = Importer("people", Permission.REGISTRY_PERSON_WRITE, COLUMNS, REQUIRED,
                  "registry:person:import", _load_people,
                  lambda pending, known, today: _prepare(pending, *known, today),
                  _write_people, overlapping=True)


def import_people(engine: Engine, path: Path, *, actor: Actor, batch: int = BATCH,
                  progress: Callable[[int], None] | None = None,
                  today: date | None = None) -> ImportResult:
    """Import (or resume importing) a file of people; see the module's description."""
    return run_import(engine, path, PEOPLE, actor=actor, batch=batch, progress=progress,
                      today=today)

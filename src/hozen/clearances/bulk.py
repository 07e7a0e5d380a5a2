"""Bulk import of clearances granted by a legacy system (`hozen import FILE --kind
clearances`), on the framework of `hozen.registry.importing`: streamed, batches written
whole or not at all, rejected rows reported by line and column (never values), resumed
by the file's digest, one audit record per batch naming the clearances it created.

Each row is a favourable assessment made before hozen: it becomes a granted case (listed
by nobody in hozen, `listed_by` empty) and its clearance. The person is named by hozen's
person id, or by full name (kanji, kana or Latin; every script given must match) and
birth date, found through the keyed-hash search index — no match and more than one match
are both rejected, never guessed; the keyed hashes are those of the key file's state the
batch is written under (the key-state lock held), so a key rotation never makes a row
match nobody. Import the people first (`--kind people`). The regime
(CESI or SDS, the clearance's level on the ladder) is held to the clearance rules: granted
in the past, valid no longer than the regime allows (the end defaults to that), and a
record still active after its last day comes in expired. The sponsor is a government
body, named by organisation id or corporate number. The same clearance (person, regime,
date granted) is never imported twice."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances import rules
from hozen.clearances.models import Clearance, ClearanceCase
from hozen.clearances.roster import COLUMNS as ROSTER_COLUMNS
from hozen.crypto import Keyring, get_keyring, keyring_for
from hozen.db import is_id, new_id, utcnow
from hozen.policy import get_policy
from hozen.registry.importing import Importer, Outcome, Pending, key_state
from hozen.registry.models import Organisation, Person, PersonSearchToken
from hozen.registry.rules import NAME_FIELDS, check_corporate_number, search_key
from hozen.reports.summaries import add_cases
from hozen.text import normalize, parse_date

COLUMNS: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "個人ID", "person id"),
    **{c: ROSTER_COLUMNS[c] for c in (*NAME_FIELDS, "birth_date")},
    # a clearance's level is its regime on the ladder: a legacy file may say either
    "regime": ("regime", "level", "区分", "レベル"),
    "sponsor": ("sponsor", "sponsor_id", "実施行政機関", "行政機関"),
    "granted_on": ("granted_on", "付与日", "評価日", "granted on"),
    "valid_until": ("valid_until", "有効期限", "valid until"),
    "status": ("status", "状態"),
}
REQUIRED = ("regime", "sponsor", "granted_on")
STATUS_NAMES = {"有効": "active", "停止": "suspended", "取消": "revoked", "失効": "expired"}
_SCRIPTS = (("family_name_kanji", "given_name_kanji"), ("family_name_kana", "given_name_kana"),
            ("family_name_latin", "given_name_latin"))
_CHUNK = 1000  # values per IN list


@dataclass(frozen=True)
class Row:
    """A row checked on its own; what is left to check needs the database."""

    line: int
    who: str  # the column to name when the person is not found
    person_id: str | None
    names: frozenset[str]  # each full name given, as a search key
    birth_date: date | None
    sponsor: str
    regime: str
    granted_on: date | None
    valid_until: date | None
    status: str
    errors: list[tuple[str, str]]


@dataclass(frozen=True)
class Context:
    validity_years: dict[str, int]
    regimes: dict[str, rules.Regime]  # every name of a regime, case-folded


def load(session: Session) -> Context:
    """The policy's validity periods, and the regimes by code and by the policy's names
    for their levels (e.g. 特定秘密)."""
    policy = get_policy()
    regimes = {name.casefold(): regime for regime in rules.Regime
               for name in (regime.value, *(names[regime.value] for names in
                                            policy.levels.names.values()))}
    return Context(dict(policy.clearance["validity_years"]), regimes)


def _date(raw: dict[str, str], column: str, errors: list) -> date | None:
    if not raw.get(column):
        return None
    try:
        return parse_date(raw[column])
    except ValueError:
        errors.append((column, "date_invalid"))
        return None


def check_row(line: int, raw: dict[str, str], today: date, context: Context) -> Row:
    """One row against the clearance rules (the person is found when it is written)."""
    errors: list[tuple[str, str]] = []
    validity_years = context.validity_years
    regime = context.regimes.get(normalize(raw.get("regime", "")).casefold())
    if regime is None:
        errors.append(("regime", "required" if not raw.get("regime") else "invalid"))
    status = STATUS_NAMES.get(raw.get("status", ""), raw.get("status", "").lower() or "active")
    known_status = status in {s.value for s in rules.ClearanceStatus}
    if not known_status:
        errors.append(("status", "invalid"))
    granted, until = _date(raw, "granted_on", errors), _date(raw, "valid_until", errors)
    if not raw.get("granted_on"):
        errors.append(("granted_on", "required"))
    if regime and granted and ("valid_until", "date_invalid") not in errors:
        until = until or rules.valid_until(granted, regime, validity_years)
        period = rules.legacy_clearance_errors(regime, granted, until, today, validity_years)
        errors += period
        if known_status and not period:
            status = rules.imported_status(rules.ClearanceStatus(status), until, today).value
    if not raw.get("sponsor"):
        errors.append(("sponsor", "required"))
    person_id, names, birth, who = _person(raw, errors)
    return Row(line, who, person_id, names, birth, raw.get("sponsor", ""),
               regime.value if regime else "", granted, until, status, errors)


def _person(raw: dict[str, str], errors: list) -> tuple[str | None, frozenset[str],
                                                        date | None, str]:
    """Hozen's person id, or the full names (as search keys) and birth date given."""
    if raw.get("person_id"):
        return raw["person_id"], frozenset(), None, "person_id"
    given = [(f, g) for f, g in _SCRIPTS if raw.get(f) and raw.get(g)]
    names = frozenset(search_key(raw[f] + raw[g]) for f, g in given)
    who = given[0][0] if given else "person_id"
    birth = _date(raw, "birth_date", errors)
    if not names or not raw.get("birth_date"):
        errors.append((who, "person_required"))
    return None, names, birth, who


Tokens = dict[int, tuple[frozenset[bytes], bytes]]  # by line: the names' and birth's hashes


def _tokens(rows: list[Row], ring: Keyring) -> Tokens:
    """The keyed hashes, under `ring`'s index, of the rows that name a person by name."""
    return {r.line: (frozenset(ring.blind_index("person.name", n) for n in r.names),
                     ring.blind_index("person.birth", r.birth_date.isoformat()))
            for r in rows if not r.errors and r.person_id is None}


@dataclass(frozen=True)
class Prepared:
    rows: list[Row]
    tokens: Tokens
    keys: tuple  # the key file's state the tokens were made under


def _chunks(values: Iterable, size: int = _CHUNK) -> Iterator[list]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _matches(session: Session, tokens: Tokens) -> dict[int, set[str]]:
    """The people each name-and-birth-date row matches, through the keyed-hash index."""
    holders: dict[bytes, set[str]] = {}
    for chunk in _chunks({t for names, _ in tokens.values() for t in names}):
        for pid, token in session.execute(select(
                PersonSearchToken.person_id, PersonSearchToken.token).where(
                PersonSearchToken.token.in_(chunk))):
            holders.setdefault(token, set()).add(pid)
    named = {line: set.intersection(*(holders.get(t, set()) for t in names))
             for line, (names, _) in tokens.items()}
    pairs = {(pid, birth) for line, (_, birth) in tokens.items() for pid in named[line]}
    born = set()
    for chunk in _chunks(pairs):
        born |= {tuple(row) for row in session.execute(select(
            PersonSearchToken.person_id, PersonSearchToken.token).where(
            tuple_(PersonSearchToken.person_id, PersonSearchToken.token).in_(chunk)))}
    return {line: {pid for pid in named[line] if (pid, birth) in born}
            for line, (_, birth) in tokens.items()}


def _sponsors(session: Session, values: set[str]) -> dict[str, tuple[str, str]]:
    """(id, kind) of each sponsor named by id or by corporate number."""
    numbers = {v: n for v in values if len(normalize(v)) == 13
               for n in [check_corporate_number(v)[0]] if n}
    ids = [v for v in values if v not in numbers and is_id(v)]
    found: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for oid, kind in session.execute(select(Organisation.id, Organisation.kind).where(
                Organisation.id.in_(chunk))):
            found[oid] = (oid, kind)
    by_number = {}
    for chunk in _chunks(set(numbers.values())):
        for oid, kind, number in session.execute(select(
                Organisation.id, Organisation.kind, Organisation.corporate_number).where(
                Organisation.corporate_number.in_(chunk))):
            by_number[number] = (oid, kind)
    found |= {v: by_number[n] for v, n in numbers.items() if n in by_number}
    return found


def _resolve(session: Session, batch: Prepared) -> dict[int, str]:
    """Each row's person id; a row that names nobody, or several, gets its reason. Under
    the key-state lock (hozen.crypto.keyring_for): if a key rotation moved on while the
    batch was prepared (outside any transaction), its keyed hashes are made again under
    the key file as it is now, whose index the people are found in until this commits."""
    ring = keyring_for(session)
    tokens = batch.tokens if key_state(ring) == batch.keys else _tokens(batch.rows, ring)
    by_name = _matches(session, tokens)
    out: dict[int, str] = {}
    for r in batch.rows:
        if r.errors:
            continue
        if r.person_id is not None:
            out[r.line] = r.person_id
        elif len(by_name[r.line]) == 1:
            out[r.line] = next(iter(by_name[r.line]))
        else:
            r.errors.append((r.who, "person_ambiguous" if by_name[r.line]
                             else "person_unknown"))
    return out


def write(session: Session, batch: Prepared, actor: Actor) -> Outcome:
    people, rows = _resolve(session, batch), batch.rows
    employers: dict[str, str | None] = {}
    for chunk in _chunks({p for p in people.values() if is_id(p)}):
        employers |= {pid: employer for pid, employer in session.execute(
            select(Person.id, Person.employer_id).where(Person.id.in_(chunk)))}
    held = set()  # (person, regime, granted on) of the clearances already on record
    for chunk in _chunks(set(employers)):
        held |= {tuple(row) for row in session.execute(select(
            Clearance.person_id, Clearance.regime, Clearance.granted_on).where(
            Clearance.person_id.in_(chunk)))}
    sponsors = _sponsors(session, {r.sponsor for r in rows if not r.errors})
    now = utcnow()
    cases, clearances = [], []
    for r in rows:
        if r.errors:
            continue
        pid = people[r.line]
        sponsor = sponsors.get(r.sponsor)
        if pid not in employers:
            r.errors.append((r.who, "person_unknown"))
        elif employers[pid] is None:
            r.errors.append((r.who, "no_employer"))
        if sponsor is None:
            r.errors.append(("sponsor", "organisation_unknown"))
        elif sponsor[1] != "government_body":
            r.errors.append(("sponsor", "sponsor_not_agency"))
        if (pid, r.regime, r.granted_on) in held:
            r.errors.append(("granted_on", "clearance_exists"))
        if r.errors:
            continue
        held.add((pid, r.regime, r.granted_on))  # a repeat later in the file is refused
        case_id, decided = new_id(), datetime.combine(r.granted_on, time(), UTC)
        cases.append({"id": case_id, "person_id": pid, "regime": r.regime,
                      "sponsor_id": sponsor[0], "employer_id": employers[pid],
                      "listed_by": None, "state": rules.CaseState.GRANTED.value,
                      "decided_at": decided, "created_at": now, "updated_at": now})
        clearances.append({"id": new_id(), "person_id": pid, "case_id": case_id,
                           "regime": r.regime, "sponsor_id": sponsor[0],
                           "granted_on": r.granted_on, "valid_until": r.valid_until,
                           "status": r.status, "updated_at": now})
    if cases:
        session.execute(insert(ClearanceCase.__table__), cases)
        session.execute(insert(Clearance.__table__), clearances)
        add_cases(session.connection(), [c["id"] for c in cases])  # report summaries
    return Outcome([c["id"] for c in clearances],
                   [(r.line, field, code) for r in rows for field, code in r.errors])


def _prepare(pending: Pending, context: Context, today: date) -> Prepared:
    rows = [check_row(line, raw, today, context) for line, raw in pending]
    ring = get_keyring()
    return Prepared(rows, _tokens(rows, ring), key_state(ring))


CLEARANCES = Importer("clearances", Permission.CLEARANCES_CASE_ADJUDICATE, COLUMNS, REQUIRED,
                      "clearances:clearance:import", load=load, prepare=_prepare, write=write)

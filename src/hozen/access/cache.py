"""Decision attributes cached per process, invalidated across processes.

A person's attributes (clearance, employer's certification and FOCI position, handler
entries, programmes, ...) take a dozen queries to read; an item's, two. Both are kept
per process, keyed by the day (decisions depend on dates), and tagged with the decision
epochs they were read under (hozen.access.models.DecisionEpoch). Each request reads the
current epochs in one query; an entry whose tag differs is read afresh.

Epochs move with the data: a flush, or a statement run through a session, that writes
a table decisions may depend on replaces the epoch's token in the same transaction —
the person's own (`p:<id>`) for the per-person tables (and the global one too for the
nationality of a shareholder, which decides what they own's FOCI position), the
accounts epoch (`a`) for users, their roles and API tokens (who may ask), the global
one (`*`) for everything else. Tables known not to affect decisions are listed; any other table,
including one added later, moves the global epoch (deny by default: a forgotten table
costs cache hits, never a stale decision). Tokens are fresh ids, never counters, so an
epoch rolled back can never match again. Writes that bypass the session (PostgreSQL
COPY in bulk imports) call `touch` themselves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from itertools import chain

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from hozen.access.models import DecisionEpoch
from hozen.db import core, new_id

GLOBAL = "*"
ACCOUNTS = "a"

# Changes here never alter a decision (logs, workflow before a grant, messaging,
# sharing content, accounts). Anything not listed moves an epoch.
UNRELATED = frozenset({
    "audit_event", "audit_checkpoint", "decision_epoch", "notification", "mass_notice",
    "mass_notice_recipient", "follow_up_contact", "person_search_token", "import_job",
    "import_reject", "clearance_case", "investigation", "finding", "area_decision",
    "reportable_event", "complaint", "correction_request", "burden_record",
    "clearance_allowance", "designation_comment", "designation_objection",
    "facility_inspection", "facility_finding", "custody_event", "incident",
    "transfer_request", "web_session", "login_attempt", "mfa_credential", "mfa_recovery_code",
    "intel_collection", "intel_collection_member", "stix_object", "taxii_status",
    "intel_tearline", "community", "community_member", "community_post", "sharing_event",
    "event_registration", "shared_file",
})

# Tables whose rows belong to one person's attributes, and the column naming them.
PERSONAL = {
    "person": "id", "person_nationality": "person_id", "clearance": "person_id",
    "item_handler": "person_id", "programme_member": "person_id",
    "training_record": "person_id", "departure": "person_id",
    "cui_authorization": "person_id", "foreign_assurance": "person_id",
}

# Who may ask: cached API tokens (hozen.access.batcher) are read afresh when these move.
ACCOUNT_TABLES = frozenset({"app_user", "user_role", "api_token"})


def person_scope(person_id: str) -> str:
    return "p:" + person_id


def _scope(table: str, row) -> str | None:
    if table in UNRELATED:
        return None
    if table in ACCOUNT_TABLES:
        return ACCOUNTS
    column = PERSONAL.get(table)
    value = getattr(row, column, None) if column else None
    return person_scope(value) if value else GLOBAL


def touch(session: Session, scopes: Iterable[str]) -> None:
    """Give these epochs fresh tokens, in this transaction (sorted: two transactions
    touching the same epochs lock them in one order)."""
    scopes = sorted(set(scopes))
    if not scopes:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    token = new_id()
    stmt = insert(DecisionEpoch).values([{"scope": s, "token": token} for s in scopes])
    conn.execute(stmt.on_conflict_do_update(index_elements=["scope"],
                                            set_={"token": stmt.excluded.token}))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    scopes, nationals = set(), set()
    for obj in chain(session.new, session.deleted, session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table is None or (obj in session.dirty and not session.is_modified(obj)):
            continue
        if (scope := _scope(table, obj)) is not None:
            scopes.add(scope)
        if table == "person_nationality":
            nationals.add(obj.person_id)
    if nationals and GLOBAL not in scopes and _owners(session, nationals):
        scopes.add(GLOBAL)
    touch(session, scopes)


def _owners(session: Session, person_ids: set[str]) -> bool:
    """Whether any of these people holds shares of an organisation: a shareholder's
    nationality decides the FOCI position of what they own (and so the decisions of its
    staff: hozen.facilities.foci_service), a change to it moves the global epoch too."""
    from hozen.registry.models import OwnershipEdge

    edge = OwnershipEdge.__table__
    return session.connection().execute(select(edge.c.id).where(
        edge.c.owner_person_id.in_(sorted(person_ids))).limit(1)).first() is not None


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state):
    """Statements written through a session (bulk inserts, updates, deletes) move the
    global epoch unless their table is unrelated or they changed no row."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is not None and name in UNRELATED:
        return None
    result = state.invoke_statement()
    if getattr(result, "rowcount", -1) != 0:  # (-1: not known, as for many inserts)
        touch(state.session, [ACCOUNTS if name in ACCOUNT_TABLES else GLOBAL])
    return result


_EPOCHS = DecisionEpoch.__table__
# Built once: every request reads epochs, and building a statement costs more than running it.
_TOKENS = select(_EPOCHS.c.scope, _EPOCHS.c.token).where(
    _EPOCHS.c.scope.in_(bindparam("keys", expanding=True)))
_TOKEN = select(_EPOCHS.c.token).where(_EPOCHS.c.scope == bindparam("scope"))


# The same for psycopg itself (hozen.access.batcher), the scopes given as one array.
EPOCHS_SQL = "SELECT scope, token FROM decision_epoch WHERE scope = ANY(%s)"


def epoch_keys(person_ids: Iterable[str], *, accounts: bool = False) -> list[str]:
    """The scopes of the global epoch, these people's and, if asked, the accounts'."""
    return [GLOBAL, *(person_scope(p) for p in set(person_ids))] + [ACCOUNTS] * accounts


def epochs(session: Session, person_ids: Iterable[str], *,
           accounts: bool = False) -> dict[str, str]:
    """The current tokens of the global epoch and these people's (absent: never moved),
    and of the accounts epoch if asked."""
    keys = epoch_keys(person_ids, accounts=accounts)
    return dict(core(session, _TOKENS, {"keys": keys}).all())


def epoch(session: Session, scope: str) -> str | None:
    """The current token of one epoch (None: never moved)."""
    return core(session, _TOKEN, {"scope": scope}).scalar()


class Cache:
    """A bounded map of key → (tag, value), least recently used out first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, tuple[Hashable, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, tag: Hashable, load: Callable[[], object]):
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == tag:
                self._data.move_to_end(key)
                self.hits += 1
                return hit[1]
            self.misses += 1
        value = load()
        with self._lock:
            self._data[key] = (tag, value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


subjects = Cache(100_000)
items = Cache(200_000)
employers = Cache(20_000)  # organisation id -> what its staff's decisions read of it
askable = Cache(100_000)  # person id -> (id, employer id) of whom callers may ask about

"""Support for the schemathesis run over the whole API (tests/functional/test_fuzz_openapi.py):
the demo data set with one API token per role, real ids for the fuzzer to aim at, and
which endpoint families each role may use, read from the routes' own permission gates."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import column, select, table
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hozen.accounts.models import User
from hozen.accounts.permissions import Permission, Role, role_has
from hozen.api.gates import HozenRoute, iter_routes

# The table whose ids a path parameter or body field names. Where one name means two
# things, the path prefix decides (events of the clearance journey and seminars, say).
ID_TABLES = {
    "org_id": "organisation", "organisation_id": "organisation", "employer_id": "organisation",
    "sponsor_id": "organisation", "owned_id": "organisation", "parent_id": "organisation",
    "owner_organisation_id": "organisation", "host_organisation_id": "organisation",
    "edge_id": "ownership_edge", "person_id": "person", "case_id": "clearance_case",
    "clearance_id": "clearance", "complaint_id": "complaint", "request_id": "correction_request",
    "designation_id": "designation", "proposal_id": "designation_proposal",
    "review_id": "designation_review", "objection_id": "designation_objection",
    "item_id": "information_item", "authorization_id": "cui_authorization",
    "facility_id": "facility", "change_id": "facility_change", "handler_id": "item_handler",
    "incident_id": "incident", "finding_id": "facility_finding",
    "participant_id": "research_participant", "programme_id": "programme",
    "departure_id": "departure", "agreement_id": "agreement", "assurance_id": "foreign_assurance",
    "visit_id": "visit_request", "consent_id": "originator_consent",
    "transfer_id": "transfer_request", "community_id": "community", "file_id": "shared_file",
    "registration_id": "event_registration", "notice_id": "mass_notice",
    "area_id": "approved_area", "user_id": "app_user", "security_officer_id": "app_user",
    "deputy_officer_id": "app_user", "collection_id": "intel_collection",
}
BY_PREFIX = {
    ("/api/v1/reportable-events/", "event_id"): "reportable_event",
    ("/api/v1/events/", "event_id"): "sharing_event",
    ("/api/v1/programme-members/", "membership_id"): "programme_member",
    ("/api/v1/community-members/", "membership_id"): "community_member",
}


def id_table(path: str, name: str) -> str | None:
    for (prefix, param), table_name in BY_PREFIX.items():
        if param == name and path.startswith(prefix):
            return table_name
    return ID_TABLES.get(name)


class IdPool:
    """Real ids of the rows in the database, read afresh each time so the rows that
    earlier requests created are aimed at too; each read is over at once (on SQLite an
    open read would hold the writers off)."""

    def __init__(self, engine: Engine, per_table: int = 40) -> None:
        self.engine, self.per_table = engine, per_table

    def ids(self, table_name: str, first: list[str] = ()) -> list[str]:
        """Up to `per_table` ids of `table_name`, `first` (the caller's own) ahead."""
        t = table(table_name, column("id"))
        with self.engine.connect() as conn:
            found = conn.scalars(select(t.c.id).order_by(t.c.id).limit(self.per_table))
            return [*first, *(i for i in found if i not in first)]


@dataclass
class Account:
    role: Role
    username: str
    token: str
    person_id: str
    organisation_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def demo_accounts(session: Session) -> dict[Role, Account]:
    """The demo data set (hozen.demo) and an API token for the first demo user of each
    role, each user with a person record of their own (the demo links the subject only),
    so that the checks a role may make about itself can succeed; the caller commits."""
    from hozen import demo
    from hozen.accounts.actor import Actor
    from hozen.accounts.services import create_token
    from hozen.registry import services as registry
    from hozen.registry.schemas import PersonCreate
    from tests.factories import cheap_argon2

    system = Actor.system("fuzz")
    with cheap_argon2():
        demo.load(session)
    accounts: dict[Role, Account] = {}
    for username, _display, _org, roles, _person in demo.USERS:
        role = roles[0]
        if role in accounts:
            continue
        user = session.scalar(select(User).where(User.username == username))
        if user.person_id is None:
            user.person_id = registry.create_person(session, PersonCreate(
                family_name_latin=username.capitalize(), given_name_latin="Fuzz",
                birth_date="1980-01-01", nationalities=["JPN"],
                employer_id=user.organisation_id), actor=system).id
        token = create_token(session, username, "fuzz", actor=system)
        accounts[role] = Account(role, username, token, user.person_id, user.organisation_id)
    assert set(accounts) == set(Role), "the demo data set has a user of every role"
    session.flush()
    return accounts


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    family: str  # the OpenAPI tag: registry, clearances, facilities, …
    permission: Permission | None  # None: public

    def allows(self, role: Role) -> bool:
        return self.permission is None or role_has({role}, self.permission)


def gated_operations(app) -> dict[tuple[str, str], Operation]:
    """Every operation of the OpenAPI document with the permission its route's gate
    requires, keyed by (METHOD, path)."""
    out = {}
    for route in iter_routes(app.routes):
        if not isinstance(route, HozenRoute) or not route.include_in_schema:
            continue
        for method in route.methods - {"HEAD"}:
            family = route.tags[0] if route.tags else route.path.split("/")[3]
            out[(method, route.path)] = Operation(method, route.path, str(family),
                                                  route.gate.permission)
    return out


def families_of(role: Role, operations) -> set[str]:
    """The endpoint families `role` may use: those with at least one operation its
    permissions open."""
    return {op.family for op in operations if op.allows(role)}


@dataclass
class Tally:
    """What one role's run sent and got back."""

    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    ok_families: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)  # (family, operation, status)

    def add(self, op: Operation, status: int) -> None:
        self.examples += 1
        self.statuses[f"{status // 100}xx"] += 1
        self.answers[(op.family, f"{op.method} {op.path}", status)] += 1
        if 200 <= status < 300:
            self.ok_families.add(op.family)

    def answers_in(self, families: set[str]) -> list[str]:
        return [f"{operation} → {status} ×{n}" for (family, operation, status), n
                in sorted(self.answers.items()) if family in families]

    def summary(self) -> dict:
        """Examples sent, answers per class (and per 4xx status), failures."""
        by_status: Counter = Counter()
        for (_family, _operation, status), n in self.answers.items():
            by_status[status] += n
        return {"examples": self.examples, **{k: self.statuses[k] for k in
                                              ("2xx", "3xx", "4xx", "5xx") if self.statuses[k]},
                "4xx by status": {str(k): v for k, v in sorted(by_status.items())
                                  if 400 <= k < 500},
                "failures": len(self.failures)}


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)

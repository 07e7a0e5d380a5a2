"""Test data made through the real services (no shortcuts past validation or audit)."""

from __future__ import annotations

import itertools
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.jp import cn

from hozen.accounts import services as accounts_services
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.accounts.services import actor_for, create_token, create_user
from hozen.db import Base, import_all_models
from hozen.registry import ownership
from hozen.registry import services as registry
from hozen.registry.models import Country
from hozen.registry.schemas import OrganisationCreate, OwnershipCreate, PersonCreate

SYSTEM = Actor.system("test")


@contextmanager
def cheap_argon2():
    """Speed only: users made inside get Argon2 hashes with small parameters (a dozen
    default hashes cost seconds on a small machine); sign-in still verifies them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts_services, "_hasher",
                   PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield
PASSWORD = "correct-horse-battery"
_n = itertools.count(1)


def corporate_number() -> str:
    base = f"{next(_n):012d}"
    return cn.calc_check_digit(base) + base


def make_org(s: Session, **kw):
    data = {"kind": "company", "name_ja": f"テスト株式会社{next(_n)}",
            "name_en": f"Test Co {next(_n)}", "country_code": "JPN"} | kw
    return registry.create_organisation(s, OrganisationCreate(**data), actor=SYSTEM)


def make_person(s: Session, employer_id: str | None = None, **kw):
    data = {"family_name_kanji": "山田", "given_name_kanji": "太郎",
            "family_name_kana": "ヤマダ", "given_name_kana": "タロウ",
            "family_name_latin": "Yamada", "given_name_latin": "Taro",
            "birth_date": "1980-01-02", "nationalities": ["JPN"],
            "employer_id": employer_id} | kw
    return registry.create_person(s, PersonCreate(**data), actor=SYSTEM)


def make_ownership(s: Session, owned_id: str, owner_id: str, share="10", voting="10"):
    return ownership.create_ownership(s, OwnershipCreate(
        owned_id=owned_id, owner_organisation_id=owner_id, share_pct=Decimal(share),
        voting_pct=Decimal(voting)), actor=SYSTEM)


@dataclass
class Login:
    user_id: str
    username: str
    token: str
    actor: Actor
    org_id: str
    person_id: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_user(s: Session, role: Role, org_id: str, person_id: str | None = None,
              username: str | None = None) -> Login:
    username = username or f"{role.value}{next(_n)}"
    user = create_user(s, username=username, password=PASSWORD, display_name=username,
                       organisation_id=org_id, roles=[role], person_id=person_id,
                       actor=SYSTEM)
    token = create_token(s, username, "test", actor=SYSTEM)
    return Login(user.id, username, token, actor_for(user), org_id, person_id)


@dataclass
class World:
    """One user per role, the organisations they belong to, and a few people."""

    gov: object
    company: object
    other_company: object
    staff: object  # a person employed by `company`
    outsider: object  # a person employed by `other_company`
    users: dict[Role, Login]


def make_world(s: Session) -> World:
    gov = make_org(s, kind="government_body", name_ja="内閣府テスト", name_en="CAO test")
    company = make_org(s, corporate_number=corporate_number())
    other = make_org(s)
    staff = make_person(s, employer_id=company.id)
    outsider = make_person(s, employer_id=other.id, family_name_kanji="佐々木",
                           family_name_latin="Sasaki", family_name_kana="ササキ")
    users = {}
    for role in Role:
        org = company.id if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT) else gov.id
        person = staff.id if role is Role.SUBJECT else None
        users[role] = make_user(s, role, org, person)
    s.commit()
    return World(gov, company, other, staff, outsider, users)


def _hashable(value):
    """JSON columns come back from PostgreSQL as lists and dicts: count them as text."""
    import json

    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def snapshot(engine) -> dict[str, Counter]:
    """Every row of every table, as the driver returns it, counted (a multiset: row order
    is no part of the state); countries by count (reference data)."""
    import_all_models()
    with engine.connect() as c:
        state = {t.name: Counter(tuple(_hashable(v) for v in row) for row in
                                 c.exec_driver_sql(f"SELECT * FROM {t.name}").all())
                 for t in Base.metadata.sorted_tables if t.name != "country"}
        state["country"] = Counter([c.execute(select(func.count()).select_from(Country)).scalar()])
    return state


def assert_unchanged(before: dict, after: dict) -> None:
    changed = {t: (before[t].total(), after[t].total()) for t in before
               if before[t] != after[t]}
    assert changed == {}, f"tables written (rows before, after): {changed}"


def detached_world(session) -> World:
    """make_world with cheap password hashes, its rows detached with their loaded values
    so that a later rollback does not reload (and lock) them."""
    with cheap_argon2():
        world = make_world(session)
    session.expunge_all()
    return world


def make_clearance(s: Session, person_id: str, regime: str, *, sponsor_id: str,
                   employer_id: str, listed_by: str, status: str = "active",
                   valid_until=None, granted_on=None):
    """Fixture state: a granted case and its clearance, written directly (the clearance
    flow itself is tested in the clearance suites)."""
    from datetime import timedelta

    from hozen.clearances.models import Clearance, ClearanceCase
    from hozen.db import new_id, utcnow

    today = utcnow().date()
    case = ClearanceCase(id=new_id(), person_id=person_id, regime=regime,
                         sponsor_id=sponsor_id, employer_id=employer_id, listed_by=listed_by,
                         state="granted")
    s.add(case)
    s.flush()
    c = Clearance(id=new_id(), person_id=person_id, case_id=case.id, regime=regime,
                  sponsor_id=sponsor_id, granted_on=granted_on or today - timedelta(days=30),
                  valid_until=valid_until or today + timedelta(days=1000), status=status)
    s.add(c)
    s.flush()
    return c


def make_intel_member(s: Session, role: Role, org_id: str, *, regime: str | None = "CESI",
                      sponsor_id: str | None = None, trained: bool = True,
                      username: str | None = None) -> Login:
    """A user who is a registered person of `org_id`, with a clearance of `regime` (None:
    none) and current security training: a threat-intelligence reader."""
    from datetime import timedelta

    from hozen.db import new_id, utcnow
    from hozen.facilities.models import TrainingRecord

    person = make_person(s, employer_id=org_id, family_name_kanji="情報",
                         family_name_latin="Joho")
    login = make_user(s, role, org_id, person.id, username=username)
    if regime:
        make_clearance(s, person.id, regime, sponsor_id=sponsor_id or org_id,
                       employer_id=org_id, listed_by=login.user_id)
    if trained:
        s.add(TrainingRecord(id=new_id(), person_id=person.id, organisation_id=org_id,
                             kind="initial", recorded_by=login.user_id,
                             trained_on=utcnow().date() - timedelta(days=10)))
        s.flush()
    return login


def make_collection(s: Session, by: Login, *, level: str = "CUI", **kw):
    """A threat-intelligence collection of the agency `by` belongs to."""
    from hozen.sharing import intel
    from hozen.sharing.intel_schemas import CollectionCreate

    data = {"title": f"脅威情報 {next(_n)}", "level": level} | kw
    return intel.create_collection(s, CollectionCreate(**data), actor=by.actor)


def stix_indicator(n: int = 0, **kw) -> dict:
    """A valid STIX 2.1 indicator (a fresh id unless given)."""
    import uuid

    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}", "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z", "name": f"C2 server {n}",
            "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250 + 1}']",
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"} | kw


def certify_facility(s: Session, org_id: str, agency_id: str, by_user_id: str,
                     level: str = "CESI"):
    """Fixture state: a facility clearance in force, written directly (the certification
    flow is tested in the facility suites)."""
    from datetime import timedelta

    from hozen.db import new_id, utcnow
    from hozen.facilities.models import Facility

    today = utcnow().date()
    f = Facility(id=new_id(), organisation_id=org_id, level=level, state="certified",
                 agency_id=agency_id, proposed_by=by_user_id, certified_on=today,
                 valid_until=today + timedelta(days=900))
    s.add(f)
    s.flush()
    return f


def make_timed_case(s: Session, person_id: str, *, sponsor_id: str, employer_id: str,
                    listed_by: str, regime: str = "CESI", state: str = "granted",
                    listed_at=None, consented_at=None, submitted_at=None, decided_at=None,
                    investigation: tuple | None = None, updated_at=None):
    """Fixture state for the reports: a case with the timestamps given (and, given
    (opened_at, completed_on), its own investigation), written directly."""
    from hozen.clearances.models import ClearanceCase, Investigation
    from hozen.db import new_id, utcnow

    inv_id = None
    if investigation is not None:
        inv = Investigation(id=new_id(), person_id=person_id, regime=regime,
                            opened_at=investigation[0], completed_on=investigation[1])
        s.add(inv)
        s.flush()
        inv_id = inv.id
    case = ClearanceCase(id=new_id(), person_id=person_id, regime=regime,
                         sponsor_id=sponsor_id, employer_id=employer_id, listed_by=listed_by,
                         state=state, created_at=listed_at or utcnow(),
                         consented_at=consented_at, submitted_at=submitted_at,
                         decided_at=decided_at, investigation_id=inv_id,
                         reused_investigation=investigation is None and decided_at is not None,
                         updated_at=updated_at or utcnow())
    s.add(case)
    s.flush()
    return case

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
    return registry.create_ownership(s, OwnershipCreate(
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

"""Demonstration history for the reports: a dozen assessments decided over the past
year (the case timestamps are history, written directly: no service backdates), each
with its investigation, a clearance for the favourable ones (one expiring within the
due-date horizon), and the burden and allowances recorded through the services."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.services import actor_for
from hozen.clearances.aftercare import record_burden
from hozen.clearances.models import Clearance, ClearanceCase, Investigation
from hozen.clearances.schemas import BurdenCreate
from hozen.db import new_id, utcnow
from hozen.registry import services as registry
from hozen.registry.schemas import PersonCreate
from hozen.reports.burden import record_allowance
from hozen.reports.schemas import AllowanceCreate

# (days since submission, days to decide, favourable?, employer key)
HISTORY = [(40, 21, True, "fujimi"), (70, 35, True, "fujimi"), (95, 48, True, "toho"),
           (120, 52, True, "fujimi"), (150, 58, True, "toho"), (180, 63, False, "fujimi"),
           (210, 40, True, "toho"), (240, 75, True, "fujimi"), (270, 33, True, "toho"),
           (300, 90, False, "toho"), (330, 45, True, "fujimi"), (360, 55, True, "fujimi")]
GIVEN = (("一郎", "イチロウ", "Ichiro"), ("二郎", "ジロウ", "Jiro"), ("三郎", "サブロウ", "Saburo"),
         ("四郎", "シロウ", "Shiro"), ("五郎", "ゴロウ", "Goro"), ("六郎", "ロクロウ", "Rokuro"),
         ("七郎", "シチロウ", "Shichiro"), ("八郎", "ハチロウ", "Hachiro"),
         ("九郎", "クロウ", "Kuro"), ("十郎", "ジュウロウ", "Juro"),
         ("健", "ケン", "Ken"), ("誠", "マコト", "Makoto"))


def load_history(session: Session, orgs: dict[str, str], users: dict) -> None:
    system = Actor.system("demo")
    now = utcnow().replace(microsecond=0)
    listed_by = {"fujimi": users["cso"].id, "toho": users["cso"].id}
    for n, (ago, took, favourable, employer) in enumerate(HISTORY):
        person = registry.create_person(session, PersonCreate(
            family_name_kanji="統計", given_name_kanji=GIVEN[n][0], family_name_kana="トウケイ",
            given_name_kana=GIVEN[n][1], family_name_latin="Tokei", given_name_latin=GIVEN[n][2],
            birth_date=f"{1970 + n}-01-15", nationalities=["JPN"],
            employer_id=orgs[employer]), actor=system)
        submitted = now - timedelta(days=ago)
        decided = submitted + timedelta(days=took)
        inv = Investigation(id=new_id(), person_id=person.id, regime="CESI",
                            opened_at=submitted + timedelta(days=2),
                            completed_on=(decided - timedelta(days=6)).date())
        session.add(inv)
        session.flush()
        case = ClearanceCase(
            id=new_id(), person_id=person.id, regime="CESI", sponsor_id=orgs["meti"],
            employer_id=orgs[employer], listed_by=listed_by[employer],
            state="granted" if favourable else "denied", investigation_id=inv.id,
            created_at=submitted - timedelta(days=9), consented_at=submitted - timedelta(days=7),
            submitted_at=submitted, decided_at=decided, updated_at=decided)
        session.add(case)
        session.flush()
        if favourable:  # the first one granted long ago: it expires within the horizon
            until = decided.date() + timedelta(days=3650) if n else now.date() + timedelta(
                days=75)
            session.add(Clearance(id=new_id(), person_id=person.id, case_id=case.id,
                                  regime="CESI", sponsor_id=orgs["meti"],
                                  granted_on=decided.date(), valid_until=until,
                                  status="active"))
        if employer == "fujimi":  # Fujimi's officer records its side of the burden
            record_burden(session, case.id, BurdenCreate(
                step="questionnaire", party="security_officer", minutes=90 + 10 * n,
                cost_yen=8000 + 500 * n, allowance_yen=0), actor=actor_for(users["cso"]))
            record_allowance(session, AllowanceCreate(
                person_id=person.id, amount_yen=30000,
                period_start=decided.date(), period_end=decided.date() + timedelta(days=29)),
                actor=actor_for(users["cso"]))
    session.flush()

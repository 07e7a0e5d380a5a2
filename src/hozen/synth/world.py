"""The synthetic world that people are drawn into: organisations with ownership chains
(some with foreign owners, for FOCI), their staff accounts, facility certifications in
every state, and programmes. Small (it grows with --orgs), so it is built in one go and
its ids are kept for the people and items that refer to them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stdnum.jp import cn

from hozen.accounts.permissions import Role
from hozen.accounts.services import seal_profile
from hozen.clearances.rules import add_years
from hozen.facilities.rules import FacilityState
from hozen.synth import names
from hozen.synth.rows import Rows
from hozen.synth.source import WORLD_MS, Source

MIN_ORGS = 10
# No Argon2 hash has this form: the generated staff cannot sign in, so no data set ever
# ships a known password (sign in as users made with `hozen user create`).
NO_PASSWORD = "!synthetic"
NTIB_COUNTRIES = ("USA", "GBR", "AUS")
FACILITY_STATES = {  # of the businesses proposed for certification
    FacilityState.CERTIFIED: 55, FacilityState.PROPOSED: 6, FacilityState.APPLIED: 6,
    FacilityState.UNDER_REVIEW: 8, FacilityState.CHANGE_PENDING: 5,
    FacilityState.SUSPENDED: 4, FacilityState.REVOKED: 3, FacilityState.EXPIRED: 6,
    FacilityState.REFUSED: 3, FacilityState.WITHDRAWN: 4,
}
CERTIFIED = (FacilityState.CERTIFIED, FacilityState.CHANGE_PENDING)


@dataclass
class World:
    as_of: date
    window_org: str = ""
    window_officer: str = ""
    investigator: str = ""
    adjudicator: str = ""
    agencies: list[tuple[str, str, str]] = field(default_factory=list)  # org, official, approver
    employers: list[str] = field(default_factory=list)  # domestic, weighted by size
    foreign_employers: dict[str, list[str]] = field(default_factory=dict)  # country -> orgs
    cso: dict[str, str] = field(default_factory=dict)  # org -> its security officer
    liaisons: dict[str, str] = field(default_factory=dict)  # country -> liaison user
    areas: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # org -> (area, level)
    # id, code, partner countries
    programmes: list[tuple[str, str, list[str]]] = field(default_factory=list)
    # partner country -> (agreement id, its table from the partner's levels to hozen's)
    agreements: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    held: dict[str, list[tuple[str, str, tuple[str, ...]]]] = field(
        default_factory=dict)  # org -> some classified items it holds: (id, level, compartments)
    counts: dict[str, int] = field(default_factory=dict)
    # sorted once, drawn from often
    domestic: list[str] = field(default_factory=list)  # orgs with a security officer
    hosts: list[str] = field(default_factory=list)  # orgs with approved areas
    partners: list[str] = field(default_factory=list)  # countries with an agreement
    foreign_countries: list[str] = field(default_factory=list)  # of foreign employers


def corporate_number(i: int) -> str:
    """A valid 法人番号 (check digit first), unique per organisation number."""
    base = f"{700_000_000_000 + i * 7_919:012d}"
    return cn.calc_check_digit(base) + base


def _shares(src: Source, low: float, high: float, free: Decimal) -> tuple[Decimal, Decimal]:
    """Share and voting percentages (voting sometimes above the share), within `free`."""
    share = min(free, Decimal(str(round(src.uniform(low, high), 2))))
    return share, min(free, share + Decimal(src.choice((0, 0, 0, 2, 5))))


def build(seed: int, orgs: int, as_of: date,
          agreements: dict[str, tuple[str, dict[str, str]]]) -> tuple[World, Rows]:
    """The world of `orgs` organisations; as_of is the day the data set describes."""
    src = Source(seed, "world", WORLD_MS)
    w, rows = World(as_of=as_of, agreements=agreements), Rows()
    _organisations(src, w, rows, orgs)
    _facilities(src, w, rows)
    w.domestic, w.hosts, w.partners = sorted(w.cso), sorted(w.areas), sorted(agreements)
    w.foreign_countries = sorted(w.foreign_employers)
    _programmes(src, w, rows)
    w.counts = rows.counts()
    return w, rows


def _org(src: Source, w: World, rows: Rows, kind: str, ja: str, en: str, country: str,
         number: int | None, parent: str | None = None) -> str:
    oid = src.new_id()
    at = src.moment(w.as_of - timedelta(days=src.randint(2_700, 3_000)))  # registered first
    rows.add("organisation", id=oid, kind=kind, name_ja=ja, name_en=en, country_code=country,
             parent_id=parent, created_at=at, updated_at=at, version=1,
             corporate_number=None if number is None else corporate_number(number))
    return oid


def _user(src: Source, w: World, rows: Rows, org: str, role: Role, name: str) -> str:
    uid = src.new_id()
    rows.add("app_user", id=uid, username=f"synth-{role.value.replace('_', '-')}-"
             f"{len(rows.table('app_user')) + 1:05d}",
             profile=seal_profile(uid, name, None), password_hash=NO_PASSWORD,
             organisation_id=org, person_id=None, language=None, active=True,
             created_at=src.moment(w.as_of - timedelta(days=400)))
    rows.add("user_role", user_id=uid, role=role.value)
    return uid


def _organisations(src: Source, w: World, rows: Rows, total: int) -> None:
    n_gov = max(3, round(total * 0.02))
    n_fgov = min(len(names.FOREIGN_GOVERNMENTS), max(1, total // 200))
    n_fco = max(2, round(total * 0.04))
    n_univ, n_ri = max(1, round(total * 0.08)), max(1, round(total * 0.04))
    n_co = total - n_gov - n_fgov - n_fco - n_univ - n_ri
    number = 0
    for i in range(n_gov):
        ja, en = names.MINISTRIES[i % len(names.MINISTRIES)]
        if i >= len(names.MINISTRIES):
            k = i // len(names.MINISTRIES) + 1
            ja, en = f"{ja} 第{k}局", f"{en}, Bureau {k}"
        number += 1
        org = _org(src, w, rows, "government_body", ja, en, "JPN", number)
        official = _user(src, w, rows, org, Role.AGENCY_OFFICIAL, "指定 担当官")
        approver = _user(src, w, rows, org, Role.APPROVING_OFFICIAL, "承認 担当官")
        if i == 0:  # the government window
            w.window_org = org
            w.window_officer = _user(src, w, rows, org, Role.WINDOW_OFFICER, "窓口 担当")
            w.investigator = _user(src, w, rows, org, Role.INVESTIGATOR, "調査 担当")
            w.adjudicator = _user(src, w, rows, org, Role.ADJUDICATOR, "評価 担当")
        w.agencies.append((org, official, approver))
    for country, ja, en in names.FOREIGN_GOVERNMENTS[:n_fgov]:
        org = _org(src, w, rows, "foreign_government", ja, en, country, None)
        w.foreign_employers.setdefault(country, []).append(org)
        w.liaisons[country] = _user(src, w, rows, org, Role.FOREIGN_LIAISON, "Liaison Officer")
    foreign_cos = []
    for i in range(n_fco):
        country, ja, en = names.FOREIGN_COMPANIES[i % len(names.FOREIGN_COMPANIES)]
        org = _org(src, w, rows, "foreign_company", ja, en, country, None)
        foreign_cos.append(org)
        w.foreign_employers.setdefault(country, []).append(org)
    companies: list[str] = []
    for i in range(n_co):
        (pja, pen), (sja, sen) = src.choice(names.PLACES), src.choice(names.SECTORS)
        parent = companies[src.randint(max(0, i - 20), i - 1)] if i and src.chance(0.3) else None
        number += 1
        org = _org(src, w, rows, "company", f"{pja}{sja}株式会社", f"{pen} {sen} Co., Ltd.", "JPN",
                   number, parent)
        companies.append(org)
        w.employers += [org] * src.choice((1, 2, 4, 8))  # a few large employers
        w.cso[org] = _user(src, w, rows, org, Role.COMPANY_SECURITY_OFFICER, "保全 責任者")
        owners, free = set(), Decimal(100)  # shares still unheld
        if parent:
            share, voting = _shares(src, 50.1, 95, free)
            _edge(src, w, rows, org, parent, share, voting)
            owners.add(parent)
            free -= max(share, voting)
        for _ in range(src.choice((1, 1, 2)) if src.chance(0.12) else 0):  # FOCI
            owner = src.choice(foreign_cos)
            if owner not in owners and free >= 2:
                owners.add(owner)
                share, voting = _shares(src, 2, min(35, float(free)), free)
                _edge(src, w, rows, org, owner, share, voting)
                free -= max(share, voting)
                if src.chance(0.5):
                    rows.add("foci_declaration", id=src.new_id(), organisation_id=org,
                             board=json.dumps([["JPN"]] * src.randint(3, 8) + [
                                 [src.choice(NTIB_COUNTRIES)]]),
                             foreign_debt_pct=Decimal(src.randint(0, 20)),
                             foreign_revenue_pct=Decimal(src.randint(0, 40)),
                             declared_by=w.cso[org],
                             declared_at=src.moment(w.as_of - timedelta(days=200)))
    for kind, n, suffix_ja, suffix_en in (("university", n_univ, "大学", "University"),
                                          ("research_institute", n_ri, "先端技術研究所",
                                           "Institute of Advanced Technology")):
        for _ in range(n):
            pja, pen = src.choice(names.PLACES)
            number += 1
            org = _org(src, w, rows, kind, f"{pja}{suffix_ja}", f"{pen} {suffix_en}", "JPN",
                       number)
            w.employers += [org] * 2
            w.cso[org] = _user(src, w, rows, org, Role.COMPANY_SECURITY_OFFICER, "保全 責任者")
    w.employers += [a[0] for a in w.agencies] * 3


def _edge(src: Source, w: World, rows: Rows, owned: str, owner: str, share: Decimal,
          voting: Decimal) -> None:
    at = src.moment(w.as_of - timedelta(days=src.randint(30, 2_600)))
    rows.add("ownership_edge", id=src.new_id(), owned_id=owned, owner_organisation_id=owner,
             owner_person_id=None, share_pct=share, voting_pct=voting, created_at=at,
             updated_at=at)


def _facilities(src: Source, w: World, rows: Rows) -> None:
    """About two in five businesses, universities and institutes are proposed for
    certification, in every state of the certification's life."""
    foreign_owned = {e["owned_id"] for e in rows.table("ownership_edge")
                     if e["owner_organisation_id"] not in w.cso}
    cover = list(FACILITY_STATES)  # the first ones take every state
    for org, officer in w.cso.items():
        if not (cover or src.chance(0.4)):
            continue
        agency, official, _ = src.choice(w.agencies)
        state = cover.pop() if cover else src.pick(FACILITY_STATES)
        level = "SDS" if src.chance(0.3) else "CESI"
        expired = state is FacilityState.EXPIRED  # ran its five years out
        proposed = w.as_of - timedelta(days=src.randint(1950, 2600) if expired
                                       else src.randint(60, 1500))
        fid = src.new_id()
        f = dict(id=fid, organisation_id=org, project=None, level=level, state=state.value,
                 agency_id=agency, proposed_by=official, proposed_at=src.moment(proposed),
                 internal_rules=None, governance=None, training_plan=None,
                 security_officer_id=None, deputy_officer_id=None, applied_at=None,
                 checklist="{}", reviewer_id=None, certified_on=None, valid_until=None,
                 decided_by=None, decision_reasons=None, national_interest_on=None,
                 national_interest_by=None, national_interest_reasons=None, version=1)
        if state not in (FacilityState.PROPOSED, FacilityState.WITHDRAWN):
            f.update(internal_rules="情報保全規程", governance="保全委員会が四半期ごとに報告",
                     training_plan="着任時教育と年1回の再教育", security_officer_id=officer,
                     applied_at=src.moment(proposed + timedelta(days=20)))
        if state not in (FacilityState.PROPOSED, FacilityState.APPLIED,
                         FacilityState.WITHDRAWN, FacilityState.UNDER_REVIEW):
            day = min(proposed + timedelta(days=90), w.as_of - timedelta(days=30))
            f.update(reviewer_id=official, decided_by=official, certified_on=day,
                     valid_until=add_years(day, 5) - timedelta(days=1),
                     decision_reasons="審査項目をすべて満たす")
            if state is FacilityState.REFUSED:
                f.update(certified_on=None, valid_until=None, decision_reasons="保全体制が不十分")
        rows.add("facility", **f)
        if state in CERTIFIED:
            for kind, name in (("room", "第一保全室"), ("it_system", "保全情報管理システム")):
                area = src.new_id()
                rows.add("approved_area", id=area, facility_id=fid, kind=kind, name=name,
                         level=level, separate_from_open_lab=False, withdrawn_on=None)
                w.areas.setdefault(org, []).append((area, level))
            if org in foreign_owned:
                rows.add("foci_mitigation", id=src.new_id(), organisation_id=org,
                         instrument="board_resolution" if level == "CESI"
                         else "security_control_agreement",
                         reference=f"MIT-{len(rows.table('foci_mitigation')) + 1:05d}",
                         terms="外国株主を保全情報から遮断する", signed_on=f["certified_on"],
                         ended_on=None, recorded_by=official,
                         recorded_at=src.moment(f["certified_on"]))


def _programmes(src: Source, w: World, rows: Rows) -> None:
    n = max(2, len(w.cso) // 50)
    hosts = w.hosts
    for i in range(n):
        code, ja, en = names.PROGRAMMES[i % len(names.PROGRAMMES)]
        if i >= len(names.PROGRAMMES):
            k = i // len(names.PROGRAMMES) + 1
            code, ja, en = f"{code}{k}", f"{ja} 第{k}期", f"{en}, phase {k}"
        agency, official, _ = w.agencies[i % len(w.agencies)]
        countries = sorted(src.sample(w.partners, min(2, len(w.partners))))
        members = src.sample(hosts, min(len(hosts), src.randint(1, 4)))
        pid = src.new_id()
        rows.add("programme", id=pid, code=code, name_ja=ja, name_en=en, agency_id=agency,
                 countries=",".join(countries), organisations=",".join(sorted(members)),
                 created_by=official, created_at=src.moment(w.as_of - timedelta(days=500)))
        w.programmes.append((pid, code, countries))

"""A small, realistic demonstration data set (fictional organisations and people)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.jp import cn

from hozen.accounts.actor import Actor
from hozen.accounts.models import User
from hozen.accounts.permissions import Role
from hozen.accounts.services import actor_for, create_user
from hozen.clearances import services as clearances
from hozen.clearances.rules import add_years
from hozen.clearances.schemas import CandidateCreate
from hozen.db import utcnow
from hozen.designations import items, proposals
from hozen.designations.models import Proposal
from hozen.designations.schemas import Decision, DesignationCreate, ItemCreate
from hozen.registry import ownership
from hozen.registry import services as registry
from hozen.registry.schemas import OrganisationCreate, OwnershipCreate, PersonCreate
from hozen.reports.demo import load_history

DEMO_PASSWORD = "hozen-demo-2026"


def corporate_number(base12: str) -> str:
    """A valid 法人番号: the check digit comes first."""
    return cn.calc_check_digit(base12) + base12


ORGS = [
    # key, kind, name_ja, name_en, country, parent key, corporate number base
    ("cao", "government_body", "内閣府 経済安全保障推進室", "Cabinet Office, Economic Security Office",
     "JPN", None, "000012010019"),
    ("meti", "government_body", "経済産業省", "Ministry of Economy, Trade and Industry", "JPN",
     None, "000012070001"),
    ("atla", "government_body", "防衛装備庁", "Acquisition, Technology & Logistics Agency", "JPN",
     None, "000012090002"),
    ("fhd", "company", "富士見ホールディングス株式会社", "Fujimi Holdings Co., Ltd.", "JPN", None,
     "010401012345"),
    ("fujimi", "company", "富士見重工業株式会社", "Fujimi Heavy Industries Co., Ltd.", "JPN", "fhd",
     "010401054321"),
    ("toho", "company", "東邦電子システム株式会社", "Toho Electronic Systems K.K.", "JPN", None,
     "011001067890"),
    ("aah", "foreign_company", "アトランティック・エアロスペース・ホールディングス",
     "Atlantic Aerospace Holdings Inc.", "USA", None, None),
    ("meridian", "foreign_company", "メリディアン・キャピタル", "Meridian Capital Pte. Ltd.", "SGP",
     None, None),
    ("todai", "university", "東都大学", "Toto University", "JPN", None, "005001009876"),
    ("nait", "research_institute", "国立先端技術研究所",
     "National Institute of Advanced Technology", "JPN", None, "007005004321"),
    ("usdod", "foreign_government", "米国国防総省", "U.S. Department of Defense", "USA", None, None),
    ("ukmod", "foreign_government", "英国国防省", "UK Ministry of Defence", "GBR", None, None),
]

OWNERSHIP = [
    # owned, owner, share %, voting %
    ("fujimi", "fhd", "62.5", "62.5"),
    ("fhd", "aah", "18.0", "22.0"),  # indirect foreign stake in Fujimi through its parent
    ("toho", "fujimi", "40.0", "40.0"),
    ("toho", "meridian", "12.0", "12.0"),
]

PEOPLE = [
    # key, kanji family, given, kana family, given, latin family, given, birth, nat, former,
    # employer, department, title
    ("sato", "佐藤", "健一", "サトウ", "ケンイチ", "Sato", "Kenichi", "1978-04-12", ["JPN"], [],
     "fujimi", "防衛事業部", "主任技師"),
    ("suzuki", "鈴木", "美咲", "スズキ", "ミサキ", "Suzuki", "Misaki", "平成2年5月3日", ["JPN"], [],
     "fujimi", "情報保全室", "室長"),
    ("takahashi", "髙橋", "誠", "タカハシ", "マコト", "Takahashi", "Makoto", "1985-11-30", ["JPN"],
     [], "toho", "衛星通信部", "課長"),
    ("tanaka", "田中", "由美", "タナカ", "ユミ", "Tanaka", "Yumi", "1969-02-14", ["JPN"], ["USA"],
     "toho", "研究開発本部", "部長"),
    ("ito", "伊藤", "大輔", "イトウ", "ダイスケ", "Ito", "Daisuke", "1990-07-07", ["JPN"], [],
     "todai", "量子工学研究室", "准教授"),
    ("watanabe", "渡辺", "さくら", "ワタナベ", "サクラ", "Watanabe", "Sakura", "1995-03-21", ["JPN"],
     [], "nait", "AI安全研究グループ", "研究員"),
    ("kim", "金", "敏洙", "キム", "ミンス", "Kim", "Minsu", "1982-09-09", ["JPN"], ["KOR"],
     "fujimi", "調達部", "係長"),
    ("miller", None, None, "ミラー", "ジェーン", "Miller", "Jane", "1976-12-01", ["USA"], [],
     "usdod", "Defense Technology Security Administration", "Liaison Officer"),
    ("yamamoto", "山本", "拓也", "ヤマモト", "タクヤ", "Yamamoto", "Takuya", "1988-06-18", ["JPN"],
     [], "meti", "経済安全保障政策課", "課長補佐"),
    ("nakamura", "中村", "優子", "ナカムラ", "ユウコ", "Nakamura", "Yuko", "1973-10-05", ["JPN"], [],
     "cao", "経済安全保障推進室", "調査官"),
]

USERS = [
    # username, display name, organisation, roles, person key (subjects)
    ("admin", "システム管理者", "cao", [Role.SYSTEM_ADMIN], None),
    ("window", "窓口 一郎", "cao", [Role.WINDOW_OFFICER], None),
    ("investigator", "中村 優子", "cao", [Role.INVESTIGATOR], None),
    ("adjudicator", "評価 二郎", "cao", [Role.ADJUDICATOR], None),
    ("agency", "山本 拓也", "meti", [Role.AGENCY_OFFICIAL], None),
    ("approver", "承認 三郎", "meti", [Role.APPROVING_OFFICIAL], None),
    ("cso", "鈴木 美咲", "fujimi", [Role.COMPANY_SECURITY_OFFICER], None),
    ("cso2", "保全 副室長", "fujimi", [Role.COMPANY_SECURITY_OFFICER], None),
    ("subject", "佐藤 健一", "fujimi", [Role.SUBJECT], "sato"),
    ("liaison", "Jane Miller", "usdod", [Role.FOREIGN_LIAISON], None),
    ("expert", "伊藤 大輔", "todai", [Role.EXTERNAL_EXPERT], None),
    ("inspector", "監察 四郎", "cao", [Role.OVERSIGHT_INSPECTOR], None),
    ("auditor", "監査 五郎", "cao", [Role.AUDITOR], None),
]


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def load(session: Session, password: str = DEMO_PASSWORD) -> list[tuple[str, str]]:
    actor = Actor.system("demo")
    orgs: dict[str, str] = {}
    for key, kind, ja, en, country, parent, base in ORGS:
        org = registry.create_organisation(session, OrganisationCreate(
            kind=kind, name_ja=ja, name_en=en, country_code=country,
            parent_id=orgs.get(parent) if parent else None,
            corporate_number=corporate_number(base) if base else None), actor=actor)
        orgs[key] = org.id
    for owned, owner, share, voting in OWNERSHIP:
        ownership.create_ownership(session, OwnershipCreate(
            owned_id=orgs[owned], owner_organisation_id=orgs[owner],
            share_pct=Decimal(share), voting_pct=Decimal(voting)), actor=actor)
    people: dict[str, str] = {}
    for (key, fk, gk, fka, gka, fl, gl, birth, nat, former, employer, dept,
         title) in PEOPLE:
        person = registry.create_person(session, PersonCreate(
            family_name_kanji=fk, given_name_kanji=gk, family_name_kana=fka,
            given_name_kana=gka, family_name_latin=fl, given_name_latin=gl, birth_date=birth,
            nationalities=nat, former_nationalities=former, employer_id=orgs[employer],
            department=dept, title=title), actor=actor)
        people[key] = person.id
    out = []
    users = {}
    for username, display, org, roles, person in USERS:
        users[username] = create_user(
            session, username=username, password=password, display_name=display,
            organisation_id=orgs[org], roles=roles,
            person_id=people[person] if person else None, actor=actor)
        out.append((username, ", ".join(r.value for r in roles)))
    # The security officer lists the demo subject: signing in as `subject` shows the
    # consent page, and the journey can be walked through every role.
    clearances.list_candidate(session, CandidateCreate(
        person_id=people["sato"], regime="CESI", sponsor_id=orgs["meti"]),
        actor=actor_for(users["cso"]))
    _designations(session, orgs, users)
    _facilities(session, orgs, users)
    _visit(session, orgs, users)
    _sharing(session, users)
    _intel(session, users)
    load_history(session, orgs, users)  # the reports' charts (hozen.reports.demo)
    return out


def enrol_second_factors(session: Session) -> list[str]:
    """Development only: enrol every demo user whose role needs a second factor (all but
    the subject) with a fresh authenticator key; `hozen demo code USER` prints the code."""
    from hozen.accounts import mfa

    actor = Actor.system("demo")
    enrolled = []
    for username, _display, _org, roles, _person in USERS:
        if mfa.rules.mfa_required(r.value for r in roles):
            user_id = session.scalar(select(User.id).where(User.username == username))
            mfa.enrol_for_demo(session, user_id, actor=actor)
            enrolled.append(username)
    return enrolled


def _visit(session: Session, orgs: dict, users: dict) -> None:
    """The GCAP programme pre-authorises American nationals: the U.S. liaison assures an
    engineer of Atlantic Aerospace and his company, requests a visit to Fujimi's secure
    room, and it is approved at once (two human steps)."""
    from hozen.access.programmes import create_programme
    from hozen.access.schemas import ProgrammeCreate
    from hozen.facilities.models import ApprovedArea, Facility
    from hozen.reciprocity import assurances, visits
    from hozen.reciprocity.schemas import (
        FacilityAssuranceCreate,
        PersonnelAssuranceCreate,
        VisitCreate,
    )

    today = utcnow().date()
    agency, liaison = actor_for(users["agency"]), actor_for(users["liaison"])
    gcap = create_programme(session, ProgrammeCreate(
        code="GCAP", name_ja="次期戦闘機共同開発", name_en="Global Combat Air Programme",
        countries=["GBR", "ITA", "USA"], organisations=[orgs["fujimi"]]), actor=agency)
    until = today + timedelta(days=700)
    assurances.submit_facility(session, FacilityAssuranceCreate(
        organisation_id=orgs["aah"], partner_level="SECRET", valid_until=until,
        reference="DCSA-FCL-2026-118"), actor=liaison)
    engineer = assurances.submit_personnel(session, PersonnelAssuranceCreate(
        person=PersonCreate(family_name_latin="Carter", given_name_latin="Ethan",
                            birth_date="1983-05-17", nationalities=["USA"],
                            employer_id=orgs["aah"]),
        partner_level="SECRET", valid_until=until, reference="DCSA-PCL-2026-0412"),
        actor=liaison)
    room = session.scalar(select(ApprovedArea.id).join(Facility).where(
        Facility.organisation_id == orgs["fujimi"], ApprovedArea.kind == "room"))
    visits.request_visit(session, VisitCreate(
        kind="one_time", programme_id=gcap.id, host_organisation_id=orgs["fujimi"],
        area_id=room, starts_on=today, ends_on=today + timedelta(days=4),
        purpose="GCAP 共同設計審査", visitors=[engineer.id]), actor=liaison)


def _facilities(session: Session, orgs: dict, users: dict) -> None:
    """Fujimi certified for CESI: flagged for FOCI by its parent's American shareholder
    (11.25% through the parent) and mitigated by a board resolution; Toho proposed."""
    from hozen.facilities import foci_service
    from hozen.facilities import services as facilities
    from hozen.facilities.checklist import load_checklist
    from hozen.facilities.schemas import (
        AreaIn,
        ChecklistEntry,
        ChecklistRecord,
        FacilityApplication,
        FacilityDecision,
        FacilityPropose,
        MitigationCreate,
    )

    agency, cso = actor_for(users["agency"]), actor_for(users["cso"])
    f = facilities.propose(session, FacilityPropose(organisation_id=orgs["fujimi"],
                                                    level="CESI"), actor=agency)
    facilities.apply(session, f.id, FacilityApplication(
        internal_rules="富士見重工業 情報保全規程（2026年版）",
        governance="取締役会の下に情報保全委員会を置き、保全責任者が四半期ごとに報告する",
        training_plan="着任時教育と年1回の再教育、受講記録を保全室で管理",
        security_officer_id=users["cso"].id, deputy_officer_id=users["cso2"].id,
        areas=[AreaIn(kind="room", name="本社 第一保全室", level="CESI"),
               AreaIn(kind="it_system", name="保全情報管理システム", level="CESI")]),
        actor=cso)
    facilities.start_review(session, f.id, actor=agency)
    facilities.record_checklist(session, f.id, ChecklistRecord(results={
        c.id: ChecklistEntry(met=True, evidence="規程及び現地確認") for c in
        load_checklist().controls}), actor=agency)
    foci_service.record_mitigation(session, orgs["fujimi"], MitigationCreate(
        instrument="board_resolution", reference="富士見HD 取締役会決議 2026-07",
        terms="外国株主及びその役員を保全情報から遮断する", signed_on=utcnow().date()),
        actor=agency)
    facilities.certify(session, f.id, FacilityDecision(reasons="審査項目をすべて満たす"),
                       actor=agency)
    facilities.propose(session, FacilityPropose(organisation_id=orgs["toho"], level="CESI"),
                       actor=agency)


def _designations(session: Session, orgs: dict, users: dict) -> None:
    """One designation in force with an item, and one proposal awaiting approval."""
    agency, approver = actor_for(users["agency"]), actor_for(users["approver"])
    start = utcnow().date()
    end = add_years(start, 5) - timedelta(days=1)
    common = {"reasons": "公になれば重要経済基盤の脆弱性が明らかになるため", "holders": [orgs["fujimi"]],
              "term_start": start, "term_end": end}
    d = proposals.propose_designation(session, DesignationCreate(
        title="次世代衛星通信の暗号鍵管理方式", regime="CESI", category="key_technologies",
        scope_kind="technology", scope="衛星通信暗号", releasable_to=["USA"], **common),
        actor=agency)
    proposal = session.scalar(select(Proposal.id).where(Proposal.designation_id == d.id))
    proposals.decide(session, proposal, Decision(approve=True, reasons="必要性を確認"),
                     actor=approver)
    items.create_item(session, ItemCreate(title="鍵管理方式 設計書 第2版", kind="document",
                                          designation_id=d.id, compartments=["SATCOM"],
                                          releasable_to=["USA"]), actor=agency)
    proposals.propose_designation(session, DesignationCreate(
        title="次期戦闘機（GCAP）機体構造データ", regime="SDS", category="defence",
        scope_kind="programme", scope="GCAP", releasable_to=["GBR", "ITA"], **common),
        actor=agency)


def _sharing(session: Session, users: dict) -> None:
    """A community of CUI holders run by METI, and a CESI seminar next month (R10)."""
    from datetime import timedelta

    from hozen.db import utcnow
    from hozen.sharing import communities, events
    from hozen.sharing.schemas import CommunityCreate, EventCreate

    agency = actor_for(users["agency"])
    communities.create_community(session, CommunityCreate(
        name_ja="サプライチェーン脅威情報共有会", name_en="Supply-chain threat sharing circle",
        description="防衛・重要インフラ企業の保全担当者による情報交換", min_level="CUI"),
        actor=agency)
    start = (utcnow() + timedelta(days=30)).replace(hour=1, minute=0, second=0, microsecond=0)
    events.create_event(session, EventCreate(
        title_ja="重要経済安保情報 保全セミナー", title_en="CESI protection seminar",
        location="経済産業省 本館 第1会議室", starts_at=start,
        ends_at=start + timedelta(hours=3), capacity=40, min_level="CESI"), actor=agency)


def _intel(session: Session, users: dict) -> None:
    """A government-run threat-intelligence collection (R9) with a few STIX objects under
    TLP:GREEN; company submissions to it wait for METI's review."""
    from hozen.sharing import intel, stix, taxii
    from hozen.sharing.intel_schemas import CollectionCreate

    agency = actor_for(users["agency"])
    c = intel.create_collection(session, CollectionCreate(
        title="政府の脅威情報 / Government threat intelligence",
        description="経済産業省が運営する共有コレクション（TAXII 2.1）", level="UNMARKED",
        government_run=True, review_required=True), actor=agency)
    green, at = [stix.TLP_ID["GREEN"]], "2026-01-15T00:00:00.000Z"
    common = {"spec_version": "2.1", "created": at, "modified": at,
              "object_marking_refs": green}
    indicator = "indicator--6b1c3a2e-9d4f-4e8a-b1c7-2f3e4d5a6b7c"
    malware = "malware--0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
    r = taxii.reader(session, agency)
    taxii.add_objects(session, r, c, [
        common | {"type": "indicator", "id": indicator, "name": "C2 server of ShadowPad",
                  "pattern": "[ipv4-addr:value = '203.0.113.45']", "pattern_type": "stix",
                  "valid_from": "2026-01-15T00:00:00Z"},
        common | {"type": "malware", "id": malware, "name": "ShadowPad", "is_family": True},
        common | {"type": "relationship",
                  "id": "relationship--3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                  "relationship_type": "indicates", "source_ref": indicator,
                  "target_ref": malware}])
    intel.create_collection(session, CollectionCreate(
        title="重要インフラ脆弱性情報 / Critical infrastructure vulnerabilities (CUI)",
        level="CUI", government_run=True, review_required=True), actor=agency)

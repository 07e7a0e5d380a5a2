"""The pages of suitability assessment, through the real application with real sign-in:
who may open each page, and each role's forms — the officer's candidate list and CSV
upload, the subject's consent and questionnaire, the window's intake, the investigator's
findings, the adjudicator's decision, everybody's inbox. A refused or invalid form shows
the error and writes nothing but the record of what the page showed."""

from __future__ import annotations

import csv as csv_module
import html as htmllib
import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import AreaDecision, ClearanceCase, Finding, Investigation
from hozen.clearances.rules import AREAS
from hozen.db import session_factory, utcnow
from hozen.notifications.models import Notification
from hozen.registry.models import Person
from tests.authenticator import with_code
from tests.clearance_helpers import (
    favourable_decisions,
    full_questionnaire,
    run_to_adjudication,
)
from tests.factories import (
    assert_unchanged,
    cheap_argon2,
    make_person,
    make_user,
    make_world,
    snapshot,
)
from tests.pages import Web, element, text

API = "/api/v1/clearance-cases"
FINDING = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
           "source": "信用情報機関", "summary": "返済遅延1件"}


@pytest.fixture
def world(session):
    with cheap_argon2():
        return make_world(session)




# --- reading pages ---------------------------------------------------------------------




def value_of(html: str, name: str) -> str:
    m = re.search(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*\bvalue="([^"]*)"', html)
    assert m, f"no input {name}"
    return htmllib.unescape(m[1])


def table_rows(html: str) -> list[list[str]]:
    return [[text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)]


# --- the database --------------------------------------------------------------------------


def db(engine):
    return session_factory(engine)()


def state_of(engine, case_id: str) -> str:
    with db(engine) as s:
        return s.scalar(select(ClearanceCase.state).where(ClearanceCase.id == case_id))


def count(engine, model, *where) -> int:
    with db(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@contextmanager
def writes_nothing(engine):
    """Every table unchanged but the audit log, which may only have grown by the record of
    what the page showed (every access is recorded; a refused change is not)."""
    before = snapshot(engine)
    with db(engine) as s:
        top = s.scalar(select(func.max(AuditEvent.seq))) or 0
    yield
    after = snapshot(engine)
    with db(engine) as s:
        tags = set(s.scalars(select(AuditEvent.tag).where(AuditEvent.seq > top)))
    assert {t for t in tags if not t.endswith((":read", ":list"))} == set(), tags
    del before["audit_event"], after["audit_event"]
    assert_unchanged(before, after)


# --- cases made through the API ------------------------------------------------------------


def list_case(client, world, person_id: str | None = None, regime: str = "CESI") -> str:
    r = client.post(API, headers=world.users[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": person_id or world.staff.id, "regime": regime,
                          "sponsor_id": world.gov.id})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def case_to(client, world, state: str) -> str:
    """The world's staff person's CESI case, moved through the API to `state`."""
    if state == "adjudication":
        return run_to_adjudication(client, world)
    subject = world.users[Role.SUBJECT].headers
    case_id = list_case(client, world)
    steps = [("/consent", "post", {"family_consent": True}),
             ("/questionnaire", "patch", full_questionnaire()), ("/submission", "post", None)]
    stop = {"listed": 0, "draft": 1, "submitted": 3}[state]
    for suffix, method, body in steps[:stop]:
        r = client.request(method, f"{API}/{case_id}{suffix}", headers=subject, json=body)
        assert r.status_code == 200, r.text
    return case_id


def questionnaire_form(q: dict) -> dict[str, str]:
    """The questionnaire as the page's form fields (residences-0-start, area-drugs, ...)."""
    form = {}
    for section in ("residences", "employment", "travel", "foreign_accounts", "family"):
        for i, entry in enumerate(q.get(section) or []):
            for key, v in entry.items():
                form[f"{section}-{i}-{key}"] = (", ".join(v) if isinstance(v, list)
                                                else "" if v is None else str(v))
    for area, answer in (q.get("areas") or {}).items():
        form[f"area-{area}"] = "yes" if answer["yes"] else "no"
        form[f"area-{area}-details"] = answer["details"]
    return form


# --- who may open which page ----------------------------------------------------------------

# page -> (the roles that may open it, how the others are refused)
PAGES = {
    "/candidates": ({Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER}, 403),
    "/candidates/template.csv": ({Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER}, 403),
    "/casework": ({Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR}, 403),
    "/casework/{case_id}": ({Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR}, 404),
    "/my/assessments": ({Role.SUBJECT}, 403),
    "/my/assessments/{case_id}/questionnaire": ({Role.SUBJECT}, 404),
    "/inbox": (set(Role), 403),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_each_page_opens_for_its_roles_and_is_refused_to_the_others(client, engine, world,
                                                                     web, path):
    allowed, refusal = PAGES[path]
    case_id = case_to(client, world, "draft")  # the subject's own, with answers saved
    url = path.format(case_id=case_id)
    for role in Role:
        browser = web(world.users[role])
        before = snapshot(engine)
        r = browser.get(url)
        if role in allowed:
            assert r.status_code == 200, (role, r.text[:300])
            if r.headers["content-type"].startswith("text/html"):
                browser.client.cookies.set("hozen_lang", "ja")  # and in Japanese
                ja = browser.get(url)
                assert ja.status_code == 200 and '<html lang="ja">' in ja.text, role
            continue
        assert r.status_code == refusal, (role, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        heading = text(element(r.text, "<h1"))
        assert heading == {403: "Not permitted", 404: "Not found"}[refusal], role
        main = element(r.text, 'id="main"')
        assert case_id not in main and "東京都" not in main  # nothing of the case
        assert_unchanged(before, snapshot(engine))  # refused before anything was read


def test_the_menu_offers_each_role_its_own_pages(world, web):
    menus = {role: re.findall(r'<li><a href="([^"]+)"', element(web(world.users[role])
                                                                  .get("/inbox").text, "<nav"))
             for role in (Role.SUBJECT, Role.COMPANY_SECURITY_OFFICER, Role.INVESTIGATOR)}
    assert "/my/assessments" in menus[Role.SUBJECT]
    assert not {"/candidates", "/casework"} & set(menus[Role.SUBJECT])
    assert "/candidates" in menus[Role.COMPANY_SECURITY_OFFICER]
    assert "/casework" not in menus[Role.COMPANY_SECURITY_OFFICER]
    assert "/casework" in menus[Role.INVESTIGATOR]


# --- the employer's officer: candidate list ---------------------------------------------------


def test_the_officer_lists_a_candidate_who_shows_as_in_progress(engine, world, web):
    cso = web(world.users[Role.COMPANY_SECURITY_OFFICER])
    page = cso.get("/candidates")
    assert page.status_code == 200
    assert f'value="{world.staff.id}"' in element(page.text, 'id="f-person_id"')
    assert world.outsider.id not in page.text  # another company's staff is not offered
    r = cso.post("/candidates", {"person_id": world.staff.id, "regime": "CESI",
                                 "sponsor_id": world.gov.id})
    assert (r.status_code, r.headers["location"]) == (303, "/candidates?listed=1")
    page = cso.get(r.headers["location"])
    assert "1 candidate(s) listed" in text(element(page.text, 'id="listed-notice"'))
    rows = table_rows(element(page.text, 'id="candidates"'))
    assert rows[1:] == [["山田 太郎", "CESI", "In progress", ""]]
    with db(engine) as s:
        [case] = s.scalars(select(ClearanceCase)).all()
        assert (case.person_id, case.state, case.listed_by, case.sponsor_id) == (
            world.staff.id, "listed", world.users[Role.COMPANY_SECURITY_OFFICER].user_id,
            world.gov.id)


@pytest.mark.parametrize("field, change, message", [
    ("sponsor_id", "company", "The sponsor must be a government agency."),
    ("sponsor_id", "unknown", "The sponsor must be a government agency."),
    ("person_id", "missing", "This field is required."),  # a blank choice
    ("person_id", "outsider", "No such person."),
])
def test_listing_bad_input_is_422_naming_the_field_and_writes_nothing(engine, world, web,
                                                                       field, change, message):
    cso = web(world.users[Role.COMPANY_SECURITY_OFFICER])
    form = {"person_id": world.staff.id, "regime": "CESI", "sponsor_id": world.gov.id}
    form[field] = {"company": world.company.id, "unknown": "01a00000-0000-7000-8000-000000000000",
                   "missing": "", "outsider": world.outsider.id}[change]
    with writes_nothing(engine):
        r = cso.post("/candidates", form)
    assert r.status_code == 422
    assert f'href="#f-{field}"' in element(r.text, 'class="summary"')
    field_html = element(r.text, 'class="field invalid"')
    assert f'name="{field}"' in field_html and 'aria-invalid="true"' in field_html
    assert message in text(field_html)
    assert count(engine, ClearanceCase) == 0


def test_the_officer_reports_an_event_and_a_future_date_is_refused(engine, world, web):
    cso = web(world.users[Role.COMPANY_SECURITY_OFFICER])
    form = {"person_id": world.staff.id, "kind": "foreign_travel",
            "occurred_on": (utcnow().date() + timedelta(days=3)).isoformat(),
            "details": "上海出張"}
    with writes_nothing(engine):
        r = cso.post("/candidates/events", form)
    assert r.status_code == 422
    assert "The date cannot be in the future." in text(
        element(r.text, 'class="field invalid"><label for="f-event_occurred_on"'))
    r = cso.post("/candidates/events", form | {"occurred_on": "2024-05-01"})
    assert (r.status_code, r.headers["location"]) == (303, "/candidates?event=1")


# --- the employer's officer: the candidate list as a CSV file ----------------------------


def upload(browser: Web, world, content: bytes):
    return browser.post("/candidates/upload", {"regime": "CESI", "sponsor_id": world.gov.id},
                        files={"file": ("candidates.csv", content, "text/csv")})


def test_a_utf8_file_with_a_bom_lists_every_row(engine, world, web):
    csv = ("family_name_kanji,given_name_kanji,family_name_latin,given_name_latin,"
           "birth_date,nationalities,department,title\r\n"
           "鈴木,一郎,Suzuki,Ichiro,1975-06-07,JPN,第一技術部,主任\r\n"
           "高橋,花子,Takahashi,Hanako,平成2年5月3日,JPN;USA,研究所,\r\n"
           "山田,太郎,Yamada,Taro,1980-01-02,JPN,,\r\n")  # already registered: not again
    people_before = count(engine, Person)
    r = upload(web(world.users[Role.COMPANY_SECURITY_OFFICER]), world,
               b"\xef\xbb\xbf" + csv.encode())
    assert (r.status_code, r.headers["location"]) == (303, "/candidates?listed=3"), r.text[:500]
    assert count(engine, Person) == people_before + 2
    with db(engine) as s:
        cases = s.scalars(select(ClearanceCase)).all()
        assert {c.state for c in cases} == {"listed"} and len(cases) == 3
        assert world.staff.id in {c.person_id for c in cases}
        assert {s.get(Person, c.person_id).employer_id for c in cases} == {world.company.id}
    page = web(world.users[Role.COMPANY_SECURITY_OFFICER]).get("/candidates")
    rows = table_rows(element(page.text, 'id="candidates"'))[1:]
    assert sorted(r[0] for r in rows) == ["山田 太郎", "鈴木 一郎", "高橋 花子"]
    assert {r[2] for r in rows} == {"In progress"}


def test_a_shift_jis_file_with_japanese_headings_lists_every_row(client, engine, world, web):
    csv = ("姓,名,セイ,メイ,生年月日,国籍,部署,役職\r\n"
           "渡邊,髙志,ワタナベ,タカシ,1982-11-30,JPN,情報システム部,課長\r\n"
           "斎藤,美穂,さいとう,みほ,昭和60年1月15日,JPN,総務部,\r\n")
    r = upload(web(world.users[Role.COMPANY_SECURITY_OFFICER]), world, csv.encode("cp932"))
    assert (r.status_code, r.headers["location"]) == (303, "/candidates?listed=2"), r.text[:500]
    headers = world.users[Role.COMPANY_SECURITY_OFFICER].headers
    with db(engine) as s:
        person_ids = list(s.scalars(select(ClearanceCase.person_id)))
    people = {p["family_name_kanji"]: p for p in (
        client.get(f"/api/v1/people/{pid}", headers=headers).json() for pid in person_ids)}
    assert set(people) == {"渡邊", "斎藤"}  # decoded from Shift_JIS, 髙 included
    assert people["渡邊"]["given_name_kanji"] == "髙志"
    assert (people["渡邊"]["department"], people["渡邊"]["title"]) == ("情報システム部", "課長")
    assert people["斎藤"]["family_name_kana"] == "サイトウ"  # hiragana made katakana
    assert people["斎藤"]["birth_date"] == "1985-01-15"  # 昭和60年


def test_a_file_with_bad_rows_lists_nobody_and_names_each_row_and_column(engine, world, web):
    csv = ("姓,名,生年月日,国籍\r\n"
           "鈴木,一郎,1975-06-07,JPN\r\n"
           "高橋,花子,1990-13-45,JPN\r\n"
           "佐藤,次郎,1970-01-01,XXX\r\n")
    cso = web(world.users[Role.COMPANY_SECURITY_OFFICER])
    people_before = count(engine, Person)
    with writes_nothing(engine):
        r = upload(cso, world, b"\xef\xbb\xbf" + csv.encode())
    assert r.status_code == 422
    rows = table_rows(element(r.text, 'id="csv-errors"'))
    assert rows == [["Line", "Column", "Problem"],
                    ["3", "birth_date", "Enter a valid date, e.g. 1990-05-03 or 平成2年5月3日."],
                    ["4", "nationalities", "Unknown country code."]]
    assert count(engine, Person) == people_before  # not even the good row's person
    assert count(engine, ClearanceCase) == 0
    assert "Nobody is listed yet." in element(r.text, 'id="candidates"')


def test_the_export_is_the_list_as_shown_and_safe_to_open_in_a_spreadsheet(client, world, web):
    """Outcome only, as on the page; a name typed as a formula stays text (a cell starting
    with = + - @ runs in a spreadsheet: CSV injection)."""
    cso = world.users[Role.COMPANY_SECURITY_OFFICER]
    r = client.post("/api/v1/people", headers=cso.headers, json={
        "family_name_kanji": "=HYPERLINK(\"http://evil.example\")", "given_name_kanji": "太郎",
        "birth_date": "1990-01-01", "nationalities": ["JPN"]})
    assert r.status_code == 201, r.text
    list_case(client, world)
    list_case(client, world, r.json()["id"])
    export = web(cso).get("/candidates/export.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv_module.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Regime", "Status", "Valid until"]
    assert ["山田 太郎", "CESI", "In progress", ""] in rows[1:]
    assert len(rows) == 3
    assert [row[0] for row in rows[1:] if row[0][:1] in "=+-@"] == []


def test_the_template_has_the_japanese_headings(world, web):
    r = web(world.users[Role.COMPANY_SECURITY_OFFICER]).get("/candidates/template.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # for spreadsheets
    assert r.content.decode("utf-8-sig").splitlines() == [
        "姓,名,セイ,メイ,family name,given name,生年月日,国籍,部署,役職"]


# --- the subject ----------------------------------------------------------------------------


def test_consent_needs_the_checkbox_then_moves_the_case_to_draft(client, engine, world, web):
    case_id = case_to(client, world, "listed")
    subject = web(world.users[Role.SUBJECT])
    page = subject.get("/my/assessments")
    assert "Awaiting the subject's consent" in text(element(page.text, f'id="case-{case_id}"'))
    with writes_nothing(engine):
        r = subject.post(f"/my/assessments/{case_id}/consent", {"family_consent": "yes"})
    assert r.status_code == 422
    assert "This field is required." in text(element(r.text, 'class="summary"'))
    assert state_of(engine, case_id) == "listed"
    r = subject.post(f"/my/assessments/{case_id}/consent",
                     {"consent": "yes", "family_consent": "yes"})
    assert (r.status_code, r.headers["location"]) == (303, "/my/assessments?done=consent")
    assert state_of(engine, case_id) == "draft"
    with db(engine) as s:
        assert s.get(ClearanceCase, case_id).family_consent is True
    page = subject.get(r.headers["location"])
    assert 'id="done-consent"' in page.text
    assert f'href="/my/assessments/{case_id}/questionnaire"' in page.text


def test_a_refusal_reaches_the_employer_as_will_not_proceed_only(client, engine, world, web):
    case_id = case_to(client, world, "listed")
    r = web(world.users[Role.SUBJECT]).post(f"/my/assessments/{case_id}/refusal")
    assert (r.status_code, r.headers["location"]) == (303, "/my/assessments?done=refusal")
    assert state_of(engine, case_id) == "refused"
    page = web(world.users[Role.COMPANY_SECURITY_OFFICER]).get("/candidates")
    rows = table_rows(element(page.text, 'id="candidates"'))[1:]
    assert rows == [["山田 太郎", "CESI", "Will not proceed", ""]]
    assert "refused" not in text(element(page.text, 'id="candidates"')).lower()
    notices = element(web(world.users[Role.COMPANY_SECURITY_OFFICER]).get("/inbox").text,
                      'id="notices"')
    assert re.findall(r'data-kind="([^"]+)"', notices) == ["employer_assessment_not_proceeding"]
    assert "will not proceed" in text(notices) and "refus" not in text(notices).lower()


def _draft(client, world) -> str:
    """A CESI case the subject has consented to (family checks too), nothing answered."""
    case_id = list_case(client, world)
    r = client.post(f"{API}/{case_id}/consent", headers=world.users[Role.SUBJECT].headers,
                    json={"family_consent": True})
    assert r.status_code == 200
    return case_id


def test_the_questionnaire_is_saved_as_the_subject_goes(client, world, web):
    case_id = _draft(client, world)
    url = f"/my/assessments/{case_id}/questionnaire"
    subject = web(world.users[Role.SUBJECT])
    q = full_questionnaire()
    some = {k: v for k, v in questionnaire_form(q).items() if k.startswith("residences-")}
    r = subject.post(url, some | {"action": "save"})
    assert (r.status_code, r.headers["location"]) == (303, url + "?saved=1")
    page = subject.get(r.headers["location"])
    assert "Saved." in text(element(page.text, 'id="saved"'))
    for i, residence in enumerate(q["residences"]):
        assert value_of(page.text, f"residences-{i}-address") == residence["address"]
        assert value_of(page.text, f"residences-{i}-start") == residence["start"]
    assert value_of(page.text, "residences-2-address") == ""  # one blank row to add
    # and the answers come back on another visit, without the notice
    again = subject.get(url)
    assert 'id="saved"' not in again.text
    assert value_of(again.text, "residences-1-address") == q["residences"][1]["address"]


def test_add_a_row_saves_and_shows_one_more_blank_row(client, world, web):
    case_id = _draft(client, world)
    url = f"/my/assessments/{case_id}/questionnaire"
    subject = web(world.users[Role.SUBJECT])
    def rows_of(html: str) -> int:
        return len(re.findall(r'data-row="', element(html, 'id="residences"')))

    assert rows_of(subject.get(url).text) == 1  # nothing saved: one blank row
    one = {k: v for k, v in questionnaire_form(full_questionnaire()).items()
           if k.startswith("residences-0-")}
    r = subject.post(url, one | {"action": "add-residences"})
    assert r.status_code == 200
    assert rows_of(r.text) == 3  # the saved row and two blank ones
    assert 'id="saved"' in r.text
    assert rows_of(subject.get(url).text) == 2  # saved: the row and the usual blank one


def test_a_future_travel_date_is_refused_next_to_the_row(client, engine, world, web):
    case_id = _draft(client, world)
    subject = web(world.users[Role.SUBJECT])
    future = (utcnow().date() + timedelta(days=20)).isoformat()
    form = {"travel-0-country_code": "USA", "travel-0-start": "2024-08-01",
            "travel-0-end": future, "travel-0-purpose": "観光", "action": "save"}
    with writes_nothing(engine):
        r = subject.post(f"/my/assessments/{case_id}/questionnaire", form)
    assert r.status_code == 422
    row = element(element(r.text, 'id="travel"'), 'data-row="0"')
    assert "The date cannot be in the future." in text(row)
    assert row.count('class="field invalid"') == 4  # every field of the row is marked
    assert value_of(row, "travel-0-end") == future  # what was typed is kept
    with db(engine) as s:
        assert s.get(ClearanceCase, case_id).questionnaire is None


def test_an_incomplete_questionnaire_is_not_submitted(client, engine, world, web):
    case_id = _draft(client, world)
    form = questionnaire_form(full_questionnaire())
    del form["area-drugs"]  # one of the seven areas left unanswered
    subject = web(world.users[Role.SUBJECT])
    with writes_nothing(engine):
        r = subject.post(f"/my/assessments/{case_id}/questionnaire", form | {"action": "submit"})
    assert r.status_code == 422
    assert "Every one of the seven areas must be answered." in text(
        element(r.text, 'class="summary"'))
    assert state_of(engine, case_id) == "draft"


def test_a_complete_questionnaire_is_submitted(client, engine, world, web):
    case_id = _draft(client, world)
    subject = web(world.users[Role.SUBJECT])
    r = subject.post(f"/my/assessments/{case_id}/questionnaire",
                     questionnaire_form(full_questionnaire()) | {"action": "submit"})
    assert (r.status_code, r.headers["location"]) == (303, "/my/assessments?done=submission")
    assert state_of(engine, case_id) == "submitted"
    page = subject.get(r.headers["location"])
    assert "Submitted, awaiting intake" in text(element(page.text, f'id="case-{case_id}"'))
    # the window reads what was typed on the page
    file = client.get(f"{API}/{case_id}", headers=world.users[Role.WINDOW_OFFICER].headers)
    assert file.json()["questionnaire"]["family"][0]["given_name"] == "花子"
    assert file.json()["questionnaire"]["areas"]["drugs"] == {"yes": False, "details": ""}


def test_a_subject_cannot_open_another_subjects_questionnaire(client, engine, session, world,
                                                             web):
    case_id = _draft(client, world)
    with cheap_argon2():
        other = make_person(session, employer_id=world.company.id, family_name_kanji="別人")
        stranger = make_user(session, Role.SUBJECT, world.company.id, other.id)
    session.commit()
    browser = web(stranger)
    url = f"/my/assessments/{case_id}/questionnaire"
    with writes_nothing(engine):
        assert browser.get(url).status_code == 404
        r = browser.post(url, questionnaire_form(full_questionnaire()) | {"action": "save"})
        assert r.status_code == 404
        assert browser.post(f"/my/assessments/{case_id}/withdrawal").status_code == 404
    assert "東京都" not in r.text
    with db(engine) as s:
        assert s.get(ClearanceCase, case_id).questionnaire is None


# --- the window officer -----------------------------------------------------------------------


def test_casework_lists_the_submitted_case_and_intake_assigns_the_investigator(
        client, engine, world, web):
    case_id = case_to(client, world, "submitted")
    officer = web(world.users[Role.WINDOW_OFFICER])
    page = officer.get("/casework")
    intake = element(page.text, 'id="intake"')
    assert f'href="/casework/{case_id}"' in intake
    assert "(1)" in text(element(intake, "<caption"))
    assert text(element(page.text, 'id="avoided"')).endswith(": 0")
    investigator = world.users[Role.INVESTIGATOR]
    assert [investigator.username, "0"] in table_rows(element(page.text, 'id="investigators"'))
    case_page = officer.get(f"/casework/{case_id}")
    assert f'value="{investigator.user_id}"' in element(case_page.text, 'id="intake-form"')
    r = officer.post(f"/casework/{case_id}/intake", {"investigator_id": investigator.user_id})
    assert (r.status_code, r.headers["location"]) == (303, f"/casework/{case_id}")
    assert state_of(engine, case_id) == "investigation"
    with db(engine) as s:
        inv = s.get(Investigation, s.get(ClearanceCase, case_id).investigation_id)
        assert inv.investigator_id == investigator.user_id
    page = officer.get("/casework")
    assert case_id not in element(page.text, 'id="intake"')
    assert [investigator.username, "1"] in table_rows(element(page.text, 'id="investigators"'))


def test_intake_without_an_investigator_is_422_and_writes_nothing(client, engine, world, web):
    case_id = case_to(client, world, "submitted")
    officer = web(world.users[Role.WINDOW_OFFICER])
    for bad in ("", world.users[Role.ADJUDICATOR].user_id):  # none, or not an investigator
        with writes_nothing(engine):
            r = officer.post(f"/casework/{case_id}/intake", {"investigator_id": bad})
        assert r.status_code == 422
        assert "Choose an investigator." in text(element(r.text, 'class="field invalid"'))
    assert state_of(engine, case_id) == "submitted"


def test_a_reused_investigation_is_counted_as_avoided(client, engine, world, web):
    u = world.users
    first = run_to_adjudication(client, world)
    r = client.post(f"{API}/{first}/adjudication", headers=with_code(u[Role.ADJUDICATOR]),
                    json=favourable_decisions())
    assert r.json()["state"] == "granted"
    second = case_to(client, world, "submitted")  # the same person again, the same regime
    officer = web(u[Role.WINDOW_OFFICER])
    r = officer.post(f"/casework/{second}/intake",
                     {"investigator_id": u[Role.INVESTIGATOR].user_id})
    assert r.status_code == 303
    assert state_of(engine, second) == "adjudication"  # straight on: nothing to investigate
    page = officer.get("/casework")
    assert text(element(page.text, 'id="avoided"')).endswith(": 1")
    case_page = officer.get(f"/casework/{second}")
    assert "An earlier investigation is reused" in text(element(case_page.text,
                                                                'id="case-facts"'))


# --- the investigator and the adjudicator ------------------------------------------------------


def _investigation(client, world) -> str:
    case_id = case_to(client, world, "submitted")
    r = client.post(f"{API}/{case_id}/intake", headers=world.users[Role.WINDOW_OFFICER].headers,
                    json={"investigator_id": world.users[Role.INVESTIGATOR].user_id})
    assert r.json()["state"] == "investigation"
    return case_id


def test_the_investigator_records_a_finding_and_completes(client, engine, world, web):
    case_id = _investigation(client, world)
    investigator = web(world.users[Role.INVESTIGATOR])
    queue = element(investigator.get("/casework").text, 'id="investigation-queue"')
    assert f'href="/casework/{case_id}"' in queue
    url = f"/casework/{case_id}"
    finding = {"area": "finances", "severity": "minor", "source": "信用情報機関",
               "summary": "返済遅延1件"}
    future = (utcnow().date() + timedelta(days=1)).isoformat()
    with writes_nothing(engine):
        r = investigator.post(url + "/findings", finding | {"found_on": future})
    assert r.status_code == 422
    field = element(r.text, 'class="field invalid"')
    assert 'name="found_on"' in field and "The date cannot be in the future." in text(field)
    assert value_of(field, "found_on") == future
    r = investigator.post(url + "/findings", finding | {"found_on": "2024-01-10"})
    assert (r.status_code, r.headers["location"]) == (303, url)
    rows = table_rows(element(investigator.get(url).text, 'id="findings"'))
    assert rows[1:] == [["Economic circumstances, including debts", "Minor", "2024-01-10",
                         "信用情報機関", "返済遅延1件"]]
    r = investigator.post(url + "/completion")
    assert (r.status_code, r.headers["location"]) == (303, url)
    assert state_of(engine, case_id) == "adjudication"
    assert 'id="finding-form"' not in investigator.get(url).text  # no more findings


def test_only_the_assigned_investigator_works_on_the_case(client, engine, session, world, web):
    case_id = _investigation(client, world)
    with cheap_argon2():
        other = make_user(session, Role.INVESTIGATOR, world.gov.id)
    session.commit()
    browser = web(other)
    with writes_nothing(engine):
        r = browser.post(f"/casework/{case_id}/findings", FINDING)
        assert r.status_code == 404
        assert browser.post(f"/casework/{case_id}/completion").status_code == 404
    assert count(engine, Finding) == 0
    assert state_of(engine, case_id) == "investigation"


def _decision_form(reasons: str = "問題なし") -> dict[str, str]:
    form = {}
    for area in AREAS:
        form[f"{area}-favourable"] = "yes"
        form[f"{area}-reasons"] = reasons
    return form


def test_the_adjudicator_decides_and_a_missing_reason_is_named(client, engine, world, web):
    case_id = run_to_adjudication(client, world, findings=[FINDING])
    adjudicator = web(world.users[Role.ADJUDICATOR])
    queue = element(adjudicator.get("/casework").text, 'id="adjudication-queue"')
    assert f'href="/casework/{case_id}"' in queue
    url = f"/casework/{case_id}"
    assert 'id="adjudication-form"' in adjudicator.get(url).text
    with writes_nothing(engine):
        r = adjudicator.post(url + "/adjudication", _decision_form() | {"finances-reasons": ""})
    assert r.status_code == 422
    assert 'href="#f-finances-reasons"' in element(r.text, 'class="summary"')
    fieldset = element(r.text, '<fieldset class="invalid"')
    assert 'name="finances-reasons"' in fieldset
    assert "This field is required." in text(fieldset)  # a blank reason
    assert fieldset.count('class="error"') == 1  # only that area
    assert state_of(engine, case_id) == "adjudication"
    r = adjudicator.post(url + "/adjudication",
                         _decision_form() | {"finances-favourable": "no",
                                             "finances-reasons": "返済遅延が続いている"})
    assert (r.status_code, r.headers["location"]) == (303, url)
    assert state_of(engine, case_id) == "denied"
    rows = table_rows(element(adjudicator.get(url).text, 'id="decisions"'))
    assert ["Economic circumstances, including debts", "Unfavourable",
            "返済遅延が続いている"] in rows


def test_whoever_investigated_cannot_adjudicate_through_the_page(client, engine, session,
                                                                world, web):
    with cheap_argon2():
        dual = make_user(session, Role.INVESTIGATOR, world.gov.id)
    user = session.get(User, dual.user_id)
    user.role_rows.append(UserRole(role=Role.ADJUDICATOR.value))
    session.commit()
    u = world.users
    case_id = case_to(client, world, "submitted")
    base = f"{API}/{case_id}"
    assert client.post(base + "/intake", headers=u[Role.WINDOW_OFFICER].headers,
                       json={"investigator_id": dual.user_id}).status_code == 200
    browser = web(dual)
    url = f"/casework/{case_id}"
    assert browser.post(url + "/findings", FINDING).status_code == 303
    assert browser.post(url + "/completion").status_code == 303
    assert state_of(engine, case_id) == "adjudication"
    page = browser.get(url)
    assert 'id="adjudication-form"' not in page.text  # not offered
    assert case_id not in element(browser.get("/casework").text, 'id="adjudication-queue"')
    with writes_nothing(engine):
        r = browser.post(url + "/adjudication", _decision_form())
    assert r.status_code == 422
    assert "Nobody adjudicates a case they investigated." in text(
        element(r.text, 'class="summary"'))
    assert state_of(engine, case_id) == "adjudication"
    assert count(engine, AreaDecision, AreaDecision.case_id == case_id) == 0
    # another adjudicator may
    r = web(u[Role.ADJUDICATOR]).post(url + "/adjudication", _decision_form())
    assert r.status_code == 303 and state_of(engine, case_id) == "granted"


# --- everybody's inbox ----------------------------------------------------------------------


def test_the_inbox_shows_only_ones_own_notices_and_marks_them_read(client, engine, world, web):
    _investigation(client, world)  # notices for the subject, and for the investigator
    subject_id = world.users[Role.SUBJECT].user_id
    with db(engine) as s:
        mine = s.scalars(select(Notification).where(Notification.user_id == subject_id)).all()
    others = count(engine, Notification, Notification.user_id != subject_id,
                   Notification.read_at.is_(None))
    assert mine and others  # both there to tell apart
    subject = web(world.users[Role.SUBJECT])
    notices = element(subject.get("/inbox").text, 'id="notices"')
    kinds = re.findall(r'<li class="unread" data-kind="([^"]+)"', notices)
    assert sorted(kinds) == sorted(n.kind for n in mine)
    assert set(kinds) == {"assessment_listed"}
    assert "Investigation assigned" not in notices
    r = subject.post("/inbox/read")
    assert (r.status_code, r.headers["location"]) == (303, "/inbox")
    notices = element(subject.get("/inbox").text, 'id="notices"')
    assert 'class="unread"' not in notices and notices.count('class="read"') == len(mine)
    assert count(engine, Notification, Notification.user_id == subject_id,
                 Notification.read_at.is_(None)) == 0
    assert count(engine, Notification, Notification.user_id != subject_id,
                 Notification.read_at.is_(None)) == others  # nobody else's
    investigator = element(web(world.users[Role.INVESTIGATOR]).get("/inbox").text,
                           'id="notices"')
    assert "Investigation assigned" in investigator and 'class="unread"' in investigator



# --- the error summary ------------------------------------------------------------------------


def test_every_link_of_an_error_summary_leads_to_its_field(client, world, web):
    """The summary atop a refused form links each error to the field to correct; a link to
    an id the page does not have moves neither the focus nor the reader."""
    cso = web(world.users[Role.COMPANY_SECURITY_OFFICER])
    subject = web(world.users[Role.SUBJECT])
    listed = list_case(client, world, regime="SDS")
    draft = _draft(client, world)
    future = (utcnow().date() + timedelta(days=20)).isoformat()
    refused = {
        "candidate: sponsor": cso.post("/candidates", {
            "person_id": world.staff.id, "regime": "CESI", "sponsor_id": world.company.id}),
        "consent: checkbox": subject.post(f"/my/assessments/{listed}/consent", {}),
        "questionnaire: travel row": subject.post(
            f"/my/assessments/{draft}/questionnaire", {
                "travel-0-country_code": "USA", "travel-0-start": "2024-08-01",
                "travel-0-end": future, "travel-0-purpose": "観光", "action": "save"}),
    }
    broken = {}
    for name, r in refused.items():
        assert r.status_code == 422, name
        ids = set(re.findall(r'\bid="([^"]+)"', r.text))
        links = re.findall(r'href="#([^"]+)"', element(r.text, 'class="summary"'))
        assert links, name
        broken[name] = [link for link in links if link not in ids]
    assert broken == {name: [] for name in refused}

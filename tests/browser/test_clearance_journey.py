"""The whole suitability assessment (適性評価) in real Chromium, in Japanese, through the
pages only: the employer's officer lists a member of staff, the subject consents and
answers the questionnaire, the window takes the case in, the investigator records a
finding, the adjudicator grants; then the employer sees the outcome and nothing more.

Japanese labels come from the catalogue (hozen.web.i18n), so the test follows wording
changes but fails on a label left untranslated.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.clearances.rules import AREAS, Regime, add_years, valid_until
from hozen.db import utcnow
from hozen.messages import AREA_LABELS, MESSAGES
from hozen.policy import get_policy
from tests.browser.helpers import ja, post_status, sign_in_as
from tests.clearance_helpers import full_questionnaire

pytestmark = pytest.mark.browser

CSO = Role.COMPANY_SECURITY_OFFICER
SUBJECT = Role.SUBJECT
WINDOW = Role.WINDOW_OFFICER
INVESTIGATOR = Role.INVESTIGATOR
ADJUDICATOR = Role.ADJUDICATOR

# Written by the investigator and the adjudicator; the employer must never see them.
FINDING_SUMMARY = "SENTINEL-FINDING-7f3a"
FINDING_SOURCE = "SENTINEL-SOURCE-b81d"
REASON = "SENTINEL-REASON-19c2"
FINDING_AREA = "finances"


# --- the steps ---------------------------------------------------------------------


def list_candidate(page: Page, server) -> str:
    world = server.world
    sign_in_as(page, server, CSO, "/candidates")
    form = page.locator("#add-candidate")
    form.locator("#f-person_id").select_option(world.staff.id)
    form.locator("#f-regime").select_option("CESI")
    form.locator("#f-sponsor_id").select_option(world.gov.id)
    form.get_by_role("button").click()

    expect(page).to_have_url(server.url + "/candidates?listed=1")
    expect(page.locator("#listed-notice")).to_be_visible()
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("山田 太郎")
    expect(rows.first.locator("td.status-in_progress")).to_have_text(ja("In progress"))
    return rows.first.get_attribute("data-case")


def consent(page: Page, server, case_id: str) -> None:
    sign_in_as(page, server, SUBJECT, "/my/assessments")
    case = page.locator(f"#case-{case_id}")
    # What will be checked is shown before consent: the seven areas, by name.
    expect(case.locator(".consent ul li")).to_have_text([ja(AREA_LABELS[a]) for a in AREAS])
    case.locator("input[name=consent]").check()
    case.locator("input[name=family_consent]").check()
    case.locator(".consent-form button[type=submit]").click()

    expect(page).to_have_url(server.url + "/my/assessments?done=consent")
    expect(page.locator("#done-consent")).to_be_visible()
    expect(case.locator(".state-draft")).to_have_text(ja("Questionnaire in progress"))
    case.locator(f'a[href="/my/assessments/{case_id}/questionnaire"]').click()
    expect(page).to_have_url(f"{server.url}/my/assessments/{case_id}/questionnaire")


def fill_row(page: Page, section: str, i: int, entry: dict) -> None:
    for name, value in entry.items():
        field = page.locator(f"#f-{section}-{i}-{name}")
        if name in ("kind", "relation"):
            field.select_option(value)
        elif isinstance(value, list):
            field.fill(", ".join(value))
        else:
            field.fill(value or "")


def answer_questionnaire(page: Page, server, case_id: str, answers: dict) -> None:
    url = f"{server.url}/my/assessments/{case_id}/questionnaire"
    first, present = answers["residences"]

    # Save as you go: the first address saved, the page back with one more blank row.
    fill_row(page, "residences", 0, first)
    assert post_status(page, lambda: page.click(
        "button[name=action][value=add-residences]")) == 200
    expect(page.locator("#saved")).to_have_text(ja("Saved."))
    expect(page.locator("#residences .row")).to_have_count(3)
    expect(page.locator("#f-residences-0-address")).to_have_value(first["address"])
    expect(page.locator("#f-residences-0-start")).to_have_value(first["start"])
    for i in (1, 2):
        expect(page.locator(f"#f-residences-{i}-start")).to_have_value("")

    fill_row(page, "residences", 1, present)
    fill_row(page, "employment", 0, answers["employment"][0])
    fill_row(page, "family", 0, answers["family"][0])
    for area in AREAS:
        page.check(f"input[name=area-{area}][value=no]")

    # A trip in the future is refused next to its row; everything typed is kept.
    today = utcnow().date()
    ahead = {**answers["travel"][0], "start": (today + timedelta(days=5)).isoformat(),
             "end": (today + timedelta(days=10)).isoformat()}
    fill_row(page, "travel", 0, ahead)
    assert post_status(page, lambda: page.click("#save")) == 422
    expect(page).to_have_url(url)
    expect(page.locator("#saved")).to_have_count(0)
    future = ja(MESSAGES["date_in_future"])
    expect(page.locator('#travel .row[data-row="0"] [role=alert]')).to_have_text(future)
    expect(page.locator(".summary[role=alert]")).to_contain_text(future)
    expect(page.locator("#f-travel-0-end")).to_have_value(ahead["end"])
    expect(page.locator("#f-residences-1-address")).to_have_value(present["address"])
    expect(page.locator("#f-employment-0-kind")).to_have_value("employed")
    expect(page.locator("#f-family-0-nationalities")).to_have_value("JPN")
    expect(page.locator("input[name=area-drugs][value=no]")).to_be_checked()

    fill_row(page, "travel", 0, answers["travel"][0])
    page.click("#save")
    expect(page).to_have_url(url + "?saved=1")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("[role=alert]")).to_have_count(0)
    # What is shown now was read back from the store.
    expect(page.locator("#f-residences-1-address")).to_have_value(present["address"])
    expect(page.locator("#f-travel-0-start")).to_have_value(answers["travel"][0]["start"])
    expect(page.locator("#f-employment-0-employer")).to_have_value(
        answers["employment"][0]["employer"])
    expect(page.locator("#f-family-0-relation")).to_have_value("spouse")
    expect(page.locator("input[name=area-finances][value=no]")).to_be_checked()

    page.click("#submit")
    expect(page).to_have_url(server.url + "/my/assessments?done=submission")
    expect(page.locator("#done-submission")).to_be_visible()
    expect(page.locator(f"#case-{case_id} .state-submitted")).to_have_text(
        ja("Submitted, awaiting intake"))


def open_from_queue(page: Page, server, queue: str, case_id: str) -> None:
    page.goto(server.url + "/casework")
    link = page.locator(f"#{queue} a[href='/casework/{case_id}']")
    expect(link).to_have_count(1)
    link.click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")


def take_in(page: Page, server, case_id: str) -> None:
    sign_in_as(page, server, WINDOW, "/casework")
    open_from_queue(page, server, "intake", case_id)
    form = page.locator("#intake-form")
    form.locator("#f-investigator_id").select_option(server.world.users[INVESTIGATOR].user_id)
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    expect(page.locator("#case-state")).to_have_text(ja("Under investigation"))
    expect(page.locator("#intake-form")).to_have_count(0)


def investigate(page: Page, server, case_id: str) -> None:
    sign_in_as(page, server, INVESTIGATOR, "/casework")
    open_from_queue(page, server, "investigation-queue", case_id)
    form = page.locator("#finding-form")
    form.locator("#f-area").select_option(FINDING_AREA)
    form.locator("#f-severity").select_option("minor")
    form.locator("#f-found_on").fill((utcnow().date() - timedelta(days=30)).isoformat())
    form.locator("#f-source").fill(FINDING_SOURCE)
    form.locator("#f-summary").fill(FINDING_SUMMARY)
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    expect(page.locator("#findings tbody tr")).to_have_count(1)
    expect(page.locator("#findings")).to_contain_text(FINDING_SUMMARY)
    expect(page.locator("#findings")).to_contain_text(ja(AREA_LABELS[FINDING_AREA]))

    page.click("#complete-form button")
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    expect(page.locator("#case-state")).to_have_text(ja("Under adjudication"))
    expect(page.locator("#finding-form")).to_have_count(0)


def adjudicate(page: Page, server, case_id: str) -> None:
    sign_in_as(page, server, ADJUDICATOR, "/casework")
    open_from_queue(page, server, "adjudication-queue", case_id)
    form = page.locator("#adjudication-form")
    for area in AREAS:
        expect(form.locator(f"input[name={area}-favourable][value=yes]")).to_be_checked()
        form.locator(f"textarea[name={area}-reasons]").fill(f"{REASON} {area}")
    form.get_by_role("button").click()
    expect(page).to_have_url(f"{server.url}/casework/{case_id}")
    expect(page.locator("#case-state")).to_have_text(ja("Granted"))
    expect(page.locator("#decisions tr")).to_have_count(len(AREAS))


def assert_employer_sees_outcome_only(page: Page, server, case_id: str, until: str,
                                      answers: dict) -> None:
    sign_in_as(page, server, CSO, "/candidates")
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case", case_id)
    expect(rows.first.locator("td.status-granted")).to_have_text(ja("Granted"))
    expect(rows.first.locator("td").nth(3)).to_contain_text(until)
    secrets = [FINDING_SUMMARY, FINDING_SOURCE, REASON,
               *(ja(AREA_LABELS[a]) for a in AREAS),
               *(r["address"] for r in answers["residences"]),
               answers["employment"][0]["employer"], answers["travel"][0]["purpose"],
               answers["family"][0]["given_name"]]
    html = page.content()
    assert [s for s in secrets if s in html] == []

    page.goto(server.url + "/inbox")
    notices = page.locator("#notices li[data-kind]")
    expect(notices).to_have_count(1)
    expect(notices.first).to_have_attribute("data-kind", "employer_assessment_granted")
    expect(notices.first).to_contain_text(until)
    html = page.content()
    assert [s for s in secrets if s in html] == []


def assert_subject_told(page: Page, server, case_id: str, until: str) -> None:
    sign_in_as(page, server, SUBJECT, "/inbox")
    granted = page.locator("#notices li[data-kind=assessment_granted]")
    expect(granted).to_have_count(1)
    expect(granted).to_contain_text(until)
    expect(granted).to_contain_text(case_id)
    expect(page.locator("#notices")).not_to_contain_text(FINDING_SUMMARY)
    page.goto(server.url + "/my/assessments")
    expect(page.locator(f"#case-{case_id} .state-granted")).to_have_text(ja("Granted"))
    expect(page.locator(f"#case-{case_id}")).to_contain_text(until)


# --- the journey -------------------------------------------------------------------


def test_suitability_assessment_from_listing_to_grant(page: Page, live_server):
    answers = full_questionnaire(utcnow().date())

    case_id = list_candidate(page, live_server)
    assert re.fullmatch(r"[0-9a-f-]{36}", case_id)
    consent(page, live_server, case_id)
    answer_questionnaire(page, live_server, case_id, answers)
    take_in(page, live_server, case_id)
    investigate(page, live_server, case_id)
    adjudicate(page, live_server, case_id)

    today = utcnow().date()
    until = valid_until(today, Regime.CESI, get_policy().clearance["validity_years"])
    assert until == add_years(today, 10) - timedelta(days=1)  # CESI: ten years
    until = until.isoformat()
    assert_employer_sees_outcome_only(page, live_server, case_id, until, answers)
    assert_subject_told(page, live_server, case_id, until)

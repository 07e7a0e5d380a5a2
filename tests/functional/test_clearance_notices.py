"""Notices of the assessment, the purge of the employer's copies, and the window's work
queues, through the API and `hozen jobs run` on the real database.

- Who hears what: the subject of their own case (listed, granted with its end date,
  denied); the employer's officers of the outcome only (granted with its end date, denied,
  or "will not proceed", a refusal and a withdrawal worded alike); the investigator of an
  assignment; nobody else. Sentinels planted in answers, findings and reasons never reach
  a notice.
- Retention: the employer's copies are erased to a tombstone past retention (favourable
  5 years, other papers 1 year) and never sent again; the subject's own notices stay; the
  employer's candidate list drops closed cases past retention.
- Work queues and workload: each window role sees its own work; reuse of an
  investigation counts as one avoided.
E-mail wording is tested in test_clearance_jobs.py."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from hozen.accounts.permissions import Role
from hozen.clearances.models import Clearance, ClearanceCase, Investigation
from hozen.clearances.rules import AREAS, add_years
from hozen.cli.main import app as cli
from hozen.db import utcnow
from hozen.notifications.models import Notification
from hozen.policy import get_policy
from tests.authenticator import with_code
from tests.clearance_helpers import favourable_decisions, full_questionnaire, run_to_adjudication
from tests.factories import (
    assert_unchanged,
    cheap_argon2,
    detached_world,
    make_org,
    make_person,
    make_user,
    snapshot,
)
from tests.smtp import smtp_inbox

runner = CliRunner()
CASES = "/api/v1/clearance-cases"
EMPLOYER_KINDS = {"employer_assessment_granted", "employer_assessment_denied",
                  "employer_assessment_not_proceeding"}


@pytest.fixture
def world(session):
    return detached_world(session)


def today() -> date:
    return utcnow().date()


def run(day: date) -> str:
    result = runner.invoke(cli, ["jobs", "run", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def purged(output: str) -> int:
    return int(re.search(r"employer copies purged (\d+)", output)[1])


def inbox(client, login, lang: str = "ja") -> list[dict]:
    r = client.get("/api/v1/me/notifications", params={"lang": lang}, headers=login.headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def kinds(client, login) -> list[str]:
    return sorted(n["kind"] for n in inbox(client, login))


def rows(session, user_id: str | None = None) -> list[Notification]:
    """Notification rows (detached, read in a transaction ended at once)."""
    q = select(Notification).order_by(Notification.created_at, Notification.id)
    if user_id is not None:
        q = q.where(Notification.user_id == user_id)
    out = list(session.scalars(q))
    session.expunge_all()  # loaded values kept: the rollback must not expire them
    session.rollback()
    return out


def adjudicate(client, world, case_id: str, decisions: dict | None = None) -> dict:
    r = client.post(f"{CASES}/{case_id}/adjudication",
                    headers=with_code(world.users[Role.ADJUDICATOR]),
                    json=decisions or favourable_decisions())
    assert r.status_code == 200, r.text
    return r.json()


def valid_until(client, world, case_id: str) -> str:
    mine = {c["id"]: c for c in client.get("/api/v1/me/clearance-cases",
                                           headers=world.users[Role.SUBJECT].headers)
            .json()["items"]}
    return mine[case_id]["valid_until"]


def list_case(client, lister, person_id: str, sponsor_id: str, regime: str = "CESI") -> str:
    r = client.post(CASES, headers=lister.headers,
                    json={"person_id": person_id, "regime": regime, "sponsor_id": sponsor_id})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def submit(client, subject, case_id: str, questionnaire: dict | None = None) -> None:
    base = f"{CASES}/{case_id}"
    assert client.post(base + "/consent", headers=subject.headers,
                       json={"family_consent": True}).status_code == 200
    r = client.patch(base + "/questionnaire", headers=subject.headers,
                     json=questionnaire or full_questionnaire())
    assert r.status_code == 200, r.text
    r = client.post(base + "/submission", headers=subject.headers)
    assert r.status_code == 200, r.text


def set_case_times(engine, case_id: str, **values: datetime) -> None:
    """Move a case's dates back, committed before any request (simulated time)."""
    with engine.begin() as conn:
        conn.execute(update(ClearanceCase).where(ClearanceCase.id == case_id).values(**values))


def employer_list(client, world) -> dict[str, dict]:
    headers = world.users[Role.COMPANY_SECURITY_OFFICER].headers
    return {v["id"]: v for v in every_page(client, CASES, headers)}


def every_page(client, path: str, headers) -> list[dict]:
    """Every row of a paged list, following its cursors."""
    rows, cursor = [], None
    while True:
        r = client.get(path, headers=headers, params={"cursor": cursor} if cursor else {})
        assert r.status_code == 200, r.text
        rows += r.json()["items"]
        if (cursor := r.json()["next_cursor"]) is None:
            return rows


# --- who hears what -------------------------------------------------------------------


def test_a_grant_notifies_the_subject_the_officer_and_the_investigator(client, world):
    u = world.users
    case_id = run_to_adjudication(client, world)
    adjudicate(client, world, case_id)
    until = valid_until(client, world, case_id)
    assert until

    assert kinds(client, u[Role.SUBJECT]) == ["assessment_granted", "assessment_listed"]
    granted = next(n for n in inbox(client, u[Role.SUBJECT]) if n["kind"] == "assessment_granted")
    assert until in granted["body"] and case_id in granted["body"]
    en = next(n for n in inbox(client, u[Role.SUBJECT], "en")
              if n["kind"] == "assessment_granted")
    assert f"valid until {until}" in en["body"]

    [officer] = inbox(client, u[Role.COMPANY_SECURITY_OFFICER])
    assert officer["kind"] == "employer_assessment_granted"
    assert until in officer["body"] and case_id in officer["body"]
    [assigned] = inbox(client, u[Role.INVESTIGATOR])
    assert assigned["kind"] == "assessment_assigned" and case_id in assigned["body"]
    for role in Role:  # the sponsor, the window, everyone else: nothing
        if role not in (Role.SUBJECT, Role.COMPANY_SECURITY_OFFICER, Role.INVESTIGATOR):
            assert inbox(client, u[role]) == [], role


def test_a_denial_tells_the_officer_nothing_but_the_outcome(client, world, session):
    u = world.users
    case_id = run_to_adjudication(client, world)
    decisions = favourable_decisions()
    decisions["decisions"][0] |= {"favourable": False, "reasons": "返済能力に懸念"}
    assert adjudicate(client, world, case_id, decisions)["state"] == "denied"

    assert kinds(client, u[Role.SUBJECT]) == ["assessment_denied", "assessment_listed"]
    [officer] = inbox(client, u[Role.COMPANY_SECURITY_OFFICER], "en")
    assert officer["kind"] == "employer_assessment_denied"
    assert case_id in officer["body"] and "did not end favourably" in officer["body"]
    for word in ("reason", "complaint", "valid until"):
        assert word not in officer["body"].lower()
    [row] = rows(session, u[Role.COMPANY_SECURITY_OFFICER].user_id)
    assert json.loads(row.params) == {"regime": "CESI", "case_id": case_id}


def _notice_shape(n: dict, case_id: str) -> tuple[str, str, str]:
    assert case_id in n["body"]
    return n["kind"], n["subject"], n["body"].replace(case_id, "<case>")


def test_refusal_and_withdrawal_send_the_employer_the_same_notice(client, world, session):
    u = world.users
    with cheap_argon2():
        other = make_person(session, employer_id=world.company.id, family_name_kanji="木村",
                            family_name_latin="Kimura", family_name_kana="キムラ")
        other_subject = make_user(session, Role.SUBJECT, world.company.id, other.id)
    session.commit()
    session.expunge_all()
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    refused = list_case(client, cso, world.staff.id, world.gov.id, "SDS")
    withdrawn = list_case(client, cso, other.id, world.gov.id, "SDS")
    assert client.post(f"{CASES}/{refused}/refusal",
                       headers=u[Role.SUBJECT].headers).status_code == 200
    base = f"{CASES}/{withdrawn}"
    assert client.post(base + "/consent", headers=other_subject.headers,
                       json={"family_consent": False}).status_code == 200
    assert client.patch(base + "/questionnaire", headers=other_subject.headers,
                        json={"travel": full_questionnaire()["travel"]}).status_code == 200
    assert client.post(base + "/withdrawal", headers=other_subject.headers).status_code == 200

    for lang in ("ja", "en"):
        notices = {n["body"]: n for n in inbox(client, cso, lang)}
        assert len(notices) == 2
        by_case = {c: next(n for n in notices.values() if c in n["body"])
                   for c in (refused, withdrawn)}
        assert _notice_shape(by_case[refused], refused) == _notice_shape(
            by_case[withdrawn], withdrawn)
        assert by_case[refused]["kind"] == "employer_assessment_not_proceeding"
    stored = {json.loads(r.params)["case_id"]: r for r in rows(session, cso.user_id)}
    shapes = {(r.kind, r.params.replace(case, "<case>")) for case, r in stored.items()}
    assert len(shapes) == 1  # the very same bytes but for the case id
    # the subjects hear nothing of their own refusal or withdrawal beyond the listing
    assert kinds(client, u[Role.SUBJECT]) == ["assessment_listed"]
    assert kinds(client, other_subject) == ["assessment_listed"]


def _planted(tag: str) -> str:
    return f"SENTINEL-NOTICE-{tag}-9d2e"


def test_no_notice_carries_an_answer_a_finding_or_a_reason(client, world, session):
    """Sentinels in free-text answers, a finding and the reasons of a grant (CESI) and of
    a denial (SDS: a higher regime, so a fresh investigation); no notice of anybody,
    stored or rendered in either language, holds one."""
    u = world.users
    q = full_questionnaire()
    for i, r in enumerate(q["residences"]):
        r["address"] = _planted(f"ADDRESS{i}")
    q["employment"][0]["employer"] = _planted("EMPLOYER")
    q["travel"][0]["purpose"] = _planted("TRAVEL")
    q["family"][0]["family_name"] = _planted("FAMILY")
    q["areas"] = {a: {"yes": True, "details": _planted(f"AREA-{a}")} for a in AREAS}
    finding = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
               "source": _planted("SOURCE"), "summary": _planted("SUMMARY")}

    def decide(regime: str, favourable: bool) -> str:
        cso = u[Role.COMPANY_SECURITY_OFFICER]
        case_id = list_case(client, cso, world.staff.id, world.gov.id, regime)
        submit(client, u[Role.SUBJECT], case_id, q)
        base = f"{CASES}/{case_id}"
        assert client.post(base + "/intake", headers=u[Role.WINDOW_OFFICER].headers, json={
            "investigator_id": u[Role.INVESTIGATOR].user_id}).json()["state"] == "investigation"
        assert client.post(base + "/findings", headers=u[Role.INVESTIGATOR].headers,
                           json=finding).status_code == 201
        assert client.post(base + "/investigation-completion",
                           headers=u[Role.INVESTIGATOR].headers).status_code == 200
        adjudicate(client, world, case_id, {"decisions": [
            {"area": a, "favourable": favourable or a != "finances",
             "reasons": _planted(f"REASON-{regime}-{a}")} for a in AREAS]})
        return case_id

    decide("CESI", True)
    denied = decide("SDS", False)
    # the sentinels really are in the file (positive control of the search)
    file = client.get(f"{CASES}/{denied}", headers=u[Role.ADJUDICATOR].headers)
    assert _planted("SUMMARY") in file.text and _planted("REASON-SDS-finances") in file.text

    all_rows = rows(session)
    assert {r.kind for r in all_rows} >= {"assessment_granted", "assessment_denied",
                                          "employer_assessment_granted",
                                          "employer_assessment_denied", "assessment_assigned"}
    for r in all_rows:
        assert "SENTINEL" not in r.params and "山田" not in r.params, r.kind
        assert set(json.loads(r.params)) <= {"regime", "case_id", "valid_until"}
    for role in Role:
        for lang in ("ja", "en"):
            text = json.dumps(inbox(client, u[role], lang), ensure_ascii=False)
            assert "SENTINEL" not in text and "9d2e" not in text, role
    officer = {n["kind"] for n in inbox(client, u[Role.COMPANY_SECURITY_OFFICER])}
    assert officer == {"employer_assessment_granted", "employer_assessment_denied"}


# --- retention of the employer's copies -------------------------------------------------


def _notice(session, user_id: str, kind: str) -> Notification:
    [row] = [r for r in rows(session, user_id) if r.kind == kind]
    return row


def test_a_not_proceeding_notice_is_purged_after_one_year(client, world, session, engine):
    u = world.users
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    case_id = list_case(client, cso, world.staff.id, world.gov.id)
    assert client.post(f"{CASES}/{case_id}/refusal",
                       headers=u[Role.SUBJECT].headers).status_code == 200
    t = today()
    kept = _notice(session, u[Role.SUBJECT].user_id, "assessment_listed")
    assert purged(run(add_years(t, 1) - timedelta(days=1))) == 0
    assert purged(run(add_years(t, 1))) == 0  # not before the anniversary is past
    assert [n["kind"] for n in inbox(client, cso)] == ["employer_assessment_not_proceeding"]

    day = add_years(t, 1) + timedelta(days=1)
    assert purged(run(day)) == 1
    assert inbox(client, cso) == []
    tomb = _notice(session, cso.user_id, "employer_assessment_not_proceeding")
    assert tomb.params == "{}" and tomb.purged_at is not None
    # the subject's own notice is never purged
    assert _notice(session, u[Role.SUBJECT].user_id, "assessment_listed").params == kept.params
    assert kinds(client, u[Role.SUBJECT]) == ["assessment_listed"]
    for later in (day, add_years(t, 30)):  # again, and much later: nothing changes
        before = snapshot(engine)
        assert purged(run(later)) == 0
        assert_unchanged(before, snapshot(engine))


def test_a_favourable_notice_is_kept_five_years(client, world, session, engine):
    u = world.users
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    case_id = run_to_adjudication(client, world)  # CESI: valid 10 years, no expiry notices
    adjudicate(client, world, case_id)
    t = today()
    for day in (add_years(t, 1) + timedelta(days=1), add_years(t, 5)):
        assert purged(run(day)) == 0
        assert [n["kind"] for n in inbox(client, cso)] == ["employer_assessment_granted"]
    before = rows(session)
    assert purged(run(add_years(t, 5) + timedelta(days=1))) == 1
    assert inbox(client, cso) == []
    tomb = _notice(session, cso.user_id, "employer_assessment_granted")
    assert tomb.params == "{}" and tomb.purged_at is not None
    assert kinds(client, u[Role.SUBJECT]) == ["assessment_granted", "assessment_listed"]
    assert kinds(client, u[Role.INVESTIGATOR]) == ["assessment_assigned"]
    after = rows(session)
    assert [r.id for r in after] == [r.id for r in before]  # nothing new: no re-sending
    state = snapshot(engine)
    assert purged(run(add_years(t, 5) + timedelta(days=1))) == 0
    assert_unchanged(state, snapshot(engine))


def test_a_purged_reminder_is_never_sent_again(client, world, session, monkeypatch):
    """Other papers kept 0 years (policy): the officer's copy of an expiry reminder is
    purged the next day; the reminder runs again every day, and the tombstone keeps it
    from being created or e-mailed again, while the subject's copy is e-mailed."""
    from hozen.accounts.models import User
    from hozen.accounts.services import seal_profile

    u = world.users
    monkeypatch.setitem(get_policy().retention, "company_other_papers_years", 0)
    case_id = run_to_adjudication(client, world, regime="SDS")
    adjudicate(client, world, case_id)
    until = date.fromisoformat(valid_until(client, world, case_id))
    day = until - timedelta(days=85)  # inside the 90-day threshold
    out = run(day)
    assert "reminders 2" in out and purged(out) == 0
    out = run(day + timedelta(days=1))
    assert "reminders 0" in out and purged(out) == 1
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    tomb = _notice(session, cso.user_id, "employer_clearance_expiring")
    assert tomb.params == "{}" and tomb.purged_at is not None
    count = len(rows(session))

    for name, role in (("subject", Role.SUBJECT), ("officer", Role.COMPANY_SECURITY_OFFICER)):
        user = session.get(User, u[role].user_id)
        user.profile = seal_profile(user.id, name, f"{name}@example.test")
        user.language = "en"
    session.commit()
    with smtp_inbox(monkeypatch) as handler:
        out = run(day + timedelta(days=2))
        assert "reminders 0" in out and purged(out) == 0
        # subject: listed, granted, reminder; officer: granted only (its reminder is gone)
        assert "e-mails 4" in out
        assert "e-mails 0" in run(day + timedelta(days=3))
    assert len(rows(session)) == count
    to_officer = [m.get_payload(decode=True).decode() for m in handler.messages
                  if m["To"] == "officer@example.test"]
    assert len(to_officer) == 1 and "valid until" in to_officer[0]
    assert not any("expires on" in b for b in to_officer)
    to_subject = [m.get_payload(decode=True).decode() for m in handler.messages
                  if m["To"] == "subject@example.test"]
    assert sum("expires on" in b for b in to_subject) == 1


def test_the_employer_list_drops_a_not_proceeding_case_after_one_year(client, world, engine):
    u = world.users
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    case_id = list_case(client, cso, world.staff.id, world.gov.id)
    assert client.post(f"{CASES}/{case_id}/refusal",
                       headers=u[Role.SUBJECT].headers).status_code == 200
    now = utcnow()
    set_case_times(engine, case_id, updated_at=now - timedelta(days=364))
    assert employer_list(client, world)[case_id]["status"] == "not_proceeding"
    set_case_times(engine, case_id, updated_at=now - timedelta(days=367))
    assert case_id not in employer_list(client, world)


def test_the_window_still_lists_a_case_past_the_employer_retention(client, world, engine):
    """Retention erases the employer's copy; the window's own record is not the
    employer's and stays on its list."""
    u = world.users
    case_id = list_case(client, u[Role.COMPANY_SECURITY_OFFICER], world.staff.id, world.gov.id)
    assert client.post(f"{CASES}/{case_id}/refusal",
                       headers=u[Role.SUBJECT].headers).status_code == 200
    set_case_times(engine, case_id, updated_at=utcnow() - timedelta(days=367))
    listed = every_page(client, CASES, u[Role.WINDOW_OFFICER].headers)
    assert case_id in {v["id"] for v in listed}, "the window lost the case from its list"


def test_the_employer_list_keeps_a_granted_case_five_years(client, world, engine):
    case_id = run_to_adjudication(client, world)
    adjudicate(client, world, case_id)
    now = utcnow()
    set_case_times(engine, case_id, decided_at=now - timedelta(days=5 * 365),
                   updated_at=now - timedelta(days=5 * 365))
    view = employer_list(client, world)[case_id]
    assert view["status"] == "granted" and view["valid_until"]
    set_case_times(engine, case_id, decided_at=now - timedelta(days=5 * 366 + 1))
    assert case_id not in employer_list(client, world)


def test_a_withdrawal_after_a_reopened_grant_is_kept_a_year_from_the_withdrawal(
        client, world, engine):
    """Granted two years ago, reopened by an adverse event, then withdrawn today: the
    employer keeps the 'will not proceed' outcome for a year from today, not from the
    old grant."""
    u = world.users
    case_id = run_to_adjudication(client, world)
    adjudicate(client, world, case_id)
    two_years_ago = utcnow() - timedelta(days=2 * 366)
    set_case_times(engine, case_id, decided_at=two_years_ago, updated_at=two_years_ago)
    r = client.post("/api/v1/reportable-events", headers=u[Role.COMPANY_SECURITY_OFFICER].headers,
                    json={"person_id": world.staff.id, "kind": "arrest",
                          "occurred_on": today().isoformat(), "details": "逮捕の報告"})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/reportable-events/{r.json()['id']}/assessment",
                    headers=u[Role.WINDOW_OFFICER].headers, json={"adverse": True})
    assert r.status_code == 200, r.text
    assert employer_list(client, world)[case_id]["status"] == "in_progress"
    r = client.post(f"{CASES}/{case_id}/withdrawal", headers=u[Role.SUBJECT].headers)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    listed = employer_list(client, world)
    assert case_id in listed, "the outcome vanished the day it was reached"
    assert listed[case_id]["status"] == "not_proceeding"


# --- work queues and workload -------------------------------------------------------------


def _queue(client, login) -> dict:
    r = client.get("/api/v1/clearance-queue", headers=login.headers)
    assert r.status_code == 200, r.text
    return {k: [i["id"] for i in v] for k, v in r.json().items() if k != "next_cursors"}


def _workload(client, world) -> dict:
    r = client.get("/api/v1/clearance-workload", headers=world.users[Role.WINDOW_OFFICER].headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_each_window_role_sees_its_own_queue(client, world, session, engine):
    u = world.users
    with cheap_argon2():
        second = make_user(session, Role.INVESTIGATOR, world.gov.id)
        # investigates and adjudicates (a small office): never adjudicates their own work
        both = make_user(session, Role.INVESTIGATOR, world.gov.id)
    session.commit()
    from hozen.accounts.models import User, UserRole

    user = session.get(User, both.user_id)
    user.role_rows.append(UserRole(role=Role.ADJUDICATOR.value))
    session.commit()
    session.expunge_all()
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    subject = u[Role.SUBJECT]
    window = u[Role.WINDOW_OFFICER]

    cesi = list_case(client, cso, world.staff.id, world.gov.id, "CESI")
    sds = list_case(client, cso, world.staff.id, world.gov.id, "SDS")
    assert _queue(client, window)["intake"] == []
    submit(client, subject, cesi)
    submit(client, subject, sds)
    assert _queue(client, window) == {"intake": [cesi, sds], "investigation": [],
                                      "adjudication": []}
    for case_id, investigator in ((cesi, u[Role.INVESTIGATOR]), (sds, both)):
        r = client.post(f"{CASES}/{case_id}/intake", headers=window.headers,
                        json={"investigator_id": investigator.user_id})
        assert r.json()["state"] == "investigation", r.text
    assert _queue(client, window)["intake"] == []
    assert _queue(client, u[Role.INVESTIGATOR])["investigation"] == [cesi]
    assert _queue(client, both)["investigation"] == [sds]
    assert _queue(client, second)["investigation"] == []
    load = {i["id"]: i["open_investigations"] for i in _workload(client, world)["investigators"]}
    assert load == {u[Role.INVESTIGATOR].user_id: 1, both.user_id: 1, second.user_id: 0}

    # `both` records a finding in the SDS case, which is then handed to `second`
    finding = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
               "source": "信用情報機関", "summary": "返済遅延1件"}
    assert client.post(f"{CASES}/{sds}/findings", headers=both.headers,
                       json=finding).status_code == 201
    with engine.begin() as conn:
        conn.execute(update(Investigation).where(Investigation.id == select(
            ClearanceCase.investigation_id).where(ClearanceCase.id == sds).scalar_subquery())
            .values(investigator_id=second.user_id))
    assert _queue(client, both)["investigation"] == []
    assert _queue(client, second)["investigation"] == [sds]
    for case_id, investigator in ((cesi, u[Role.INVESTIGATOR]), (sds, second)):
        assert client.post(f"{CASES}/{case_id}/investigation-completion",
                           headers=investigator.headers).status_code == 200
    assert _queue(client, u[Role.ADJUDICATOR])["adjudication"] == [cesi, sds]
    assert _queue(client, both) == {"intake": [], "investigation": [], "adjudication": [cesi]}
    # the queue agrees with the rule: `both` may not decide the SDS case
    r = client.post(f"{CASES}/{sds}/adjudication", headers=with_code(both),
                    json=favourable_decisions())
    assert r.status_code == 409 and r.json()["field"] == "adjudicator"
    # an investigator-only user has no adjudication queue, whatever is waiting
    assert _queue(client, u[Role.INVESTIGATOR])["adjudication"] == []
    for role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT, Role.AGENCY_OFFICIAL):
        assert client.get("/api/v1/clearance-queue",
                          headers=u[role].headers).status_code == 403


def test_workload_counts_states_and_investigations_avoided(client, world, session):
    u = world.users
    cso = u[Role.COMPANY_SECURITY_OFFICER]
    empty = _workload(client, world)
    assert empty["cases_by_state"] == {s: 0 for s in (
        "listed", "refused", "draft", "submitted", "investigation", "adjudication", "granted",
        "denied", "withdrawn")}
    assert empty["investigations_avoided"] == 0
    assert [i["id"] for i in empty["investigators"]] == [u[Role.INVESTIGATOR].user_id]

    first = run_to_adjudication(client, world, regime="SDS")
    adjudicate(client, world, first)
    with cheap_argon2():
        other_sponsor = make_org(session, kind="government_body", name_ja="防衛省テスト",
                                 name_en="MOD test")
        other = make_person(session, employer_id=world.company.id, family_name_kanji="木村")
    session.commit()
    session.expunge_all()
    listed = list_case(client, cso, other.id, world.gov.id)
    second = list_case(client, cso, world.staff.id, other_sponsor.id, "CESI")
    submit(client, u[Role.SUBJECT], second)
    load = _workload(client, world)
    assert load["investigations_avoided"] == 0
    assert {k: v for k, v in load["cases_by_state"].items() if v} == {
        "granted": 1, "listed": 1, "submitted": 1}

    r = client.post(f"{CASES}/{second}/intake", headers=u[Role.WINDOW_OFFICER].headers, json={})
    assert r.status_code == 200 and r.json()["reused_investigation"] is True, r.text
    load = _workload(client, world)
    assert load["investigations_avoided"] == 1
    assert {k: v for k, v in load["cases_by_state"].items() if v} == {
        "granted": 1, "listed": 1, "adjudication": 1}
    assert _queue(client, u[Role.ADJUDICATOR])["adjudication"] == [second]
    assert [i["open_investigations"] for i in load["investigators"]] == [0]
    adjudicate(client, world, second)
    assert client.post(f"{CASES}/{listed}/withdrawal",
                       headers=u[Role.SUBJECT].headers).status_code == 404  # not theirs
    load = _workload(client, world)
    assert load["investigations_avoided"] == 1  # still counted once decided
    assert {k: v for k, v in load["cases_by_state"].items() if v} == {"granted": 2, "listed": 1}
    for role in (Role.INVESTIGATOR, Role.ADJUDICATOR, Role.COMPANY_SECURITY_OFFICER):
        assert client.get("/api/v1/clearance-workload",
                          headers=u[role].headers).status_code == 403
    granted = session.scalars(select(Clearance.sponsor_id)).all()
    session.rollback()
    assert sorted(granted) == sorted([world.gov.id, other_sponsor.id])

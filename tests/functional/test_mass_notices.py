"""Mass notices (issue 9, item 7) through the API and the pages, on the real database.

- The audience: organisations chosen by kind, by a facility clearance in force at or
  above a level (an expired or lower one does not count), by programme; every criterion
  must hold; only their security officers receive it (not other roles, not inactive
  users); a dry run counts and writes nothing.
- Delivery: the notice is in each recipient's inbox like any other notification, as
  written; marking the inbox read shows on the sender's receipts, with when.
- Who sees what: the window every notice, an agency official its own agency's (another
  agency's is "not found"); every send is audited.
- Bad input: 422 naming the field, nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hozen.access.models import Programme
from hozen.accounts.models import User
from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import new_id, utcnow
from hozen.facilities.models import Facility
from hozen.notifications.notice_models import MassNotice
from tests.factories import (
    assert_unchanged,
    certify_facility,
    cheap_argon2,
    detached_world,
    make_org,
    make_person,
    make_user,
    snapshot,
)
from tests.pages import element, text

NOTICES = "/api/v1/notices"
CSO, AGO, WO = Role.COMPANY_SECURITY_OFFICER, Role.AGENCY_OFFICIAL, Role.WINDOW_OFFICER


@pytest.fixture
def setup(session):
    """The world, plus: a university with an officer, a company certified SDS with an
    officer, a company whose CESI certification expired, a research institute with no
    officer, and a programme the world's company takes part in."""
    w = detached_world(session)
    gov_user = w.users[AGO].user_id
    with cheap_argon2():
        uni = make_org(session, kind="university")
        uni_cso = make_user(session, CSO, uni.id)
        sds_co = make_org(session)
        sds_cso = make_user(session, CSO, sds_co.id)
        lapsed = make_org(session)
        lapsed_cso = make_user(session, CSO, lapsed.id)
        institute = make_org(session, kind="research_institute")
        staff = make_person(session, employer_id=sds_co.id)
        make_user(session, Role.SUBJECT, sds_co.id, staff.id)  # not an officer: never a recipient
        quiet = make_user(session, CSO, sds_co.id)  # inactive: never a recipient
    certify_facility(session, w.company.id, w.gov.id, gov_user, "CESI")
    certify_facility(session, sds_co.id, w.gov.id, gov_user, "SDS")
    old = certify_facility(session, lapsed.id, w.gov.id, gov_user, "SDS")
    old.valid_until = utcnow().date() - timedelta(days=1)
    session.execute(update(User).where(User.id == quiet.user_id).values(active=False))
    programme = Programme(id=new_id(), code="GCAPN", name_ja="次期戦闘機", name_en="GCAP",
                          agency_id=w.gov.id, organisations=f"{w.gov.id},{w.company.id}",
                          created_by=gov_user)
    session.add(programme)
    session.commit()
    return {"w": w, "uni": uni.id, "uni_cso": uni_cso, "sds_co": sds_co.id,
            "sds_cso": sds_cso, "lapsed_cso": lapsed_cso, "institute": institute.id,
            "programme": programme.id, "cso": w.users[CSO]}


def body(**audience) -> dict:
    return {"title": "年末年始の保全体制について",
            "body": "12月28日から1月3日まで窓口を閉じます。\n"
                    "Urgent reports: call the duty officer.",
            **audience}


def recipients(client, headers, **audience) -> set[str]:
    r = client.post(NOTICES, json=body(**audience), headers=headers)
    assert r.status_code == 201, r.text
    return {x["user_id"] for x in r.json()["receipts"]}


def test_the_audience_is_every_criterion_and_only_security_officers(client, setup):
    s, h = setup, setup["w"].users[WO].headers
    company_officers = {s["cso"].user_id, s["sds_cso"].user_id, s["lapsed_cso"].user_id}
    assert recipients(client, h, kinds=["company"]) == company_officers
    assert recipients(client, h, kinds=["company", "university"]) == (
        company_officers | {s["uni_cso"].user_id})
    # a certification in force at or above the level: the lapsed one does not count
    assert recipients(client, h, min_level="CESI") == {s["cso"].user_id, s["sds_cso"].user_id}
    assert recipients(client, h, min_level="SDS") == {s["sds_cso"].user_id}
    assert recipients(client, h, programmes=[s["programme"]]) == {s["cso"].user_id}
    assert recipients(client, h, kinds=["company"], min_level="SDS") == {s["sds_cso"].user_id}
    # a university at SDS: nobody, so nothing is sent
    r = client.post(NOTICES, json=body(kinds=["university"], min_level="SDS"), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kinds", r.text


def test_dry_run_counts_and_writes_nothing(client, setup, engine):
    h = setup["w"].users[WO].headers
    before = snapshot(engine)
    r = client.post(NOTICES + "?dry_run=true", headers=h,
                    json=body(kinds=["company", "research_institute"]))
    assert r.status_code == 200, r.text
    # 4 companies (the world's two, the SDS one, the lapsed one) and the institute; the
    # other world company and the institute have no security officer
    assert r.json() == {"organisations": 5, "recipients": 3, "without_officer": 2}
    assert_unchanged(before, snapshot(engine))


def test_recipients_read_it_in_their_inbox_and_the_sender_sees_receipts(client, web, setup,
                                                                         engine):
    s, w = setup, setup["w"]
    r = client.post(NOTICES, json=body(kinds=["company"], min_level="CESI"),
                    headers=w.users[AGO].headers)
    assert r.status_code == 201, r.text
    notice = r.json()
    assert (notice["recipients"], notice["read"]) == (2, 0)
    assert notice["audience"] == {"kinds": ["company"], "min_level": "CESI", "programmes": []}
    # the officer's inbox, like any other notification, the words as written
    inbox = client.get("/api/v1/me/notifications?lang=en", headers=s["cso"].headers).json()[
        "items"]
    [entry] = [n for n in inbox if n["kind"] == "mass_notice"]
    assert entry["subject"] == "Notice from the government" and not entry["read"]
    assert "年末年始の保全体制について" in entry["body"]
    assert "Urgent reports: call the duty officer." in entry["body"]
    assert client.get("/api/v1/me/notifications", headers=s["uni_cso"].headers).json()[
        "items"] == []
    # the officer reads it (marks the inbox read) on the page
    officer = web(s["cso"])
    assert "年末年始の保全体制について" in officer.get("/inbox").text
    assert officer.post("/inbox/read").status_code == 303
    got = client.get(f"{NOTICES}/{notice['id']}", headers=w.users[AGO].headers).json()
    assert (got["recipients"], got["read"]) == (2, 1)
    by_user = {x["user_id"]: x for x in got["receipts"]}
    assert by_user[s["cso"].user_id]["read"] and by_user[s["cso"].user_id]["read_at"]
    assert by_user[s["cso"].user_id]["organisation_id"] == w.company.id
    assert not by_user[s["sds_cso"].user_id]["read"]
    assert by_user[s["sds_cso"].user_id]["read_at"] is None
    # the sender's page shows the same
    page = web(w.users[AGO]).get(f"/notices/{notice['id']}")
    assert page.status_code == 200
    assert "1 of 2 recipient(s) have read it." in text(element(page.text, 'id="read-count"'))
    # audited: the audience and the counts
    with engine.connect() as c:
        event = c.execute(select(AuditEvent).where(
            AuditEvent.tag == "notifications:mass-notice:send")).one()
    assert (event.actor, event.subject_id) == (f"user:{w.users[AGO].user_id}", notice["id"])
    assert json.loads(event.details) == {"audience": notice["audience"], "organisations": 2,
                                         "recipients": 2}


def test_an_agency_sees_its_own_notices_and_the_window_all(client, setup, session):
    w = setup["w"]
    with cheap_argon2():
        other_agency = make_org(session, kind="government_body")
        stranger = make_user(session, AGO, other_agency.id)
    session.commit()
    mine = client.post(NOTICES, json=body(kinds=["company"]), headers=w.users[AGO].headers)
    theirs = client.post(NOTICES, json=body(kinds=["university"]), headers=stranger.headers)
    assert mine.status_code == theirs.status_code == 201
    mine, theirs = mine.json()["id"], theirs.json()["id"]
    listed = {n["id"] for n in client.get(NOTICES, headers=w.users[AGO].headers).json()["items"]}
    assert listed == {mine}
    assert {n["id"] for n in client.get(NOTICES, headers=w.users[WO].headers).json()["items"]} == {
        mine, theirs}
    hidden = client.get(f"{NOTICES}/{theirs}", headers=w.users[AGO].headers)
    missing = client.get(f"{NOTICES}/{new_id()}", headers=w.users[AGO].headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["type"] == missing.json()["type"]
    assert client.get(f"{NOTICES}/{theirs}", headers=w.users[WO].headers).status_code == 200


@pytest.mark.parametrize("payload, field", [
    ({"title": "t", "body": "b"}, "kinds"),  # no criterion: never everyone by omission
    ({"title": " ", "body": "b", "kinds": ["company"]}, "title"),
    ({"title": "t", "body": "", "kinds": ["company"]}, "body"),
    ({"title": "t", "body": "b", "kinds": ["pub"]}, "kinds"),
    ({"title": "t", "body": "b", "min_level": "CUI"}, "min_level"),
    ({"title": "t", "body": "b", "programmes": ["no-such-programme"]}, "programmes"),
    ({"title": "x" * 201, "body": "b", "kinds": ["company"]}, "title"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(client, setup, engine, payload,
                                                              field):
    before = snapshot(engine)
    r = client.post(NOTICES, json=payload, headers=setup["w"].users[WO].headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"].split(".")[0] in (field, "body"), r.json()
    assert field in json.dumps(r.json())
    assert_unchanged(before, snapshot(engine))


def test_compose_preview_and_send_on_the_page(web, setup, engine):
    s, w = setup, setup["w"]
    window = web(w.users[WO])
    page = window.get("/notices")
    assert page.status_code == 200 and 'id="compose"' in page.text
    form = {"title": "点検のお知らせ", "body": "来月、立入検査を行います。", "kinds": "company",
            "min_level": "SDS", "action": "preview"}
    r = window.post("/notices", form)
    assert r.status_code == 200, r.text[:500]
    preview = element(r.text, 'id="preview"')
    assert 'data-recipients="1"' in preview and 'data-organisations="1"' in preview
    with engine.connect() as c:  # a preview sends nothing
        assert c.scalar(select(MassNotice.id)) is None
    r = window.post("/notices", form | {"action": "send"})
    assert r.status_code == 303, r.text[:500]
    notice_id = r.headers["location"].rsplit("/", 1)[1]
    assert s["sds_cso"].user_id in window.get(r.headers["location"]).text
    assert notice_id in window.get("/notices").text
    # refused: no criterion, the page again naming it
    r = window.post("/notices", {"title": "t", "body": "b", "action": "send"})
    assert r.status_code == 422 and 'id="e-kinds"' in r.text


@pytest.mark.parametrize("role", [r for r in Role if r not in (WO, AGO)])
def test_other_roles_may_not_send_or_read(client, setup, role):
    h = setup["w"].users[role].headers
    assert client.post(NOTICES, json=body(kinds=["company"]), headers=h).status_code == 403
    assert client.get(NOTICES, headers=h).status_code == 403


def test_a_certification_must_be_in_force_today(session, setup):
    """The expired certification (state still "certified") is read as expired."""
    lapsed = session.scalar(select(Facility).where(Facility.valid_until < utcnow().date()))
    assert lapsed.state == "certified"

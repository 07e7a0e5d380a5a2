# ruff: noqa: F811 (the hub fixture is imported from test_communities)
"""Seminars and events open only to clearance holders (DESIGN R10): eligibility at
registration and again at check-in, the organiser's attendance list, marked materials,
the page of upcoming events with why-not for the ineligible; a suspended clearance or a
departure ends access on the next request. Bad input is a 4xx naming the field."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.notifications.models import Notification
from hozen.sharing.models import EventRegistration
from tests.factories import Login, assert_unchanged, snapshot
from tests.functional.test_communities import (  # noqa: F401
    ADJ,
    AGO,
    CSO,
    Hub,
    call,
    hub,
    refused,
    today,
)
from tests.pages import element, text


def seminar(client, hub: Hub, login: Login | None = None, **changes) -> dict:
    start = (today() + timedelta(days=7)).isoformat()
    body = {"title_ja": "サイバー脅威セミナー", "title_en": "Cyber threat seminar",
            "location": "内閣府 第3会議室", "starts_at": f"{start}T01:00:00Z",
            "ends_at": f"{start}T04:00:00Z", "capacity": 30, "min_level": "CESI"} | changes
    return call(client, login or hub.world.users[AGO], "POST", "/events", body, 201)


def material(**changes) -> dict:
    return {"title": "講演資料", "filename": "slides.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(b"%PDF-1.4 slides").decode(), "level": "CESI",
            "tlp": "AMBER"} | changes


def test_registration_checks_eligibility_and_the_organiser_keeps_the_list(
        client, session, hub):
    e = seminar(client, hub)
    mine = call(client, hub.cleared, "GET", f"/events/{e['id']}")
    assert mine["eligibility"] == {"eligible": True, "reasons": []} and mine["registration"] is None
    before = snapshot(session.get_bind())
    assert ("person", "no_clearance") in refused(client, hub.bare, "POST",
                                                 f"/events/{e['id']}/registrations", None)
    assert_unchanged(before, snapshot(session.get_bind()))
    r = call(client, hub.cleared, "POST", f"/events/{e['id']}/registrations", None, 201)
    assert (r["eligible"], r["checked_in_at"]) == (True, None)
    assert session.scalar(select(Notification.kind).where(
        Notification.user_id == hub.cleared.user_id)) == "event_registered"
    session.rollback()
    assert refused(client, hub.cleared, "POST", f"/events/{e['id']}/registrations", None,
                   409) == set()
    assert call(client, hub.cleared, "GET", f"/events/{e['id']}")["registration"] == "registered"
    rows = call(client, hub.world.users[AGO], "GET", f"/events/{e['id']}/attendance")["items"]
    assert [(x["person_id"], x["eligible"]) for x in rows] == [(hub.cleared.person_id, True)]
    done = call(client, hub.world.users[AGO], "POST",
                f"/event-registrations/{r['id']}/check-in")
    assert done["checked_in_at"] is not None
    assert refused(client, hub.world.users[AGO], "POST",
                   f"/event-registrations/{r['id']}/check-in", None, 409) == set()


def test_check_in_checks_again_a_suspended_clearance_is_turned_away(client, session, hub):
    e = seminar(client, hub)
    r = call(client, hub.cleared, "POST", f"/events/{e['id']}/registrations", None, 201)
    adj = hub.world.users[ADJ]
    call(client, adj, "POST", f"/clearances/{hub.cleared_clearance}/suspension",
         {"reason": "調査中"})
    before = snapshot(session.get_bind())
    assert ("person", "clearance_suspended") in refused(
        client, hub.world.users[AGO], "POST", f"/event-registrations/{r['id']}/check-in", None)
    assert_unchanged(before, snapshot(session.get_bind()))
    [row] = call(client, hub.world.users[AGO], "GET", f"/events/{e['id']}/attendance")["items"]
    assert row["eligible"] is False and "clearance_suspended" in row["reasons"]
    assert session.scalar(select(EventRegistration.checked_in_at).where(
        EventRegistration.id == r["id"])) is None
    session.rollback()
    call(client, adj, "POST", f"/clearances/{hub.cleared_clearance}/reinstatement",
         {"reason": "問題なし"})
    call(client, hub.world.users[AGO], "POST", f"/event-registrations/{r['id']}/check-in")


def test_materials_are_read_by_level_and_access_ends_on_departure(client, hub):
    e = seminar(client, hub, min_level="CUI")
    ago = hub.world.users[AGO]
    high = call(client, ago, "POST", f"/events/{e['id']}/materials", material(), 201)
    call(client, ago, "POST", f"/events/{e['id']}/materials",
         material(title="公開資料", level="CUI", tlp="GREEN"), 201)
    for login in (hub.cleared, hub.cui):
        call(client, login, "POST", f"/events/{e['id']}/registrations", None, 201)
    for login, titles in ((hub.cleared, {"講演資料", "公開資料"}), (hub.cui, {"公開資料"})):
        page = call(client, login, "GET", f"/events/{e['id']}/materials")
        assert {m["title"] for m in page["items"]} == titles
    got = client.get(f"/api/v1/event-materials/{high['id']}", headers=hub.cleared.headers)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 slides"
    assert client.get(f"/api/v1/event-materials/{high['id']}",
                      headers=hub.cui.headers).status_code == 404
    # a person not registered reads nothing
    assert refused(client, hub.sds, "GET", f"/events/{e['id']}/materials", None, 403) == set()
    call(client, ago, "POST", "/departures",
         {"person_id": hub.cleared.person_id, "departed_on": today().isoformat(),
          "obligations": "守秘義務"}, 201)
    assert refused(client, hub.cleared, "GET", f"/events/{e['id']}/materials", None,
                   403) == set()
    assert client.get(f"/api/v1/event-materials/{high['id']}",
                      headers=hub.cleared.headers).status_code == 404
    [row] = [x for x in call(client, ago, "GET", f"/events/{e['id']}/attendance")["items"]
             if x["person_id"] == hub.cleared.person_id]
    assert row["eligible"] is False and "person_departed" in row["reasons"]


def test_upcoming_events_say_who_is_eligible_and_why_not(client, hub):
    open_ = seminar(client, hub, min_level="CUI", title_en="Open seminar")
    sds = seminar(client, hub, min_level="SDS", title_en="SDS briefing")
    past = today() - timedelta(days=2)
    mine = {e["title_en"]: e["eligibility"]
            for e in call(client, hub.cleared, "GET", "/events")["items"]}
    assert mine["Open seminar"]["eligible"] and not mine["SDS briefing"]["eligible"]
    assert "clearance_below_level" in mine["SDS briefing"]["reasons"]
    assert {e["id"] for e in call(client, hub.world.users[Role.AUDITOR], "GET",
                                       "/events")["items"]} >= {
        open_["id"], sds["id"]}
    assert ("starts_at", "start_in_past") in refused(
        client, hub.world.users[AGO], "POST", "/events",
        {"title_ja": "過去", "title_en": "Past", "location": "x", "capacity": 1,
         "min_level": "CUI", "starts_at": f"{past.isoformat()}T01:00:00Z",
         "ends_at": f"{past.isoformat()}T02:00:00Z"})


def test_bad_input_and_capacity(client, session, hub):
    ago = hub.world.users[AGO]
    start = (today() + timedelta(days=3)).isoformat()
    base = {"title_ja": "会", "title_en": "Meeting", "location": "x", "capacity": 1,
            "min_level": "CUI", "starts_at": f"{start}T05:00:00Z",
            "ends_at": f"{start}T06:00:00Z"}
    before = snapshot(session.get_bind())
    assert ("ends_at", "end_before_start") in refused(
        client, ago, "POST", "/events", base | {"ends_at": f"{start}T04:00:00Z"})
    assert ("capacity", "invalid") in refused(client, ago, "POST", "/events",
                                              base | {"capacity": 0})
    assert ("starts_at", "invalid") in refused(client, ago, "POST", "/events",
                                               base | {"starts_at": "tomorrow"})
    assert ("starts_at", "invalid") in refused(client, ago, "POST", "/events",
                                               base | {"starts_at": f"{start}T05:00:00"})
    assert_unchanged(before, snapshot(session.get_bind()))
    e = call(client, ago, "POST", "/events", base, 201)
    assert ("content_type", "content_type_not_allowed") in refused(
        client, ago, "POST", f"/events/{e['id']}/materials",
        material(content_type="application/x-msdownload"))
    call(client, hub.cleared, "POST", f"/events/{e['id']}/registrations", None, 201)
    assert refused(client, hub.sds, "POST", f"/events/{e['id']}/registrations", None,
                   409) == set()


def test_roles_and_scope(client, hub):
    w = hub.world
    e = seminar(client, hub)
    assert refused(client, hub.cleared, "POST", "/events", {}, 403) == set()
    for role in (AGO, CSO, Role.WINDOW_OFFICER, Role.AUDITOR):
        assert refused(client, w.users[role], "POST", f"/events/{e['id']}/registrations",
                       None, 403) == set()
    for role in (Role.AUDITOR, Role.EXTERNAL_EXPERT, Role.SUBJECT):
        assert refused(client, w.users[role], "GET", f"/events/{e['id']}/attendance", None,
                       403) == set()
    # a company's officer organises its own events only
    own = seminar(client, hub, w.users[CSO], title_en="Company seminar")
    assert call(client, w.users[CSO], "GET", f"/events/{own['id']}/attendance")["items"] == []
    assert refused(client, w.users[CSO], "GET", f"/events/{e['id']}/attendance", None,
                   404) == set()
    assert refused(client, w.users[CSO], "POST", f"/events/{e['id']}/materials", material(),
                   404) == set()


def test_the_event_pages(client, web, hub):
    e = seminar(client, hub)
    listing = web(hub.bare).get("/events")
    assert listing.status_code == 200
    why = text(element(listing.text, 'id="ineligible-events"'))
    assert "Cyber threat seminar" in why and "The person holds no clearance." in why
    page = web(hub.bare).get(f"/events/{e['id']}").text
    assert 'data-eligible="no"' in page and 'id="register-form"' not in page
    mine = web(hub.cleared)
    assert "Cyber threat seminar" in text(element(mine.get("/events").text,
                                                  'id="eligible-events"'))
    r = mine.post(f"/events/{e['id']}/registrations")
    assert r.status_code == 303 and r.headers["location"] == f"/events/{e['id']}"
    assert 'data-registration="registered"' in mine.get(f"/events/{e['id']}").text
    organiser = web(hub.world.users[AGO])
    sheet = organiser.get(f"/events/{e['id']}").text
    row = element(sheet, f'data-person="{hub.cleared.person_id}"')
    reg_id = row.split('id="registration-')[1][:36]
    call(client, hub.world.users[ADJ], "POST", f"/clearances/{hub.cleared_clearance}/suspension",
         {"reason": "調査中"})
    turned = organiser.post(f"/event-registrations/{reg_id}/check-in")
    assert turned.status_code == 422
    assert "suspended" in text(element(turned.text, f'id="registration-{reg_id}"'))
    call(client, hub.world.users[ADJ], "POST",
         f"/clearances/{hub.cleared_clearance}/reinstatement", {"reason": "問題なし"})
    ok = organiser.post(f"/event-registrations/{reg_id}/check-in")
    assert ok.status_code == 303 and ok.headers["location"] == f"/events/{e['id']}"

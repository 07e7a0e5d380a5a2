"""Communities open only to clearance holders (DESIGN R10), through the API and the pages:
the admission rule refuses with every reason; a manager admits; posts and files carry
markings and are listed by the one access decision; and when a member's clearance is
suspended, revoked or lapses, or the member departs, their access ends on the very next
request and the member list says why. Bad input is a 4xx naming the field, and a refusal
writes nothing."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.clearances.models import Clearance
from hozen.db import new_id, utcnow
from hozen.facilities.models import TrainingRecord
from hozen.notifications.models import Notification
from tests.authenticator import Coded
from tests.factories import (
    Login,
    World,
    assert_unchanged,
    cheap_argon2,
    detached_world,
    make_clearance,
    make_person,
    make_user,
    snapshot,
)
from tests.pages import element, text

API = "/api/v1"
AGO, ADJ, CSO, SUB = (Role.AGENCY_OFFICIAL, Role.ADJUDICATOR, Role.COMPANY_SECURITY_OFFICER,
                      Role.SUBJECT)


def today():
    return utcnow().date()


@dataclass
class Hub:
    world: World
    cleared: Login  # a government official (no facility needed) with a CESI clearance
    cleared_clearance: str
    sds: Login  # likewise with an SDS clearance
    bare: Login  # a government employee with no clearance
    cui: Login  # a government employee with a CUI authorization only


def cleared_person(session, world: World, regime: str | None, *, cui: bool = False
                   ) -> tuple[Login, str | None]:
    """A person of the government body (so no facility clearance is needed), trained,
    with a clearance of `regime` (written directly: the clearance flow is tested
    elsewhere), and a subject's account of their own."""
    p = make_person(session, employer_id=world.gov.id, given_name_kanji=f"会員{new_id()[:4]}")
    clearance_id = None
    if regime:
        clearance_id = make_clearance(session, p.id, regime, sponsor_id=world.gov.id,
                                      employer_id=world.gov.id,
                                      listed_by=world.users[AGO].user_id).id
    session.add(TrainingRecord(id=new_id(), person_id=p.id, organisation_id=world.gov.id,
                               kind="initial", recorded_by=world.users[AGO].user_id,
                               trained_on=today() - timedelta(days=10)))
    if cui:
        from hozen.designations.models import CuiAuthorization

        session.add(CuiAuthorization(
            id=new_id(), person_id=p.id, organisation_id=world.gov.id,
            identity_document="passport", identity_checked_on=today(), trained_on=today(),
            agreement_signed_on=today(), last_training_on=today(), granted_on=today(),
            valid_until=today() + timedelta(days=1000), status="active",
            granted_by=world.users[AGO].user_id))
    with cheap_argon2():
        login = make_user(session, SUB, world.gov.id, person_id=p.id)
    session.commit()
    return login, clearance_id


@pytest.fixture
def hub(session) -> Hub:
    world = detached_world(session)
    cleared, clearance_id = cleared_person(session, world, "CESI")
    sds, _ = cleared_person(session, world, "SDS")
    bare, _ = cleared_person(session, world, None)
    cui, _ = cleared_person(session, world, None, cui=True)
    session.expunge_all()
    return Hub(world, cleared, clearance_id, sds, bare, cui)


def call(client, login: Login, method: str, path: str, body=None, expect=200):
    r = client.request(method, f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == expect, r.text
    return r.json() if r.headers.get("content-type", "").endswith("json") else r


def refused(client, login: Login, method: str, path: str, body, status: int = 422) -> set:
    """A refusal: its (field, code) pairs."""
    r = client.request(method, f"{API}{path}", headers=login.headers, json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {(e["field"], e["code"]) for e in r.json().get("errors", [])}


def community(client, hub: Hub, **rule) -> dict:
    body = {"name_ja": "脅威共有会", "name_en": "Threat sharing circle", "min_level": "CESI",
            "description": "CESI 保持者の情報交換"} | rule
    return call(client, hub.world.users[AGO], "POST", "/communities", body, 201)


def member(client, hub: Hub, c: dict, login: Login) -> dict:
    """Applied and admitted by the agency official who set the community up."""
    m = call(client, login, "POST", f"/communities/{c['id']}/applications", None, 201)
    return call(client, hub.world.users[AGO], "POST", f"/community-members/{m['id']}/decision",
                {"admit": True})


def post(client, login: Login, c: dict, level: str, title: str, tlp: str = "AMBER") -> dict:
    return call(client, login, "POST", f"/communities/{c['id']}/posts",
                {"title": title, "body": f"{title} の本文", "level": level, "tlp": tlp}, 201)


def titles(client, login: Login, c: dict) -> set[str]:
    page = call(client, login, "GET", f"/communities/{c['id']}/posts")
    return {p["title"] for p in page["items"]}


def test_the_rule_admits_a_cleared_person_and_refuses_others_with_every_reason(
        client, session, hub):
    c = community(client, hub)
    assert c["rule"]["min_level"] == "CESI" and c["membership"] is None
    mine = call(client, hub.cleared, "GET", f"/communities/{c['id']}")
    assert mine["eligibility"] == {"eligible": True, "reasons": []}
    theirs = call(client, hub.bare, "GET", f"/communities/{c['id']}")
    assert theirs["eligibility"]["eligible"] is False
    assert "no_clearance" in theirs["eligibility"]["reasons"]
    # an official has no person record: it sees the community but no eligibility
    assert call(client, hub.world.users[AGO], "GET", f"/communities/{c['id']}"
                )["eligibility"] is None

    before = snapshot(session.get_bind())
    assert ("person", "no_clearance") in refused(
        client, hub.bare, "POST", f"/communities/{c['id']}/applications", None)
    assert_unchanged(before, snapshot(session.get_bind()))

    m = call(client, hub.cleared, "POST", f"/communities/{c['id']}/applications", None, 201)
    assert (m["status"], m["active"]) == ("applied", False)
    assert session.scalar(select(Notification.kind).where(
        Notification.user_id == hub.world.users[AGO].user_id)) == "community_application"
    session.rollback()
    assert refused(client, hub.cleared, "POST", f"/communities/{c['id']}/applications", None,
                   409) == set()
    m = call(client, hub.world.users[AGO], "POST", f"/community-members/{m['id']}/decision",
             {"admit": True})
    assert (m["status"], m["active"], m["reasons"]) == ("admitted", True, [])
    assert call(client, hub.cleared, "GET", f"/communities/{c['id']}")["membership"] == \
        "admitted"
    tags = set(session.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("sharing:%"))))
    assert {"sharing:community:create", "sharing:community:apply",
            "sharing:community:admit"} <= tags
    session.rollback()


def test_the_rule_names_regimes_programmes_nationalities_and_organisation_kinds(
        client, hub):
    c = community(client, hub, min_level="CUI", regimes=["SDS"], nationalities=["JPN"],
                  organisation_kinds=["company"])
    reasons = call(client, hub.cleared, "GET", f"/communities/{c['id']}")["eligibility"][
        "reasons"]
    # a CESI holder of a government body: the regime and the employer's kind fail
    assert reasons == ["clearance_regime_not_admitted", "organisation_kind_not_admitted"]
    sds = call(client, hub.sds, "GET", f"/communities/{c['id']}")["eligibility"]["reasons"]
    assert sds == ["organisation_kind_not_admitted"]


def test_posts_are_listed_by_their_level_for_each_member(client, hub):
    c = community(client, hub, min_level="CUI")
    member(client, hub, c, hub.cleared)
    member(client, hub, c, hub.cui)
    post(client, hub.cleared, c, "UNMARKED", "公開の注意喚起", tlp="CLEAR")
    post(client, hub.cleared, c, "CUI", "脆弱性の概要", tlp="GREEN")
    post(client, hub.cleared, c, "CESI", "攻撃基盤の詳細", tlp="AMBER+STRICT")
    assert titles(client, hub.cleared, c) == {"公開の注意喚起", "脆弱性の概要", "攻撃基盤の詳細"}
    # a CUI authorization reads up to CUI only, and may not share above what it reads
    assert titles(client, hub.cui, c) == {"公開の注意喚起", "脆弱性の概要"}
    assert refused(client, hub.cui, "POST", f"/communities/{c['id']}/posts",
                   {"title": "x", "body": "y", "level": "CESI", "tlp": "RED"}) == {
        ("level", "level_not_permitted")}
    got = call(client, hub.cleared, "GET", f"/communities/{c['id']}/posts")["items"]
    assert {(p["level"], p["tlp"]) for p in got} == {
        ("UNMARKED", "CLEAR"), ("CUI", "GREEN"), ("CESI", "AMBER+STRICT")}
    # a person who is not a member reads nothing, eligible or not
    assert refused(client, hub.sds, "GET", f"/communities/{c['id']}/posts", None, 403) == set()


def _ended(client, hub: Hub, c: dict, login: Login) -> list[str]:
    """The member is refused on the next request; the manager's list says why."""
    assert refused(client, login, "GET", f"/communities/{c['id']}/posts", None, 403) == set()
    rows = {m["person_id"]: m for m in call(client, hub.world.users[AGO], "GET",
                                            f"/communities/{c['id']}/members")["items"]}
    row = rows[login.person_id]
    assert (row["status"], row["active"]) == ("admitted", False)
    return row["reasons"]


def test_a_suspended_clearance_ends_access_at_once_and_reinstatement_restores_it(
        client, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    post(client, hub.cleared, c, "CESI", "攻撃基盤の詳細")
    assert titles(client, hub.cleared, c) == {"攻撃基盤の詳細"}
    adj = hub.world.users[ADJ]
    call(client, adj, "POST", f"/clearances/{hub.cleared_clearance}/suspension",
         {"reason": "調査中の事案"})
    assert "clearance_suspended" in _ended(client, hub, c, hub.cleared)
    assert refused(client, hub.cleared, "POST", f"/communities/{c['id']}/posts",
                   {"title": "x", "body": "y", "level": "UNMARKED", "tlp": "CLEAR"},
                   403) == set()
    call(client, adj, "POST", f"/clearances/{hub.cleared_clearance}/reinstatement",
         {"reason": "問題なし"})
    assert titles(client, hub.cleared, c) == {"攻撃基盤の詳細"}


def test_a_revoked_clearance_ends_access(client, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    call(client, Coded(hub.world.users[ADJ]), "POST",
         f"/clearances/{hub.cleared_clearance}/revocation", {"reason": "不適"})
    assert "no_clearance" in _ended(client, hub, c, hub.cleared)


def test_a_lapsed_clearance_ends_access(client, session, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    session.execute(update(Clearance).where(Clearance.id == hub.cleared_clearance)
                    .values(valid_until=today() - timedelta(days=1)))
    session.commit()
    assert "clearance_expired" in _ended(client, hub, c, hub.cleared)


def test_departure_ends_access(client, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    call(client, hub.world.users[AGO], "POST", "/departures",
         {"person_id": hub.cleared.person_id, "departed_on": today().isoformat(),
          "obligations": "退職後も守秘義務を負う"}, 201)
    assert "person_departed" in _ended(client, hub, c, hub.cleared)


def test_leaving_and_removal_end_membership(client, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    m = member(client, hub, c, hub.sds)
    left = call(client, hub.cleared, "POST", f"/communities/{c['id']}/leave")
    assert left["status"] == "left"
    assert refused(client, hub.cleared, "GET", f"/communities/{c['id']}/posts", None,
                   403) == set()
    assert "reason" in {f for f, _ in refused(client, hub.world.users[AGO], "POST",
                                              f"/community-members/{m['id']}/removal",
                                              {"reason": ""})}
    gone = call(client, hub.world.users[AGO], "POST", f"/community-members/{m['id']}/removal",
                {"reason": "活動停止"})
    assert gone["status"] == "removed"
    assert refused(client, hub.sds, "GET", f"/communities/{c['id']}/posts", None, 403) == set()
    # a member who left may apply again
    again = call(client, hub.cleared, "POST", f"/communities/{c['id']}/applications", None, 201)
    assert again["status"] == "applied"


def _file(**changes) -> dict:
    return {"title": "侵入痕跡の一覧", "filename": "iocs.txt", "content_type": "text/plain",
            "content_base64": base64.b64encode(b"198.51.100.7\n").decode(),
            "level": "CESI", "tlp": "AMBER"} | changes


def test_files_are_small_allowed_kinds_marked_and_read_by_level(client, session, hub):
    c = community(client, hub, min_level="CUI")
    member(client, hub, c, hub.cleared)
    member(client, hub, c, hub.cui)
    path = f"/communities/{c['id']}/files"
    f = call(client, hub.cleared, "POST", path, _file(), 201)
    assert (f["size"], f["level"], f["tlp"]) == (13, "CESI", "AMBER")
    r = client.get(f"{API}/community-files/{f['id']}", headers=hub.cleared.headers)
    assert r.status_code == 200 and r.content == b"198.51.100.7\n"
    assert r.headers["content-type"].startswith("text/plain")
    # below its level: neither listed nor readable (not found, as for a missing one)
    assert call(client, hub.cui, "GET", path)["items"] == []
    assert client.get(f"{API}/community-files/{f['id']}",
                      headers=hub.cui.headers).status_code == 404
    before = snapshot(session.get_bind())
    assert refused(client, hub.cleared, "POST", path, _file(content_type="text/html")) == {
        ("content_type", "content_type_not_allowed")}
    big = base64.b64encode(b"x" * (2 * 1024 * 1024 + 1)).decode()
    assert refused(client, hub.cleared, "POST", path, _file(content_base64=big)) == {
        ("content", "file_too_large")}
    assert refused(client, hub.cleared, "POST", path, _file(content_base64="@@not base64")) == {
        ("content_base64", "invalid")}
    assert ("filename", "invalid") in refused(client, hub.cleared, "POST", path,
                                              _file(filename="../etc/passwd"))
    assert ("tlp", "invalid") in refused(client, hub.cleared, "POST", path,
                                         _file(tlp="AMBER-STRICT"))
    assert_unchanged(before, snapshot(session.get_bind()))


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(client, session, hub):
    ago = hub.world.users[AGO]
    before = snapshot(session.get_bind())
    base = {"name_ja": "会", "name_en": "Circle", "min_level": "CESI"}
    assert ("min_level", "invalid") in refused(client, ago, "POST", "/communities",
                                               base | {"min_level": "TOP"})
    assert ("min_level", "invalid") in refused(client, ago, "POST", "/communities",
                                               base | {"min_level": "UNMARKED"})
    assert refused(client, ago, "POST", "/communities", base | {"programmes": ["NOPE"]}) == {
        ("programmes.0", "programme_unknown")}
    assert ("nationalities.0", "invalid") in refused(client, ago, "POST", "/communities",
                                                     base | {"nationalities": ["japan"]})
    assert ("name_en", "required") in {(f, c) for f, c in refused(
        client, ago, "POST", "/communities", {"name_ja": "会", "min_level": "CUI"})}
    # the manager is the caller: a body cannot name another
    assert refused(client, ago, "POST", "/communities", base | {"manager_id": "x"}) == {
        ("manager_id", "invalid")}
    c = community(client, hub)
    before = snapshot(session.get_bind())
    assert refused(client, ago, "POST", f"/community-members/{new_id()}/decision",
                   {"admit": True}, 404) == set()
    assert refused(client, ago, "GET", f"/communities/{new_id()}", None, 404) == set()
    member(client, hub, c, hub.cleared)
    before = snapshot(session.get_bind())
    for body, field in (({"title": "", "body": "b", "level": "CESI", "tlp": "RED"}, "title"),
                        ({"title": "t", "body": "b", "level": "SECRET", "tlp": "RED"}, "level"),
                        ({"title": "t", "body": "b", "level": "CESI"}, "tlp")):
        assert field in {f for f, _ in refused(client, hub.cleared, "POST",
                                               f"/communities/{c['id']}/posts", body)}
    assert_unchanged(before, snapshot(session.get_bind()))


def test_roles_and_scope(client, hub):
    """Deny by default: a subject runs no community; an official neither joins nor posts;
    a company's security officer manages only the communities it set up."""
    w = hub.world
    c = community(client, hub)
    body = {"name_ja": "会", "name_en": "Circle", "min_level": "CUI"}
    assert refused(client, hub.cleared, "POST", "/communities", body, 403) == set()
    for role in (AGO, CSO, Role.WINDOW_OFFICER):
        assert refused(client, w.users[role], "POST", f"/communities/{c['id']}/applications",
                       None, 403) == set()
        assert refused(client, w.users[role], "GET", f"/communities/{c['id']}/posts", None,
                       403) == set()
    for role in (Role.AUDITOR, Role.FOREIGN_LIAISON, Role.EXTERNAL_EXPERT):
        assert refused(client, w.users[role], "GET", f"/communities/{c['id']}/members", None,
                       403) == set()
    # a company's officer: its own community yes, the agency's no (not found)
    own = call(client, w.users[CSO], "POST", "/communities", body | {"name_en": "Own"}, 201)
    assert call(client, w.users[CSO], "GET", f"/communities/{own['id']}/members")["items"] == []
    assert refused(client, w.users[CSO], "GET", f"/communities/{c['id']}/members", None,
                   404) == set()
    m = call(client, hub.cleared, "POST", f"/communities/{c['id']}/applications", None, 201)
    assert refused(client, w.users[CSO], "POST", f"/community-members/{m['id']}/decision",
                   {"admit": True}, 404) == set()
    # any government official admits to any community
    assert call(client, w.users[Role.WINDOW_OFFICER], "POST",
                f"/community-members/{m['id']}/decision", {"admit": True})["status"] == \
        "admitted"


def test_the_pages_show_posts_to_members_and_the_live_member_list(client, web, hub):
    c = community(client, hub)
    member(client, hub, c, hub.cleared)
    post(client, hub.cleared, c, "CESI", "攻撃基盤の詳細")
    page = web(hub.cleared).get(f"/communities/{c['id']}")
    assert page.status_code == 200
    assert "攻撃基盤の詳細" in element(page.text, 'id="posts"')
    r = web(hub.cleared).post(f"/communities/{c['id']}/posts",
                              {"title": "新しい投稿", "body": "本文", "level": "CESI",
                               "tlp": "GREEN"})
    assert r.status_code == 303 and r.headers["location"] == f"/communities/{c['id']}"
    bad = web(hub.cleared).post(f"/communities/{c['id']}/posts",
                                {"title": "", "body": "本文", "level": "CESI", "tlp": "GREEN"})
    assert bad.status_code == 422 and 'id="e-post-title"' in bad.text
    # the uncleared person sees why not, and no apply button
    theirs = web(hub.bare).get(f"/communities/{c['id']}")
    assert "The person holds no clearance." in text(element(theirs.text, 'id="standing"'))
    assert 'id="apply-form"' not in theirs.text
    call(client, hub.world.users[ADJ], "POST", f"/clearances/{hub.cleared_clearance}/suspension",
         {"reason": "調査中"})
    ended = web(hub.cleared).get(f"/communities/{c['id']}")
    assert "suspended" in text(element(ended.text, 'id="access-ended"'))
    assert 'id="posts"' not in ended.text
    managed = web(hub.world.users[AGO]).get(f"/communities/{c['id']}")
    row = element(managed.text, f'data-person="{hub.cleared.person_id}"')
    assert 'data-active="no"' in row and "suspended" in text(row)


def test_apply_and_admit_through_the_pages(client, web, hub):
    c = community(client, hub)
    mine = web(hub.cleared)
    assert 'id="apply-form"' in mine.get(f"/communities/{c['id']}").text
    assert mine.post(f"/communities/{c['id']}/applications").status_code == 303
    manager = web(hub.world.users[AGO])
    page = manager.get(f"/communities/{c['id']}").text
    m_id = element(page, f'data-person="{hub.cleared.person_id}"').split('id="member-')[1][:36]
    r = manager.post(f"/community-members/{m_id}/decision", {"admit": "true"})
    assert r.status_code == 303 and r.headers["location"] == f"/communities/{c['id']}"
    again = manager.post(f"/community-members/{m_id}/decision", {"admit": "true"})
    assert again.status_code == 422
    listing = web(hub.cleared).get("/communities").text
    assert "member" in text(element(listing, f'data-community="{c["id"]}"'))


def test_the_pages_render_in_japanese_with_every_part_of_the_rule(client, web, hub):
    c = community(client, hub, min_level="CUI", regimes=["CESI"], nationalities=["JPN"],
                  organisation_kinds=["government_body"], releasable_to=["USA"])
    member(client, hub, c, hub.cleared)
    mine = web(hub.cleared)
    mine.client.cookies.set("hozen_lang", "ja")
    for path in ("/communities", f"/communities/{c['id']}", "/events"):
        r = mine.get(path)
        assert r.status_code == 200 and '<html lang="ja">' in r.text, path
    rule = element(mine.get(f"/communities/{c['id']}").text, 'class="facts rule"')
    assert "REL TO JPN, USA" in rule and "CESI" in rule

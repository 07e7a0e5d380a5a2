"""What the role × route matrix (test_permissions_matrix.py) acts on for the routes and
forms of communities and events. A community and an event of the company, run by its
security officer (a government official manages any), both at CUI; the world's subject
(the company's staff, holding a CUI authorization granted by the officer) is an admitted
member of the community and registered for the event; each holds a CUI post, file or
material. Where an allowed request uses something up (an application, a decision, a
removal, a leaving, a registration, a check-in) it gets a fresh one of its own; a refused
request is refused at the gate, so it may name the standing ones."""

from __future__ import annotations

import base64
from datetime import timedelta

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Role
from hozen.db import unit_of_work, utcnow
from hozen.designations import cui
from hozen.designations.schemas import CuiGrant
from hozen.sharing import communities, events
from hozen.sharing.schemas import (
    CommunityCreate,
    EventCreate,
    FileCreate,
    MemberDecision,
    PostCreate,
)
from tests.factories import cheap_argon2, make_person, make_user

# The API routes and the forms of communities and events (prefixes).
SHARING_ROUTES = ("/api/v1/communities", "/api/v1/community-", "/api/v1/events",
                  "/api/v1/event-")
SHARING_FORMS = ("/communities", "/community-members", "/events/", "/event-registrations")
CSO, SUB = Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT


def _cso(env) -> Actor:
    return env.world.users[CSO].actor


def _authorized(env, s, person_id: str) -> None:
    trained = utcnow().date() - timedelta(days=30)
    cui.grant(s, CuiGrant(person_id=person_id, identity_document="passport",
                          identity_checked_on=trained, trained_on=trained,
                          agreement_signed_on=trained), actor=_cso(env))


def _fresh_member(env, s) -> Actor:
    """A new person of the company with a CUI authorization and a subject's account."""
    person = make_person(s, employer_id=env.world.company.id, family_name_kanji="会員")
    _authorized(env, s, person.id)
    with cheap_argon2():
        return make_user(s, SUB, env.world.company.id, person_id=person.id).actor


def _community(env, s, name: str) -> str:
    return communities.create_community(s, CommunityCreate(
        name_ja=f"{name}の会", name_en=name, min_level="CUI"), actor=_cso(env)).id


def _admit(env, s, community_id: str, member: Actor) -> str:
    m = communities.apply(s, community_id, actor=member)
    communities.decide_member(s, m.id, MemberDecision(admit=True), actor=_cso(env))
    return m.id


def _event(env, s, title: str) -> str:
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    return events.create_event(s, EventCreate(
        title_ja=title, title_en=title, location="会議室", starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=1000, min_level="CUI"),
        actor=_cso(env)).id


def file_body(title: str) -> dict:
    return {"title": title, "filename": "note.txt", "content_type": "text/plain",
            "content_base64": base64.b64encode(title.encode()).decode(), "level": "CUI",
            "tlp": "GREEN"}


def ready(env) -> dict:
    """The standing community and event (made once)."""
    if "sharing" not in env.cases:
        staff = env.world.staff.id
        with unit_of_work(env.engine) as s:
            _authorized(env, s, staff)
            c = _community(env, s, "Matrix circle")
            me = env.world.users[SUB].actor
            membership = _admit(env, s, c, me)
            communities.create_post(s, c, PostCreate(title="注意喚起", body="本文", level="CUI",
                                                     tlp="GREEN"), actor=me)
            f = communities.upload_file(s, c, FileCreate(**file_body("指標")), actor=me).id
            e = _event(env, s, "行列セミナー")
            registration = events.register(s, e, actor=me).id
            material = events.add_material(s, e, FileCreate(**file_body("資料")),
                                           actor=_cso(env)).id
        env.cases["sharing"] = {"community": c, "membership": membership, "file": f,
                                "event": e, "registration": registration,
                                "material": material}
    return env.cases["sharing"]


def fresh(env, what: str) -> str:
    """A new object for a request that uses one up."""
    with unit_of_work(env.engine) as s:
        if what == "community":  # one the subject may apply to
            return _community(env, s, "Fresh circle")
        if what == "joined community":  # one the subject is a member of, to leave
            c = _community(env, s, "Circle to leave")
            _admit(env, s, c, env.world.users[SUB].actor)
            return c
        if what == "application":
            c = ready(env)["community"]
            return communities.apply(s, c, actor=_fresh_member(env, s)).id
        if what == "membership":
            return _admit(env, s, ready(env)["community"], _fresh_member(env, s))
        if what == "event":  # one the subject may register for
            return _event(env, s, "新しいセミナー")
        assert what == "registration", what
        return events.register(s, ready(env)["event"],
                               actor=_fresh_member(env, s)).id


def request(env, method: str, path: str, role: Role, allowed: bool) -> tuple[str, dict | None]:
    """The URL and a valid body of a route of communities and events."""
    r, by = ready(env), role.value
    ids = {"community_id": r["community"], "membership_id": r["membership"],
           "file_id": r["file"], "event_id": r["event"], "registration_id": r["registration"]}
    body = None
    if allowed and path.endswith("/applications"):
        ids["community_id"] = fresh(env, "community")
    elif allowed and path.endswith("/leave"):
        ids["community_id"] = fresh(env, "joined community")
    elif allowed and path.endswith("/decision"):
        ids["membership_id"] = fresh(env, "application")
    elif allowed and path.endswith("/removal"):
        ids["membership_id"] = fresh(env, "membership")
    elif allowed and path.endswith("/registrations"):
        ids["event_id"] = fresh(env, "event")
    elif allowed and path.endswith("/check-in"):
        ids["registration_id"] = fresh(env, "registration")
    if path.startswith("/api/v1/event-materials"):
        ids["file_id"] = r["material"]
    if (method, path) == ("POST", "/api/v1/communities"):
        body = {"name_ja": f"{by}の会", "name_en": f"Circle of {by}", "min_level": "CUI"}
    elif (method, path) == ("POST", "/api/v1/events"):
        start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
        body = {"title_ja": f"{by}の会合", "title_en": f"Meeting of {by}", "location": "本館",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": 20,
                "min_level": "CUI"}
    elif path.endswith("/decision"):
        body = {"admit": True, "reason": f"admitted by {by}"}
    elif path.endswith("/removal"):
        body = {"reason": f"removed by {by}"}
    elif method == "POST" and path.endswith("/posts"):
        body = {"title": f"post of {by}", "body": "本文", "level": "CUI", "tlp": "GREEN"}
    elif method == "POST" and path.endswith(("/files", "/materials")):
        body = file_body(f"file of {by}")
    return path.format(**ids), body


def form(env, path: str, page_url, fresh_one: bool):
    """(role, URL, data) of a form of communities and events."""
    r = ready(env)
    if path == "/communities/{community_id}/applications":
        return SUB, page_url(env, path, community_id=fresh(env, "community")), {}
    if path == "/communities/{community_id}/posts":
        return SUB, page_url(env, path, community_id=r["community"]), {
            "title": "画面からの投稿", "body": "本文", "level": "CUI", "tlp": "GREEN"}
    if path == "/community-members/{membership_id}/decision":
        return CSO, page_url(env, path, membership_id=fresh(env, "application")), {
            "admit": "true"}
    if path == "/events/{event_id}/registrations":
        return SUB, page_url(env, path, event_id=fresh(env, "event")), {}
    assert path == "/event-registrations/{registration_id}/check-in", f"no form for {path}"
    return CSO, page_url(env, path, registration_id=fresh(env, "registration")), {}


def left_behind(env, s, method: str, path: str, role: Role, url: str, body, answer) -> None:
    """What an allowed request wrote (or, for a read, found), checked in the database."""
    from hozen.sharing.models import (
        Community,
        CommunityMember,
        CommunityPost,
        EventRegistration,
        SharedFile,
        SharingEvent,
    )

    r, user_id, staff = ready(env), env.world.users[role].user_id, env.world.staff.id
    parts = url.split("/")
    target = parts[4] if len(parts) > 4 and "{" in path else None  # the id in the path
    if (method, path) == ("POST", "/api/v1/communities"):
        c = s.get(Community, answer["id"])
        assert (c.manager_id, c.min_level, c.name_en) == (user_id, "CUI", body["name_en"])
    elif (method, path) == ("POST", "/api/v1/events"):
        e = s.get(SharingEvent, answer["id"])
        assert (e.organiser_id, e.min_level, e.title_en) == (user_id, "CUI", body["title_en"])
    elif path in ("/api/v1/communities", "/api/v1/events"):
        assert r["community" if "communit" in path else "event"] in {x["id"] for x in answer}
    elif path in ("/api/v1/communities/{community_id}", "/api/v1/events/{event_id}"):
        assert answer["id"] == target
    elif path.endswith(("/applications", "/leave", "/decision", "/removal")):
        m = s.get(CommunityMember, answer["id"])
        status = {"applications": "applied", "leave": "left", "decision": "admitted",
                  "removal": "removed"}[path.rsplit("/", 1)[1]]
        assert m.status == answer["status"] == status
        if path.endswith(("/applications", "/leave")):
            assert m.person_id == staff
        else:
            assert m.decided_by == user_id or status == "removed"
    elif path.endswith("/members"):
        [mine] = [m for m in answer if m["person_id"] == staff]
        assert (mine["status"], mine["active"]) == ("admitted", True)
    elif method == "GET" and path.endswith("/posts"):
        assert "注意喚起" in {p["title"] for p in answer}
    elif method == "POST" and path.endswith("/posts"):
        p = s.get(CommunityPost, answer["id"])
        assert (p.author_id, p.level, p.tlp, p.title) == (staff, "CUI", "GREEN", body["title"])
    elif method == "POST" and path.endswith(("/files", "/materials")):
        f = s.get(SharedFile, answer["id"])
        assert (f.content, f.uploaded_by, f.level) == (body["title"].encode(), user_id, "CUI")
        assert (f.community_id or f.event_id) == target
    elif method == "GET" and path.endswith(("/files", "/materials")):
        assert {"指標", "資料"} & {f["title"] for f in answer}
    elif path.startswith(("/api/v1/community-files", "/api/v1/event-materials")):
        assert answer in ("指標", "資料")
    elif path.endswith("/registrations"):
        reg = s.get(EventRegistration, answer["id"])
        assert (reg.person_id, reg.event_id) == (staff, target)
    elif path.endswith("/attendance"):
        assert r["registration"] in {x["id"] for x in answer}
    else:
        assert path.endswith("/check-in"), path
        reg = s.get(EventRegistration, target)
        assert reg.checked_in_by == user_id and reg.checked_in_at is not None

"""/api/v1 routes of communities and events (DESIGN R10): thin handlers over the
services, which check every request against the caller's live clearance."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, requires
from hozen.api.problems import PROBLEM_RESPONSES
from hozen.api.routes import Db, Limit, Me, PageCursor
from hozen.registry.schemas import Page
from hozen.sharing import communities, events, standing
from hozen.sharing.models import SharedFile
from hozen.sharing.schemas import (
    CommunityCreate,
    CommunityView,
    EventCreate,
    EventView,
    FileCreate,
    FileView,
    MemberDecision,
    MemberRemoval,
    MemberView,
    PostCreate,
    PostView,
    RegistrationView,
)

router = APIRouter(prefix="/api/v1", route_class=HozenRoute, tags=["sharing"],
                   responses=PROBLEM_RESPONSES)


def _download(f: SharedFile) -> Response:
    return Response(f.content, media_type=f.content_type, headers={
        "content-disposition": f"attachment; filename*=UTF-8''{quote(f.filename)}"})


# --- communities -----------------------------------------------------------------------------


@router.get("/communities", dependencies=[requires(P.SHARING_COMMUNITY_READ)])
def list_communities(s: Db, me: Me, cursor: PageCursor = None,
                     limit: Limit = 50) -> Page[CommunityView]:
    """Every community with its admission rule, and for a person their membership and
    whether the rule admits them today (with the reasons it does not), oldest first, a
    page at a time: `next_cursor` fetches the next (null on the last)."""
    rows, nxt = communities.list_communities(s, actor=me, cursor=cursor, limit=limit)
    known = standing.eligibilities(s, rows, me.person_id)
    return Page(items=[communities.view(s, c, me, known.get(c.id)) for c in rows],
                next_cursor=nxt)


@router.post("/communities", status_code=201,
             dependencies=[requires(P.SHARING_COMMUNITY_MANAGE)])
def create_community(body: CommunityCreate, s: Db, me: Me) -> CommunityView:
    """A government official or a company's security officer sets up a community and
    manages it."""
    return communities.view(s, communities.create_community(s, body, actor=me), me)


@router.get("/communities/{community_id}", dependencies=[requires(P.SHARING_COMMUNITY_READ)])
def read_community(community_id: str, s: Db, me: Me) -> CommunityView:
    return communities.view(s, communities.read_community(s, community_id, actor=me), me)


@router.get("/communities/{community_id}/members",
            dependencies=[requires(P.SHARING_COMMUNITY_MANAGE)])
def list_members(community_id: str, s: Db, me: Me, cursor: PageCursor = None,
                 limit: Limit = 50) -> Page[MemberView]:
    """Applicants and members with their live standing: `active` false and the reasons
    when a member's clearance lapsed, was suspended or revoked, or they departed; in the
    order they applied, a page at a time (`next_cursor`: null on the last)."""
    rows, nxt = communities.members(s, community_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/communities/{community_id}/applications", status_code=201,
             dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def apply(community_id: str, s: Db, me: Me) -> MemberView:
    """The caller applies; refused (422, field `person`) with every reason the rule does
    not admit them."""
    return communities.member_view(s, communities.apply(s, community_id, actor=me))


@router.post("/communities/{community_id}/leave",
             dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def leave(community_id: str, s: Db, me: Me) -> MemberView:
    return communities.member_view(s, communities.leave(s, community_id, actor=me))


@router.post("/community-members/{membership_id}/decision",
             dependencies=[requires(P.SHARING_COMMUNITY_MANAGE)])
def decide_member(membership_id: str, body: MemberDecision, s: Db, me: Me) -> MemberView:
    """The manager or a government official admits (the rule checked again) or refuses."""
    return communities.member_view(
        s, communities.decide_member(s, membership_id, body, actor=me))


@router.post("/community-members/{membership_id}/removal",
             dependencies=[requires(P.SHARING_COMMUNITY_MANAGE)])
def remove_member(membership_id: str, body: MemberRemoval, s: Db, me: Me) -> MemberView:
    return communities.member_view(
        s, communities.remove_member(s, membership_id, body, actor=me))


@router.get("/communities/{community_id}/posts",
            dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def list_posts(community_id: str, s: Db, me: Me, cursor: PageCursor = None,
               limit: Limit = 50) -> Page[PostView]:
    """The posts a member may read now, newest first, a page at a time (`next_cursor`:
    null on the last): refused (403) once their access has ended."""
    rows, nxt = communities.list_posts(s, community_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/communities/{community_id}/posts", status_code=201,
             dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def create_post(community_id: str, body: PostCreate, s: Db, me: Me) -> PostView:
    """A post marked with a level (one the author may read) and a TLP 2.0 label."""
    return communities.post_view(s, communities.create_post(s, community_id, body, actor=me))


@router.get("/communities/{community_id}/files",
            dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def list_files(community_id: str, s: Db, me: Me, cursor: PageCursor = None,
               limit: Limit = 50) -> Page[FileView]:
    """The files a member may read now, newest first, a page at a time (`next_cursor`:
    null on the last)."""
    rows, nxt = communities.list_files(s, community_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=[communities.file_view(f) for f in rows], next_cursor=nxt)


@router.post("/communities/{community_id}/files", status_code=201,
             dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def upload_file(community_id: str, body: FileCreate, s: Db, me: Me) -> FileView:
    """A small file (base64; PDF, text, CSV, JSON, PNG or JPEG; at most 2 MB), marked."""
    return communities.file_view(communities.upload_file(s, community_id, body, actor=me))


@router.get("/community-files/{file_id}", response_class=Response,
            dependencies=[requires(P.SHARING_COMMUNITY_PARTICIPATE)])
def download_file(file_id: str, s: Db, me: Me) -> Response:
    return _download(communities.read_file(s, file_id, actor=me))


# --- events ----------------------------------------------------------------------------------


@router.get("/events", dependencies=[requires(P.SHARING_EVENT_READ)])
def upcoming_events(s: Db, me: Me, cursor: PageCursor = None,
                    limit: Limit = 50) -> Page[EventView]:
    """Events not yet over, the soonest to end first, each with whether the caller is
    eligible and why not, a page at a time: `next_cursor` fetches the next (null on the
    last)."""
    rows, nxt = events.upcoming(s, actor=me, cursor=cursor, limit=limit)
    known = standing.eligibilities(s, rows, me.person_id)
    return Page(items=[events.view(s, e, me, known.get(e.id)) for e in rows],
                next_cursor=nxt)


@router.post("/events", status_code=201, dependencies=[requires(P.SHARING_EVENT_MANAGE)])
def create_event(body: EventCreate, s: Db, me: Me) -> EventView:
    return events.view(s, events.create_event(s, body, actor=me), me)


@router.get("/events/{event_id}", dependencies=[requires(P.SHARING_EVENT_READ)])
def read_event(event_id: str, s: Db, me: Me) -> EventView:
    return events.view(s, events.read_event(s, event_id, actor=me), me)


@router.post("/events/{event_id}/registrations", status_code=201,
             dependencies=[requires(P.SHARING_EVENT_ATTEND)])
def register(event_id: str, s: Db, me: Me) -> RegistrationView:
    """The caller registers; refused (422, field `person`) with every reason the event's
    rule does not admit them."""
    return events.registration_view(s, events.register(s, event_id, actor=me))


@router.get("/events/{event_id}/attendance", dependencies=[requires(P.SHARING_EVENT_MANAGE)])
def attendance(event_id: str, s: Db, me: Me, cursor: PageCursor = None,
               limit: Limit = 50) -> Page[RegistrationView]:
    """The organiser's attendance list, each with the person's live eligibility, in the
    order people registered, a page at a time (`next_cursor`: null on the last)."""
    rows, nxt = events.attendance(s, event_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=nxt)


@router.post("/event-registrations/{registration_id}/check-in",
             dependencies=[requires(P.SHARING_EVENT_MANAGE)])
def check_in(registration_id: str, s: Db, me: Me) -> RegistrationView:
    """At the door the rule is checked again: refused (422) with the reasons."""
    return events.registration_view(s, events.check_in(s, registration_id, actor=me))


@router.post("/events/{event_id}/materials", status_code=201,
             dependencies=[requires(P.SHARING_EVENT_MANAGE)])
def add_material(event_id: str, body: FileCreate, s: Db, me: Me) -> FileView:
    return communities.file_view(events.add_material(s, event_id, body, actor=me))


@router.get("/events/{event_id}/materials", dependencies=[requires(P.SHARING_EVENT_ATTEND)])
def list_materials(event_id: str, s: Db, me: Me, cursor: PageCursor = None,
                   limit: Limit = 50) -> Page[FileView]:
    """The materials a registered person may read now, by their markings, oldest first, a
    page at a time (`next_cursor`: null on the last)."""
    rows, nxt = events.list_materials(s, event_id, actor=me, cursor=cursor, limit=limit)
    return Page(items=[communities.file_view(f) for f in rows], next_cursor=nxt)


@router.get("/event-materials/{file_id}", response_class=Response,
            dependencies=[requires(P.SHARING_EVENT_ATTEND)])
def download_material(file_id: str, s: Db, me: Me) -> Response:
    return _download(events.read_material(s, file_id, actor=me))

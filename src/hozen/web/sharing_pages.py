"""Pages of communities and seminars (DESIGN R10): the communities with the caller's
standing, a community's posts for its members (and its member list, with each member's
live standing, for its manager), the upcoming events a person is eligible for (and, for
the others, why not), an event with registration and the organiser's check-in list.
Thin: parse the form, call one service, render or redirect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission as P
from hozen.api.gates import HozenRoute, actor, db, page_requires
from hozen.api.routes import PageCursor
from hozen.errors import Forbidden, validate
from hozen.messages import N_
from hozen.sharing import communities, events, standing
from hozen.sharing.models import CommunityMember, EventRegistration
from hozen.sharing.rules import TLP
from hozen.sharing.schemas import MemberDecision, PostCreate
from hozen.web.pages import redirect, render
from hozen.web.routes import blank_to_none, form_step

router = APIRouter(route_class=HozenRoute, include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Me = Annotated[Actor, Depends(actor)]

MEMBER_STATUS_LABELS = {"applied": N_("applied, awaiting admission"), "admitted": N_("member"),
                        "refused": N_("not admitted"), "left": N_("left"),
                        "removed": N_("removed by the manager")}
LABELS = {"member_status": MEMBER_STATUS_LABELS, "tlp": [(t, f"TLP:{t}") for t in TLP]}


# --- communities -----------------------------------------------------------------------------


@router.get("/communities", dependencies=[page_requires(P.SHARING_COMMUNITY_READ)])
def community_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    found, nxt = communities.list_communities(s, actor=me, cursor=cursor)
    known = standing.eligibilities(s, found, me.person_id)
    rows = [communities.view(s, c, me, known.get(c.id)) for c in found]
    members = communities.counts(s, [c.id for c in found])
    s.rollback()
    return render(request, "sharing_communities.html", rows=rows, members=members,
                  next_cursor=nxt, labels=LABELS)


def _community(request: Request, s: Session, me: Actor, community_id: str, *,
               status: int = 200, errors: dict | None = None, values: dict | None = None,
               failed: str | None = None, cursors: dict | None = None):
    """`cursors`: the page of each list to show (posts, files, members), else the first."""
    at = cursors or {}
    c = communities.read_community(s, community_id, actor=me)
    view = communities.view(s, c, me)
    posts, files, ended, nxt = None, [], None, {}
    if view.membership == "admitted" and me.can(P.SHARING_COMMUNITY_PARTICIPATE):
        try:
            posts, nxt["posts"] = communities.list_posts(s, c.id, actor=me,
                                                         cursor=at.get("posts"))
            found, nxt["files"] = communities.list_files(s, c.id, actor=me,
                                                         cursor=at.get("files"))
            files = [communities.file_view(f) for f in found]
        except Forbidden:
            ended = view.eligibility.reasons if view.eligibility else []
    managed = me.can(P.SHARING_COMMUNITY_MANAGE) and communities.manages(me, c.manager_id)
    members = None
    if managed:
        members, nxt["members"] = communities.members(s, c.id, actor=me,
                                                      cursor=at.get("members"))
    return render(request, "sharing_community.html", status=status, c=view, posts=posts,
                      files=files, ended=ended, members=members, next_cursors=nxt,
                      labels=LABELS, errors=errors or {}, values=values or {}, failed=failed,
                      can_participate=me.can(P.SHARING_COMMUNITY_PARTICIPATE))


@router.get("/communities/{community_id}",
            dependencies=[page_requires(P.SHARING_COMMUNITY_READ)])
def community_page(request: Request, community_id: str, s: Db, me: Me,
                   posts_cursor: PageCursor = None, files_cursor: PageCursor = None,
                   members_cursor: PageCursor = None):
    """Each list of the page is paged on its own: `posts_cursor` the posts,
    `files_cursor` the files, `members_cursor` the member list."""
    return _community(request, s, me, community_id, cursors={
        "posts": posts_cursor, "files": files_cursor, "members": members_cursor})


async def _community_step(request: Request, s: Session, me: Actor, community_id: str,
                          form_name: str, action):
    return await form_step(request, s, action, done=f"/communities/{community_id}",
                           refused=lambda form, errors: _community(
                               request, s, me, community_id, status=422, errors=errors,
                               values=form, failed=form_name))


@router.post("/communities/{community_id}/applications",
             dependencies=[page_requires(P.SHARING_COMMUNITY_PARTICIPATE)])
async def apply(request: Request, community_id: str, s: Db, me: Me):
    return await _community_step(request, s, me, community_id, "apply",
                                 lambda f: communities.apply(s, community_id, actor=me))


@router.post("/communities/{community_id}/posts",
             dependencies=[page_requires(P.SHARING_COMMUNITY_PARTICIPATE)])
async def create_post(request: Request, community_id: str, s: Db, me: Me):
    return await _community_step(request, s, me, community_id, "post", lambda f: (
        communities.create_post(s, community_id, validate(PostCreate, blank_to_none(
            f, ["title", "body", "level", "tlp"]), whole_path=False), actor=me)))


@router.post("/community-members/{membership_id}/decision",
             dependencies=[page_requires(P.SHARING_COMMUNITY_MANAGE)])
async def decide_member(request: Request, membership_id: str, s: Db, me: Me):
    """Admit (the rule checked again) or refuse; back to the community either way."""
    done = {}

    def act(f: dict):
        done["community"] = communities.decide_member(s, membership_id, validate(
            MemberDecision, {"admit": f.get("admit") or None, "reason": f.get("reason") or ""},
            whole_path=False), actor=me).community_id

    def refused(form, errors):
        m = s.get(CommunityMember, membership_id)
        return _community(request, s, me, m.community_id, status=422, errors=errors,
                          values=form, failed=f"member-{membership_id}")

    response = await form_step(request, s, act, done="/communities", refused=refused)
    return redirect(f"/communities/{done['community']}") if done else response


# --- events ----------------------------------------------------------------------------------


@router.get("/events", dependencies=[page_requires(P.SHARING_EVENT_READ)])
def event_list(request: Request, s: Db, me: Me, cursor: PageCursor = None):
    """Upcoming events, a page at a time: those of the page the person is eligible for,
    then the others with why not."""
    found, nxt = events.upcoming(s, actor=me, cursor=cursor)
    known = standing.eligibilities(s, found, me.person_id)
    rows = [events.view(s, e, me, known.get(e.id)) for e in found]
    s.rollback()
    eligible = [e for e in rows if e.eligibility is None or e.eligibility.eligible]
    others = [e for e in rows if e.eligibility is not None and not e.eligibility.eligible]
    return render(request, "sharing_events.html", eligible=eligible, others=others,
                  next_cursor=nxt, person=me.person_id is not None)


def _event(request: Request, s: Session, me: Actor, event_id: str, *, status: int = 200,
           errors: dict | None = None, failed: str | None = None,
           cursors: dict | None = None):
    """`cursors`: the page of each list to show (materials, attendance), else the first."""
    at = cursors or {}
    e = events.read_event(s, event_id, actor=me)
    view = events.view(s, e, me)
    materials, nxt = None, {}
    if view.registration and me.can(P.SHARING_EVENT_ATTEND):
        try:
            found, nxt["materials"] = events.list_materials(s, e.id, actor=me,
                                                            cursor=at.get("materials"))
            materials = [communities.file_view(f) for f in found]
        except Forbidden:
            materials = None
    organiser = me.can(P.SHARING_EVENT_MANAGE) and communities.manages(me, e.organiser_id)
    attendance = None
    if organiser:
        attendance, nxt["attendance"] = events.attendance(s, e.id, actor=me,
                                                          cursor=at.get("attendance"))
    return render(request, "sharing_event.html", status=status, e=view,
                      materials=materials, attendance=attendance, next_cursors=nxt,
                      errors=errors or {}, failed=failed,
                      can_attend=me.can(P.SHARING_EVENT_ATTEND))


@router.get("/events/{event_id}", dependencies=[page_requires(P.SHARING_EVENT_READ)])
def event_page(request: Request, event_id: str, s: Db, me: Me,
               materials_cursor: PageCursor = None, attendance_cursor: PageCursor = None):
    """Each list of the page is paged on its own: `materials_cursor` the materials,
    `attendance_cursor` the attendance list."""
    return _event(request, s, me, event_id, cursors={
        "materials": materials_cursor, "attendance": attendance_cursor})


@router.post("/events/{event_id}/registrations",
             dependencies=[page_requires(P.SHARING_EVENT_ATTEND)])
async def register(request: Request, event_id: str, s: Db, me: Me):
    return await form_step(request, s, lambda f: events.register(s, event_id, actor=me),
                           done=f"/events/{event_id}",
                           refused=lambda form, errors: _event(
                               request, s, me, event_id, status=422, errors=errors,
                               failed="register"))


@router.post("/event-registrations/{registration_id}/check-in",
             dependencies=[page_requires(P.SHARING_EVENT_MANAGE)])
async def check_in(request: Request, registration_id: str, s: Db, me: Me):
    """At the door: the rule checked again; a refusal shows the reasons on the list."""
    done = {}

    def act(f: dict):
        done["event"] = events.check_in(s, registration_id, actor=me).event_id

    def refused(form, errors):
        r = s.get(EventRegistration, registration_id)
        return _event(request, s, me, r.event_id, status=422, errors=errors,
                      failed=f"check-in-{registration_id}")

    response = await form_step(request, s, act, done="/events", refused=refused)
    return redirect(f"/events/{done['event']}") if done else response

"""Communities open only to clearance holders (DESIGN R10): a government official or a
company's security officer sets one up with an admission rule and manages it; a person
applies, the manager (or any government official) admits; every request of a member is
checked against their live clearance, so a lapse, suspension, revocation or departure
ends their access at once and the member list says why."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from hozen.access import rules as access
from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission, Role
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, Forbidden, NotFound, ValidationFailed
from hozen.notifications.services import notify
from hozen.paging import DEFAULT_PAGE, page
from hozen.registry import services as registry
from hozen.registry.models import Person
from hozen.sharing import rules, standing
from hozen.sharing.models import Community, CommunityMember, CommunityPost, SharedFile
from hozen.sharing.schemas import (
    AdmissionRule,
    CommunityCreate,
    CommunityView,
    FileCreate,
    FileView,
    MemberDecision,
    MemberRemoval,
    MemberView,
    PostCreate,
    PostView,
)
from hozen.sharing.standing import (  # the rule and the live decision, shared with events
    context,
    eligibility,
    eligibility_view,
    rule_columns,
    rule_of,
    rule_view,
    subject,
)

# Government officials admit to and manage any community or event.
GOVERNMENT = frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL})


def programme_errors(session: Session, data: AdmissionRule) -> list[tuple[str, str]]:
    from hozen.access.models import Programme

    known = set(session.scalars(select(Programme.code).where(
        Programme.code.in_(data.programmes)))) if data.programmes else set()
    return [(f"programmes.{n}", "programme_unknown") for n, code in enumerate(data.programmes)
            if code not in known]


def person_name(session: Session, person_id: str) -> str:
    """A member's name, as the registry holds it (members and managers see each other)."""
    return standing.display_name(registry._open(session.get(Person, person_id)))


def decode_file(data: FileCreate) -> bytes:
    try:
        content = base64.b64decode(data.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed([("content_base64", "invalid")]) from None
    errors = rules.file_errors(data.content_type, len(content))
    if errors:
        raise ValidationFailed(errors)
    return content


def file_view(f: SharedFile) -> FileView:
    return FileView(id=f.id, title=f.title, filename=f.filename, content_type=f.content_type,
                    size=f.size, level=f.level, tlp=f.tlp, created_at=f.created_at)


# --- communities ----------------------------------------------------------------------------


def manages(actor: Actor, manager_id: str) -> bool:
    return actor.is_system or bool(actor.roles & GOVERNMENT) or actor.id == manager_id


def _audit(session: Session, actor: Actor, verb: str, subject_type: str, subject_id: str,
           **details) -> None:
    record(session, actor=actor.audit_name, tag=f"sharing:{verb}", subject_type=subject_type,
           subject_id=subject_id, details=details)


def create_community(session: Session, data: CommunityCreate, *, actor: Actor) -> Community:
    actor.require(Permission.SHARING_COMMUNITY_MANAGE)
    errors = programme_errors(session, data)
    if errors:
        raise ValidationFailed(errors)
    c = Community(id=new_id(), name_ja=data.name_ja, name_en=data.name_en,
                  description=data.description, manager_id=actor.id,
                  organisation_id=actor.organisation_id, **rule_columns(data))
    session.add(c)
    session.flush()
    _audit(session, actor, "community:create", "community", c.id,
           min_level=c.min_level, programmes=c.programmes)
    return c


def list_communities(session: Session, *, actor: Actor, cursor: str | None = None,
                     limit: int = DEFAULT_PAGE) -> tuple[list[Community], str | None]:
    """A page of the communities, oldest first (ids are time-ordered), and the cursor of
    the next page."""
    actor.require(Permission.SHARING_COMMUNITY_READ)
    return page(session, select(Community), [Community.id], cursor=cursor, limit=limit)


def read_community(session: Session, community_id: str, *, actor: Actor,
                   for_update: bool = False) -> Community:
    actor.require(Permission.SHARING_COMMUNITY_READ)
    c = get_by_id(session, Community, community_id, for_update=for_update)
    if c is None:
        raise NotFound("community not found")
    return c


def _membership(session: Session, community_id: str, person_id: str | None
                ) -> CommunityMember | None:
    if person_id is None:
        return None
    return session.scalar(select(CommunityMember).where(
        CommunityMember.community_id == community_id, CommunityMember.person_id == person_id))


def view(session: Session, c: Community, actor: Actor,
         e: rules.Eligibility | None = None) -> CommunityView:
    """The community for the caller; `e` their eligibility, if already decided."""
    m = _membership(session, c.id, actor.person_id)
    if e is None and actor.person_id:
        e = eligibility(session, c, actor.person_id)
    return CommunityView(id=c.id, name_ja=c.name_ja, name_en=c.name_en,
                         description=c.description, rule=rule_view(c),
                         manager_id=c.manager_id, created_at=c.created_at,
                         membership=m.status if m else None,
                         eligibility=eligibility_view(e) if e else None)


def _refuse_ineligible(e: rules.Eligibility) -> None:
    if not e.eligible:
        raise ValidationFailed([("person", code) for code in e.reasons])


def apply(session: Session, community_id: str, *, actor: Actor) -> CommunityMember:
    """A person asks to join; refused at once (with every reason) if the rule does not
    admit them today."""
    actor.require(Permission.SHARING_COMMUNITY_PARTICIPATE)
    c = read_community(session, community_id, actor=actor)
    _refuse_ineligible(eligibility(session, c, actor.person_id))
    m = _membership(session, c.id, actor.person_id)
    if m is not None and m.status in ("applied", "admitted"):
        raise Conflict(f"already {m.status}", field="status")
    if m is None:
        m = CommunityMember(id=new_id(), community_id=c.id, person_id=actor.person_id)
        session.add(m)
    m.status, m.applied_at, m.decided_by, m.decided_at, m.ended_at, m.reason = (
        "applied", utcnow(), None, None, None, "")
    session.flush()
    _audit(session, actor, "community:apply", "community_member", m.id, community=c.id)
    notify(session, c.manager_id, "community_application", {"community": c.name_en},
           f"community_application:{m.id}:{m.applied_at.isoformat()}")
    return m


def _managed_member(session: Session, membership_id: str, actor: Actor
                    ) -> tuple[CommunityMember, Community]:
    actor.require(Permission.SHARING_COMMUNITY_MANAGE)
    m = get_by_id(session, CommunityMember, membership_id, for_update=True)
    c = session.get(Community, m.community_id) if m else None
    if m is None or not manages(actor, c.manager_id):
        raise NotFound("membership not found")
    return m, c


def _tell_member(session: Session, m: CommunityMember, c: Community, kind: str) -> None:
    from hozen.accounts.models import User

    for user_id in session.scalars(select(User.id).where(User.person_id == m.person_id,
                                                         User.active.is_(True))):
        notify(session, user_id, kind, {"community": c.name_en},
               f"{kind}:{m.id}:{utcnow().isoformat()}")


def decide_member(session: Session, membership_id: str, data: MemberDecision, *,
                  actor: Actor) -> CommunityMember:
    """The manager (or a government official) admits, re-checking the rule, or refuses."""
    m, c = _managed_member(session, membership_id, actor)
    if m.status != "applied":
        raise Conflict(f"the membership is {m.status}", field="status")
    if data.admit:
        _refuse_ineligible(eligibility(session, c, m.person_id))
    m.status = "admitted" if data.admit else "refused"
    m.decided_by, m.decided_at, m.reason = actor.id, utcnow(), data.reason
    _audit(session, actor, "community:admit" if data.admit else "community:refuse",
           "community_member", m.id, community=c.id, person=m.person_id)
    _tell_member(session, m, c, "community_admitted" if data.admit else "community_refused")
    return m


def remove_member(session: Session, membership_id: str, data: MemberRemoval, *,
                  actor: Actor) -> CommunityMember:
    m, c = _managed_member(session, membership_id, actor)
    if m.status not in ("applied", "admitted"):
        raise Conflict(f"the membership is {m.status}", field="status")
    m.status, m.ended_at, m.reason = "removed", utcnow(), data.reason
    _audit(session, actor, "community:remove", "community_member", m.id, community=c.id,
           person=m.person_id)
    _tell_member(session, m, c, "community_removed")
    return m


def leave(session: Session, community_id: str, *, actor: Actor) -> CommunityMember:
    actor.require(Permission.SHARING_COMMUNITY_PARTICIPATE)
    c = read_community(session, community_id, actor=actor)
    m = _membership(session, c.id, actor.person_id)
    if m is None or m.status not in ("applied", "admitted"):
        raise Conflict("not a member", field="status")
    m.status, m.ended_at = "left", utcnow()
    _audit(session, actor, "community:leave", "community_member", m.id, community=c.id)
    return m


def _member_view(m: CommunityMember, name: str, e: rules.Eligibility) -> MemberView:
    return MemberView(
        id=m.id, community_id=m.community_id, person_id=m.person_id, name=name,
        status=m.status, applied_at=m.applied_at, decided_at=m.decided_at,
        active=m.status == "admitted" and e.eligible,
        reasons=list(e.reasons) if m.status in ("applied", "admitted") else [])


def member_view(session: Session, m: CommunityMember, c: Community | None = None
                ) -> MemberView:
    c = c or session.get(Community, m.community_id)
    return _member_view(m, person_name(session, m.person_id),
                        eligibility(session, c, m.person_id))


def members(session: Session, community_id: str, *, actor: Actor, cursor: str | None = None,
            limit: int = DEFAULT_PAGE) -> tuple[list[MemberView], str | None]:
    """A page of the applicants and members, in the order they applied, with their live
    standing (an admitted member whose clearance lapsed, was suspended or revoked, or who
    departed, shows as inactive with the reasons), and the cursor of the next page."""
    actor.require(Permission.SHARING_COMMUNITY_MANAGE)
    c = read_community(session, community_id, actor=actor)
    if not manages(actor, c.manager_id):
        raise NotFound("community not found")
    rows, nxt = page(session, select(CommunityMember).where(
        CommunityMember.community_id == c.id),
        [CommunityMember.applied_at, CommunityMember.id], cursor=cursor, limit=limit)
    ids = [m.person_id for m in rows]
    named = standing.names(session, ids, actor=actor, purpose="community_members")
    known = standing.standings(session, c, ids)
    out = [_member_view(m, named[m.person_id], known[m.person_id]) for m in rows]
    _audit(session, actor, "community:members", "community", c.id, count=len(out))
    return out, nxt


# --- what members share -----------------------------------------------------------------------


def member_access(session: Session, community_id: str, *, actor: Actor
                  ) -> tuple[Community, access.Subject, frozenset[str]]:
    """An admitted member whom the rule admits today: the community, the member's live
    attributes and the levels of its material they may read. Anyone else is refused."""
    actor.require(Permission.SHARING_COMMUNITY_PARTICIPATE)
    c = read_community(session, community_id, actor=actor)
    m = _membership(session, c.id, actor.person_id)
    if m is None or m.status != "admitted":
        raise Forbidden("not a member of this community")
    s, kind = subject(session, actor.person_id)
    rule, ctx = rule_of(c), context()
    e = rules.eligibility(rule, s, kind, ctx)
    if not e.eligible:
        raise Forbidden("access to this community has ended: " + ", ".join(e.reasons))
    return c, s, rules.visible_levels(rule, s, ctx)


def list_posts(session: Session, community_id: str, *, actor: Actor,
               cursor: str | None = None, limit: int = DEFAULT_PAGE
               ) -> tuple[list[PostView], str | None]:
    """A page of the posts the member may read, newest first (one query over the levels
    the decision permits), with their authors' names, and the cursor of the next page."""
    c, _s, levels = member_access(session, community_id, actor=actor)
    rows, nxt = page(session, select(CommunityPost).where(
        CommunityPost.community_id == c.id, CommunityPost.level.in_(sorted(levels))),
        [CommunityPost.created_at, CommunityPost.id], cursor=cursor, limit=limit,
        newest_first=True)
    named = standing.names(session, [p.author_id for p in rows], actor=actor,
                           purpose="community_posts")
    _audit(session, actor, "community:read", "community", c.id, posts=len(rows))
    return [_post_view(p, named[p.author_id]) for p in rows], nxt


def _level_errors(levels: frozenset[str], level: str) -> list[tuple[str, str]]:
    """A member shares only at a level they may read themself."""
    return [] if level in levels else [("level", "level_not_permitted")]


def create_post(session: Session, community_id: str, data: PostCreate, *,
                actor: Actor) -> CommunityPost:
    c, _s, levels = member_access(session, community_id, actor=actor)
    errors = _level_errors(levels, data.level)
    if errors:
        raise ValidationFailed(errors)
    p = CommunityPost(id=new_id(), community_id=c.id, author_id=actor.person_id,
                      title=data.title, body=data.body, level=data.level, tlp=data.tlp)
    session.add(p)
    session.flush()
    _audit(session, actor, "community:post", "community_post", p.id, community=c.id,
           level=p.level, tlp=p.tlp)
    return p


def _post_view(p: CommunityPost, author: str) -> PostView:
    return PostView(id=p.id, community_id=p.community_id, author_id=p.author_id,
                    author=author, title=p.title, body=p.body, level=p.level, tlp=p.tlp,
                    created_at=p.created_at)


def post_view(session: Session, p: CommunityPost) -> PostView:
    return _post_view(p, person_name(session, p.author_id))


def upload_file(session: Session, community_id: str, data: FileCreate, *,
                actor: Actor) -> SharedFile:
    c, _s, levels = member_access(session, community_id, actor=actor)
    errors = _level_errors(levels, data.level)
    content = decode_file(data) if not errors else b""
    if errors:
        raise ValidationFailed(errors)
    f = SharedFile(id=new_id(), community_id=c.id, title=data.title, filename=data.filename,
                   content_type=data.content_type, size=len(content), content=content,
                   level=data.level, tlp=data.tlp, uploaded_by=actor.id)
    session.add(f)
    session.flush()
    _audit(session, actor, "community:file", "shared_file", f.id, community=c.id,
           level=f.level, size=f.size)
    return f


def list_files(session: Session, community_id: str, *, actor: Actor,
               cursor: str | None = None, limit: int = DEFAULT_PAGE
               ) -> tuple[list[SharedFile], str | None]:
    """A page of the files the member may read, newest first (their contents not read),
    and the cursor of the next page."""
    c, _s, levels = member_access(session, community_id, actor=actor)
    return page(session, select(SharedFile).options(defer(SharedFile.content)).where(
        SharedFile.community_id == c.id, SharedFile.level.in_(sorted(levels))),
        [SharedFile.created_at, SharedFile.id], cursor=cursor, limit=limit, newest_first=True)


def read_file(session: Session, file_id: str, *, actor: Actor) -> SharedFile:
    """A community's file, for a member the decision permits at its level (not found
    alike for missing and not permitted)."""
    actor.require(Permission.SHARING_COMMUNITY_PARTICIPATE)
    f = get_by_id(session, SharedFile, file_id)
    if f is None or f.community_id is None:
        raise NotFound("file not found")
    try:
        _c, _s, levels = member_access(session, f.community_id, actor=actor)
    except Forbidden:
        raise NotFound("file not found") from None
    if f.level not in levels:
        raise NotFound("file not found")
    _audit(session, actor, "community:download", "shared_file", f.id)
    return f


def counts(session: Session, community_ids: list[str]) -> dict[str, int]:
    """Admitted members of each of a page of communities (the list page)."""
    if not community_ids:
        return {}
    return dict(session.execute(select(CommunityMember.community_id, func.count()).where(
        CommunityMember.community_id.in_(community_ids),
        CommunityMember.status == "admitted").group_by(CommunityMember.community_id)).all())

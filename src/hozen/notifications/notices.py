"""Mass notices (issue 9, item 7): the government window or an agency writes one notice to
the security officers of a chosen set of organisations, delivered through the notification
service (their inbox, and e-mail when configured), and sees who has read it.

An agency official sees its own agency's notices; the window sees every notice. A notice
is worded as written (Japanese or English): it is the sender's text, not a template."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen.access.models import Programme
from hozen.accounts.actor import Actor
from hozen.accounts.models import User, UserRole
from hozen.accounts.permissions import Permission, Role
from hozen.audit.services import record
from hozen.db import is_id, new_id, split_list, utcnow
from hozen.errors import NotFound, ValidationFailed
from hozen.facilities import rules as facility_rules
from hozen.facilities.models import Facility
from hozen.facilities.services import state_today
from hozen.notifications import services as notifications
from hozen.notifications.models import Notification
from hozen.notifications.notice_models import MassNotice, MassNoticeRecipient
from hozen.notifications.notice_rules import (
    FACILITY_LEVELS,
    Audience,
    OrgFacts,
    select_organisations,
)
from hozen.paging import DEFAULT_PAGE, page
from hozen.registry.models import ORG_KINDS, Organisation
from hozen.text import normalize

KIND = "mass_notice"  # the notification kind (notifications.services.TEXTS)
RECIPIENT_ROLE = Role.COMPANY_SECURITY_OFFICER  # a company's or university's officer


class NoticeCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    kinds: list[Literal[ORG_KINDS]] = Field(default_factory=list, max_length=len(ORG_KINDS))  # type: ignore[valid-type]
    min_level: Literal[FACILITY_LEVELS] | None = None  # type: ignore[valid-type]
    programmes: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("title", "body")
    @classmethod
    def _text(cls, value: str, info) -> str:
        # The title on one line; the body as written, its paragraphs kept.
        value = normalize(value) if info.field_name == "title" else value.strip()
        if not value or "\x00" in value:
            raise ValueError("blank")
        return value

    @property
    def audience(self) -> Audience:
        return Audience(kinds=frozenset(self.kinds), min_level=self.min_level,
                        programmes=frozenset(self.programmes))


class Preview(BaseModel):
    organisations: int  # organisations in the audience
    recipients: int  # their security officers, who will receive it
    without_officer: int  # organisations in the audience that have no security officer


class Receipt(BaseModel):
    organisation_id: str
    organisation_ja: str
    organisation_en: str
    user_id: str  # an opaque id: the officer's name is not shown here
    read: bool
    read_at: datetime | None


class NoticeView(BaseModel):
    id: str
    title: str
    body: str
    audience: dict
    sender_id: str
    sender_organisation_id: str | None
    sent_at: datetime
    recipients: int
    read: int
    receipts: list[Receipt] | None = None


# --- the audience ------------------------------------------------------------------------


def _audience_errors(session: Session, data: NoticeCreate) -> list[tuple[str, str]]:
    if not data.audience.bounded:
        return [("kinds", "audience_required")]
    known = set(session.scalars(select(Programme.id).where(
        Programme.id.in_([p for p in data.programmes if is_id(p)]))))
    return [(f"programmes.{i}", "programme_unknown")
            for i, p in enumerate(data.programmes) if p not in known]


def organisation_facts(session: Session, on: date | None = None) -> list[OrgFacts]:
    """Every organisation with its certifications in force and its programmes (three
    queries, whatever the number of organisations)."""
    day = on or utcnow().date()
    levels: dict[str, set[str]] = {}
    for f in session.scalars(select(Facility).where(
            Facility.state.in_([s.value for s in facility_rules.IN_FORCE]))):
        if state_today(f, day) in facility_rules.IN_FORCE:
            levels.setdefault(f.organisation_id, set()).add(f.level)
    programmes: dict[str, set[str]] = {}
    for pid, orgs in session.execute(select(Programme.id, Programme.organisations)):
        for org_id in split_list(orgs):
            programmes.setdefault(org_id, set()).add(pid)
    return [OrgFacts(id=oid, kind=kind, levels=frozenset(levels.get(oid, ())),
                     programmes=frozenset(programmes.get(oid, ())))
            for oid, kind in session.execute(select(Organisation.id, Organisation.kind))]


def _officers(session: Session, org_ids: list[str]) -> list[tuple[str, str]]:
    """(user id, organisation id) of the active security officers of the organisations."""
    if not org_ids:
        return []
    return [(u, o) for u, o in session.execute(
        select(User.id, User.organisation_id).join(UserRole).where(
            User.organisation_id.in_(org_ids), User.active.is_(True),
            UserRole.role == RECIPIENT_ROLE.value).order_by(User.organisation_id, User.id))]


def _resolve(session: Session, data: NoticeCreate) -> tuple[list[str], list[tuple[str, str]]]:
    if errors := _audience_errors(session, data):
        raise ValidationFailed(errors)
    org_ids = select_organisations(organisation_facts(session), data.audience)
    return org_ids, _officers(session, org_ids)


def preview(session: Session, data: NoticeCreate, *, actor: Actor) -> Preview:
    """How many organisations and officers a notice would reach; nothing is written."""
    actor.require(Permission.NOTICES_SEND)
    org_ids, officers = _resolve(session, data)
    reached = {org for _, org in officers}
    return Preview(organisations=len(org_ids), recipients=len(officers),
                   without_officer=len(set(org_ids) - reached))


# --- sending and reading -----------------------------------------------------------------


def send_notice(session: Session, data: NoticeCreate, *, actor: Actor) -> MassNotice:
    """Send the notice to every security officer of the audience's organisations, one inbox
    entry each; audited with the audience and the counts."""
    actor.require(Permission.NOTICES_SEND)
    org_ids, officers = _resolve(session, data)
    if not officers:
        raise ValidationFailed([("kinds", "audience_empty")])
    notice = MassNotice(id=new_id(), title=data.title, body=data.body,
                        audience=json.dumps(data.audience.as_dict(), sort_keys=True),
                        sender_id=actor.id, sender_organisation_id=actor.organisation_id,
                        sent_at=utcnow())
    session.add(notice)
    params = {"notice_id": notice.id, "title": data.title, "body": data.body}
    for user_id, _ in officers:
        notifications.notify(session, user_id, KIND, params, _dedupe(notice.id, user_id),
                             at=notice.sent_at)
    session.flush()
    entries = {u: n for u, n in session.execute(
        select(Notification.user_id, Notification.id).where(
            Notification.dedupe_key.in_([_dedupe(notice.id, u) for u, _ in officers])))}
    session.add_all([MassNoticeRecipient(id=new_id(), notice_id=notice.id, user_id=user_id,
                                         organisation_id=org_id,
                                         notification_id=entries.get(user_id))
                     for user_id, org_id in officers])
    record(session, actor=actor.audit_name, tag="notifications:mass-notice:send",
           subject_type="mass_notice", subject_id=notice.id,
           details={"audience": data.audience.as_dict(), "organisations": len(org_ids),
                    "recipients": len(officers)})
    session.flush()
    return notice


def _dedupe(notice_id: str, user_id: str) -> str:
    return f"{KIND}:{notice_id}:{user_id}"


def _visible(actor: Actor):
    """The window sees every notice; an agency official its own agency's."""
    q = select(MassNotice)
    if Role.WINDOW_OFFICER not in actor.roles and not actor.is_system:
        q = q.where(MassNotice.sender_organisation_id == (actor.organisation_id or "-"))
    return q


def _counts(session: Session, notice_ids: list[str]) -> dict[str, tuple[int, int]]:
    if not notice_ids:
        return {}
    rows = session.execute(
        select(MassNoticeRecipient.notice_id, func.count(),
               func.count(Notification.read_at))
        .outerjoin(Notification, Notification.id == MassNoticeRecipient.notification_id)
        .where(MassNoticeRecipient.notice_id.in_(notice_ids))
        .group_by(MassNoticeRecipient.notice_id))
    return {nid: (total, read) for nid, total, read in rows}


def _view(notice: MassNotice, counts: tuple[int, int], receipts=None) -> NoticeView:
    return NoticeView(id=notice.id, title=notice.title, body=notice.body,
                      audience=json.loads(notice.audience), sender_id=notice.sender_id,
                      sender_organisation_id=notice.sender_organisation_id,
                      sent_at=notice.sent_at, recipients=counts[0], read=counts[1],
                      receipts=receipts)


def list_notices(session: Session, *, actor: Actor, cursor: str | None = None,
                 limit: int = DEFAULT_PAGE) -> tuple[list[NoticeView], str | None]:
    """A page of the notices the actor may see, newest first (ids are time-ordered), with
    how many have read each, and the cursor of the next page."""
    actor.require(Permission.NOTICES_READ)
    notices, nxt = page(session, _visible(actor), [MassNotice.id], cursor=cursor,
                        limit=limit, newest_first=True)
    counts = _counts(session, [n.id for n in notices])
    return [_view(n, counts.get(n.id, (0, 0))) for n in notices], nxt


def read_notice(session: Session, notice_id: str, *, actor: Actor) -> NoticeView:
    """One notice with a receipt per recipient; another agency's notice is "not found"."""
    actor.require(Permission.NOTICES_READ)
    notice = session.scalar(_visible(actor).where(MassNotice.id == notice_id)) if is_id(
        notice_id) else None
    if notice is None:
        raise NotFound("no such notice")
    rows = session.execute(
        select(MassNoticeRecipient.organisation_id, Organisation.name_ja,
               Organisation.name_en, MassNoticeRecipient.user_id, Notification.read_at)
        .join(Organisation, Organisation.id == MassNoticeRecipient.organisation_id)
        .outerjoin(Notification, Notification.id == MassNoticeRecipient.notification_id)
        .where(MassNoticeRecipient.notice_id == notice.id)
        .order_by(Organisation.name_ja, MassNoticeRecipient.user_id))
    receipts = [Receipt(organisation_id=o, organisation_ja=ja, organisation_en=en,
                        user_id=u, read=read_at is not None, read_at=read_at)
                for o, ja, en, u, read_at in rows]
    return _view(notice, (len(receipts), sum(r.read for r in receipts)), receipts)

"""What the role × route matrix (test_permissions_matrix.py) acts on for the routes and
forms of mass notices: a standing notice the agency official sent to the security officers
of companies (the world's company's officer among them), which the window and the agency
official both see. An allowed send goes to the companies' officers too."""

from __future__ import annotations

from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import unit_of_work
from hozen.notifications import notices
from hozen.notifications.models import Notification
from hozen.notifications.notice_models import MassNotice, MassNoticeRecipient

ROUTES = ("/api/v1/notices",)
FORMS = ("/notices",)
PAGE_IDS = {"notice_id": "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11"}
WEB = {
    ("GET", "/notices"): "page",
    ("POST", "/notices"): "form",
    ("GET", "/notices/{notice_id}"): "page",
}
WO, AGO, CSO = Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER


def body(title: str) -> dict:
    return {"title": title, "body": "保全規程の改定について", "kinds": ["company"]}


def standing(env) -> str:
    """The agency official's notice to the companies' security officers (made once)."""
    if "notice" not in env.cases:
        with unit_of_work(env.engine) as s:
            env.cases["notice"] = notices.send_notice(
                s, notices.NoticeCreate(**body("行列のお知らせ")),
                actor=env.world.users[AGO].actor).id
    return env.cases["notice"]


def request(env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    if method == "POST":
        return path, body(f"notice of {role.value}")
    return path.format(notice_id=standing(env)), None


def form(env, path: str, page_url, fresh: bool):
    """(role, URL, data) of the compose form: the window sends to the companies."""
    assert path == "/notices", f"no form for {path}"
    return WO, page_url(env, path), {"title": "画面からのお知らせ", "body": "本文",
                                     "kinds": "company", "action": "send"}


def left_behind(env, s, method: str, path: str, role: Role, url: str, body, answer) -> None:
    """What an allowed request wrote (or, for a read, found), checked in the database."""
    user_id, officer = env.world.users[role].user_id, env.world.users[CSO].user_id
    if method == "POST":
        notice = s.get(MassNotice, answer["id"])
        assert (notice.sender_id, notice.title) == (user_id, body["title"])
        assert officer in {r["user_id"] for r in answer["receipts"]}
        entry = s.scalar(select(Notification).join(
            MassNoticeRecipient, MassNoticeRecipient.notification_id == Notification.id).where(
            MassNoticeRecipient.notice_id == notice.id, MassNoticeRecipient.user_id == officer))
        assert entry.kind == "mass_notice" and entry.read_at is None
        event = s.scalar(select(AuditEvent).where(
            AuditEvent.tag == "notifications:mass-notice:send",
            AuditEvent.subject_id == notice.id))
        assert event.actor == f"user:{user_id}"
    elif path == "/api/v1/notices":
        assert standing(env) in {n["id"] for n in answer}
        if role is AGO:  # its own agency's only
            assert {n["sender_organisation_id"] for n in answer} == {env.world.gov.id}
    else:
        assert answer["id"] == standing(env) == url.rsplit("/", 1)[1]
        assert officer in {r["user_id"] for r in answer["receipts"]}

"""Users, sign-in, web sessions and API tokens."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.models import ApiToken, User, UserRole, WebSession
from hozen.accounts.permissions import Role
from hozen.audit.services import record
from hozen.crypto import get_keyring
from hozen.db import new_id, utcnow
from hozen.errors import Forbidden, Unauthenticated, ValidationFailed
from hozen.registry.models import Organisation, Person

_hasher = PasswordHasher()
# Verified against when the user is unknown, so both paths cost one Argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 12
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, roles=user.roles,
                 organisation_id=user.organisation_id, person_id=user.person_id)


def seal_profile(user_id: str, display_name: str, email: str | None) -> bytes:
    doc = {"display_name": display_name, "email": email}
    return get_keyring().encrypt(json.dumps(doc, ensure_ascii=False).encode(),
                                 f"hozen:user:{user_id}")


def profile(user: User) -> dict:
    """The user's display name and e-mail address, decrypted."""
    return json.loads(get_keyring().decrypt(user.profile, f"hozen:user:{user.id}"))


def create_user(session: Session, *, username: str, password: str, display_name: str,
                organisation_id: str, roles: list[Role], person_id: str | None = None,
                email: str | None = None, actor: Actor) -> User:
    """Create a platform user (command line or system administration)."""
    if not actor.is_system and Role.SYSTEM_ADMIN not in actor.roles:
        raise Forbidden("only a system administrator creates users")
    errors = []
    if not USERNAME_RE.match(username) or session.scalar(
            select(User.id).where(User.username == username)):
        errors.append(("username", "invalid"))
    if len(password) < MIN_PASSWORD:
        errors.append(("password", "too_short"))
    if session.get(Organisation, organisation_id) is None:
        errors.append(("organisation_id", "organisation_unknown"))
    if Role.SUBJECT in roles and (person_id is None or session.get(Person, person_id) is None):
        errors.append(("person_id", "person_unknown"))
    if not roles:
        errors.append(("roles", "required"))
    if email is not None and not EMAIL_RE.match(email):
        errors.append(("email", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    user_id = new_id()
    user = User(id=user_id, username=username,
                profile=seal_profile(user_id, display_name, email),
                password_hash=_hasher.hash(password), organisation_id=organisation_id,
                person_id=person_id, role_rows=[UserRole(role=r.value) for r in set(roles)])
    session.add(user)
    session.flush()
    record(session, actor=actor.audit_name, tag="accounts:user:create", subject_type="user",
           subject_id=user.id, details={"roles": sorted(r.value for r in roles)})
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """Unknown user and wrong password take the same path: one Argon2 verify each."""
    # A name that cannot exist is looked up as nobody (PostgreSQL also refuses NUL).
    fresh = not session.in_transaction()
    user = (session.scalar(select(User).where(User.username == username))
            if USERNAME_RE.match(username) else None)
    hashed = user.password_hash if user is not None else _DUMMY_HASH
    user_id, active = (user.id, user.active) if user is not None else (None, False)
    if fresh:  # only this read to end: no lock held through the verify (SQLite: the
        session.rollback()  # write lock, which every transaction takes, for ~50-100 ms)
    try:
        ok = _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or not active:
        record(session, actor="anonymous", tag="accounts:login:fail", subject_type="user",
               subject_id=user_id)
        raise Unauthenticated("wrong user name or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(session: Session, user: User, hours: float) -> tuple[str, WebSession]:
    """A fresh session id on every sign-in (no fixation); returns the cookie value."""
    raw = secrets.token_urlsafe(32)
    ws = WebSession(id_hash=sha256_hex(raw), user_id=user.id,
                    csrf_token=secrets.token_urlsafe(32),
                    expires_at=utcnow() + timedelta(hours=hours))
    session.add(ws)
    record(session, actor=f"user:{user.id}", tag="accounts:session:start",
           subject_type="user", subject_id=user.id)
    return raw, ws


def resolve_session(session: Session, raw: str) -> tuple[User, WebSession] | None:
    ws = session.get(WebSession, sha256_hex(raw))
    if ws is None or ws.expires_at <= utcnow():
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.active:
        return None
    return user, ws


def end_session(session: Session, raw: str) -> None:
    ws = session.get(WebSession, sha256_hex(raw))
    if ws is not None:
        session.delete(ws)
        record(session, actor=f"user:{ws.user_id}", tag="accounts:session:end",
               subject_type="user", subject_id=ws.user_id)


def create_token(session: Session, username: str, label: str, *, actor: Actor,
                 days: int | None = 90) -> str:
    """A new bearer token for `username`; the clear value is returned once, never stored."""
    if not actor.is_system and Role.SYSTEM_ADMIN not in actor.roles:
        raise Forbidden("only a system administrator creates tokens")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValidationFailed([("username", "invalid")])
    raw = "hzn_" + secrets.token_urlsafe(32)
    token = ApiToken(id=new_id(), token_hash=sha256_hex(raw), user_id=user.id, label=label,
                     expires_at=utcnow() + timedelta(days=days) if days else None)
    session.add(token)
    record(session, actor=actor.audit_name, tag="accounts:token:create", subject_type="user",
           subject_id=user.id, details={"token": token.id, "label": label})
    return raw


def users_with_role(session: Session, organisation_ids, role: Role) -> list[str]:
    """Ids of the active users holding `role` in any of the organisations (notices)."""
    return list(session.scalars(select(User.id).join(UserRole).where(
        User.organisation_id.in_(list(organisation_ids)), User.active.is_(True),
        UserRole.role == role.value).order_by(User.id)))

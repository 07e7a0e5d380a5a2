"""API tokens a signed-in user issues for themself (TAXII clients, scripts): the clear
value is shown once and only its SHA-256 is kept; each expires and can be revoked. Sent as
a bearer token, or as the password of HTTP Basic for clients that speak only Basic —
never the account's password."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access.cache import Cache
from hozen.accounts.actor import Actor
from hozen.accounts.models import ApiToken, User
from hozen.accounts.permissions import Permission
from hozen.accounts.services import actor_for, sha256_hex
from hozen.audit.services import record
from hozen.db import get_by_id, new_id, utcnow
from hozen.errors import Conflict, NotFound, ValidationFailed

MAX_DAYS = 365
MAX_ACTIVE = 20
# Token hash -> (actor, expiry), kept while the accounts epoch stands (hozen.access.cache).
_actors = Cache(10_000)


def token_from_header(header: str) -> str | None:
    """The token of an Authorization header: `Bearer <token>`, or `Basic` with the token
    as the password (the user name is ignored: the token names its user)."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return value
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password.startswith("hzn_") else None
    return None


def issue(session: Session, label: str, days: int, *, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for the actor themself: (its row, the clear value, to show once)."""
    actor.require(Permission.TOKENS_SELF)
    label = (label or "").strip()
    errors = []
    if not label or len(label) > 100 or "\x00" in label:
        errors.append(("label", "required" if not label else "invalid"))
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        errors.append(("days", "invalid"))
    if errors:
        raise ValidationFailed(errors)
    if len(list_tokens(session, actor=actor)) >= MAX_ACTIVE:
        raise Conflict("too many active tokens; revoke one first", field="label")
    raw = "hzn_" + secrets.token_urlsafe(32)
    token = ApiToken(id=new_id(), token_hash=sha256_hex(raw), user_id=actor.id, label=label,
                     expires_at=utcnow() + timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, actor=actor.audit_name, tag="accounts:token:issue", subject_type="user",
           subject_id=actor.id, details={"token": token.id, "label": label, "days": days})
    return token, raw


def list_tokens(session: Session, *, actor: Actor) -> list[ApiToken]:
    """The actor's own tokens that still work (not revoked, not expired)."""
    actor.require(Permission.TOKENS_SELF)
    now = utcnow()
    return [t for t in session.scalars(select(ApiToken).where(
        ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id))
        if t.expires_at is None or t.expires_at > now]


def revoke(session: Session, token_id: str, *, actor: Actor) -> ApiToken:
    """Revoke one of the actor's own tokens; anyone else's is not found."""
    actor.require(Permission.TOKENS_SELF)
    token = get_by_id(session, ApiToken, token_id, for_update=True)
    if token is None or token.user_id != actor.id:
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, actor=actor.audit_name, tag="accounts:token:revoke",
               subject_type="user", subject_id=actor.id, details={"token": token.id})
    return token


def cached_actor(session: Session, raw: str, accounts_epoch: str | None) -> Actor | None:
    """The actor a token stands for (None: unknown, revoked, expired, user inactive),
    read once and kept while the accounts epoch read in this transaction stands: a
    revocation, a role change or a deactivation in any process moves it."""
    digest = sha256_hex(raw)

    def load() -> tuple[Actor, object] | None:
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
        if token is None or token.revoked_at is not None:
            return None
        user = session.get(User, token.user_id)
        return (actor_for(user), token.expires_at) if user is not None and user.active \
            else None

    found = _actors.get(digest, accounts_epoch, load)
    if found is None or (found[1] is not None and found[1] <= utcnow()):
        return None
    return found[0]

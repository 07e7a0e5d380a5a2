"""Sign-in throttling (OWASP ASVS V2.2): repeated failed sign-ins for one user name, or
from one client address, are slowed and then refused until the window passes.

The count lives in the database (`login_attempt`) so that every server process sees the
same failures. An attempt is written and committed *before* its password is checked, so
concurrent guesses count each other and cannot slip past the limit together. A refused
attempt checks no password and is not counted (an attacker cannot extend a lock without
end); it is audited. Known and unknown user names are counted and refused alike."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hozen.accounts.models import LoginAttempt, User
from hozen.accounts.services import USERNAME_RE
from hozen.audit.services import record
from hozen.config import get_settings
from hozen.crypto import BLIND_BYTES
from hozen.db import unit_of_work, utcnow

ACCOUNT_LIMIT = 5  # failures for one user name within the window
ADDRESS_LIMIT = 20  # failures from one client address within the window
WINDOW = timedelta(minutes=15)
SLOW_AFTER = 2  # failures of a user name before each further check is delayed
MAX_DELAY = 4.0  # seconds
PRUNE_EVERY = timedelta(minutes=1)  # per process: old attempts are deleted this often

# --- rules (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    refused: bool
    delay: float = 0.0  # seconds to wait before checking the password
    retry_after: int = 0  # seconds until a refused attempt may be made again
    scope: str | None = None  # "account" or "address": what was over its limit


def account_failures(attempts: Sequence[tuple[datetime, bool]], now: datetime,
                     window: timedelta = WINDOW) -> list[datetime]:
    """The failures of one user name that count: in the window, after its last success
    (later than `now` too: a concurrent attempt that began a moment after this one)."""
    start = now - window
    last_ok = max((at for at, ok in attempts if ok), default=None)
    if last_ok is not None:
        start = max(start, last_ok)
    return sorted(at for at, ok in attempts if not ok and at > start)


def _wait(failures: list[datetime], limit: int, now: datetime, window: timedelta) -> int:
    """Seconds until fewer than `limit` of the (sorted) failures remain in the window."""
    if len(failures) < limit:
        return 0
    frees_at = failures[len(failures) - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def judge(account: Sequence[tuple[datetime, bool]], address_failures: Sequence[datetime],
          now: datetime, *, account_limit: int = ACCOUNT_LIMIT,
          address_limit: int = ADDRESS_LIMIT, window: timedelta = WINDOW) -> Verdict:
    """Whether one more password check may be made, given the earlier attempts for the
    user name (time, succeeded) and the earlier failures from the address."""
    by_account = account_failures(account, now, window)
    by_address = sorted(at for at in address_failures if at > now - window)
    waits = {"account": _wait(by_account, account_limit, now, window),
             "address": _wait(by_address, address_limit, now, window)}
    scope = max(waits, key=lambda k: waits[k])
    if waits[scope]:
        return Verdict(refused=True, retry_after=waits[scope], scope=scope)
    return Verdict(refused=False, delay=delay_for(len(by_account)))


def delay_for(failures: int) -> float:
    """Doubling delays once a user name has failed SLOW_AFTER times: 1, 2, 4 s."""
    if failures < SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY, float(2 ** (failures - SLOW_AFTER)))


def client_address(peer: str | None, forwarded_for: str,
                   trusted: frozenset[str]) -> str:
    """The address to count: the peer's, unless the peer is a trusted reverse proxy; then
    the nearest X-Forwarded-For hop that is not one (hops further left are the client's
    own to forge)."""
    if not peer:
        return "unknown"
    if peer not in trusted:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return "invalid"
    return peer


# --- service ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    id: str
    account_key: bytes
    verdict: Verdict


def _throttle_key() -> bytes:
    """Not the keyring's index key: `hozen keys rotate` switches that, and counts keyed
    under it would start afresh, a fresh set of guesses. HOZEN_SECRET_KEY is not rotated
    by it (and the settings refuse the default outside development)."""
    return hashlib.sha256(b"hozen-login-throttle\x00" + get_settings().secret_key.encode()
                          ).digest()


def _keyed(domain: str, value: str) -> bytes:
    return hmac.new(_throttle_key(), domain.encode() + b"\x00" + value.encode(),
                    hashlib.sha256).digest()[:BLIND_BYTES]


def account_key(username: str) -> bytes:
    """A keyed hash of the user name (never the name itself), the same across key
    rotations."""
    return _keyed("login.username", username)


def address_key(address: str) -> bytes:
    return _keyed("login.address", address)


def begin_attempt(session: Session, username: str, address: str,
                  now: datetime | None = None) -> Attempt:
    """Record a sign-in attempt as a failure, committed at once in a transaction of its
    own, and judge it against every other attempt in the window (those of concurrent
    requests included). `succeeded` turns it into a success; `refuse` withdraws it."""
    now = now or utcnow()
    akey, ikey = account_key(username), address_key(address)
    _maybe_prune(session, now)
    with unit_of_work(session.get_bind()) as own:  # the request's session stays unused:
        row = LoginAttempt(account_key=akey, address_key=ikey, at=now, ok=False)
        own.add(row)  # (on SQLite it would hold the write lock through the delay)
        own.flush()
        attempt_id = row.id
        own.commit()  # visible to concurrent attempts before any of them counts
        since = now - WINDOW
        account = own.execute(select(LoginAttempt.at, LoginAttempt.ok).where(
            LoginAttempt.account_key == akey, LoginAttempt.at > since,
            LoginAttempt.id != attempt_id)).all()
        address = own.scalars(select(LoginAttempt.at).where(
            LoginAttempt.address_key == ikey, LoginAttempt.at > since,
            LoginAttempt.ok.is_(False), LoginAttempt.id != attempt_id)).all()
    verdict = judge([(at, ok) for at, ok in account], address, now)
    return Attempt(attempt_id, akey, verdict)


async def pause(seconds: float) -> None:
    """Wait without holding a worker thread (tests replace this to see the delays)."""
    if seconds > 0:
        await asyncio.sleep(seconds)


def succeeded(session: Session, attempt: Attempt) -> None:
    """The password was right: the user name's earlier failures stop counting."""
    row = session.get(LoginAttempt, attempt.id)
    if row is not None:
        row.ok = True


def refuse(session: Session, attempt: Attempt, username: str) -> None:
    """Withdraw a refused attempt (it checked no password) and audit the refusal: the
    user id when the account exists, else the keyed hash of the name, never the name."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
    user_id = (session.scalar(select(User.id).where(User.username == username))
               if USERNAME_RE.match(username) else None)
    details = {"scope": attempt.verdict.scope, "retry_after": attempt.verdict.retry_after}
    if user_id is None:
        details["account_key"] = attempt.account_key.hex()
    record(session, actor="anonymous", tag="accounts:login:throttled", subject_type="user",
           subject_id=user_id, details=details)


def prune(session: Session, now: datetime | None = None) -> int:
    """Delete attempts older than the window; they no longer count for anything."""
    result = session.execute(delete(LoginAttempt).where(
        LoginAttempt.at <= (now or utcnow()) - WINDOW))
    return result.rowcount or 0


_last_prune: list[datetime] = []


def _maybe_prune(session: Session, now: datetime) -> None:
    """At most once a minute per process, in its own short transaction."""
    if _last_prune and now - _last_prune[0] < PRUNE_EVERY and _last_prune[0] <= now:
        return
    _last_prune[:] = [now]
    with unit_of_work(session.get_bind()) as own:
        prune(own, now)

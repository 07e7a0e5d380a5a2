"""Rules of the second factor (pure): TOTP codes (RFC 6238: 30-second steps, 6 digits,
one step of clock drift either way, each step used once), recovery codes, the signed
pending sign-in state, and the freshness of a re-authentication."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a code of the previous or the next step is accepted too
REAUTH_MAX_AGE = timedelta(minutes=5)  # high-risk actions (issue 11: re-authentication)
PENDING_MAX_AGE = timedelta(minutes=5)  # between the password and the code at sign-in
RECOVERY_CODES = 10
ISSUER = "hozen"


def new_secret() -> str:
    """A base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalise_code(text: str) -> str:
    """What the user typed, as plain ASCII: full-width digits and letters folded (NFKC),
    spaces and hyphens dropped, letters upper-cased."""
    folded = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in folded if c not in " -\u3000\t").upper()


def is_totp_shaped(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is, within the drift window and later than the last
    step used (a code is accepted once); None when there is none."""
    if not is_totp_shaped(code):
        return None
    current = step_at(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every candidate is compared (no early exit): the time taken reveals nothing.
        if hmac.compare_digest(code_at_step(secret, step), code) and (
                last_step is None or step > last_step):
            found = step if found is None else found
    return found


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=ISSUER)


# --- recovery codes -----------------------------------------------------------------

_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """`n` codes of 16 characters from a 32-letter alphabet (80 bits each), in groups of
    four: high entropy, so a plain SHA-256 of each is a safe thing to store."""
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_hash(code: str) -> str:
    """The stored form of a recovery code (typed with or without hyphens, any case)."""
    return hashlib.sha256(("hozen-recovery:" + normalise_code(code)).encode()).hexdigest()


def is_recovery_shaped(code: str) -> bool:
    return len(code) == 16 and all(c in _RECOVERY_ALPHABET for c in code)


# --- the pending sign-in state ------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A password checked, a second step owed: `stage` is "code" or "enrol"."""

    user_id: str
    stage: str
    expires: int  # Unix seconds


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, b"hozen:mfa:pending\x00" + payload.encode(), hashlib.sha256).hexdigest()


def sign_pending(key: bytes, user_id: str, stage: str, now: datetime) -> str:
    expires = int((now + PENDING_MAX_AGE).timestamp())
    nonce = secrets.token_urlsafe(9)
    payload = f"{user_id}.{stage}.{expires}.{nonce}"
    return base64.urlsafe_b64encode(payload.encode()).decode() + "." + _mac(key, payload)


def read_pending(keys: Iterable[bytes], value: str, now: datetime) -> Pending | None:
    """The state a cookie carries, if one of `keys` signed it and it has not expired."""
    encoded, _, mac = (value or "").rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded.encode()).decode()
        user_id, stage, expires, _nonce = payload.split(".")
        expires_at = int(expires)
    except (ValueError, UnicodeDecodeError):
        return None
    if not any(hmac.compare_digest(_mac(k, payload), mac) for k in keys):
        return None
    if stage not in ("code", "enrol") or expires_at <= now.timestamp():
        return None
    return Pending(user_id, stage, expires_at)


# --- re-authentication --------------------------------------------------------------


def reauth_fresh(reauth_at: datetime | None, now: datetime,
                 max_age: timedelta = REAUTH_MAX_AGE) -> bool:
    """Whether the password (and code) were proved recently enough for a high-risk action.
    A time in the future (clock skew between servers) counts as now."""
    return reauth_at is not None and now - reauth_at <= max_age


def mfa_required(roles: Iterable[str], subject_role: str = "subject") -> bool:
    """Every role but the subject's must use a second factor (subjects may choose to)."""
    return any(r != subject_role for r in roles)


def format_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an authenticator by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


"""The second factor: TOTP enrolment and codes, single-use recovery codes, the pending
sign-in state and re-authentication for high-risk actions (ASVS V2.7, V2.8, V3.7).

The TOTP secret is a credential: encrypted with the keyring, bound to the user id. Codes
and secrets never reach the audit log or the logs; every outcome is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hozen.accounts import mfa_rules as rules
from hozen.accounts import throttle
from hozen.accounts.actor import Actor
from hozen.accounts.models import LoginAttempt, MfaCredential, RecoveryCode, User, WebSession
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.config import get_settings
from hozen.crypto import get_keyring
from hozen.db import new_id, unit_of_work, utcnow
from hozen.errors import Conflict, DomainError, Forbidden, Unauthenticated, ValidationFailed

OTP_HEADER = "X-Hozen-OTP"


class TooManyAttempts(DomainError):
    code = "too-many-attempts"
    status = 429


def _aad(user_id: str) -> str:
    return f"hozen:mfa:{user_id}"


def _secret(cred: MfaCredential) -> str:
    return get_keyring().decrypt(cred.secret, _aad(cred.user_id)).decode()


def credential(session: Session, user_id: str) -> MfaCredential | None:
    return session.get(MfaCredential, user_id)


def is_enrolled(session: Session, user_id: str) -> bool:
    return bool(session.scalar(select(func.count()).select_from(MfaCredential).where(
        MfaCredential.user_id == user_id, MfaCredential.confirmed_at.is_not(None))))


def second_step(session: Session, user: User) -> str | None:
    """What a correct password leads to: "code" (enrolled), "enrol" (a role that must
    use a second factor, not yet enrolled) or None (a subject who has not chosen one)."""
    if is_enrolled(session, user.id):
        return "code"
    return "enrol" if rules.mfa_required(r.value for r in user.roles) else None


# --- enrolment ----------------------------------------------------------------------


def begin_enrolment(session: Session, user: User) -> str:
    """The secret to show for enrolment: the one already offered if it is unconfirmed, so
    reloading the page does not invalidate an authenticator set up a moment ago."""
    cred = credential(session, user.id)
    if cred is not None and cred.confirmed_at is not None:
        raise Conflict("a second factor is already enrolled", field="code")
    if cred is None:
        secret = rules.new_secret()
        session.add(MfaCredential(user_id=user.id, secret=get_keyring().encrypt(
            secret.encode(), _aad(user.id))))
        session.flush()
        return secret
    return _secret(cred)


def qr_data_uri(secret: str, username: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the page's CSP allows data:
    images; no script, no request leaves the page)."""
    return segno.make(rules.provisioning_uri(secret, username), error="m").svg_data_uri(
        scale=5, border=2)


def confirm_enrolment(session: Session, user: User, code: str,
                      now: datetime | None = None) -> list[str]:
    """Confirm the offered secret with one code from it; returns the recovery codes (the
    only time they exist in clear)."""
    now = now or utcnow()
    cred = credential(session, user.id)
    if cred is None or cred.confirmed_at is not None:
        raise Conflict("no enrolment in progress", field="code")
    step = rules.matching_step(_secret(cred), rules.normalise_code(code), now, None)
    if step is None:
        record(session, actor=f"user:{user.id}", tag="accounts:mfa:fail",
               subject_type="user", subject_id=user.id, details={"purpose": "enrol"})
        raise ValidationFailed([("code", "mfa_code_wrong")])
    cred.confirmed_at, cred.last_step = now, step
    codes = _replace_recovery_codes(session, user.id)
    record(session, actor=f"user:{user.id}", tag="accounts:mfa:enrol", subject_type="user",
           subject_id=user.id, details={"recovery_codes": len(codes)})
    return codes


def _replace_recovery_codes(session: Session, user_id: str) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = rules.new_recovery_codes()
    session.add_all(RecoveryCode(id=new_id(), user_id=user_id,
                                 code_hash=rules.recovery_hash(c)) for c in codes)
    session.flush()
    return codes


def regenerate_recovery_codes(session: Session, *, actor: Actor) -> list[str]:
    """New recovery codes for the actor themself (the old ones stop working)."""
    actor.require(Permission.ACCOUNTS_SELF_READ)
    if not is_enrolled(session, actor.id):
        raise Conflict("no second factor is enrolled", field="code")
    codes = _replace_recovery_codes(session, actor.id)
    record(session, actor=actor.audit_name, tag="accounts:mfa:recovery-regenerate",
           subject_type="user", subject_id=actor.id, details={"recovery_codes": len(codes)})
    return codes


def remaining_recovery_codes(session: Session, user_id: str) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


@dataclass(frozen=True)
class Issued:
    """What an operator's enrolment prints once: the secret, as an otpauth:// URI and in
    base32, and the recovery codes."""

    uri: str
    secret: str
    recovery_codes: list[str]


def enrol_by_operator(session: Session, username: str, *, replace: bool,
                      actor: Actor) -> Issued:
    """Enrol a user with a new TOTP secret at the command line (`hozen user mfa-enrol`),
    confirmed at once: a service account, used only through API tokens, cannot sign in on
    the web pages to enrol, yet its high-risk API calls need a code. A user already
    enrolled keeps their secret unless `replace` (the old secret and recovery codes then
    stop working); an enrolment begun on the web pages and not confirmed is discarded."""
    if not actor.is_system:
        raise Forbidden("an operator's enrolment is for the command line")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise ValidationFailed([("username", "invalid")])
    cred = credential(session, user.id)
    replaced = cred is not None and cred.confirmed_at is not None
    if replaced and not replace:
        raise Conflict("a second factor is already enrolled (--replace issues a new one)",
                       field="username")
    if cred is not None:
        session.delete(cred)
        session.flush()
    secret = begin_enrolment(session, user)
    credential(session, user.id).confirmed_at = utcnow()  # no code proved: last_step unset
    codes = _replace_recovery_codes(session, user.id)
    record(session, actor=actor.audit_name, tag="accounts:mfa:operator-enrol",
           subject_type="user", subject_id=user.id,
           details={"replaced": replaced, "recovery_codes": len(codes)})
    return Issued(rules.provisioning_uri(secret, user.username), secret, codes)


# --- codes --------------------------------------------------------------------------


def verify(session: Session, user_id: str, code: str, *, purpose: str,
           now: datetime | None = None) -> str:
    """Accept a TOTP code (each time step once) or an unused recovery code (once), and
    audit the outcome; returns "totp" or "recovery". The update is conditional, so two
    requests racing with one code cannot both pass."""
    now = now or utcnow()
    typed = rules.normalise_code(code)
    cred = credential(session, user_id)
    method = None
    if cred is not None and cred.confirmed_at is not None:
        step = rules.matching_step(_secret(cred), typed, now, cred.last_step)
        if step is not None and session.execute(
                update(MfaCredential).where(
                    MfaCredential.user_id == user_id,
                    (MfaCredential.last_step.is_(None)) | (MfaCredential.last_step < step))
                .values(last_step=step).execution_options(synchronize_session=False)
        ).rowcount == 1:
            method = "totp"
        elif rules.is_recovery_shaped(typed) and session.execute(
                update(RecoveryCode).where(
                    RecoveryCode.user_id == user_id,
                    RecoveryCode.code_hash == rules.recovery_hash(typed),
                    RecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1:
            method = "recovery"
    if method is None:
        record(session, actor=f"user:{user_id}", tag="accounts:mfa:fail",
               subject_type="user", subject_id=user_id, details={"purpose": purpose})
        raise Unauthenticated("wrong or already used code", field="code")
    session.expire_all()  # the conditional updates bypassed the identity map
    if method == "recovery":
        record(session, actor=f"user:{user_id}", tag="accounts:mfa:recovery-used",
               subject_type="user", subject_id=user_id,
               details={"purpose": purpose,
                        "remaining": remaining_recovery_codes(session, user_id)})
    else:
        record(session, actor=f"user:{user_id}", tag="accounts:mfa:success",
               subject_type="user", subject_id=user_id, details={"purpose": purpose})
    return method


# --- pending sign-in ----------------------------------------------------------------


def password_step_passed(session: Session, attempt: throttle.Attempt) -> None:
    """The password was right but a code is still owed: the attempt is withdrawn, neither
    a failure nor a success (a success would reset the count, and someone holding the
    password could then guess codes without end)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))


def _pending_key() -> bytes:
    # HOZEN_SECRET_KEY: the settings refuse the default outside development
    return get_settings().secret_key.encode()


def sign_pending(user_id: str, stage: str) -> str:
    return rules.sign_pending(_pending_key(), user_id, stage, utcnow())


def read_pending(value: str) -> rules.Pending | None:
    return rules.read_pending([_pending_key()], value, utcnow())


# --- re-authentication --------------------------------------------------------------


def reauthenticated(session: Session, web_session: WebSession, *, purpose: str) -> None:
    """Password and code proved on this session now: high-risk actions open for 5 min."""
    web_session.reauth_at = utcnow()
    record(session, actor=f"user:{web_session.user_id}", tag="accounts:reauth",
           subject_type="user", subject_id=web_session.user_id, details={"purpose": purpose})


def check_api_otp(session: Session, user_id: str, username: str, sent: str | None,
                  address: str) -> None:
    """A high-risk API call needs a user enrolled in MFA and a fresh code from them in the
    X-Hozen-OTP header: a token alone (a service account, a user who never enrolled) is
    refused, and the refusal audited. Throttled like sign-in (a wrong code counts as a
    failed sign-in); the code is used up and the outcome audited in transactions of their
    own, before the request's own work begins (on SQLite the request must not yet hold
    the write lock)."""
    bind = session.get_bind()
    with unit_of_work(bind) as own:  # the refusal's audit event commits with this block
        enrolled = is_enrolled(own, user_id)
        if not enrolled:
            record(own, actor=f"user:{user_id}", tag="accounts:mfa:refused",
                   subject_type="user", subject_id=user_id,
                   details={"purpose": "api", "reason": "not-enrolled"})
    if not enrolled:
        raise Forbidden(f"a high-risk action needs a second factor: enrol in MFA (sign in "
                        f"on the web pages; a service account: `hozen user mfa-enrol`), "
                        f"then send a code in {OTP_HEADER}",
                        field=OTP_HEADER)
    if not (sent or "").strip():
        raise Unauthenticated(f"a code from your authenticator is required in {OTP_HEADER}",
                              field=OTP_HEADER)
    attempt = throttle.begin_attempt(session, username, address)
    if attempt.verdict.refused:
        with unit_of_work(bind) as own:
            throttle.refuse(own, attempt, username)
        raise TooManyAttempts("too many wrong codes; wait, then try again",
                              field=OTP_HEADER, retry_after=attempt.verdict.retry_after)
    failed = False
    with unit_of_work(bind) as own:
        try:
            verify(own, user_id, sent or "", purpose="api")
            throttle.succeeded(own, attempt)
        except Unauthenticated:
            failed = True  # the failure's audit event commits with this block
    if failed:
        raise Forbidden(f"the code in {OTP_HEADER} is wrong or already used",
                        field=OTP_HEADER)


# --- demonstration ------------------------------------------------------------------


def enrol_for_demo(session: Session, user_id: str, *, actor: Actor) -> None:
    """Enrol a demonstration user with a fresh secret (development only: `hozen demo code`
    prints its current code)."""
    if not actor.is_system:
        raise Forbidden("demonstration enrolment is for the command line")
    secret = rules.new_secret()
    session.add(MfaCredential(user_id=user_id, confirmed_at=utcnow(),
                              secret=get_keyring().encrypt(secret.encode(), _aad(user_id))))
    _replace_recovery_codes(session, user_id)
    record(session, actor=actor.audit_name, tag="accounts:mfa:enrol", subject_type="user",
           subject_id=user_id, details={"demo": True})


def current_code(session: Session, username: str, now: datetime | None = None) -> str:
    """The code an authenticator would show now (for `hozen demo code` in development)."""
    user = session.scalar(select(User).where(User.username == username))
    cred = credential(session, user.id) if user is not None else None
    if cred is None or cred.confirmed_at is None:
        raise ValidationFailed([("username", "mfa_not_enrolled")])
    return rules.code_at_step(_secret(cred), rules.step_at(now or utcnow()))


def requires_second_factor(user: User) -> bool:
    return rules.mfa_required(r.value for r in user.roles)


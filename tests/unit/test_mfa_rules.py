"""Rules of the second factor: the TOTP window and replay, recovery codes, the signed
pending state, re-authentication freshness. Pure: no database, no clock of their own."""

from datetime import UTC, datetime, timedelta

import pyotp
from hypothesis import given
from hypothesis import strategies as st

from hozen.accounts import mfa_rules as rules

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T0 = datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC)
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1),
                     timezones=st.just(UTC))


def test_codes_are_rfc_6238_as_any_authenticator_computes_them():
    for now in (T0, T0 + timedelta(seconds=29), T0 + timedelta(hours=5)):
        expected = pyotp.TOTP(SECRET).at(now)
        assert rules.code_at_step(SECRET, rules.step_at(now)) == expected
        assert len(expected) == 6


@given(now=times, offset=st.integers(-3, 3))
def test_a_code_is_accepted_one_step_either_side_and_no_further(now, offset):
    step = rules.step_at(now) + offset
    code = rules.code_at_step(SECRET, step)
    found = rules.matching_step(SECRET, code, now, None)
    if abs(offset) <= rules.DRIFT_STEPS:
        assert found is not None and abs(found - rules.step_at(now)) <= 1
    else:  # (another step in the window may share the code by chance: 3 in a million)
        assert found is None or found != step


@given(now=times, last=st.integers(-2, 2))
def test_a_step_is_never_accepted_twice_nor_an_earlier_one(now, last):
    current = rules.step_at(now)
    last_step = current + last
    for step in range(current - 1, current + 2):
        found = rules.matching_step(SECRET, rules.code_at_step(SECRET, step), now, last_step)
        if found is not None:
            assert found > last_step


def test_replay_of_the_same_code_is_refused():
    code = rules.code_at_step(SECRET, rules.step_at(T0))
    step = rules.matching_step(SECRET, code, T0, None)
    assert step == rules.step_at(T0)
    assert rules.matching_step(SECRET, code, T0, step) is None
    assert rules.matching_step(SECRET, code, T0 + timedelta(seconds=20), step) is None


def test_full_width_digits_and_spaces_are_read_as_the_code():
    code = rules.code_at_step(SECRET, rules.step_at(T0))
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)  # ０-９
    typed = wide[:3] + "\u3000" + wide[3:]
    assert rules.normalise_code(typed) == code
    assert rules.matching_step(SECRET, rules.normalise_code(typed), T0, None) is not None


@given(st.text(max_size=12))
def test_anything_not_six_digits_matches_nothing(text):
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        assert rules.matching_step(SECRET, text, T0, None) is None


def test_recovery_codes_are_ten_distinct_high_entropy_codes_stored_by_hash():
    codes = rules.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for c in codes:
        assert len(c) == 19 and c.count("-") == 3
        assert rules.is_recovery_shaped(rules.normalise_code(c))
    # typed without hyphens or in lower case, the hash is the same; another code's is not
    c = codes[0]
    assert rules.recovery_hash(c) == rules.recovery_hash(c.replace("-", "").lower())
    assert rules.recovery_hash(c) != rules.recovery_hash(codes[1])
    assert c not in rules.recovery_hash(c)


KEY, OTHER = b"k" * 32, b"o" * 32


def test_pending_state_round_trips_and_expires():
    value = rules.sign_pending(KEY, "user-1", "code", T0)
    assert rules.read_pending([KEY], value, T0) == rules.Pending(
        "user-1", "code", int((T0 + rules.PENDING_MAX_AGE).timestamp()))
    assert rules.read_pending([OTHER, KEY], value, T0) is not None  # after a key rotation
    assert rules.read_pending([KEY], value, T0 + rules.PENDING_MAX_AGE) is None
    assert rules.read_pending([OTHER], value, T0) is None


@given(st.text(max_size=200))
def test_a_forged_or_garbled_pending_state_is_refused(value):
    assert rules.read_pending([KEY], value, T0) is None


def test_a_pending_state_edited_to_another_user_or_stage_is_refused():
    value = rules.sign_pending(KEY, "user-1", "enrol", T0)
    import base64

    encoded, mac = value.rsplit(".", 1)
    payload = base64.urlsafe_b64decode(encoded).decode()
    for forged in (payload.replace("user-1", "user-2"), payload.replace("enrol", "code")):
        edited = base64.urlsafe_b64encode(forged.encode()).decode() + "." + mac
        assert rules.read_pending([KEY], edited, T0) is None


@given(age=st.integers(-600, 3600))
def test_reauthentication_is_fresh_for_five_minutes_exactly(age):
    now = T0
    fresh = rules.reauth_fresh(now - timedelta(seconds=age), now)
    assert fresh == (age <= 300)
    assert not rules.reauth_fresh(None, now)


def test_every_role_but_the_subject_must_use_a_second_factor():
    assert not rules.mfa_required(["subject"])
    assert rules.mfa_required(["investigator"])
    assert rules.mfa_required(["subject", "company_security_officer"])

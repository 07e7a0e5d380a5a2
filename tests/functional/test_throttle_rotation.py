"""Sign-in throttling across `hozen keys rotate` (issue 11): the failures counted for a
user name and for an address before, during and after a rotation all still count, so a
key switch gives no fresh set of guesses."""

from __future__ import annotations

import pytest

from hozen.accounts import throttle
from hozen.crypto import load_keyring
from tests.factories import PASSWORD, make_world
from tests.functional.test_key_rotation import run
from tests.functional.test_throttle import sign_in


@pytest.fixture(autouse=True)
def no_delays(monkeypatch):
    async def record(seconds):
        pass

    monkeypatch.setattr(throttle, "pause", record)


def test_failures_before_during_and_after_a_rotation_add_up(
        client, session, key_file):  # noqa: F811
    user = next(iter(make_world(session).users.values()))
    session.commit()
    first = load_keyring(key_file).active

    assert sign_in(client, user.username, "wrong-password!").status_code == 401
    assert sign_in(client, user.username, "wrong-password!").status_code == 401
    stopped = run("keys", "rotate", "--batch", "1", "--max-batches", "1", "--settle", "0")
    assert stopped.exit_code == 3, stopped.output  # under way: a next set writes
    assert load_keyring(key_file).next is not None
    assert sign_in(client, user.username, "wrong-password!").status_code == 401
    done = run("keys", "rotate", "--settle", "0")
    assert done.exit_code == 0, done.output
    assert set(load_keyring(key_file).sets) == {load_keyring(key_file).active} != {first}
    assert sign_in(client, user.username, "wrong-password!").status_code == 401
    assert sign_in(client, user.username, "wrong-password!").status_code == 401

    r = sign_in(client, user.username, PASSWORD)  # the sixth attempt: refused
    assert r.status_code == 429 and "hozen_session" not in r.cookies


def test_an_address_keeps_its_count_across_a_rotation(
        client, session, key_file):  # noqa: F811
    session.commit()
    for n in range(throttle.ADDRESS_LIMIT // 2):
        assert sign_in(client, f"nobody{n}", "wrong-password!").status_code == 401
    done = run("keys", "rotate", "--settle", "0")
    assert done.exit_code == 0, done.output
    for n in range(throttle.ADDRESS_LIMIT // 2, throttle.ADDRESS_LIMIT):
        assert sign_in(client, f"nobody{n}", "wrong-password!").status_code == 401
    assert sign_in(client, "somebody.else", "wrong-password!").status_code == 429


def test_the_counted_keys_do_not_follow_the_index_key(key_file):  # noqa: F811
    before = throttle.account_key("yamada.taro"), throttle.address_key("192.0.2.1")
    assert run("keys", "rotate", "--settle", "0").exit_code == 0
    after = throttle.account_key("yamada.taro"), throttle.address_key("192.0.2.1")
    assert before == after and len(set(before)) == 2
    ring = load_keyring(key_file)
    assert before[0] != ring.blind_index("login.username", "yamada.taro")

"""Sign-in throttling rules: slowed, then refused, per user name and per address."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from hozen.accounts.throttle import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    MAX_DELAY,
    WINDOW,
    account_failures,
    client_address,
    delay_for,
    judge,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def fails(*minutes: float) -> list[tuple[datetime, bool]]:
    return [(ago(m), False) for m in minutes]


def test_a_fresh_name_is_let_through_without_delay():
    v = judge([], [], NOW)
    assert not v.refused and v.delay == 0 and v.retry_after == 0


def test_five_failures_in_the_window_refuse_the_name_until_the_oldest_ages_out():
    v = judge(fails(10, 8, 6, 4, 2), [], NOW)
    assert v.refused and v.scope == "account"
    assert v.retry_after == 5 * 60  # the failure 10 minutes ago leaves the window in 5
    assert not judge(fails(10, 8, 6, 4, 2), [], NOW + timedelta(seconds=v.retry_after)).refused


def test_failures_older_than_the_window_do_not_count():
    assert not judge(fails(16, 15, 20, 30, 1), [], NOW).refused
    assert not judge(fails(4, 3, 2, 1), [], NOW).refused


def test_a_success_resets_the_name_but_not_the_address():
    history = fails(9, 8, 7, 6) + [(ago(5), True)] + fails(4)
    assert account_failures(history, NOW) == [ago(4)]
    assert not judge(history, [], NOW).refused
    assert judge([], [ago(m / 2) for m in range(ADDRESS_LIMIT)], NOW).refused


def test_twenty_failures_from_one_address_refuse_any_name():
    v = judge([], [ago(14 - m / 2) for m in range(ADDRESS_LIMIT)], NOW)
    assert v.refused and v.scope == "address" and 0 < v.retry_after <= 60
    assert not judge([], [ago(m / 2) for m in range(ADDRESS_LIMIT - 1)], NOW).refused


def test_a_concurrent_attempt_that_began_after_this_one_still_counts():
    later = [(NOW + timedelta(milliseconds=5), False)]
    assert judge(fails(4, 3, 2, 1) + later, [], NOW).refused


def test_delays_double_after_two_failures_and_stay_bounded():
    assert [delay_for(n) for n in range(7)] == [0, 0, 1, 2, 4, 4, 4]
    assert judge(fails(3, 2, 1), [], NOW).delay == 2


failure_minutes = st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=40)


@given(failure_minutes, failure_minutes)
def test_refused_exactly_when_a_count_in_the_window_reaches_its_limit(names, addresses):
    v = judge(fails(*names), [ago(m) for m in addresses], NOW)
    in_window = lambda ms: sum(1 for m in ms if ago(m) > NOW - WINDOW)  # noqa: E731
    over = in_window(names) >= ACCOUNT_LIMIT or in_window(addresses) >= ADDRESS_LIMIT
    assert v.refused == over
    if v.refused:
        assert 1 <= v.retry_after <= WINDOW.total_seconds() and v.delay == 0
    else:
        assert v.retry_after == 0 and 0 <= v.delay <= MAX_DELAY


@given(failure_minutes, failure_minutes)
def test_after_retry_after_the_same_history_is_let_through(names, addresses):
    history, from_address = fails(*names), [ago(m) for m in addresses]
    v = judge(history, from_address, NOW)
    if v.refused:
        later = NOW + timedelta(seconds=v.retry_after)
        assert not judge(history, from_address, later).refused
        assert judge(history, from_address, later - timedelta(seconds=1)).refused


@given(failure_minutes, st.floats(min_value=0, max_value=30, allow_nan=False))
def test_one_more_failure_never_lifts_a_refusal(names, extra):
    if judge(fails(*names), [], NOW).refused:
        assert judge(fails(*names, extra), [], NOW).refused


PROXY = frozenset({"127.0.0.1"})


def test_without_a_trusted_proxy_the_peer_is_the_client_whatever_it_forwards():
    assert client_address("203.0.113.5", "198.51.100.1", frozenset()) == "203.0.113.5"
    assert client_address("203.0.113.5", "198.51.100.1", PROXY) == "203.0.113.5"
    assert client_address(None, "", PROXY) == "unknown"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client():
    assert client_address("127.0.0.1", "203.0.113.5", PROXY) == "203.0.113.5"
    # a client forging hops on the left cannot choose its address
    assert client_address("127.0.0.1", "1.1.1.1, 9.9.9.9, 203.0.113.5", PROXY) == "203.0.113.5"
    assert client_address("127.0.0.1", "203.0.113.5, 127.0.0.1", PROXY) == "203.0.113.5"
    assert client_address("127.0.0.1", "", PROXY) == "127.0.0.1"
    assert client_address("127.0.0.1", "not-an-address", PROXY) == "invalid"
    assert client_address("127.0.0.1", "2001:DB8::1", PROXY) == "2001:db8::1"


@given(st.lists(st.ip_addresses().map(str), max_size=5), st.ip_addresses().map(str))
def test_forged_hops_never_change_the_address_counted(forged, real):
    if real in PROXY:
        return
    honest = client_address("127.0.0.1", real, PROXY)
    assert client_address("127.0.0.1", ", ".join([*forged, real]), PROXY) == honest

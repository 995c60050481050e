"""The per-caller counters behind the HTTP abuse limits: token buckets and stream slots."""

from __future__ import annotations

import hashlib
import threading

import pytest

from kangaroo_paw.adapters.http.limits import StreamSlots, TokenBuckets, caller_of
from kangaroo_paw.settings import Settings, SettingsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_bucket_allows_a_burst_then_the_rate(clock: Clock) -> None:
    buckets = TokenBuckets("writes", 2.0, 3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)  # one token every 1/2 s
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 10  # refills up to the burst, no further
    assert [buckets.take("a") for _ in range(4)] == [0, 0, 0, pytest.approx(0.5)]


def test_a_refused_request_spends_nothing(clock: Clock) -> None:
    buckets = TokenBuckets("reads", 1.0, 1, clock=clock)
    assert buckets.take("a") == 0
    for _ in range(5):
        assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 1
    assert buckets.take("a") == 0


def test_callers_have_buckets_of_their_own(clock: Clock) -> None:
    buckets = TokenBuckets("writes", 1.0, 1, clock=clock)
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0


def test_idle_callers_are_forgotten_once_their_bucket_is_full(clock: Clock) -> None:
    buckets = TokenBuckets("reads", 10.0, 20, clock=clock)  # full again 2 s after last use
    for n in range(100):
        buckets.take(f"caller-{n}")
    assert len(buckets) == 100
    clock.now += 1
    buckets.take("late")
    assert len(buckets) == 101  # not full yet: remembered
    clock.now += 1.5
    buckets.take("late")
    assert len(buckets) == 1


def test_never_more_than_max_callers_are_kept(clock: Clock) -> None:
    buckets = TokenBuckets("reads", 0.001, 5, max_callers=10, clock=clock)
    for n in range(1000):
        buckets.take(f"caller-{n}")
        assert len(buckets) <= 10
    assert buckets.take("caller-999") == 0  # the most recent callers are the ones kept


def test_buckets_are_thread_safe() -> None:
    buckets = TokenBuckets("writes", 0.001, 500)
    granted: list[bool] = []

    def hammer() -> None:
        for _ in range(200):
            granted.append(buckets.take("a") == 0)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 500


def test_stream_slots_cap_each_caller_and_free_on_release() -> None:
    slots = StreamSlots(2)
    assert slots.acquire("a")
    assert slots.acquire("a")
    assert not slots.acquire("a")
    assert slots.acquire("b")
    slots.release("a")
    assert slots.acquire("a")


def test_a_caller_is_the_token_hash_or_the_client_address() -> None:
    token = b"Bearer s3cret"
    with_token = {"headers": [(b"authorization", token)], "client": ("10.0.0.7", 5000)}
    caller = caller_of(with_token)  # type: ignore[arg-type]
    assert caller == "token:" + hashlib.sha256(token).hexdigest()
    assert "s3cret" not in caller
    anonymous = {"headers": [], "client": ("10.0.0.7", 5000)}
    assert caller_of(anonymous) == "address:10.0.0.7"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KP_RATE_LIMIT_WRITES_PER_SEC", "-1"),
        ("KP_RATE_LIMIT_READS_BURST", "0"),
        ("KP_MAX_STREAMS_PER_CALLER", "-1"),
        ("KP_HEADER_TIMEOUT_SECS", "0"),
        ("KP_BODY_TIMEOUT_SECS", "-5"),
    ],
)
def test_limit_settings_reject_unusable_values(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})

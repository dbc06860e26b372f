"""Sends are paced at TWILIO_MPS per sender, in one process and across workers."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest
from redis import Redis

from gateway.messaging.throttle import LocalThrottle, RedisThrottle

SENDER = "+33261910000"


def test_local_throttle_spaces_sends_per_sender() -> None:
    clock = [100.0]
    slept: list[float] = []
    throttle = LocalThrottle(2, clock=lambda: clock[0], sleep=slept.append)
    assert [throttle.delay(SENDER) for _ in range(3)] == [0, 0.5, 1.0]
    assert throttle.delay("+33261910001") == 0, "each sender has its own rate"
    clock[0] += 5
    assert throttle.delay(SENDER) == 0, "an idle sender starts afresh"
    throttle.wait(SENDER)
    assert slept == [0.5]


def test_redis_throttle_is_shared_by_workers(redis_url: str) -> None:
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    slots: list[tuple[float, float]] = []  # when each reserved send may go, as a local range
    try:
        workers = [RedisThrottle(first, 20), RedisThrottle(second, 20)]
        for n in range(6):
            asked = time.monotonic()
            delay = workers[n % 2].delay(SENDER)
            slots.append((asked + delay, time.monotonic() + delay))
    finally:
        first.close()
        second.close()
    # One shared schedule: each reservation is 1/20 s after the one before, whoever asks. A
    # slot is known to lie within the time its request took, however slow the machine is.
    for (earliest, latest), (next_earliest, next_latest) in pairwise(slots):
        assert next_latest - earliest >= 0.05 - 0.001
        assert next_earliest - latest <= 0.05 + 0.001


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LocalThrottle(0)

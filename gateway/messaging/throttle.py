"""Keep sends within the provider's rate: ``TWILIO_MPS`` messages per second per sender.

Twilio queues what a number sends beyond its rate and fails it after a while, so we pace
ourselves. With Redis every worker reserves its slot in one shared schedule (on Redis' clock,
so workers on different machines agree); without it, one process paces itself.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import cast

from redis import Redis

# Reserve the sender's next free slot and return how long to wait for it, in seconds.
_RESERVE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local slot = math.max(t, tonumber(redis.call('GET', KEYS[1]) or '0'))
local free = slot + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', free), 'PX', math.ceil((free - t) * 1000) + 1000)
return string.format('%.6f', slot - t)
"""


class Throttle(ABC):
    """Paces sends per sender; :meth:`delay` reserves a slot, :meth:`wait` sleeps until it."""

    def __init__(self, per_second: float, sleep: Callable[[float], None] = time.sleep) -> None:
        if per_second <= 0:
            raise ValueError("TWILIO_MPS must be positive")
        self.interval = 1 / per_second
        self._sleep = sleep

    @abstractmethod
    def delay(self, sender: str) -> float: ...

    def wait(self, sender: str) -> None:
        seconds = self.delay(sender)
        if seconds > 0:
            self._sleep(seconds)


class LocalThrottle(Throttle):
    """One process's pace, on the monotonic clock."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(per_second, sleep)
        self._clock = clock
        self._next_free: dict[str, float] = {}
        self._lock = threading.Lock()

    def delay(self, sender: str) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_free.get(sender, now))
            self._next_free[sender] = slot + self.interval
            return slot - now


class RedisThrottle(Throttle):
    """A pace shared by every worker using the same Redis."""

    def __init__(
        self, redis: Redis, per_second: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(per_second, sleep)
        self._reserve = redis.register_script(_RESERVE)

    def delay(self, sender: str) -> float:
        reply = self._reserve(keys=[f"guichet:throttle:{sender}"], args=[self.interval])
        return float(cast(bytes, reply))

"""Time, injectable: one clock for the client, its scheduler, the quota stores and the
emulator, so that waits, deadlines and 24 h expiries are tested without waiting.

A clock has ``now()`` (seconds since the epoch) and ``await sleep(seconds)``.

* :class:`SystemClock`: the wall clock, sleeping on the running loop (the default).
* :class:`LoopClock`: the running loop's own time, anchored to the epoch. Under a test
  loop that fast-forwards idle time (``looptime``), ``now()``, ``sleep()`` and asyncio's
  timeouts all move together, so a fault-matrix test of minutes runs in milliseconds.
* :class:`ManualClock`: moves only when told (``advance``); sleepers wake when it passes
  their time. The emulator's tests drive task lifecycles and expiries with it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable
from typing import Protocol

__all__ = ["Clock", "LoopClock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> Awaitable[None]: ...


class SystemClock:
    """Seconds since the epoch, as ``time.time``; sleeps with ``asyncio.sleep``."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class LoopClock(SystemClock):
    """The running loop's time plus a fixed offset to the epoch (taken when made)."""

    def __init__(self) -> None:
        self._offset = time.time() - self._loop_time()

    @staticmethod
    def _loop_time() -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    def now(self) -> float:
        return self._offset + self._loop_time()


class ManualClock:
    """A clock that only moves when told, so 24 h expiries are tested without waiting."""

    def __init__(self, start: float = 1_750_000_000.0):
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> asyncio.Future[None]:
        """An awaitable that completes once the clock passes ``now() + seconds``; the time is
        taken when this is called, not when it is first awaited."""
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        self._wake()
        return future

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._wake()

    def _wake(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

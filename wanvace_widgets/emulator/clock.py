"""Time for the emulator: the wall clock, or a manual one that tests move by hand."""

from __future__ import annotations

import time

__all__ = ["Clock", "ManualClock", "SystemClock"]


class SystemClock:
    """Seconds since the epoch, as ``time.time``."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told, so 24 h expiries are tested without waiting."""

    def __init__(self, start: float = 1_750_000_000.0):
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


Clock = SystemClock | ManualClock

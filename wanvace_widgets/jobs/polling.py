"""The fixed polling schedule and the pacing of status queries.

By default the client polls by its poll plan (``poll_plan.py``): sparse while a job's end
is far, dense around its usual end. :class:`PollPolicy` is the opt-out, a fixed schedule
(``VaceClient(poll=PollPolicy(...))``): it starts at 2 s and grows by 1.5 to the SDK's
5 s ceiling, whatever the job. Either way :class:`QueryPacer` spaces the status queries of
every task of the client within one budget (10 a second, half the account's 20). Retries
of failed requests are ``http/retry.py``'s; the account's submit limits ``quota/policy.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..clock import Clock
from .http.retry import jittered

if TYPE_CHECKING:  # the plan's module imports nothing from here; only the type is needed
    from .poll_plan import EndWindow

__all__ = ["PollPolicy", "QueryPacer"]


@dataclass(frozen=True)
class PollPolicy:
    """A fixed schedule of status queries, instead of the poll plan; ``deadline`` bounds
    ``wait()`` by default."""

    first_delay: float = 2.0
    factor: float = 1.5
    max_delay: float = 5.0
    jitter: float = 0.1
    deadline: float | None = None

    def next_wait(self, window: EndWindow, polls: int, now: float) -> float:
        """:class:`PollSchedule`: a fixed schedule looks at the count, not at the window."""
        return self.delay(polls)

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds before query number ``attempt + 1`` (``attempt`` counts from 0)."""
        base = min(self.first_delay * self.factor**attempt, self.max_delay)
        return jittered(base, self.jitter, rand)


class QueryPacer:
    """Spaces the status queries of every task of one client: at most ``rate`` a second,
    one at a time, so a hundred tasks never send a burst of GETs at the same instant.

    Each query reserves the next free place, first come first served; with N tasks asking
    at once, the last waits N / ``rate`` seconds. A loop that stalls (a long cell, a busy
    machine) wakes several reserved places at once: they still leave ``1 / rate`` apart.
    """

    def __init__(self, rate: float, clock: Clock):
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0
        self._released = float("-inf")

    async def turn(self) -> None:
        """Wait for this query's place in the schedule."""
        now = self.clock.now()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self.clock.sleep(slot - now)
        while (early := self._released + self.interval - self.clock.now()) > 0:
            await self.clock.sleep(early)
        self._released = self.clock.now()

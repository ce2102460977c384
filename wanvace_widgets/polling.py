"""Fixed polling and retry schedules, and the pacing of status queries: pure functions of
the attempt number, and one pacer per client.

By default the client polls by its poll plan (``poll_plan.py``): sparse while a job's end
is far, dense around its usual end. :class:`PollPolicy` is the opt-out, a fixed schedule
(``VaceClient(poll=PollPolicy(...))``): it starts at 2 s and grows by 1.5 to the SDK's
5 s ceiling, whatever the job. Either way :class:`QueryPacer` spaces the status queries of
every task of the client within one budget (10 a second, half the account's 20).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .clock import Clock
from .families import VACE, family_of_model

__all__ = ["PollPolicy", "QueryPacer", "QuotaPolicy", "RetryPolicy", "parse_retry_after"]


def jittered(base: float, jitter: float, rand: float | None = None) -> float:
    """``base`` moved by up to ±``jitter`` of itself (``rand`` in [0, 1], else random), so
    that tasks started together do not query on the same instant."""
    rand = random.random() if rand is None else rand
    return max(0.0, base * (1 + jitter * (2 * rand - 1)))


@dataclass(frozen=True)
class PollPolicy:
    """A fixed schedule of status queries, instead of the poll plan; ``deadline`` bounds
    ``wait()`` by default."""

    first_delay: float = 2.0
    factor: float = 1.5
    max_delay: float = 5.0
    jitter: float = 0.1
    deadline: float | None = None

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds before query number ``attempt + 1`` (``attempt`` counts from 0)."""
        base = min(self.first_delay * self.factor**attempt, self.max_delay)
        return jittered(base, self.jitter, rand)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent requests (queries, cancel, list, upload policy).

    Exponential backoff with jitter; a server's ``Retry-After`` wins, up to ``max_retry_after``.
    """

    max_retries: int = 4
    base: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def delay(
        self, attempt: int, retry_after: float | None = None, rand: float | None = None
    ) -> float:
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        base = min(self.base * 2**attempt, self.max_delay)
        return jittered(base, self.jitter, rand)


@dataclass(frozen=True)
class QuotaPolicy:
    """The account's submit limits per model (``docs/api-contract.md`` §12.3, §17.6), kept
    locally so no 429 reaches you. ``None`` takes each model's documented limits
    (``families.py``); a number applies to every model."""

    max_concurrent: int | None = None
    submits_per_second: int | None = None
    #: status queries are limited to 20 per second per account; stay well below
    queries_per_second: float = 10.0

    def limits(self, model: str) -> tuple[int, int]:
        """(live tasks, submits a second) allowed for ``model``."""
        family = family_of_model(model) or VACE
        return (
            family.concurrent_tasks if self.max_concurrent is None else self.max_concurrent,
            family.submits_per_second
            if self.submits_per_second is None
            else self.submits_per_second,
        )


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


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None

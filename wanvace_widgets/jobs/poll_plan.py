"""When to ask about a job next: rarely while its end is far, often around when it usually ends.

A job takes minutes, and how many depends on its kind (``durations.py``). Polling at a fixed
pace spends most queries long before the job can end, and still sees the end late by up to
one step. The plan instead works from the job's **end window**: from when 5% of such jobs
have ended to when 99% have, with the usual end in between, counted from the moment the
job started running (the server's ``scheduled_time``) when that is known, else from its
submit. Then:

* **before the window** each wait is ``approach`` (80%) of the time left to it, at most
  ``max_gap`` (30 s, so an early failure is still seen within half a minute);
* **in the window** queries come every ``gap_per_width`` × the window's width relative to
  the job's duration, between ``dense_gap`` (1.4 s) and ``tail_gap`` (5 s): a kind with a
  tight history is watched every 1.4 s, a guess as wide as "5–10 minutes" every ~4 s;
* **after the window** (the job runs late) the gap grows by ``tail_growth`` s per second
  late, up to ``tail_gap``: the end is still seen within 5 s, however late it comes.

A job still PENDING has not started, so it cannot end before its running time has passed
from now: its window moves later accordingly. With no history and no prior (the emulator's
own client), or no known submit time (a task attached from elsewhere), the window is the
moment following began: the plan starts at ``dense_gap`` and backs off to ``tail_gap``.

Every wait is jittered (±10%), so tasks submitted together drift apart instead of querying
on the same instant; the client's ``QueryPacer`` spaces the queries of all its tasks within
one budget on top of that. The plan is a pure function of the task's state, the history
and the time: it is tested on a manual clock. ``PollPolicy`` remains for a fixed schedule;
both are a :class:`PollSchedule`, the one thing the scheduler asks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ..contract.families import FAMILIES, VACE
from ..contract.server_time import seconds_between
from . import lifecycle as s
from .durations import FIVE_TO_TEN_MINUTES, Durations, Spread
from .http.retry import jittered
from .tasks import TaskSnapshot

__all__ = ["EndWindow", "PollPlan", "PollSchedule"]


#: each function's documented processing time, where its family's is not VACE's
_DOCUMENTED_PRIORS: dict[str, Spread] = {
    function: Spread.between(*family.typical_seconds)
    for family in FAMILIES.values()
    if family is not VACE
    for function in family.functions
}


@dataclass(frozen=True)
class EndWindow:
    """When a job probably ends, in clock seconds: ``low`` (5% have ended) ≤ ``expected``
    (the median) ≤ ``high`` (99%), counted from ``start``. ``from_history`` is False for a
    prior's guess or when nothing is known."""

    start: float
    low: float
    expected: float
    high: float
    from_history: bool

    @classmethod
    def unknown(cls, since: float) -> EndWindow:
        """Nothing known: the job could end any moment from ``since`` on."""
        return cls(since, since, since, since, False)


class PollSchedule(Protocol):
    """When to query a task's status next: the plan (by when such jobs end) or a fixed
    schedule (by how many queries were made); the scheduler needs nothing else."""

    def next_wait(self, window: EndWindow, polls: int, now: float) -> float:
        """Seconds to the next query of a task ``window`` describes, after ``polls``."""
        ...


@dataclass(frozen=True)
class PollPlan:
    """The default schedule of status queries (see the module docstring for each knob).

    ``prior`` is what a kind of job with no history is assumed to take (the reference's
    5–10 minutes for VACE); ``priors`` overrides it by function, where a model documents
    another processing time (wan2.7-videoedit: 1–5 minutes). ``prior=None`` assumes nothing
    for any job, as for the emulator, whose tasks take seconds.
    """

    prior: Spread | None = FIVE_TO_TEN_MINUTES
    priors: Mapping[str, Spread] = field(default_factory=lambda: dict(_DOCUMENTED_PRIORS))
    dense_gap: float = 1.4
    gap_per_width: float = 5.0
    tail_gap: float = 5.0
    tail_growth: float = 0.1
    approach: float = 0.8
    max_gap: float = 30.0
    jitter: float = 0.1
    #: the window runs from the 5% to the 99% quantile of the duration
    early_z: float = 1.645
    late_z: float = 2.326

    def window(self, state: TaskSnapshot, durations: Durations, now: float) -> EndWindow:
        """The end window of a followed task, from its state, the history and the time."""
        submitted = state.submitted_at
        if submitted is None or not math.isfinite(submitted):  # a journal may hold anything
            return EndWindow.unknown(state.created_at)
        prior = self.prior_for(state.function)
        running = durations.running(state.function, state.request) or prior
        started = _started_at(state)
        if started is not None:
            spread, start = running, started
        else:
            spread, start = durations.total(state.function, state.request) or prior, submitted
        if spread is None:
            return EndWindow.unknown(submitted)
        low, expected, high = (start + spread.quantile(z) for z in (-self.early_z, 0, self.late_z))
        if state.status == s.PENDING and running is not None:
            low = max(low, now + running.quantile(-self.early_z))
            expected = max(expected, now + running.median)
            high = max(high, now + running.quantile(self.late_z))
        return EndWindow(start, low, expected, high, spread.samples > 0)

    def prior_for(self, function: str) -> Spread | None:
        """What a job of ``function`` with no history is assumed to take (None: nothing)."""
        return None if self.prior is None else self.priors.get(function, self.prior)

    def next_wait(self, window: EndWindow, polls: int, now: float) -> float:
        """:class:`PollSchedule`: the plan looks at the window, not at the count."""
        return self.delay(window, now)

    def delay(self, window: EndWindow, now: float, rand: float | None = None) -> float:
        """Seconds until the next query, at ``now``, for a job with this end window."""
        gap = self.window_gap(window)
        if now < window.low:
            base = min(self.max_gap, max(gap, self.approach * (window.low - now)))
        elif now <= window.high:
            base = gap
        else:
            base = min(self.tail_gap, gap + self.tail_growth * (now - window.high))
        return jittered(base, self.jitter, rand)

    def window_gap(self, window: EndWindow) -> float:
        """The gap between queries inside the window: its width relative to the job's
        expected duration, times ``gap_per_width``, within ``dense_gap`` … ``tail_gap``."""
        duration = window.expected - window.start
        relative = (window.high - window.low) / duration if duration > 0 else 0.0
        return min(self.tail_gap, max(self.dense_gap, self.gap_per_width * relative))


def _started_at(state: TaskSnapshot) -> float | None:
    """When a RUNNING task started, in clock seconds: its submit time here plus the
    server's own scheduled_time - submit_time (no time zone needed)."""
    if state.status != s.RUNNING or state.submitted_at is None:
        return None
    queued = seconds_between(state.submit_time, state.scheduled_time)
    return None if queued is None else state.submitted_at + queued

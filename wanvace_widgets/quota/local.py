"""The quota of one kernel: slots and submit permits kept in memory (the default when no
shared store is configured)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import Clock, SystemClock
from ..contract.server_time import SERVER_ZONE
from .base import (
    SUBMITS_KEPT_S,
    Holder,
    Lease,
    QueueStatus,
    QuotaLimits,
    QuotaStore,
    SubmitRecord,
)
from .fairness import Waiting, serving_order

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.11

__all__ = ["LocalQuota", "today"]


def today(now: float) -> str:
    """The calendar day of ``now`` in the servers' zone (UTC+8), the key of daily spending:
    every member of a team agrees on when a day starts, wherever their machines are, and
    the day is the one the bill counts in (``docs/team.md``)."""
    return datetime.fromtimestamp(now, SERVER_ZONE).strftime("%Y-%m-%d")


@dataclass
class _Request:
    waiting: Waiting
    granted: asyncio.Event = field(default_factory=asyncio.Event)


class LocalQuota(QuotaStore):
    """In-memory slots for the jobs of one process, served round-robin by user."""

    def __init__(self, *, clock: Clock | None = None, **limits: Unpack[QuotaLimits]):
        super().__init__(**limits)
        self.clock = clock or SystemClock()
        self._leases: dict[str, Lease] = {}
        self._requests: dict[str, _Request] = {}
        self._last_granted: dict[str, float] = {}
        self._submits: deque[float] = deque()
        self._spent: dict[tuple[str, str], float] = {}
        self._submits_noted: dict[str, SubmitRecord] = {}
        self._changed = asyncio.Event()

    # -- slots ---------------------------------------------------------------------------

    async def acquire(self, holder: Holder) -> Lease:
        if holder.job_id in self._leases:
            return await self.renew(self._leases[holder.job_id])
        request = self._requests.setdefault(
            holder.job_id, _Request(Waiting(holder.job_id, holder.user, self.clock.now()))
        )
        try:
            while True:
                self._dispatch()
                if request.granted.is_set():
                    return self._leases[holder.job_id]
                await self._wait_for_change(request)
        except BaseException:
            if not request.granted.is_set():
                self._requests.pop(holder.job_id, None)
                self._dispatch()
            raise

    async def adopt(self, holder: Holder) -> Lease:
        self._requests.pop(holder.job_id, None)
        return self._grant(holder)

    async def renew(self, lease: Lease) -> Lease:
        return self._grant(lease.holder)

    async def release(self, holder: Holder) -> None:
        self._requests.pop(holder.job_id, None)
        if self._leases.pop(holder.job_id, None) is not None:
            self._notify()
        self._dispatch()

    def _grant(self, holder: Holder) -> Lease:
        lease = Lease(holder, self.clock.now() + self.lease_ttl_s)
        self._leases[holder.job_id] = lease
        return lease

    def _expire(self) -> None:
        now = self.clock.now()
        for job_id, lease in list(self._leases.items()):
            if lease.expires_at <= now:
                del self._leases[job_id]

    def _dispatch(self) -> None:
        """Grant slots to waiting requests, in serving order, while slots are free."""
        self._expire()
        free = self.max_concurrent - len(self._leases)
        if free <= 0 or not self._requests:
            return
        order = serving_order((r.waiting for r in self._requests.values()), self._last_granted)
        for item in order[:free]:
            request = self._requests.pop(item.job_id)
            self._grant(Holder(item.job_id, item.user))
            self._last_granted[item.user] = self.clock.now()
            request.granted.set()
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, request: _Request) -> None:
        """Until something changes, or the first lease expires (which frees a slot)."""
        changed = asyncio.ensure_future(self._changed.wait())
        waits: set[asyncio.Future[Any]] = {changed}
        if self._leases:
            first = min(lease.expires_at for lease in self._leases.values())
            waits.add(asyncio.ensure_future(self.clock.sleep(first - self.clock.now())))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    # -- submits -------------------------------------------------------------------------

    async def submit_permit(self) -> None:
        while True:
            now = self.clock.now()
            while self._submits and self._submits[0] <= now - 1.0:
                self._submits.popleft()
            if len(self._submits) < self.submits_per_second:
                self._submits.append(now)
                return
            await self.clock.sleep(self._submits[0] + 1.0 - now + 0.01)

    # -- status and money ------------------------------------------------------------------

    async def status(self, holder: Holder | None = None) -> QueueStatus:
        self._dispatch()
        order = serving_order((r.waiting for r in self._requests.values()), self._last_granted)
        ahead = next((i for i, w in enumerate(order) if holder and w.job_id == holder.job_id), None)
        running = tuple(sorted(lease.holder.user for lease in self._leases.values()))
        return QueueStatus(ahead, running, len(order), await self.spent_today())

    async def try_spend(self, user: str, usd: float, daily_limit_usd: float | None) -> bool:
        key = (today(self.clock.now()), user)
        spent = self._spent.get(key, 0.0)
        if daily_limit_usd is not None and spent + usd > daily_limit_usd + 1e-9:
            return False
        self._spent[key] = spent + usd
        return True

    async def spent_today(self, user: str | None = None) -> float:
        day = today(self.clock.now())
        return sum(v for (d, u), v in self._spent.items() if d == day and user in (None, u))

    async def note_submit(self, holder: Holder, sent_at: float) -> None:
        self._submits_noted[holder.job_id] = SubmitRecord(holder.job_id, holder.user, sent_at)

    async def settle_submit(self, holder: Holder, task_id: str | None) -> None:
        noted = self._submits_noted.get(holder.job_id)
        sent_at = noted.sent_at if noted else self.clock.now()
        self._submits_noted[holder.job_id] = SubmitRecord(
            holder.job_id, holder.user, sent_at, task_id, settled=True
        )

    async def recent_submits(self) -> list[SubmitRecord]:
        since = self.clock.now() - SUBMITS_KEPT_S
        for job_id in [j for j, r in self._submits_noted.items() if r.sent_at < since]:
            del self._submits_noted[job_id]
        return list(self._submits_noted.values())

"""What the stores shared by several processes have in common.

Their state lives outside this process, so a waiting job polls it: every 100–250 ms, with
jitter so that thirty kernels do not poll in step, and at once when a job of its own
process releases a slot. Each poll also says "still waiting"; a request not seen for
``lease_ttl_s`` belonged to a kernel that died and is dropped, as a lease not renewed is.

The decisions (which leases have expired, which requests were abandoned, who is served
next) are one pure function, :func:`plan_dispatch`, that every store applies inside its
own transaction, so the embedded store and Redis serve in exactly the same order.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import uuid
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..clock import Clock, SystemClock
from ..contract.constants import is_task_id
from .base import Holder, Lease, QueueStatus, QuotaLimits, QuotaStore, QuotaStoreError, SubmitRecord
from .fairness import Waiting, serving_order

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.11

__all__ = [
    "POLL_INTERVAL_S",
    "SUBMIT_WINDOW_S",
    "Dispatch",
    "Request",
    "SharedQuota",
    "Slot",
    "View",
    "live_view",
    "parse_request",
    "parse_slot",
    "parse_submit",
    "parse_number",
    "parse_usd",
    "plan_dispatch",
    "sort_out",
    "spent_after",
]

log = logging.getLogger(__name__)

K = TypeVar("K")
T = TypeVar("T")

#: a waiting job looks at the store again after a random pause in this range (seconds)
POLL_INTERVAL_S = (0.1, 0.25)
#: a submit permit counts for this long. More than the server's one second: a POST reaches
#: the server a little after its permit (more on a busy machine), so permits exactly 1 s
#: apart can arrive less than 1 s apart and meet a 429.
SUBMIT_WINDOW_S = 1.25


@dataclass(frozen=True)
class Slot:
    """A lease as a store keeps it."""

    job_id: str
    user: str
    expires_at: float


@dataclass(frozen=True)
class Request:
    """A waiting request as a store keeps it; ``seen_at`` is its waiter's last poll."""

    waiting: Waiting
    seen_at: float


@dataclass(frozen=True)
class Dispatch:
    """What one look at the store decides: entries to delete and slots to grant."""

    expired: tuple[str, ...]
    abandoned: tuple[str, ...]
    grants: tuple[Waiting, ...]


@dataclass(frozen=True)
class View:
    """The live part of a store's state, for :meth:`SharedQuota.status`."""

    slots: tuple[Slot, ...]
    requests: tuple[Waiting, ...]
    last_granted: Mapping[str, float]


def parse_number(value: object) -> float | None:
    """A stored time or amount (a number, or its text or bytes); None for anything else."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_slot(job_id: object, user: object, expires_at: object) -> Slot | None:
    """A stored lease, or None when any part is malformed (the store then deletes it)."""
    job, name, expires = _name(job_id), _name(user), parse_number(expires_at)
    return None if job is None or name is None or expires is None else Slot(job, name, expires)


def parse_request(
    job_id: object, user: object, asked_at: object, seen_at: object
) -> Request | None:
    """A stored waiting request, or None when any part is malformed."""
    job, name = _name(job_id), _name(user)
    asked, seen = parse_number(asked_at), parse_number(seen_at)
    if job is None or name is None or asked is None or seen is None:
        return None
    return Request(Waiting(job, name, asked), seen)


def parse_submit(
    job_id: object, user: object, sent_at: object, task_id: object, settled: object
) -> SubmitRecord | None:
    """A stored submit, or None when any part is malformed (the store then deletes it)."""
    job, name, sent = _name(job_id), _name(user), parse_number(sent_at)
    if job is None or name is None or sent is None:
        return None
    if task_id is not None and not is_task_id(task_id):
        return None
    if settled not in (True, False):  # a bool, or SQLite's 0 and 1
        return None
    return SubmitRecord(job, name, sent, task_id, bool(settled) or task_id is not None)


def sort_out(
    entries: Mapping[K, tuple[object, ...]], parse: Callable[..., T | None]
) -> tuple[list[T], list[K]]:
    """Parse each stored entry's fields; return the good ones, and the keys of the
    malformed ones, which the store deletes."""
    good: list[T] = []
    bad: list[K] = []
    for key, fields in entries.items():
        item = parse(*fields)
        if item is None:
            bad.append(key)
        else:
            good.append(item)
    return good, bad


def parse_usd(value: object, where: str) -> float:
    """A stored amount of money. Anything else fails closed: a budget that cannot be read
    must not be waved through."""
    amount = parse_number(value)
    if amount is None or amount < 0:
        raise QuotaStoreError(
            f"the spending recorded in {where} is unreadable ({str(value)[:40]!r}); "
            "budgets cannot be checked until it is deleted"
        )
    return amount


def spent_after(spent: float, usd: float) -> float:
    """The day's spending after recording ``usd``; a refund (``usd`` < 0) of more than was
    recorded today (it was charged yesterday) leaves it at zero, never below."""
    return max(0.0, spent + usd)


def plan_dispatch(
    now: float,
    slots: Iterable[Slot],
    requests: Iterable[Request],
    last_granted: Mapping[str, float],
    *,
    max_concurrent: int,
    abandon_after_s: float,
) -> Dispatch:
    """Expire leases, drop abandoned requests, and grant the free slots in serving order."""
    slots, requests = list(slots), list(requests)
    live = live_view(now, slots, requests, last_granted, abandon_after_s=abandon_after_s)
    expired = tuple(s.job_id for s in slots if s.expires_at <= now)
    abandoned = tuple(r.waiting.job_id for r in requests if r.seen_at <= now - abandon_after_s)
    free = max(0, max_concurrent - len(live.slots))
    return Dispatch(expired, abandoned, tuple(serving_order(live.requests, last_granted)[:free]))


def live_view(
    now: float,
    slots: Iterable[Slot],
    requests: Iterable[Request],
    last_granted: Mapping[str, float],
    *,
    abandon_after_s: float,
) -> View:
    """The leases not yet expired and the requests not abandoned, as of ``now``."""
    live = tuple(s for s in slots if s.expires_at > now)
    holding = {s.job_id for s in live}
    waiting = tuple(
        r.waiting
        for r in requests
        if r.seen_at > now - abandon_after_s and r.waiting.job_id not in holding
    )
    return View(live, waiting, dict(last_granted))


class SharedQuota(QuotaStore):
    """A store whose state other processes share: waiting jobs poll it.

    Subclasses provide a few atomic steps (each one transaction of their backend); this
    class turns them into the :class:`QuotaStore` behaviour.
    """

    def __init__(self, *, clock: Clock | None = None, **limits: Unpack[QuotaLimits]):
        super().__init__(**limits)
        self.clock: Clock = clock or SystemClock()
        self._changed = asyncio.Event()

    @property
    def abandon_after_s(self) -> float:
        """A waiting request whose job has not polled for this long is dropped."""
        return self.lease_ttl_s

    # -- the backend's atomic steps ----------------------------------------------------------

    @abstractmethod
    async def _take(self, holder: Holder) -> Lease | None:
        """Renew the holder's live lease and return it; else record the request (keeping
        its first ``asked_at``, refreshing ``seen_at``), dispatch, and return the lease if
        the holder was granted one."""

    @abstractmethod
    async def _put_lease(self, holder: Holder) -> Lease:
        """Hold a slot for ``holder`` until ``lease_ttl_s`` from now, whatever the limit."""

    @abstractmethod
    async def _drop(self, holder: Holder) -> None:
        """Delete the holder's lease and request, if any."""

    @abstractmethod
    async def _try_permit(self, token: str) -> float:
        """Count one submit as ``token`` and return 0 if it fits the window; else the
        seconds to wait."""

    @abstractmethod
    async def _restamp(self, token: str) -> None:
        """Count the submit of ``token`` from now on (again, if it left the window)."""

    @abstractmethod
    async def _view(self) -> View:
        """The live leases and waiting requests (see :func:`live_view`)."""

    # -- the interface -------------------------------------------------------------------

    async def acquire(self, holder: Holder) -> Lease:
        step: asyncio.Future[Lease | None] | None = None
        try:
            while True:
                # each look runs to its end even if we are cancelled meanwhile, so that a
                # slot it grants is seen, and released, by the withdrawal below
                step = asyncio.ensure_future(self._take(holder))
                if (lease := await asyncio.shield(step)) is not None:
                    return lease
                await self._pause()
        except BaseException:
            await self._withdraw(holder, step)
            raise

    async def adopt(self, holder: Holder) -> Lease:
        return await self._put_lease(holder)

    async def renew(self, lease: Lease) -> Lease:
        return await self._put_lease(lease.holder)

    async def release(self, holder: Holder) -> None:
        await self._drop(holder)
        self._wake()

    async def submit_permit(self) -> str:
        token = uuid.uuid4().hex
        while (wait := await self._try_permit(token)) > 0:
            await self.clock.sleep(wait)
        return token

    async def submit_sent(self, permit: object) -> None:
        if isinstance(permit, str):
            await self._restamp(permit)

    async def status(self, holder: Holder | None = None) -> QueueStatus:
        view = await self._view()
        order = serving_order(view.requests, view.last_granted)
        ahead = next((i for i, w in enumerate(order) if holder and w.job_id == holder.job_id), None)
        running = tuple(sorted(slot.user for slot in view.slots))
        return QueueStatus(ahead, running, len(order), await self.spent_today())

    # -- waiting -------------------------------------------------------------------------

    def _wake(self) -> None:
        """Wake this process's waiters now (a slot of ours was freed)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _pause(self) -> None:
        """Until the next poll is due, or a job of this process frees a slot."""
        woken = asyncio.ensure_future(self._changed.wait())
        due = asyncio.ensure_future(self.clock.sleep(random.uniform(*POLL_INTERVAL_S)))
        try:
            await asyncio.wait({woken, due}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            due.cancel()

    async def _withdraw(self, holder: Holder, step: asyncio.Future[Any] | None) -> None:
        """After a cancelled or failed wait: hold nothing, even a slot granted meanwhile.
        Waits for the last look to end first (it may grant), and is shielded, so a second
        cancellation cannot leave a slot behind; if the store itself fails, the request is
        dropped as abandoned and a lease expires."""

        async def withdraw() -> None:
            if step is not None:
                await asyncio.wait({step})
                if not step.cancelled():
                    step.exception()  # seen here; the caller gets its own error
            await self._drop(holder)

        try:
            await asyncio.shield(withdraw())
        except BaseException as exc:  # the original error is what the caller must see
            log.warning("could not withdraw quota request %s: %s", holder.job_id, exc)
        self._wake()

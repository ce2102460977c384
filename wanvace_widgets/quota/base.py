"""The account's submit quota as one interface (reference §8.3: per account and model,
2 live tasks and 2 submits per second, summed over every key and kernel).

A job takes a *lease* on one of ``max_concurrent`` slots before it uploads and submits,
renews it while it is followed, and releases it when the server says the task ended (or
when it ended locally, before anything was created). A lease that is not renewed expires
after ``lease_ttl_s``, so a kernel that dies gives its slot back. Just before each submit
POST the job also takes a *submit permit*, which keeps every submit of the account within
``submits_per_second``.

Waiting jobs are served round-robin by user (fair share): the user served least recently
goes next, and each user's jobs go in the order they asked. One user's batch of fifty never
blocks the others for more than one turn.

Every submit is also noted in the store before its POST leaves, and settled with the task
id it got (or with none, when nothing was created). A submit whose answer was lost is
looked for on the server's task list; the store tells it which tasks other kernels and
other users of the key already hold, and which of their submits are still unsettled, so
that it never takes another user's task for its own (``recovery.py``).

Stores implement this for one kernel (:class:`~.local.LocalQuota`), for every kernel of one
machine, and for a whole team; the client's scheduler only sees this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TypedDict

from ..contract import constants as c
from ..errors import QuotaStoreError

__all__ = [
    "DEFAULT_LEASE_TTL_S",
    "Holder",
    "Lease",
    "QueueStatus",
    "QuotaLimits",
    "QuotaStore",
    "QuotaStoreError",
    "SUBMITS_KEPT_S",
    "SubmitRecord",
]

#: a lease not renewed for this long is taken back (a dead kernel's slot frees itself)
DEFAULT_LEASE_TTL_S = 60.0
#: submits are remembered as long as the server keeps their tasks, and an hour more
SUBMITS_KEPT_S = c.TASK_RETENTION_S + 3600.0


@dataclass(frozen=True)
class Holder:
    """Who asks for a slot: one job (``job_id``, unique and stable across restarts) of one
    user (the fair-share key: the Jupyter user name, or a name set in the environment)."""

    job_id: str
    user: str


@dataclass(frozen=True)
class Lease:
    """A granted slot; valid until ``expires_at`` (clock seconds) unless renewed."""

    holder: Holder
    expires_at: float


@dataclass(frozen=True)
class QueueStatus:
    """What a waiting (or running) job can show about the shared queue.

    ``ahead`` counts the jobs that will get a slot before this one (0: next); ``None``
    when the job holds a slot or is not waiting. ``running`` names the users of the live
    slots (user names only), ``waiting`` counts every waiting job, ``spent_today_usd`` is
    what the whole store (the team) recorded today.
    """

    ahead: int | None
    running: tuple[str, ...]
    waiting: int
    spent_today_usd: float


@dataclass(frozen=True)
class SubmitRecord:
    """One job's submit as the store keeps it: who sent it and when (the sender's clock),
    the task id it got, and whether it is ``settled`` (a task id, or surely nothing)."""

    job_id: str
    user: str
    sent_at: float
    task_id: str | None = None
    settled: bool = False


class QuotaLimits(TypedDict, total=False):
    """The limits every store takes as keywords (:class:`QuotaStore`'s)."""

    max_concurrent: int
    submits_per_second: int
    lease_ttl_s: float


class QuotaStore(ABC):
    """Slots and submit permits shared by every job that uses the same store."""

    def __init__(
        self,
        *,
        max_concurrent: int = c.CONCURRENT_TASKS,
        submits_per_second: int = c.SUBMITS_PER_SECOND,
        lease_ttl_s: float = DEFAULT_LEASE_TTL_S,
    ):
        if max_concurrent < 1 or submits_per_second < 1 or lease_ttl_s <= 0:
            raise ValueError("max_concurrent and submits_per_second must be ≥ 1, lease_ttl_s > 0")
        self.max_concurrent = max_concurrent
        self.submits_per_second = submits_per_second
        self.lease_ttl_s = lease_ttl_s

    @abstractmethod
    async def acquire(self, holder: Holder) -> Lease:
        """Wait for a slot (fair share) and return its lease. Cancelling the wait withdraws
        the request; nothing is held afterwards."""

    @abstractmethod
    async def adopt(self, holder: Holder) -> Lease:
        """Take a slot now, without waiting, even beyond ``max_concurrent``: for a task that
        already runs on the server (a resumed kernel). Renews the lease if one exists."""

    @abstractmethod
    async def renew(self, lease: Lease) -> Lease:
        """Extend a lease by ``lease_ttl_s`` from now. A lease that had expired is taken
        again as by :meth:`adopt` (its task still runs, so it still fills a slot)."""

    @abstractmethod
    async def release(self, holder: Holder) -> None:
        """Give the slot back, or withdraw a waiting request. Idempotent."""

    @abstractmethod
    async def submit_permit(self) -> object:
        """Wait until one more submit fits in the account's per-second budget, and count it.
        Returns a token for :meth:`submit_sent`."""

    async def submit_sent(self, permit: object) -> None:
        """Count the submit of ``permit`` from now, when its POST has been answered.

        The server counts a submit when it arrives, which may be long after its permit (a
        kernel's first request, a busy machine); from the answer on, the submit is surely
        counted, so counting it from then keeps the next permits clear of it. Stores that
        keep permits in one process only may ignore it.
        """
        return None

    @abstractmethod
    async def status(self, holder: Holder | None = None) -> QueueStatus:
        """The shared queue as ``holder`` sees it (see :class:`QueueStatus`)."""

    @abstractmethod
    async def try_spend(self, user: str, usd: float, daily_limit_usd: float | None) -> bool:
        """Record ``usd`` against ``user`` for today, unless that would take the user past
        ``daily_limit_usd`` (None: no limit); atomic, so two kernels cannot both pass."""

    @abstractmethod
    async def spent_today(self, user: str | None = None) -> float:
        """USD recorded today by ``user``, or by everyone when ``user`` is None."""

    @abstractmethod
    async def note_submit(self, holder: Holder, sent_at: float) -> None:
        """Note that ``holder``'s submit POST leaves now (at ``sent_at``): until it is
        settled, a task created then may be this submit's."""

    @abstractmethod
    async def settle_submit(self, holder: Holder, task_id: str | None) -> None:
        """The submit of ``holder`` got ``task_id`` (None: surely nothing was created)."""

    @abstractmethod
    async def recent_submits(self) -> list[SubmitRecord]:
        """Every submit noted in the last :data:`SUBMITS_KEPT_S` seconds."""

    async def aclose(self) -> None:
        """Release what the store holds open (connections); leases stay until they expire."""
        return None

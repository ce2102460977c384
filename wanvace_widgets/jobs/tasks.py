"""A Task: one job's state, its observers, and the ways to wait for it.

The state is one frozen :class:`TaskSnapshot`; the scheduler moves it on with
:meth:`Task.apply`, which refuses moves the lifecycle does not allow (``lifecycle.py``).
Everyone else reads it (``task.status``, ``task.snapshot()``), observes it, or awaits it.
Observers run on the event loop after every change, which is how widgets and the journal
follow a job while the user runs other cells.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    TaskCanceledError,
    TaskDetachedError,
    TaskFailedError,
    TaskUnknownError,
    VaceError,
    WaitTimeoutError,
)
from . import lifecycle as s
from .blocking import run_blocking
from .job_entry import ErrorRecord, JobEntry

if TYPE_CHECKING:
    from ..contract.request_models import VaceRequest
    from ..quota import QueueStatus
    from .scheduler import Scheduler

__all__ = ["LOCAL_STATUSES", "Task", "TaskSnapshot"]

log = logging.getLogger(__name__)

#: the statuses that are ours, not the server's
LOCAL_STATUSES = tuple(name for name, state in s.STATES.items() if state.ours)


@dataclass(frozen=True)
class TaskSnapshot:
    """A job's state at one moment, for observers, ``watch()`` and the journal.

    ``function`` is the kind of job (``video_edit``, ``instruction_edit``, …), ``model``
    the model it was sent to (None for a task attached without its journal entry).

    Times: ``created_at`` is when the job was asked for, ``submitting_at`` when its submit
    POST left and ``submitted_at`` when the server took it (clock seconds, kept across
    restarts); ``submit_time``,
    ``scheduled_time`` and ``end_time`` are the server's own texts. ``problem`` describes a
    passing trouble while following (the server unreachable, an unreadable answer), which
    does not end the job; ``error`` says why it ended without a video (or stopped being
    followed). ``watching`` is False once this client stops following it; ``finished``
    once nothing more will happen here. ``request`` describes what was asked (JSON-safe,
    media as paths or sizes); ``estimated_usd`` is the price recorded at submit,
    ``billed_usd`` the price of the seconds the server reported. ``expected_end_at`` is when
    jobs of its kind usually end (clock seconds, from their history; None without history:
    ``poll_plan.py``). ``queue`` is what a QUEUED job sees of the shared quota (who runs,
    how many are ahead, the team's money today), refreshed while it waits.
    ``candidates`` are the server's tasks an interrupted submit could be, when the
    server's task list cannot tell which (``task.adopt(task_id)`` chooses one).
    """

    job_id: str
    function: str
    status: str
    created_at: float
    model: str | None = None
    task_id: str | None = None
    request_id: str | None = None
    submitting_at: float | None = None
    submitted_at: float | None = None
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    expected_end_at: float | None = None
    video_url: str | None = None
    video_url_expires_at: float | None = None
    usage: dict[str, Any] | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    estimated_usd: float | None = None
    billed_usd: float | None = None
    request: dict[str, Any] | None = None
    queue: QueueStatus | None = None
    error: VaceError | None = None
    problem: str | None = None
    local_path: Path | None = None
    watching: bool = True
    finished: bool = False
    candidates: tuple[str, ...] = ()


    @classmethod
    def from_entry(cls, entry: JobEntry) -> TaskSnapshot:
        """A job's last known state from its journal entry, to follow or recover it here
        (the error of an earlier process is not carried over: what happens now decides)."""
        return cls(
            job_id=entry.job_id,
            function=entry.function,
            status=entry.status,
            created_at=entry.created_at,
            model=entry.model,
            task_id=entry.task_id,
            request_id=entry.request_id,
            submitting_at=entry.submitting_at,
            submitted_at=entry.submitted_at,
            submit_time=entry.submit_time,
            scheduled_time=entry.scheduled_time,
            end_time=entry.end_time,
            video_url=entry.video_url,
            video_url_expires_at=entry.video_url_expires_at,
            usage=entry.usage,
            orig_prompt=entry.orig_prompt,
            actual_prompt=entry.actual_prompt,
            estimated_usd=entry.estimated_usd,
            billed_usd=entry.billed_usd,
            request=entry.request,
            local_path=entry.local_path,
            candidates=entry.candidates,
        )


_FIELDS = frozenset(f.name for f in dataclasses.fields(TaskSnapshot))


class Task:
    """One job (of any model), from local queue to saved video. Made by :class:`VaceClient`.

    Every field of :class:`TaskSnapshot` reads as an attribute (``task.status``,
    ``task.task_id``, ``task.local_path``, …).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        state: TaskSnapshot,
        request: VaceRequest | None = None,
    ):
        self._scheduler = scheduler
        self._state = state
        #: the request object, for a task made here (None for one attached from elsewhere)
        self.request = request
        #: status queries answered so far (not part of the state: it changes every poll)
        self.polls = 0
        self._observers: list[Callable[[TaskSnapshot], Any]] = []
        self._settled: list[asyncio.Future[None]] = []

    def __getattr__(self, name: str) -> Any:
        if name in _FIELDS and name != "request":
            return getattr(self._state, name)
        raise AttributeError(f"'Task' object has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"Task({self.function}, id={self.task_id}, status={self.status})"

    # -- reading ----------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once nothing more will happen here: an ended status, and for SUCCEEDED,
        the local copy written (or its download failed)."""
        return self._state.finished

    @property
    def elapsed_s(self) -> float:
        """Seconds since the server took the job (since it was asked, before that)."""
        start = self._state.submitted_at or self._state.created_at
        end = self._scheduler.clock.now()
        return max(0.0, end - start)

    @property
    def expected_in_s(self) -> float | None:
        """Seconds until jobs of this kind usually end (0 once that time passed), or None
        while the task is not live on the server or has no history to go by."""
        expected = self._state.expected_end_at
        if expected is None or self._state.status not in s.LIVE_ON_SERVER:
            return None
        return max(0.0, expected - self._scheduler.clock.now())

    def snapshot(self) -> TaskSnapshot:
        return self._state

    def to_entry(self) -> JobEntry:
        """What the journal keeps: no key, no bytes, no passing trouble."""
        state = self._state
        error = state.error
        return JobEntry(
            job_id=state.job_id,
            function=state.function,
            status=state.status,
            created_at=state.created_at,
            model=state.model,
            task_id=state.task_id,
            request_id=state.request_id,
            submitting_at=state.submitting_at,
            submitted_at=state.submitted_at,
            submit_time=state.submit_time,
            scheduled_time=state.scheduled_time,
            end_time=state.end_time,
            video_url=state.video_url,
            video_url_expires_at=state.video_url_expires_at,
            usage=state.usage,
            orig_prompt=state.orig_prompt,
            actual_prompt=state.actual_prompt,
            estimated_usd=state.estimated_usd,
            billed_usd=state.billed_usd,
            request=state.request,
            error=None
            if error is None
            else ErrorRecord(type(error).__name__, getattr(error, "code", None), str(error)),
            local_path=state.local_path,
            finished=state.finished,
            candidates=state.candidates,
            **self._scheduler.describe_backend(),
        )

    # -- observing ----------------------------------------------------------------------

    def add_observer(self, callback: Callable[[TaskSnapshot], Any]) -> None:
        """Call ``callback(snapshot)`` after every change, on the event loop."""
        self._observers.append(callback)

    def remove_observer(self, callback: Callable[[TaskSnapshot], Any]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    async def watch(self) -> AsyncIterator[TaskSnapshot]:
        """Yield a snapshot now and after each change, until the task is done (or no
        longer followed here)."""
        queue: asyncio.Queue[TaskSnapshot] = asyncio.Queue()
        self.add_observer(queue.put_nowait)
        try:
            last = self.snapshot()
            yield last
            while not _settled(last):
                snap = await queue.get()
                if snap != last:
                    last = snap
                    yield snap
        finally:
            self.remove_observer(queue.put_nowait)

    # -- waiting ------------------------------------------------------------------------

    async def wait(self, timeout: float | None = None) -> Task:
        """Wait until done; raise the task's error if it ended without a video.

        A timeout raises :class:`WaitTimeoutError` and cancels nothing: the task may still
        be running on the server (and is still followed in the background).
        """
        if not _settled(self._state):
            settled = asyncio.get_running_loop().create_future()
            self._settled.append(settled)
            try:
                await asyncio.wait_for(asyncio.shield(settled), timeout)
            except asyncio.TimeoutError:
                if timeout is None:  # not our wait's: without a timeout it never ends so
                    raise
                raise WaitTimeoutError(self.task_id, self.status, timeout) from None
            finally:
                self._settled.remove(settled)
        self.raise_for_status()
        return self

    def raise_for_status(self) -> None:
        """Raise the error of a task that ended without a video (or is no longer followed);
        do nothing otherwise."""
        state = self._state
        if state.status == s.FAILED:
            raise TaskFailedError(
                state.task_id,
                s.FAILED,
                code=getattr(state.error, "code", None),
                message=getattr(state.error, "message", None),
            )
        if state.status == s.CANCELED:
            raise TaskCanceledError(state.task_id, s.CANCELED)
        if state.status == s.UNKNOWN:
            raise TaskUnknownError(state.task_id, s.UNKNOWN)
        if state.finished and state.error is not None:
            raise state.error
        if not state.watching and not state.finished:
            raise TaskDetachedError(state.task_id, state.status, message=state.problem)

    def result(self, timeout: float | None = None) -> Path | None:
        """Blocking form of :meth:`wait`, for scripts: returns the local video file."""
        run_blocking(lambda: self.wait(timeout))
        return self._state.local_path

    async def cancel(self) -> None:
        """Cancel while queued or uploading here, or PENDING on the server (the API's rule)."""
        await self._scheduler.cancel(self)

    def stop_watching(self) -> None:
        """Stop following this task here; the server goes on. ``client.attach`` resumes."""
        self._scheduler.stop_watching(self)

    async def download(self, path: str | Path | None = None) -> Path:
        """Save the result to ``path`` (default: the client's results folder), again if
        need be: the server keeps it 24 hours."""
        return await self._scheduler.download(self, path)

    async def reconcile(self) -> Task:
        """For an UNCONFIRMED submit: look for it on the server's task list once a task made
        then would surely be listed (a few minutes after the submit), and follow the one
        task that can only be this submit's; with none, the job ends as not created (ERROR,
        nothing billed); with several, ``candidates`` lists them. Never submits anything.
        The client does this by itself; call it to try again after the list could not be
        read."""
        await self._scheduler.reconcile(self)
        return self

    async def adopt(self, task_id: str) -> Task:
        """Follow ``task_id``, one of ``candidates``, as this job's task: when the task list
        could not tell which task an interrupted submit made, you choose (the Model Studio
        console shows each task's prompt)."""
        await self._scheduler.adopt(self, task_id)
        return self

    # -- changing (the scheduler's side) ---------------------------------------------------

    def apply(self, **changes: Any) -> bool:
        """Change the state (used by the scheduler); a status move the lifecycle does not
        allow is refused and returns False. Observers hear of every real change."""
        status = changes.get("status", self._state.status)
        if not s.allowed(self._state.status, status):
            log.warning("task %s: ignoring a move from %s to %s", self.task_id, self.status, status)
            return False
        new = dataclasses.replace(self._state, **changes)
        if new == self._state:
            return True
        self._state = new
        for callback in list(self._observers):
            try:
                callback(new)
            except Exception:  # noqa: BLE001 - an observer must never break a job
                log.exception("task observer %r failed", callback)
        if _settled(new):
            for waiter in self._settled:
                loop = waiter.get_loop()
                if not waiter.done() and not loop.is_closed():
                    loop.call_soon_threadsafe(_resolve, waiter)
        return True


def _settled(state: TaskSnapshot) -> bool:
    """Nothing more to wait for here: finished, or no longer followed."""
    return state.finished or not state.watching


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)

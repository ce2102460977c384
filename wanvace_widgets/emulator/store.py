"""Emulated tasks: their lifecycle on the emulator's clock, quotas, and the render job.

A task is PENDING for ``pending_s`` (longer under the 'queue' policy while its key has
``max_concurrent`` tasks of its model running: quotas are per key and model), then RUNNING
for at least ``running_s`` and until its media are fetched, checked and rendered, then
SUCCEEDED or FAILED. State is advanced
lazily whenever the store is asked, so a manual clock drives it without sleeping.

Memory stays bounded (``docs/api-contract.md`` §15): a task is forgotten once it is past
the 24 h retention, and result videos live in a byte budget, oldest dropped first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..contract import constants as c
from ..contract.families import function_of_body
from .blobs import Blobs
from .profiles import EmulatorConfig
from .validation import ApiFailure, TaskFailure

__all__ = ["EmulatedTask", "TaskStore"]

Renderer = Callable[["EmulatedTask"], Awaitable[tuple[bytes, float]]]


@dataclass
class EmulatedTask:
    task_id: str
    key: str
    body: dict
    submitted_at: float
    status: str = c.PENDING
    started_at: float | None = None
    ended_at: float | None = None
    code: str | None = None
    message: str | None = None
    video_duration: float | None = None
    forced_failure: tuple[str, str] | None = None
    job: asyncio.Task | None = field(default=None, repr=False)
    job_done_at: float | None = None
    running_s: float = 0.0  # the config's running_s when submitted: later changes do not apply
    queries: int = 0  # status GETs answered for this task (polling cost, in benchmarks)

    @property
    def function(self) -> str:
        """VACE's ``input.function``, or the function of a model without one."""
        return function_of_body(self.body) or ""

    @property
    def live(self) -> bool:
        return self.status in c.LIVE_STATUSES


class TaskStore:
    """Every task of one emulator, with per-key rate and concurrency quotas.

    ``renderer`` is the coroutine that makes a task's video (fetch, check, render); a test
    may swap in a cheaper one.
    """

    def __init__(self, config: EmulatorConfig, renderer: Renderer):
        self.config = config
        self.renderer = renderer
        self.tasks: dict[str, EmulatedTask] = {}  # in submission order
        self.results = Blobs(config.result_cache_bytes)
        self._submits: dict[str, deque[float]] = defaultdict(deque)
        self._queries: dict[str, deque[float]] = defaultdict(deque)

    @property
    def now(self) -> float:
        return self.config.clock.now()

    # -- quotas -----------------------------------------------------------------------

    def _rate(self, window: dict[str, deque[float]], key: str, limit: int) -> None:
        times, now = window[key], self.now
        _drop_older(times, now - 1.0)
        if len(times) >= limit:
            raise ApiFailure(
                429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."
            )
        times.append(now)

    def count_query(self, key: str) -> None:
        self._rate(self._queries, key, self.config.queries_per_second)

    # -- lifecycle ----------------------------------------------------------------------

    def submit(self, key: str, body: dict, failure: tuple[str, str] | None = None) -> EmulatedTask:
        """Take a checked body as a new task, within the quota of its key and model
        (contract §12.3: limits are per account and model)."""
        self.advance()
        model = body["model"]
        live = sum(1 for t in self.tasks.values() if _same_quota(t, key, model) and t.live)
        if self.config.quota_policy == "reject" and live >= self.config.max_concurrent:
            raise ApiFailure(
                429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."
            )
        self._rate(self._submits, f"{key}\0{model}", self.config.submits_per_second)
        task = EmulatedTask(
            str(uuid.uuid4()),
            key,
            body,
            self.now,
            forced_failure=failure,
            running_s=self._running_s(body),
        )
        self.tasks[task.task_id] = task
        self.advance()
        return task

    def _running_s(self, body: dict) -> float:
        timing = self.config.running_time
        return self.config.running_s if timing is None else timing(body)

    def get(self, task_id: str) -> EmulatedTask | None:
        """The task, or None when it is unknown or past retention (then UNKNOWN, §11.3)."""
        self.advance()
        return self.tasks.get(task_id)

    def video(self, task: EmulatedTask) -> bytes | None:
        """The task's result video, or None when there is none or it was dropped (§15)."""
        return self.results.get(task.task_id)

    def cancel(self, task_id: str) -> None:
        task = self.get(task_id)
        if task is None or task.status != c.PENDING:
            raise ApiFailure(
                400,
                "UnsupportedOperation",
                "Failed to cancel the task, please confirm if the task is in PENDING status.",
            )
        task.status, task.ended_at = c.CANCELED, self.now

    def advance(self) -> None:
        """Forget what is past retention, then move every task as far as the clock and its
        render job allow."""
        now = self.now
        self._evict(now)
        for task in [t for t in self.tasks.values() if t.status == c.RUNNING]:
            self._maybe_finish(task, now)
        for task in [t for t in self.tasks.values() if t.status == c.PENDING]:
            self._maybe_start(task, now)
            if task.status == c.RUNNING:
                self._maybe_finish(task, now)

    def _maybe_start(self, task: EmulatedTask, now: float) -> None:
        ready = task.submitted_at + self.config.pending_s
        if now < ready:
            return
        peers = [t for t in self.tasks.values() if _same_quota(t, task.key, task.body["model"])]
        if sum(1 for t in peers if t.status == c.RUNNING) >= self.config.max_concurrent:
            return
        freed = [t.ended_at for t in peers if t.ended_at is not None and t.started_at is not None]
        slot_free = max((f for f in freed if f <= now), default=ready)
        task.started_at = max(ready, min(slot_free, now))
        task.status = c.RUNNING
        task.job = self._start_job(task)

    def _start_job(self, task: EmulatedTask) -> asyncio.Task | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None  # started on the next request, which runs on the loop
        job = loop.create_task(self._run_job(task))
        return job

    def _evict(self, now: float) -> None:
        """Forget tasks submitted more than 24 h ago (§11.3), with their videos, and rate
        windows of keys that sent nothing within the last second."""
        for task_id, task in list(self.tasks.items()):
            if now - task.submitted_at <= c.TASK_RETENTION_S:
                break  # the rest are younger: tasks are kept in submission order
            if task.job is not None:
                task.job.cancel()
            del self.tasks[task_id]
            self.results.discard(task_id)
        for window in (self._submits, self._queries):
            for key in [k for k, times in window.items() if not _drop_older(times, now - 1.0)]:
                del window[key]

    async def _run_job(self, task: EmulatedTask) -> None:
        try:
            if task.forced_failure:
                raise TaskFailure(*task.forced_failure)
            video, task.video_duration = await self.renderer(task)
            if task.task_id in self.tasks:  # not forgotten while it rendered
                self.results.put(task.task_id, video)
        except TaskFailure as failure:
            task.code, task.message = failure.code, failure.message
        except Exception as exc:  # noqa: BLE001 - any render bug becomes a FAILED task
            task.code, task.message = "InternalError.Algo", f"Rendering failed: {exc}"
        task.job_done_at = self.now

    def _maybe_finish(self, task: EmulatedTask, now: float) -> None:
        if task.job is None:
            task.job = self._start_job(task)
        if task.job_done_at is None or task.started_at is None:
            return
        due = max(task.started_at + task.running_s, task.job_done_at)
        if now < due:
            return
        task.ended_at = due
        task.status = c.FAILED if task.code else c.SUCCEEDED

    async def wait_idle(self) -> None:
        """Wait until every started render job has finished (for tests)."""
        jobs = [t.job for t in self.tasks.values() if t.job is not None and not t.job.done()]
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)


def _same_quota(task: EmulatedTask, key: str, model: str) -> bool:
    """Whether ``task`` counts against the quota of ``key`` and ``model``."""
    return task.key == key and task.body["model"] == model


def _drop_older(times: deque[float], limit: float) -> deque[float]:
    """Drop the times at or before ``limit`` (the oldest come first); return what is left."""
    while times and times[0] <= limit:
        times.popleft()
    return times

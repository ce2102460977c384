"""A Task: one job's state, its observers, and the ways to wait for it.

The client changes a task (``_update``); everyone else reads it, observes it, awaits it.
Observers run on the event loop after every change, which is how widgets follow a job
while the user runs other cells.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import contract as c
from .blocking import run_blocking
from .errors import (
    TaskCanceledError,
    TaskFailedError,
    TaskUnknownError,
    VaceError,
    WaitTimeoutError,
)

if TYPE_CHECKING:
    from .client import VaceClient
    from .requests import VaceRequest

__all__ = ["LOCAL_STATUSES", "Task", "TaskSnapshot"]

log = logging.getLogger(__name__)

QUEUED, UPLOADING, SUBMITTING, ERROR = "QUEUED", "UPLOADING", "SUBMITTING", "ERROR"
LOCAL_STATUSES = (QUEUED, UPLOADING, SUBMITTING, ERROR)
TERMINAL = (c.SUCCEEDED, c.FAILED, c.CANCELED, c.UNKNOWN, ERROR)


@dataclass(frozen=True)
class TaskSnapshot:
    """A task's state at one moment, for observers, ``watch()`` and the journal."""

    task_id: str | None
    request_id: str | None
    function: str
    status: str
    created_at: float
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    video_url: str | None = None
    video_url_expires_at: float | None = None
    usage: dict | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    error: VaceError | None = None
    local_path: Path | None = None
    watching: bool = True
    finished: bool = False


@dataclass(eq=False)
class Task:
    """One VACE job, from local queue to downloaded video. Made by :class:`VaceClient`."""

    client: VaceClient = field(repr=False)
    function: str
    request: VaceRequest | None = field(default=None, repr=False)
    task_id: str | None = None
    request_id: str | None = None
    status: str = QUEUED
    created_at: float = 0.0
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    video_url: str | None = None
    video_url_expires_at: float | None = None
    usage: dict | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    error: VaceError | None = None
    local_path: Path | None = None
    watching: bool = True
    finished: bool = False

    def __post_init__(self) -> None:
        self._observers: list[Callable[[TaskSnapshot], Any]] = []
        self._waiters: list[asyncio.Future] = []
        self.polls = 0

    def __repr__(self) -> str:
        return f"Task({self.function}, id={self.task_id}, status={self.status})"

    # -- reading ----------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once nothing more will happen: a final status, and for SUCCEEDED, the
        local copy written (or its download failed)."""
        return self.finished

    @property
    def elapsed_s(self) -> float:
        return max(0.0, self.client._clock() - self.created_at)

    def snapshot(self) -> TaskSnapshot:
        fields = {k: getattr(self, k) for k in TaskSnapshot.__dataclass_fields__}
        return TaskSnapshot(**fields)

    def to_record(self) -> dict[str, Any]:
        """What the journal keeps: no key, no bytes."""
        snap = {name: getattr(self, name) for name in TaskSnapshot.__dataclass_fields__}
        snap["error"] = (
            None
            if self.error is None
            else {
                "type": type(self.error).__name__,
                "code": getattr(self.error, "code", None),
                "message": str(self.error),
            }
        )
        snap["local_path"] = str(self.local_path) if self.local_path else None
        snap["request"] = self.request.summary() if self.request else None
        snap["host"], snap["region"] = self.client.host, self.client.region
        return snap

    # -- observing ----------------------------------------------------------------------

    def add_observer(self, callback: Callable[[TaskSnapshot], Any]) -> None:
        """Call ``callback(snapshot)`` after every change, on the event loop."""
        self._observers.append(callback)

    def remove_observer(self, callback: Callable[[TaskSnapshot], Any]) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    async def watch(self) -> AsyncIterator[TaskSnapshot]:
        """Yield a snapshot now and after each change, until the task is done."""
        queue: asyncio.Queue[TaskSnapshot] = asyncio.Queue()
        self.add_observer(queue.put_nowait)
        try:
            last = self.snapshot()
            yield last
            while not self.done:
                snap = await queue.get()
                if snap != last:
                    last = snap
                    yield snap
            while not queue.empty():
                snap = queue.get_nowait()
                if snap != last:
                    last = snap
                    yield snap
        finally:
            self.remove_observer(queue.put_nowait)

    # -- waiting ------------------------------------------------------------------------

    async def wait(self, timeout: float | None = None) -> Task:
        """Wait until done; raise the task's error if it ended without a video.

        A timeout raises :class:`WaitTimeoutError` and cancels nothing: the task may still
        be running on the server.
        """
        if timeout is None:
            timeout = self.client.poll.deadline
        if not self.finished:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except asyncio.TimeoutError:
                raise WaitTimeoutError(self.task_id, self.status, timeout) from None
            finally:
                self._waiters.remove(waiter)
        self.raise_for_status()
        return self

    def raise_for_status(self) -> None:
        """Raise the error of a task that ended without a video; do nothing otherwise."""
        if self.status == c.FAILED:
            raise TaskFailedError(
                self.task_id,
                c.FAILED,
                code=getattr(self.error, "code", None),
                message=getattr(self.error, "message", None),
            )
        if self.status == c.CANCELED:
            raise TaskCanceledError(self.task_id, c.CANCELED)
        if self.status == c.UNKNOWN:
            raise TaskUnknownError(self.task_id, c.UNKNOWN)
        if self.error is not None and self.finished:
            raise self.error

    def result(self, timeout: float | None = None) -> Path:
        """Blocking form of :meth:`wait`, for scripts: returns the local video file."""
        run_blocking(lambda: self.wait(timeout))
        return self.local_path

    async def cancel(self) -> None:
        """Cancel while still queued locally or PENDING on the server (the API's rule)."""
        await self.client._cancel(self)

    def stop_watching(self) -> None:
        """Stop polling this task here; the server goes on. ``client.attach`` resumes."""
        self.client._stop_watching(self)

    async def download(self, path: str | Path | None = None) -> Path:
        """Stream the result to ``path`` (default: the client's results folder)."""
        return await self.client._download(self, path)

    # -- changing (the client's side) ----------------------------------------------------

    def _update(self, **changes: Any) -> None:
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return
        for key, value in changed.items():
            setattr(self, key, value)
        self._notify()

    def _finish(self) -> None:
        self.finished = True
        self._notify()
        for waiter in self._waiters:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.get_loop().call_soon_threadsafe(_resolve, waiter)

    def _notify(self) -> None:
        self.client._record(self)
        snap = self.snapshot()
        for callback in list(self._observers):
            try:
                callback(snap)
            except Exception:  # noqa: BLE001 - an observer must never break polling
                log.exception("task observer %r failed", callback)


def _resolve(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)

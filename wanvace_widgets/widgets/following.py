"""Following the jobs of one form: started or resumed after a kernel restart, observed on
the kernel's event loop, and the job actions (Cancel, Stop watching, Follow again,
Look again) its state allows.

No widget here: every change of every job goes to ``on_change(snapshot)``, a failed action
to ``on_error(html)``, the once-a-second tick of a live job to ``refresh()``, and the
form's widget decides what to show.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Coroutine
from typing import Any

from ..contract.request_models import VaceRequest
from ..errors import VaceError, ValidationError
from ..jobs import lifecycle as s
from ..jobs.tasks import Task, TaskSnapshot
from .job_records import request_from_summary
from .job_status import error_html

__all__ = ["JobFollower", "action_for"]

#: how often "Follow again" asks the client (0.05 s apart) before it says to try later
_FOLLOW_ATTEMPTS = 40


class JobFollower:
    """The jobs of one form, oldest first (``jobs``), the newest (``task``), and how long
    each finished one took (``took``)."""

    def __init__(
        self,
        client: Callable[[], Any],
        on_change: Callable[[TaskSnapshot], None],
        on_error: Callable[[str], None],
        refresh: Callable[[], None],
    ):
        self._client = client
        self._on_change = on_change
        self._on_error = on_error
        self._refresh = refresh
        self.task: Task | None = None
        self.jobs: list[Task] = []
        self.took: dict[str, float] = {}
        self.rendered_at = 0.0  # when the status was last shown (the tick skips soon after)
        self._background: set[asyncio.Task] = set()

    def blocking_job(self) -> Task | None:
        """The newest job that keeps Generate off: live, or UNCONFIRMED (it may exist)."""
        for task in reversed(self.jobs):
            if not task.done or task.status == s.UNCONFIRMED:
                return task
        return None

    def live_others(self) -> tuple[TaskSnapshot, ...]:
        """The form's earlier jobs still live."""
        return tuple(t.snapshot() for t in self.jobs if t is not self.task and not t.done)

    def follow(self, task: Task) -> None:
        """Make ``task`` the form's newest job and follow it."""
        self.task = task
        self.jobs.append(task)
        task.add_observer(self._observed)
        self._spawn(self._tick(task))

    def unfinished(
        self, function: str, given: VaceRequest | None
    ) -> tuple[Task, VaceRequest | None] | None:
        """After a kernel restart: this function's newest job without an ending (from the
        client's journal, with its submit time and request id) and its request, recovered
        (followed, or its lost submit looked for); with ``given`` (a re-run cell) only a job
        of that same request."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None
        client = self._client()
        for entry in reversed(client.unfinished_jobs(function)):
            try:
                request, _ = request_from_summary(function, entry.request or {})
            except (KeyError, TypeError, ValidationError):
                request = None
            if given is not None and (request is None or request.summary() != given.summary()):
                continue
            return client.recover(entry), request
        return None

    def act(self) -> None:
        """Do what the newest job's state allows (see ``action_for``)."""
        task = self.task
        if task is None:
            return
        action = action_for(task.snapshot())
        if action == "cancel":
            self._spawn(self._guarded(task.cancel()))
        elif action == "stop":
            task.stop_watching()
        elif action == "follow":
            self._spawn(self._follow_again(task))
        elif action == "reconcile":
            self._spawn(self._guarded(task.reconcile()))

    def _observed(self, snapshot: TaskSnapshot) -> None:
        if snapshot.finished and snapshot.job_id not in self.took:
            job = next(t for t in self.jobs if t.job_id == snapshot.job_id)
            self.took[snapshot.job_id] = job.elapsed_s
        self._on_change(snapshot)

    async def _guarded(self, step: Coroutine[Any, Any, Any]) -> None:
        """Run a job action; its error (a cancel too late, a reconcile that found nothing)
        is shown rather than lost."""
        try:
            await step
        except VaceError as error:
            self._on_error(f"<div>{error_html(error)}</div>")

    async def _follow_again(self, task: Task) -> None:
        """Follow a job again after Stop watching. The client ignores that while its
        previous follow of the job is still winding down, so ask again for a short while."""
        for _ in range(_FOLLOW_ATTEMPTS):
            self._client().attach(task.task_id)
            if task.watching:
                self._spawn(self._tick(task))
                self._refresh()
                return
            await asyncio.sleep(0.05)
        self._on_error(
            "<div class='wanvace-error'>The job could not be followed again yet: press Follow "
            f"again in a moment, or <code>client.attach({html.escape(repr(task.task_id))})</code>"
            ".</div>"
        )

    async def _tick(self, task: Task) -> None:
        """Refresh the elapsed time about once a second while the job is followed (skipped
        when a status change was just shown)."""
        while not task.done and task.watching:
            await asyncio.sleep(1.0)
            recent = time.monotonic() - self.rendered_at < 0.9
            if self.task is task and not task.done and not recent:
                self._refresh()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        return job


def action_for(snapshot: TaskSnapshot) -> str:
    """The action a job's state allows (see ``job_buttons.ACTIONS``): for a lost submit,
    "Look again" once the client's own search of the task list has stopped."""
    if snapshot.status == s.UNCONFIRMED:
        return "reconcile" if snapshot.finished else ""
    if snapshot.finished:
        return ""
    if not snapshot.watching:
        return "follow" if snapshot.task_id else ""
    if snapshot.status in (s.QUEUED, s.UPLOADING, s.PENDING):
        return "cancel"
    return "stop" if snapshot.status == s.RUNNING else ""

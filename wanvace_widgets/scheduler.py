"""The scheduler: drives each job through the lifecycle on the running event loop.

One background coroutine per job: take a quota slot, upload, submit once, follow the
task until the server says it ended, save the video, give the slot back. Every way out of
that coroutine (an answer, an outage, a cancel, a bug) ends in a defined state:

* before anything could reach the server: ERROR (nothing created, nothing billed);
* a submit whose answer was lost or unreadable: UNCONFIRMED (never sent again);
* while following: passing troubles (no answer, 5xx, 429, an unreadable answer) never
  end a task. It is polled again with backoff until its follow deadline; a task whose
  fate is still unknown then stays in its last state, resumable, no longer followed;
* the server's end (SUCCEEDED, FAILED, CANCELED, UNKNOWN) frees the slot at once.

``docs/lifecycle.md`` describes the states and what the user does in each.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import contract as c
from . import lifecycle as s
from .answers import StatusAnswer, is_task_id
from .api import DashScopeAPI, encode_payload, is_transient
from .clock import Clock
from .config import Deadlines
from .downloads import download_to, result_path
from .durations import Durations
from .errors import (
    APIError,
    BadRequestError,
    BudgetExceededError,
    DownloadError,
    InternalError,
    QuotaStoreError,
    SubmitUnconfirmedError,
    TaskFailedError,
    TaskUnknownError,
    UploadError,
    VaceError,
)
from .families import VACE, ModelFamily, all_functions, family_of
from .journal import Journal
from .media import MediaInfo
from .poll_plan import PollPlan
from .polling import PollPolicy, QueryPacer, RetryPolicy
from .quota import Holder, QuotaStore
from .requests import VaceRequest
from .tasks import Task, TaskSnapshot
from .uploads import prepare_media

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)

#: how often a job waiting for a slot refreshes what it shows of the shared queue
_QUEUE_REFRESH_S = 1.0
#: backoff while the server cannot be reached stays well inside a quota lease
_MAX_TROUBLE_DELAY = 30.0
_DOWNLOAD_ATTEMPTS = 4


class Scheduler:
    """Runs and follows the jobs of one client. Tasks call its public methods; nobody
    else changes a task."""

    def __init__(
        self,
        api: DashScopeAPI,
        *,
        quota: Callable[[str], QuotaStore],
        ledger_model: str,
        model_of: Callable[[str], str],
        price_of: Callable[[str, str | None], float | None],
        pacer: QueryPacer,
        poll: PollPolicy | None,
        plan: PollPlan,
        durations: Durations,
        retry: RetryPolicy,
        deadlines: Deadlines,
        clock: Clock,
        results_dir: Path,
        journal: Journal | None,
        user: Callable[[], str],
        daily_budget_usd: float | None,
    ):
        self.api = api
        self._make_quota = quota
        self._stores: dict[str, QuotaStore] = {}
        self.ledger_model = ledger_model
        self.model_of = model_of
        self.price_of = price_of
        self.pacer = pacer
        #: a fixed schedule the user chose; None follows the plan
        self.poll = poll
        self.plan = plan
        self.durations = durations
        self.retry = retry
        self.deadlines = deadlines
        self.clock = clock
        self.results_dir = Path(results_dir)
        self.journal = journal
        self._find_user, self._user = user, None
        self.daily_budget_usd = daily_budget_usd
        #: every task of this client, in the order they were made
        self.tasks: list[Task] = []
        #: called with each new task (the history lists it at once)
        self.task_listeners: list[Callable[[Task], Any]] = []
        self._jobs: dict[str, asyncio.Task] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._journaled: dict[str, dict[str, Any]] = {}

    @property
    def quota(self) -> QuotaStore:
        """The store that keeps the daily spending of every model (the client's VACE
        model's, where the spending was always kept), and that model's slots."""
        return self.quota_for(self.ledger_model)

    def quota_for(self, model: str) -> QuotaStore:
        """The slots and submit permits of ``model``, made on first use (a shared store
        needs the key's account); quotas are per account and model (contract §12.3)."""
        if model not in self._stores:
            self._stores[model] = self._make_quota(model)
        return self._stores[model]

    def model(self, task: Task) -> str:
        """The model ``task`` was sent to (recorded at its submit; else its function's)."""
        return task.model or self.model_of(task.function)

    def _slots(self, task: Task) -> QuotaStore:
        return self.quota_for(self.model(task))

    @property
    def user(self) -> str:
        """Whose jobs these are, for fair shares and budgets (found on first use)."""
        if self._user is None:
            self._user = self._find_user()
        return self._user

    def describe_backend(self) -> dict[str, Any]:
        """What a journal entry says about where the job went (never the key)."""
        return {"host": self.api.host, "region": self.api.region, "user": self.user}

    # -- starting ----------------------------------------------------------------------

    def new_task(self, state: TaskSnapshot, request: Any = None) -> Task:
        task = Task(self, state, request)
        self.tasks.append(task)
        task.add_observer(lambda snap: self._journal(task))
        self._journal(task)
        for listener in list(self.task_listeners):
            try:
                listener(task)
            except Exception:  # noqa: BLE001 - a listener must never stop a job
                log.exception("task listener %r failed", listener)
        return task

    def start(self, task: Task) -> None:
        """Run a new job in the background (needs a running loop)."""
        self._spawn(task, self._run(task, self._new_job))

    def follow(self, task: Task) -> None:
        """Follow a task that exists on the server (attach, resume, reconcile)."""
        task.apply(watching=True)
        if task.job_id in self._jobs:  # its follower is still there (stop_watching, then attach)
            self._wake_up(task)
            return
        self._spawn(task, self._run(task, self._attached_job))

    def _spawn(self, task: Task, coro) -> None:
        job = asyncio.get_running_loop().create_task(coro)
        self._jobs[task.job_id] = job
        self._wake[task.job_id] = asyncio.Event()

        def forget(_: asyncio.Task) -> None:
            if self._jobs.get(task.job_id) is job:
                del self._jobs[task.job_id]
                self._wake.pop(task.job_id, None)

        job.add_done_callback(forget)

    async def _run(self, task: Task, steps) -> None:
        """Run a job's steps so that every way out ends in a defined state and gives the
        quota slot back."""
        holder = Holder(task.job_id, self.user)
        try:
            await steps(task, holder)
        except asyncio.CancelledError:
            self._end_stopped(task)
            raise
        except Exception as exc:  # noqa: BLE001 - every ending is a defined state
            self._end_unexpected(task, exc)
        finally:
            await self._release(task, holder)

    async def _new_job(self, task: Task, holder: Holder) -> None:
        try:
            await self._wait_for_slot(task, holder)
        except QuotaStoreError as error:
            self._end(task, s.ERROR, error)
            return
        if await self._submit(task):
            await self._follow(task, holder, immediately=False)

    async def _wait_for_slot(self, task: Task, holder: Holder) -> None:
        """Take a slot; while waiting, show the shared queue on the task (refreshed), with
        the money spent on every model today."""
        slots = self._slots(task)
        granted = asyncio.ensure_future(slots.acquire(holder))
        try:
            while not granted.done():
                await asyncio.wait({granted}, timeout=_QUEUE_REFRESH_S)
                if not granted.done():
                    queue = await slots.status(holder)
                    if slots is not self.quota:
                        spent = await self.quota.spent_today()
                        queue = dataclasses.replace(queue, spent_today_usd=spent)
                    task.apply(queue=queue)
            granted.result()
        finally:
            if not granted.done():
                granted.cancel()
                await asyncio.gather(granted, return_exceptions=True)
            if task.queue is not None:
                task.apply(queue=None)

    async def _attached_job(self, task: Task, holder: Holder) -> None:
        await self._slots(task).adopt(holder)  # it runs on the server: it fills a slot already
        if task.status == s.SUCCEEDED and task.video_url:
            await self._release(task, holder)  # resumed to save a finished video: no polling
            await self._save_result(task)
            task.apply(finished=True)
        else:
            await self._follow(task, holder, immediately=True)

    async def _release(self, task: Task, holder: Holder) -> None:
        try:
            await self._slots(task).release(holder)
        except Exception:  # noqa: BLE001 - the lease expires by itself
            log.warning("could not give back the quota slot of %s", holder.job_id, exc_info=True)

    # -- submitting --------------------------------------------------------------------

    async def _submit(self, task: Task) -> bool:
        """UPLOADING → SUBMITTING → the server's status; False when it ended here."""
        if task.status != s.QUEUED:
            return False  # cancelled while it waited for a slot
        task.apply(status=s.UPLOADING)
        model = self.model(task)
        probed: dict[tuple[str, int | None], MediaInfo] = {}
        try:
            request, oss = await asyncio.wait_for(
                prepare_media(
                    self.api.http(),
                    model,  # an upload is bound to the model that will read it
                    lambda path, params: self.api.call("GET", path, params=params),
                    task.request,
                    on_checked=probed.update,
                ),
                self.deadlines.upload,
            )
            payload = request.to_payload(model)
            encode_payload(payload)
            await self._charge(task, request, probed.get(("video", None)))
        except asyncio.TimeoutError:
            error = UploadError(
                f"the uploads did not finish within {self.deadlines.upload:g} s; nothing was "
                "submitted or billed"
            )
            return self._end(task, s.ERROR, error)
        except VaceError as error:
            return self._end(task, s.ERROR, error)
        slots = self._slots(task)
        try:
            permit = await slots.submit_permit()
        except QuotaStoreError as error:
            await self._refund(task)
            return self._end(task, s.ERROR, error)
        task.apply(status=s.SUBMITTING)
        try:
            answer = await self.api.submit(payload, oss)
        except SubmitUnconfirmedError as error:
            return self._end(task, s.UNCONFIRMED, error)
        except APIError as error:
            await self._refund(task)
            return self._end(task, s.ERROR, error)
        finally:
            await self._count_submit(slots, permit)
        return task.apply(
            task_id=answer.task_id,
            request_id=answer.request_id,
            status=answer.status,
            submitted_at=self.clock.now(),
        )

    async def _count_submit(self, slots: QuotaStore, permit: object) -> None:
        """Tell the store the POST was answered (a shared store counts the submit from then)."""
        try:
            await slots.submit_sent(permit)
        except Exception:  # noqa: BLE001 - the count only spaces later submits
            log.warning("could not count a submit in the quota store", exc_info=True)

    async def _charge(self, task: Task, request: VaceRequest, source: MediaInfo | None) -> None:
        """Record the most the job may cost (``request.max_billed``: VACE 5 s of output;
        wan2.7-videoedit the source's seconds and as many of output, from the local
        ``source`` when there is one) against the user's day, within the daily budget;
        refused, it is a BudgetExceededError and nothing is sent."""
        tier, seconds = request.max_billed(source.duration_s if source else None)
        cost = round((self.price_of(self.model(task), tier) or 0.0) * seconds, 4)
        if not await self.quota.try_spend(self.user, cost, self.daily_budget_usd):
            spent = await self.quota.spent_today(self.user)
            raise BudgetExceededError(
                f"this job (up to ${cost:.2f}) would take {self.user!r} past the daily budget of "
                f"${self.daily_budget_usd:.2f} (${spent:.2f} spent today); nothing was sent"
            )
        task.apply(estimated_usd=cost)

    async def _refund(self, task: Task, keep: float = 0.0) -> None:
        """Give back what was recorded but not billed (a failure, a shorter video)."""
        recorded = task.estimated_usd or 0.0
        if recorded - keep > 1e-9:
            try:
                await self.quota.try_spend(self.user, keep - recorded, None)
            except Exception:  # noqa: BLE001 - a spending figure is not worth a job
                log.warning("could not correct today's spending", exc_info=True)

    # -- following ----------------------------------------------------------------------

    async def _follow(self, task: Task, holder: Holder, *, immediately: bool) -> None:
        """Poll until the server says the task ended (or until the follow deadline)."""
        deadline = (task.submitted_at or self.clock.now()) + self.deadlines.follow
        troubles, retry_after = 0, None
        while task.watching and not task.finished:
            now = self.clock.now()
            if now >= deadline:
                self._detach(task, f"the follow deadline passed ({self.deadlines.follow:g} s)")
                return
            if troubles:
                delay = min(self.retry.delay(troubles - 1, retry_after), _MAX_TROUBLE_DELAY)
            else:
                delay = 0.0 if immediately else self._next_delay(task)
            immediately = False
            await self._pause(task, min(delay, deadline - now))
            if not task.watching or task.finished:
                return
            await self._renew(task, holder)
            await self.pacer.turn()
            try:
                answer = await self.api.query(task.task_id)
            except APIError as error:
                if not is_transient(error):
                    self._detach(task, f"the server refused the status query: {error}")
                    return
                troubles += 1
                retry_after = error.retry_after
                task.apply(problem=f"reconnecting (attempt {troubles}): {error.message}")
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not cost a paid result
                log.error("status query of %s failed", task.task_id, exc_info=exc)
                troubles += 1
                retry_after = None
                task.apply(problem=f"retrying after an unexpected {type(exc).__name__}")
                continue
            troubles, retry_after = 0, None
            task.polls += 1
            if await self._take_answer(task, answer, holder):
                return

    def _next_delay(self, task: Task) -> float:
        """Seconds to the next status query: the poll plan's, or the fixed PollPolicy's when
        one was given. Either way the task learns when jobs of its kind usually end."""
        now = self.clock.now()
        window = self.plan.window(task.snapshot(), self.durations, now)
        task.apply(expected_end_at=window.expected if window.from_history else None)
        if self.poll is not None:
            return self.poll.delay(task.polls)
        return self.plan.delay(window, now)

    async def _pause(self, task: Task, seconds: float) -> None:
        """Sleep, or less if the task is woken (stop watching, cancel, attach)."""
        wake = self._wake.get(task.job_id)
        if seconds <= 0 or wake is None:
            await asyncio.sleep(0)
            return
        wake.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()

    def _wake_up(self, task: Task) -> None:
        wake = self._wake.get(task.job_id)
        if wake is not None:
            wake.set()

    async def _renew(self, task: Task, holder: Holder) -> None:
        try:
            await self._slots(task).adopt(holder)
        except Exception:  # noqa: BLE001 - a quota store outage must not end a paid job
            log.warning("could not renew the quota lease of %s", holder.job_id, exc_info=True)

    async def _take_answer(self, task: Task, answer: StatusAnswer, holder: Holder) -> bool:
        """Apply one status answer; True once the task ended (and its video is saved)."""
        if answer.status is None:
            task.apply(
                problem=f"the server reports the status {answer.raw_status!r}, which we do not "
                "know; still following"
            )
            return False
        changes: dict[str, Any] = {"status": answer.status, "problem": None}
        for name in ("submit_time", "scheduled_time", "end_time", "orig_prompt", "actual_prompt"):
            if getattr(answer, name) is not None:
                changes[name] = getattr(answer, name)
        if answer.usage:
            changes["usage"] = answer.usage
        if answer.video_url:
            changes["video_url"] = answer.video_url
            changes["video_url_expires_at"] = self.clock.now() + c.RESULT_URL_TTL_S
        if answer.status == s.FAILED:
            changes["error"] = TaskFailedError(
                task.task_id,
                s.FAILED,
                code=answer.code,
                message=answer.message,
                request_id=answer.request_id,
            )
        elif answer.status == s.UNKNOWN:
            changes["error"] = TaskUnknownError(task.task_id, s.UNKNOWN)
        if not task.apply(**changes):
            task.apply(problem=f"ignored the server's move from {task.status} to {answer.status}")
            return False
        if answer.status in s.LIVE_ON_SERVER:
            return False
        await self._release(task, holder)
        if answer.status == s.SUCCEEDED:
            self.durations.learn(task.to_record())
            billed = self._billed(task)
            await self._refund(task, keep=billed)
            task.apply(billed_usd=billed)
            await self._save_result(task)
        else:
            await self._refund(task)
        task.apply(finished=True)
        return True

    def _billed(self, task: Task) -> float:
        """The price of what the server billed (its ``usage``: seconds and tier), or of
        what was recorded at submit when it does not say."""
        family = family_of(task.function) if task.function in _KNOWN else VACE
        seconds = family.billed_seconds(task.usage)
        if seconds is None:
            return round(task.estimated_usd or 0.0, 4)
        tier = family.billed_tier(task.usage) or _requested_tier(task, family)
        return round((self.price_of(self.model(task), tier) or 0.0) * seconds, 4)

    async def _save_result(self, task: Task) -> None:
        """Download the video now (its URL expires in 24 h), retrying passing failures."""
        for attempt in range(_DOWNLOAD_ATTEMPTS):
            try:
                await self.download(task)
                return
            except DownloadError as error:
                task.apply(error=error)
                if error.final or attempt == _DOWNLOAD_ATTEMPTS - 1:
                    return
                await self.clock.sleep(self.retry.delay(attempt))

    # -- endings ------------------------------------------------------------------------

    def _end(self, task: Task, status: str, error: VaceError) -> bool:
        task.apply(status=status, error=error, finished=True)
        return False

    def _detach(self, task: Task, why: str) -> None:
        """Stop following a task whose fate is not known: it stays resumable."""
        task.apply(watching=False, problem=why)

    def _end_stopped(self, task: Task) -> None:
        """The job's coroutine was cancelled (cancel while queued, or the client closed)."""
        if task.status in (s.QUEUED, s.UPLOADING):
            task.apply(status=s.CANCELED, finished=True)
        elif task.status == s.SUBMITTING:
            error = SubmitUnconfirmedError(
                "the client was closed while the submit was on its way",
                code="SubmitUnconfirmed",
                host=self.api.host,
                region=self.api.region,
            )
            task.apply(status=s.UNCONFIRMED, error=error, finished=True)
        elif not task.finished:
            task.apply(watching=False)

    def _end_unexpected(self, task: Task, exc: Exception) -> None:
        """A bug of ours: log it, and leave the task in a state that says what is known."""
        log.error("background work on task %s failed", task.task_id or task.job_id, exc_info=exc)
        error = InternalError(
            f"unexpected {type(exc).__name__} in background work (please report it): {exc}"[:500]
        )
        if task.finished:
            return
        if task.status in (s.QUEUED, s.UPLOADING):
            task.apply(status=s.ERROR, error=error, finished=True)
        elif task.status == s.SUBMITTING:
            task.apply(status=s.UNCONFIRMED, error=error, finished=True)
        elif task.status == s.SUCCEEDED:
            task.apply(error=error, finished=True)
        else:
            task.apply(watching=False, error=error, problem=str(error))

    # -- actions ---------------------------------------------------------------------------

    async def cancel(self, task: Task) -> None:
        if task.status in (s.QUEUED, s.UPLOADING):
            task.apply(status=s.CANCELED, finished=True)
            job = self._jobs.get(task.job_id)
            if job is not None:
                job.cancel()
                await asyncio.gather(job, return_exceptions=True)
            return
        if task.status != s.PENDING or task.task_id is None:
            raise BadRequestError(
                f"task is {task.status}; only a task queued here or PENDING on the server can "
                "be cancelled (a RUNNING task cannot: use task.stop_watching() to stop "
                "following it here)",
                status_code=400,
                code="UnsupportedOperation",
                host=self.api.host,
                region=self.api.region,
            )
        try:
            await self.api.call("POST", f"{c.TASKS_PATH}/{task.task_id}/cancel")
        except BadRequestError as error:
            error.message += (
                " A RUNNING task cannot be cancelled (the API allows PENDING only); "
                "use task.stop_watching() to stop following it here."
            )
            error.args = (error._describe(),)
            raise
        await self._refund(task)
        task.apply(status=s.CANCELED, finished=True)
        self._wake_up(task)

    def stop_watching(self, task: Task) -> None:
        if not task.finished:
            task.apply(watching=False, problem="not followed here any more (you asked)")
        self._wake_up(task)

    async def download(self, task: Task, path: str | Path | None = None) -> Path:
        if path is None and task.local_path is not None and Path(task.local_path).is_file():
            return task.local_path
        if not task.video_url:
            raise DownloadError(f"task {task.task_id} has no video to download ({task.status})")
        expires = task.video_url_expires_at
        if expires is not None and self.clock.now() > expires:
            error = DownloadError(
                "the result URL has expired: results are kept 24 hours", code="AccessDenied"
            )
            error.final = True
            raise error
        target = Path(path) if path else result_path(self.results_dir, task.task_id)
        await download_to(self.api.http(), task.video_url, target, self.deadlines.download)
        if path is None:
            task.apply(local_path=target, error=None)
        return target

    async def reconcile(self, task: Task) -> None:
        """Find an UNCONFIRMED submit on the server's task list (made after it was asked,
        for this model, unknown to this journal) and follow it; never resubmits."""
        if task.status != s.UNCONFIRMED:
            raise BadRequestError(
                f"task is {task.status}; only an UNCONFIRMED submit needs reconciling",
                status_code=400,
                code="UnsupportedOperation",
            )
        start = task.created_at - 5
        end = min(self.clock.now() + 60, start + c.TASK_RETENTION_S)
        rows = await self._list_rows(start, end, self.model(task))
        known = self._known_task_ids()
        found = [
            row
            for row in rows
            if row["task_id"] not in known and row.get("gmt_create", start * 1000) >= start * 1000
        ]
        if len(found) != 1:
            ids = ", ".join(r["task_id"] for r in found) or "none"
            raise SubmitUnconfirmedError(
                f"the server's task list has {len(found)} candidate tasks for this submit "
                f"({ids}); with exactly one it would be followed. With none, the submit was "
                "most likely not created: you may submit again",
                code="ReconcileAmbiguous" if found else "ReconcileNotFound",
                host=self.api.host,
                region=self.api.region,
            )
        row = found[0]
        status = c.normalize_status(row.get("status")) or s.PENDING
        if status not in c.SERVER_STATUSES:
            status = s.PENDING
        task.apply(
            task_id=row["task_id"],
            status=status if status in s.LIVE_ON_SERVER else s.PENDING,
            submitted_at=row.get("gmt_create", start * 1000) / 1000,
            error=None,
            finished=False,
            watching=True,
        )
        self.follow(task)

    async def _list_rows(self, start: float, end: float, model: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while page <= 50:
            body = await self.api.call(
                "GET",
                c.TASKS_PATH + "/",
                params={
                    "start_time": _list_time(start),
                    "end_time": _list_time(end),
                    "model_name": model,
                    "page_no": page,
                    "page_size": 100,
                },
            )
            data = body.get("data")
            for row in data if isinstance(data, list) else []:
                if isinstance(row, dict) and is_task_id(row.get("task_id")):
                    created = row.get("gmt_create")
                    if not isinstance(created, (int, float)) or isinstance(created, bool):
                        row = {**row, "gmt_create": start * 1000}
                    rows.append(row)
            total_pages = body.get("total_page")
            if not isinstance(total_pages, int) or page >= total_pages:
                return rows
            page += 1
        return rows

    def _known_task_ids(self) -> set[str]:
        known = {t.task_id for t in self.tasks if t.task_id}
        if self.journal is not None:
            known |= {e["task_id"] for e in self.journal.entries() if e.get("task_id")}
        return known

    # -- bookkeeping ---------------------------------------------------------------------

    def _journal(self, task: Task) -> None:
        """Write the job's entry when something other than a passing trouble changed."""
        if self.journal is None:
            return
        record = task.to_record()
        meaningful = {k: v for k, v in record.items() if k not in ("problem", "queue")}
        if self._journaled.get(task.job_id) == meaningful:
            return
        self._journaled[task.job_id] = meaningful
        self.journal.record(record)

    async def aclose(self) -> None:
        """Stop every background job; tasks on the server go on (the journal has them)."""
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)


_SERVER_ZONE = timezone(timedelta(hours=c.SERVER_UTC_OFFSET_HOURS))
#: the functions of every family
_KNOWN = frozenset(f for f in all_functions())


def _requested_tier(task: Task, family: ModelFamily) -> str:
    """The output tier the task asked for (its ``resolution``), else its family's default."""
    tier = (task.snapshot().request or {}).get("resolution")
    return tier if isinstance(tier, str) else family.default_tier


def _list_time(ts: float) -> str:
    """The list route's time format (YYYYMMDDhhmmss), in the servers' zone, UTC+8
    (``docs/api-contract.md`` §11.2): a window written in the machine's own zone missed
    the tasks of the last eight hours on a UTC machine."""
    return datetime.fromtimestamp(ts, _SERVER_ZONE).strftime("%Y%m%d%H%M%S")

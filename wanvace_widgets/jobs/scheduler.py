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
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from ..clock import Clock
from ..contract import constants as c
from ..contract.families import VACE, ModelFamily, all_functions, family_of
from ..contract.request_models import VaceRequest
from ..contract.server_time import list_time
from ..errors import (
    APIError,
    BadRequestError,
    BudgetExceededError,
    DownloadError,
    InternalError,
    JobInterruptedError,
    QuotaStoreError,
    RateLimitError,
    SubmitNotCreatedError,
    SubmitUnconfirmedError,
    TaskFailedError,
    TaskUnknownError,
    UploadError,
    VaceError,
)
from ..media.codec import MediaInfo, MediaReadError, check_complete_mp4
from ..quota import Holder, QuotaStore
from . import lifecycle as s
from .deadlines import Deadlines
from .durations import Durations
from .http.answers import StatusAnswer, SubmitAnswer
from .http.api import DashScopeAPI, encode_payload
from .http.downloads import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    clean_stale_downloads,
    download_to,
    result_path,
    stale_after_s,
)
from .http.retry import RetryPolicy
from .http.troubles import Action, Route, action
from .http.uploads import prepare_media
from .job_entry import JobEntry
from .journal import Journal
from .owners import this_process
from .poll_plan import PollPlan, PollSchedule
from .polling import QueryPacer
from .recovery import (
    AMBIGUOUS,
    FOUND,
    NOT_CREATED,
    WAIT,
    ListedTask,
    OtherSubmit,
    SubmitWindow,
    Verdict,
    decide,
    listed_task,
    match_by_prompt,
)
from .tasks import Task, TaskSnapshot

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)

#: a job's steps, given its task and its quota slot
JobSteps = Callable[[Task, Holder], Awaitable[None]]

#: how often a job waiting for a slot refreshes what it shows of the shared queue
_QUEUE_REFRESH_S = 1.0
#: backoff while the server cannot be reached stays well inside a quota lease
_MAX_TROUBLE_DELAY = 30.0
_DOWNLOAD_ATTEMPTS = 4
#: a submit waits this long for the journal before it says why it is not sent yet
_JOURNAL_PATIENCE_S = 1.0
#: the task list is read again after troubles at most this far apart
_MAX_LIST_RETRY_S = 60.0
#: pages of the task list read at most (100 tasks each)
_MAX_LIST_PAGES = 50
#: an ambiguous submit's candidates asked for their prompts at most (more: shown as they are)
_MAX_CANDIDATES_ASKED = 5
#: how often the candidates of an ambiguous submit are asked whether they have ended
_CANDIDATES_RECHECK_S = 20.0


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
        schedule: PollSchedule,
        plan: PollPlan,
        durations: Durations,
        retry: RetryPolicy,
        deadlines: Deadlines,
        clock: Clock,
        results_dir: Path,
        journal: Journal | None,
        user: Callable[[], str],
        daily_budget_usd: float | None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ):
        self.api = api
        self._make_quota = quota
        self._stores: dict[str, QuotaStore] = {}
        self.ledger_model = ledger_model
        self.model_of = model_of
        self.price_of = price_of
        self.pacer = pacer
        #: when to query next (the plan itself, or a fixed schedule the user chose)
        self.schedule = schedule
        #: when jobs of each kind end, which every task is told whatever the schedule
        self.plan = plan
        self.durations = durations
        self.retry = retry
        self.deadlines = deadlines
        self.clock = clock
        self.results_dir = Path(results_dir)
        self.journal = journal
        self._find_user = user
        self._user: str | None = None
        self.daily_budget_usd = daily_budget_usd
        self.max_download_bytes = max_download_bytes
        self._results_cleaned = False
        #: every task of this client, in the order they were made
        self.tasks: list[Task] = []
        #: called with each new task (the history lists it at once)
        self.task_listeners: list[Callable[[Task], Any]] = []
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._journaled: dict[str, JobEntry] = {}

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
        """What a journal entry says about where the job went and who runs it (never the
        key)."""
        return {
            "host": self.api.host,
            "region": self.api.region,
            "user": self.user,
            "owner": this_process(),
        }

    # -- starting ----------------------------------------------------------------------

    def new_task(self, state: TaskSnapshot, request: Any = None, *, journal: bool = True) -> Task:
        """A task of this client; ``journal=False`` writes nothing until
        :meth:`journal_task` (a recovered job is written only once it is taken over)."""
        task = Task(self, state, request)
        self.tasks.append(task)
        if journal:
            self.journal_task(task)
        for listener in list(self.task_listeners):
            try:
                listener(task)
            except Exception:  # noqa: BLE001 - a listener must never stop a job
                log.exception("task listener %r failed", listener)
        return task

    def journal_task(self, task: Task) -> None:
        """Write the task's entry now and after every change."""
        task.add_observer(lambda snap: self._journal(task))
        self._journal(task)

    def start(self, task: Task) -> None:
        """Run a new job in the background (needs a running loop)."""
        self._spawn(task, self._run(task, self._new_job))

    def follow(self, task: Task) -> None:
        """Follow a task that exists on the server (attach, resume, reconcile); a task whose
        video could not be saved is saved again while its URL is valid."""
        if self.can_save_again(task):
            task.apply(watching=True, finished=False, error=None)
        else:
            task.apply(watching=True)
        if task.job_id in self._jobs:  # its follower is still there (stop_watching, then attach)
            self._wake_up(task)
            return
        self._spawn(task, self._run(task, self._attached_job))

    def recover(self, task: Task, entry: JobEntry) -> None:
        """Take over a job a stopped process left without an ending (``client.resume``):
        follow its task, look for its lost submit, or end it as never sent."""
        task.apply(watching=True)
        self._spawn(task, self._run(task, lambda t, h: self._recovered_job(t, h, entry)))

    def _spawn(self, task: Task, coro: Coroutine[Any, Any, None]) -> None:
        job = asyncio.get_running_loop().create_task(coro)
        self._jobs[task.job_id] = job
        self._wake[task.job_id] = asyncio.Event()

        def forget(_: asyncio.Task[None]) -> None:
            if self._jobs.get(task.job_id) is job:
                del self._jobs[task.job_id]
                self._wake.pop(task.job_id, None)

        job.add_done_callback(forget)

    async def _run(self, task: Task, steps: JobSteps) -> None:
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
        if await self._submit(task, holder):
            await self._follow(task, holder, immediately=False)
        elif task.status == s.UNCONFIRMED:
            await self._release(task, holder)
            await self._find_lost_submit(task, holder)

    async def _recovered_job(self, task: Task, holder: Holder, entry: JobEntry) -> None:
        if self.journal is not None and entry.owner != this_process():
            if await self.journal.take_over(entry) is None:
                task.apply(watching=False, problem="another process took this job over")
                return
        self.journal_task(task)
        if entry.never_sent:
            error = JobInterruptedError(
                "the process running this job stopped before its submit was sent: nothing "
                "was sent, created or billed; submit it again"
            )
            self._end(task, s.ERROR, error)
        elif entry.maybe_sent:
            if task.status == s.SUBMITTING:
                lost = self._unconfirmed("the process stopped while this submit was on its way")
                task.apply(status=s.UNCONFIRMED, error=lost)
            await self._find_lost_submit(task, holder)
        else:
            await self._attached_job(task, holder)

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
            if not self._keep_saved_video(task):
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

    async def _submit(self, task: Task, holder: Holder) -> bool:
        """UPLOADING → SUBMITTING → the server's status; False when it ended here.

        The job is on disk as SUBMITTING, and noted in the quota store, before its POST
        leaves; its task id is on disk before anything else is done with the answer. A
        process that dies in between leaves a job that the next one recovers (``resume``).
        """
        if task.status != s.QUEUED:
            return False  # cancelled while it waited for a slot
        if task.request is None:  # a job submitted here has its request; others never submit
            raise InternalError(f"job {task.job_id} reached its submit without its request")
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
        try:
            answer = await self._send_submit(task, holder, payload, oss)
        except SubmitUnconfirmedError as error:
            task.apply(status=s.UNCONFIRMED, error=error)  # the task list is searched next
            return False
        except (APIError, QuotaStoreError) as error:
            await self._refund(task)
            await self._settle_submit(task, holder, None)
            return self._end(task, s.ERROR, error)
        accepted = task.apply(
            task_id=answer.task_id,
            request_id=answer.request_id,
            status=answer.status,
            submitted_at=self.clock.now(),
        )
        await self._durable(task)
        await self._settle_submit(task, holder, answer.task_id)
        return accepted

    async def _durable(self, task: Task) -> bool:
        """Wait until the job's latest state is on disk (False: it cannot be made durable);
        after a moment, the task says why it waits."""
        if self.journal is None:
            return True
        flushing = asyncio.ensure_future(self.journal.flush(task.job_id))
        done, _ = await asyncio.wait({flushing}, timeout=_JOURNAL_PATIENCE_S)
        if not done:
            task.apply(
                problem="waiting for the journal (another process holds it): the job is "
                f"recorded before anything more is done ({self._journal_problem()})"
            )
        durable = await flushing
        task.apply(problem=None)
        return durable

    def _journal_problem(self) -> str:
        return (self.journal.problem if self.journal else None) or "no reason given yet"

    async def _settle_submit(self, task: Task, holder: Holder, task_id: str | None) -> None:
        """Tell the quota store which task the submit made (None: none); other users'
        recoveries then never take it for theirs."""
        try:
            await self._slots(task).settle_submit(holder, task_id)
        except Exception:  # noqa: BLE001 - the journal has it; an unsettled note only adds doubt
            log.warning(
                "could not settle the submit of %s in the quota store", holder.job_id, exc_info=True
            )

    async def _send_submit(
        self, task: Task, holder: Holder, payload: dict[str, Any], oss: bool
    ) -> SubmitAnswer:
        """POST the submit, each try with a submit permit, and each try on disk (SUBMITTING,
        with the time it leaves) and noted in the quota store before it leaves. A 429
        certainly created nothing: the job waits QUEUED for the server's slots (backoff
        honouring ``Retry-After``), keeping its own slot, up to ``Deadlines.throttled``
        after the first 429; then the RateLimitError ends it (ERROR: nothing was created)."""
        give_up_at: float | None = None
        tries = 0
        while True:
            slots = self._slots(task)
            permit = await slots.submit_permit()
            try:
                task.apply(status=s.SUBMITTING, submitting_at=self.clock.now(), problem=None)
                if not await self._durable(task):
                    raise QuotaStoreError(
                        "this job could not be recorded (the journal and its second file "
                        f"cannot be written: {self._journal_problem()}), so it was not sent; "
                        "nothing was billed"
                    )
                await slots.note_submit(holder, task.submitting_at or self.clock.now())
                return await self.api.submit(payload, oss)
            except RateLimitError as error:
                throttled = error
                await self._settle_submit(task, holder, None)
            finally:
                await self._count_submit(slots, permit)
            tries += 1
            now = self.clock.now()
            give_up_at = now + self.deadlines.throttled if give_up_at is None else give_up_at
            if now >= give_up_at:
                throttled.message = (
                    f"the server refused {tries} submits with 429 over "
                    f"{self.deadlines.throttled:g} s (its task slots stayed taken); nothing was "
                    f"created or billed: {throttled.message}"
                )
                throttled.args = (throttled._describe(),)
                raise throttled from None
            delay = self.retry.delay(tries - 1, throttled.retry_after)
            delay = min(delay, _MAX_TROUBLE_DELAY, give_up_at - now)
            task.apply(
                status=s.QUEUED,
                problem=f"waiting for the server's task slots (429, try {tries}; tasks it runs "
                f"for this account, such as a closed kernel's, hold them): nothing was created "
                f"or billed; trying again in {delay:.0f} s",
            )
            await self._renew(task, holder)  # the wait may outlast a lease: keep our own slot
            await self.clock.sleep(delay)

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
                if action(Route.QUERY, error) is Action.END:
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
        """Seconds to the next status query, as the schedule says; whatever the schedule,
        the task learns when jobs of its kind usually end."""
        now = self.clock.now()
        window = self.plan.window(task.snapshot(), self.durations, now)
        task.apply(expected_end_at=window.expected if window.from_history else None)
        return self.schedule.next_wait(window, task.polls, now)

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
            self.durations.learn(task.to_entry())
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

    def _keep_saved_video(self, task: Task) -> bool:
        """A process that died after renaming the video into place, before recording it,
        left the whole video there: keep it instead of downloading it again."""
        if task.task_id is None or task.local_path is not None:
            return False
        path = result_path(self.results_dir, task.task_id)
        try:
            check_complete_mp4(path)
        except (MediaReadError, OSError):
            return False
        task.apply(local_path=path, error=None)
        return True

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
            error = self._unconfirmed("the client was closed while the submit was on its way")
            task.apply(status=s.UNCONFIRMED, error=error, watching=False)
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
            await self._refund(task)  # charged before a submit that a 429 refused
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
        done: Path | None = task.local_path
        if path is None and done is not None and done.is_file():
            return done
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
        await self._clean_results_folder()
        await download_to(
            self.api.http(),
            task.video_url,
            target,
            self.deadlines.download,
            max_bytes=self.max_download_bytes,
        )
        if path is None:
            task.apply(local_path=target, error=None)
        return target

    def can_save_again(self, task: Task) -> bool:
        """A SUCCEEDED task whose video is not saved here, while its URL is valid."""
        if task.status != s.SUCCEEDED or not task.video_url:
            return False
        if task.local_path is not None and Path(task.local_path).is_file():
            return False
        expires = task.video_url_expires_at
        return expires is None or self.clock.now() < expires

    async def _clean_results_folder(self) -> None:
        """Once per client, before its first download: delete the temporary files that
        killed processes left in the results folder (``downloads.clean_stale_downloads``)."""
        if self._results_cleaned:
            return
        self._results_cleaned = True
        age = stale_after_s(self.deadlines.download)
        removed = await asyncio.to_thread(clean_stale_downloads, self.results_dir, age)
        if removed:
            log.info("removed %d stale temporary downloads from %s", removed, self.results_dir)

    async def reconcile(self, task: Task) -> Verdict:
        """Look for an UNCONFIRMED submit on the server's task list, once its window has
        settled (``recovery.py``): follow the task found, end the job as not created, or
        keep it UNCONFIRMED with its candidates. Never submits anything."""
        verdict = await self._reconcile_once(task)
        if verdict.kind == FOUND:
            self.follow(task)
        return verdict

    async def _reconcile_once(self, task: Task) -> Verdict:
        if task.status != s.UNCONFIRMED:
            raise BadRequestError(
                f"task is {task.status}; only an UNCONFIRMED submit needs reconciling",
                status_code=400,
                code="UnsupportedOperation",
            )
        holder = Holder(task.job_id, self.user)
        window = self._window(task)
        await self.clock.sleep(window.settled_at - self.clock.now())
        if task.status != s.UNCONFIRMED:  # decided meanwhile (the client's own search)
            return Verdict(FOUND if task.task_id else NOT_CREATED)
        listed = await self._list_tasks(window, self.model(task))
        others = await self._other_submits(task)
        known = self._known_task_ids(task)
        verdict = decide(window, listed, known=known, others=others, now=self.clock.now())
        if verdict.kind == FOUND and verdict.task is not None:
            await self._take_found(task, holder, verdict.task)
        elif verdict.kind == NOT_CREATED:
            await self._settle_submit(task, holder, None)
            error = SubmitNotCreatedError(
                "the server's task list has no task for this submit: it was not created, and "
                "nothing was billed; submit it again",
                code="SubmitNotCreated",
                host=self.api.host,
                region=self.api.region,
            )
            task.apply(status=s.ERROR, error=error, finished=True, problem=None)
        elif verdict.kind == AMBIGUOUS:
            return await self._tell_apart(task, holder, verdict, listed)
        return verdict

    async def _tell_apart(
        self, task: Task, holder: Holder, verdict: Verdict, listed: list[ListedTask]
    ) -> Verdict:
        """Several tasks could be this submit: once they have ended, each names its prompt;
        adopt the one that is this submit's (``match_by_prompt``), else show them all."""
        ids = ", ".join(verdict.candidates)
        asked: dict[str, str | None | bool] = {}
        for task_id in verdict.candidates[:_MAX_CANDIDATES_ASKED]:
            await self.pacer.turn()
            answer = await self.api.query(task_id)
            ended = answer.status is not None and answer.status not in s.LIVE_ON_SERVER
            asked[task_id] = answer.orig_prompt if ended else False
        if len(verdict.candidates) <= _MAX_CANDIDATES_ASKED and False in asked.values():
            task.apply(
                candidates=verdict.candidates,
                problem=f"{len(verdict.candidates)} tasks could be this submit ({ids}): waiting "
                "for them to end, to tell them apart by their prompts",
            )
            return Verdict(WAIT, None, verdict.candidates)
        prompt = (task.snapshot().request or {}).get("prompt")
        mine = match_by_prompt(prompt if isinstance(prompt, str) else None, asked)
        found = next((t for t in listed if t.task_id == mine), None)
        if found is not None:
            await self._take_found(task, holder, found)
            return Verdict(FOUND, found, verdict.candidates)
        error = self._unconfirmed(
            f"the server's task list has {len(verdict.candidates)} tasks that could be this "
            f"submit ({ids}), and their prompts cannot tell which: nothing was guessed. If one "
            "is yours (the Model Studio console shows each task), task.adopt(task_id) follows it",
            code="ReconcileAmbiguous",
        )
        task.apply(candidates=verdict.candidates, error=error, problem=None, finished=True)
        return verdict

    async def adopt(self, task: Task, task_id: str) -> None:
        """Follow ``task_id``, one of an ambiguous reconcile's candidates, as this job's."""
        if task.status != s.UNCONFIRMED or task_id not in task.candidates:
            raise BadRequestError(
                f"{task_id!r} is not a candidate of this job "
                f"({', '.join(task.candidates) or 'none'})",
                status_code=400,
                code="UnsupportedOperation",
            )
        if task_id in self._known_task_ids(task) | {
            o.task_id for o in await self._other_submits(task) if o.task_id
        }:
            raise BadRequestError(
                f"{task_id} belongs to another job now; it is not adopted",
                status_code=400,
                code="UnsupportedOperation",
            )
        listed = ListedTask(task_id, task.submitting_at or task.created_at, s.PENDING)
        await self._take_found(task, Holder(task.job_id, self.user), listed)
        self.follow(task)

    async def _take_found(self, task: Task, holder: Holder, found: ListedTask) -> None:
        task.apply(
            task_id=found.task_id,
            status=s.PENDING,
            submitted_at=found.created_at,
            error=None,
            problem=None,
            candidates=(),
            finished=False,
            watching=True,
        )
        await self._durable(task)
        await self._settle_submit(task, holder, found.task_id)

    async def _find_lost_submit(self, task: Task, holder: Holder) -> None:
        """Reconcile in the background until the list has told (transient troubles are
        retried, up to the day the server keeps tasks)."""
        attempt = 0
        give_up = (task.submitting_at or task.created_at) + c.TASK_RETENTION_S
        while task.status == s.UNCONFIRMED and not task.finished:
            try:
                verdict = await self._reconcile_once(task)
            except (APIError, QuotaStoreError) as error:
                attempt += 1
                passing = isinstance(error, QuotaStoreError) or (
                    action(Route.CALL, error) is not Action.END
                )
                if not passing or self.clock.now() > give_up:
                    task.apply(
                        finished=True,
                        problem=f"the server's task list could not be read ({error}); "
                        "task.reconcile() tries again",
                    )
                    return
                task.apply(
                    problem=f"looking for this submit on the server's task list: {error}; "
                    "trying again"
                )
                retry_after = getattr(error, "retry_after", None)
                delay = min(self.retry.delay(attempt - 1, retry_after), _MAX_LIST_RETRY_S)
                await self.clock.sleep(delay)
                continue
            if verdict.kind == WAIT:
                await self.clock.sleep(_CANDIDATES_RECHECK_S)
        if task.task_id is not None and task.status in s.LIVE_ON_SERVER:
            await self._attached_job(task, holder)  # found (here, or by a reconcile() call)

    def _window(self, task: Task) -> SubmitWindow:
        """When the submit could have created its task. A job recorded before the
        submit's own time was kept uses its creation time and the upload deadline."""
        if task.submitting_at is not None:
            return SubmitWindow.around(task.submitting_at, self.deadlines)
        late = SubmitWindow.around(task.created_at + self.deadlines.upload, self.deadlines)
        early = SubmitWindow.around(task.created_at, self.deadlines)
        return SubmitWindow(early.start, late.end, late.settled_at)

    async def _list_tasks(self, window: SubmitWindow, model: str) -> list[ListedTask]:
        """The server's tasks of this model created in ``window`` (every page)."""
        listed: list[ListedTask] = []
        for page in range(1, _MAX_LIST_PAGES + 1):
            body = await self.api.call(
                "GET",
                c.TASKS_PATH + "/",
                params={
                    "start_time": list_time(window.start),
                    "end_time": list_time(window.end + 1),
                    "model_name": model,
                    "page_no": page,
                    "page_size": 100,
                },
            )
            data = body.get("data")
            rows = data if isinstance(data, list) else []
            listed += [t for t in map(listed_task, rows) if t is not None]
            total_pages = body.get("total_page")
            if not isinstance(total_pages, int) or page >= total_pages:
                break
        return listed

    async def _other_submits(self, task: Task) -> list[OtherSubmit]:
        """Every other job's submit that could share the window: the quota store's (other
        kernels, other users of the key) and this journal's interrupted ones."""
        others = []
        for record in await self._slots(task).recent_submits():  # QuotaStoreError: asked again
            if record.job_id != task.job_id and not (record.settled and not record.task_id):
                window = SubmitWindow.around(record.sent_at, self.deadlines)
                others.append(OtherSubmit(record.job_id, window, record.task_id))
        for entry in self.journal.entries() if self.journal is not None else ():
            if entry.job_id != task.job_id and entry.maybe_sent:
                sent = entry.submitting_at or entry.created_at
                others.append(OtherSubmit(entry.job_id, SubmitWindow.around(sent, self.deadlines)))
        return others

    def _known_task_ids(self, task: Task) -> set[str]:
        known = {t.task_id for t in self.tasks if t.task_id and t is not task}
        if self.journal is not None:
            known |= {
                e.task_id for e in self.journal.entries() if e.task_id and e.job_id != task.job_id
            }
        return known

    def _unconfirmed(self, message: str, code: str = "SubmitUnconfirmed") -> SubmitUnconfirmedError:
        return SubmitUnconfirmedError(
            message, code=code, host=self.api.host, region=self.api.region
        )

    # -- bookkeeping ---------------------------------------------------------------------

    def _journal(self, task: Task) -> None:
        """Hand the job's entry to the journal when something other than a passing trouble
        changed (the journal writes it in the background)."""
        if self.journal is None:
            return
        entry = task.to_entry()
        if self._journaled.get(task.job_id) == entry:
            return
        self._journaled[task.job_id] = entry
        self.journal.record(entry)

    async def aclose(self) -> None:
        """Stop every background job; tasks on the server go on (the journal has them)."""
        jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)


#: the functions of every family
_KNOWN = frozenset(f for f in all_functions())


def _requested_tier(task: Task, family: ModelFamily) -> str:
    """The output tier the task asked for (its ``resolution``), else its family's default."""
    tier = (task.snapshot().request or {}).get("resolution")
    return tier if isinstance(tier, str) else family.default_tier

"""VaceClient: the public face of submitting jobs and following them.

One client serves every widget of a kernel, and every model family: each request says its
family (VACE or wan2.7-videoedit), and goes to that family's model, within that model's
quota, at that model's price (``families.py``). ``enqueue`` returns a :class:`Task` at once;
the scheduler (``scheduler.py``) does the rest in the background on the running loop, and
``api.py`` does the HTTP. What it guarantees (``docs/lifecycle.md``):

* nothing is paid for twice: a submit is sent again only when the server certainly
  created nothing (a 429, or a connection never made);
* nothing paid for is lost: every job is in the journal from the moment it is asked for,
  passing outages never end a task, results are saved at once (URLs expire after 24 h),
  and ``resume()`` picks up what a restart interrupted;
* nothing hangs: every exchange has a total deadline, every ending is a defined state.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..clock import Clock, SystemClock
from ..contract import constants as c
from ..contract.constants import is_task_id
from ..contract.families import VACE, ModelFamily, family_of, family_of_model
from ..contract.regions import resolve_endpoint
from ..contract.request_models import REQUEST_CLASSES, VaceRequest
from ..errors import ConfigurationError
from ..quota import QuotaChoice, QuotaStore, check_user_name, choose_quota_store, quota_user
from ..quota import daily_budget_usd as daily_budget_usd_from_environment
from ..quota.policy import QuotaPolicy
from ..settings import default_home, find_api_key, workspace_id_from_environment
from . import lifecycle as s
from .blocking import run_blocking
from .deadlines import Deadlines
from .durations import Durations
from .http.api import DashScopeAPI
from .http.downloads import DEFAULT_MAX_DOWNLOAD_BYTES
from .http.retry import RetryPolicy
from .http.uploads import prepare_media
from .job_entry import JobEntry
from .journal import Journal
from .owners import this_process
from .poll_plan import PollPlan, PollSchedule
from .polling import QueryPacer
from .scheduler import Scheduler
from .tasks import Task, TaskSnapshot

__all__ = ["Prices", "VaceClient", "find_api_key"]

_REGION_NAMES = {"intl": "Singapore", "cn": "Beijing"}
#: a price override: USD per billed second for every model, or by model name (one price,
#: or one per output tier such as ``{"720P": 0.1, "1080P": 0.15}``)
Prices = float | Mapping[str, float | Mapping[str, float]]


class VaceClient:
    """The shared asyncio client. See the module docstring for what it guarantees.

    Where: ``region`` (``intl`` Singapore, ``cn`` Beijing), or ``workspace_id`` for the
    region's workspace-specific host (default: ``DASHSCOPE_WORKSPACE_ID`` for Singapore, as
    the official SDK reads it), or ``base_url`` (a gateway, the emulator). ``model`` renames
    one family's model (see :func:`~wanvace_widgets.resolve_endpoint`).

    ``poll`` says when to query a task's status: by default a :class:`PollPlan`, which learns
    how long each kind of job takes (from the journal and this session) and polls densely
    only around its usual end; a :class:`PollPolicy` polls on a fixed schedule instead, and any
    object with ``next_wait(window, polls, now)`` (a :class:`PollSchedule`) may decide.
    The account's quota (``quota``: by default each model's documented limits, 2 live tasks
    and 2 submits a second) is shared with every kernel using the same ``quota_store``: a
    store (then it serves every model), or its URL (``"memory:"`` this kernel,
    ``"sqlite:///path"`` this machine, ``"redis://…"`` a team); by default
    ``WANVACE_QUOTA_URL``, else every kernel of this user on this machine (``docs/team.md``).
    ``user`` is the fair-share name (default: ``WANVACE_USER``, JupyterHub's user, the
    login). ``price_per_second`` (USD, see :data:`Prices`) overrides the list prices of
    ``families.py``; ``daily_budget_usd`` (default: ``WANVACE_DAILY_BUDGET_USD``) refuses a
    submit that would take the user past it, over every model. ``backend_label`` names the
    service in the widgets' status line; a label with "emulator" in it also says that tasks
    take seconds, not the service's minutes, so the default plan polls from the start.
    ``max_download_bytes`` caps a result video (default 1 GiB): a larger answer is cut off,
    and nothing is kept.

    Every setting, given or read from the environment, is checked here: a bad one raises
    ConfigurationError naming what to fix (a password in a quota URL never shown), before
    any job exists. Only the key may come later (at the first job).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        region: str | None = "intl",
        base_url: str | None = None,
        model: str | None = None,
        workspace_id: str | None = None,
        poll: PollSchedule | None = None,
        retry: RetryPolicy | None = None,
        quota: QuotaPolicy | None = None,
        quota_store: QuotaStore | str | None = None,
        deadlines: Deadlines | None = None,
        journal: Journal | str | Path | bool | None = None,
        results_dir: str | Path | None = None,
        transport: Any = None,
        clock: Clock | None = None,
        backend_label: str | None = None,
        price_per_second: Prices | None = None,
        user: str | None = None,
        daily_budget_usd: float | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ):
        if workspace_id is None and base_url is None:
            workspace_id = workspace_id_from_environment(region)
        self.endpoint = resolve_endpoint(region, base_url, model, workspace_id)
        user_name = check_user_name(user) if user else quota_user()
        if daily_budget_usd is None:
            daily_budget_usd = daily_budget_usd_from_environment()
        elif not (math.isfinite(daily_budget_usd) and daily_budget_usd >= 0):
            raise ConfigurationError(f"daily_budget_usd={daily_budget_usd!r}: use a number ≥ 0")
        if not (isinstance(max_download_bytes, int) and max_download_bytes > 0):
            raise ConfigurationError(f"max_download_bytes={max_download_bytes!r}: use bytes > 0")
        self.__key = api_key
        self.clock = clock or SystemClock()
        self.quota = quota or QuotaPolicy()
        if journal is False:
            self.journal: Journal | None = None
        elif isinstance(journal, Journal):
            self.journal = journal
        elif journal is None or journal is True:
            self.journal = Journal()
        else:
            self.journal = Journal(journal)
        self.results_dir = Path(results_dir) if results_dir else default_home() / "results"
        self._label = backend_label
        if deadlines is None:
            # the emulator keeps this machine's clock: its task list needs no wide margin
            deadlines = (
                Deadlines(clock_skew=2.0, list_settle=1.0) if self.is_emulator else Deadlines()
            )
        self._api = DashScopeAPI(
            self.endpoint,
            self._key,
            clock=self.clock,
            deadlines=deadlines,
            retry=retry or RetryPolicy(),
            transport=transport,
        )
        self._prices = price_per_second
        #: the plan estimates when jobs end (the status line says it) even on a fixed schedule
        plan = poll if isinstance(poll, PollPlan) else self._default_plan()
        self._scheduler = Scheduler(
            self._api,
            quota=self._make_quota_store,
            ledger_model=self.endpoint.model,
            model_of=self.model_for,
            price_of=self.price_per_second,
            pacer=QueryPacer(self.quota.queries_per_second, self.clock),
            schedule=poll or plan,
            plan=plan,
            durations=Durations(
                self.journal.entries if self.journal is not None else None, host=self.endpoint.host
            ),
            retry=retry or RetryPolicy(),
            deadlines=deadlines,
            clock=self.clock,
            results_dir=self.results_dir,
            journal=self.journal,
            user=lambda: user_name,
            daily_budget_usd=daily_budget_usd,
            max_download_bytes=max_download_bytes,
        )
        # last: no error above can reach a password of the quota URL through this client
        self._quota_store: QuotaStore | None = None
        self._quota_choice: QuotaChoice | None = None
        if isinstance(quota_store, QuotaStore):
            self._quota_store = quota_store
        else:
            self._quota_choice = choose_quota_store(quota_store)

    # -- description ----------------------------------------------------------------------

    region = property(lambda self: self.endpoint.region)
    #: VACE's model name here (``model_for`` gives any family's)
    model = property(lambda self: self.endpoint.model)
    host = property(lambda self: self.endpoint.host)

    def model_for(self, what: VaceRequest | type[VaceRequest] | str) -> str:
        """The model a request, a request class or a function is sent to here (VACE's for
        a function no family has, e.g. a task attached without its journal entry)."""
        return self.endpoint.model_for(_family(what).key)

    def price_per_second(self, model: str, tier: str | None = None) -> float | None:
        """USD per billed second of ``model`` at output ``tier`` (default: the model's), as
        this client counts it: the ``price_per_second`` it was given, else the list price
        of its region (None when unknown)."""
        family = family_of_model(model) or VACE
        prices = self._prices
        if isinstance(prices, (int, float)):
            return float(prices)
        chosen = prices.get(model) if isinstance(prices, Mapping) else None
        if isinstance(chosen, Mapping):
            chosen = chosen.get(tier or family.default_tier)
        if isinstance(chosen, (int, float)):
            return float(chosen)
        return family.price_per_second(self.region, tier)

    def max_cost_usd(
        self, what: VaceRequest | type[VaceRequest] | str, source_seconds: float | None = None
    ) -> float | None:
        """The most a job may cost (USD), as its submit records it against the daily
        budget: for a request, from its fields (and the source's length when known); for a
        function or request class, its worst case (wan2.7-videoedit: 10 s in, 10 s out at
        1080P). None when the price is unknown."""
        request = what if isinstance(what, VaceRequest) else None
        model = self.model_for(what)
        if request is not None:
            tier, seconds = request.max_billed(source_seconds)
        else:
            tier, seconds = _family(what).worst_billing()
        price = self.price_per_second(model, tier)
        return None if price is None else round(price * seconds, 4)

    @property
    def tasks(self) -> list[Task]:
        """Every task of this client, oldest first."""
        return self._scheduler.tasks

    def add_task_listener(self, callback: Callable[[Task], Any]) -> None:
        """Call ``callback(task)`` for every task this client makes from now on."""
        self._scheduler.task_listeners.append(callback)

    @property
    def poll(self) -> PollSchedule:
        """When the client queries a task's status next (its ``poll=``, else the plan)."""
        return self._scheduler.schedule

    @property
    def quota_store(self) -> QuotaStore:
        return self._scheduler.quota

    @property
    def user(self) -> str:
        return self._scheduler.user

    @property
    def is_emulator(self) -> bool:
        return self._label is not None and "emulator" in self._label

    @property
    def backend_label(self) -> str:
        if self._label:
            return self._label
        region = _REGION_NAMES.get(self.region, self.region)
        return f"DashScope {self.region} ({region}, {self.host})"  # one host, every model

    def __repr__(self) -> str:
        return f"VaceClient(region={self.region!r}, host={self.host!r}, model={self.model!r})"

    def _make_quota_store(self, model: str) -> QuotaStore:
        """The quota of ``model`` under this key's account (a store object serves all)."""
        if self._quota_store is not None:
            return self._quota_store
        assert self._quota_choice is not None  # made with the client
        max_concurrent, submits_per_second = self.quota.limits(model)
        return self._quota_choice.store(
            model=model,
            api_key=self._key(),
            clock=self.clock,
            max_concurrent=max_concurrent,
            submits_per_second=submits_per_second,
        )

    def _default_plan(self) -> PollPlan:
        """The reference's 5–10 minutes until history says better; the emulator's tasks take
        seconds, so for it, no guess at all."""
        return PollPlan(prior=None) if self.is_emulator else PollPlan()

    def _key(self) -> str:
        key = find_api_key(self.__key)
        if not key:
            raise ConfigurationError(
                "no API key: set DASHSCOPE_API_KEY, pass VaceClient(api_key=...), or write the "
                "key to ~/.dashscope/api_key; without a key, use wv.emulator_client()"
            )
        self.__key = key
        return key

    # -- submitting -----------------------------------------------------------------------

    def enqueue(self, request: VaceRequest) -> Task:
        """Start a job in the background and return its Task at once (needs a running loop)."""
        _require_loop("enqueue()")
        self._key()
        self._scheduler.quota  # noqa: B018 - made now (it may need the key): fails before a task
        state = TaskSnapshot(
            job_id=uuid.uuid4().hex,
            function=request.function,
            model=self.model_for(request),
            status=s.QUEUED,
            created_at=self.clock.now(),
            request=request.summary(),
        )
        task = self._scheduler.new_task(state, request)
        self._scheduler.start(task)
        return task

    async def submit(self, request: VaceRequest) -> Task:
        """Submit and return as soon as the server has the task (raises the submit's error)."""
        task = self.enqueue(request)
        changed = asyncio.Event()

        def on_change(_: TaskSnapshot) -> None:
            changed.set()

        task.add_observer(on_change)
        try:
            while task.task_id is None and not task.done and task.status != s.UNCONFIRMED:
                changed.clear()
                await changed.wait()
        finally:
            task.remove_observer(on_change)
        if task.task_id is None and task.error is not None:
            raise task.error
        if self.journal is not None:
            await self.journal.flush(task.job_id)  # the task id is on disk before it is returned
        return task

    def run(self, request: VaceRequest, timeout: float | None = None) -> Task:
        """Blocking: submit, wait, download; for scripts and cells that want to block."""

        async def go() -> Task:
            task = await self.submit(request)
            return await task.wait(timeout)

        return run_blocking(go)

    async def preview(self, request: VaceRequest) -> dict[str, Any]:
        """The exact JSON body a submit of ``request`` would send: local files are checked
        and uploaded (free; the ``oss://`` URLs last 48 h), nothing is submitted or billed."""
        self._key()
        model = self.model_for(request)
        uploaded, _ = await prepare_media(
            self._api.http(),
            model,
            lambda path, params: self._api.call("GET", path, params=params),
            request,
        )
        return uploaded.to_payload(model)

    # -- following tasks from elsewhere -----------------------------------------------------

    def attach(self, task_id: str) -> Task:
        """Follow a task submitted elsewhere (another session, another kernel)."""
        if not is_task_id(task_id):
            raise ConfigurationError(f"{task_id!r} is not a task id")
        _require_loop("attach()")
        self._key()
        for task in self.tasks:
            if task.task_id == task_id:
                self._follow_again(task)
                return task
        entry = self.journal.get(task_id) if self.journal else None
        if entry is not None and entry.followable:
            state = TaskSnapshot.from_entry(entry)
        else:
            state = TaskSnapshot(
                job_id=uuid.uuid4().hex,
                function=entry.function if entry else "unknown",
                status=s.PENDING,
                created_at=self.clock.now(),
                task_id=task_id,
            )
        task = self._scheduler.new_task(state)
        self._scheduler.follow(task)
        return task

    def unfinished_jobs(self, function: str | None = None) -> list[JobEntry]:
        """Journal entries of this host's jobs that nothing says the end of, and that this
        process may recover: their process has stopped (or is this one), and the server
        still keeps them. Followable tasks, submits whose answer never came, and jobs
        stopped before their submit left (``docs/lifecycle.md``, the crash table)."""
        if self.journal is None:
            return []
        now = self.clock.now()
        return [
            e
            for e in self.journal.without_ending()
            if e.host == self.host
            and function in (None, e.function)
            and now - (e.submitted_at or e.submitting_at or e.created_at) < c.TASK_RETENTION_S
            and (e.owner is None or e.owner == this_process() or e.owner.alive() is False)
        ]

    def recover(self, entry: JobEntry) -> Task:
        """Take back one job of :meth:`unfinished_jobs`: follow its task, look for its lost
        submit on the server's task list, or end it as never sent (nothing billed)."""
        _require_loop("recover()")
        self._key()
        for task in self.tasks:
            if task.job_id == entry.job_id:
                self._follow_again(task)
                return task
        task = self._scheduler.new_task(TaskSnapshot.from_entry(entry), journal=False)
        self._scheduler.recover(task, entry)
        return task

    def resume(self) -> list[Task]:
        """Recover every job a stopped process (a kernel restart, a crash) left without an
        ending, and save again the videos whose download failed (in this session too); see
        :meth:`recover`. Safe to call in several kernels at once: each job is taken over by
        one of them."""
        return [self.recover(entry) for entry in self.unfinished_jobs()]

    def _follow_again(self, task: Task) -> None:
        """A task of this session asked for again: follow it if it is not followed, and try
        again to save a video whose saving failed."""
        if self._scheduler.can_save_again(task) or not (task.watching or task.done):
            self._scheduler.follow(task)

    async def list_server_tasks(self, **filters: Any) -> dict[str, Any]:
        """The server's task list (GET /api/v1/tasks/), e.g. ``status="RUNNING"``."""
        return await self._api.call("GET", c.TASKS_PATH + "/", params=filters)

    async def aclose(self) -> None:
        """Stop following and close connections. Tasks on the server go on (the journal
        has them: ``resume()`` in the next session picks them up)."""
        await self._scheduler.aclose()
        await self._api.aclose()
        if self.journal is not None:
            await self.journal.flush()  # what this client changed is on disk when it is gone

    async def __aenter__(self) -> VaceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _require_loop(what: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"{what} needs a running event loop (a notebook cell, or async code); "
            "in a plain script use client.run(request)"
        ) from None


def _family(what: VaceRequest | type[VaceRequest] | str) -> ModelFamily:
    """The family of a request, a request class or a function (VACE for an unknown one)."""
    if isinstance(what, str):
        return family_of(what) if what in REQUEST_CLASSES else VACE
    return what.family



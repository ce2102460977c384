"""VaceClient: the public face of submitting VACE jobs and following them.

One client serves every widget of a kernel. ``enqueue`` returns a :class:`Task` at once;
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import contract as c
from . import lifecycle as s
from .answers import is_task_id
from .api import DashScopeAPI
from .blocking import run_blocking
from .clock import Clock, SystemClock
from .config import Deadlines, default_home, find_api_key
from .downloads import DEFAULT_MAX_DOWNLOAD_BYTES
from .durations import Durations
from .errors import ConfigurationError
from .journal import Journal
from .poll_plan import PollPlan
from .polling import PollPolicy, QueryPacer, QuotaPolicy, RetryPolicy
from .quota import QuotaChoice, QuotaStore, check_user_name, choose_quota_store, quota_user
from .quota import daily_budget_usd as daily_budget_usd_from_environment
from .regions import resolve_endpoint
from .requests import VaceRequest
from .scheduler import Scheduler
from .tasks import Task, TaskSnapshot
from .uploads import prepare_media

__all__ = ["VaceClient", "find_api_key"]

_REGION_NAMES = {"intl": "Singapore", "cn": "Beijing"}
#: fields of a journal entry that a resumed task takes back, with their types
_RESTORED = {
    "job_id": str,
    "function": str,
    "status": str,
    "created_at": (int, float),
    "task_id": str,
    "request_id": str,
    "submitted_at": (int, float),
    "submit_time": str,
    "scheduled_time": str,
    "end_time": str,
    "video_url": str,
    "video_url_expires_at": (int, float),
    "usage": dict,
    "orig_prompt": str,
    "actual_prompt": str,
    "estimated_usd": (int, float),
    "billed_usd": (int, float),
    "request": dict,
}


class VaceClient:
    """The shared asyncio client. See the module docstring for what it guarantees.

    ``poll`` says when to query a task's status: by default a :class:`PollPlan`, which learns
    how long each kind of job takes (from the journal and this session) and polls densely
    only around its usual end; a :class:`PollPolicy` polls on a fixed schedule instead.
    The account's quota (``quota``: 2 live tasks, 2 submits a second) is shared with every
    kernel using the same ``quota_store``: a store, or its URL (``"memory:"`` this kernel,
    ``"sqlite:///path"`` this machine, ``"redis://…"`` a team); by default
    ``WANVACE_QUOTA_URL``, else every kernel of this user on this machine (``docs/team.md``).
    ``user`` is the fair-share name (default: ``WANVACE_USER``, JupyterHub's user, the
    login). ``price_per_second`` (USD) defaults to the model's list price;
    ``daily_budget_usd`` (default: ``WANVACE_DAILY_BUDGET_USD``) refuses a submit that would
    take the user past it. ``backend_label`` names the service in the widgets' status line;
    a label with "emulator" in it also says that tasks take seconds, not the service's
    5–10 minutes, so the default plan polls from the start. ``max_download_bytes`` caps a
    result video (default 1 GiB): a larger answer is cut off, and nothing is kept.

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
        poll: PollPlan | PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        quota: QuotaPolicy | None = None,
        quota_store: QuotaStore | str | None = None,
        deadlines: Deadlines | None = None,
        journal: Journal | str | Path | bool | None = None,
        results_dir: str | Path | None = None,
        transport: Any = None,
        clock: Clock | None = None,
        backend_label: str | None = None,
        price_per_second: float | None = None,
        user: str | None = None,
        daily_budget_usd: float | None = None,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    ):
        self.endpoint = resolve_endpoint(region, base_url, model)
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
        else:
            self.journal = Journal(journal if journal not in (None, True) else None)
        self.results_dir = Path(results_dir) if results_dir else default_home() / "results"
        self._label = backend_label
        self._api = DashScopeAPI(
            self.endpoint,
            self._key,
            clock=self.clock,
            deadlines=deadlines or Deadlines(),
            retry=retry or RetryPolicy(),
            transport=transport,
        )
        if price_per_second is None:
            price_per_second = c.PRICE_PER_SECOND_USD.get(self.endpoint.model)
        self._scheduler = Scheduler(
            self._api,
            quota=self._make_quota_store,
            pacer=QueryPacer(self.quota.queries_per_second, self.clock),
            poll=poll if isinstance(poll, PollPolicy) else None,
            plan=poll if isinstance(poll, PollPlan) else self._default_plan(),
            durations=Durations(
                self.journal.entries if self.journal is not None else None, host=self.endpoint.host
            ),
            retry=retry or RetryPolicy(),
            deadlines=deadlines or Deadlines(),
            clock=self.clock,
            results_dir=self.results_dir,
            journal=self.journal,
            user=lambda: user_name,
            daily_budget_usd=daily_budget_usd,
            price_per_second=price_per_second,
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
    model = property(lambda self: self.endpoint.model)
    host = property(lambda self: self.endpoint.host)

    @property
    def tasks(self) -> list[Task]:
        """Every task of this client, oldest first."""
        return self._scheduler.tasks

    def add_task_listener(self, callback: Callable[[Task], Any]) -> None:
        """Call ``callback(task)`` for every task this client makes from now on."""
        self._scheduler.task_listeners.append(callback)

    @property
    def poll(self) -> PollPlan | PollPolicy:
        return self._scheduler.poll or self._scheduler.plan

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
        return f"DashScope {self.region} ({region}, {self.host}) · {self.model}"

    def __repr__(self) -> str:
        return f"VaceClient(region={self.region!r}, host={self.host!r}, model={self.model!r})"

    def _make_quota_store(self) -> QuotaStore:
        if self._quota_store is not None:
            return self._quota_store
        assert self._quota_choice is not None  # made with the client
        return self._quota_choice.store(
            model=self.model,
            api_key=self._key(),
            clock=self.clock,
            max_concurrent=self.quota.max_concurrent,
            submits_per_second=self.quota.submits_per_second,
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
        task.add_observer(lambda _: changed.set())
        try:
            while task.task_id is None and not task.done:
                changed.clear()
                await changed.wait()
        finally:
            task.remove_observer(changed.set)
        if task.task_id is None and task.error is not None:
            raise task.error
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
        uploaded, _ = await prepare_media(
            self._api.http(),
            self.model,
            lambda path, params: self._api.call("GET", path, params=params),
            request,
        )
        return uploaded.to_payload(self.model)

    # -- following tasks from elsewhere -----------------------------------------------------

    def attach(self, task_id: str) -> Task:
        """Follow a task submitted elsewhere (another session, another kernel)."""
        if not is_task_id(task_id):
            raise ConfigurationError(f"{task_id!r} is not a task id")
        _require_loop("attach()")
        self._key()
        for task in self.tasks:
            if task.task_id == task_id:
                if self._scheduler.can_save_again(task) or not (task.watching or task.done):
                    self._scheduler.follow(task)
                return task
        entry = self.journal.get(task_id) if self.journal else None
        state = _state_from_entry(entry) if entry else None
        if state is None or state.task_id != task_id:
            state = TaskSnapshot(
                job_id=uuid.uuid4().hex,
                function=(entry or {}).get("function") or "unknown",
                status=s.PENDING,
                created_at=self.clock.now(),
                task_id=task_id,
            )
        task = self._scheduler.new_task(state)
        self._scheduler.follow(task)
        return task

    def unfinished_jobs(self, function: str | None = None) -> list[dict[str, Any]]:
        """Journal entries of this host's tasks that a restart interrupted (still live on
        the server, or finished without a saved video), younger than the server keeps them."""
        if self.journal is None:
            return []
        now = self.clock.now()
        return [
            e
            for e in self.journal.unfinished()
            if e.get("host") == self.host
            and function in (None, e.get("function"))
            and now - float(e.get("submitted_at") or e.get("created_at") or 0) < c.TASK_RETENTION_S
        ]

    def resume(self) -> list[Task]:
        """Follow again every unfinished task of the journal (after a kernel restart), and
        save again the videos whose download failed (in this session too)."""
        return [self.attach(entry["task_id"]) for entry in self.unfinished_jobs()]

    async def list_server_tasks(self, **filters: Any) -> dict[str, Any]:
        """The server's task list (GET /api/v1/tasks/), e.g. ``status="RUNNING"``."""
        return await self._api.call("GET", c.TASKS_PATH + "/", params=filters)

    async def aclose(self) -> None:
        """Stop following and close connections. Tasks on the server go on (the journal
        has them: ``resume()`` in the next session picks them up)."""
        await self._scheduler.aclose()
        await self._api.aclose()

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


def _state_from_entry(entry: dict[str, Any]) -> TaskSnapshot | None:
    """A task's last known state from its journal entry (ill-typed fields left out)."""
    fields = {
        name: entry[name]
        for name, kind in _RESTORED.items()
        if isinstance(entry.get(name), kind) and not isinstance(entry.get(name), bool)
    }
    if not {"job_id", "function", "status", "created_at"} <= fields.keys():
        return None
    if fields["status"] not in (s.PENDING, s.RUNNING, s.SUCCEEDED):
        fields["status"] = s.PENDING
    path = entry.get("local_path")
    return TaskSnapshot(**fields, local_path=Path(path) if isinstance(path, str) else None)

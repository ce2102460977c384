"""VaceClient: submits VACE tasks and follows them on the running event loop.

One client serves every widget of a kernel. ``enqueue`` returns a :class:`Task` at once
and does the rest in the background: wait for the local quota, upload local files,
submit, poll (one poller for all live tasks), download the video as soon as it exists
(result URLs expire after 24 h) and record every step in the journal.

Money rules: a submit is sent once. It is retried only when the server certainly did not
create a task: a 429 throttling answer, or a connection refused before anything was sent.
A submit that may have reached the server and got no answer ends the task as ERROR with
an error that says to check the console; it is never sent again by itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from . import contract as c
from .blocking import run_blocking
from .downloads import download_to
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadRequestError,
    ConfigurationError,
    RateLimitError,
    ServerError,
    TaskUnknownError,
    VaceError,
    api_error_from_response,
)
from .journal import Journal, default_home
from .polling import PollPolicy, QuotaPolicy, RetryPolicy, parse_retry_after
from .regions import resolve_endpoint
from .requests import VaceRequest
from .tasks import ERROR, QUEUED, SUBMITTING, TERMINAL, UPLOADING, Task
from .uploads import prepare_media

__all__ = ["VaceClient", "find_api_key"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_REGION_NAMES = {"intl": "Singapore", "cn": "Beijing"}


def find_api_key(explicit: str | None = None) -> str | None:
    """The key, in the SDK's order: argument, DASHSCOPE_API_KEY, the key file, ~/.dashscope."""
    if explicit:
        return explicit
    if os.environ.get("DASHSCOPE_API_KEY"):
        return os.environ["DASHSCOPE_API_KEY"].strip()
    files = [os.environ.get("DASHSCOPE_API_KEY_FILE_PATH"), Path.home() / ".dashscope/api_key"]
    for name in files:
        if name and Path(name).is_file():
            text = Path(name).read_text().strip()
            if text:
                return text
    return None


class VaceClient:
    """The shared asyncio client. See the module docstring for what it guarantees."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        region: str | None = "intl",
        base_url: str | None = None,
        model: str | None = None,
        poll: PollPolicy | None = None,
        retry: RetryPolicy | None = None,
        quota: QuotaPolicy | None = None,
        journal: Journal | str | Path | bool | None = None,
        results_dir: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        backend_label: str | None = None,
    ):
        self.endpoint = resolve_endpoint(region, base_url, model)
        self.__key = api_key
        self.poll = poll or PollPolicy()
        self.retry = retry or RetryPolicy()
        self.quota = quota or QuotaPolicy()
        if journal is False:
            self.journal: Journal | None = None
        elif isinstance(journal, Journal):
            self.journal = journal
        else:
            self.journal = Journal(journal if journal not in (None, True) else None)
        self.results_dir = Path(results_dir) if results_dir else default_home() / "results"
        self._transport = transport
        self._timeout = timeout or DEFAULT_TIMEOUT
        self._clock = clock
        self._sleep = sleep
        self._label = backend_label
        self.tasks: list[Task] = []
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task] = set()
        self._poller: asyncio.Task | None = None
        self._wakeup: asyncio.Event | None = None
        self._due: dict[Task, float] = {}
        self._submit_times: deque[float] = deque()
        self._slot_free: asyncio.Event | None = None
        self._next_query_at = 0.0

    # -- description ----------------------------------------------------------------------

    region = property(lambda self: self.endpoint.region)
    model = property(lambda self: self.endpoint.model)
    host = property(lambda self: self.endpoint.host)

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

    # -- HTTP ---------------------------------------------------------------------------

    def _key(self) -> str:
        key = find_api_key(self.__key)
        if not key:
            raise ConfigurationError(
                "no API key: set DASHSCOPE_API_KEY, pass VaceClient(api_key=...), or write the "
                "key to ~/.dashscope/api_key; without a key, use wv.backend.emulator_client()"
            )
        self.__key = key
        return key

    def _client(self) -> httpx.AsyncClient:
        """The httpx client of the running loop (a new loop gets its own)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop or self._http.is_closed:
            self._http = httpx.AsyncClient(
                transport=self._transport,
                timeout=self._timeout,
                trust_env=True,
                headers={"User-Agent": "wanvace-widgets"},
            )
            self._http_loop = loop
            self._poller = None
            self._wakeup = None
        return self._http

    def _error(self, response: httpx.Response) -> APIError:
        try:
            body = response.json()
        except ValueError:
            body = None
        return api_error_from_response(
            response.status_code, body, host=self.host, region=self.region
        )

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._key()}", **kwargs.pop("headers", {})}
        try:
            return await self._client().request(
                method, self.endpoint.url(path), headers=headers, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"no answer in time ({type(exc).__name__})", host=self.host, region=self.region
            ) from exc
        except httpx.HTTPError as exc:
            error = APIConnectionError(
                f"connection failed ({type(exc).__name__})", host=self.host, region=self.region
            )
            error.refused = isinstance(exc, httpx.ConnectError)
            raise error from exc

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        """An idempotent request: retried on 429, 5xx and connection errors."""
        attempt = 0
        while True:
            try:
                response = await self._send(method, path, **kwargs)
            except APIConnectionError:
                if attempt >= self.retry.max_retries:
                    raise
                await self._sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if response.status_code == 200:
                return response.json() if response.content else {}
            error = self._error(response)
            if (
                not isinstance(error, (RateLimitError, ServerError))
                or attempt >= self.retry.max_retries
            ):
                raise error
            wait = parse_retry_after(response.headers.get("retry-after"), self._clock())
            await self._sleep(self.retry.delay(attempt, wait))
            attempt += 1

    async def _submit_once(self, payload: dict, oss: bool) -> dict:
        """POST the task; retried only when no task can have been created."""
        headers = {c.ASYNC_HEADER: "enable"}
        if oss:
            headers[c.OSS_RESOLVE_HEADER] = "enable"
        attempt = 0
        while True:
            try:
                response = await self._send("POST", c.SUBMIT_PATH, json=payload, headers=headers)
            except APIConnectionError as error:
                if getattr(error, "refused", False) and attempt < self.retry.max_retries:
                    await self._sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                if not getattr(error, "refused", False):
                    error.message = (
                        f"{error.message}; the server may or may not have created the task, "
                        "so it was not sent again: check client.list_server_tasks() or the "
                        "Model Studio console before resubmitting"
                    )
                    error.args = (error._describe(),)
                raise
            if response.status_code == 200:
                return response.json()
            error = self._error(response)
            if type(error) is RateLimitError and attempt < self.retry.max_retries:
                wait = parse_retry_after(response.headers.get("retry-after"), self._clock())
                await self._sleep(self.retry.delay(attempt, wait))
                attempt += 1
                continue
            raise error

    # -- submitting -----------------------------------------------------------------------

    def enqueue(self, request: VaceRequest) -> Task:
        """Start a job in the background and return its Task at once (needs a running loop)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "enqueue() needs a running event loop (a notebook cell, or async code); "
                "in a plain script use client.run(request)"
            ) from None
        task = Task(self, request.function, request, created_at=self._clock())
        self.tasks.append(task)
        self._spawn(self._start(task))
        return task

    async def submit(self, request: VaceRequest) -> Task:
        """Submit and return as soon as the server has the task (raises the submit's error)."""
        task = self.enqueue(request)
        while task.task_id is None and not task.done:
            await self._changed(task)
        if task.task_id is None and task.error is not None:
            raise task.error
        return task

    def run(self, request: VaceRequest, timeout: float | None = None) -> Task:
        """Blocking: submit, wait, download; for scripts and cells that want to block."""

        async def go() -> Task:
            task = await self.submit(request)
            return await task.wait(timeout)

        return run_blocking(go)

    async def _changed(self, task: Task) -> None:
        future = asyncio.get_running_loop().create_future()

        def done(_snapshot):
            if not future.done():
                future.set_result(None)

        task.add_observer(done)
        try:
            await future
        finally:
            task.remove_observer(done)

    async def _start(self, task: Task) -> None:
        try:
            await self._await_quota(task)
            if task.status == c.CANCELED:
                return
            request = task.request
            task._update(status=UPLOADING)
            self._free_slot()  # the next queued task may now check the quota
            request, oss = await prepare_media(
                self._client(), self.model, lambda p, q: self._call("GET", p, params=q), request
            )
            task._update(status=SUBMITTING)
            self._submit_times.append(self._clock())
            body = await self._submit_once(request.to_payload(self.model), oss)
            output = body.get("output") or {}
            task._update(
                task_id=output.get("task_id"),
                request_id=body.get("request_id"),
                status=c.normalize_status(output.get("task_status")) or c.PENDING,
            )
            self._track(task)
        except VaceError as error:
            task._update(status=ERROR, error=error)
            task._finish()
            self._free_slot()

    # -- quota guard ----------------------------------------------------------------------

    def _live_count(self) -> int:
        busy = (SUBMITTING, UPLOADING, c.PENDING, c.RUNNING)
        return sum(1 for t in self.tasks if t.status in busy and t.watching)

    async def _await_quota(self, task: Task) -> None:
        while True:
            if task.status == c.CANCELED:
                return
            if self._live_count() < self.quota.max_concurrent and self._is_first_queued(task):
                now = self._clock()
                while self._submit_times and self._submit_times[0] <= now - 1.0:
                    self._submit_times.popleft()
                if len(self._submit_times) < self.quota.submits_per_second:
                    return
                await self._sleep(self._submit_times[0] + 1.05 - now)
                continue
            if self._slot_free is None or self._slot_free.is_set():
                self._slot_free = asyncio.Event()
            await self._slot_free.wait()

    def _is_first_queued(self, task: Task) -> bool:
        return next(t for t in self.tasks if t.status == QUEUED) is task

    def _free_slot(self) -> None:
        if self._slot_free is not None:
            self._slot_free.set()

    # -- polling --------------------------------------------------------------------------

    def attach(self, task_id: str) -> Task:
        """Follow a task submitted elsewhere (another session, another kernel)."""
        for task in self.tasks:
            if task.task_id == task_id:
                if not task.watching:
                    task._update(watching=True)
                    self._track(task, now=True)
                return task
        entry = self.journal.get(task_id) if self.journal else None
        task = Task(
            self,
            (entry or {}).get("function") or "unknown",
            None,
            task_id=task_id,
            status=c.PENDING,
            created_at=self._clock(),
        )
        self.tasks.append(task)
        self._track(task, now=True)
        return task

    def resume(self) -> list[Task]:
        """Re-attach every unfinished task of the journal (after a kernel restart)."""
        if self.journal is None:
            return []
        return [self.attach(entry["task_id"]) for entry in self.journal.unfinished()]

    def _track(self, task: Task, now: bool = False) -> None:
        """Put a task on the poller's schedule (first query after a delay, or at once)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the task is polled once someone awaits on a loop
        self._due[task] = self._clock() + (0.0 if now else self.poll.delay(0))
        self._client()
        if self._poller is None or self._poller.done():
            self._wakeup = asyncio.Event()
            self._poller = self._spawn(self._poll_forever())
        else:
            self._wakeup.set()

    async def _poll_forever(self) -> None:
        while self._due:
            now = self._clock()
            ready = [t for t, due in self._due.items() if due <= now]
            for task in ready:
                del self._due[task]
            if ready:
                results = await asyncio.gather(
                    *(self._poll(task) for task in ready), return_exceptions=True
                )
                for task, result in zip(ready, results, strict=True):
                    if isinstance(result, Exception):
                        log.error("polling %s failed", task.task_id, exc_info=result)
                continue
            wait = min(self._due.values()) - now
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), wait)
            except asyncio.TimeoutError:
                pass

    async def _poll(self, task: Task) -> None:
        if not task.watching:
            return
        await self._query_slot()
        try:
            body = await self._call("GET", f"{c.TASKS_PATH}/{task.task_id}")
            if not isinstance(body, dict):
                raise APIError(f"the server answered a status query with {body!r}")
        except VaceError as error:
            task._update(status=ERROR, error=error)
            task._finish()
            self._free_slot()
            return
        task.polls += 1
        output = body.get("output") or {}
        status = c.normalize_status(output.get("task_status"))
        changes: dict[str, Any] = {"status": status}
        for name in (
            "submit_time",
            "scheduled_time",
            "end_time",
            "video_url",
            "orig_prompt",
            "actual_prompt",
        ):
            if output.get(name) is not None:
                changes[name] = output[name]
        if body.get("usage"):
            changes["usage"] = body["usage"]
        if "video_url" in changes:
            changes["video_url_expires_at"] = self._clock() + c.RESULT_URL_TTL_S
        if status == c.FAILED:
            changes["error"] = APIError(
                output.get("message") or "the task failed",
                code=output.get("code"),
                request_id=body.get("request_id"),
            )
        elif status == c.UNKNOWN:
            changes["error"] = TaskUnknownError(task.task_id, c.UNKNOWN)
        elif status not in c.SERVER_STATUSES:
            changes["error"] = APIError(
                f"the server reported an unrecognised status {output.get('task_status')!r}; "
                "polling stopped",
                code="UnrecognisedStatus",
            )
            changes["status"] = ERROR
        task._update(**changes)
        if status in c.LIVE_STATUSES:
            if task.watching:
                self._due[task] = self._clock() + self.poll.delay(task.polls)
            return
        self._free_slot()
        if status == c.SUCCEEDED:
            try:
                await self._download(task, None)
            except VaceError as error:
                task._update(error=error)
        task._finish()

    async def _query_slot(self) -> None:
        """Space status queries so that many tracked tasks stay within the query limit."""
        now = self._clock()
        slot = max(now, self._next_query_at)
        self._next_query_at = slot + 1.0 / self.quota.queries_per_second
        if slot > now:
            await self._sleep(slot - now)

    def _stop_watching(self, task: Task) -> None:
        self._due.pop(task, None)
        task._update(watching=False)
        self._free_slot()

    # -- cancel, download ---------------------------------------------------------------

    async def _cancel(self, task: Task) -> None:
        if task.status == QUEUED:
            task._update(status=c.CANCELED)
            task._finish()
            self._free_slot()
            return
        if task.task_id is None or task.status in TERMINAL:
            raise BadRequestError(
                f"task is {task.status}; only a queued or PENDING task can be cancelled",
                status_code=400,
                code="UnsupportedOperation",
                host=self.host,
                region=self.region,
            )
        try:
            await self._call("POST", f"{c.TASKS_PATH}/{task.task_id}/cancel")
        except BadRequestError as error:
            error.message += (
                " A RUNNING task cannot be cancelled (the API allows PENDING only); "
                "use task.stop_watching() to stop following it here."
            )
            error.args = (error._describe(),)
            raise
        self._due.pop(task, None)
        task._update(status=c.CANCELED)
        task._finish()
        self._free_slot()

    async def _download(self, task: Task, path: str | Path | None) -> Path:
        if path is None and task.local_path and task.local_path.exists():
            return task.local_path
        if not task.video_url:
            raise APIError(f"task {task.task_id} has no video to download (status {task.status})")
        target = Path(path) if path else self.results_dir / f"{task.task_id}.mp4"
        await download_to(self._client(), task.video_url, target)
        if path is None:
            task._update(local_path=target)
        return target

    # -- bookkeeping ---------------------------------------------------------------------

    def _record(self, task: Task) -> None:
        if self.journal is not None and task.task_id:
            try:
                self.journal.record(task.to_record())
            except Exception:  # noqa: BLE001 - the journal must never stop a job
                log.warning("could not write the journal at %s", self.journal.path, exc_info=True)

    def _spawn(self, coro) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self._background.add(job)
        job.add_done_callback(self._background.discard)
        return job

    async def list_server_tasks(self, **filters: Any) -> dict:
        """The server's task list (GET /api/v1/tasks/), e.g. ``status="RUNNING"``."""
        return await self._call("GET", c.TASKS_PATH + "/", params=filters)

    async def aclose(self) -> None:
        """Stop polling and close connections. Tasks on the server go on."""
        for job in list(self._background):
            job.cancel()
        self._due.clear()
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> VaceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

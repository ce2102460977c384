"""One "kernel" of the team-mode tests and benchmark, run as its own process, and
:class:`Kernel`, which starts one and reads what it says.

``jobs``: runs ``--jobs`` jobs at once, each the minimal loop a client goes through: take a
lease (fair share), take a submit permit, POST the submit with httpx (and say when it was
answered), poll GET until the task ends (renewing the lease), release; this exercises the
quota stores alone. ``client``: the same jobs through the package's own ``VaceClient``
(its scheduler takes the leases and permits). ``spend``: tries ``--times`` spends against
a daily budget. Every event is printed as one JSON line, with ``time.time()``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from wanvace_widgets.quota import Holder, quota_store_from_environment

SUBMIT = "/api/v1/services/aigc/video-generation/video-synthesis"
TASKS = "/api/v1/tasks/"
ENDED = {"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"}
POLL_S = 0.2
MODEL = "wan2.1-vace-plus"
ROOT = Path(__file__).resolve().parents[1]


class Kernel:
    """A worker process (``python -m tests.quota_worker …``) importing this checkout's
    package; ``events`` fills with its JSON lines as they come."""

    def __init__(self, *args: str):
        self.args = args
        self.events: list[dict] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._errors = tempfile.TemporaryFile()

    async def start(self) -> Kernel:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.quota_worker",
            *self.args,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._errors,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for line in self.process.stdout:
            self.events.append(json.loads(line))

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["event"] == kind]

    async def until(self, check: Callable[[Kernel], bool], timeout: float, what: str) -> None:
        """Wait (at most ``timeout`` s) until ``check(self)``; fail saying ``what``."""
        deadline = time.monotonic() + timeout
        while not check(self):
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; {self._story()}")
            await asyncio.sleep(0.05)

    async def finish(self, timeout: float) -> None:
        """Wait for a clean exit (at most ``timeout`` s); kill it and fail otherwise."""
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.process.wait()
            story = self._story()
            raise AssertionError(f"worker still running after {timeout} s; {story}") from None
        await self._reader
        if self.process.returncode != 0:
            raise AssertionError(f"worker failed; {self._story()}")

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    def _story(self) -> str:
        self._errors.seek(0)
        errors = self._errors.read()
        return (
            f"exit {self.process.returncode}, events {self.events[-5:]}, stderr {errors[-2000:]!r}"
        )


def emit(**event: object) -> None:
    print(json.dumps({"pid": os.getpid(), "at": time.time(), **event}), flush=True)


def payload(base_url: str, user: str) -> dict:
    """The cheapest task for the emulator to render: repainting its small sample video.
    The prompt names the user, so tests can tell whose task the emulator ran."""
    return {
        "model": MODEL,
        "input": {
            "function": "video_repainting",
            "prompt": f"{user}: a dancer in a garden",
            "video_url": f"{base_url}/samples/source.mp4",
        },
        "parameters": {"control_condition": "depth"},
    }


async def keep_renewed(store, lease, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        lease = await store.renew(lease)
        emit(event="renewed", job=lease.holder.job_id, expires_at=lease.expires_at)


async def job(store, http: httpx.AsyncClient, holder: Holder, args) -> None:
    emit(event="asked", job=holder.job_id, user=holder.user)
    lease = await store.acquire(holder)
    emit(event="granted", job=holder.job_id, user=holder.user, expires_at=lease.expires_at)
    renewing = asyncio.create_task(keep_renewed(store, lease, store.lease_ttl_s / 3))
    try:
        permit = await store.submit_permit()
        try:
            answer = await http.post(SUBMIT, json=payload(args.emulator, holder.user))
        finally:
            await store.submit_sent(permit)
        emit(event="submitted", job=holder.job_id, user=holder.user, status=answer.status_code)
        if answer.status_code != 200:
            return
        task_id = answer.json()["output"]["task_id"]
        while True:
            await asyncio.sleep(POLL_S)
            answer = await http.get(TASKS + task_id)
            state = answer.json().get("output", {}).get("task_status")
            if answer.status_code != 200 or state in ENDED:
                emit(event="polled", job=holder.job_id, status=answer.status_code, task=state)
            if state in ENDED:
                break
    finally:
        renewing.cancel()
        await store.release(holder)
        emit(event="released", job=holder.job_id, user=holder.user)


async def run_jobs(args) -> None:
    store = quota_store_from_environment(
        model=MODEL, api_key=args.key, url=args.url, lease_ttl_s=args.ttl
    )
    headers = {"Authorization": f"Bearer {args.key}", "X-DashScope-Async": "enable"}
    async with httpx.AsyncClient(base_url=args.emulator, headers=headers, timeout=30) as http:
        holders = [Holder(f"{args.user}-{os.getpid()}-{i}", args.user) for i in range(args.jobs)]
        await asyncio.gather(*(job(store, http, h, args) for h in holders))
    await store.aclose()


class _Recording(httpx.AsyncHTTPTransport):
    """Says what the emulator answered to each submit and each status query."""

    async def handle_async_request(self, request):
        response = await super().handle_async_request(request)
        if request.method == "POST" and request.url.path == SUBMIT:
            emit(event="submitted", status=response.status_code)
        elif request.url.path.startswith(TASKS) and response.status_code != 200:
            emit(event="polled", status=response.status_code, task=None)
        return response


async def run_client(args) -> None:
    import wanvace_widgets as wv

    client = wv.VaceClient(
        args.key,
        base_url=args.emulator,
        quota_store=args.url,
        user=args.user,
        journal=False,
        results_dir=tempfile.mkdtemp(),
        poll=wv.PollPolicy(first_delay=POLL_S, factor=1.0, max_delay=POLL_S),
        transport=_Recording(),
    )
    request = wv.VideoRepainting(
        prompt=f"{args.user}: a dancer in a garden",
        video=f"{args.emulator}/samples/source.mp4",
        control_condition="depth",
    )
    tasks = [client.enqueue(request) for _ in range(args.jobs)]
    for task in tasks:
        task.add_observer(
            lambda snap: snap.finished and emit(event="released", job=snap.job_id, task=snap.status)
        )
    await asyncio.gather(*(t.wait(300) for t in tasks), return_exceptions=True)
    emit(event="done", statuses=[t.status for t in tasks])
    await client.aclose()


async def run_spends(args) -> None:
    store = quota_store_from_environment(model=MODEL, api_key=args.key, url=args.url)
    granted = 0
    for _ in range(args.times):
        granted += await store.try_spend(args.user, args.usd, args.limit)
    emit(event="spent", granted=granted)
    await store.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["jobs", "client", "spend"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", default="team-key")
    parser.add_argument("--user", required=True)
    parser.add_argument("--emulator")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--ttl", type=float, default=5.0)
    parser.add_argument("--times", type=int, default=1)
    parser.add_argument("--usd", type=float, default=0.5)
    parser.add_argument("--limit", type=float)
    args = parser.parse_args()
    emit(event="started", module=sys.modules["wanvace_widgets.quota"].__file__)
    modes = {"jobs": run_jobs, "client": run_client, "spend": run_spends}
    asyncio.run(modes[args.mode](args))


if __name__ == "__main__":
    main()

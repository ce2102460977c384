"""A kernel for the crash tests (``tests/test_crash.py``), run as a real process.

``run HOME BASE_URL STOP``: submit one job to the emulator at BASE_URL with its journal
and results in HOME, and stop dead at the step STOP names: the journal's thread prints
``AT <step>`` and blocks there (before or after the write that marks the step), so the
test can SIGKILL this process at exactly that point. ``recover HOME BASE_URL``: a fresh
process on the same home, as after a restart: ``client.resume()``, wait for every job,
print each one's outcome as a line of JSON.

Steps: ``before:<STATUS>`` blocks before the first write of an entry in that status,
``after:<STATUS>`` after it has landed; ``before:saved`` before the write that records the
saved video's path. ``none`` never blocks (the test kills when the emulator says so).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from pathlib import Path

import wanvace_widgets as wv
from wanvace_widgets.jobs.deadlines import Deadlines
from wanvace_widgets.jobs.job_entry import JobEntry
from wanvace_widgets.jobs.journal import Journal

#: CRASH_CLOCK_SKEW widens every submit's window, so that two users' windows surely overlap
DEADLINES = Deadlines(
    submit=5.0, clock_skew=float(os.environ.get("CRASH_CLOCK_SKEW", "1")), list_settle=0.5
)
FAST = wv.PollPolicy(first_delay=0.1, factor=1.5, max_delay=0.3, jitter=0.0)


def client(home: Path, base_url: str) -> wv.VaceClient:
    return wv.VaceClient(
        api_key="crash-test-key",
        base_url=base_url,
        journal=home / "journal.sqlite3",
        results_dir=home / "results",
        # a team's Redis when the test gives one (WANVACE_QUOTA_URL), else this home's file
        quota_store=os.environ.get("WANVACE_QUOTA_URL") or f"sqlite:///{home / 'quota.sqlite3'}",
        deadlines=DEADLINES,
        poll=FAST,
        retry=wv.RetryPolicy(base=0.05, max_delay=0.2),
    )


def stop_at(step: str) -> None:
    """Make the journal's thread announce ``step`` and block there for good."""
    when, _, what = step.partition(":")
    write = Journal._write_batch

    def matches(entry: JobEntry) -> bool:
        if what == "saved":
            return entry.local_path is not None
        return entry.status == what

    def hooked(self: Journal, batch: list[JobEntry], attempts: int = 3) -> bool:
        hit = any(matches(e) for e in batch)
        if hit and when == "before":
            announce(step)
        landed = write(self, batch, attempts)
        if hit and when == "after" and landed:
            announce(step)
        return landed

    Journal._write_batch = hooked  # type: ignore[method-assign]


def announce(step: str) -> None:
    print(f"AT {step}", flush=True)
    threading.Event().wait()  # until killed


async def run(home: Path, base_url: str, step: str) -> None:
    if step != "none":
        stop_at(step)
    c = client(home, base_url)
    prompt = os.environ.get("CRASH_PROMPT", "crash test")
    c.enqueue(wv.VideoOutpainting(prompt=prompt, video=f"{base_url}/samples/source.mp4"))
    print("ENQUEUED", flush=True)
    await asyncio.Event().wait()  # until killed


async def recover(home: Path, base_url: str) -> None:
    c = client(home, base_url)
    tasks = c.resume()
    for task in tasks:
        try:
            await task.wait(120)
        except wv.VaceError:
            pass
        error = task.error
        print(
            json.dumps(
                {
                    "job_id": task.job_id,
                    "status": task.status,
                    "task_id": task.task_id,
                    "local_path": str(task.local_path) if task.local_path else None,
                    "error": type(error).__name__ if error else None,
                    "problem": task.problem,
                    "candidates": list(task.candidates),
                    "finished": task.done,
                    "watching": task.watching,
                    "message": str(error)[:300] if error else None,
                }
            ),
            flush=True,
        )
    await c.aclose()
    print("RECOVERED", len(tasks), flush=True)


if __name__ == "__main__":
    mode, home, base_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    if mode == "run":
        asyncio.run(run(home, base_url, sys.argv[4]))
    else:
        asyncio.run(recover(home, base_url))

"""Team mode: the makespan of 30 jobs from 3 kernel processes sharing one account's quota
(2 running tasks, 2 submits a second), against the ideal ceil(30/2) × task time, with the
embedded store (SQLite) and with Redis. Median of several runs, with the spread, as a
markdown table. ``--tiny`` runs one quick pass.

Each kernel is ``tests/quota_worker.py``: the minimal job loop (lease, submit permit, POST,
poll every 0.2 s, release) against one emulator over loopback, with the same API key.
The makespan is read on the emulator: from the first submit to the last task's end.
Tasks end FAILED by the emulator's ``fail_task`` fault, which skips the render, so a task
lives exactly ``pending_s + running_s`` and the ideal is exact.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.quota_servers import RedisServer  # noqa: E402
from tests.quota_worker import Kernel  # noqa: E402
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer  # noqa: E402


async def one_run(url: str, key: str, kernels: int, jobs: int, pending: float, running: float):
    """(makespan in s, 429 answers seen by the kernels) of one run."""
    config = EmulatorConfig(pending_s=pending, running_s=running, quota_policy="reject")
    config.faults.add("submit", "fail_task", times=None, code="Emulated", message="no render")
    with EmulatorServer(config) as emulator:
        workers = [
            Kernel(
                "jobs",
                "--url",
                url,
                "--key",
                key,
                "--user",
                f"user{i}",
                "--jobs",
                str(jobs),
                "--ttl",
                "60",
                "--emulator",
                emulator.base_url,
            )  # fmt: skip
            for i in range(kernels)
        ]
        for worker in workers:
            await worker.start()
        for worker in workers:
            await worker.finish(timeout=60 + 4 * kernels * jobs * (pending + running))
        tasks = list(emulator.emulator.tasks.tasks.values())
    assert len(tasks) == kernels * jobs, [
        (e["event"], e.get("status")) for w in workers for e in w.events
    ]
    span = max(t.ended_at for t in tasks) - min(t.submitted_at for t in tasks)
    answers = [e["status"] for w in workers for e in w.of("submitted") + w.of("polled")]
    return span, answers.count(429)


async def table(runs: int, kernels: int, jobs: int, pending: float, running: float) -> list[str]:
    task_s = pending + running
    ideal = math.ceil(kernels * jobs / 2) * task_s
    lines = [
        f"{kernels} kernel processes × {jobs} jobs, one key; emulated task time {task_s:g} s; "
        f"ideal = ceil({kernels * jobs}/2) × {task_s:g} s = {ideal:g} s; {runs} runs each.",
        "",
        "| store | makespan, median | min – max | vs ideal | 429s |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        redis = RedisServer(Path(folder)).start()
        try:
            stores = {
                "embedded (SQLite)": lambda run: f"sqlite://{folder}/quota-{run}.sqlite3",
                "Redis": lambda run: redis.url,
            }
            for name, url in stores.items():
                spans, rejected = [], 0
                for run in range(runs):
                    span, errors = await one_run(
                        url(run), f"bench-key-{run}", kernels, jobs, pending, running
                    )
                    spans.append(span)
                    rejected += errors
                median = statistics.median(spans)
                lines.append(
                    f"| {name} | {median:.1f} s | {min(spans):.1f} – {max(spans):.1f} s | "
                    f"{median / ideal:.2f}× | {rejected} |"
                )
        finally:
            redis.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kernels", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10, help="jobs per kernel")
    parser.add_argument("--pending", type=float, default=0.5, help="seconds PENDING")
    parser.add_argument("--running", type=float, default=1.5, help="seconds RUNNING")
    parser.add_argument("--tiny", action="store_true", help="one quick pass")
    args = parser.parse_args()
    if args.tiny:
        args.runs, args.jobs, args.pending, args.running = 1, 2, 0.1, 0.4
    rows = asyncio.run(table(args.runs, args.kernels, args.jobs, args.pending, args.running))
    print("\n".join(rows))


if __name__ == "__main__":
    main()

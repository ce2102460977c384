"""The journal and the event loop: what a write costs the kernel's loop, with and without
another process holding the journal's lock (``docs/benchmarks-journal.md``).

Compared in the same run with a plain baseline: one SQLite transaction per write on the
loop itself, with a 2 s busy timeout (what the journal did before it had a thread of its
own). Reported: the loop's lag (how late a 10 ms ticker wakes: p99 and worst) while a job's
worth of writes are made, and how long until every write is durable. Medians of several
runs with their range.

    python bench/bench_journal.py [--runs 5] [--out docs/benchmarks-journal.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import journal_entry  # noqa: E402
from wanvace_widgets.jobs.journal import Journal  # noqa: E402

WRITES = 12  # a job's changes: queued, uploading, submitting, pending, running, …
HOLD_S = 3.0  # how long the other process keeps the lock
TICK_S = 0.01

LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    """
)


def plain_write(path: Path, i: int) -> bool:
    """The baseline: one transaction on the calling thread, waiting up to 2 s for a lock;
    False when the write was dropped (as the old journal dropped it)."""
    db = sqlite3.connect(path, timeout=2.0)
    try:
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, record TEXT)")
            db.execute(
                "INSERT OR REPLACE INTO jobs VALUES (?, ?)", (f"job{i}", json.dumps({"i": i}))
            )
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()
    return True


async def lag_during(work) -> tuple[list[float], float]:
    """The ticker's lateness (ms) while ``work()`` runs, and how long it took (s)."""
    lags: list[float] = []
    done = False

    async def tick() -> None:
        while not done:
            start = time.perf_counter()
            await asyncio.sleep(TICK_S)
            lags.append((time.perf_counter() - start - TICK_S) * 1000)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    await work()
    took = time.perf_counter() - start
    done = True
    await ticker
    return lags, took


def one_run(kind: str, contended: bool) -> tuple[float, float, float, int]:
    folder = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    path = folder / "journal.sqlite3"
    Journal(path).flush_blocking()  # the file exists, in WAL mode
    journal = Journal(path)
    journal.record(journal_entry("warm"))
    journal.flush_blocking()
    plain_write(path.with_name("plain.sqlite3"), -1)
    target = path if kind == "ours" else path.with_name("plain.sqlite3")
    locker = None
    if contended:
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(target), str(HOLD_S)], stdout=subprocess.PIPE
        )
        assert locker.stdout is not None and locker.stdout.readline().strip() == b"locked"

    async def ours() -> None:
        for i in range(WRITES):
            journal.record(journal_entry(f"job{i}", "RUNNING"))
            await asyncio.sleep(0)
        assert await journal.flush()

    lost = 0

    async def plain() -> None:
        nonlocal lost
        for i in range(WRITES):
            lost += not plain_write(target, i)
            await asyncio.sleep(0)

    lags, took = asyncio.run(lag_during(ours if kind == "ours" else plain))
    if locker is not None:
        locker.wait(timeout=30)
    journal.close()
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))] if lags else 0.0
    return p99, (lags[-1] if lags else 0.0), took, lost


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-journal.md")
    args = parser.parse_args(argv)
    rows = []
    for contended in (False, True):
        for kind in ("plain", "ours"):
            runs = [one_run(kind, contended) for _ in range(args.runs)]
            p99s, worst, took, lost = zip(*runs, strict=True)
            rows.append(
                f"| {'lock held ' + str(HOLD_S) + ' s' if contended else 'no other process'} "
                f"| {'plain SQLite on the loop (the old journal)' if kind == 'plain' else 'the journal'} "
                f"| {spread(list(p99s))} | {spread(list(worst))} | {spread(list(took), 2)} "
                f"| {max(lost)} of {WRITES} |"
            )
            print(rows[-1], flush=True)
    text = "\n".join(
        [
            "# The journal and the event loop",
            "",
            f"`python bench/bench_journal.py --runs {args.runs}` on {platform.machine()}, "
            f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. {WRITES} writes "
            "(a job's changes) made from the event loop while a 10 ms ticker runs; medians of "
            f"{args.runs} runs (range). *Took*: until every write is on disk or given up (the "
            "journal: in the database, or in its second file after 2 s of lock); *Lost*: "
            "writes dropped (most of any run).",
            "",
            "| Other process | Writer | Loop lag p99 (ms) | Worst lag (ms) | Took (s) | Lost |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "With the lock held, the plain writer stalls the loop for its whole busy timeout on "
            "every write and then drops it; the journal writes on its own thread, so the loop "
            "runs on, and a write that waits 2 s is made durable in the second file.",
            "",
        ]
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Helpers shared by the tests: constants and a client on an in-process emulator."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx

from wanvace_widgets.jobs.client import VaceClient
from wanvace_widgets.jobs.deadlines import Deadlines
from wanvace_widgets.jobs.http.retry import RetryPolicy
from wanvace_widgets.jobs.job_entry import JobEntry
from wanvace_widgets.jobs.journal import Journal
from wanvace_widgets.jobs.polling import PollPolicy

SUBMIT = "/api/v1/services/aigc/video-generation/video-synthesis"
HEADERS = {"Authorization": "Bearer test-key", "X-DashScope-Async": "enable"}
FAST_POLL = PollPolicy(first_delay=0.02, factor=1.5, max_delay=0.05, jitter=0.0)
FAST_RETRY = RetryPolicy(base=0.001, max_delay=0.005)
#: the host whose history the duration tests write
HISTORY_HOST = "dashscope-intl.aliyuncs.com"
_SERVER_T0 = datetime(2026, 11, 25, 18, 0, 0)  # the server's zone (UTC+8), not ours


def server_text(seconds: float) -> str:
    """A server time text (no zone, milliseconds), ``seconds`` after a fixed moment."""
    return (_SERVER_T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def finished(
    task_id: str,
    /,
    running: float,
    queued: float = 20.0,
    function: str = "video_outpainting",
    request: object = None,
    **changes: object,
) -> JobEntry:
    """A journal entry of a job that SUCCEEDED after ``queued`` + ``running`` seconds; the
    request defaults to outpainting one remote source."""
    entry = {
        "job_id": "job-" + task_id,
        "task_id": task_id,
        "status": "SUCCEEDED",
        "function": function,
        "request": request
        if request is not None
        else {"function": function, "video": "https://media.example/source.mp4"},
        "host": HISTORY_HOST,
        "created_at": 0.0,
        "submit_time": server_text(0),
        "scheduled_time": server_text(queued),
        "end_time": server_text(queued + running),
    }
    parsed = JobEntry.parse({**entry, **changes})
    assert parsed is not None
    return parsed


def make_client(app, tmp_path, **options) -> VaceClient:
    """A client on an in-process emulator, polling fast, writing into ``tmp_path``."""
    options.setdefault("poll", FAST_POLL)
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("api_key", "test-key")
    options.setdefault("transport", httpx.ASGITransport(app=app))
    options.setdefault("journal", tmp_path / "journal.sqlite3")
    options.setdefault("results_dir", tmp_path / "results")
    options.setdefault("quota_store", "memory:")  # an in-process emulator's own quota
    # the emulator keeps this machine's clock: a lost submit's window needs little margin
    options.setdefault("deadlines", Deadlines(submit=5, clock_skew=0.5, list_settle=0.3))
    return VaceClient(base_url="http://emulator.local", **options)


def padded_mp4(source, target, size: int):
    """A valid MP4 of ``size`` bytes: ``source`` followed by an MP4 ``free`` box, which
    players and probes skip. Quick to make, unlike encoding 50 MB of video."""
    data = source.read_bytes()
    pad = size - len(data)
    with open(target, "wb") as f:
        f.write(data)
        f.write(pad.to_bytes(4, "big") + b"free")
        for _ in range((pad - 8) // (1 << 20)):
            f.write(bytes(1 << 20))
        f.write(bytes((pad - 8) % (1 << 20)))
    return target


async def until(condition, what: str, timeout: float = 10.0) -> None:
    """Wait until ``condition()`` is true, failing with ``what`` did not happen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        await asyncio.sleep(0.02)


def new_models(build):
    """What ``build()`` returns, the widget models it made, and the widget state JupyterLab
    would save of them (it saves with ``drop_defaults``)."""
    import ipywidgets as W
    from ipywidgets.widgets.widget import _instances

    before = set(_instances)
    result = build()
    made = [w for key, w in list(_instances.items()) if key not in before]
    return result, made, W.Widget.get_manager_state(drop_defaults=True, widgets=made)["state"]


def journal_entry(job_id: str, status: str = "PENDING", **fields: object) -> JobEntry:
    """A typed journal entry (``task_id`` defaults to ``t-<job_id>``; pass None for none)."""
    record = {
        "job_id": job_id,
        "task_id": f"t-{job_id}",
        "function": "video_edit",
        "status": status,
        "created_at": 1_750_000_000.0 + len(job_id),
        **fields,
    }
    entry = JobEntry.parse(record)
    assert entry is not None, record
    return entry


def write_raw_rows(path, *records: object) -> None:
    """Rows as another program (or an older version) may have left them in a journal:
    anything at all, written straight into its SQLite table."""
    import json
    import sqlite3

    journal = Journal(path)
    journal.record(journal_entry("schema-maker", status="FAILED"))
    assert journal.flush_blocking()
    journal.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM jobs WHERE job_id = 'schema-maker'")
        for i, record in enumerate(records):
            text = record if isinstance(record, str) else json.dumps(record, default=str)
            db.execute(
                "INSERT INTO jobs (job_id, task_id, status, created_at, record) "
                "VALUES (?, NULL, '?', ?, ?)",
                (f"raw-{i}", float(i), text),
            )
def widget_tree(widget) -> list:
    """``widget`` and every widget under it (through ``children``), in page order."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += widget_tree(child)
    return found

"""Helpers shared by the tests: constants and a client on an in-process emulator."""

from __future__ import annotations

import asyncio

import httpx

from wanvace_widgets.client import VaceClient
from wanvace_widgets.polling import PollPolicy, RetryPolicy

SUBMIT = "/api/v1/services/aigc/video-generation/video-synthesis"
HEADERS = {"Authorization": "Bearer test-key", "X-DashScope-Async": "enable"}
FAST_POLL = PollPolicy(first_delay=0.02, factor=1.5, max_delay=0.05, jitter=0.0)
FAST_RETRY = RetryPolicy(base=0.001, max_delay=0.005)


def make_client(app, tmp_path, **options) -> VaceClient:
    """A client on an in-process emulator, polling fast, writing into ``tmp_path``."""
    options.setdefault("poll", FAST_POLL)
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("api_key", "test-key")
    options.setdefault("transport", httpx.ASGITransport(app=app))
    options.setdefault("journal", tmp_path / "journal.sqlite3")
    options.setdefault("results_dir", tmp_path / "results")
    options.setdefault("quota_store", "memory:")  # an in-process emulator's own quota
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


async def until(condition, timeout: float = 10.0, what: str = "the widget never got there"):
    """Wait for what a widget shows (its display follows a status change shortly after)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.01)

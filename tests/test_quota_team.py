"""Team mode end to end: several kernel processes, one API key, one emulator over loopback.

Each worker process runs the minimal job loop of ``tests/quota_worker.py`` (lease, submit
permit, POST, poll, release) against the embedded store and against a real Redis. What
the account's limits allow is read from the emulator's side: its task store keeps when
each task was submitted and ended, and ``/emulator/stats`` counts the submits it saw.

These tests are about slots, not videos: every task is made to end FAILED by the
emulator's ``fail_task`` fault, which skips the render (CPU seconds on a busy machine), so
a task lives exactly ``pending_s + running_s`` on the server.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from tests.quota_servers import RedisServer
from tests.quota_worker import MODEL, ROOT, Kernel
from wanvace_widgets.emulator import EmulatorConfig, EmulatorServer
from wanvace_widgets.quota import Holder, quota_store_from_environment

KEY = "team-key"
#: a task lives 1.3 s on the server: longer than the submit window, so that slots, not
#: submit permits, decide who goes next (as with real tasks of minutes)
RUNNING_S = 1.2
TTL_S = 3.0  # short leases, so that a killed kernel's slots come back quickly


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request, tmp_path, monkeypatch):
    """The store's URL; each test has an account of its own (its workers inherit it)."""
    monkeypatch.setenv("WANVACE_QUOTA_ACCOUNT", f"test-{tmp_path.name[-20:]}")
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'quota.sqlite3'}"
    return request.getfixturevalue("redis_url")


@pytest.fixture
async def emulator():
    """The emulator, and a ticker that asks its list route every 0.1 s: the emulator moves
    tasks on when asked, where a real server runs them on its own (a killed kernel's tasks
    must end without it)."""
    config = EmulatorConfig(pending_s=0.1, running_s=RUNNING_S, quota_policy="reject")
    config.faults.add("submit", "fail_task", times=None, code="Emulated", message="no render")
    with EmulatorServer(config) as server:
        ticker = asyncio.create_task(tick(server.base_url))
        yield server
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def tick(base_url):
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        while True:
            await http.get("/api/v1/tasks")
            await asyncio.sleep(0.1)


def kernel(store_url, emulator, user, jobs, ttl=TTL_S, mode="jobs"):
    return Kernel(
        mode, "--url", store_url, "--key", KEY, "--user", user, "--jobs", str(jobs),
        "--ttl", str(ttl), "--emulator", emulator.base_url,
    )  # fmt: skip


def check_the_account_limits(emulator, expected_tasks):
    """What the emulator saw: at most 2 live tasks at any moment, at most 2 submits in any
    second (its own rule: a third needs the first to be ≥ 1 s old), every task ended."""
    tasks = list(emulator.emulator.tasks.tasks.values())
    assert len(tasks) == expected_tasks
    assert all(t.ended_at is not None for t in tasks), [t.status for t in tasks]
    edges = sorted([(t.submitted_at, 1) for t in tasks] + [(t.ended_at, -1) for t in tasks])
    live = peak = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start
        live += step
        peak = max(peak, live)
    assert peak <= 2, f"the emulator saw {peak} live tasks at once"
    submits = sorted(t.submitted_at for t in tasks)
    crowded = [(a, c) for a, c in zip(submits, submits[2:], strict=False) if c - a < 1.0]
    assert not crowded, f"three submits within one second: {crowded}"
    stats = httpx.get(emulator.base_url + "/emulator/stats").json()
    assert stats["submit"] == expected_tasks  # no submit was rejected and sent again


def check_no_429(*kernels):
    """No answer a worker got was a 429, and each worker ran this checkout's package."""
    answers = [e["status"] for k in kernels for e in k.of("submitted") + k.of("polled")]
    assert answers and 429 not in answers, answers
    for k in kernels:
        assert k.of("started")[0]["module"].startswith(str(ROOT)), k.of("started")


async def test_three_kernels_with_ten_jobs_each_stay_within_the_account_limits(store_url, emulator):
    kernels = [await kernel(store_url, emulator, f"user{i}", 10).start() for i in range(3)]
    for k in kernels:
        await k.finish(timeout=150)
    for k in kernels:
        assert len(k.of("released")) == 10, k.events
        assert [e["task"] for e in k.of("polled")] == ["FAILED"] * 10, k.events  # no render
    check_no_429(*kernels)
    check_the_account_limits(emulator, 30)


async def test_three_kernels_running_the_package_client_share_the_account(store_url, emulator):
    """The same, through VaceClient: its scheduler takes the shared leases and permits."""
    kernels = [
        await kernel(store_url, emulator, f"user{i}", 10, mode="client").start() for i in range(3)
    ]
    for k in kernels:
        await k.finish(timeout=150)
    for k in kernels:
        assert k.of("done")[0]["statuses"] == ["FAILED"] * 10, k.events  # every task ended
        assert len(k.of("released")) == 10, k.events
    check_no_429(*kernels)
    check_the_account_limits(emulator, 30)


async def test_a_killed_kernel_frees_its_slots_within_the_lease_time(store_url, emulator):
    victim = await kernel(store_url, emulator, "victim", 3).start()
    await victim.until(lambda k: len(k.of("submitted")) == 2, 60, "two jobs submitted")
    victim.kill()  # SIGKILL: no release, no cleanup; its third job was waiting
    await victim.process.wait()
    held_until = {}  # the last expiry each of its leases was given
    for event in victim.of("granted") + victim.of("renewed"):
        held_until[event["job"]] = max(event["expires_at"], held_until.get(event["job"], 0))

    store = quota_store_from_environment(model=MODEL, api_key=KEY, url=store_url)
    try:
        assert (await store.status()).running == ("victim", "victim")
        survivor = await kernel(store_url, emulator, "survivor", 2).start()
        await survivor.until(
            lambda k: len(k.of("granted")) == 2, TTL_S + 15, "the dead kernel's slots freed"
        )
        grants = sorted(e["at"] for e in survivor.of("granted"))
        for granted, expired in zip(grants, sorted(held_until.values()), strict=True):
            assert granted >= expired - 0.05, "a live lease was handed to another kernel"
        await survivor.finish(timeout=60)
        status = await store.status(Holder("victim-ghost", "victim"))
        assert status.running == () and status.waiting == 0  # the waiting job was dropped too
    finally:
        await store.aclose()
    check_no_429(survivor)
    check_the_account_limits(emulator, 4)


async def test_a_single_job_is_not_stuck_behind_a_batch_of_ten(store_url, emulator):
    """Alice runs ten jobs; Bob asks for one while hers hold both slots. The next slot
    freed after Bob asked is his, so at most the two Alice jobs already granted when he
    asked are submitted before him (first come, first served would put eight there):
    his job starts within one task time."""
    alice = await kernel(store_url, emulator, "alice", 10).start()
    await alice.until(lambda k: len(k.of("submitted")) == 2, 60, "alice's first two submits")
    bob = await kernel(store_url, emulator, "bob", 1).start()
    await bob.finish(timeout=60)
    await alice.finish(timeout=120)
    asked = bob.of("asked")[0]["at"]
    tasks = sorted(emulator.emulator.tasks.tasks.values(), key=lambda t: t.submitted_at)
    users = [t.body["input"]["prompt"].partition(":")[0] for t in tasks]
    bobs = users.index("bob")
    overtaking = [t for t in tasks[:bobs] if t.submitted_at > asked]
    assert len(overtaking) <= 2, f"{len(overtaking)} of alice's jobs went before bob's"
    assert users.count("alice") == 10
    check_no_429(alice, bob)
    check_the_account_limits(emulator, 11)


async def test_a_daily_budget_holds_across_kernels(store_url):
    """Three processes spend from one user's budget at once: exactly what fits is granted."""
    spenders = [
        await Kernel(
            "spend",
            "--url",
            store_url,
            "--key",
            KEY,
            "--user",
            "alice",
            "--times",
            "10",
            "--usd",
            "0.5",
            "--limit",
            "3.5",
        ).start()  # fmt: skip
        for _ in range(3)
    ]
    for spender in spenders:
        await spender.finish(timeout=60)
    assert sum(s.of("spent")[0]["granted"] for s in spenders) == 7
    store = quota_store_from_environment(model=MODEL, api_key=KEY, url=store_url)
    try:
        assert await store.spent_today("alice") == pytest.approx(3.5)
    finally:
        await store.aclose()

"""The quota contract, run against every store: in-process, SQLite and a real Redis.

Slots, fair share by user, lease expiry, cancellation, adopt, renew after expiry, submit
permits, budgets and status. Each store runs on a manual clock, so expiries and the
submit window are tested without waiting; "another kernel" is a second store object on
the same file or Redis scope.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.quota_servers import RedisServer, make_store
from wanvace_widgets.clock import ManualClock
from wanvace_widgets.quota import Holder
from wanvace_widgets.quota.fairness import Waiting, serving_order

STORES = ["local", "sqlite", "redis"]
SHARED = ["sqlite", "redis"]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture
async def stores(tmp_path, redis_url):
    """``stores(kind, **limits)``: a new store; those of one test share their state."""
    made = []
    scope = f"test/{tmp_path.name}"

    def make(kind, **limits):
        limits.setdefault("clock", clock)
        store = make_store(kind, where=tmp_path, redis_url=redis_url, scope=scope, **limits)
        made.append(store)
        return store

    clock = ManualClock()
    make.clock = clock
    yield make
    for store in made:
        await store.aclose()


async def until(condition, timeout=5.0):
    """Let the loop run until ``condition()`` holds; fail after ``timeout`` seconds."""

    async def poll():
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), timeout)


async def asked(quota, count, timeout=5.0):
    """Until the store holds ``count`` requests, running or waiting: each store takes a
    request in steps of its own (a thread, a socket), so a test waits for them, bounded."""

    async def poll():
        while True:
            status = await quota.status()
            if len(status.running) + status.waiting == count:
                return
            await asyncio.sleep(0.001)

    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"the store did not hold {count} requests in {timeout} s") from None


async def settle(clock, seconds=0.3):
    """Let waiting jobs of other store objects poll once: move the manual clock past one
    polling interval, then give their steps (threads, sockets) time to run."""
    clock.advance(seconds)
    await asyncio.sleep(0.05)


def test_serving_order_takes_turns_by_user():
    waiting = [Waiting(f"a{i}", "alice", float(i)) for i in range(5)] + [
        Waiting("b0", "bob", 3.5),
        Waiting("c0", "carol", 4.5),
    ]
    order = [w.job_id for w in serving_order(waiting, {})]
    assert order == ["a0", "b0", "c0", "a1", "a2", "a3", "a4"]
    # alice was just served: bob and carol go first in the next round
    order = [w.job_id for w in serving_order(waiting, {"alice": 10.0, "bob": 5.0})]
    assert order[:3] == ["c0", "b0", "a0"]


@pytest.mark.parametrize("kind", STORES)
async def test_two_slots_then_wait_until_release(stores, kind):
    quota = stores(kind)
    first = await quota.acquire(Holder("j1", "u"))
    await quota.acquire(Holder("j2", "u"))
    third = asyncio.ensure_future(quota.acquire(Holder("j3", "u")))
    await asked(quota, 3)
    assert not third.done()
    assert (await quota.status(Holder("j3", "u"))).ahead == 0
    await quota.release(first.holder)
    lease = await asyncio.wait_for(third, 5)
    assert lease.holder.job_id == "j3"
    assert (await quota.status()).running == ("u", "u")


@pytest.mark.parametrize("kind", STORES)
async def test_a_single_job_of_another_user_goes_before_a_batch(stores, kind):
    quota = stores(kind)
    batch = [Holder(f"a{i}", "alice") for i in range(10)]
    granted = []

    async def run(holder):
        await quota.acquire(holder)
        granted.append(holder.job_id)

    jobs = []
    for count, holder in enumerate(batch, 1):  # one at a time, so that each is asked in order
        jobs.append(asyncio.ensure_future(run(holder)))
        await asked(quota, count)
    await until(lambda: len(granted) == 2)
    single = asyncio.ensure_future(run(Holder("b0", "bob")))
    await asked(quota, 11)
    assert (await quota.status(Holder("b0", "bob"))).ahead == 0
    assert sorted(granted) == ["a0", "a1"]
    await quota.release(batch[0])
    await until(lambda: len(granted) == 3)
    assert granted[-1] == "b0"
    await quota.release(batch[1])
    await until(lambda: len(granted) == 4)
    assert granted[-1] == "a2"
    for job in [*jobs, single]:
        job.cancel()
    await asyncio.gather(*jobs, single, return_exceptions=True)


@pytest.mark.parametrize("kind", STORES)
async def test_a_lease_not_renewed_expires_and_frees_its_slot(stores, kind):
    quota = stores(kind, max_concurrent=1, lease_ttl_s=30)
    clock = stores.clock
    lease = await quota.acquire(Holder("dead", "u"))
    waiter = asyncio.ensure_future(quota.acquire(Holder("next", "u")))
    await asked(quota, 2)
    clock.advance(20)
    await quota.renew(lease)
    for _ in range(3):  # 20 s more, in steps the waiter polls at: valid until 50 s
        await settle(clock, 20 / 3)
    assert not waiter.done()
    assert (await quota.status()).running == ("u",)
    clock.advance(15)
    assert (await asyncio.wait_for(waiter, 5)).holder.job_id == "next"


@pytest.mark.parametrize("kind", STORES)
async def test_a_cancelled_wait_holds_nothing(stores, kind):
    quota = stores(kind, max_concurrent=1)
    await quota.acquire(Holder("j1", "u"))
    waiter = asyncio.ensure_future(quota.acquire(Holder("j2", "u")))
    await asked(quota, 2)
    assert (await quota.status()).waiting == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (await quota.status()).waiting == 0
    await quota.release(Holder("j1", "u"))
    status = await quota.status()
    assert status.running == () and status.waiting == 0


@pytest.mark.parametrize("kind", STORES)
async def test_adopt_takes_a_slot_beyond_the_limit(stores, kind):
    quota = stores(kind, max_concurrent=1)
    await quota.acquire(Holder("j1", "u"))
    await quota.adopt(Holder("resumed", "v"))
    assert (await quota.status()).running == ("u", "v")
    waiter = asyncio.ensure_future(quota.acquire(Holder("j2", "w")))
    await asked(quota, 3)
    await quota.release(Holder("j1", "u"))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # the adopted job still fills the only slot
    await quota.release(Holder("resumed", "v"))
    assert (await asyncio.wait_for(waiter, 5)).holder.user == "w"


@pytest.mark.parametrize("kind", STORES)
async def test_renew_after_expiry_takes_the_slot_again(stores, kind):
    quota = stores(kind, max_concurrent=1, lease_ttl_s=10)
    clock = stores.clock
    lease = await quota.acquire(Holder("slow", "u"))
    clock.advance(11)  # the kernel stalled past its lease; meanwhile someone else got it
    other = await asyncio.wait_for(quota.acquire(Holder("other", "v")), 5)
    renewed = await quota.renew(lease)
    assert renewed.expires_at == pytest.approx(clock.now() + 10, abs=0.01)
    assert (await quota.status()).running == ("u", "v")  # its task still runs: 2 slots
    await quota.release(other.holder)
    waiter = asyncio.ensure_future(quota.acquire(Holder("third", "w")))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await quota.release(renewed.holder)
    await asyncio.wait_for(waiter, 5)


@pytest.mark.parametrize("kind", STORES)
async def test_acquire_again_renews_the_lease_it_holds(stores, kind):
    quota = stores(kind, max_concurrent=1, lease_ttl_s=10)
    first = await quota.acquire(Holder("j", "u"))
    stores.clock.advance(5)
    again = await asyncio.wait_for(quota.acquire(Holder("j", "u")), 5)
    assert again.expires_at == pytest.approx(first.expires_at + 5, abs=0.01)
    assert (await quota.status()).running == ("u",)


@pytest.mark.parametrize("kind", STORES)
async def test_release_is_idempotent_and_withdraws_a_request(stores, kind):
    quota = stores(kind, max_concurrent=1)
    await quota.release(Holder("never", "u"))
    await quota.acquire(Holder("j1", "u"))
    await quota.release(Holder("j1", "u"))
    await quota.release(Holder("j1", "u"))
    assert (await quota.status()).running == ()


async def still_waiting(awaitable):
    """Start ``awaitable`` and check that it waits (the clock has not moved)."""
    waiter = asyncio.ensure_future(awaitable)
    await asyncio.sleep(0.05)
    assert not waiter.done()
    return waiter


@pytest.mark.parametrize("kind", STORES)
async def test_submit_permits_keep_two_per_second(stores, kind):
    quota, clock = stores(kind), stores.clock
    await quota.submit_permit()
    await quota.submit_permit()
    third = await still_waiting(quota.submit_permit())
    clock.advance(0.5)
    await asyncio.sleep(0.05)
    assert not third.done()
    clock.advance(0.9)
    await asyncio.wait_for(third, 5)
    await asyncio.wait_for(quota.submit_permit(), 5)  # only the third is within the window
    fifth = await still_waiting(quota.submit_permit())
    clock.advance(1.5)
    await asyncio.wait_for(fifth, 5)


@pytest.mark.parametrize("kind", SHARED)
async def test_a_submit_counts_from_its_answer(stores, kind):
    """The server counts a submit when it arrives, which can be long after its permit (a
    kernel's first request): once answered, it counts from then, even if its permit had
    already left the window."""
    quota, clock = stores(kind), stores.clock
    first, second = await quota.submit_permit(), await quota.submit_permit()
    clock.advance(1.0)
    for permit in (first, second):  # answered only now: they count until 1.0 + 1.25
        await quota.submit_sent(permit)
    clock.advance(0.5)
    third = await still_waiting(quota.submit_permit())
    clock.advance(0.8)
    late = await asyncio.wait_for(third, 5)
    clock.advance(3.0)
    await quota.submit_permit()
    await quota.submit_sent(late)  # its permit left the window long ago; it is counted again
    fifth = await still_waiting(quota.submit_permit())
    clock.advance(1.3)
    await asyncio.wait_for(fifth, 5)


@pytest.mark.parametrize("kind", STORES)
async def test_daily_budget_is_atomic_per_user(stores, kind):
    quota = stores(kind)
    assert await quota.try_spend("alice", 0.5, 1.0)
    assert await quota.try_spend("alice", 0.5, 1.0)
    assert not await quota.try_spend("alice", 0.5, 1.0)
    assert await quota.try_spend("bob", 0.5, 1.0)
    assert await quota.try_spend("carol", 7.0, None)
    assert await quota.spent_today() == pytest.approx(8.5)
    assert await quota.spent_today("alice") == pytest.approx(1.0)
    stores.clock.advance(24 * 3600)  # a new day, a new budget
    assert await quota.spent_today() == 0
    assert await quota.try_spend("alice", 0.5, 1.0)


@pytest.mark.parametrize("kind", SHARED)
async def test_a_refund_gives_budget_back_but_never_below_zero(stores, kind):
    """The scheduler records a job's price before its submit and gives back what was not
    billed, as a negative amount."""
    quota = stores(kind)
    assert await quota.try_spend("alice", 0.7, 1.0)
    assert not await quota.try_spend("alice", 0.7, 1.0)
    assert await quota.try_spend("alice", -0.7, None)  # the submit failed: refunded
    assert await quota.try_spend("alice", 0.7, 1.0)
    stores.clock.advance(24 * 3600)  # refunded the next day: nothing to give back today
    assert await quota.try_spend("alice", -0.7, None)
    assert await quota.spent_today("alice") == 0
    assert await quota.try_spend("alice", 1.0, 1.0)


@pytest.mark.parametrize("kind", STORES)
async def test_concurrent_spends_never_pass_the_budget(stores, kind):
    kernels = [stores(kind) for _ in range(1 if kind == "local" else 4)]
    tries = [k.try_spend("alice", 0.5, 3.0) for _ in range(12 // len(kernels)) for k in kernels]
    granted = await asyncio.gather(*tries)
    assert sum(granted) == 6
    assert await kernels[0].spent_today("alice") == pytest.approx(3.0)


@pytest.mark.parametrize("kind", STORES)
async def test_status_shows_the_queue_in_serving_order(stores, kind):
    quota = stores(kind)
    for job in ("a1", "a2"):
        await quota.acquire(Holder(job, "alice"))
    waiters = []
    for job, user in [("a3", "alice"), ("a4", "alice"), ("b1", "bob")]:
        waiters.append(asyncio.ensure_future(quota.acquire(Holder(job, user))))
        await asyncio.sleep(0.02)
    await quota.try_spend("alice", 1.25, None)
    status = await quota.status(Holder("b1", "bob"))
    assert status.ahead == 0  # bob has had no turn yet
    assert status.running == ("alice", "alice")
    assert status.waiting == 3
    assert status.spent_today_usd == pytest.approx(1.25)
    assert (await quota.status(Holder("a4", "alice"))).ahead == 2
    assert (await quota.status(Holder("a1", "alice"))).ahead is None  # holds a slot
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)


@pytest.mark.parametrize("kind", SHARED)
async def test_two_kernels_share_two_slots(stores, kind):
    first, second = stores(kind), stores(kind)
    await first.acquire(Holder("k1-a", "alice"))
    await first.acquire(Holder("k1-b", "alice"))
    waiter = asyncio.ensure_future(second.acquire(Holder("k2-a", "bob")))
    await settle(stores.clock)
    assert not waiter.done()
    assert (await second.status(Holder("k2-a", "bob"))).ahead == 0
    await first.release(Holder("k1-a", "alice"))
    for _ in range(20):  # the other kernel notices at its next poll
        if waiter.done():
            break
        await settle(stores.clock)
    assert (await asyncio.wait_for(waiter, 5)).holder.job_id == "k2-a"
    assert (await first.status()).running == ("alice", "bob")


@pytest.mark.parametrize("kind", SHARED)
async def test_a_waiter_that_stops_polling_is_dropped(stores, kind):
    """A kernel that died while waiting: its request is not served after it stops polling."""
    limits = {"max_concurrent": 1, "lease_ttl_s": 10}
    alive, dead = stores(kind, **limits), stores(kind, **limits)
    await alive.acquire(Holder("a1", "alice"))
    assert await dead._take(Holder("ghost", "zed")) is None  # asked once, then died
    waiter = asyncio.ensure_future(alive.acquire(Holder("b1", "bob")))
    await settle(stores.clock)
    assert (await alive.status(Holder("ghost", "zed"))).ahead == 0  # first in line
    stores.clock.advance(11)  # a1's lease expires, and the ghost has not polled since
    granted = await asyncio.wait_for(waiter, 5)
    assert granted.holder.job_id == "b1"
    status = await alive.status()
    assert status.running == ("bob",) and status.waiting == 0


# -- submits: who holds which task -------------------------------------------------------


@pytest.mark.parametrize("kind", STORES)
async def test_submits_are_noted_then_settled_with_their_task(stores, kind):
    store = stores(kind)
    ann, bob, cid = Holder("job-a", "ann"), Holder("job-b", "bob"), Holder("job-c", "cid")
    now = stores.clock.now()
    await store.note_submit(ann, now)
    await store.note_submit(bob, now + 0.5)
    await store.note_submit(cid, now + 1)
    await store.settle_submit(ann, "task-a")
    await store.settle_submit(cid, None)  # refused: nothing created
    seen = {r.job_id: r for r in await store.recent_submits()}
    assert (seen["job-a"].task_id, seen["job-a"].settled, seen["job-a"].sent_at) == (
        "task-a",
        True,
        now,
    )
    assert (seen["job-b"].task_id, seen["job-b"].settled, seen["job-b"].user) == (
        None,
        False,
        "bob",
    )
    assert (seen["job-c"].task_id, seen["job-c"].settled) == (None, True)


@pytest.mark.parametrize("kind", SHARED)
async def test_another_kernel_sees_the_submits_and_old_ones_are_forgotten(stores, kind):
    mine, theirs = stores(kind), stores(kind)
    await theirs.note_submit(Holder("job-x", "bob"), stores.clock.now())
    await theirs.settle_submit(Holder("job-x", "bob"), "task-x")
    assert [r.task_id for r in await mine.recent_submits()] == ["task-x"]
    stores.clock.advance(25 * 3600 + 1)  # longer than the server keeps tasks, and an hour
    assert await mine.recent_submits() == []


async def test_malformed_submits_in_redis_are_dropped(stores, redis_url):
    import redis.asyncio as aioredis

    store = stores("redis")
    await store.note_submit(Holder("good", "ann"), stores.clock.now())
    raw = aioredis.Redis.from_url(redis_url)
    key = store._keys.submits
    await raw.hset(key, mapping={"bad1": b"{not json", "bad2": b'["u", "x", null, false]',
                                 "bad3": b'["u", 1, "../../etc", true]'})  # fmt: skip
    assert [r.job_id for r in await store.recent_submits()] == ["good"]
    assert set(await raw.hkeys(key)) == {b"good"}
    await raw.aclose()

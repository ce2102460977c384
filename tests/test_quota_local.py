"""The in-process quota: slots, fair share by user, lease expiry, submit permits, budgets."""

from __future__ import annotations

import asyncio

import pytest

from wanvace_widgets.clock import ManualClock
from wanvace_widgets.quota import Holder, LocalQuota
from wanvace_widgets.quota.fairness import Waiting, serving_order


async def until(condition, timeout=1.0):
    """Let the loop run until ``condition()`` holds; fail after ``timeout`` seconds."""

    async def poll():
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), timeout)


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


async def test_two_slots_then_wait_until_release():
    quota = LocalQuota(clock=ManualClock())
    first = await quota.acquire(Holder("j1", "u"))
    await quota.acquire(Holder("j2", "u"))
    third = asyncio.ensure_future(quota.acquire(Holder("j3", "u")))
    await asyncio.sleep(0)
    assert not third.done()
    assert (await quota.status(Holder("j3", "u"))).ahead == 0
    await quota.release(first.holder)
    lease = await asyncio.wait_for(third, 1)
    assert lease.holder.job_id == "j3"
    assert (await quota.status()).running == ("u", "u")


async def test_a_single_job_of_another_user_goes_before_a_batch():
    quota = LocalQuota(clock=ManualClock())
    batch = [Holder(f"a{i}", "alice") for i in range(10)]
    granted = []

    async def run(holder):
        await quota.acquire(holder)
        granted.append(holder.job_id)

    jobs = [asyncio.ensure_future(run(h)) for h in batch]
    await until(lambda: len(granted) == 2)
    single = asyncio.ensure_future(run(Holder("b0", "bob")))
    await asyncio.sleep(0.01)
    assert granted == ["a0", "a1"]
    await quota.release(batch[0])
    await until(lambda: len(granted) == 3)
    assert granted[-1] == "b0"
    await quota.release(batch[1])
    await until(lambda: len(granted) == 4)
    assert granted[-1] == "a2"
    for job in [*jobs, single]:
        job.cancel()


async def test_a_lease_not_renewed_expires_and_frees_its_slot():
    clock = ManualClock()
    quota = LocalQuota(clock=clock, max_concurrent=1, lease_ttl_s=30)
    lease = await quota.acquire(Holder("dead", "u"))
    waiter = asyncio.ensure_future(quota.acquire(Holder("next", "u")))
    await asyncio.sleep(0)
    clock.advance(20)
    await quota.renew(lease)
    clock.advance(20)
    await asyncio.sleep(0)
    assert not waiter.done()  # renewed at 20 s: valid until 50 s
    clock.advance(15)
    assert (await asyncio.wait_for(waiter, 1)).holder.job_id == "next"


async def test_a_cancelled_wait_holds_nothing():
    quota = LocalQuota(clock=ManualClock(), max_concurrent=1)
    await quota.acquire(Holder("j1", "u"))
    waiter = asyncio.ensure_future(quota.acquire(Holder("j2", "u")))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (await quota.status()).waiting == 0
    await quota.release(Holder("j1", "u"))
    assert (await quota.status()).running == ()


async def test_adopt_takes_a_slot_beyond_the_limit():
    quota = LocalQuota(clock=ManualClock(), max_concurrent=1)
    await quota.acquire(Holder("j1", "u"))
    await quota.adopt(Holder("resumed", "u"))
    assert len((await quota.status()).running) == 2


async def test_submit_permits_keep_two_per_second():
    clock = ManualClock()
    quota = LocalQuota(clock=clock)
    await quota.submit_permit()
    await quota.submit_permit()
    third = asyncio.ensure_future(quota.submit_permit())
    await asyncio.sleep(0)
    assert not third.done()
    clock.advance(0.5)
    await asyncio.sleep(0)
    assert not third.done()
    clock.advance(0.6)
    await asyncio.wait_for(third, 1)


async def test_daily_budget_is_atomic_per_user():
    quota = LocalQuota(clock=ManualClock())
    assert await quota.try_spend("alice", 0.5, 1.0)
    assert await quota.try_spend("alice", 0.5, 1.0)
    assert not await quota.try_spend("alice", 0.5, 1.0)
    assert await quota.try_spend("bob", 0.5, 1.0)
    assert await quota.spent_today() == pytest.approx(1.5)
    assert await quota.spent_today("alice") == pytest.approx(1.0)

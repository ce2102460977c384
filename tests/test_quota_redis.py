"""The Redis store's own duties, against a real redis-server: the server's clock, a
password that never shows, a server that goes away mid-wait, garbage under our keys, and
scopes that keep accounts apart."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import redis

from tests.quota_servers import RedisServer
from wanvace_widgets.clock import ManualClock
from wanvace_widgets.quota import Holder, QuotaStoreError
from wanvace_widgets.quota.redis import RedisQuota

SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
async def stores(server, tmp_path):
    """``stores(**options)``: stores on the module's server, one scope per test."""
    made = []

    def make(url=None, **options):
        options.setdefault("scope", f"test/{tmp_path.name}")
        store = RedisQuota.from_url(url or server.url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.aclose()


@pytest.fixture
def raw(server):
    client = redis.Redis(port=server.port)
    yield client
    client.close()


def keys_of(store):
    return store._keys


def every_text(error: BaseException) -> str:
    """Everything an error shows or chains to: message, repr, args, causes, contexts."""
    seen, parts = set(), []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        parts += [str(error), repr(error), repr(error.args)]
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


async def test_times_come_from_the_server_clock(stores):
    quota = stores(max_concurrent=1, lease_ttl_s=0.5)
    lease = await quota.acquire(Holder("j1", "u"))
    assert abs(lease.expires_at - (time.time() + 0.5)) < 0.4  # in this process's clock
    waiter = asyncio.ensure_future(quota.acquire(Holder("j2", "v")))
    # j1 is not renewed: its lease runs out on the server's clock and j2 gets the slot
    assert (await asyncio.wait_for(waiter, 10)).holder.job_id == "j2"
    await quota.submit_permit()
    await quota.submit_permit()
    await asyncio.wait_for(quota.submit_permit(), 10)  # after the window, on its clock


async def test_the_password_never_shows(tmp_path, caplog):
    locked = RedisServer(tmp_path, password=SECRET).start()
    try:
        good = RedisQuota.from_url(locked.url, scope="acct/model")
        assert (await good.acquire(Holder("j", "u"))).holder.job_id == "j"
        assert SECRET not in repr(good)
        await good.aclose()

        wrong = locked.url.replace(SECRET, SECRET[::-1])
        bad = RedisQuota.from_url(wrong, scope="acct/model")
        caplog.set_level(logging.DEBUG)
        with pytest.raises(QuotaStoreError) as err:
            await asyncio.wait_for(bad.acquire(Holder("j", "u")), 30)
        await bad.aclose()
        assert "quota store (redis 127.0.0.1:" in str(err.value)
        text = every_text(err.value) + repr(bad) + caplog.text
        assert SECRET not in text and SECRET[::-1] not in text
        assert err.value.__context__ is None and err.value.__cause__ is None
    finally:
        locked.stop()


async def test_a_server_that_goes_away_mid_wait_fails_the_wait_clearly(tmp_path):
    volatile = RedisServer(tmp_path).start()
    quota = RedisQuota.from_url(volatile.url, scope="acct/model", max_concurrent=1)
    try:
        await quota.acquire(Holder("j1", "u"))
        waiter = asyncio.ensure_future(quota.acquire(Holder("j2", "u")))
        await asyncio.sleep(0.3)
        assert not waiter.done()
        volatile.stop()
        with pytest.raises(QuotaStoreError, match="check that the server runs"):
            await asyncio.wait_for(waiter, 60)
        with pytest.raises(QuotaStoreError):
            await asyncio.wait_for(quota.release(Holder("j1", "u")), 60)
        volatile.start()  # the same port: the store reconnects by itself
        assert (await quota.acquire(Holder("j3", "u"))).holder.job_id == "j3"
    finally:
        await quota.aclose()
        volatile.stop()


async def test_garbage_under_our_keys_is_dropped(stores, raw):
    quota = stores(clock=ManualClock())
    k = keys_of(quota)
    raw.hset(k.leases, mapping={"bad1": "not json", "bad2": '["u"]', "bad3": '[1, "soon"]'})
    raw.hset(k.waiting, mapping={"bad4": "\xff", "bad5": '["u", 1.0]'})  # bad5 never polled
    raw.hset(k.served, mapping={"u": "yesterday"})
    assert (await quota.acquire(Holder("j1", "u"))).holder.job_id == "j1"
    assert (await quota.acquire(Holder("j2", "u"))).holder.job_id == "j2"
    status = await quota.status()
    assert status.running == ("u", "u") and status.waiting == 0
    assert sorted(raw.hkeys(k.leases)) == [b"j1", b"j2"]
    assert raw.hkeys(k.waiting) == []


async def test_a_key_of_the_wrong_type_is_a_clear_error(stores, raw):
    quota = stores()
    raw.set(keys_of(quota).leases, "someone else's")
    with pytest.raises(QuotaStoreError, match="WRONGTYPE.*another program uses these keys"):
        await asyncio.wait_for(quota.acquire(Holder("j", "u")), 30)


async def test_unreadable_spending_fails_closed(stores, raw):
    quota = stores()
    await quota.try_spend("u", 1.0, 5.0)
    [key] = raw.keys(keys_of(quota).spend_prefix + "*")
    assert 0 < raw.ttl(key) <= 3 * 24 * 3600  # old days go away by themselves
    raw.hset(key, "u", "lots")
    with pytest.raises(QuotaStoreError, match="unreadable"):
        await quota.try_spend("u", 1.0, 5.0)
    with pytest.raises(QuotaStoreError, match="unreadable"):
        await quota.spent_today()


async def test_scopes_keep_accounts_apart_on_one_server(stores):
    first = stores(scope="acct-a/wan2.1-vace-plus")
    second = stores(scope="acct-b/wan2.1-vace-plus")
    for job in ("a1", "a2"):
        await first.acquire(Holder(job, "u"))
    for job in ("b1", "b2"):  # a full account next door does not make this one wait
        await asyncio.wait_for(second.acquire(Holder(job, "u")), 10)
    await first.try_spend("u", 2.0, None)
    assert await second.spent_today() == 0


async def test_many_kernels_at_once_never_exceed_the_slots(stores):
    """Five kernels × four jobs, each job holding its slot briefly: WATCH/MULTI keeps the
    number of live leases at two through every race of the dispatch."""
    kernels = [stores(lease_ttl_s=30) for _ in range(5)]
    holding, peak = set(), 0

    async def job(store, holder):
        nonlocal peak
        await store.acquire(holder)
        holding.add(holder.job_id)
        peak = max(peak, len(holding))
        await asyncio.sleep(0.02)
        holding.discard(holder.job_id)
        await store.release(holder)

    jobs = [
        job(s, Holder(f"k{i}-{j}", f"user{i}")) for i, s in enumerate(kernels) for j in range(4)
    ]
    await asyncio.wait_for(asyncio.gather(*jobs), 120)
    assert peak == 2
    status = await kernels[0].status()
    assert status.running == () and status.waiting == 0

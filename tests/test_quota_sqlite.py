"""The embedded store's own duties: owner-only files, a damaged or unusable file as a clear
error (never at construction, never a hang), garbage rows, and a free event loop while
another kernel holds the database lock."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading

import pytest

from wanvace_widgets.clock import ManualClock
from wanvace_widgets.quota import Holder, QuotaStoreError, SqliteQuota
from wanvace_widgets.quota import sqlite as sqlite_store


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
async def quota(tmp_path):
    store = SqliteQuota(tmp_path / "home" / "quota.sqlite3", scope="acct/model")
    yield store
    await store.aclose()


async def test_the_file_and_its_folder_are_owner_only(quota):
    await quota.acquire(Holder("j", "u"))  # WAL mode: the -wal and -shm files exist now
    assert mode(quota.path.parent) == 0o700
    for suffix in ("", "-wal", "-shm"):
        path = quota.path.with_name(quota.path.name + suffix)
        assert path.exists() and mode(path) == 0o600, suffix


async def test_an_existing_file_open_to_others_is_tightened(tmp_path):
    path = tmp_path / "quota.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    store = SqliteQuota(path)
    await store.status()
    await store.aclose()
    assert mode(path) == 0o600


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"\x00garbage" * 1000), id="not-a-database"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:1500]), id="truncated"),
        pytest.param(
            lambda p: p.write_bytes(p.read_bytes()[:4096] + os.urandom(8192)), id="garbage-pages"
        ),
    ],
)
async def test_a_damaged_file_is_a_clear_error_until_it_is_removed(tmp_path, damage):
    path = tmp_path / "quota.sqlite3"
    first = SqliteQuota(path)
    await first.try_spend("u", 1.0, None)
    await first.aclose()
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    damage(path)

    store = SqliteQuota(path)  # building it never reads the file
    with pytest.raises(QuotaStoreError, match="damaged or not a wanvace quota database") as err:
        await asyncio.wait_for(store.acquire(Holder("j", "u")), 30)
    assert str(path) in str(err.value) and "delete it" in str(err.value)
    path.unlink()  # what the message says to do: the next call starts afresh
    assert (await store.acquire(Holder("j", "u"))).holder.job_id == "j"
    await store.aclose()


async def test_a_file_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "quota.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version={sqlite_store.SCHEMA_VERSION + 1}")
    store = SqliteQuota(path)
    with pytest.raises(QuotaStoreError, match="newer release"):
        await store.status()
    await store.aclose()


async def test_a_foreign_database_with_the_same_table_names_is_refused(tmp_path):
    path = tmp_path / "quota.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE leases (id INTEGER PRIMARY KEY, note TEXT)")
    store = SqliteQuota(path)
    with pytest.raises(QuotaStoreError, match="not a wanvace quota database"):
        await store.acquire(Holder("j", "u"))
    await store.aclose()


@pytest.mark.parametrize("where", ["is-a-folder", "under-a-file"])
async def test_a_path_that_cannot_be_a_database_is_a_clear_error(tmp_path, where):
    if where == "is-a-folder":
        path = tmp_path / "quota.sqlite3"
        path.mkdir()
    else:
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "quota.sqlite3"
    store = SqliteQuota(path)
    with pytest.raises(QuotaStoreError, match="cannot be") as err:
        await store.acquire(Holder("j", "u"))
    assert str(path) in str(err.value)
    await store.aclose()


async def test_garbage_rows_are_dropped_and_slots_still_work(quota):
    await quota.status()  # creates the file
    with sqlite3.connect(quota.path) as conn:
        rows = [("acct/model", "bad1", "u", "soon"), ("acct/model", "bad2", "", 1e300)]
        conn.executemany("INSERT INTO leases VALUES (?, ?, ?, ?)", rows)
        conn.execute("INSERT INTO waiting VALUES ('acct/model', 'bad3', 'u', x'00ff', 1.0)")
        conn.execute("INSERT INTO served VALUES ('acct/model', 'u', 'yesterday')")
    assert (await quota.acquire(Holder("j1", "u"))).holder.job_id == "j1"
    assert (await quota.acquire(Holder("j2", "u"))).holder.job_id == "j2"
    status = await quota.status()
    assert status.running == ("u", "u") and status.waiting == 0
    with sqlite3.connect(quota.path) as conn:
        left = conn.execute("SELECT job_id FROM leases UNION SELECT job_id FROM waiting")
        assert sorted(j for (j,) in left) == ["j1", "j2"]


async def test_unreadable_spending_fails_closed(quota):
    await quota.try_spend("u", 1.0, 5.0)
    with sqlite3.connect(quota.path) as conn:
        conn.execute("UPDATE spend SET usd='lots' WHERE user='u'")
    with pytest.raises(QuotaStoreError, match="spending .* is unreadable"):
        await quota.try_spend("u", 1.0, 5.0)
    with pytest.raises(QuotaStoreError, match="unreadable"):
        await quota.spent_today()


async def test_the_loop_runs_while_another_kernel_holds_the_lock(quota):
    """Another process's write transaction: our steps wait on the store's thread, not on
    the event loop, which goes on serving the kernel (widgets, other jobs)."""
    await quota.status()
    locked, unlock = threading.Event(), threading.Event()

    def other_kernel():
        conn = sqlite3.connect(quota.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        unlock.wait(30)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=other_kernel)
    holder.start()
    assert await asyncio.to_thread(locked.wait, 10), "the other connection never got its lock"
    waiting = asyncio.ensure_future(quota.acquire(Holder("j", "u")))
    for _ in range(5):  # the loop keeps turning while the store waits for the lock
        await asyncio.sleep(0.02)
    assert not waiting.done()
    unlock.set()
    assert (await asyncio.wait_for(waiting, 30)).holder.job_id == "j"
    holder.join(10)


async def test_a_lock_never_released_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "quota.sqlite3"
    store = SqliteQuota(path, clock=ManualClock())
    await store.status()
    await store.aclose()
    store = SqliteQuota(path, clock=ManualClock())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(QuotaStoreError, match="locked by another process"):
            await asyncio.wait_for(store.acquire(Holder("j", "u")), 30)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert (await store.acquire(Holder("j", "u"))).holder.job_id == "j"
    await store.aclose()


async def test_a_new_file_opened_while_another_kernel_writes_to_it(tmp_path):
    """Kernels starting together on a new file: one still writes in SQLite's first mode
    while another switches the file to WAL, which SQLite refuses at once ("locked"), not
    after its busy wait. The store tries again until the writer is done."""
    path = tmp_path / "quota.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a new file, in the rollback-journal mode
    store = SqliteQuota(path)
    first = asyncio.ensure_future(store.acquire(Holder("j", "u")))
    for _ in range(5):
        await asyncio.sleep(0.02)
    assert not first.done()
    other.execute("ROLLBACK")
    other.close()
    assert (await asyncio.wait_for(first, 30)).holder.job_id == "j"
    await store.aclose()


def test_repr_names_the_file_and_scope(tmp_path):
    store = SqliteQuota(tmp_path / "q.sqlite3", scope="acct/model")
    assert repr(store) == f"SqliteQuota({str(tmp_path / 'q.sqlite3')!r}, scope='acct/model')"

"""The quota shared by every kernel of one user on one machine, in a SQLite file.

No server: the file (``quota.sqlite3`` in ``WANVACE_HOME``) is the shared state and
SQLite's locks serialise the kernels. Each step is one short ``BEGIN IMMEDIATE``
transaction in WAL mode, run on a thread of its own: a step waiting for another kernel's
lock (or a slow disk) never blocks the event loop, and the loop is free for the widgets.
Measured with three processes contending on a busy 2-core machine: a step takes about
0.3 ms through the thread against 0.07 ms on the loop, but on the loop the lock waits
froze it for up to 0.15-0.4 s, where through the thread its lag stayed under 15 ms.

The file holds only live leases, waiting requests, the last second of submits and the
days' spending; it is owner-only (0600, in a folder created 0700). A file that is damaged,
not a database, made by a newer version, or that cannot be opened raises
:class:`~.base.QuotaStoreError` on first use (never when a client or widget is built),
naming the file and what to do; it is never deleted or replaced behind the user's back,
since that would split the kernels between two files. Once the file is fixed or
removed, the next call opens it afresh.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..clock import Clock
from .base import SUBMITS_KEPT_S, Holder, Lease, QuotaLimits, QuotaStoreError, SubmitRecord
from .local import today
from .shared import (
    SUBMIT_WINDOW_S,
    Request,
    SharedQuota,
    Slot,
    View,
    live_view,
    parse_number,
    parse_request,
    parse_slot,
    parse_submit,
    parse_usd,
    plan_dispatch,
    sort_out,
    spent_after,
)

__all__ = ["SCHEMA_VERSION", "SqliteQuota"]

T = TypeVar("T")

SCHEMA_VERSION = 1
#: how long one step waits for another kernel's write lock (on the store's own thread)
BUSY_TIMEOUT_S = 10.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS leases (scope TEXT NOT NULL, job_id TEXT NOT NULL,"
    " user TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (scope, job_id))",
    "CREATE TABLE IF NOT EXISTS waiting (scope TEXT NOT NULL, job_id TEXT NOT NULL,"
    " user TEXT NOT NULL, asked_at REAL NOT NULL, seen_at REAL NOT NULL,"
    " PRIMARY KEY (scope, job_id))",
    "CREATE TABLE IF NOT EXISTS served (scope TEXT NOT NULL, user TEXT NOT NULL,"
    " at REAL NOT NULL, PRIMARY KEY (scope, user))",
    "CREATE TABLE IF NOT EXISTS permits (scope TEXT NOT NULL, token TEXT NOT NULL,"
    " at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS permits_by_time ON permits (scope, at)",
    "CREATE TABLE IF NOT EXISTS spend (scope TEXT NOT NULL, day TEXT NOT NULL,"
    " user TEXT NOT NULL, usd REAL NOT NULL, PRIMARY KEY (scope, day, user))",
    "CREATE TABLE IF NOT EXISTS submits (scope TEXT NOT NULL, job_id TEXT NOT NULL,"
    " user TEXT NOT NULL, sent_at REAL NOT NULL, task_id TEXT, settled INTEGER NOT NULL,"
    " PRIMARY KEY (scope, job_id))",
)

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.11


class SqliteQuota(SharedQuota):
    """Slots, permits and spending in one SQLite file, shared by every process using it.

    ``scope`` separates accounts and models kept in the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        scope: str = "default",
        clock: Clock | None = None,
        **limits: Unpack[QuotaLimits],
    ):
        super().__init__(clock=clock, **limits)
        self.path = Path(path)
        self.scope = scope
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wanvace-quota")

    def __repr__(self) -> str:
        return f"SqliteQuota({str(self.path)!r}, scope={self.scope!r})"

    # -- running steps on the store's thread ------------------------------------------------

    async def _run(self, step: Callable[[sqlite3.Connection], T], *, write: bool = True) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transaction, step, write)

    def _transaction(self, step: Callable[[sqlite3.Connection], T], write: bool) -> T:
        try:
            conn = self._conn or self._connect()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = step(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        except sqlite3.Error as exc:
            self._close()
            raise QuotaStoreError(self._explain(exc)) from exc
        except OSError as exc:
            self._close()
            raise QuotaStoreError(
                f"the quota database {self.path} cannot be opened: {exc.strerror or exc}. "
                "Check WANVACE_HOME, or set WANVACE_QUOTA_URL=sqlite:///a/writable/file."
            ) from exc

    def _explain(self, exc: sqlite3.Error) -> str:
        where = f"the quota database {self.path}"
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            return (
                f"{where} is locked by another process (waited {BUSY_TIMEOUT_S:g} s); "
                "try again, or restart the kernel that holds it."
            )
        if isinstance(exc, sqlite3.OperationalError) and "no such" not in reason:
            return f"{where} cannot be used: {reason}. Check its permissions and free disk space."
        return (
            f"{where} is damaged or not a wanvace quota database ({reason}). It holds only "
            "live slots and today's spending: delete it and its -wal/-shm files, and "
            "every kernel recreates it."
        )

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        mode = self.path.stat().st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            os.chmod(self.path, 0o600)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _use_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version}, from a newer release")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=False)

    # -- reading rows ----------------------------------------------------------------------

    def _slots(self, conn: sqlite3.Connection) -> tuple[list[Slot], list[str]]:
        rows = conn.execute(
            "SELECT job_id, user, expires_at FROM leases WHERE scope=?", (self.scope,)
        ).fetchall()
        return sort_out({row[0]: row for row in rows}, parse_slot)

    def _requests(self, conn: sqlite3.Connection) -> tuple[list[Request], list[str]]:
        rows = conn.execute(
            "SELECT job_id, user, asked_at, seen_at FROM waiting WHERE scope=?", (self.scope,)
        ).fetchall()
        return sort_out({row[0]: row for row in rows}, parse_request)

    def _served(self, conn: sqlite3.Connection) -> dict[str, float]:
        rows = conn.execute("SELECT user, at FROM served WHERE scope=?", (self.scope,))
        last = {user: parse_number(at) for user, at in rows}
        return {user: at for user, at in last.items() if at is not None}

    def _delete(self, conn: sqlite3.Connection, table: str, job_ids: list[str]) -> None:
        conn.executemany(
            f"DELETE FROM {table} WHERE scope=? AND job_id=?", [(self.scope, j) for j in job_ids]
        )

    # -- the atomic steps ----------------------------------------------------------------

    async def _take(self, holder: Holder) -> Lease | None:
        now = self.clock.now()

        def step(conn: sqlite3.Connection) -> Lease | None:
            if self._holds(conn, holder.job_id, now):
                return self._write_lease(conn, holder, now)
            conn.execute(
                "INSERT INTO waiting VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, job_id) "
                "DO UPDATE SET seen_at=excluded.seen_at",
                (self.scope, holder.job_id, holder.user, now, now),
            )
            self._dispatch(conn, now)
            row = conn.execute(
                "SELECT expires_at FROM leases WHERE scope=? AND job_id=?",
                (self.scope, holder.job_id),
            ).fetchone()
            return Lease(holder, row[0]) if row else None

        return await self._run(step)

    def _holds(self, conn: sqlite3.Connection, job_id: str, now: float) -> bool:
        row = conn.execute(
            "SELECT job_id, user, expires_at FROM leases WHERE scope=? AND job_id=?",
            (self.scope, job_id),
        ).fetchone()
        slot = parse_slot(*row) if row else None
        return slot is not None and slot.expires_at > now

    def _write_lease(self, conn: sqlite3.Connection, holder: Holder, now: float) -> Lease:
        expires_at = now + self.lease_ttl_s
        conn.execute(
            "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?)",
            (self.scope, holder.job_id, holder.user, expires_at),
        )
        self._delete(conn, "waiting", [holder.job_id])
        return Lease(holder, expires_at)

    def _dispatch(self, conn: sqlite3.Connection, now: float) -> None:
        slots, bad_slots = self._slots(conn)
        requests, bad_requests = self._requests(conn)
        plan = plan_dispatch(
            now,
            slots,
            requests,
            self._served(conn),
            max_concurrent=self.max_concurrent,
            abandon_after_s=self.abandon_after_s,
        )
        self._delete(conn, "leases", [*plan.expired, *bad_slots])
        self._delete(conn, "waiting", [*plan.abandoned, *bad_requests])
        for granted in plan.grants:
            self._write_lease(conn, Holder(granted.job_id, granted.user), now)
            conn.execute(
                "INSERT OR REPLACE INTO served VALUES (?, ?, ?)", (self.scope, granted.user, now)
            )

    async def _put_lease(self, holder: Holder) -> Lease:
        now = self.clock.now()
        return await self._run(lambda conn: self._write_lease(conn, holder, now))

    async def _drop(self, holder: Holder) -> None:
        def step(conn: sqlite3.Connection) -> None:
            self._delete(conn, "leases", [holder.job_id])
            self._delete(conn, "waiting", [holder.job_id])

        await self._run(step)

    async def _try_permit(self, token: str) -> float:
        now = self.clock.now()

        def step(conn: sqlite3.Connection) -> float:
            conn.execute(
                "DELETE FROM permits WHERE scope=? AND at<=?", (self.scope, now - SUBMIT_WINDOW_S)
            )
            times = [
                at
                for (at,) in conn.execute(
                    "SELECT at FROM permits WHERE scope=? ORDER BY at", (self.scope,)
                )
            ]
            if len(times) < self.submits_per_second:
                conn.execute("INSERT INTO permits VALUES (?, ?, ?)", (self.scope, token, now))
                return 0.0
            return max(1e-3, float(times[-self.submits_per_second]) + SUBMIT_WINDOW_S - now)

        return await self._run(step)

    async def _restamp(self, token: str) -> None:
        now = self.clock.now()

        def step(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM permits WHERE scope=? AND token=?", (self.scope, token))
            conn.execute("INSERT INTO permits VALUES (?, ?, ?)", (self.scope, token, now))

        await self._run(step)

    async def _view(self) -> View:
        now = self.clock.now()

        def step(conn: sqlite3.Connection) -> View:
            return live_view(
                now,
                self._slots(conn)[0],
                self._requests(conn)[0],
                self._served(conn),
                abandon_after_s=self.abandon_after_s,
            )

        return await self._run(step, write=False)

    # -- money -------------------------------------------------------------------------

    async def try_spend(self, user: str, usd: float, daily_limit_usd: float | None) -> bool:
        day = today(self.clock.now())

        def step(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT usd FROM spend WHERE scope=? AND day=? AND user=?", (self.scope, day, user)
            ).fetchone()
            spent = parse_usd(row[0], str(self.path)) if row else 0.0
            if daily_limit_usd is not None and spent + usd > daily_limit_usd + 1e-9:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO spend VALUES (?, ?, ?, ?)",
                (self.scope, day, user, spent_after(spent, usd)),
            )
            return True

        return await self._run(step)

    async def spent_today(self, user: str | None = None) -> float:
        day = today(self.clock.now())

        def step(conn: sqlite3.Connection) -> float:
            rows = conn.execute(
                "SELECT user, usd FROM spend WHERE scope=? AND day=?", (self.scope, day)
            )
            return sum(
                (parse_usd(usd, str(self.path)) for name, usd in rows if user in (None, name)), 0.0
            )

        return await self._run(step, write=False)


    # -- submits -----------------------------------------------------------------------

    async def note_submit(self, holder: Holder, sent_at: float) -> None:
        def step(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO submits VALUES (?, ?, ?, ?, NULL, 0)",
                (self.scope, holder.job_id, holder.user, sent_at),
            )

        await self._run(step)

    async def settle_submit(self, holder: Holder, task_id: str | None) -> None:
        now = self.clock.now()

        def step(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO submits VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (scope, job_id) "
                "DO UPDATE SET task_id = excluded.task_id, settled = 1",
                (self.scope, holder.job_id, holder.user, now, task_id),
            )

        await self._run(step)

    async def recent_submits(self) -> list[SubmitRecord]:
        since = self.clock.now() - SUBMITS_KEPT_S

        def step(conn: sqlite3.Connection) -> list[SubmitRecord]:
            conn.execute("DELETE FROM submits WHERE scope=? AND sent_at<?", (self.scope, since))
            rows = conn.execute(
                "SELECT job_id, user, sent_at, task_id, settled FROM submits WHERE scope=?",
                (self.scope,),
            ).fetchall()
            good, bad = sort_out({row[0]: row for row in rows}, parse_submit)
            self._delete(conn, "submits", bad)
            return good

        return await self._run(step)


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL mode (a no-op once it is). While another connection writes
    to a file still in the old mode (kernels opening a new file together), SQLite answers
    "locked" at once, without its busy wait: try again, on this thread, for a while."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.005, 0.05))

"""The quota shared by every kernel of a team, on many machines, in one Redis server.

Needs the optional ``redis`` package (``pip install "wanvace-widgets[team]"``).

Every decision is a WATCH/MULTI transaction (redis-py's ``transaction``): the store reads
the leases and the waiting requests, decides in Python with the same
:func:`~.shared.plan_dispatch` as the embedded store (so both serve in the same order), and
writes only if nobody changed them meanwhile; otherwise it reads again. Times come from
the Redis server's clock (``TIME``), so machines whose clocks disagree still agree on
when a lease expires and which submits fall within the submit window.

Keys (``P`` = ``wanvace:quota:v1:<scope>:``, the scope naming the account and model, so
several classes share one server): ``P leases`` and ``P waiting`` (hashes of JSON
``[user, time]`` by job), ``P seen`` (a waiter's last poll), ``P served`` (when each user
was last granted a slot), ``P permits`` (a sorted set of submit times), and
``P spend:<day>`` (USD by user, expiring after three days), ``P submits`` (a hash of JSON
``[user, sent_at, task_id, settled]`` by job, dropped after a day). Malformed entries in the
first four and in ``P submits`` are dropped; unreadable spending fails closed; a key of the
wrong type raises :class:`~.base.QuotaStoreError`. No error or repr ever shows the password.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from redis import RedisError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

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

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing's own from Python 3.11

__all__ = ["RedisQuota"]

#: what redis-py's typing says a reply holds (bytes here: no decode_responses)
Raw = bytes | str
T = TypeVar("T")

#: connection settings unless the URL sets them: a server that goes away makes a step
#: fail in seconds (as QuotaStoreError), not hang the job
CONNECTION_DEFAULTS: dict[str, Any] = {
    "socket_connect_timeout": 5.0,
    "socket_timeout": 5.0,
    "health_check_interval": 30,
}
SPEND_KEPT_S = 3 * 24 * 3600


@dataclass(frozen=True)
class _Keys:
    leases: str
    waiting: str
    seen: str
    served: str
    permits: str
    spend_prefix: str
    submits: str

    @classmethod
    def for_scope(cls, scope: str) -> _Keys:
        p = f"wanvace:quota:v1:{scope}:"
        names = ("leases", "waiting", "seen", "served", "permits", "spend:", "submits")
        return cls(*(p + name for name in names))


class RedisQuota(SharedQuota):
    """Slots, permits and spending in Redis, shared by every kernel that uses the same
    server and scope.

    ``clock``: None (the default) takes every time from the Redis server; a clock (tests)
    is used instead, as the other stores do.
    """

    def __init__(
        self,
        client: Redis,
        *,
        scope: str,
        clock: Clock | None = None,
        **limits: Unpack[QuotaLimits],
    ):
        super().__init__(clock=clock, **limits)
        self._redis = client
        self._server_time = clock is None
        self.scope = scope
        self._keys = _Keys.for_scope(scope)
        options = client.connection_pool.connection_kwargs
        where = options.get("path") or f"{options.get('host')}:{options.get('port')}"
        self._label = f"redis {where}/{options.get('db', 0)}"
        self._password = options.get("password") or None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        scope: str,
        clock: Clock | None = None,
        **limits: Unpack[QuotaLimits],
    ) -> RedisQuota:
        """A store on the server at ``url`` (``redis://``, ``rediss://`` or ``unix://``);
        connects on first use. redis-py raises ValueError for a URL it cannot parse."""
        retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)
        client = Redis.from_url(url, retry=retry, **CONNECTION_DEFAULTS)
        return cls(client, scope=scope, clock=clock, **limits)

    @staticmethod
    def check_url(url: str) -> None:
        """Parse ``url`` as :meth:`from_url` will, without connecting: redis-py's ValueError
        for a URL it cannot use (a port that is not a number, an unknown option)."""
        parse_url(url)

    def __repr__(self) -> str:
        return f"RedisQuota({self._label}, scope={self.scope!r})"

    async def aclose(self) -> None:
        await self._redis.aclose()

    # -- talking to the server -------------------------------------------------------------

    async def _guard(self, work: Awaitable[T]) -> T:
        """Run one exchange with the server to its end, even if the caller is cancelled
        (redis-py can lose a cancellation that lands mid-exchange, or leave a half-read
        connection behind); any Redis failure becomes QuotaStoreError, raised outside the
        handler so that no chained exception (nor its frames) carries connection settings."""
        return await asyncio.shield(self._translated(work))

    async def _translated(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except RedisError as exc:
            reason = f"{type(exc).__name__}: {exc}"
        if self._password:
            reason = reason.replace(self._password, "***")
        hint = (
            "another program uses these keys; delete them or use another account name"
            if "WRONGTYPE" in reason
            else "check that the server runs and that WANVACE_QUOTA_URL is right"
        )
        raise QuotaStoreError(f"the quota store ({self._label}) failed: {reason}; {hint}")

    async def _multi(self, build: Callable[[Pipeline], object]) -> list[Any]:
        """Queue commands with ``build`` and run them as one MULTI/EXEC."""

        async def run() -> list[Any]:
            async with self._redis.pipeline(transaction=True) as pipe:
                build(pipe)
                return await pipe.execute()

        return await self._guard(run())

    async def _transaction(self, decide: Callable[[Pipeline], Awaitable[T]], *keys: str) -> T:
        """Run ``decide`` under WATCH of ``keys`` (it reads, then calls ``multi()`` and
        queues its writes), again until nobody changed them in between."""
        return await self._guard(self._redis.transaction(decide, *keys, value_from_callable=True))

    async def _now(self, conn: Redis | Pipeline) -> float:
        if not self._server_time:
            return self.clock.now()
        seconds, micros = await conn.time()
        return seconds + micros / 1e6

    def _local(self, holder: Holder, expires_at: float, now: float) -> Lease:
        """A lease whose expiry is on this process's clock (the server's may differ)."""
        return Lease(holder, self.clock.now() + (expires_at - now))

    # -- reading -------------------------------------------------------------------------

    async def _read(self, conn: Redis | Pipeline) -> _State:
        k = self._keys
        now = await self._now(conn)
        leases = await conn.hgetall(k.leases)
        waiting = await conn.hgetall(k.waiting)
        seen = await conn.hgetall(k.seen)
        served = await conn.hgetall(k.served)
        slots, bad_slots = _slots(leases)
        requests, bad_requests = sort_out(
            {job: (_text(job), *_pair(v), seen.get(job)) for job, v in waiting.items()},
            parse_request,
        )
        last = {_text(user): parse_number(at) for user, at in served.items()}
        last_granted = {user: at for user, at in last.items() if at is not None}
        return _State(now, slots, bad_slots, requests, bad_requests, last_granted)

    # -- the atomic steps ----------------------------------------------------------------

    async def _take(self, holder: Holder) -> Lease | None:
        k, job = self._keys, holder.job_id
        now = await self._guard(self._now(self._redis))

        def register(pipe: Pipeline) -> None:
            pipe.hget(k.leases, job)
            pipe.hsetnx(k.waiting, job, json.dumps([holder.user, now]))
            pipe.hset(k.seen, job, repr(now))
            pipe.hgetall(k.leases)

        current, _, _, leases = await self._multi(register)
        mine = parse_slot(job, *_pair(current))
        if mine is not None and mine.expires_at > now:
            return await self._put_lease(holder)
        slots, bad = _slots(leases)
        if not bad and sum(s.expires_at > now for s in slots) >= self.max_concurrent:
            return None  # every slot is taken and live: nothing to decide
        return await self._dispatch(holder)

    async def _dispatch(self, holder: Holder) -> Lease | None:
        k = self._keys

        async def decide(pipe: Pipeline) -> Lease | None:
            state = await self._read(pipe)
            plan = plan_dispatch(
                state.now,
                state.slots,
                state.requests,
                state.last_granted,
                max_concurrent=self.max_concurrent,
                abandon_after_s=self.abandon_after_s,
            )
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves multi() untyped
            _hdel(pipe, k.leases, [*plan.expired, *state.bad_slots])
            gone = [*plan.abandoned, *state.bad_requests, *(g.job_id for g in plan.grants)]
            _hdel(pipe, k.waiting, gone)
            _hdel(pipe, k.seen, gone)
            expires_at = state.now + self.lease_ttl_s
            for granted in plan.grants:
                pipe.hset(k.leases, granted.job_id, json.dumps([granted.user, expires_at]))
                pipe.hset(k.served, granted.user, repr(state.now))
            if any(g.job_id == holder.job_id for g in plan.grants):
                return self._local(holder, expires_at, state.now)
            held = [s for s in state.slots if s.job_id == holder.job_id]
            if held and held[0].expires_at > state.now:  # granted by another kernel's step
                return self._local(holder, held[0].expires_at, state.now)
            return None

        return await self._transaction(decide, k.leases, k.waiting, k.served)

    async def _put_lease(self, holder: Holder) -> Lease:
        k = self._keys
        now = await self._guard(self._now(self._redis))
        expires_at = now + self.lease_ttl_s

        def write(pipe: Pipeline) -> None:
            pipe.hset(k.leases, holder.job_id, json.dumps([holder.user, expires_at]))
            pipe.hdel(k.waiting, holder.job_id)
            pipe.hdel(k.seen, holder.job_id)

        await self._multi(write)
        return self._local(holder, expires_at, now)

    async def _drop(self, holder: Holder) -> None:
        k = self._keys

        def delete(pipe: Pipeline) -> None:
            for key in (k.leases, k.waiting, k.seen):
                pipe.hdel(key, holder.job_id)

        await self._multi(delete)

    async def _try_permit(self, token: str) -> float:
        key = self._keys.permits

        async def decide(pipe: Pipeline) -> float:
            now = await self._now(pipe)
            window_start = f"({now - SUBMIT_WINDOW_S}"
            recent = await pipe.zrangebyscore(key, window_start, "+inf", withscores=True)
            times = sorted(float(entry[1]) for entry in recent)
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves multi() untyped
            if len(times) >= self.submits_per_second:
                return max(1e-3, times[-self.submits_per_second] + SUBMIT_WINDOW_S - now)
            pipe.zremrangebyscore(key, "-inf", now - SUBMIT_WINDOW_S)
            pipe.zadd(key, {token: now})
            pipe.pexpire(key, int(SUBMIT_WINDOW_S * 2000))
            return 0.0

        return await self._transaction(decide, key)

    async def _restamp(self, token: str) -> None:
        key = self._keys.permits
        now = await self._guard(self._now(self._redis))
        await self._guard(self._redis.zadd(key, {token: now}))

    async def _view(self) -> View:
        state = await self._guard(self._read(self._redis))
        return live_view(
            state.now,
            state.slots,
            state.requests,
            state.last_granted,
            abandon_after_s=self.abandon_after_s,
        )

    # -- money -------------------------------------------------------------------------

    async def _spend_key(self) -> str:
        return self._keys.spend_prefix + today(await self._guard(self._now(self._redis)))

    async def try_spend(self, user: str, usd: float, daily_limit_usd: float | None) -> bool:
        key = await self._spend_key()

        async def decide(pipe: Pipeline) -> bool:
            raw = await pipe.hget(key, user)
            spent = parse_usd(_text(raw), key) if raw is not None else 0.0
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves multi() untyped
            if daily_limit_usd is not None and spent + usd > daily_limit_usd + 1e-9:
                return False
            pipe.hset(key, user, repr(spent_after(spent, usd)))
            pipe.expire(key, SPEND_KEPT_S)
            return True

        return await self._transaction(decide, key)

    async def spent_today(self, user: str | None = None) -> float:
        key = await self._spend_key()
        raw = await self._guard(self._redis.hgetall(key))
        amounts = (
            parse_usd(_text(v), key) for name, v in raw.items() if user in (None, _text(name))
        )
        return sum(amounts, 0.0)


    # -- submits -----------------------------------------------------------------------

    async def note_submit(self, holder: Holder, sent_at: float) -> None:
        record = json.dumps([holder.user, sent_at, None, False])
        await self._guard(self._redis.hset(self._keys.submits, holder.job_id, record))

    async def settle_submit(self, holder: Holder, task_id: str | None) -> None:
        key, job = self._keys.submits, holder.job_id

        async def decide(pipe: Pipeline) -> None:
            noted = _submit(job, await pipe.hget(key, job))
            sent_at = noted.sent_at if noted else self.clock.now()
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves multi() untyped
            pipe.hset(key, job, json.dumps([holder.user, sent_at, task_id, True]))

        await self._transaction(decide, key)

    async def recent_submits(self) -> list[SubmitRecord]:
        key = self._keys.submits
        raw = await self._guard(self._redis.hgetall(key))
        since = self.clock.now() - SUBMITS_KEPT_S
        records = {job: _submit(_text(job), value) for job, value in raw.items()}
        stale = [job for job, r in records.items() if r is None or r.sent_at < since]
        if stale:
            await self._guard(self._redis.hdel(key, *stale))
        return [r for r in records.values() if r is not None and r.sent_at >= since]


def _submit(job_id: Raw, value: Raw | None) -> SubmitRecord | None:
    """A stored submit (JSON ``[user, sent_at, task_id, settled]``), or None."""
    try:
        decoded = json.loads(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(decoded, list) or len(decoded) != 4:
        return None
    return parse_submit(_text(job_id), *decoded)


@dataclass(frozen=True)
class _State:
    now: float
    slots: list[Slot]
    bad_slots: list[Raw]
    requests: list[Request]
    bad_requests: list[Raw]
    last_granted: dict[str, float]


def _text(value: Raw) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _pair(value: Raw | None) -> tuple[object, object]:
    """``[user, time]`` from a stored JSON value; (None, None) when it is anything else."""
    try:
        decoded = json.loads(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return None, None
    if isinstance(decoded, list) and len(decoded) == 2:
        return decoded[0], decoded[1]
    return None, None


def _slots(raw: dict[Raw, Raw]) -> tuple[list[Slot], list[Raw]]:
    """The well-formed leases, and the fields of the others (to delete)."""
    return sort_out({job: (_text(job), *_pair(v)) for job, v in raw.items()}, parse_slot)


def _hdel(pipe: Pipeline, key: str, fields: list[Raw]) -> None:
    if fields:
        pipe.hdel(key, *fields)
